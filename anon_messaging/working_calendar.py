"""Working-day deadlines: when is a response to a report due?

An institution promises to respond "within N working days". We use a
working-time accumulation model:

* Working time is the union of working intervals. Each local date that is a working weekday
  and not inside a closure has the interval [opens, closes) in local wall-clock time, or
  [00:00, next day 00:00) when no hours are set.
* The due time is the moment when N x (length of one working day) of working time, plus
  any extra working hours, has passed since the start. A start outside working time
  starts the clock at the next opening. If the time runs out exactly at a closing time,
  that closing time is the answer. With N = 0 the answer is the start, moved to the next
  working moment if needed.
* Everything is counted on the wall clock of the site time zone. A working day is as long
  as its wall-clock hours, so a whole working day is 24 hours even on a DST-change day.
  Mon 10:00 + 3 is Thu 10:00 on the wall clock whatever the clocks did in between.
* A wall time that does not exist (skipped when the clocks go forward) becomes the first
  real instant after it, the moment the clocks jump. For Europe/London, 01:30 on the last
  Sunday of March becomes 02:00 BST. This keeps later inputs from giving earlier results.
  A wall time that happens twice (clocks going back) means its first occurrence (fold=0).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["WorkingCalendar"]

# A longer run of days with no working time means the calendar is unusable (no working
# weekday, or closures covering everything), so fail instead of walking on.
MAX_DAYS_WITHOUT_WORK = 3660

_ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    """Working weekdays, optional daily hours and closures in one site time zone.

    Build it once and call :meth:`due` many times. The closures are sorted and merged
    here, so each lookup is a binary search.
    """

    __slots__ = ("tz", "weekdays", "hours", "closures", "day_length", "_closure_firsts")

    def __init__(
        self,
        tz: ZoneInfo | str = "UTC",
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        hours: tuple[time, time] | None = None,
        closures: Iterable[tuple[date, date]] = (),
    ) -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

        self.weekdays = frozenset(weekdays)
        if not self.weekdays:
            raise ValueError("at least one weekday must be a working day")
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are integers from 0 (Monday) to 6 (Sunday)")

        if hours is None:
            self.day_length = _ONE_DAY
        else:
            opens, closes = hours
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("working hours are local wall-clock times without tzinfo")
            if not opens < closes:
                raise ValueError("working hours must open before they close")
            self.day_length = datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
        self.hours = hours

        merged: list[tuple[date, date]] = []
        for first, last in sorted(closures):
            if first > last:
                raise ValueError(f"closure {first}..{last} ends before it starts")
            # Merge overlapping and touching ranges so that one binary search suffices.
            if merged and first <= merged[-1][1] + _ONE_DAY:
                if last > merged[-1][1]:
                    merged[-1] = (merged[-1][0], last)
            else:
                merged.append((first, last))
        self.closures = tuple(merged)
        self._closure_firsts = [first for first, _ in merged]

    def due(self, start: datetime, working_days: int, working_hours: int = 0) -> datetime:
        """Return when ``working_days`` working days and ``working_hours`` working hours
        after ``start`` end, in the site tz. A working hour is an hour of working time:
        inside the working hours when they are set."""
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        if working_days < 0 or working_hours < 0:
            raise ValueError("working_days and working_hours must be >= 0")

        # Naive local wall time; it keeps its fold, which matters for the working_days == 0
        # answer when the start falls in the repeated hour.
        moment = start.astimezone(self.tz).replace(tzinfo=None)
        remaining = self.day_length * working_days + timedelta(hours=working_hours)
        day = moment.date()
        try:
            while True:
                day = self._next_working_date(day)
                opens, closes = self._interval(day)
                if moment < opens:
                    moment = opens
                if moment < closes:
                    if remaining <= closes - moment:
                        # Adding timedelta(0) would reset fold, so do not add when done.
                        return self._to_aware(moment + remaining if remaining else moment)
                    remaining -= closes - moment
                day += _ONE_DAY
        except OverflowError:
            raise ValueError("no working time before the end of the date range") from None

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """How many working days of working time lie between ``start`` and ``end``: the
        inverse of :meth:`due` (``due(start, n)`` is ``n`` working days after ``start``),
        counted on the same wall clock. 0 when ``end`` is not after ``start``."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be aware datetimes")
        begin = start.astimezone(self.tz).replace(tzinfo=None)
        finish = end.astimezone(self.tz).replace(tzinfo=None)
        worked = timedelta(0)
        day = begin.date()
        while day <= finish.date():
            if self._closed_until(day) is None and day.weekday() in self.weekdays:
                opens, closes = self._interval(day)
                overlap = min(closes, finish) - max(opens, begin)
                if overlap > timedelta(0):
                    worked += overlap
            day += _ONE_DAY
        return worked / self.day_length

    def _closed_until(self, day: date) -> date | None:
        """Last day of the closure containing ``day``, or None if it is not closed."""
        i = bisect.bisect_right(self._closure_firsts, day) - 1
        if i >= 0 and day <= self.closures[i][1]:
            return self.closures[i][1]
        return None

    def _next_working_date(self, day: date) -> date:
        """First working date on or after ``day``."""
        first = day
        while True:
            closed_until = self._closed_until(day)
            if closed_until is not None:
                day = closed_until + _ONE_DAY
            elif day.weekday() in self.weekdays:
                return day
            else:
                day += _ONE_DAY
            if (day - first).days > MAX_DAYS_WITHOUT_WORK:
                raise ValueError(
                    f"no working time in the {MAX_DAYS_WITHOUT_WORK} days from {first}; "
                    "check the working weekdays and closures"
                )

    def _interval(self, day: date) -> tuple[datetime, datetime]:
        """The working interval of ``day`` as naive local wall times."""
        if self.hours is None:
            opens = datetime.combine(day, time())
            return opens, opens + _ONE_DAY
        return datetime.combine(day, self.hours[0]), datetime.combine(day, self.hours[1])

    def _to_aware(self, wall: datetime) -> datetime:
        """Attach the site tz to a wall time, resolving DST gaps (see module docstring)."""
        aware = wall.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)
        if aware.replace(tzinfo=None) == wall:
            return aware
        # ``wall`` lies in a spring-forward gap. fold=1 reads it with the offset after the
        # change, an instant before the jump; fold=0 with the offset before, one after it.
        # Binary-search the whole second of the jump (tz transitions are whole seconds).
        lo = math.floor(wall.replace(tzinfo=self.tz, fold=1).timestamp())
        hi = math.ceil(wall.replace(tzinfo=self.tz, fold=0).timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).replace(tzinfo=None) >= wall:
                hi = mid
            else:
                lo = mid
        return datetime.fromtimestamp(hi, self.tz)

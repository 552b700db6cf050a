"""Tests for the working-day deadline calculation.

Every expected value is worked out by hand from the rule in anon_messaging.calendar: count
N x (working day length) of working time on the site's wall clock from the first working
moment at or after the start. Dates used: 2026-06-01 is a Monday; 2026-08-31 (bank holiday)
a Monday; 2026-12-23 a Wednesday; 2027-01-04 a Monday. Europe/London changes clocks on
Sun 2026-10-25 (02:00 BST -> 01:00 GMT) and Sun 2027-03-28 (01:00 GMT -> 02:00 BST).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anon_messaging.working_calendar import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
DUBAI = ZoneInfo("Asia/Dubai")
NINE_TO_FIVE = (time(9), time(17))
EVERY_DAY = range(7)
SUN_TO_THU = (6, 0, 1, 2, 3)
YEAR_END = (date(2026, 12, 24), date(2027, 1, 2))
BANK_HOLIDAY = (date(2026, 8, 31), date(2026, 8, 31))


def response_due(start, working_days, **calendar):
    """One calendar, one due time: the calendar built as a site's settings build it."""
    return WorkingCalendar(**calendar).due(start, working_days)


def at(y, m, d, hh=0, mm=0, tz=LONDON, fold=0):
    return datetime(y, m, d, hh, mm, tzinfo=tz, fold=fold)


def assert_same(result, expected):
    # Same-tzinfo datetimes compare by wall time and ignore fold, so also compare the
    # offset: that is what tells 01:30 BST from 01:30 GMT.
    assert result.tzinfo.key == expected.tzinfo.key
    assert (result.replace(tzinfo=None), result.utcoffset()) == (
        expected.replace(tzinfo=None),
        expected.utcoffset(),
    )


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(at(2026, 6, 1, 10), 3, at(2026, 6, 4, 10), id="mon-10:00-ordinary"),
        # Thu 14h + Fri 24h, weekend skipped, Mon 24h, 10h left on Tue.
        pytest.param(at(2026, 6, 4, 10), 3, at(2026, 6, 9, 10), id="thu-weekend-skip"),
        # 1 minute on Fri, Mon and Tue full, Wed takes the last 23:59.
        pytest.param(at(2026, 6, 5, 23, 59), 3, at(2026, 6, 10, 23, 59), id="fri-23:59"),
        # The clock starts Mon 00:00; Mon, Tue and Wed in full end at Thu 00:00.
        pytest.param(at(2026, 6, 6, 10), 3, at(2026, 6, 11), id="saturday-report"),
    ],
)
def test_whole_days(start, days, expected):
    assert_same(response_due(start, days, tz="Europe/London"), expected)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(at(2026, 6, 1, 10), 3, at(2026, 6, 4, 10), id="inside-hours"),
        # Clock starts Mon 09:00; 8h later is Mon 17:00, returned as is.
        pytest.param(at(2026, 6, 1, 7), 1, at(2026, 6, 1, 17), id="before-opening"),
        # Clock starts Tue 09:00; Tue, Wed and Thu in full end at Thu 17:00.
        pytest.param(at(2026, 6, 1, 18), 3, at(2026, 6, 4, 17), id="after-closing"),
        # Closing time is outside [09:00, 17:00), so this is the same as after closing.
        pytest.param(at(2026, 6, 1, 17), 1, at(2026, 6, 2, 17), id="at-closing"),
        # Mon 1h, 7h left on Tue.
        pytest.param(at(2026, 6, 1, 16), 1, at(2026, 6, 2, 16), id="late-afternoon"),
        # Clock starts Mon 09:00.
        pytest.param(at(2026, 6, 6, 10), 1, at(2026, 6, 8, 17), id="weekend"),
        # Mon and Tue in full end exactly at Tue's closing, not at Wed 09:00.
        pytest.param(at(2026, 6, 1, 9), 2, at(2026, 6, 2, 17), id="ends-at-closing"),
        # Fri 09:00-17:00 is the whole day: due Fri 17:00, not Mon 09:00.
        pytest.param(at(2026, 6, 5, 9), 1, at(2026, 6, 5, 17), id="friday-ends-at-closing"),
    ],
)
def test_working_hours(start, days, expected):
    assert_same(response_due(start, days, tz="Europe/London", hours=NINE_TO_FIVE), expected)


@pytest.mark.parametrize(
    ("start", "days", "hours", "closures", "expected"),
    [
        # Wed 7h; closed Thu 24 Dec to Sat 2 Jan; Sun off; Mon 4 Jan 8h, Tue 8h; 1h on Wed.
        pytest.param(
            at(2026, 12, 23, 10),
            3,
            NINE_TO_FIVE,
            [YEAR_END],
            at(2027, 1, 6, 10),
            id="year-end-hours",
        ),
        # Wed 14h; the first working day after the closure is Mon 4 Jan, 10h on it.
        pytest.param(
            at(2026, 12, 23, 10), 1, None, [YEAR_END], at(2027, 1, 4, 10), id="year-end-whole"
        ),
        # Fri 14h; weekend; bank holiday Mon; 10h on Tue.
        pytest.param(
            at(2026, 8, 28, 10), 1, None, [BANK_HOLIDAY], at(2026, 9, 1, 10), id="single-day"
        ),
        # Reported on the bank holiday itself: the clock starts Tue 09:00.
        pytest.param(
            at(2026, 8, 31, 10),
            1,
            NINE_TO_FIVE,
            [BANK_HOLIDAY],
            at(2026, 9, 1, 17),
            id="on-closed-day",
        ),
        # Unsorted, nested and touching closures: closed 24 Dec to Fri 1 Jan (the 25-26 Dec
        # range is inside), weekend, closed Mon 4 Jan, so the clock starts Tue 5 Jan 00:00.
        pytest.param(
            at(2026, 12, 28, 10),
            1,
            None,
            [
                (date(2027, 1, 4), date(2027, 1, 4)),
                (date(2026, 12, 24), date(2027, 1, 1)),
                (date(2026, 12, 25), date(2026, 12, 26)),
            ],
            at(2027, 1, 6),
            id="overlapping-closures",
        ),
        # A closure of five years is long but finite: the clock starts Mon 2031-06-02.
        pytest.param(
            at(2026, 6, 1, 10),
            1,
            None,
            [(date(2026, 6, 1), date(2031, 5, 31))],
            at(2031, 6, 3),
            id="five-year-closure",
        ),
    ],
)
def test_closures(start, days, hours, closures, expected):
    result = response_due(start, days, tz="Europe/London", hours=hours, closures=closures)
    assert_same(result, expected)


@pytest.mark.parametrize(
    ("start", "days", "weekdays", "hours", "expected"),
    [
        # Spring forward, all days working: Sat 14h, Sun 24 wall-clock hours (23 elapsed),
        # Mon 24h, 10h left on Tue. Counting elapsed hours would give 11:00.
        pytest.param(at(2027, 3, 27, 10), 3, EVERY_DAY, None, at(2027, 3, 30, 10), id="spring"),
        # Sat 7h, Sun 8h, Mon 8h, 1h on Tue.
        pytest.param(
            at(2027, 3, 27, 10),
            3,
            EVERY_DAY,
            NINE_TO_FIVE,
            at(2027, 3, 30, 10),
            id="spring-hours",
        ),
        # Mon-Fri: Fri 14h, weekend with the change skipped, Mon, Tue, 10h on Wed.
        pytest.param(
            at(2027, 3, 26, 10), 3, range(5), None, at(2027, 3, 31, 10), id="spring-weekdays"
        ),
        # Fall back: Sat 14h, Sun 24 wall-clock hours (25 elapsed), Mon, 10h on Tue.
        # Counting elapsed hours would give 09:00.
        pytest.param(at(2026, 10, 24, 10), 3, EVERY_DAY, None, at(2026, 10, 27, 10), id="autumn"),
        # Fri 7h, weekend, Mon 8h, Tue 8h, 1h on Wed.
        pytest.param(
            at(2026, 10, 23, 10),
            3,
            range(5),
            NINE_TO_FIVE,
            at(2026, 10, 28, 10),
            id="autumn-hours",
        ),
        # Due at Sun 01:30, which happens twice: the first one, 01:30 BST, is meant.
        pytest.param(
            at(2026, 10, 24, 1, 30),
            1,
            EVERY_DAY,
            None,
            at(2026, 10, 25, 1, 30, fold=0),
            id="ambiguous-due-first-occurrence",
        ),
        # Due at Sun 01:30, which does not exist: the clocks jump to 02:00 BST then.
        pytest.param(
            at(2027, 3, 27, 1, 30), 1, EVERY_DAY, None, at(2027, 3, 28, 2), id="due-in-gap"
        ),
    ],
)
def test_dst_changes(start, days, weekdays, hours, expected):
    result = response_due(start, days, tz=LONDON, weekdays=weekdays, hours=hours)
    assert_same(result, expected)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        # Opening at 01:30 does not exist on 2027-03-28; the office opens at the jump.
        pytest.param(0, at(2027, 3, 28, 2), id="opens-in-gap"),
        # 8 wall-clock hours from the 01:30 opening, the same as on any other day.
        pytest.param(1, at(2027, 3, 28, 9, 30), id="full-day-from-gap"),
    ],
)
def test_opening_in_dst_gap(days, expected):
    hours = (time(1, 30), time(9, 30))
    result = response_due(at(2027, 3, 28, 0, 15), days, tz=LONDON, weekdays=EVERY_DAY, hours=hours)
    assert_same(result, expected)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # 16:30 UTC is 17:30 BST, after closing: the clock starts Tue 09:00 BST.
        pytest.param(
            datetime(2026, 7, 6, 16, 30, tzinfo=UTC),
            NINE_TO_FIVE,
            at(2026, 7, 7, 17),
            id="utc-after-closing",
        ),
        # Fri 23:30 UTC is Sat 00:30 BST: the clock starts Mon 00:00 BST.
        pytest.param(
            datetime(2026, 7, 10, 23, 30, tzinfo=UTC), None, at(2026, 7, 14), id="utc-friday"
        ),
        # 12:00 in New York is 17:00 BST, exactly closing time in London.
        pytest.param(
            datetime(2026, 7, 6, 12, tzinfo=ZoneInfo("America/New_York")),
            NINE_TO_FIVE,
            at(2026, 7, 7, 17),
            id="new-york",
        ),
    ],
)
def test_start_in_other_time_zone(start, hours, expected):
    assert_same(response_due(start, 1, tz="Europe/London", hours=hours), expected)


@pytest.mark.parametrize(
    ("start", "days", "hours", "expected"),
    [
        # Thu 14h, Fri and Sat off, Sun 24h, 10h on Mon.
        pytest.param(
            at(2026, 6, 4, 10, tz=DUBAI), 2, None, at(2026, 6, 8, 10, tz=DUBAI), id="thursday"
        ),
        # Friday is off: the clock starts Sun 00:00.
        pytest.param(at(2026, 6, 5, 10, tz=DUBAI), 1, None, at(2026, 6, 8, tz=DUBAI), id="friday"),
        # Saturday is off: the clock starts Sun 08:00.
        pytest.param(
            at(2026, 6, 6, 10, tz=DUBAI),
            1,
            (time(8), time(15)),
            at(2026, 6, 7, 15, tz=DUBAI),
            id="saturday-hours",
        ),
    ],
)
def test_sunday_to_thursday(start, days, hours, expected):
    assert_same(response_due(start, days, tz=DUBAI, weekdays=SUN_TO_THU, hours=hours), expected)


@pytest.mark.parametrize(
    ("start", "weekdays", "hours", "expected"),
    [
        pytest.param(at(2026, 6, 1, 10), range(5), NINE_TO_FIVE, at(2026, 6, 1, 10), id="working"),
        pytest.param(
            at(2026, 6, 1, 7), range(5), NINE_TO_FIVE, at(2026, 6, 1, 9), id="before-opening"
        ),
        pytest.param(
            at(2026, 6, 1, 17), range(5), NINE_TO_FIVE, at(2026, 6, 2, 9), id="at-closing"
        ),
        pytest.param(at(2026, 6, 6, 10), range(5), None, at(2026, 6, 8), id="saturday"),
        # The second 01:30 on 2026-10-25 (GMT) is working time: returned unchanged.
        pytest.param(
            at(2026, 10, 25, 1, 30, fold=1),
            EVERY_DAY,
            None,
            at(2026, 10, 25, 1, 30, fold=1),
            id="repeated-hour",
        ),
    ],
)
def test_zero_working_days(start, weekdays, hours, expected):
    result = response_due(start, 0, tz="Europe/London", weekdays=weekdays, hours=hours)
    assert_same(result, expected)


def test_calendar_object_is_reusable_and_matches_wrapper():
    calendar = WorkingCalendar(tz=LONDON, hours=NINE_TO_FIVE, closures=[YEAR_END])
    assert calendar.day_length == timedelta(hours=8)
    assert_same(calendar.due(at(2026, 12, 23, 10), 3), at(2027, 1, 6, 10))
    assert_same(calendar.due(at(2026, 6, 1, 18), 3), at(2026, 6, 4, 17))


def test_default_time_zone_is_utc():
    result = response_due(datetime(2026, 6, 1, 10, tzinfo=LONDON), 1)
    # 10:00 BST is 09:00 UTC; one whole day later, in UTC.
    assert result.tzinfo.key == "UTC"
    assert result.replace(tzinfo=None) == datetime(2026, 6, 2, 9)


def test_naive_start_raises():
    with pytest.raises(ValueError, match="aware"):
        response_due(datetime(2026, 6, 1, 10), 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"weekdays": ()}, id="no-weekdays"),
        pytest.param({"weekdays": (0, 7)}, id="weekday-out-of-range"),
        pytest.param({"hours": (time(17), time(9))}, id="hours-reversed"),
        pytest.param({"hours": (time(9), time(9))}, id="hours-empty"),
        pytest.param({"hours": (time(9, tzinfo=UTC), time(17))}, id="hours-with-tz"),
        pytest.param({"closures": [(date(2026, 6, 2), date(2026, 6, 1))]}, id="closure-reversed"),
    ],
)
def test_invalid_calendar_raises(kwargs):
    with pytest.raises(ValueError):
        response_due(at(2026, 6, 1, 10), 1, **kwargs)


def test_negative_working_days_raises():
    with pytest.raises(ValueError, match="working_days"):
        response_due(at(2026, 6, 1, 10), -1)


def test_closures_covering_everything_raise_instead_of_looping():
    with pytest.raises(ValueError, match="no working time"):
        response_due(at(2026, 6, 1, 10), 1, closures=[(date(2026, 1, 1), date(2040, 12, 31))])


def test_closure_running_to_the_end_of_time_raises():
    with pytest.raises(ValueError, match="no working time"):
        response_due(at(9999, 12, 1, 10, tz=UTC), 1, closures=[(date(9999, 12, 1), date.max)])


CALENDARS = [
    WorkingCalendar(tz=LONDON, closures=[YEAR_END, BANK_HOLIDAY]),
    WorkingCalendar(tz=LONDON, hours=NINE_TO_FIVE, closures=[YEAR_END, BANK_HOLIDAY]),
    WorkingCalendar(tz=LONDON, weekdays=EVERY_DAY, hours=(time(1, 30), time(9, 30))),
]


@given(
    calendar=st.sampled_from(CALENDARS),
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=0, max_value=20),
)
def test_due_never_precedes_start_and_grows_with_days(calendar, start, days):
    due = calendar.due(start, days)
    later = calendar.due(start, days + 1)
    assert due.tzinfo is LONDON
    # Compare instants: datetimes sharing a tzinfo compare and subtract by wall time.
    due_utc, later_utc = due.astimezone(UTC), later.astimezone(UTC)
    assert start <= due_utc < later_utc
    # One more working day adds at least a working day of wall-clock time, which a DST
    # change can shorten by at most its one hour.
    assert later_utc - due_utc >= calendar.day_length - timedelta(hours=1)

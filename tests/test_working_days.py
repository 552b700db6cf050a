"""``WorkingCalendar.working_days_between``: the working time between two moments, the
inverse of ``due``, as the statistics' "working days to a first reply" count it."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from anon_messaging.working_calendar import WorkingCalendar

LONDON = "Europe/London"


def test_a_reply_a_working_day_later_over_a_weekend_counts_one_day():
    calendar = WorkingCalendar(tz=LONDON)
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert calendar.working_days_between(friday, monday) == 1


def test_closures_and_working_hours_are_not_counted():
    calendar = WorkingCalendar(
        tz=LONDON,
        hours=(time(9), time(17)),
        closures=[(date(2026, 3, 10), date(2026, 3, 10))],
    )
    monday_noon = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    # Monday 12:00-17:00 (5 h), Tuesday closed, Wednesday 09:00-13:00 (4 h): 9 of 8 hours.
    wednesday = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)
    assert calendar.working_days_between(monday_noon, wednesday) == 9 / 8


def test_an_end_before_the_start_is_no_time():
    calendar = WorkingCalendar(tz=LONDON)
    start = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert calendar.working_days_between(start, start - timedelta(days=3)) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    st.integers(0, 15),
    st.booleans(),
)
def test_it_is_the_inverse_of_due(start, days, with_hours):
    hours = (time(9), time(17)) if with_hours else None
    calendar = WorkingCalendar(tz=LONDON, hours=hours)
    aware = start.replace(tzinfo=UTC)
    due = calendar.due(aware, days)
    assert abs(calendar.working_days_between(aware, due) - days) < 1e-9

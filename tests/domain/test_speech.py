"""Deadlines as a caller hears them and staff read them, in UK time."""

from datetime import UTC, datetime, timedelta

from callrouter.console.filters import clock, when
from callrouter.domain.speech import spoken_due_time

AUTUMN_CHANGE = datetime(2026, 10, 25, 0, 40, tzinfo=UTC)  # 01:40 BST; an hour later, 01:40 GMT


def test_in_the_hour_the_autumn_change_repeats_the_zone_is_said():
    due = AUTUMN_CHANGE + timedelta(hours=1)
    assert spoken_due_time(due, AUTUMN_CHANGE) == "01:40 GMT today"
    assert when(AUTUMN_CHANGE) == "1:40am BST, 25 October 2026"
    assert when(due) == "1:40am GMT, 25 October 2026"
    assert clock(due, AUTUMN_CHANGE) == "01:40 GMT"


def test_other_times_need_no_zone():
    summer = datetime(2026, 6, 1, 13, 5, tzinfo=UTC)
    assert spoken_due_time(summer, summer) == "14:05 today"
    assert when(summer) == "2:05pm, 1 June 2026"
    assert clock(AUTUMN_CHANGE + timedelta(hours=3), AUTUMN_CHANGE) == "03:40"

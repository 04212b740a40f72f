"""Call-back timescales: clock hours, working hours, working days, and the level defaults."""

import re
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.timescales import (
    DEFAULT_LEVEL_TIMESCALES,
    ClockHours,
    WorkingDays,
    WorkingHours,
    parse_timescale,
)
from callrouter.domain.vocabulary import Level

LONDON = ZoneInfo("Europe/London")


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year, month, day, hour=0, minute=0, fold=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON, fold=fold)


@pytest.fixture
def calendar():
    return WorkingCalendar()


# --- ClockHours ----------------------------------------------------------------------------


def test_a_section_47_call_on_saturday_night_is_due_an_hour_later_not_on_monday(calendar):
    due = ClockHours(1).due_at(london(2026, 6, 6, 23, 30), calendar)
    assert due == utc(2026, 6, 6, 23, 30)  # Sunday 00:30 BST


def test_clock_hours_run_through_christmas(calendar):
    due = ClockHours(48).due_at(london(2026, 12, 24, 11, 0), calendar)
    assert due == utc(2026, 12, 26, 11, 0)


def test_twenty_four_clock_hours_across_the_october_change_are_real_hours(calendar):
    # Saturday 24 Oct 10:00 BST is 09:00 UTC; 24 real hours on is Sunday 09:00 GMT.
    due = ClockHours(24).due_at(london(2026, 10, 24, 10, 0), calendar)
    assert due == utc(2026, 10, 25, 9, 0)


def test_one_clock_hour_inside_the_repeated_hour_of_the_october_change(calendar):
    # 01:30 happens twice on 25 Oct 2026: first in BST (00:30 UTC), then in GMT (01:30 UTC).
    assert ClockHours(1).due_at(london(2026, 10, 25, 1, 30, fold=0), calendar) == utc(
        2026, 10, 25, 1, 30
    )
    assert ClockHours(1).due_at(london(2026, 10, 25, 1, 30, fold=1), calendar) == utc(
        2026, 10, 25, 2, 30
    )


def test_twenty_four_clock_hours_across_the_march_change_are_real_hours(calendar):
    # Saturday 28 Mar 12:00 GMT; 24 real hours on is Sunday 12:00 UTC, 13:00 BST.
    due = ClockHours(24).due_at(london(2026, 3, 28, 12, 0), calendar)
    assert due == utc(2026, 3, 29, 12, 0)


def test_clock_hours_from_the_next_opening_wait_for_the_office_when_shut(calendar):
    policy = ClockHours(24, starts="next_opening")
    due = policy.due_at(london(2026, 6, 6, 14, 0), calendar)  # Saturday
    assert due == utc(2026, 6, 9, 8, 0)  # Tuesday 09:00 BST


def test_clock_hours_from_the_next_opening_start_at_once_when_open(calendar):
    policy = ClockHours(2, starts="next_opening")
    assert policy.due_at(london(2026, 6, 1, 16, 0), calendar) == utc(2026, 6, 1, 17, 0)


def test_clock_hours_from_the_next_opening_over_the_october_change(calendar):
    # Friday 23 Oct 17:00 BST -> clock starts Monday 26 Oct 09:00 GMT -> due 10:00 UTC.
    policy = ClockHours(1, starts="next_opening")
    assert policy.due_at(utc(2026, 10, 23, 16, 0), calendar) == utc(2026, 10, 26, 10, 0)


def test_due_times_are_given_in_utc_whatever_zone_the_call_came_in(calendar):
    assert ClockHours(1).due_at(london(2026, 6, 1, 10, 0), calendar).tzinfo is UTC


# --- WorkingHours and WorkingDays ----------------------------------------------------------


def test_two_working_hours_from_friday_afternoon_end_on_monday_morning(calendar):
    due = WorkingHours(2).due_at(london(2026, 6, 5, 16, 0), calendar)
    assert due == utc(2026, 6, 8, 9, 30)  # Monday 10:30 BST


def test_two_working_hours_from_friday_23_october_end_on_monday_in_gmt(calendar):
    due = WorkingHours(2).due_at(london(2026, 10, 23, 16, 0), calendar)
    assert due == utc(2026, 10, 26, 10, 30)


def test_five_working_days_from_monday_ten_are_due_next_monday_at_ten(calendar):
    due = WorkingDays(5).due_at(london(2026, 6, 1, 10, 0), calendar)
    assert due == utc(2026, 6, 8, 9, 0)


def test_an_allegation_received_on_christmas_eve_2026_goes_to_the_lado_by_tuesday(calendar):
    due = WorkingDays(1).due_at(london(2026, 12, 24, 15, 0), calendar)
    assert due == utc(2026, 12, 29, 15, 0)


def test_one_working_day_from_friday_23_october_keeps_ten_oclock_in_gmt(calendar):
    due = WorkingDays(1).due_at(london(2026, 10, 23, 10, 0), calendar)
    assert due == utc(2026, 10, 26, 10, 0)


def test_one_working_day_from_friday_27_march_keeps_ten_oclock_in_bst(calendar):
    due = WorkingDays(1).due_at(london(2026, 3, 27, 10, 0), calendar)
    assert due == utc(2026, 3, 30, 9, 0)


def test_working_days_follow_the_calendar_they_are_given():
    closed_for_christmas = WorkingCalendar.from_dict({"closures": ["2026-12-29 to 2026-12-31"]})
    due = WorkingDays(1).due_at(london(2026, 12, 24, 15, 0), closed_for_christmas)
    assert due == utc(2027, 1, 4, 15, 0)


@pytest.mark.parametrize(
    "policy", [ClockHours(1), ClockHours(1, starts="next_opening"), WorkingHours(1), WorkingDays(1)]
)
def test_every_policy_refuses_a_naive_received_time(calendar, policy):
    with pytest.raises(ValueError, match="received_at must be timezone-aware"):
        policy.due_at(datetime(2026, 6, 1, 10, 0), calendar)


# --- describe ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        (ClockHours(1), "within 1 hour"),
        (ClockHours(48), "within 48 hours"),
        (ClockHours(24, starts="next_opening"), "within 24 hours from the next opening"),
        (WorkingHours(1), "within 1 working hour"),
        (WorkingHours(2), "within 2 working hours"),
        (WorkingDays(1), "within 1 working day"),
        (WorkingDays(5), "within 5 working days"),
    ],
)
def test_each_policy_describes_itself_in_plain_words(policy, words):
    assert policy.describe() == words


# --- parse_timescale -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("1 hour", ClockHours(1)),
        ("1h", ClockHours(1)),
        ("1 hr", ClockHours(1)),
        ("48 hours", ClockHours(48)),
        ("48hrs", ClockHours(48)),
        ("  24 Hours ", ClockHours(24)),
        ("24 hours from the next opening", ClockHours(24, starts="next_opening")),
        ("24 hours from next opening", ClockHours(24, starts="next_opening")),
        ("2 working hours", WorkingHours(2)),
        ("1 working hour", WorkingHours(1)),
        ("5 working days", WorkingDays(5)),
        ("1 working day", WorkingDays(1)),
        ("3 Working  Days", WorkingDays(3)),
        ("within 3 working days", WorkingDays(3)),
    ],
)
def test_timescales_are_read_from_flow_file_text(text, policy):
    assert parse_timescale(text) == policy


@pytest.mark.parametrize(
    "policy",
    [
        ClockHours(1),
        ClockHours(36),
        ClockHours(4, starts="next_opening"),
        WorkingHours(3),
        WorkingDays(1),
        WorkingDays(10),
    ],
)
def test_a_policy_reads_back_from_its_own_description(policy):
    assert parse_timescale(policy.describe()) == policy


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "timescale '' not understood"),
        ("soon", "timescale 'soon' not understood"),
        ("1.5 hours", "timescale '1.5 hours' not understood"),
        ("-1 hours", "timescale '-1 hours' not understood"),
        ("2 weeks", "timescale '2 weeks' not understood"),
        ("0 hours", "timescale '0 hours' must be at least 1"),
        ("0 working days", "must be at least 1"),
        ("1 day", "'1 day' is ambiguous: write '24 hours' or '1 working day'"),
        ("2 days", "'2 days' is ambiguous: write '48 hours' or '2 working days'"),
        ("5 working days from the next opening", "applies to clock hours only"),
        ("99999999999 hours", "is longer than a year: check the number"),
        ("8784 working hours", "is longer than a year"),
        ("261 working days", "is longer than a year"),
        (24, "timescale must be text such as"),
        (None, "timescale must be text such as"),
    ],
)
def test_a_timescale_that_cannot_be_read_is_refused_saying_why(text, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_timescale(text)


# --- building policies ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "2"])
@pytest.mark.parametrize("policy_type", [ClockHours, WorkingHours, WorkingDays])
def test_a_policy_needs_a_whole_number_of_one_or_more(policy_type, bad):
    with pytest.raises(ValueError, match="must be a whole number of 1 or more"):
        policy_type(bad)


def test_clock_hours_refuse_an_unknown_start():
    with pytest.raises(ValueError, match="starts must be one of"):
        ClockHours(1, starts="tomorrow")


def test_policies_are_values_that_compare_and_hash():
    assert ClockHours(1) == ClockHours(1)
    assert ClockHours(1) != WorkingHours(1)
    assert ClockHours(1) != ClockHours(1, starts="next_opening")
    assert len({WorkingDays(5), WorkingDays(5), WorkingHours(5)}) == 2


# --- the level defaults --------------------------------------------------------------------


def test_every_level_has_a_default_timescale():
    assert set(DEFAULT_LEVEL_TIMESCALES) == set(Level)


def test_the_default_timescales_are_lancashires_screening_clock_hours():
    assert dict(DEFAULT_LEVEL_TIMESCALES) == {
        Level.S47: ClockHours(1),
        Level.S17: ClockHours(24),
        Level.LEVEL3: ClockHours(24),
        Level.LEVEL2: ClockHours(48),
        Level.LEVEL1: ClockHours(48),
        Level.PUBLIC_CONCERN: ClockHours(24),
    }


def test_the_default_timescales_cannot_be_changed_by_accident():
    assert isinstance(DEFAULT_LEVEL_TIMESCALES, MappingProxyType)
    with pytest.raises(TypeError):
        DEFAULT_LEVEL_TIMESCALES[Level.S47] = ClockHours(2)  # type: ignore[index]


def test_a_level_2_call_on_friday_afternoon_is_due_on_sunday_by_the_clock(calendar):
    due = DEFAULT_LEVEL_TIMESCALES[Level.LEVEL2].due_at(london(2026, 6, 5, 15, 0), calendar)
    assert due == utc(2026, 6, 7, 14, 0)


@pytest.mark.parametrize("text", ["8784 hours", "2080 working hours", "260 working days"])
def test_a_timescale_of_up_to_a_year_is_read_and_counted(calendar, text):
    received = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    due = parse_timescale(text).due_at(received, calendar)
    assert received < due <= received + timedelta(days=2 * 366)

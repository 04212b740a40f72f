"""The working calendar: opening hours, England's bank holidays, closures and clock changes.

Expected instants are written in UTC on purpose: in summer 09:00 in London is 08:00 UTC,
so a test that forgot the clocks would fail.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from callrouter.domain.calendar import DEFAULT_OPENING_HOURS, WorkingCalendar

LONDON = ZoneInfo("Europe/London")


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def calendar():
    return WorkingCalendar()


# --- is_open -------------------------------------------------------------------------------


def test_the_office_is_open_on_a_summer_weekday_morning(calendar):
    assert calendar.is_open(utc(2026, 6, 1, 9, 0))  # Monday 10:00 BST


def test_the_office_opens_at_nine_local_time_in_summer_which_is_eight_utc(calendar):
    assert not calendar.is_open(utc(2026, 6, 1, 7, 59))
    assert calendar.is_open(utc(2026, 6, 1, 8, 0))


def test_the_office_is_shut_from_the_closing_minute(calendar):
    assert calendar.is_open(utc(2026, 6, 1, 15, 59))  # 16:59 BST
    assert not calendar.is_open(utc(2026, 6, 1, 16, 0))  # 17:00 BST


def test_the_office_closes_at_half_past_four_on_friday(calendar):
    assert calendar.is_open(london(2026, 6, 5, 16, 29))
    assert not calendar.is_open(london(2026, 6, 5, 16, 30))


def test_the_office_is_shut_at_the_weekend(calendar):
    assert not calendar.is_open(london(2026, 6, 6, 11, 0))  # Saturday
    assert not calendar.is_open(london(2026, 6, 7, 11, 0))  # Sunday


def test_an_instant_in_another_timezone_means_the_same_moment(calendar):
    new_york = ZoneInfo("America/New_York")
    # 04:30 in New York on 1 June 2026 is 09:30 in London.
    assert calendar.is_open(datetime(2026, 6, 1, 4, 30, tzinfo=new_york))
    assert not calendar.is_open(datetime(2026, 6, 1, 3, 30, tzinfo=new_york))


@pytest.mark.parametrize(
    "bank_holiday",
    [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday: England only, missing without subdiv="ENG"
        date(2026, 5, 4),  # early May
        date(2026, 5, 25),  # spring
        date(2026, 8, 31),  # late summer: England only, missing without subdiv="ENG"
        date(2026, 12, 25),  # Christmas Day, a Friday
        date(2026, 12, 28),  # Boxing Day falls on Saturday, so the Monday is the holiday
    ],
)
def test_the_office_is_shut_on_england_bank_holidays_in_2026(calendar, bank_holiday):
    assert not calendar.is_working_day(bank_holiday)
    assert not calendar.is_open(datetime.combine(bank_holiday, time(11, 0), tzinfo=LONDON))


def test_christmas_eve_2026_is_a_normal_working_day_unless_the_council_closes(calendar):
    assert calendar.is_open(london(2026, 12, 24, 11, 0))
    closed_christmas_eve = WorkingCalendar(closures=frozenset({date(2026, 12, 24)}))
    assert not closed_christmas_eve.is_open(london(2026, 12, 24, 11, 0))


def test_the_moved_early_may_bank_holiday_of_2020_shuts_the_friday_not_the_monday(calendar):
    assert calendar.is_open(london(2020, 5, 4, 11, 0))  # the usual first Monday
    assert not calendar.is_open(london(2020, 5, 8, 11, 0))  # moved for VE Day's 75th


def test_christmas_2027_on_a_weekend_shuts_monday_and_tuesday_instead(calendar):
    assert calendar.is_open(london(2027, 12, 24, 11, 0))  # Friday
    assert not calendar.is_open(london(2027, 12, 27, 11, 0))  # Christmas Day substitute
    assert not calendar.is_open(london(2027, 12, 28, 11, 0))  # Boxing Day substitute
    assert calendar.is_open(london(2027, 12, 29, 11, 0))


def test_bank_holidays_can_be_switched_off_for_a_service_that_works_them():
    working_bank_holidays = WorkingCalendar(bank_holidays=None)
    assert working_bank_holidays.is_open(london(2026, 12, 28, 11, 0))
    assert not working_bank_holidays.is_open(london(2026, 12, 26, 11, 0))  # still a Saturday


@freeze_time("2026-06-01 09:30:00")  # UTC: Monday 10:30 in London
def test_is_open_without_an_instant_asks_about_now_when_open(calendar):
    assert calendar.is_open()


@freeze_time("2026-06-06 09:30:00")  # UTC: Saturday
def test_is_open_without_an_instant_asks_about_now_when_shut(calendar):
    assert not calendar.is_open()


# --- next_opening --------------------------------------------------------------------------


def test_next_opening_is_the_instant_itself_when_already_open(calendar):
    assert calendar.next_opening(london(2026, 6, 1, 10, 15)) == utc(2026, 6, 1, 9, 15)


def test_next_opening_before_nine_is_nine_the_same_day(calendar):
    assert calendar.next_opening(london(2026, 6, 2, 7, 0)) == utc(2026, 6, 2, 8, 0)


def test_next_opening_after_friday_closing_is_monday_morning(calendar):
    assert calendar.next_opening(london(2026, 6, 5, 16, 30)) == utc(2026, 6, 8, 8, 0)


def test_next_opening_after_christmas_eve_2026_is_tuesday_the_29th(calendar):
    assert calendar.next_opening(london(2026, 12, 24, 17, 5)) == utc(2026, 12, 29, 9, 0)


def test_next_opening_over_the_october_clock_change_is_nine_gmt(calendar):
    # Friday 23 Oct 2026 is BST; Monday 26 Oct is GMT, so 09:00 local is 09:00 UTC.
    assert calendar.next_opening(london(2026, 10, 23, 18, 0)) == utc(2026, 10, 26, 9, 0)


def test_next_opening_over_the_march_clock_change_is_nine_bst(calendar):
    # Friday 27 Mar 2026 is GMT; Monday 30 Mar is BST, so 09:00 local is 08:00 UTC.
    assert calendar.next_opening(london(2026, 3, 27, 18, 0)) == utc(2026, 3, 30, 8, 0)


def test_next_opening_returns_utc(calendar):
    assert calendar.next_opening(london(2026, 6, 6, 12, 0)).tzinfo is UTC


@freeze_time("2026-06-05 16:00:00")  # UTC: Friday 17:00 in London, after closing
def test_next_opening_without_an_instant_counts_from_now(calendar):
    assert calendar.next_opening() == utc(2026, 6, 8, 8, 0)


def test_a_calendar_closed_for_over_a_year_refuses_rather_than_searching_for_ever():
    closed = WorkingCalendar.from_dict({"closures": ["2026-01-01 to 2027-12-31"]})
    with pytest.raises(ValueError, match="does not open for over 400 days"):
        closed.next_opening(london(2026, 1, 1, 9, 0))


# --- add_working_time ----------------------------------------------------------------------


def test_working_time_within_one_day_is_plain_addition(calendar):
    due = calendar.add_working_time(london(2026, 6, 2, 10, 0), timedelta(hours=3))
    assert due == utc(2026, 6, 2, 12, 0)  # 13:00 BST


def test_two_working_hours_from_friday_afternoon_end_on_monday_morning(calendar):
    # Half an hour before the 16:30 Friday close, then an hour and a half on Monday.
    due = calendar.add_working_time(london(2026, 6, 5, 16, 0), timedelta(hours=2))
    assert due == utc(2026, 6, 8, 9, 30)  # 10:30 BST


def test_working_time_that_ends_at_closing_is_due_at_closing_not_next_morning(calendar):
    due = calendar.add_working_time(london(2026, 6, 2, 15, 0), timedelta(hours=2))
    assert due == utc(2026, 6, 2, 16, 0)  # 17:00 BST


def test_working_time_received_at_the_weekend_starts_on_monday_morning(calendar):
    due = calendar.add_working_time(london(2026, 6, 6, 14, 0), timedelta(hours=1))
    assert due == utc(2026, 6, 8, 9, 0)  # 10:00 BST


def test_sixteen_working_hours_from_monday_opening_end_at_tuesday_closing(calendar):
    due = calendar.add_working_time(london(2026, 6, 1, 9, 0), timedelta(hours=16))
    assert due == utc(2026, 6, 2, 16, 0)


def test_working_time_skips_christmas_2026_and_the_boxing_day_substitute(calendar):
    # Thursday 24 Dec 16:00: one hour that day, the second on Tuesday 29 Dec.
    due = calendar.add_working_time(london(2026, 12, 24, 16, 0), timedelta(hours=2))
    assert due == utc(2026, 12, 29, 10, 0)


def test_two_working_hours_from_friday_23_october_end_on_monday_in_gmt(calendar):
    # 16:00 BST is 15:00 UTC; Monday 26 Oct 10:30 GMT is 10:30 UTC.
    due = calendar.add_working_time(utc(2026, 10, 23, 15, 0), timedelta(hours=2))
    assert due == utc(2026, 10, 26, 10, 30)


def test_two_working_hours_from_friday_27_march_end_on_monday_in_bst(calendar):
    due = calendar.add_working_time(utc(2026, 3, 27, 16, 0), timedelta(hours=2))
    assert due == utc(2026, 3, 30, 9, 30)  # 10:30 BST


def test_no_working_time_out_of_hours_is_the_next_opening(calendar):
    due = calendar.add_working_time(london(2026, 6, 6, 14, 0), timedelta(0))
    assert due == utc(2026, 6, 8, 8, 0)


def test_negative_working_time_is_refused(calendar):
    with pytest.raises(ValueError, match="delta must be a timedelta of zero or more"):
        calendar.add_working_time(london(2026, 6, 1, 10, 0), timedelta(hours=-1))


# --- add_working_days ----------------------------------------------------------------------


def test_five_working_days_from_monday_ten_are_due_next_monday_at_ten(calendar):
    due = calendar.add_working_days(london(2026, 6, 1, 10, 0), 5)
    assert due == utc(2026, 6, 8, 9, 0)


def test_a_bank_holiday_in_between_pushes_working_days_back_a_day(calendar):
    # Monday 31 Aug 2026 is the late summer bank holiday.
    due = calendar.add_working_days(london(2026, 8, 24, 10, 0), 5)
    assert due == utc(2026, 9, 1, 9, 0)  # Tuesday 10:00 BST


def test_one_working_day_from_thursday_after_friday_closing_time_is_clamped_to_it(calendar):
    due = calendar.add_working_days(london(2026, 6, 4, 16, 45), 1)
    assert due == utc(2026, 6, 5, 15, 30)  # Friday 16:30 BST


def test_working_days_received_out_of_hours_start_at_the_next_opening(calendar):
    due = calendar.add_working_days(london(2026, 6, 5, 18, 0), 1)  # Friday evening
    assert due == utc(2026, 6, 9, 8, 0)  # Tuesday 09:00 BST


def test_working_days_keep_the_local_time_across_the_october_clock_change(calendar):
    # Friday 23 Oct 10:00 BST (09:00 UTC) -> Monday 26 Oct 10:00 GMT (10:00 UTC).
    due = calendar.add_working_days(utc(2026, 10, 23, 9, 0), 1)
    assert due == utc(2026, 10, 26, 10, 0)


def test_working_days_keep_the_local_time_across_the_march_clock_change(calendar):
    # Friday 27 Mar 10:00 GMT (10:00 UTC) -> Monday 30 Mar 10:00 BST (09:00 UTC).
    due = calendar.add_working_days(utc(2026, 3, 27, 10, 0), 1)
    assert due == utc(2026, 3, 30, 9, 0)


def test_one_working_day_from_christmas_eve_2026_is_tuesday_the_29th(calendar):
    due = calendar.add_working_days(london(2026, 12, 24, 11, 0), 1)
    assert due == utc(2026, 12, 29, 11, 0)


def test_one_working_day_from_christmas_eve_2027_skips_both_substitute_days(calendar):
    due = calendar.add_working_days(london(2027, 12, 24, 11, 0), 1)
    assert due == utc(2027, 12, 29, 11, 0)


def test_one_working_day_before_the_moved_may_holiday_of_2020_lands_on_the_monday(calendar):
    due = calendar.add_working_days(london(2020, 5, 7, 10, 0), 1)
    assert due == utc(2020, 5, 11, 9, 0)  # Friday 8 May was the holiday


def test_one_working_day_from_the_friday_before_the_usual_may_monday_of_2020_is_that_monday(
    calendar,
):
    due = calendar.add_working_days(london(2020, 5, 1, 10, 0), 1)
    assert due == utc(2020, 5, 4, 9, 0)


def test_a_council_closure_counts_as_a_non_working_day():
    closed_for_christmas = WorkingCalendar.from_dict({"closures": ["2026-12-29 to 2026-12-31"]})
    due = closed_for_christmas.add_working_days(london(2026, 12, 24, 11, 0), 1)
    assert due == utc(2027, 1, 4, 11, 0)  # 1 Jan 2027 is New Year's Day, a Friday


def test_a_due_time_before_the_due_day_opens_moves_to_its_opening():
    early_friday = WorkingCalendar(
        opening_hours={0: (time(10, 0), time(17, 0)), 4: (time(8, 0), time(16, 0))}
    )
    due = early_friday.add_working_days(london(2026, 6, 5, 8, 30), 1)
    assert due == utc(2026, 6, 8, 9, 0)  # Monday 10:00 BST


def test_zero_working_days_is_when_the_clock_starts(calendar):
    assert calendar.add_working_days(london(2026, 6, 6, 12, 0), 0) == utc(2026, 6, 8, 8, 0)


@pytest.mark.parametrize("days", [-1, 1.5, True, "2"])
def test_working_days_must_be_a_whole_number_of_zero_or_more(calendar, days):
    with pytest.raises(ValueError, match="days must be a whole number"):
        calendar.add_working_days(london(2026, 6, 1, 10, 0), days)


# --- naive datetimes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c, naive: c.is_open(naive),
        lambda c, naive: c.next_opening(naive),
        lambda c, naive: c.add_working_time(naive, timedelta(hours=1)),
        lambda c, naive: c.add_working_days(naive, 1),
    ],
    ids=["is_open", "next_opening", "add_working_time", "add_working_days"],
)
def test_naive_datetimes_are_refused(calendar, call):
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call(calendar, datetime(2026, 6, 1, 10, 0))


# --- working_days_between and opening_window -----------------------------------------------


def test_working_days_between_christmas_eve_and_new_years_eve_2026_are_three(calendar):
    assert calendar.working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3


def test_working_days_between_counts_backwards_as_negative(calendar):
    assert calendar.working_days_between(date(2026, 6, 8), date(2026, 6, 1)) == -5


def test_working_days_between_a_day_and_itself_is_none(calendar):
    assert calendar.working_days_between(date(2026, 6, 1), date(2026, 6, 1)) == 0


def test_the_opening_window_is_given_in_utc(calendar):
    friday = calendar.opening_window(date(2026, 6, 5))
    assert friday == (utc(2026, 6, 5, 8, 0), utc(2026, 6, 5, 15, 30))  # 09:00-16:30 BST


def test_there_is_no_opening_window_on_a_bank_holiday(calendar):
    assert calendar.opening_window(date(2026, 12, 28)) is None


# --- building a calendar -------------------------------------------------------------------


def test_the_default_calendar_is_london_weekdays_with_england_bank_holidays(calendar):
    assert calendar.timezone == "Europe/London"
    assert calendar.bank_holidays == "england"
    assert dict(calendar.opening_hours) == dict(DEFAULT_OPENING_HOURS)
    assert 5 not in calendar.opening_hours and 6 not in calendar.opening_hours


def test_a_calendar_from_a_flow_file_dict_matches_one_built_directly():
    from_flow_file = WorkingCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "hours": {
                "mon": "09:00-17:00",
                "tue": "09:00-17:00",
                "wed": "09:00-17:00",
                "thu": "09:00-17:00",
                "fri": "09:00-16:30",
            },
            "closures": ["2026-12-24"],
            "bank_holidays": "england",
        }
    )
    assert from_flow_file == WorkingCalendar(closures=frozenset({date(2026, 12, 24)}))


def test_equal_calendars_hash_alike_so_they_can_key_a_cache():
    first = WorkingCalendar.from_dict({"closures": ["2026-12-24"]})
    second = WorkingCalendar(closures=frozenset({date(2026, 12, 24)}))
    assert {first: "x"}[second] == "x"


def test_a_flow_file_without_hours_gets_the_default_hours():
    assert WorkingCalendar.from_dict({}).opening_hours == DEFAULT_OPENING_HOURS


def test_flow_file_hours_may_open_saturday_and_close_a_weekday():
    calendar = WorkingCalendar.from_dict(
        {"hours": {"Monday": "08:30-18:00", "tue": "closed", "sat": "10:00-12:00", "sun": None}}
    )
    assert calendar.opening_hours == {0: (time(8, 30), time(18, 0)), 5: (time(10, 0), time(12, 0))}
    assert calendar.is_open(london(2026, 6, 6, 11, 0))  # Saturday
    assert not calendar.is_open(london(2026, 6, 2, 11, 0))  # Tuesday
    assert not calendar.is_open(london(2026, 6, 3, 11, 0))  # Wednesday, not listed


def test_flow_file_closures_may_be_yaml_dates_and_ranges():
    # PyYAML reads an unquoted 2026-12-24 as a date object.
    calendar = WorkingCalendar.from_dict(
        {"closures": [date(2026, 12, 24), "2026-12-29 to 2026-12-31"]}
    )
    assert calendar.closures == {
        date(2026, 12, 24),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    }


@pytest.mark.parametrize("switched_off", ["none", "None", None, False])
def test_flow_file_bank_holidays_can_be_switched_off(switched_off):
    assert WorkingCalendar.from_dict({"bank_holidays": switched_off}).bank_holidays is None


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"hours": {"funday": "09:00-17:00"}}, "unknown day 'funday'"),
        ({"hours": {"mon": "17:00-09:00"}}, "'17:00-09:00' closes at or before it opens"),
        ({"hours": {"mon": "09:00-09:00"}}, "'09:00-09:00' closes at or before it opens"),
        ({"hours": {"mon": "9am-5pm"}}, "hours for mon: expected 'HH:MM-HH:MM', got '9am-5pm'"),
        ({"hours": {"mon": "25:00-26:00"}}, "'25:00-26:00' is not a time of day"),
        ({"hours": {"mon": 9}}, "hours for mon: expected 'HH:MM-HH:MM', got 9"),
        ({"hours": {"mon": "09:00-17:00", "Monday": "10:00-16:00"}}, "'Monday' is given twice"),
        ({"hours": {"sat": "closed", "sun": "closed"}}, "must open on at least one day"),
        ({"hours": ["09:00-17:00"]}, "hours must map day names"),
        ({"closures": ["2026-02-30"]}, "'2026-02-30' is not a real date"),
        ({"closures": ["24/12/2026"]}, "closure '24/12/2026': expected a date 'YYYY-MM-DD'"),
        ({"closures": ["2026-12-31 to 2026-12-29"]}, "ends before it starts"),
        ({"closures": [20261224]}, "closure must be a date 'YYYY-MM-DD', got 20261224"),
        ({"closures": "2026-12-24"}, "closures must be a list of dates"),
        ({"timezone": "Europe/Lundun"}, "unknown timezone 'Europe/Lundun'"),
        ({"bank_holidays": "scotland"}, "bank_holidays must be england or none, got 'scotland'"),
        ({"opening": {"mon": "09:00-17:00"}}, "unknown setting(s): opening"),
    ],
)
def test_a_bad_flow_file_calendar_is_refused_naming_the_problem(settings, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        WorkingCalendar.from_dict(settings)


def test_a_flow_file_calendar_that_is_not_a_mapping_is_refused():
    with pytest.raises(ValueError, match="calendar must be a mapping, got list"):
        WorkingCalendar.from_dict(["09:00-17:00"])


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"opening_hours": {7: (time(9), time(17))}}, "weekday must be 0 (Monday) to 6, got 7"),
        ({"opening_hours": {0: (time(17), time(9))}}, "close (09:00) at or before they open"),
        ({"opening_hours": {0: ("09:00", "17:00")}}, "must be two times"),
        ({"opening_hours": {}}, "must open on at least one day"),
        ({"closures": frozenset({datetime(2026, 12, 24, 9)})}, "closures must be dates"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown timezone"),
        ({"bank_holidays": "ENG"}, "bank_holidays must be one of: england"),
    ],
)
def test_a_calendar_built_in_code_is_checked_too(arguments, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        WorkingCalendar(**arguments)

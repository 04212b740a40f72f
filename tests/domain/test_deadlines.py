"""Warnings before a deadline, and retry times that fit the deadline and the caller's evening."""

from datetime import UTC, datetime, timedelta

from callrouter.domain.deadlines import RetryPolicy, warning_time

T = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, GMT


def test_a_section_47_call_back_warns_half_way_through_its_hour():
    assert warning_time(T, T + timedelta(hours=1), "s47") == T + timedelta(minutes=30)


def test_a_48_hour_call_back_warns_at_three_quarters_of_its_window():
    assert warning_time(T, T + timedelta(hours=48), "level2") == T + timedelta(hours=36)


def test_a_short_window_still_warns_at_least_ten_minutes_before_the_deadline():
    assert warning_time(T, T + timedelta(minutes=16), "level2") == T + timedelta(minutes=6)
    assert warning_time(T, T + timedelta(minutes=5), "s47") == T


def test_retries_are_spread_over_the_time_left_before_the_deadline():
    policy = RetryPolicy(max_attempts=3)
    assert policy.next_attempt(T, T + timedelta(minutes=45), 1, "s47") == T + timedelta(minutes=15)


def test_retries_are_never_closer_than_the_shortest_gap():
    policy = RetryPolicy(max_attempts=3)
    assert policy.next_attempt(T, T + timedelta(minutes=3), 1, "s47") == T + timedelta(minutes=5)
    assert policy.next_attempt(T, T - timedelta(minutes=3), 1, "s47") == T + timedelta(minutes=5)


def test_after_the_last_attempt_there_is_no_next_one():
    assert RetryPolicy(max_attempts=3).next_attempt(T, T + timedelta(hours=1), 3, "s47") is None


def test_a_non_urgent_retry_waits_for_the_morning_instead_of_ringing_late_at_night():
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    at = RetryPolicy().next_attempt(evening, evening + timedelta(hours=12), 1, "level2")
    assert at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # not 00:30


def test_an_early_morning_retry_moves_to_eight_uk_time_in_summer():
    dawn = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 06:00 BST
    at = RetryPolicy(shortest_gap=timedelta(minutes=5)).next_attempt(
        dawn, dawn + timedelta(minutes=30), 1, "level2"
    )
    assert at == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # 08:00 BST


def test_a_section_47_retry_ignores_quiet_hours():
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    at = RetryPolicy().next_attempt(night, night + timedelta(minutes=40), 1, "s47")
    assert at == night + timedelta(minutes=13, seconds=20)


def test_a_level_the_edt_covers_is_retried_at_night_like_section_47():
    night = datetime(2026, 11, 25, 20, 50, tzinfo=UTC)  # high-risk domestic abuse, due 21:30
    policy = RetryPolicy()
    # Not covered: the last minutes before quiet hours, as the morning is past the deadline.
    assert policy.next_attempt(
        night, night + timedelta(minutes=40), 1, "domestic_abuse_high"
    ) == datetime(2026, 11, 25, 20, 55, tzinfo=UTC)
    assert policy.next_attempt(
        night, night + timedelta(minutes=40), 1, "domestic_abuse_high", urgent=True
    ) == night + timedelta(minutes=13, seconds=20)


def test_working_time_warns_at_three_quarters_of_the_open_time_not_of_the_clock():
    from callrouter.domain.calendar import WorkingCalendar
    from callrouter.domain.timescales import WorkingHours

    office = WorkingCalendar.from_dict(
        {
            "hours": {
                "mon": "09:00-17:00",
                "tue": "09:00-17:00",
                "wed": "09:00-17:00",
                "thu": "09:00-17:00",
                "fri": "09:00-16:30",
            }
        }
    )
    friday_night = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    due = WorkingHours(4).due_at(friday_night, office)
    assert due == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 13:00
    # Three of the four open hours gone: Monday at noon, not Sunday evening.
    assert warning_time(friday_night, due, "out_of_hours", office) == datetime(
        2026, 11, 30, 12, 0, tzinfo=UTC
    )
    assert warning_time(friday_night, due, "out_of_hours") < datetime(2026, 11, 30, tzinfo=UTC)


def test_a_level_the_edt_covers_warns_half_way_like_section_47():
    assert warning_time(
        T, T + timedelta(hours=1), "domestic_abuse_high", urgent=True
    ) == T + timedelta(minutes=30)


def test_a_deadline_with_no_open_time_before_it_warns_at_once_given_the_calendar():
    from callrouter.domain.calendar import WorkingCalendar

    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    sunday = saturday + timedelta(hours=24)
    assert warning_time(saturday, sunday, "public_concern", WorkingCalendar()) == saturday


def test_a_retry_the_morning_would_make_late_is_tried_before_quiet_hours_instead():
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # a level 2 call-back due at 22:00
    policy = RetryPolicy()
    at = policy.next_attempt(evening, evening + timedelta(minutes=90), 2, "level2")
    assert at == datetime(2026, 11, 23, 20, 55, tzinfo=UTC)  # not 08:00, ten hours late
    # In summer, 20:55 BST.
    summer = datetime(2026, 6, 15, 19, 30, tzinfo=UTC)
    assert policy.next_attempt(summer, summer + timedelta(minutes=90), 2, "level2") == (
        datetime(2026, 6, 15, 19, 55, tzinfo=UTC)
    )


def test_with_no_room_left_before_quiet_hours_a_late_retry_waits_for_the_morning():
    policy = RetryPolicy()
    too_late = datetime(2026, 11, 23, 20, 57, tzinfo=UTC)
    assert policy.next_attempt(too_late, too_late + timedelta(minutes=60), 2, "level2") == (
        datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    )
    # Past its deadline already: the morning, not the night.
    night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    assert policy.next_attempt(night, night - timedelta(minutes=30), 2, "level2") == (
        datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    )


OFFICE = {
    "hours": {
        "mon": "09:00-17:00",
        "tue": "09:00-17:00",
        "wed": "09:00-17:00",
        "thu": "09:00-17:00",
        "fri": "09:00-17:00",
    }
}


def test_a_48_hour_call_back_is_tried_over_its_open_time_not_all_in_one_afternoon():
    from callrouter.domain.calendar import WorkingCalendar

    office, policy = WorkingCalendar.from_dict(OFFICE), RetryPolicy()
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    due = monday + timedelta(hours=48)  # Wednesday 10:00: 16 open hours left
    second = policy.next_attempt(monday, due, 1, "level2", calendar=office)
    assert second == datetime(2026, 11, 23, 15, 20, tzinfo=UTC)  # a third of the open time
    third = policy.next_attempt(second, due, 2, "level2", calendar=office)
    assert third == datetime(2026, 11, 24, 12, 40, tzinfo=UTC)  # Tuesday, in office hours
    # Without the calendar too, the tries are spread over the time left, not 4 hours apart.
    assert policy.next_attempt(monday, due, 1, "level2") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_retries_spread_over_five_working_days_count_office_hours_across_the_clock_change():
    from callrouter.domain.calendar import WorkingCalendar

    office, policy = WorkingCalendar.from_dict(OFFICE), RetryPolicy()
    friday = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # 16:00 BST; clocks go back on Sunday
    due = office.add_working_days(friday, 5)  # Friday 30 October, 16:00 GMT
    assert due == datetime(2026, 10, 30, 16, 0, tzinfo=UTC)
    # 40 open hours left, a third of them on: Friday's last hour, Monday, and 4h20 on Tuesday,
    # which opens at 09:00 GMT (09:00 UTC), not 08:00 UTC as it did before the change.
    assert policy.next_attempt(friday, due, 1, "level2", calendar=office) == datetime(
        2026, 10, 27, 13, 20, tzinfo=UTC
    )


def test_with_no_open_time_before_the_deadline_retries_keep_to_the_clock_and_quiet_hours():
    from callrouter.domain.calendar import WorkingCalendar

    office, policy = WorkingCalendar.from_dict(OFFICE), RetryPolicy()
    evening = datetime(2026, 11, 28, 20, 30, tzinfo=UTC)  # Saturday, due at 22:00
    assert policy.next_attempt(
        evening, evening + timedelta(minutes=90), 2, "level2", calendar=office
    ) == datetime(2026, 11, 28, 20, 55, tzinfo=UTC)

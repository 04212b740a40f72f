from datetime import UTC, date, datetime, timedelta

import pytest

from callrouter.domain.rota import (
    RotaError,
    Shift,
    join_overlapping,
    join_touching,
    local_span,
    parse_rota,
    uncovered,
)
from callrouter.domain.vocabulary import Role, Skill

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"


def rota(*rows: str):
    return parse_rota(HEADER + "\n".join(rows) + "\n")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def only_shift(parsed, start, end):
    shifts = parsed.shifts_between(start, end)
    assert len(shifts) == 1, shifts
    return shifts[0]


def test_a_rota_gives_each_person_once_with_all_their_shift_patterns():
    parsed = rota(
        "SW01,Aisha Khan,social_worker,duty desk,domestic_abuse; exploitation,,Mon,09:00,17:00",
        "SW01,Aisha Khan,social_worker,duty desk,domestic_abuse; exploitation,,Tue,09:00,17:00",
        "EH01,Gemma Nelson,Early Help Officer,duty desk,,2025-10-25,,10:00,14:00",
    )

    assert [m.ref for m in parsed.staff] == ["SW01", "EH01"]
    aisha = parsed.member("SW01")
    assert aisha.role == Role.SOCIAL_WORKER
    assert aisha.skills == {Skill.DOMESTIC_ABUSE, Skill.EXPLOITATION}
    assert parsed.member("EH01").role == Role.EARLY_HELP_OFFICER
    assert len(parsed.patterns) == 3


def test_spreadsheet_habits_are_accepted_a_byte_order_mark_day_names_and_blank_lines():
    parsed = parse_rota(
        "\ufeff" + HEADER + "SW01,A,social_worker,t,,,monday,9:00,17:00\n,,,,,,,,\n"
    )

    assert parsed.patterns[0].weekday == 0
    assert parsed.patterns[0].start_minute == 9 * 60


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("SW01,A,wizard,t,,,Mon,09:00,17:00", "unknown role 'wizard'"),
        ("SW01,A,social_worker,t,telepathy,,Mon,09:00,17:00", "unknown skill 'telepathy'"),
        ("SW01,A,social_worker,t,,2025-10-20,Mon,09:00,17:00", "not both"),
        ("SW01,A,social_worker,t,,,,09:00,17:00", "fill in date"),
        ("SW01,A,social_worker,t,,2025-13-01,,09:00,17:00", "not a YYYY-MM-DD date"),
        ("SW01,A,social_worker,t,,,Funday,09:00,17:00", "weekday 'Funday'"),
        ("SW01,A,social_worker,t,,,Mon,9am,17:00", "start '9am' is not a HH:MM time"),
        ("SW01,A,social_worker,t,,,Mon,09:00,25:00", "end '25:00' is not a time of day"),
        ("SW01,A,social_worker,t,,,Mon,24:00,08:00", "24:00 is allowed as an end"),
        (",A,social_worker,t,,,Mon,09:00,17:00", "staff_ref is empty"),
        ("SW01,A,social_worker,t,,,Mon,09:00,17:00,extra", "too many fields"),
        ("SW01,A,social_worker,t,,,Mon,09:00", "too few fields"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_number_and_the_problem(row, problem):
    good = "SW02,B,social_worker,t,,,Tue,09:00,17:00"

    with pytest.raises(RotaError) as caught:
        rota(good, row)

    assert caught.value.line == 3
    assert problem in str(caught.value)
    assert str(caught.value).startswith("rota line 3: ")


def test_rows_for_one_person_that_disagree_are_an_error_naming_both_lines():
    with pytest.raises(RotaError, match=r"rota line 3: .*from line 2"):
        rota(
            "SW01,A,social_worker,t,,,Mon,09:00,17:00",
            "SW01,A,senior_social_worker,t,,,Tue,09:00,17:00",
        )


def test_a_missing_column_or_an_empty_rota_is_an_error_on_line_one():
    with pytest.raises(RotaError, match="rota line 1: missing column.*weekday"):
        parse_rota("staff_ref,name,role,team,skills,date,start,end\n")
    with pytest.raises(RotaError, match="rota line 1: the rota is empty"):
        parse_rota("")
    with pytest.raises(RotaError, match="no shifts"):
        parse_rota(HEADER)


def test_a_winter_day_shift_is_the_same_hours_in_utc():
    parsed = rota("SW01,A,social_worker,t,,,Mon,09:00,17:00")

    shift = only_shift(parsed, utc(2025, 11, 3), utc(2025, 11, 4))

    assert (shift.starts_at, shift.ends_at) == (utc(2025, 11, 3, 9), utc(2025, 11, 3, 17))


def test_a_summer_day_shift_is_an_hour_earlier_in_utc():
    parsed = rota("SW01,A,social_worker,t,,,Mon,09:00,17:00")

    shift = only_shift(parsed, utc(2025, 7, 7), utc(2025, 7, 8))

    assert (shift.starts_at, shift.ends_at) == (utc(2025, 7, 7, 8), utc(2025, 7, 7, 16))


def test_an_end_at_or_before_the_start_runs_past_midnight():
    parsed = rota("SW01,A,social_worker,t,,,Mon,22:00,06:00")

    shift = only_shift(parsed, utc(2025, 11, 3, 12), utc(2025, 11, 4))

    assert (shift.starts_at, shift.ends_at) == (utc(2025, 11, 3, 22), utc(2025, 11, 4, 6))


def test_a_night_shift_over_the_autumn_clock_change_lasts_an_hour_longer():
    parsed = rota("SW01,A,social_worker,t,,,Sat,20:00,04:00")

    shift = only_shift(parsed, utc(2025, 10, 25, 12), utc(2025, 10, 26, 12))

    assert shift.starts_at == utc(2025, 10, 25, 19)  # 20:00 BST
    assert shift.ends_at == utc(2025, 10, 26, 4)  # 04:00 GMT
    assert shift.duration == timedelta(hours=9)


def test_a_night_shift_over_the_spring_clock_change_lasts_an_hour_less():
    parsed = rota("SW01,A,social_worker,t,,,Sat,22:00,06:00")

    shift = only_shift(parsed, utc(2025, 3, 29, 12), utc(2025, 3, 30, 12))

    assert shift.starts_at == utc(2025, 3, 29, 22)  # 22:00 GMT
    assert shift.ends_at == utc(2025, 3, 30, 5)  # 06:00 BST
    assert shift.duration == timedelta(hours=7)


def test_a_full_day_to_24_00_on_the_day_the_clocks_go_back_lasts_25_hours():
    parsed = rota("SW01,A,social_worker,t,,2025-10-26,,00:00,24:00")

    shift = only_shift(parsed, utc(2025, 10, 26), utc(2025, 10, 27))

    assert shift.duration == timedelta(hours=25)


def test_an_end_of_00_00_means_the_coming_midnight():
    parsed = rota("SW01,A,social_worker,t,,,Mon,16:00,00:00")

    shift = only_shift(parsed, utc(2025, 11, 3, 12), utc(2025, 11, 4))

    assert shift.ends_at == utc(2025, 11, 4, 0)


def test_shifts_between_includes_one_already_running_and_excludes_ones_outside():
    parsed = rota(
        "N1,Night,social_worker,t,,,Sun,20:00,08:00",
        "D1,Day,social_worker,t,,,Mon,09:00,17:00",
        "D2,Day,social_worker,t,,,Tue,09:00,17:00",
    )

    shifts = parsed.shifts_between(utc(2025, 11, 3, 0), utc(2025, 11, 3, 23, 59))

    assert [s.staff_ref for s in shifts] == ["N1", "D1"]


def test_a_one_off_date_gives_a_shift_on_that_day_only():
    parsed = rota("X1,A,social_worker,t,,2025-10-25,,10:00,14:00")

    assert len(parsed.shifts_between(utc(2025, 10, 1), utc(2025, 11, 30))) == 1
    assert parsed.patterns[0].on_date == date(2025, 10, 25)


def test_back_to_back_shifts_join_into_one_so_a_shift_end_is_a_real_sign_off():
    parsed = rota(
        "SW01,A,social_worker,t,,,Mon,08:00,12:00",
        "SW01,A,social_worker,t,,,Mon,12:00,16:00",
        "SW02,B,social_worker,t,,,Mon,08:00,12:00",
        "SW02,B,social_worker,t,,,Mon,13:00,16:00",
    )

    joined = join_touching(parsed.shifts_between(utc(2025, 11, 3), utc(2025, 11, 4)))

    assert joined == [
        Shift("SW01", utc(2025, 11, 3, 8), utc(2025, 11, 3, 16)),
        Shift("SW02", utc(2025, 11, 3, 8), utc(2025, 11, 3, 12)),
        Shift("SW02", utc(2025, 11, 3, 13), utc(2025, 11, 3, 16)),
    ]
    on_at_noon = parsed.on_shift_at(utc(2025, 11, 3, 12, 30))
    assert [(s.staff_ref, s.ends_at) for s in on_at_noon] == [("SW01", utc(2025, 11, 3, 16))]


def test_a_one_off_longer_shift_on_a_weekly_shifts_day_is_one_shift_to_its_later_end():
    parsed = rota(
        "SW01,A,social_worker,t,,,Mon,09:00,17:00",
        "SW01,A,social_worker,t,,2026-06-01,,09:00,20:00",  # a late duty that Monday
        "SW01,A,social_worker,t,,2026-06-01,,16:00,18:00",  # and a cover stint inside it
    )

    joined = join_overlapping(parsed.shifts_between(utc(2026, 6, 1), utc(2026, 6, 2)))

    assert joined == [Shift("SW01", utc(2026, 6, 1, 8), utc(2026, 6, 1, 19))]


def test_joining_overlaps_keeps_back_to_back_shifts_and_other_people_apart():
    parsed = rota(
        "N1,A,social_worker,t,,,Sun,20:00,24:00",
        "N1,A,social_worker,t,,,Mon,00:00,08:00",
        "D1,B,social_worker,t,,,Mon,07:00,15:00",
    )

    joined = join_overlapping(parsed.shifts_between(utc(2025, 11, 2, 12), utc(2025, 11, 3, 12)))

    assert joined == [
        Shift("N1", utc(2025, 11, 2, 20), utc(2025, 11, 3, 0)),
        Shift("N1", utc(2025, 11, 3, 0), utc(2025, 11, 3, 8)),
        Shift("D1", utc(2025, 11, 3, 7), utc(2025, 11, 3, 15)),
    ]


def test_a_line_the_csv_reader_itself_refuses_is_an_error_naming_it():
    too_long = 'SW02,"' + "x" * 200_000 + '",social_worker,t,,,Tue,09:00,17:00'

    with pytest.raises(RotaError, match=r"rota line 3: not readable as CSV"):
        rota("SW01,A,social_worker,t,,,Mon,09:00,17:00", too_long)


def test_shifts_between_refuses_a_time_without_a_zone():
    parsed = rota("SW01,A,social_worker,t,,,Mon,09:00,17:00")

    with pytest.raises(ValueError, match="timezone-aware"):
        parsed.shifts_between(datetime(2025, 11, 3), utc(2025, 11, 4))


def test_a_column_named_twice_is_an_error_not_a_silent_choice():
    with pytest.raises(RotaError, match="rota line 1: column.s. start named twice"):
        parse_rota(
            "staff_ref,name,role,team,skills,date,weekday,start,end,start\n"
            "SW01,A,social_worker,t,,,Mon,09:00,17:00,10:00\n"
        )


def test_a_dated_row_with_no_times_is_a_day_off_from_every_shift_starting_that_day():
    parsed = rota(
        "SW01,A,social_worker,t,,,Fri,09:00,17:00",
        "SW01,A,social_worker,t,,,Thu,22:00,07:00",
        "SW01,A,social_worker,t,,2027-03-19,,,",  # annual leave
        "SW02,B,social_worker,t,,,Fri,09:00,17:00",
    )
    leave_day_noon = datetime(2027, 3, 19, 12, 0, tzinfo=UTC)
    assert [s.staff_ref for s in parsed.on_shift_at(leave_day_noon)] == ["SW02"]
    # The night that began the day before still runs into the morning.
    assert [s.staff_ref for s in parsed.on_shift_at(leave_day_noon.replace(hour=6))] == ["SW01"]
    assert [s.staff_ref for s in parsed.on_shift_at(leave_day_noon - timedelta(days=7))] == [
        "SW01",
        "SW02",
    ]


def test_a_day_off_needs_a_date_and_a_rota_of_days_off_has_no_shifts():
    with pytest.raises(RotaError, match="rota line 2: a day off .* needs a date"):
        rota("SW01,A,social_worker,t,,,Fri,,")
    with pytest.raises(RotaError, match="no shifts"):
        rota("SW01,A,social_worker,t,,2027-03-26,,,")


def test_on_a_bank_holiday_weekly_rows_give_the_front_door_no_shift_but_the_edt_works():
    parsed = rota(
        "SW01,A,social_worker,MASH,,,Fri,09:00,17:00",
        "PM01,P,practice_manager,MASH,,,Fri,09:00,17:00",
        "ED01,E,edt_social_worker,EDT,,,Fri,09:00,17:00",
    )
    christmas_noon = utc(2026, 12, 25, 12)  # a Friday
    assert [s.staff_ref for s in parsed.on_shift_at(christmas_noon)] == ["ED01"]
    assert [s.staff_ref for s in parsed.on_shift_at(christmas_noon - timedelta(days=7))] == [
        "ED01",
        "PM01",
        "SW01",
    ]


def test_someone_working_a_bank_holiday_is_written_in_as_a_dated_row():
    parsed = rota(
        "SW01,A,social_worker,MASH,,,Mon,09:00,17:00",
        "SW02,B,social_worker,MASH,,,Mon,09:00,17:00",
        "SW02,B,social_worker,MASH,,2027-03-29,,10:00,14:00",  # Easter Monday
    )
    shifts = parsed.shifts_between(utc(2027, 3, 29), utc(2027, 3, 30))
    assert [(s.staff_ref, s.starts_at.hour, s.ends_at.hour) for s in shifts] == [
        ("SW02", 9, 13)
    ]  # 10:00 to 14:00 BST


def test_the_weekly_shifts_a_bank_holiday_leaves_out_are_listed_for_the_rota_manager():
    parsed = rota(
        "SW01,A,social_worker,MASH,,,Fri,09:00,17:00",
        "SW02,B,social_worker,MASH,,,Mon,09:00,17:00",
        "SW02,B,social_worker,MASH,,2026-12-28,,09:00,13:00",  # written in for Boxing Day
        "SW03,D,social_worker,MASH,,,Mon,09:00,17:00",
        "EH01,C,early_help_officer,Hub,,,Fri,09:00,17:00",
        "ED01,E,edt_social_worker,EDT,,,Fri,09:00,17:00",
    )
    assert parsed.bank_holidays_left_out(utc(2026, 12, 21), utc(2027, 1, 4)) == [
        (date(2026, 12, 25), "Christmas Day", ("EH01", "SW01")),
        (date(2026, 12, 28), "Boxing Day (observed)", ("SW03",)),
        (date(2027, 1, 1), "New Year's Day", ("EH01", "SW01")),
    ]
    assert parsed.bank_holidays_left_out(utc(2026, 11, 30), utc(2026, 12, 14)) == []


def test_the_hours_of_a_day_nobody_is_on_shift_are_found():
    parsed = rota(
        "ED01,E,edt_social_worker,EDT,,,Mon,00:00,08:00",
        "ED02,F,edt_social_worker,EDT,,,Mon,12:00,13:00",
        "ED03,G,edt_social_worker,EDT,,,Mon,12:30,17:00",
        "SW01,A,social_worker,MASH,,,Mon,09:00,17:00",  # off: Easter Monday
    )
    easter_monday = date(2027, 3, 29)  # BST: 09:00 is 08:00 UTC

    def gaps(start_minute, end_minute):
        starts_at, ends_at = local_span(easter_monday, start_minute, end_minute)
        return uncovered(parsed.shifts_between(starts_at, ends_at), starts_at, ends_at)

    assert gaps(9 * 60, 17 * 60) == [(utc(2027, 3, 29, 8), utc(2027, 3, 29, 11))]
    assert gaps(12 * 60 + 15, 16 * 60) == []

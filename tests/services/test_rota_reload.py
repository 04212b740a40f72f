"""Reloading the rota a manager edits: the shifts ahead follow it, the past stays as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter import cli
from callrouter.config import Settings
from callrouter.db.console_models import TaskReallocation
from callrouter.db.models import Shift, Staff, Task
from callrouter.domain.rota import RotaError, join_overlapping, parse_rota
from callrouter.services.allocation import on_shift_now, release_unreachable_holders
from callrouter.services.staff import (
    DEFAULT_HORIZON,
    DEMO_TEAM,
    load_rota,
    load_rota_file,
    load_rota_files,
)
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff, create_task

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"
NOW = datetime(2026, 6, 2, 13, 0, tzinfo=UTC)  # Tuesday 2 June, 14:00 in London
MORNING = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # 08:00 in London, before the day shifts


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def csv(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def ann(when: str, start: str, end: str) -> str:
    return _row("SW01", "Ann", when, start, end)


def bob(when: str, start: str, end: str) -> str:
    return _row("SW02", "Bob", when, start, end)


def _row(ref: str, name: str, when: str, start: str, end: str) -> str:
    day, weekday = (when, "") if when[0].isdigit() else ("", when)
    return f"{ref},{name},social_worker,mash,,{day},{weekday},{start},{end}"


def _uow(runtime):
    return runtime.unit_of_work(NoDispatcher())


def load(runtime, text: str, now: datetime) -> int:
    with _uow(runtime) as uow:
        return load_rota(uow, parse_rota(text), now)


def stored(runtime) -> list[tuple[str, datetime, datetime]]:
    with _uow(runtime) as uow:
        rows = uow.session.execute(
            select(Staff.ref, Shift.starts_at, Shift.ends_at)
            .join(Shift.staff)
            .order_by(Staff.ref, Shift.starts_at)
        ).all()
    return [tuple(row) for row in rows]


def stored_today(runtime) -> list[tuple[str, datetime, datetime]]:
    """The stored shifts starting on Tuesday 2 June, leaving out the weeks ahead."""
    return [row for row in stored(runtime) if row[1].date() == NOW.date()]


def staff_id(runtime, ref: str) -> int:
    with _uow(runtime) as uow:
        return uow.session.scalar(select(Staff.id).where(Staff.ref == ref))


def test_shifts_not_yet_begun_are_changed_removed_and_added_as_the_rota_now_says(runtime):
    load(
        runtime, csv(ann("2026-06-03", "09:00", "17:00"), bob("2026-06-03", "09:00", "17:00")), NOW
    )

    cara = "SW03,Cara,social_worker,mash,,2026-06-03,,10:00,18:00"
    load(runtime, csv(ann("2026-06-03", "09:00", "13:00"), cara), NOW)

    assert stored(runtime) == [
        ("SW01", utc(2026, 6, 3, 8), utc(2026, 6, 3, 12)),  # cut short to 13:00 BST
        ("SW03", utc(2026, 6, 3, 9), utc(2026, 6, 3, 17)),  # added; Bob's removed
    ]
    with _uow(runtime) as uow:
        assert not on_shift_now(uow, staff_id(runtime, "SW02"), utc(2026, 6, 3, 14))
        assert uow.session.scalar(select(Staff.name).where(Staff.ref == "SW02")) == "Bob"


def test_after_a_reload_every_shift_ahead_to_the_horizon_is_exactly_the_rotas(runtime):
    first = csv(
        *(ann(day, "09:00", "17:00") for day in ("Mon", "Tue", "Wed", "Thu", "Fri")),
        bob("Sat", "20:00", "08:00"),
        bob("Sun", "20:00", "08:00"),
    )
    edited = csv(
        ann("Mon", "09:00", "17:00"),
        ann("Wed", "12:00", "20:00"),
        ann("2026-06-10", "09:00", "21:00"),
        bob("Sat", "20:00", "06:00"),
        bob("Tue", "09:00", "17:00"),
    )
    now = NOW - timedelta(days=20)  # the clocks stay put in these weeks
    load(runtime, first, now - timedelta(hours=6))

    load(runtime, edited, now)

    rota_ahead = [
        (shift.staff_ref, shift.starts_at, shift.ends_at)
        for shift in join_overlapping(parse_rota(edited).shifts_between(now, now + DEFAULT_HORIZON))
        if shift.starts_at > now
    ]
    stored_ahead = [row for row in stored(runtime) if row[1] > now]
    assert stored_ahead == sorted(rota_ahead)
    assert max(row[2] for row in stored_ahead) > now + DEFAULT_HORIZON - timedelta(days=1)


def test_someone_taken_off_the_rota_keeps_their_past_and_stops_now(runtime):
    weekdays = ("Mon", "Tue", "Wed", "Thu", "Fri")
    load(
        runtime,
        csv(ann("Tue", "09:00", "17:00"), *(bob(day, "09:00", "17:00") for day in weekdays)),
        MORNING,
    )

    load(runtime, csv(ann("Tue", "09:00", "17:00")), NOW)

    assert [row for row in stored(runtime) if row[0] == "SW02"] == [
        ("SW02", utc(2026, 6, 1, 8), utc(2026, 6, 1, 16)),  # Monday: history, kept
        ("SW02", utc(2026, 6, 2, 8), NOW),  # today's shift: it began, and it ends now
    ]
    with _uow(runtime) as uow:
        assert not on_shift_now(uow, staff_id(runtime, "SW02"), NOW)
        assert on_shift_now(uow, staff_id(runtime, "SW01"), NOW)


def test_a_shift_under_way_cut_short_to_a_time_already_past_ends_now(runtime):
    load(runtime, csv(ann("Tue", "09:00", "17:00")), MORNING)

    load(runtime, csv(ann("Tue", "09:00", "13:00")), NOW)  # sent home at 14:00

    assert stored_today(runtime) == [("SW01", utc(2026, 6, 2, 8), NOW)]
    with _uow(runtime) as uow:
        assert not on_shift_now(uow, staff_id(runtime, "SW01"), NOW)


def test_a_shift_under_way_keeps_its_start_and_takes_the_rotas_new_end(runtime):
    load(runtime, csv(ann("Tue", "09:00", "17:00")), MORNING)

    load(runtime, csv(ann("Tue", "10:00", "15:00")), NOW)

    assert stored_today(runtime) == [("SW01", utc(2026, 6, 2, 8), utc(2026, 6, 2, 14))]


def test_a_shift_put_back_after_being_cut_short_starts_again_now(runtime):
    day_shift = csv(ann("Tue", "09:00", "17:00"))
    load(runtime, day_shift, MORNING)
    load(runtime, csv(bob("Tue", "09:00", "17:00")), MORNING + timedelta(hours=3))

    load(runtime, day_shift, NOW)

    assert [row for row in stored_today(runtime) if row[0] == "SW01"] == [
        ("SW01", utc(2026, 6, 2, 8), utc(2026, 6, 2, 10)),  # what was, between 11:00 and 14:00
        ("SW01", NOW, utc(2026, 6, 2, 16)),
    ]


def test_a_first_load_during_a_night_records_it_from_the_evening_it_began(runtime):
    night = csv(ann("Mon", "20:00", "24:00"), ann("Tue", "00:00", "08:00"))

    load(runtime, night, utc(2026, 6, 2, 1))  # 02:00 on Tuesday

    assert stored(runtime)[:2] == [
        ("SW01", utc(2026, 6, 1, 19), utc(2026, 6, 1, 23)),
        ("SW01", utc(2026, 6, 1, 23), utc(2026, 6, 2, 7)),
    ]


def test_loading_the_same_rota_again_changes_nothing(runtime):
    rota = csv(
        ann("Mon", "20:00", "24:00"),
        ann("Tue", "00:00", "08:00"),
        ann("Tue", "09:00", "17:00"),
        bob("2026-06-02", "10:00", "18:00"),
        bob("Wed", "09:00", "17:00"),
        bob("2026-06-03", "09:00", "19:00"),
    )
    load(runtime, rota, NOW)
    with _uow(runtime) as uow:
        first = uow.session.execute(select(Shift.id, Shift.starts_at, Shift.ends_at)).all()

    assert load(runtime, rota, NOW) == 0
    load(runtime, rota, NOW + timedelta(hours=6))  # the worker's next refresh

    with _uow(runtime) as uow:
        again = uow.session.execute(select(Shift.id, Shift.starts_at, Shift.ends_at)).all()
    assert set(first) <= set(again)
    assert len(again) - len(first) <= 1  # at most a shift come into the horizon


def test_a_one_off_longer_shift_on_a_weekly_shifts_day_is_stored_to_its_later_end(runtime):
    weekly = ann("Mon", "09:00", "17:00")
    load(runtime, csv(weekly), NOW)

    load(runtime, csv(weekly, ann("2026-06-08", "09:00", "20:00")), NOW)  # a late duty

    assert [row for row in stored(runtime) if row[1].date().isoformat() == "2026-06-08"] == [
        ("SW01", utc(2026, 6, 8, 8), utc(2026, 6, 8, 19)),
    ]
    with _uow(runtime) as uow:
        assert on_shift_now(uow, staff_id(runtime, "SW01"), utc(2026, 6, 8, 17, 30))


def test_overlapping_shifts_under_way_left_by_an_older_load_carry_on_as_one(runtime):
    with _uow(runtime) as uow:
        worker = create_staff(uow, "SW01", "social_worker", starts=utc(2026, 6, 2, 8))
        uow.session.add(
            Shift(staff_id=worker.id, starts_at=utc(2026, 6, 2, 10), ends_at=utc(2026, 6, 2, 19))
        )
        uow.commit()

    load(runtime, csv(ann("Tue", "09:00", "17:00"), ann("2026-06-02", "11:00", "20:00")), NOW)

    assert stored_today(runtime) == [
        ("SW01", utc(2026, 6, 2, 8), utc(2026, 6, 2, 19)),
        ("SW01", utc(2026, 6, 2, 10), NOW),
    ]


def test_a_call_back_held_by_someone_taken_off_shift_goes_back_at_the_next_sweep(runtime):
    load(runtime, csv(ann("Tue", "09:00", "17:00"), bob("Tue", "09:00", "17:00")), MORNING)
    with _uow(runtime) as uow:
        holder = uow.session.get(Staff, staff_id(runtime, "SW02"))
        task = create_task(
            uow,
            created=NOW - timedelta(minutes=10),
            due_in=timedelta(hours=4),
            status="allocated",
            assignee=holder,
        )
        task.allocated_at = NOW - timedelta(minutes=10)
        uow.commit()
        task_id = task.id

    load(runtime, csv(ann("Tue", "09:00", "17:00")), NOW)  # Bob sent home

    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW + timedelta(minutes=1)) == [task_id]
        task = uow.session.get(Task, task_id)
        assert (task.status, task.assignee_id) == ("unallocated", None)


@pytest.mark.parametrize(
    "corrected",
    [
        "SW02,Bob,early_help_officer,support_hub,,,Tue,09:00,17:00",  # not a social worker
        "SW02,Bob,social_worker,mash,,,Tue,09:00,17:00",  # no longer listed with the skill
    ],
)
def test_a_call_back_its_holder_can_no_longer_take_after_a_rota_correction_goes_back(
    runtime, corrected
):
    # The rota manager corrects a role or a skill: a call-back the holder is now not
    # qualified to make must not stay with them until they notice.
    load(
        runtime,
        csv(
            ann("Tue", "09:00", "17:00"),
            "SW02,Bob,social_worker,mash,domestic_abuse,,Tue,09:00,17:00",
        ),
        MORNING,
    )
    with _uow(runtime) as uow:
        holder = uow.session.get(Staff, staff_id(runtime, "SW02"))
        task = create_task(
            uow,
            created=NOW - timedelta(minutes=10),
            due_in=timedelta(hours=4),
            status="allocated",
            assignee=holder,
            skill="domestic_abuse",
        )
        task.allocated_at = NOW - timedelta(minutes=10)
        uow.commit()
        task_id = task.id
    with _uow(runtime) as uow:  # as first loaded, Bob keeps it
        assert release_unreachable_holders(uow, NOW) == []

    load(runtime, csv(ann("Tue", "09:00", "17:00"), corrected), NOW)

    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW + timedelta(minutes=1)) == [task_id]
        task = uow.session.get(Task, task_id)
        assert (task.status, task.assignee_id) == ("unallocated", None)
        move = uow.session.scalar(
            select(TaskReallocation).where(TaskReallocation.task_id == task_id)
        )
        assert move.reason == (
            "released automatically: the holder's role or skills no longer fit it"
        )


def test_a_rota_file_that_cannot_be_read_loads_nothing(runtime, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text(csv(ann("Tue", "09:00", "17:00"), bob("Tue", "09:00", "17:00")))
    with _uow(runtime) as uow:
        load_rota_file(uow, path, MORNING)
    before = stored(runtime)
    path.write_bytes(csv(_row("SW03", "Si\u00e2n", "Tue", "09:00", "17:00")).encode("cp1252"))

    with _uow(runtime) as uow:
        try:
            load_rota_file(uow, path, NOW)
        except ValueError as error:
            assert str(error).startswith(f"{path}: rota line 2: not UTF-8 text")
        else:
            raise AssertionError("a Windows-1252 rota was loaded")

    assert stored(runtime) == before


def test_the_staff_load_command_says_what_is_wrong_and_exits_non_zero(
    settings, runtime, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(settings.data_dir))
    excel = tmp_path / "rota.csv"
    excel.write_bytes(csv(_row("SW03", "Si\u00e2n", "Mon", "09:00", "17:00")).encode("cp1252"))

    assert cli.main(["staff", "load", str(excel)]) == 2
    err = capsys.readouterr().err
    assert f"error: {excel}: rota line 2: not UTF-8 text" in err and "CSV UTF-8" in err
    assert "Traceback" not in err

    assert cli.main(["staff", "load", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert f"error: no rota file at {tmp_path / 'nope.csv'}" in err
    assert "Traceback" not in err
    assert stored(runtime) == []

    excel.write_bytes(
        b"\xef\xbb\xbf" + csv(_row("SW03", "Si\u00e2n", "Mon", "09:00", "17:00")).encode("utf-8")
    )
    assert cli.main(["staff", "load", str(excel)]) == 0
    assert stored(runtime)


def test_the_demo_teams_refresh_leaves_a_rota_loaded_by_hand_beside_it_alone(runtime):
    load(runtime, csv(ann("Tue", "09:00", "17:00")), MORNING)
    before = stored(runtime)

    with _uow(runtime) as uow:
        load_rota_file(uow, DEMO_TEAM, NOW)

    assert [row for row in stored(runtime) if row[0] == "SW01"] == before
    assert any(row[0].startswith("demo-") for row in stored(runtime))


def test_callrouter_run_with_an_unreadable_staff_file_says_why_and_starts_nothing(
    settings, runtime, monkeypatch, capsys, tmp_path
):
    excel = tmp_path / "rota.csv"
    excel.write_bytes(csv(_row("SW03", "Si\u00e2n", "Mon", "09:00", "17:00")).encode("cp1252"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STAFF_FILE", str(excel))
    monkeypatch.setattr(cli, "_install_console_assets_if_missing", lambda: None)
    started = []
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *a, **k: started.append(a))

    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"STAFF_FILE {excel}: rota line 2: not UTF-8 text" in err and "Traceback" not in err
    assert started == [] and stored(runtime) == []


def test_a_day_off_added_to_the_rota_takes_that_shift_out_at_the_next_reload(runtime):
    load(runtime, csv(ann("Wed", "09:00", "17:00"), bob("Wed", "09:00", "17:00")), MORNING)
    wednesday = utc(2026, 6, 3, 8, 0)  # 09:00 in London
    assert {ref for ref, starts, _ in stored(runtime) if starts == wednesday} == {"SW01", "SW02"}

    # Ann is off sick tomorrow: the rota manager adds a dated row with no times.
    load(
        runtime,
        csv(ann("Wed", "09:00", "17:00"), ann("2026-06-03", "", ""), bob("Wed", "09:00", "17:00")),
        NOW,
    )
    assert {ref for ref, starts, _ in stored(runtime) if starts == wednesday} == {"SW02"}
    assert any(
        ref == "SW01" and starts == wednesday + timedelta(days=7)
        for ref, starts, _ in stored(runtime)
    )


# -- rotas kept apart: the front door's and the Emergency Duty Team's -------------------------

EVERY_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _edt(when: str, start: str, end: str) -> str:
    day, weekday = (when, "") if when[0].isdigit() else ("", when)
    return f"ED01,Chris,edt_social_worker,Emergency Duty Team,,{day},{weekday},{start},{end}"


def _rota_files(tmp_path) -> tuple[Path, Path]:
    """The front door's rota (Ann and Bob) and the EDT's (Chris), all on shift all day, so
    someone of each is on shift whenever the command runs."""
    front_door = tmp_path / "front-door.csv"
    front_door.write_text(
        csv(
            *(ann(day, "00:00", "24:00") for day in EVERY_DAY),
            *(bob(day, "00:00", "24:00") for day in EVERY_DAY),
        )
    )
    edt = tmp_path / "edt.csv"
    edt.write_text(csv(*(_edt(day, "00:00", "24:00") for day in EVERY_DAY)))
    return front_door, edt


@pytest.fixture
def command(settings, monkeypatch):
    """Run `callrouter ...` against the test database, on an ordinary working Tuesday (the
    front door has no shifts on a bank holiday, whatever day the suite runs)."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("STAFF_FILE", raising=False)
    with freeze_time(NOW, tick=True):
        yield cli.main


def _of(runtime, *refs: str) -> list[tuple[str, datetime, datetime]]:
    return [row for row in stored(runtime) if row[0] in refs]


def _on_shift(runtime, ref: str, moment: datetime) -> bool:
    with _uow(runtime) as uow:
        return on_shift_now(uow, staff_id(runtime, ref), moment)


def test_loading_the_edts_rota_after_the_front_doors_leaves_the_front_door_alone(
    runtime, command, tmp_path
):
    front_door, edt = _rota_files(tmp_path)
    assert command(["staff", "load", str(front_door)]) == 0
    front_door_shifts = _of(runtime, "SW01", "SW02")
    assert front_door_shifts

    assert command(["staff", "load", str(edt)]) == 0

    now = datetime.now(UTC)
    assert _of(runtime, "SW01", "SW02") == front_door_shifts  # under way and ahead, untouched
    assert _on_shift(runtime, "SW01", now) and _on_shift(runtime, "SW02", now)
    assert _on_shift(runtime, "ED01", now)
    assert any(starts > now for ref, starts, _ in _of(runtime, "ED01"))


def test_rota_files_loaded_together_are_joined_into_one_rota(runtime, command, tmp_path):
    front_door, edt = _rota_files(tmp_path)

    assert command(["staff", "load", str(front_door), str(edt)]) == 0

    joined = stored(runtime)
    now = datetime.now(UTC)
    assert {ref for ref, starts, _ in joined if starts > now} == {"SW01", "SW02", "ED01"}
    assert all(_on_shift(runtime, ref, now) for ref in ("SW01", "SW02", "ED01"))
    # The same as loading them one after the other, and loading them again changes nothing.
    assert command(["staff", "load", str(edt)]) == 0
    assert command(["staff", "load", str(front_door)]) == 0
    assert stored(runtime) == joined


def test_a_reload_of_one_file_still_makes_the_people_it_names_follow_it(runtime, command, tmp_path):
    front_door, edt = _rota_files(tmp_path)
    assert command(["staff", "load", str(front_door), str(edt)]) == 0
    edt_shifts = _of(runtime, "ED01")
    front_door.write_text(
        csv(*(ann(day, "00:00", "24:00") for day in EVERY_DAY), bob("2026-01-01", "09:00", "17:00"))
    )  # Bob: one past shift

    assert command(["staff", "load", str(front_door)]) == 0

    now = datetime.now(UTC)
    assert _of(runtime, "ED01") == edt_shifts
    assert not any(starts > now for _, starts, _ in _of(runtime, "SW02"))
    assert not _on_shift(runtime, "SW02", now)  # named, with no shift now: it ended
    assert _on_shift(runtime, "SW01", now)


def test_someone_in_no_file_is_left_alone_unless_the_files_replace_the_whole_rota(
    runtime, command, tmp_path, capsys
):
    front_door, edt = _rota_files(tmp_path)
    assert command(["staff", "load", str(front_door), str(edt)]) == 0
    front_door.write_text(csv(*(ann(day, "00:00", "24:00") for day in EVERY_DAY)))  # Bob left
    with_bob = _of(runtime, "SW02")

    assert command(["staff", "load", str(front_door), str(edt)]) == 0
    assert _of(runtime, "SW02") == with_bob  # the files no longer name him: left alone
    capsys.readouterr()

    assert command(["staff", "load", "--replace-all", str(front_door), str(edt)]) == 0

    now = datetime.now(UTC)
    assert f"loaded {front_door} + {edt} as the whole rota" in capsys.readouterr().out
    assert not any(starts > now for _, starts, _ in _of(runtime, "SW02"))
    assert [ends for _, starts, ends in _of(runtime, "SW02") if starts <= now < ends] == []
    assert not _on_shift(runtime, "SW02", now)
    assert all(_on_shift(runtime, ref, now) for ref in ("SW01", "ED01"))
    assert any(starts > now for ref, starts, _ in _of(runtime, "SW01", "ED01"))


def test_the_staff_load_help_says_who_is_left_alone_and_what_replace_all_does(capsys):
    with pytest.raises(SystemExit):
        cli.main(["staff", "load", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "FILE [FILE ...]" in out and "--replace-all" in out
    assert "Everyone the files do not name is left alone" in out
    assert "anyone in none of them loses their shifts not yet begun" in out


def test_a_bad_file_among_several_is_named_with_its_line_and_nothing_is_loaded(
    runtime, command, tmp_path, capsys
):
    front_door, edt = _rota_files(tmp_path)
    edt.write_text(csv(_edt("Mon", "17:00", "25:00")))

    assert command(["staff", "load", str(front_door), str(edt)]) == 2

    err = capsys.readouterr().err
    assert f"error: {edt}: rota line 2: end '25:00' is not a time of day" in err
    assert "nothing was loaded" in err and "Traceback" not in err
    assert stored(runtime) == []
    assert command(["staff", "load", str(front_door), str(tmp_path / "nope.csv")]) == 2
    assert f"no rota file at {tmp_path / 'nope.csv'}" in capsys.readouterr().err
    assert stored(runtime) == []


def test_a_staff_ref_that_is_a_different_person_in_two_files_loads_nothing(
    runtime, command, tmp_path, capsys
):
    front_door, edt = _rota_files(tmp_path)
    edt.write_text(
        csv(_edt("Mon", "17:00", "01:00"), _row("SW02", "Bobby", "Tue", "17:00", "01:00"))
    )

    assert command(["staff", "load", str(front_door), str(edt)]) == 2

    err = capsys.readouterr().err
    assert (
        f"staff_ref 'SW02' is a different person in {edt} (rota line 3) and in "
        f"{front_door} (rota line 9)"
    ) in err
    assert stored(runtime) == []
    with _uow(runtime) as uow, pytest.raises(RotaError, match="different person"):
        load_rota_files(uow, [front_door, edt], NOW)


@freeze_time(NOW, tick=True)  # a working day: the front door has no shifts on a bank holiday
def test_staff_file_names_several_rotas_joined_with_a_plus_and_is_the_whole_rota(
    settings, runtime, tmp_path
):
    front_door, edt = _rota_files(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text(csv(*(_row("SW09", "Dev", day, "00:00", "24:00") for day in EVERY_DAY)))
    with _uow(runtime) as uow:
        load_rota_file(uow, other, datetime.now(UTC))  # loaded by hand, in no STAFF_FILE
    joined = Settings.from_env(
        {"STAFF_FILE": f"{front_door}+{edt}", "CALLROUTER_DATA_DIR": str(settings.data_dir)}
    ).staff_file

    cli._load_staff_if_empty(replace(settings, staff_file=joined))

    now = datetime.now(UTC)
    assert all(_on_shift(runtime, ref, now) for ref in ("SW01", "SW02", "ED01"))
    assert {ref for ref, starts, _ in stored(runtime) if starts > now} == {
        "SW01",
        "SW02",
        "ED01",
    }  # Dev is in none of the files: no shift ahead
    assert not _on_shift(runtime, "SW09", now)

    loaded = stored(runtime)
    cli._refresh_rota(replace(settings, staff_file=joined))
    assert stored(runtime) == loaded

    cli._refresh_rota(replace(settings, staff_file=front_door))  # the EDT's file taken out
    assert not any(starts > datetime.now(UTC) for _, starts, _ in _of(runtime, "ED01"))


def test_callrouter_run_with_a_bad_file_in_staff_file_names_it_and_starts_nothing(
    runtime, command, monkeypatch, capsys, tmp_path
):
    front_door, edt = _rota_files(tmp_path)
    edt.write_text(csv(_edt("Mon", "17:00", "01:00"), _edt("Someday", "17:00", "01:00")))
    monkeypatch.setenv("STAFF_FILE", f"{front_door}+{edt}")
    monkeypatch.setattr(cli, "_install_console_assets_if_missing", lambda: None)
    started = []
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *a, **k: started.append(a))

    assert command(["run"]) == 2

    err = capsys.readouterr().err
    assert f"STAFF_FILE {edt}: rota line 3: weekday 'Someday'" in err
    assert "nothing was loaded" in err and "Traceback" not in err
    assert started == [] and stored(runtime) == []


def test_a_staff_file_with_an_empty_name_between_plusses_says_so(settings, runtime, tmp_path):
    front_door, _ = _rota_files(tmp_path)

    with pytest.raises(RotaError, match="empty file name"):
        cli._load_staff_if_empty(replace(settings, staff_file=Path(f"{front_door}+")))

    assert stored(runtime) == []


def test_a_staff_file_whose_path_has_a_plus_in_it_is_one_file(runtime, tmp_path):
    from callrouter.services.staff import staff_file_paths

    folder = tmp_path / "rotas+2026"
    folder.mkdir()
    rota_file = folder / "front-door.csv"
    rota_file.write_text(csv(ann("Tue", "09:00", "17:00")))
    assert staff_file_paths(rota_file) == [rota_file]
    front, edt = tmp_path / "front.csv", tmp_path / "edt.csv"
    assert staff_file_paths(f"{front}+{edt}") == [front, edt]  # no such single file: joined


def test_once_a_real_rota_is_loaded_the_demo_team_is_not_refreshed_back_on(
    settings, runtime, monkeypatch, tmp_path
):
    from dataclasses import replace

    with _uow(runtime) as uow:
        load_rota_file(uow, DEMO_TEAM, NOW)
    rota_file = tmp_path / "front-door.csv"
    rota_file.write_text(csv(ann("Tue", "09:00", "17:00")))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(settings.data_dir))
    assert cli.main(["staff", "load", "--replace-all", str(rota_file)]) == 0
    demo_shifts = [
        row for row in stored(runtime) if row[0].startswith("demo-") and row[2] > datetime.now(UTC)
    ]
    assert demo_shifts == []

    cli._refresh_rota(replace(settings, staff_file=None))  # the worker's 6-hourly refresh
    assert [
        row for row in stored(runtime) if row[0].startswith("demo-") and row[2] > datetime.now(UTC)
    ] == []


def test_the_staff_load_command_leaves_the_front_door_off_on_bank_holidays_and_says_so(
    runtime, command, tmp_path, capsys
):
    path = tmp_path / "rota.csv"
    path.write_text(
        csv(
            ann("Fri", "09:00", "17:00"),
            bob("Mon", "09:00", "17:00"),
            _edt("Fri", "09:00", "17:00"),
        )
    )

    with freeze_time("2026-12-21 10:00:00"):  # Monday; Christmas Day is Friday 25
        assert command(["staff", "load", str(path)]) == 0

    out = capsys.readouterr().out
    assert (
        "note: Fri 25 Dec 2026 is a bank holiday (Christmas Day): the weekly shifts of "
        "SW01 were left out"
    ) in out
    assert (
        "Mon 28 Dec 2026 is a bank holiday (Boxing Day (observed)): the weekly shifts of "
        "SW02 were left out" in out
    )
    assert "Fri 01 Jan 2027" in out and "Fri 18 Dec" not in out
    # The EDT works Christmas Day's office hours here; nobody works Boxing Day (observed)'s.
    [warning] = [line for line in out.splitlines() if line.startswith("warning:")]
    assert warning.startswith("warning: nobody at all is on shift 09:00 to 17:00 that day")
    assert out.index("Mon 28 Dec") < out.index(warning) < out.index("Fri 01 Jan")
    christmas = [row[0] for row in stored(runtime) if row[1].date() == utc(2026, 12, 25).date()]
    assert christmas == ["ED01"]
    assert any(row[0] == "SW02" and row[1] == utc(2027, 1, 4, 9) for row in stored(runtime))


def test_a_first_staff_load_on_a_new_machine_makes_the_database_first(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'new.db'}")
    monkeypatch.delenv("STAFF_FILE", raising=False)
    path = tmp_path / "rota.csv"
    path.write_text(csv(ann("Mon", "09:00", "17:00")))

    assert cli.main(["staff", "load", str(path)]) == 0
    assert "new shifts" in capsys.readouterr().out


def test_the_demo_team_is_on_shift_on_a_bank_holiday_too(runtime):
    christmas_morning = utc(2026, 12, 25, 9)
    with _uow(runtime) as uow:
        load_rota_file(uow, DEMO_TEAM, christmas_morning)

    on = [row[0] for row in stored(runtime) if row[1] <= utc(2026, 12, 25, 12) < row[2]]
    assert "demo-sw-1" in on


def test_a_front_door_whose_calendar_opens_on_bank_holidays_keeps_its_weekly_shifts(
    runtime, tmp_path
):
    path = tmp_path / "rota.csv"
    path.write_text(csv(ann("Fri", "09:00", "17:00")))
    christmas = utc(2026, 12, 25).date()

    for open_on_bank_holidays, expected in ((False, []), (True, ["SW01"])):
        with _uow(runtime) as uow:
            load_rota_files(
                uow,
                [path],
                utc(2026, 12, 21, 10),
                replace_all=True,
                open_on_bank_holidays=open_on_bank_holidays,
            )
        assert [row[0] for row in stored(runtime) if row[1].date() == christmas] == expected


def test_the_bank_holiday_warning_counts_shifts_loaded_from_another_file(
    runtime, command, tmp_path, capsys
):
    front_door = tmp_path / "front-door.csv"
    front_door.write_text(csv(bob("Mon", "09:00", "17:00")))
    edt = tmp_path / "edt.csv"
    edt.write_text(csv(_edt("2026-12-28", "08:00", "20:00")))  # the EDT works Boxing Day (obs.)

    with freeze_time("2026-12-21 10:00:00"):
        assert command(["staff", "load", str(edt)]) == 0
        assert command(["staff", "load", str(front_door)]) == 0

    out = capsys.readouterr().out
    assert "Mon 28 Dec 2026 is a bank holiday" in out and "warning:" not in out

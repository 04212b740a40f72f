"""Comparing rotas over the same calls: the manager's "how many social workers on Monday?"."""

import json
from datetime import UTC, date, datetime
from importlib import resources
from xml.etree import ElementTree

import pytest

from callrouter.domain.rota import parse_rota
from callrouter.domain.vocabulary import Level
from callrouter.simulation.arrivals import ArrivalSettings, default_calls_per_week
from callrouter.simulation.cli import main
from callrouter.simulation.whatif import (
    RotaOutcome,
    WhatIf,
    compare_rotas,
    part_of_week,
    render_what_if,
    render_what_if_svg,
    unique_names,
    what_if_summary,
)

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"
ONE_SOCIAL_WORKER = HEADER + "SW1,A,social_worker,t,,,Mon,09:00,17:00\n"
THREE_SOCIAL_WORKERS = ONE_SOCIAL_WORKER + (
    "SW2,B,social_worker,t,,,Mon,09:00,17:00\nSW3,C,social_worker,t,,,Mon,12:00,17:00\n"
)
MONDAY = date(2025, 10, 20)


def test_every_rota_gets_the_same_calls_sized_from_the_first():
    thin, full = parse_rota(ONE_SOCIAL_WORKER), parse_rota(THREE_SOCIAL_WORKERS)

    what_if = compare_rotas(
        [("thin", thin), ("full", full)],
        seeds=[1, 2],
        starts_on=MONDAY,
        settings=ArrivalSettings(days=1, load=3.0),
    )

    assert what_if.settings.calls_per_week == default_calls_per_week(thin)
    assert default_calls_per_week(full) == 3 * default_calls_per_week(thin)
    one, three = what_if.outcomes
    assert one.weeks == three.weeks == 2
    for level in (Level.PUBLIC_CONCERN, Level.LEVEL2):
        assert one.requests[level] == three.requests[level]
    # More social workers on the same calls: fewer s47 misses, and the tally by part of
    # the week accounts for each of them.
    assert three.s47_missed < one.s47_missed
    assert sum(one.s47_missed_when.values()) == one.s47_missed
    assert set(one.s47_missed_when) <= {"Mon morning", "Mon afternoon", "Mon evening"}
    assert one.s47_optimum <= one.s47_missed and three.s47_optimum <= three.s47_missed
    assert set(three.busy_share) == {"SW1", "SW2", "SW3"}
    text = render_what_if(what_if)
    assert text.splitlines()[4].startswith("thin") and text.splitlines()[5].startswith("full")


def test_a_call_is_placed_in_the_uk_part_of_the_day_across_the_clock_change():
    # 07:30 UTC is 08:30 in summer time (morning) but 07:30 once the clocks go back (night).
    assert part_of_week(datetime(2025, 10, 24, 7, 30, tzinfo=UTC)) == "Fri morning"
    assert part_of_week(datetime(2025, 10, 27, 7, 30, tzinfo=UTC)) == "Mon night"
    assert part_of_week(datetime(2025, 10, 27, 12, 0, tzinfo=UTC)) == "Mon afternoon"
    assert part_of_week(datetime(2025, 10, 26, 17, 0, tzinfo=UTC)) == "Sun evening"


def test_simulate_with_two_rotas_and_several_seeds_writes_a_what_if(tmp_path, capsys):
    extra = tmp_path / "monday_afternoon.csv"
    extra.write_text(
        shipped_rota("duty_desk") + "SW03,C,social_worker,duty desk,,,Mon,13:30,17:30\n"
    )
    out = tmp_path / "out"

    status = main(
        ["--rota", "duty_desk", "--rota", str(extra), "--seeds", "3", "--days", "2"]
        + ["--load", "surge", "--out", str(out)]
    )

    assert status == 0
    text = (out / "what-if.txt").read_text()
    assert text in capsys.readouterr().out
    assert "over the same 3 simulated period(s)" in text
    summary = json.loads((out / "what-if.json").read_text())
    assert summary["seeds"] == [1, 2, 3]
    assert summary["strategy"] == "edf"
    assert list(summary["rotas"]) == ["duty_desk", "monday_afternoon"]
    assert summary["calls_per_week"] == 260  # the duty desk's two social workers, not three
    assert "SW03" in summary["rotas"]["monday_afternoon"]["busy_share"]
    assert not (out / "report.txt").exists()
    svg = ElementTree.parse(out / "what-if.svg").getroot()
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 2 * 7 * 4  # a cell for each part of each day, for each rota
    missed = summary["rotas"]["duty_desk"]["s47_missed_by_part_of_week"]
    assert missed  # this surge has a miss to place on the grid
    for slot, count in missed.items():
        assert any(title.startswith(f"{slot}: {count} s47 missed,") for title in titles)


def test_a_what_if_can_run_another_strategy_with_its_cap():
    rotas = [("duty_desk", parse_rota(shipped_rota("duty_desk")))]
    settings = ArrivalSettings(days=2, load=2.0)

    def s47_in_time(cap):
        what_if = compare_rotas(
            rotas,
            seeds=[1, 2],
            starts_on=MONDAY,
            settings=settings,
            strategy="fifo",
            capacity_per_person=cap,
        )
        assert what_if.strategy == "fifo"
        return what_if.outcomes[0].in_time[Level.S47]

    # Holding one call-back at a time rather than any number changes what FIFO does.
    assert s47_in_time(1) != s47_in_time(None)


def test_s47_callers_turned_away_in_office_hours_count_against_a_rota():
    # Nobody on Monday: the line sends Monday's s47 callers to the EDT, so no call-back is
    # missed, but the front door has let them down all the same.
    no_monday = parse_rota(THREE_SOCIAL_WORKERS.replace(",Mon,", ",Tue,"))
    monday = parse_rota(THREE_SOCIAL_WORKERS)

    what_if = compare_rotas(
        [("monday", monday), ("no_monday", no_monday)],
        seeds=[1, 2],
        starts_on=MONDAY,
        settings=ArrivalSettings(days=1, calls_per_week=600),
    )

    staffed, empty = what_if.outcomes
    assert empty.requests[Level.S47] == 0 and empty.share(Level.S47) is None
    assert empty.s47_turned_away > 0
    assert empty.s47_not_called_back_in_time == empty.s47_turned_away
    assert empty.s47_callers_in_time_share() == 0.0
    assert staffed.s47_not_called_back_in_time < empty.s47_not_called_back_in_time
    assert empty.s47_turned_away + empty.sent_to_edt == staffed.s47_turned_away + (
        staffed.sent_to_edt + staffed.requests[Level.S47]
    )
    text = render_what_if(what_if)
    empty_row = text.splitlines()[5].split()
    assert empty_row[:6] == [
        "no_monday",
        str(empty.s47_turned_away),
        "0",
        "0",
        str(empty.s47_turned_away),
        "0.0%",
    ]
    assert "no_monday: Mon morning" in text and "turned away)" in text
    summary = what_if_summary(what_if)["rotas"]["no_monday"]
    assert summary["s47_callers_not_called_back_in_time"] == empty.s47_turned_away
    assert summary["s47_turned_away_in_office_hours"] == empty.s47_turned_away
    assert summary["levels"]["s47"]["in_time_share"] is None
    assert sum(summary["s47_turned_away_by_part_of_week"].values()) == empty.s47_turned_away
    svg = render_what_if_svg(what_if)
    assert f"no_monday: {empty.s47_turned_away} s47 callers not called back in time" in svg
    assert f"{empty.s47_turned_away} callers turned away in office hours" in svg


def test_a_level_with_no_call_backs_is_shown_as_not_applicable_not_all_in_time():
    quiet = RotaOutcome("quiet", weeks=1)
    what_if = WhatIf((1,), MONDAY, ArrivalSettings(calls_per_week=260), "edf", (quiet,))

    row = render_what_if(what_if).splitlines()[4].split()
    assert row.count("n/a") == 3 and "100.0%" not in row
    summary = what_if_summary(what_if)["rotas"]["quiet"]
    assert summary["s47_callers_in_time_share"] is None
    assert {level["in_time_share"] for level in summary["levels"].values()} == {None}
    assert "s47 in time n/a" in render_what_if_svg(what_if)


def test_a_first_rota_with_no_social_worker_is_refused_not_resized_rota_by_rota():
    nobody_for_s47 = parse_rota(HEADER + "EH1,E,early_help_officer,t,,,Mon,09:00,17:00\n")
    rotas = [("early_help", nobody_for_s47), ("thin", parse_rota(ONE_SOCIAL_WORKER))]

    with pytest.raises(ValueError, match="early_help has nobody who can make s47 call-backs"):
        compare_rotas(rotas, seeds=[1], starts_on=MONDAY, settings=ArrivalSettings(days=1))
    given = compare_rotas(
        rotas, seeds=[1], starts_on=MONDAY, settings=ArrivalSettings(days=1, calls_per_week=500)
    )
    first, second = given.outcomes
    assert given.settings.calls_per_week == 500
    assert first.requests[Level.LEVEL2] == second.requests[Level.LEVEL2] > 0


def test_a_what_if_whose_first_rota_has_no_social_worker_asks_for_the_volume(tmp_path, capsys):
    rota = tmp_path / "early_help.csv"
    rota.write_text(HEADER + "EH1,E,early_help_officer,t,,,Mon,09:00,17:00\n")

    status = main(["--rota", str(rota), "--rota", "duty_desk", "--out", str(tmp_path / "out")])

    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: rota early_help has nobody who can make s47 call-backs")
    assert err.rstrip().endswith("give --calls-per-week") and err.count("\n") == 1


def test_rotas_whose_files_share_a_name_are_each_reported(tmp_path):
    for folder, rota in (("a", ONE_SOCIAL_WORKER), ("b", THREE_SOCIAL_WORKERS)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rota.csv").write_text(rota)
    out = tmp_path / "out"

    status = main(
        [
            "--rota",
            str(tmp_path / "a" / "rota.csv"),
            "--rota",
            str(tmp_path / "b" / "rota.csv"),
            "--days",
            "1",
            "--out",
            str(out),
        ]
    )

    assert status == 0
    summary = json.loads((out / "what-if.json").read_text())
    assert list(summary["rotas"]) == ["rota", "rota (2)"]
    assert set(summary["rotas"]["rota (2)"]["busy_share"]) == {"SW1", "SW2", "SW3"}
    text = (out / "what-if.txt").read_text()
    assert text.splitlines()[4].startswith("rota ") and text.splitlines()[5].startswith("rota (2)")
    assert "rota (2): " in (out / "what-if.svg").read_text()


def test_names_are_made_unique_without_taking_one_already_given():
    assert unique_names(["a", "a", "a (2)", "b", "a"]) == ["a", "a (3)", "a (2)", "b", "a (4)"]


def test_the_chart_marks_an_optimum_the_search_gave_up_on_as_the_text_does():
    outcome = RotaOutcome("desk", weeks=1, s47_optimum=3, s47_exact=False)
    what_if = WhatIf((1,), MONDAY, ArrivalSettings(calls_per_week=260), "edf", (outcome,))

    assert "optimum 3+" in render_what_if_svg(what_if)
    assert "3+" in render_what_if(what_if).splitlines()[4].split()


def shipped_rota(name: str) -> str:
    return resources.files("callrouter.simulation").joinpath("rotas", f"{name}.csv").read_text()

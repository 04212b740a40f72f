"""Comparing rotas over the same calls: the manager's "how many social workers on Monday?"."""

import json
from datetime import UTC, date, datetime
from importlib import resources
from xml.etree import ElementTree

from callrouter.domain.rota import parse_rota
from callrouter.domain.vocabulary import Level
from callrouter.simulation.arrivals import ArrivalSettings, default_calls_per_week
from callrouter.simulation.cli import main
from callrouter.simulation.whatif import compare_rotas, part_of_week, render_what_if

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"
ONE_SOCIAL_WORKER = HEADER + "SW1,A,social_worker,t,,,Mon,09:00,17:00\n"
THREE_SOCIAL_WORKERS = ONE_SOCIAL_WORKER + (
    "SW2,B,social_worker,t,,,Mon,09:00,17:00\n"
    "SW3,C,social_worker,t,,,Mon,12:00,17:00\n"
)
MONDAY = date(2025, 10, 20)


def test_every_rota_gets_the_same_calls_sized_from_the_first():
    thin, full = parse_rota(ONE_SOCIAL_WORKER), parse_rota(THREE_SOCIAL_WORKERS)

    what_if = compare_rotas(
        [("thin", thin), ("full", full)], seeds=[1, 2], starts_on=MONDAY,
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
        assert f"{slot}: {count} s47 missed" in titles



def test_a_what_if_can_run_another_strategy_with_its_cap():
    rotas = [("duty_desk", parse_rota(shipped_rota("duty_desk")))]
    settings = ArrivalSettings(days=2, load=2.0)

    def s47_in_time(cap):
        what_if = compare_rotas(rotas, seeds=[1, 2], starts_on=MONDAY, settings=settings,
                                strategy="fifo", capacity_per_person=cap)
        assert what_if.strategy == "fifo"
        return what_if.outcomes[0].in_time[Level.S47]

    # Holding one call-back at a time rather than any number changes what FIFO does.
    assert s47_in_time(1) != s47_in_time(None)


def shipped_rota(name: str) -> str:
    return resources.files("callrouter.simulation").joinpath("rotas", f"{name}.csv").read_text()

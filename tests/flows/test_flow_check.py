"""`flows check`: shipped flows pass; a flow with each kind of defect is refused, naming the node."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from callrouter.domain.flow_check import check_spec, check_text
from callrouter.domain.flows import FlowError, FlowRegistry, parse_flow
from callrouter.flows_cli import flows_main
from tests.flows.walk import FLOWS_DIR, SHIPPED, load


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_flow_passes_the_check(name):
    report = check_text((FLOWS_DIR / f"{name}.yaml").read_text(), name)
    assert report.problems == []
    assert report.warnings == []
    assert report.worst_seconds  # a speech time for every ending


@pytest.mark.parametrize("name", ["lancashire", "cheshire-east", "cumbria", "default"])
def test_a_section_47_caller_reaches_the_first_question_within_45_seconds(name):
    assert check_spec(load(name)).s47_first_capture_seconds <= 45


def test_the_shipped_flows_load_together_with_distinct_numbers():
    registry = FlowRegistry.from_directory(FLOWS_DIR)
    assert registry.default.name == "default"
    assert registry.for_number("+443001236720").name == "lancashire"
    assert registry.for_number("+443001235012").name == "cheshire-east"
    assert registry.for_number("+441134960200").name == "cumbria"


def broken(change) -> dict:
    spec = copy.deepcopy(load("lancashire"))
    change(spec)
    return spec


def messages(spec) -> str:
    return "\n".join(str(problem) for problem in check_spec(spec).problems)


DEFECTS = {
    "a key used twice": (
        lambda s: s["nodes"]["caller_type"]["options"][1].update(key="1"),
        "node 'caller_type': key '1' is used twice",
    ),
    "a reserved key": (
        lambda s: s["nodes"]["caller_type"]["options"][1].update(key="0"),
        "node 'caller_type'",
    ),
    "an option leading nowhere": (
        lambda s: s["nodes"]["level"]["options"][0].update(next="nowhere"),
        "node 'level': leads to 'nowhere', which does not exist",
    ),
    "an unreachable node": (
        lambda s: s["nodes"].update(orphan={"type": "say", "say": "Hello.", "next": "greeting"}),
        "node 'orphan': no path from the start",
    ),
    "a dead end": (
        lambda s: (
            s["nodes"]["summary"].update(next="summary_again")
            or s["nodes"].update(summary_again={"type": "say", "say": "Again.", "next": "summary"})
        ),
        "node 'summary': no path from here ends in an outcome or transfer",
    ),
    "a missing prompt": (
        lambda s: s["nodes"]["consent"].pop("prompt"),
        "node 'consent': 'prompt' is a required property",
    ),
    "an empty prompt": (
        lambda s: s["nodes"]["consent"].update(prompt="   "),
        "node 'consent': the prompt is empty",
    ),
    "an invalid team number": (
        lambda s: s["teams"]["edt"].update(number="+447700900123"),
        "teams.edt: +447700900123 is not a valid phone number",
    ),
    "an invalid line number": (
        lambda s: s.update(numbers=["+441632960001"]),
        "numbers: +441632960001 is not a valid phone number",
    ),
    "a say loop that never asks": (
        lambda s: s["nodes"]["greeting"].update(next="greeting"),
        "node 'greeting': loops back to itself",
    ),
    "a slow section 47 route": (
        lambda s: s["nodes"]["greeting"].update(say="Welcome. " * 60),
        "a section 47 caller hears about",
    ),
    "hours without a message path": (
        lambda s: s.pop("message_path"),
        "message_path: a flow with an hours node must name the message path",
    ),
    "a bad calendar": (
        lambda s: s["calendar"]["hours"].update(mon="17:00-09:00"),
        "calendar: calendar hours for mon",
    ),
    "an unknown role": (
        lambda s: s["levels"]["s47"].update(role="wizard"),
        "levels.s47: no role named 'wizard'",
    ),
    "an unknown skill": (
        lambda s: s["levels"]["s47"].update(skill="juggling"),
        "levels.s47.skill: 'juggling' is not one of",
    ),
    "a bad timescale": (
        lambda s: s["levels"]["s47"].update(timescale="1 day"),
        "levels.s47: timescale '1 day' is ambiguous",
    ),
    "a timescale too long to count": (
        lambda s: s["levels"]["s47"].update(timescale="99999999999 hours"),
        "levels.s47: timescale '99999999999 hours' is longer than a year",
    ),
    "a placeholder read out as is": (
        lambda s: s["nodes"]["consent"].update(prompt="Press 1 for {consent}."),
        "node 'consent': {consent} in the prompt would be read out as is",
    ),
    "the same words for two keys": (
        lambda s: s["nodes"]["caller_type"]["options"][1]["speech"].append("teacher"),
        "node 'caller_type': the words 'teacher' are given for both key '1' and key '2'",
    ),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_flow_with_a_defect_is_refused_with_a_message_naming_where(defect):
    change, expected = DEFECTS[defect]
    spec = broken(change)
    assert expected in messages(spec)
    with pytest.raises(FlowError, match="."):
        parse_flow(spec)


def test_a_node_defined_twice_in_the_file_is_refused_with_its_line():
    text = (FLOWS_DIR / "lancashire.yaml").read_text()
    text = text.replace(
        "  office_hours:\n",
        "  to_edt:\n    type: say\n    say: Hi.\n    next: office_hours\n\n  office_hours:\n",
        1,
    )
    [problem] = check_text(text, "lancashire.yaml").problems
    assert "'to_edt' is given twice" in str(problem)


def test_flows_check_exits_0_for_the_shipped_flows_and_reports_speech_times(capsys):
    assert flows_main(["check"]) == 0
    out = capsys.readouterr().out
    assert "lancashire.yaml: ok" in out
    assert "section 47 caller reaches the first question" in out


def test_flows_check_exits_1_and_names_the_node_for_a_broken_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(broken(DEFECTS["a dead end"][0])))
    assert flows_main(["check", str(bad)]) == 1
    assert "node 'summary'" in capsys.readouterr().out


def test_a_short_clock_hour_level_without_out_of_hours_cover_is_warned_of_not_refused(
    tmp_path, capsys
):
    def uncover(spec):
        spec["levels"]["s47"].pop("out_of_hours_cover")
        spec["levels"]["public_concern"]["timescale"] = "8 hours"

    spec = broken(uncover)
    report = check_spec(spec)
    assert report.ok
    assert [warning.where for warning in report.warnings] == ["levels.s47", "levels.public_concern"]
    assert "the office shuts for at least 16 hours" in str(report.warnings[0])
    assert "out_of_hours_cover: true" in str(report.warnings[0])
    parse_flow(spec)  # the app still runs it
    path = tmp_path / "uncovered.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert flows_main(["check", str(path)]) == 0
    assert "warning: levels.s47: a call-back due 1 hour after the call" in capsys.readouterr().out


def test_a_level_with_a_role_and_no_timescale_is_checked_as_the_hour_it_is_given():
    def no_timescale(spec):
        spec["levels"]["public_concern"].pop("timescale")

    warnings = check_spec(broken(no_timescale)).warnings
    assert [warning.where for warning in warnings] == ["levels.public_concern"]
    assert "a call-back due 1 hour after the call" in str(warnings[0])


def test_no_warning_where_the_clock_starts_at_the_next_opening_or_outlasts_the_night():
    def relax(spec):
        spec["levels"]["s47"].pop("out_of_hours_cover")
        spec["levels"]["s47"]["timescale"] = "1 hour from the next opening"
        spec["levels"]["public_concern"]["timescale"] = "16 hours"

    assert check_spec(broken(relax)).warnings == []


def test_flows_draw_writes_an_svg_naming_every_node(tmp_path):
    out = tmp_path / "cumbria.svg"
    assert flows_main(["draw", "cumbria", "--out", str(out)]) == 0
    svg = out.read_text()
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)
    for node_id in load("cumbria")["nodes"]:
        assert f">{node_id}<" in svg


def test_flows_draw_refuses_an_unknown_flow(capsys):
    assert flows_main(["draw", "atlantis"]) == 1
    assert "no flow named 'atlantis'" in capsys.readouterr().err


def test_the_app_refuses_to_start_on_a_broken_flow_file(tmp_path):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(broken(DEFECTS["a dead end"][0])))
    with pytest.raises(FlowError, match="node 'summary'"):
        FlowRegistry.from_directory(Path(tmp_path))

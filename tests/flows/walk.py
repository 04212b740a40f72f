"""Routes through a shipped flow, generated from the flow itself, and a caller who takes one.

Routes come from flow_check.enumerate_paths (every route, each node once). Equivalent routes
are walked once: two routes are the same call if they pass the same nodes and agree on every
answer a branch reads; a menu key not yet pressed on a kept route keeps its route too, so
every option of every menu is pressed at least once through the webhooks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from callrouter.domain.flow_check import CAPTURED, FlowPath, enumerate_paths, read_yaml

FLOWS_DIR = Path(__file__).resolve().parents[2] / "ivr_flows"
SHIPPED = sorted(path.stem for path in FLOWS_DIR.glob("*.yaml"))
# Tuesday 10 March 2026, 11:00 GMT: every shipped office is open.
OPEN_AT = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
# Saturday 14 March 2026, 11:00 GMT: every shipped office is shut.
CLOSED_AT = datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
SPOKEN = {
    "caller_name": "Sam Taylor",
    "caller_agency": "Teacher at Hill School",
    "child_name": "Alex Taylor",
}


def load(name: str) -> dict:
    return read_yaml((FLOWS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def representative_paths(spec: dict) -> list[FlowPath]:
    branch_fields = {
        name
        for node in spec["nodes"].values()
        if node["type"] == "branch"
        for case in node["cases"]
        for name in case["when"]
    }
    kept: dict[tuple, FlowPath] = {}
    extra: list[FlowPath] = []
    pressed: set[tuple[str, str]] = set()
    for path in enumerate_paths(spec):
        keys = {(step.node, step.key) for step in path.steps if step.key}
        signature = (
            tuple(step.node for step in path.steps),
            tuple(sorted((k, str(v)) for k, v in path.answers.items() if k in branch_fields)),
        )
        if signature not in kept:
            kept[signature] = path
        elif not keys <= pressed:
            extra.append(path)
        else:
            continue
        pressed |= keys
    return [*kept.values(), *extra]


def expected_answers(spec: dict, path: FlowPath, caller: str) -> dict:
    """What the contact must hold at the end of a route taken by `take`."""
    expected = {}
    for name, value in path.answers.items():
        if value != CAPTURED:
            expected[name] = value
    for step in path.steps:
        node = spec["nodes"][step.node]
        if node["type"] == "phone":
            expected[node["field"]] = caller
        elif node["type"] == "question":
            expected[node["field"]] = _answer(node)
    return expected


def take(phone, spec: dict, path: FlowPath):
    """Ring and act out a route: press each menu's key, answer each question; return the end."""
    screen = phone.ring()
    for step in path.steps:
        node = spec["nodes"][step.node]
        kind = node["type"]
        if kind == "menu":
            screen = phone.press(step.key)
        elif kind == "phone":
            screen = phone.press("1")  # be called back on the number calling
        elif kind == "question" and node["input"] == "digits":
            screen = phone.press(f"{_answer(node)}#")
        elif kind == "question":
            screen = phone.say(_answer(node))
        elif kind == "record":
            screen = phone.leave_recording(25)
    return screen


def _answer(node: dict):
    if node["input"] == "digits":
        return max(node.get("min", 0), min(7, node.get("max", 7)))
    return SPOKEN.get(node["field"], "Something said")

"""IVR flows as data: loading a flow file, checking it, and choosing a flow by the number called."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from callrouter.domain.flow_schema import FLOW_SCHEMA

DEFAULT_MAX_FAILURES = 2
DEFAULT_TEXTS = {
    "invalid": "Sorry, that is not one of the options.",
    "no_input": "Sorry, I did not hear a choice.",
    "transfer_to_person": "I will put you through to an advisor now.",
    "apology": "Sorry, something went wrong on our side.",
}


class FlowError(ValueError):
    """A flow file that the engine must not run; the message names the node at fault."""


@dataclass(frozen=True)
class Flow:
    """One council's phone menu: its nodes, teams, levels and the numbers that reach it."""

    name: str
    title: str
    spec: dict[str, Any]
    source: Path | None = None
    is_default: bool = False

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        return self.spec["nodes"]

    @property
    def start(self) -> str:
        return self.spec["start"]

    @property
    def numbers(self) -> list[str]:
        return self.spec.get("numbers", [])

    @property
    def teams(self) -> dict[str, dict[str, str]]:
        return self.spec["teams"]

    @property
    def operator_team(self) -> str:
        return self.spec["operator_team"]

    @property
    def max_failures(self) -> int:
        return self.spec.get("max_failures", DEFAULT_MAX_FAILURES)

    @property
    def voice(self) -> str | None:
        return self.spec.get("voice")

    def level(self, name: str | None) -> dict[str, Any]:
        """Return the flow's rules for a level of need (timescale, role, team)."""
        return self.spec["levels"].get(name or "", {})

    def link(self, name: str) -> str:
        return self.spec.get("links", {}).get(name, "")

    def text(self, name: str) -> str:
        return self.spec.get("texts", {}).get(name) or DEFAULT_TEXTS[name]

    def team_number(self, team: str) -> str:
        return self.teams[team]["number"]


def parse_flow(spec: Any, source: Path | None = None) -> Flow:
    """Check a flow's structure and references, and return it ready to run."""
    try:
        jsonschema.validate(spec, FLOW_SCHEMA)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise FlowError(f"{where}: {error.message}") from None
    _check_references(spec)
    return Flow(
        name=spec["name"],
        title=spec["title"],
        spec=spec,
        source=source,
        is_default=bool(spec.get("default")),
    )


def load_flow(path: Path) -> Flow:
    """Read and check one flow file."""
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise FlowError(f"{path.name}: not valid YAML: {error}") from None
    try:
        return parse_flow(spec, source=path)
    except FlowError as error:
        raise FlowError(f"{path.name}: {error}") from None


def _check_references(spec: dict[str, Any]) -> None:
    nodes = spec["nodes"]
    teams = spec["teams"]
    if spec["start"] not in nodes:
        raise FlowError(f"start: no node named {spec['start']!r}")
    if spec["operator_team"] not in teams:
        raise FlowError(f"operator_team: no team named {spec['operator_team']!r}")
    for node_id, node in nodes.items():
        for target in successors(node):
            if target not in nodes:
                raise FlowError(f"node {node_id!r}: leads to {target!r}, which does not exist")
        if node["type"] == "menu":
            keys = [option["key"] for option in node["options"]]
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            if duplicates:
                raise FlowError(f"node {node_id!r}: key {duplicates[0]!r} is used twice")
            reserved = sorted({"*", "0"} & set(keys))
            if reserved:
                raise FlowError(f"node {node_id!r}: key {reserved[0]!r} is reserved")
        if node["type"] == "transfer" and node["team"] not in teams:
            raise FlowError(f"node {node_id!r}: no team named {node['team']!r}")
        if node["type"] == "outcome" and node.get("level") and node["level"] not in spec["levels"]:
            raise FlowError(f"node {node_id!r}: no level named {node['level']!r}")


def successors(node: dict[str, Any]) -> list[str]:
    """Return the ids of the nodes a node can lead to."""
    if node["type"] == "menu":
        return [option["next"] for option in node["options"]]
    if node["type"] == "branch":
        return [case["next"] for case in node["cases"]] + [node["otherwise"]]
    return [node["next"]] if "next" in node else []


@dataclass
class FlowRegistry:
    """Every flow this deployment answers with, found by the number called."""

    flows: dict[str, Flow] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, directory: Path) -> FlowRegistry:
        """Load and check every flow file in a directory; refuse to start on a bad one."""
        registry = cls()
        for path in sorted(directory.glob("*.yaml")):
            registry.add(load_flow(path))
        if not registry.flows:
            raise FlowError(f"no flow files in {directory}")
        return registry

    def add(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise FlowError(f"two flows are named {flow.name!r}")
        for number in flow.numbers:
            other = self.for_number(number, fallback=False)
            if other is not None:
                raise FlowError(f"{number} is claimed by both {other.name!r} and {flow.name!r}")
        self.flows[flow.name] = flow

    def for_number(self, number: str | None, fallback: bool = True) -> Flow | None:
        """Return the flow answering a number, or the default flow for an unknown number."""
        for flow in self.flows.values():
            if number and number in flow.numbers:
                return flow
        if not fallback:
            return None
        return self.default

    @property
    def default(self) -> Flow:
        for flow in self.flows.values():
            if flow.is_default:
                return flow
        return next(iter(self.flows.values()))

    def get(self, name: str) -> Flow:
        return self.flows[name]

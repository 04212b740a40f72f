"""IVR flows as data: loading a flow file, checking it, and choosing a flow by the number called."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.flow_check import FlowError, check_spec, reachable, read_yaml, successors

DEFAULT_MAX_FAILURES = 2
DEFAULT_TEXTS = {
    "invalid": "Sorry, that is not one of the options.",
    "no_input": "Sorry, I did not hear a choice.",
    "transfer_to_person": "I will put you through to an advisor now.",
    "apology": "Sorry, something went wrong on our side.",
    "closed": "The office is closed now.",
    "closed_goodbye": (
        "Sorry, we could not take your message. Please call again when the office is open. "
        "If a child is in immediate danger, dial 999."
    ),
}

__all__ = ["Flow", "FlowError", "FlowRegistry", "load_flow", "parse_flow", "successors"]


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

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The office's opening hours, bank holidays and closures, for hours nodes."""
        return WorkingCalendar.from_dict(self.spec.get("calendar") or {})

    @property
    def message_path(self) -> str | None:
        """Where "0" and repeated failures lead while the office is shut (None: no such path)."""
        return self.spec.get("message_path")

    @cached_property
    def message_nodes(self) -> frozenset[str]:
        """The nodes of the message path, where a caller is already leaving a message."""
        if self.message_path is None:
            return frozenset()
        return frozenset(reachable(self.nodes, self.message_path))


def parse_flow(spec: Any, source: Path | None = None) -> Flow:
    """Check a flow (flow_check: structure, references, dead ends, timing); return it ready."""
    report = check_spec(spec)
    if not report.ok:
        raise FlowError("; ".join(str(problem) for problem in report.problems))
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
        return parse_flow(read_yaml(path.read_text(encoding="utf-8")), source=path)
    except FlowError as error:
        raise FlowError(f"{path.name}: {error}") from None


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

    @property
    def open_on_bank_holidays(self) -> bool:
        """Say whether any flow's office opens on England's bank holidays (its calendar says
        `bank_holidays: none`): then the front door's weekly rota runs on them too."""
        return any(flow.calendar.bank_holidays is None for flow in self.flows.values())

    def get_or_default(self, name: str) -> Flow:
        """Return the named flow, or the default one if it has since gone (renamed or retired
        while a call or a call-back from it was still open), so that work is never stuck."""
        return self.flows.get(name) or self.default

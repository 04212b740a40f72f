"""Checking a flow file before any caller hears it: structure, references, dead ends, timing.

Pure: takes the parsed YAML (or its text) and returns the problems found, each naming the node
or setting at fault, plus the worst-case speech time to reach each ending. `flows check` prints
the report; loading a flow refuses one with problems, so a bad file stops the app at start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import jsonschema
import phonenumbers
import yaml

from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.flow_schema import FLOW_SCHEMA
from callrouter.domain.timescales import DEFAULT_TIMESCALE, ClockHours, parse_timescale
from callrouter.domain.vocabulary import Role

# Speech rate assumed for timing: 2.5 words a second (150 a minute), about the pace of the
# neural en-GB voices at their default rate. A placeholder such as {number} counts as 5 words.
WORDS_PER_SECOND = 2.5
PLACEHOLDER_WORDS = 5
# The phone node's own prompts (ivr.py): the worst case is the caller-id offer, then keying a
# number in, then hearing it read back for confirmation: about 60 words.
PHONE_NODE_WORDS = 60
# A section 47 caller must reach the first question that captures their details within this.
S47_FIRST_CAPTURE_SECONDS = 45
S47_LEVEL = "s47"
MAX_PATHS = 20_000  # beyond this a flow is too tangled for a caller, and for this checker

CAPTURE_TYPES = frozenset({"phone", "question", "record"})
ASKING_TYPES = frozenset({"menu"}) | CAPTURE_TYPES
ENDING_TYPES = frozenset({"outcome", "transfer"})
RESERVED_KEYS = frozenset({"*", "0"})  # "*" repeats, "0" reaches a person
OUTCOME_PLACEHOLDERS = frozenset({"number", "due", "reference", "text_sent"})
# Which flow link a text message sends (services/outcomes.py TEXT_LINKS says the same).
TEXT_LINK_NAMES = {"eform": "eform", "signpost": "resources"}


class FlowError(ValueError):
    """A flow file that the engine must not run; the message names the node at fault."""


@dataclass(frozen=True)
class Problem:
    where: str  # "node 'x'", "teams.edt", "calendar", "(file)"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Step:
    """One node on a path through a flow, and what the caller did there."""

    node: str
    key: str | None = None  # the menu key pressed, if a menu


@dataclass(frozen=True)
class FlowPath:
    """A route a caller can take from the start to an outcome or a transfer."""

    steps: tuple[Step, ...]
    office_open: bool | None  # None if the path passes no hours node
    answers: dict[str, Any]  # what menus set on the way (captured fields hold CAPTURED)
    captured: tuple[str, ...]  # fields the caller is asked for, in order
    words: int  # words spoken to the caller before the ending's own words
    words_to_first_capture: int | None
    # The caller changed a choice on the way (a menu set a value another had set differently),
    # such as Cheshire East's "press 9 if you meant ChECS": a recovered wrong turn.
    detour: bool = False

    @property
    def end(self) -> str:
        return self.steps[-1].node

    @property
    def seconds(self) -> float:
        return self.words / WORDS_PER_SECOND


CAPTURED = "<captured>"


@dataclass
class Report:
    """What `flows check` found in one flow."""

    name: str
    problems: list[Problem] = field(default_factory=list)
    # Worth a second look but not wrong: reported by `flows check`, never refused.
    warnings: list[Problem] = field(default_factory=list)
    worst_seconds: dict[str, float] = field(default_factory=dict)  # ending node -> seconds
    s47_first_capture_seconds: float | None = None
    paths: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# -- reading ---------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (plain YAML keeps the last silently)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep=False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise FlowError(
                f"line {key_node.start_mark.line + 1}: {key!r} is given twice "
                f"(first on line {seen[key]})"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def read_yaml(text: str) -> Any:
    """Parse a flow file's text, refusing duplicate keys such as a node defined twice."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass, so safe
    except yaml.YAMLError as error:
        raise FlowError(f"not valid YAML: {error}") from None


# -- graph -----------------------------------------------------------------------------------


def successors(node: dict[str, Any]) -> list[str]:
    """Return the ids of the nodes a node can lead to."""
    kind = node.get("type")
    if kind == "menu":
        return [option["next"] for option in node.get("options", [])]
    if kind == "branch":
        return [case["next"] for case in node.get("cases", [])] + [node["otherwise"]]
    if kind == "hours":
        return [node["open"], node["closed"]]
    return [node["next"]] if "next" in node else []


def choose_branch(node: dict[str, Any], answers: dict[str, Any]) -> str:
    """Return where a branch node leads for the answers so far: the first case that matches."""
    for case in node["cases"]:
        if all(_matches(answers.get(name), wanted) for name, wanted in case["when"].items()):
            return case["next"]
    return node["otherwise"]


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return value in wanted
    return value == wanted


def reachable(nodes: dict[str, dict], *starts: str | None) -> set[str]:
    """Return the nodes reachable from any of the starts."""
    seen: set[str] = set()
    todo = [start for start in starts if start in nodes]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(target for target in successors(nodes[node_id]) if target in nodes)
    return seen


# -- checking --------------------------------------------------------------------------------


def check_text(text: str, name: str = "flow") -> Report:
    """Check a flow file's text."""
    try:
        spec = read_yaml(text)
    except FlowError as error:
        return Report(name, [Problem("(file)", str(error))])
    return check_spec(spec, name)


def check_spec(spec: Any, name: str | None = None) -> Report:
    """Check a parsed flow: every problem found, and the speech time to each ending."""
    report = Report(name or (spec.get("name") if isinstance(spec, dict) else None) or "flow")
    validator = jsonschema.Draft202012Validator(FLOW_SCHEMA)
    schema_errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    for error in schema_errors:
        report.problems.append(Problem(_where(list(error.absolute_path)), error.message))
    if schema_errors:
        return report  # the checks below rely on the structure being right
    for check in (_references, _menus, _texts, _graph, _numbers, _calendar, _levels):
        report.problems.extend(check(spec))
    if report.ok:
        report.warnings.extend(_uncovered_short_levels(spec))
        _timing(spec, report)
    return report


def _where(path: list) -> str:
    if len(path) >= 2 and path[0] == "nodes":
        rest = "/".join(str(part) for part in path[2:])
        return f"node {path[1]!r}" + (f" ({rest})" if rest else "")
    return ".".join(str(part) for part in path) or "(top level)"


def _references(spec: dict) -> Iterator[Problem]:
    nodes, teams = spec["nodes"], spec["teams"]
    if spec["start"] not in nodes:
        yield Problem("start", f"no node named {spec['start']!r}")
    if spec["operator_team"] not in teams:
        yield Problem("operator_team", f"no team named {spec['operator_team']!r}")
    if "message_path" in spec and spec["message_path"] not in nodes:
        yield Problem("message_path", f"no node named {spec['message_path']!r}")
    for node_id, node in nodes.items():
        where = f"node {node_id!r}"
        for target in successors(node):
            if target not in nodes:
                yield Problem(where, f"leads to {target!r}, which does not exist")
        if node["type"] == "transfer" and node["team"] not in teams:
            yield Problem(where, f"no team named {node['team']!r}")
        if node["type"] == "outcome" and node.get("level") and node["level"] not in spec["levels"]:
            yield Problem(where, f"no level named {node['level']!r}")
    if any(node["type"] == "hours" for node in nodes.values()) and "message_path" not in spec:
        yield Problem(
            "message_path",
            "a flow with an hours node must name the message path callers reach out of hours",
        )


def _menus(spec: dict) -> Iterator[Problem]:
    for node_id, node in spec["nodes"].items():
        if node["type"] != "menu":
            continue
        where = f"node {node_id!r}"
        keys = [option["key"] for option in node["options"]]
        for key in sorted({key for key in keys if keys.count(key) > 1}):
            yield Problem(where, f"key {key!r} is used twice")
        for key in sorted(RESERVED_KEYS & set(keys)):
            yield Problem(where, f"key {key!r} is reserved ('*' repeats, '0' reaches a person)")
        owner: dict[str, str] = {}
        for option in node["options"]:
            for word in option.get("speech", []):
                spoken = " ".join(word.lower().split())
                if spoken in owner and owner[spoken] != option["key"]:
                    yield Problem(
                        where,
                        f"the words {word!r} are given for both key {owner[spoken]!r} "
                        f"and key {option['key']!r}",
                    )
                owner.setdefault(spoken, option["key"])


def _texts(spec: dict) -> Iterator[Problem]:
    for node_id, node in spec["nodes"].items():
        where = f"node {node_id!r}"
        for name in ("say", "prompt"):
            text = node.get(name)
            if text is not None and not text.strip():
                yield Problem(where, f"the {name} is empty")
            if text is None:
                continue
            used = set(re.findall(r"{(\w*)}", text))
            allowed = OUTCOME_PLACEHOLDERS if node["type"] == "outcome" else frozenset()
            for placeholder in sorted(used - allowed):
                yield Problem(where, f"{{{placeholder}}} in the {name} would be read out as is")
        for option in node.get("options", []):
            if "say" in option and not option["say"].strip():
                yield Problem(where, f"option {option['key']!r} has an empty say")
        if node["type"] == "outcome" and node.get("text"):
            purpose = node["text"]
            link = TEXT_LINK_NAMES.get(purpose, purpose)
            if not spec.get("links", {}).get(link):
                yield Problem(where, f"texts a {purpose!r} link, but links.{link} is not set")
            if not spec.get("texts", {}).get(f"{purpose}_sms"):
                yield Problem(
                    where, f"texts a {purpose!r} link, but texts.{purpose}_sms is not set"
                )


def _graph(spec: dict) -> Iterator[Problem]:
    nodes = spec["nodes"]
    if any(target not in nodes for node in nodes.values() for target in successors(node)):
        return  # already reported; the walks below need whole edges
    entries = [spec["start"], spec.get("message_path")]
    seen = reachable(nodes, *entries)
    for node_id in nodes:
        if node_id not in seen:
            yield Problem(
                f"node {node_id!r}", "no path from the start or the message path reaches it"
            )
    # A node from which no outcome or transfer can be reached traps the caller.
    ends = {node_id for node_id, node in nodes.items() if node["type"] in ENDING_TYPES}
    leads_to_end = set(ends)
    changed = True
    while changed:
        changed = False
        for node_id, node in nodes.items():
            if node_id not in leads_to_end and any(t in leads_to_end for t in successors(node)):
                leads_to_end.add(node_id)
                changed = True
    for node_id in nodes:
        if node_id in seen and node_id not in leads_to_end:
            yield Problem(f"node {node_id!r}", "no path from here ends in an outcome or transfer")
    # The engine walks say, branch and hours nodes without waiting: a loop of them never asks.
    passing = {n for n, node in nodes.items() if node["type"] in ("say", "branch", "hours")}
    for node_id in sorted(passing):
        if _loops_back(nodes, node_id, passing):
            yield Problem(
                f"node {node_id!r}",
                "loops back to itself through say, branch or hours nodes without asking anything",
            )


def _loops_back(nodes: dict, start: str, passing: set[str]) -> bool:
    todo = [t for t in successors(nodes[start]) if t in passing]
    seen: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id == start:
            return True
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(t for t in successors(nodes[node_id]) if t in passing)
    return False


def _numbers(spec: dict) -> Iterator[Problem]:
    numbers = spec.get("numbers", [])
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        yield Problem("numbers", f"{number} is listed twice")
    for number in numbers:
        if not _valid_number(number):
            yield Problem("numbers", f"{number} is not a valid phone number")
    for team, details in spec["teams"].items():
        if not _valid_number(details["number"]):
            yield Problem(f"teams.{team}", f"{details['number']} is not a valid phone number")


def _valid_number(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, "GB"))
    except phonenumbers.NumberParseException:
        return False


def _calendar(spec: dict) -> Iterator[Problem]:
    has_hours = any(node["type"] == "hours" for node in spec["nodes"].values())
    if has_hours and "calendar" not in spec:
        yield Problem("calendar", "an hours node needs the flow's calendar (opening hours)")
    try:
        WorkingCalendar.from_dict(spec.get("calendar") or {})
    except ValueError as error:
        yield Problem("calendar", str(error))


def _levels(spec: dict) -> Iterator[Problem]:
    roles = {role.value for role in Role}
    for name, rules in spec["levels"].items():
        where = f"levels.{name}"
        if "timescale" in rules:
            try:
                parse_timescale(rules["timescale"])
            except ValueError as error:
                yield Problem(where, str(error))
        if "role" in rules and rules["role"] not in roles:
            yield Problem(
                where, f"no role named {rules['role']!r}; roles: {', '.join(sorted(roles))}"
            )


def _uncovered_short_levels(spec: dict) -> Iterator[Problem]:
    """Warn of a call-back whose clock runs out overnight with nobody to make it.

    A level due within fewer clock hours than the office's shortest overnight closure, counted
    from the call, breaches whenever it comes in after hours unless the Emergency Duty Team
    covers it (out_of_hours_cover). Some front doors mean that (the caller is told to ring the
    EDT), so it is a warning, not a problem.
    """
    closed = _shortest_closure(WorkingCalendar.from_dict(spec.get("calendar") or {}))
    if closed is None:
        return
    for name, rules in spec["levels"].items():
        if "role" not in rules or rules.get("out_of_hours_cover"):
            continue
        policy = parse_timescale(rules.get("timescale", DEFAULT_TIMESCALE))
        runs_out_overnight = (
            isinstance(policy, ClockHours)
            and policy.starts == "immediately"
            and policy.hours * 60 < closed
        )
        if runs_out_overnight:
            timescale = rules.get("timescale", DEFAULT_TIMESCALE)
            yield Problem(
                f"levels.{name}",
                f"a call-back due {timescale} after the call, but the office shuts "
                f"for at least {closed // 60} hours: one asked for after hours breaches "
                "before anyone at the front door can make it. Set out_of_hours_cover: true "
                "if the Emergency Duty Team should make it",
            )


def _shortest_closure(calendar: WorkingCalendar) -> int | None:
    """Return the fewest minutes the office is shut between two opening days of its week."""
    days = sorted(calendar.opening_hours)
    if not days:
        return None
    gaps = []
    for index, day in enumerate(days):
        following = days[(index + 1) % len(days)]
        days_apart = (following - day) % 7 or 7
        closes = calendar.opening_hours[day][1]
        opens = calendar.opening_hours[following][0]
        gaps.append(days_apart * 24 * 60 + _minutes(opens) - _minutes(closes))
    return min(gaps)


def _minutes(wall_time: time) -> int:
    return wall_time.hour * 60 + wall_time.minute


# -- paths and timing ------------------------------------------------------------------------


def words_in(text: str | None) -> int:
    """Estimate the words a text-to-speech voice says for a prompt."""
    if not text:
        return 0
    placeholders = len(re.findall(r"{\w*}", text))
    return len(re.sub(r"{\w*}", " ", text).split()) + placeholders * PLACEHOLDER_WORDS


def node_words(node: dict) -> int:
    """Words a caller hears at a node before they can act (or before the call ends)."""
    kind = node["type"]
    if kind == "say":
        return words_in(node["say"])
    if kind in ("menu", "question", "record"):
        return words_in(node["prompt"])
    if kind == "phone":
        return PHONE_NODE_WORDS
    if kind == "transfer":
        return words_in(node.get("say"))
    return 0


def enumerate_paths(spec: dict, limit: int = MAX_PATHS) -> list[FlowPath]:
    """Every route from the start to an ending, each node at most once on a route.

    Branches follow what menus set on the way; a branch on a captured field (unknown here)
    tries every case. The first hours node tries open and closed; later ones agree with it.
    """
    nodes = spec["nodes"]
    paths: list[FlowPath] = []

    def walk(node_id, steps, answers, captured, words, first_capture, office_open, detour=False):
        if len(paths) > limit:
            return
        if node_id in {step.node for step in steps}:
            return  # a route back to a node already passed: the walk with it is capped here
        node = nodes[node_id]
        kind = node["type"]
        if kind in CAPTURE_TYPES and first_capture is None:
            first_capture = words
        here = (*steps, Step(node_id))
        if kind in ENDING_TYPES:
            paths.append(
                FlowPath(
                    here,
                    office_open,
                    answers,
                    captured,
                    words + node_words(node),
                    first_capture,
                    detour,
                )
            )
            return
        words += node_words(node)
        if kind == "menu":
            for option in node["options"]:
                extra = words_in(option.get("say"))
                sets = option.get("set", {})
                changed = any(
                    name in answers and answers[name] != value for name, value in sets.items()
                )
                walk(
                    option["next"],
                    (*steps, Step(node_id, option["key"])),
                    {**answers, **sets},
                    captured,
                    words + extra,
                    first_capture,
                    office_open,
                    detour or changed,
                )
        elif kind == "branch":
            unknown = any(
                answers.get(name) == CAPTURED for case in node["cases"] for name in case["when"]
            )
            targets = dict.fromkeys(successors(node)) if unknown else [choose_branch(node, answers)]
            for target in targets:
                walk(target, here, answers, captured, words, first_capture, office_open, detour)
        elif kind == "hours":
            choices = [True, False] if office_open is None else [office_open]
            for is_open in choices:
                walk(
                    node["open"] if is_open else node["closed"],
                    here,
                    answers,
                    captured,
                    words,
                    first_capture,
                    is_open,
                    detour,
                )
        elif kind in CAPTURE_TYPES:
            walk(
                node["next"],
                here,
                {**answers, node["field"]: CAPTURED},
                (*captured, node["field"]),
                words,
                first_capture,
                office_open,
                detour,
            )
        else:
            walk(node["next"], here, answers, captured, words, first_capture, office_open, detour)

    walk(spec["start"], (), {}, (), 0, None, None)
    return paths


def path_level(spec: dict, path: FlowPath) -> str | None:
    """The level a path's ending records: the outcome's own, else the one a menu set."""
    node = spec["nodes"][path.end]
    level = node.get("level") or path.answers.get("level")
    return None if level == CAPTURED else level


def _timing(spec: dict, report: Report) -> None:
    paths = enumerate_paths(spec)
    report.paths = len(paths)
    if len(paths) > MAX_PATHS:
        report.problems.append(
            Problem("(flow)", f"more than {MAX_PATHS} routes through the menus: simplify it")
        )
        return
    for path in paths:
        seconds = round(path.seconds, 1)
        report.worst_seconds[path.end] = max(report.worst_seconds.get(path.end, 0), seconds)
    slowest: tuple[float, str] | None = None
    for path in paths:
        if (
            path_level(spec, path) != S47_LEVEL
            or path.words_to_first_capture is None
            or path.detour
        ):
            continue  # the limit is for a caller who goes straight there
        seconds = path.words_to_first_capture / WORDS_PER_SECOND
        first = next(
            step.node for step in path.steps if spec["nodes"][step.node]["type"] in CAPTURE_TYPES
        )
        if slowest is None or seconds > slowest[0]:
            slowest = (seconds, first)
    if slowest is not None:
        report.s47_first_capture_seconds = round(slowest[0], 1)
        if slowest[0] > S47_FIRST_CAPTURE_SECONDS:
            report.problems.append(
                Problem(
                    f"node {slowest[1]!r}",
                    f"a section 47 caller hears about {slowest[0]:.0f} s of speech before this first "
                    f"question (limit {S47_FIRST_CAPTURE_SECONDS} s at {WORDS_PER_SECOND} words a "
                    "second): shorten the prompts before it",
                )
            )

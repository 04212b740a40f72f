"""The advisor's form, read from the same flow file as the IVR and walked by its branch rules.

An advisor keys in everything at once; walking the flow with those answers says which questions
the caller's path asks (so which are required), and where it ends: an outcome node or a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callrouter.domain.flow_check import choose_branch
from callrouter.domain.flows import Flow, FlowError
from callrouter.domain.phone import InvalidNumber, parse_callable_uk_number
from callrouter.domain.vocabulary import PLAIN_LEVEL_NAMES

# Words for the choices the flow's menus set; a value with none is shown as its own name.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "caller_type": {
        "professional": "A professional, calling about their work",
        "public": "A member of the public",
    },
    "service": {
        "family_help": "Family Help (early help and family support)",
        "checs": "ChECS (immediate safeguarding concerns, or a child in need of social care)",
    },
    "open_case": {
        "social_care": "Yes, the family has a social worker now",
        "early_help": "Yes, the family is working with the early help service",
        "none": "No, or the caller does not know",
    },
    "wants_callback": {
        True: "Yes, a call-back for specific advice as well as the link",
        False: "No, the link is all they need",
    },
    "consent": {
        "given": "Yes, the parents know and agree",
        "refused": "No, the parents do not agree",
        "not_sought": (
            "Not asked, because asking could put the child at risk or harm an investigation"
        ),
    },
}
FIELD_LABELS = {
    "caller_type": "Who is calling?",
    "service": "Which service does the caller want?",
    "open_case": "Is the family already working with us?",
    "level": "What level of need does the caller describe?",
    "wants_callback": "Does the caller want a call-back from the support hub?",
    "callback_number": "Call-back number",
    "caller_name": "Caller's full name",
    "caller_agency": "Caller's role and organisation",
    "child_name": "Child's full name",
    "child_age": "Child's age in years",
    "consent": "Do the parents know about this call and agree to it?",
    "summary": "Summary of the concern",
}
CONSENT_REASON = "consent_reason"
MAX_STEPS = 200
CAPTURE_TYPES = frozenset({"phone", "question", "record"})


@dataclass(frozen=True)
class Choice:
    value: Any
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class Question:
    """One field of the advisor's form, made from one or more nodes of the flow."""

    field: str
    kind: str  # choice, phone, text, number, long_text
    label: str
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass
class Walk:
    """Where a set of answers leads through a flow."""

    answers: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    outcome_node: str | None = None
    transfer_team: str | None = None
    asked: list[str] = field(default_factory=list)  # fields on the caller's path

    @property
    def complete(self) -> bool:
        return not self.errors and (self.outcome_node or self.transfer_team) is not None


def menu_field(node: dict) -> str:
    """Return the answer a menu sets: the key every option's `set` has in common."""
    keys = [set(option.get("set", {})) for option in node["options"]]
    common = set.intersection(*keys) if keys else set()
    if not common:
        raise FlowError("a menu whose options set no common answer cannot be shown as a form")
    return next(key for key in node["options"][0]["set"] if key in common)


def questions(flow: Flow) -> list[Question]:
    """Return the form's fields in the flow's order, each field once, choices merged."""
    found: dict[str, Question] = {}
    for node in flow.nodes.values():
        kind = node["type"]
        if kind == "menu":
            name = menu_field(node)
            values = [option["set"][name] for option in node["options"]]
            earlier = found.get(name)
            merged = [c.value for c in earlier.choices] if earlier else []
            merged += [v for v in values if v not in merged]
            found[name] = Question(
                name,
                "choice",
                FIELD_LABELS.get(name, _words(name)),
                tuple(_choice(name, v) for v in merged),
            )
        elif kind == "phone":
            label = FIELD_LABELS.get(node["field"], "Phone number")
            found.setdefault(node["field"], Question(node["field"], "phone", label))
        elif kind == "question" and node["field"] not in found:
            is_number = node["input"] == "digits"
            found[node["field"]] = Question(
                node["field"],
                "number" if is_number else "text",
                FIELD_LABELS.get(node["field"], _words(node["field"])),
                minimum=node.get("min"),
                maximum=node.get("max"),
            )
        elif kind == "record":
            found.setdefault(
                node["field"],
                Question(node["field"], "long_text", FIELD_LABELS.get(node["field"], "Summary")),
            )
    return list(found.values())


def parse_form(flow: Flow, form: dict[str, str], now: datetime | None = None) -> Walk:
    """Read the keyed-in form, check it as the IVR would, and walk the flow to its end."""
    by_field = {q.field: q for q in questions(flow)}
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, question in by_field.items():
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        if question.kind == "choice":
            match = next((c.value for c in question.choices if str(c.value) == raw), None)
            if match is None:
                errors[name] = f"Choose one of the options for: {question.label.lower()}"
            else:
                answers[name] = match
        elif question.kind == "phone":
            try:
                answers[name] = parse_callable_uk_number(raw)
            except InvalidNumber:
                errors[name] = "Enter a UK phone number we can call back, like 07700 900 982"
        elif question.kind == "number":
            if not raw.isdigit():
                errors[name] = f"{question.label} must be a whole number"
            else:
                value = int(raw)
                low, high = question.minimum or 0, question.maximum
                if value < low or (high is not None and value > high):
                    errors[name] = f"{question.label} must be from {low} to {high}"
                else:
                    answers[name] = value
        elif question.kind == "long_text":
            answers[name] = {"text": raw[:5000], "keyed_by": "advisor"}
        else:
            answers[name] = " ".join(raw.split())[:200]
    reason = " ".join((form.get(CONSENT_REASON) or "").split())
    if reason:
        answers[CONSENT_REASON] = reason[:500]
    walk = walk_flow(flow, answers, now)
    walk.errors = {**walk.errors, **errors}
    if walk.answers.get("consent") not in (None, "given") and not reason:
        walk.errors[CONSENT_REASON] = "Record why the contact goes ahead without consent"
    return walk


def walk_flow(flow: Flow, answers: dict[str, Any], now: datetime | None = None) -> Walk:
    """Follow the flow with the answers given, as the IVR would, to an outcome or a transfer."""
    walk = Walk(answers=dict(answers))
    node_id = flow.start
    for _ in range(MAX_STEPS):
        node = flow.nodes[node_id]
        kind = node["type"]
        if kind == "say":
            node_id = node["next"]
        elif kind == "branch":
            node_id = choose_branch(node, walk.answers)
        elif kind == "hours":
            is_open = now is None or flow.calendar.is_open(now)
            node_id = node["open"] if is_open else node["closed"]
        elif kind == "outcome":
            walk.outcome_node = node_id
            break
        elif kind == "transfer":
            walk.transfer_team = node["team"]
            break
        elif kind == "menu":
            name = menu_field(node)
            walk.asked.append(name)
            option = next(
                (
                    o
                    for o in node["options"]
                    if name in walk.answers and o["set"][name] == walk.answers[name]
                ),
                None,
            )
            if option is None:
                labels = [_choice(name, o["set"][name]).label for o in node["options"]]
                label = FIELD_LABELS.get(name, _words(name)).lower()
                if name in walk.answers:
                    walk.errors[name] = f"Here, {label} must be one of: " + "; ".join(labels)
                else:
                    walk.errors[name] = f"Answer: {label}"
                break
            for key, value in option["set"].items():
                walk.answers.setdefault(key, value)
            node_id = option["next"]
        elif kind in CAPTURE_TYPES:  # the answer was keyed in
            name = node["field"]
            walk.asked.append(name)
            if walk.answers.get(name) in (None, "") and not node.get("optional"):
                label = FIELD_LABELS.get(name, _words(name))
                walk.errors.setdefault(name, f"Enter the {label[0].lower() + label[1:]}")
            node_id = node["next"]
        else:
            raise FlowError(f"node {node_id!r}: the console cannot show a {kind!r} node")
    kept = set(walk.asked) | {CONSENT_REASON}
    walk.answers = {k: v for k, v in walk.answers.items() if k in kept}
    return walk


def _choice(name: str, value: Any) -> Choice:
    if name == "level":
        label = {
            "s47": "Section 47",
            "s17": "Section 17",
            "level3": "Level 3",
            "level2": "Level 2",
            "level1": "Level 1",
            "public_concern": "Not known (member of the public)",
        }.get(value, _words(value))
        return Choice(value, label, PLAIN_LEVEL_NAMES.get(value))
    return Choice(value, CHOICE_LABELS.get(name, {}).get(value, _words(str(value))))


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()

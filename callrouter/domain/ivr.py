"""The IVR engine: walks any flow, one caller reply at a time, with no knowledge of Twilio.

Given where a call stands and what the caller just did, it says what to say, what to ask next,
and whether the call has reached an outcome or must be put through to a team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from callrouter.domain.flow_check import choose_branch
from callrouter.domain.flows import Flow, FlowError
from callrouter.domain.phone import (
    InvalidNumber,
    parse_callable_uk_number,
    speakable,
    speakable_ending,
)

REPEAT_KEY = "*"
PERSON_KEY = "0"  # reaches an advisor at any point in office hours, the message path otherwise
PERSON_WORDS = ("operator", "advisor", "adviser", "speak to someone", "speak to a person")
MAX_PASS_THROUGH = 50  # say and branch nodes walked in one turn before we call it a loop


@dataclass(frozen=True)
class Recording:
    sid: str
    url: str
    duration: int


@dataclass(frozen=True)
class Reply:
    """What the caller did in answer to a question: keys, words, or a recording."""

    digits: str = ""
    speech: str = ""
    recording: Recording | None = None

    @property
    def is_empty(self) -> bool:
        return not self.digits.strip() and not self.speech.strip() and self.recording is None


@dataclass(frozen=True)
class CallView:
    """Where a call stands: the node asked, its phase, failed tries, and the answers so far."""

    node: str | None
    phase: str | None
    failures: int
    answers: dict[str, Any]
    caller_id: str | None  # a callable E.164 caller id; None when withheld or not callable
    # The call's time, from the service's clock, for hours nodes and "is anyone there?".
    # None (no clock) counts as open, so a caller is never sent away for want of a time.
    now: datetime | None = None


@dataclass(frozen=True)
class Ask:
    """A question put to the caller, to be answered by keys, speech or a recording."""

    node: str
    mode: Literal["keys", "speech", "keys_or_speech", "record"]
    prompt: str
    num_digits: int | None = None
    finish_on_key: str | None = None
    timeout_seconds: int = 6
    hints: tuple[str, ...] = ()
    max_seconds: int | None = None


@dataclass(frozen=True)
class Transfer:
    team: str
    number: str
    reason: Literal["menu", "failures", "asked"]


@dataclass(frozen=True)
class Turn:
    """The engine's answer: what to say, then one of: a question, an outcome, a transfer."""

    node: str | None
    phase: str | None
    failures: int
    answers: dict[str, Any]
    speech: list[str] = field(default_factory=list)
    ask: Ask | None = None
    outcome_node: str | None = None
    transfer: Transfer | None = None


@dataclass(frozen=True)
class _Advance:
    next_node: str
    say: str | None = None


@dataclass(frozen=True)
class _Phase:
    phase: str


@dataclass(frozen=True)
class _Fail:
    message: str


class Engine:
    """Interpret one flow."""

    def __init__(self, flow: Flow):
        self.flow = flow

    def begin(self, view: CallView) -> Turn:
        """Start a call at the flow's first node."""
        return self._enter(self.flow.start, view, dict(view.answers), [])

    def reply(self, view: CallView, node_id: str, reply: Reply) -> Turn:
        """Take the caller's reply to the question at a node and move the call on."""
        if view.node is None or node_id != view.node or view.node not in self.flow.nodes:
            return self.ask_again(view)
        if reply.digits == REPEAT_KEY:
            return self.ask_again(view)
        node = self.flow.nodes[view.node]
        answers = dict(view.answers)
        if _asks_for_person(node, view, reply):
            return self.reach_person(replace(view, answers=answers), [], reason="asked")
        handler = getattr(self, f"_reply_{node['type']}")
        result = handler(node, view, reply, answers)
        if isinstance(result, _Advance):
            speech = [result.say] if result.say else []
            return self._enter(result.next_node, replace(view, failures=0), answers, speech)
        if isinstance(result, _Phase):
            return self._ask(view.node, result.phase, replace(view, failures=0), answers, [])
        return self._fail(view, answers, result.message)

    def ask_again(self, view: CallView, speech: list[str] | None = None) -> Turn:
        """Repeat the current question as it was, counting nothing against the caller."""
        if view.node is None or view.node not in self.flow.nodes:
            return self.begin(view)
        return self._ask(view.node, view.phase, view, dict(view.answers), list(speech or []))

    def transfer_to_operator(
        self, view: CallView, speech: list[str], reason: Literal["failures", "asked"] = "failures"
    ) -> Turn:
        """Put the caller through to the flow's advisors."""
        team = self.flow.operator_team
        return Turn(
            node=view.node,
            phase=view.phase,
            failures=view.failures,
            answers=dict(view.answers),
            speech=[*speech, self.flow.text("transfer_to_person")],
            transfer=Transfer(team, self.flow.team_number(team), reason),
        )

    def reach_person(
        self, view: CallView, speech: list[str], reason: Literal["failures", "asked"] = "failures"
    ) -> Turn:
        """Send a caller who needs a person to the advisors; when shut, to the message path.

        A flow without a message path always goes to the advisors, as before hours existed.
        A caller already in the message path who cannot go on is told how to get help, and
        the call ends; what they gave is kept when the call closes.
        """
        if self.flow.message_path is None or self.is_open(view):
            return self.transfer_to_operator(view, speech, reason)
        answers = dict(view.answers)
        if view.node in self.flow.message_nodes:
            if reason == "asked":
                return self.ask_again(view)
            return Turn(
                view.node,
                view.phase,
                view.failures,
                answers,
                [*speech, self.flow.text("closed_goodbye")],
            )
        closed_view = replace(view, failures=0)
        return self._enter(
            self.flow.message_path, closed_view, answers, [*speech, self.flow.text("closed")]
        )

    def is_open(self, view: CallView) -> bool:
        """Say whether the office is open at the call's time (no time given counts as open)."""
        return view.now is None or self.flow.calendar.is_open(view.now)

    # -- walking -----------------------------------------------------------------------------

    def _enter(self, node_id: str, view: CallView, answers: dict, speech: list[str]) -> Turn:
        for _ in range(MAX_PASS_THROUGH):
            node = self.flow.nodes[node_id]
            kind = node["type"]
            if kind == "say":
                speech.append(node["say"])
                node_id = node["next"]
            elif kind == "branch":
                node_id = choose_branch(node, answers)
            elif kind == "hours":
                node_id = node["open"] if self.is_open(view) else node["closed"]
            elif kind == "outcome":
                return Turn(node_id, None, 0, answers, speech, outcome_node=node_id)
            elif kind == "transfer":
                if node.get("say"):
                    speech.append(node["say"])
                number = self.flow.team_number(node["team"])
                return Turn(
                    node_id,
                    None,
                    0,
                    answers,
                    speech,
                    transfer=Transfer(node["team"], number, "menu"),
                )
            else:
                return self._ask(node_id, self._first_phase(node, view), view, answers, speech)
        raise FlowError(f"node {node_id!r}: say, branch and hours nodes loop without asking")

    def _first_phase(self, node: dict, view: CallView) -> str | None:
        if node["type"] != "phone":
            return None
        if view.caller_id and node.get("offer_caller_id", True):
            return "offer"
        return "enter"

    def _ask(
        self, node_id: str, phase: str | None, view: CallView, answers: dict, speech: list[str]
    ) -> Turn:
        node = self.flow.nodes[node_id]
        ask = getattr(self, f"_ask_{node['type']}")(node_id, node, phase, view)
        return Turn(node_id, phase, view.failures, answers, speech, ask=ask)

    def _fail(self, view: CallView, answers: dict, message: str) -> Turn:
        failures = view.failures + 1
        failed_view = replace(view, failures=failures, answers=answers)
        if failures >= self.flow.max_failures:
            return self.reach_person(failed_view, [message])
        return self._ask(view.node, view.phase, failed_view, answers, [message])

    # -- questions ---------------------------------------------------------------------------

    def _ask_menu(self, node_id, node, phase, view) -> Ask:
        hints = tuple(word for option in node["options"] for word in option.get("speech", []))
        mode = "keys_or_speech" if hints else "keys"
        return Ask(node_id, mode, node["prompt"], num_digits=1, hints=hints)

    def _ask_phone(self, node_id, node, phase, view) -> Ask:
        if phase == "offer":
            prompt = (
                "To be called back on the number you are calling from, ending in "
                f"{speakable_ending(view.caller_id)}, press 1. To give a different number, press 2."
            )
            return Ask(node_id, "keys", prompt, num_digits=1)
        if phase and phase.startswith("confirm:"):
            number = phase.split(":", 1)[1]
            prompt = (
                f"You entered {speakable(number)}. If that is right, press 1. "
                "To enter it again, press 2."
            )
            return Ask(node_id, "keys", prompt, num_digits=1)
        prompt = node.get("prompt") or (
            "Please key in the phone number we should call you back on, starting with 0, "
            "then press the hash key."
        )
        return Ask(node_id, "keys", prompt, finish_on_key="#", timeout_seconds=10)

    def _ask_question(self, node_id, node, phase, view) -> Ask:
        if node["input"] == "digits":
            num_digits = len(str(node["max"])) if "max" in node else None
            return Ask(node_id, "keys", node["prompt"], num_digits=num_digits, finish_on_key="#")
        return Ask(node_id, "speech", node["prompt"], timeout_seconds=4)

    def _ask_record(self, node_id, node, phase, view) -> Ask:
        return Ask(
            node_id,
            "record",
            node["prompt"],
            finish_on_key="#",
            timeout_seconds=5,
            max_seconds=node.get("max_seconds", 120),
        )

    # -- replies -----------------------------------------------------------------------------

    def _reply_menu(self, node, view, reply, answers):
        if reply.is_empty:
            return _Fail(self.flow.text("no_input"))
        option = _match_option(node["options"], reply)
        if option is None:
            return _Fail(self.flow.text("invalid"))
        answers.update(option.get("set", {}))
        return _Advance(option["next"], option.get("say"))

    def _reply_phone(self, node, view, reply, answers):
        digits = reply.digits.strip().rstrip("#")
        if view.phase == "offer":
            if digits == "1" and view.caller_id:
                answers[node["field"]] = view.caller_id
                return _Advance(node["next"])
            if digits == "2":
                return _Phase("enter")
            return _Fail(self.flow.text("no_input") if not digits else self.flow.text("invalid"))
        if view.phase and view.phase.startswith("confirm:"):
            if digits == "1":
                answers[node["field"]] = view.phase.split(":", 1)[1]
                return _Advance(node["next"])
            if digits == "2":
                return _Phase("enter")
            return _Fail(self.flow.text("no_input") if not digits else self.flow.text("invalid"))
        if not digits:
            return _Fail("Sorry, I did not get a number.")
        try:
            number = parse_callable_uk_number(digits)
        except InvalidNumber:
            return _Fail("Sorry, that is not a UK phone number we can call back.")
        return _Phase(f"confirm:{number}")

    def _reply_question(self, node, view, reply, answers):
        if node["input"] == "speech":
            text = " ".join(reply.speech.split())
            if not text:
                if node.get("optional"):
                    answers[node["field"]] = None
                    return _Advance(node["next"])
                return _Fail("Sorry, I did not hear that.")
            answers[node["field"]] = text[:200]
            return _Advance(node["next"])
        digits = reply.digits.strip().rstrip("#")
        if not digits:
            if node.get("optional"):
                answers[node["field"]] = None
                return _Advance(node["next"])
            return _Fail("Sorry, I did not get a number.")
        if not digits.isdigit():
            return _Fail(self.flow.text("invalid"))
        value = int(digits)
        low, high = node.get("min"), node.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return _Fail(f"Sorry, please key in a number from {low or 0} to {high}.")
        answers[node["field"]] = value
        return _Advance(node["next"])

    def _reply_record(self, node, view, reply, answers):
        recording = reply.recording
        if recording is None or recording.duration <= 0:
            return _Fail("Sorry, I did not hear a message.")
        answers[node["field"]] = {
            "recording_sid": recording.sid,
            "recording_url": recording.url,
            "duration_seconds": recording.duration,
        }
        return _Advance(node["next"])


def _match_option(options: list[dict], reply: Reply) -> dict | None:
    digits = reply.digits.strip().rstrip("#")
    if digits:
        return next((option for option in options if option["key"] == digits[:1]), None)
    words = " " + re.sub(r"[^a-z0-9 ]", " ", reply.speech.lower()) + " "
    words = re.sub(r"\s+", " ", words)
    for option in options:
        for synonym in option.get("speech", []):
            if f" {synonym.lower().strip()} " in words:
                return option
    spoken_digit = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}
    for word in words.split():
        key = spoken_digit.get(word, word)
        match = next((option for option in options if option["key"] == key), None)
        if match:
            return match
    return None


def _asks_for_person(node: dict, view: CallView, reply: Reply) -> bool:
    """Say whether a reply is "0" (or, at a menu, words asking for a person).

    "0" is an answer, not a request, where it is one: a digits question whose range
    includes 0 (a child's age), and the middle of a keyed-in phone number.
    """
    digits = reply.digits.strip().rstrip("#")
    if digits == PERSON_KEY:
        if node["type"] == "question" and node["input"] == "digits":
            return node.get("min", 0) > 0
        return node["type"] != "record"
    if node["type"] == "menu" and not digits and reply.speech:
        words = " ".join(re.sub(r"[^a-z ]", " ", reply.speech.lower()).split())
        if _match_option(node["options"], reply) is None:
            return any(phrase in words for phrase in PERSON_WORDS)
    return False

"""What a contact ends as: call-back tasks, information-only records, texts, abandoned calls."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from callrouter.db.models import Contact, Message, Task
from callrouter.domain.deadlines import warning_time
from callrouter.domain.flows import Flow
from callrouter.domain.phone import is_mobile, speakable
from callrouter.domain.speech import fill, spoken_due_time, spoken_reference
from callrouter.domain.timescales import DEFAULT_TIMESCALE, TimescalePolicy, parse_timescale
from callrouter.domain.vocabulary import Level, Outcome, Role
from callrouter.services.escalation import schedule_deadline_checks
from callrouter.services.unit_of_work import UnitOfWork

REFERENCE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no look-alikes or sound-alikes (B/D, 0/O, 1/I)
TEXT_LINKS = {"eform": "eform", "signpost": "resources"}


def new_reference(uow: UnitOfWork) -> str:
    """Return a short reference, unused so far, that a caller can write down from speech."""
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        exists = uow.session.scalar(select(Contact.id).where(Contact.reference == reference))
        if exists is None:
            return reference


def open_contact(
    uow: UnitOfWork,
    flow: Flow,
    channel: str,
    now: datetime,
    *,
    call_sid: str | None = None,
    from_number: str | None = None,
    to_number: str | None = None,
    caller_id_withheld: bool = False,
    answers: dict[str, Any] | None = None,
) -> Contact:
    """Start a contact, by phone or keyed in by an advisor, with a new reference."""
    contact = Contact(
        reference=new_reference(uow),
        call_sid=call_sid,
        flow_name=flow.name,
        channel=channel,
        from_number=from_number,
        to_number=to_number,
        caller_id_withheld=caller_id_withheld,
        status="in_progress",
        answers=dict(answers or {}),
        failures=0,
        turn=0,
        last_status_sequence=-1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(contact)
    uow.session.flush()
    return contact


def due_time(flow: Flow, level: str | None, now: datetime) -> datetime:
    """Return when a call-back at this level, received now, is due under the flow's rules."""
    return _timescale(flow, level).due_at(now, flow.calendar)


def _timescale(flow: Flow, level: str | None) -> TimescalePolicy:
    return parse_timescale(flow.level(level).get("timescale", DEFAULT_TIMESCALE))


def _warn_at(
    flow: Flow, task: Task, policy: TimescalePolicy | None = None, asked_at: datetime | None = None
) -> datetime:
    """When managers are told this new task is at risk, counted the way its timescale counts:
    `policy` when the task was given one of its own, else its level's; from `asked_at` when
    its clock started before the task was made."""
    policy = policy or _timescale(flow, task.level)
    started = asked_at or task.created_at
    # Counted in the office's open time unless someone is there for it at any hour (s47, or a
    # level the EDT covers): a clock-hours call-back due on Sunday is at risk on Friday
    # afternoon, while a manager is there to be told, not at three on Sunday morning.
    at_any_hour = task.out_of_hours_cover or task.level == Level.S47
    in_open_time = policy.counts_open_time or not at_any_hour
    return warning_time(
        policy.clock_starts(started, flow.calendar),
        task.due_at,
        task.level,
        flow.calendar if in_open_time else None,
        urgent=task.out_of_hours_cover,
    )


def conclude(uow: UnitOfWork, contact: Contact, flow: Flow, node_id: str, now: datetime) -> str:
    """Record the outcome an outcome node names, and return what the caller should hear."""
    node = flow.nodes[node_id]
    level = node.get("level") or contact.answers.get("level")
    number = contact.answers.get("callback_number")
    contact.outcome = node["outcome"]
    if level:
        contact.answers = {**contact.answers, "level": level}
    facts = {
        "reference": spoken_reference(contact.reference),
        "number": speakable(number) if number else "",
    }
    if contact.outcome == Outcome.CALLBACK:
        task = create_callback(uow, contact, flow, level, now)
        facts["due"] = spoken_due_time(task.due_at, now)
    if contact.outcome == Outcome.INFORMATION_ONLY:
        contact.routed_team = flow.level(level).get("team")
    if node.get("text"):
        message = queue_text(uow, contact, flow, node["text"], number, now)
        facts["text_sent"] = (
            "We have sent you a text message with the link."
            if message
            else "We cannot text that number, so please find the link on the council's website."
        )
    return fill(node["say"], facts)


def create_callback(
    uow: UnitOfWork,
    contact: Contact,
    flow: Flow,
    level: str | None,
    now: datetime,
    *,
    asked_at: datetime | None = None,
) -> Task:
    """Create a call-back task due by the level's timescale, and ask for it to be allocated.

    `asked_at`: when the caller asked for it, if before now; its clock starts then.
    """
    rules = flow.level(level)
    task = Task(
        contact=contact,
        kind="callback",
        role=rules.get("role", Role.SOCIAL_WORKER),
        level=level,
        skill=rules.get("skill") or contact.answers.get("skill"),
        out_of_hours_cover=bool(rules.get("out_of_hours_cover")),
        callback_number=contact.answers.get("callback_number"),
        due_at=due_time(flow, level, asked_at or now),
        status="unallocated",
        created_at=now,
    )
    return _open_task(uow, task, flow, asked_at=asked_at)


def create_review(
    uow: UnitOfWork,
    contact: Contact,
    flow: Flow,
    now: datetime,
    *,
    timescale: TimescalePolicy | None = None,
    asked_at: datetime | None = None,
) -> Task:
    """Ask a practice manager to look at a contact no one can call back, or that needs a look.

    Where the flow has the Emergency Duty Team cover the level, it covers the review too: out
    of hours, an s47 caller nobody could reach must not wait for the office to open.

    `timescale` is for a review that is not about reaching the caller (a text not sent): it is
    due by that, not the level's timescale, and is not urgent, so the EDT does not cover it.
    `asked_at`: when the caller asked for help, if before now; the clock starts then.
    """
    level = contact.answers.get("level")
    policy = timescale or _timescale(flow, level)
    task = Task(
        contact=contact,
        kind="review",
        role=Role.PRACTICE_MANAGER,
        level=level,
        out_of_hours_cover=timescale is None and bool(flow.level(level).get("out_of_hours_cover")),
        due_at=policy.due_at(asked_at or now, flow.calendar),
        status="unallocated",
        created_at=now,
    )
    return _open_task(uow, task, flow, policy, asked_at)


def _open_task(
    uow: UnitOfWork,
    task: Task,
    flow: Flow,
    policy: TimescalePolicy | None = None,
    asked_at: datetime | None = None,
) -> Task:
    """Save a new task, then have it allocated and its deadline watched once committed.

    `policy`: the timescale the task's due time was counted by, when not its level's;
    `asked_at`: when its clock started, when before the task was made.
    """
    task.warn_at = _warn_at(flow, task, policy, asked_at)
    uow.session.add(task)
    uow.session.flush()
    uow.enqueue_after_commit("allocate_task", task.id)
    schedule_deadline_checks(uow, task)
    return task


def queue_text(
    uow: UnitOfWork,
    contact: Contact,
    flow: Flow,
    purpose: str,
    to_number: str | None,
    now: datetime,
) -> Message | None:
    """Write a text message to the outbox, if the number can take one; send it after commit."""
    if not is_mobile(to_number):
        return None
    body = fill(
        flow.spec.get("texts", {}).get(f"{purpose}_sms", "Ref {reference}: {link}"),
        {"reference": contact.reference, "link": flow.link(TEXT_LINKS.get(purpose, purpose))},
    )
    message = Message(
        contact=contact,
        purpose=purpose,
        to_number=to_number,
        from_number=contact.to_number or (flow.numbers[0] if flow.numbers else None),
        body=body,
        status="pending",
        created_at=now,
    )
    uow.session.add(message)
    uow.session.flush()
    uow.enqueue_after_commit("send_message", message.id)
    return message


def known_callback_number(contact: Contact, usable_caller_id: str | None) -> str | None:
    """Return the number we may call back: the one confirmed, else a caller id not withheld."""
    return contact.answers.get("callback_number") or usable_caller_id


def close_unfinished(
    uow: UnitOfWork, contact: Contact, flow: Flow, usable_caller_id: str | None, now: datetime
) -> Task | None:
    """Keep a call that ended early as a partial contact, with a call-back where one is owed."""
    if contact.outcome is not None:
        return None
    contact.outcome = Outcome.ABANDONED
    level = contact.answers.get("level")
    if not flow.level(level).get("callback_if_abandoned"):
        return None
    # The caller asked for help when last heard, not when we learn the call has ended: a call
    # whose end Twilio never reported is closed by the sweep hours later, and the clock of an
    # s47 call-back must not start again then.
    asked_at = min(contact.updated_at or now, now)
    number = known_callback_number(contact, usable_caller_id)
    if number is None:
        # A withheld number is never called automatically; a manager decides what to do.
        return create_review(uow, contact, flow, now, asked_at=asked_at)
    answers: dict[str, Any] = {**contact.answers, "callback_number": number}
    contact.answers = answers
    return create_callback(uow, contact, flow, level, now, asked_at=asked_at)

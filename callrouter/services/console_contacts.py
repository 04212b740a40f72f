"""Contacts on the console: calls in progress, a call taken by an advisor, caller history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callrouter.db.models import Contact
from callrouter.domain.console_form import Walk
from callrouter.domain.flows import Flow, FlowRegistry
from callrouter.domain.phone import InvalidNumber, parse_callable_uk_number
from callrouter.domain.vocabulary import Outcome
from callrouter.services import audit, outcomes
from callrouter.services.unit_of_work import UnitOfWork

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class Taken:
    """What became of a call an advisor keyed in, and what to tell the caller."""

    contact_id: int
    reference: str
    outcome: str
    script: str  # the words the IVR would have said; the advisor reads them out
    transfer_team: str | None = None
    transfer_number: str | None = None


@dataclass(frozen=True)
class TeamEntry:
    flow_title: str
    team: str
    name: str
    number: str


def calls_now(session: Session) -> list[Contact]:
    """Return phone contacts still in progress, oldest first, with what the IVR has so far."""
    return list(
        session.scalars(
            select(Contact).where(Contact.status == "in_progress").order_by(Contact.created_at)
        )
    )


def caller_history(
    session: Session, number: str | None, child_name: str | None, exclude_id: int | None = None
) -> list[Contact]:
    """Return earlier contacts from this number, or about a child of this name, newest first."""
    conditions = []
    if number:
        try:
            e164 = parse_callable_uk_number(number)
        except InvalidNumber:
            e164 = number.strip()
        conditions += [
            Contact.from_number == e164,
            Contact.answers["callback_number"].as_string() == e164,
        ]
    child = " ".join((child_name or "").split()).lower()
    if child:
        conditions.append(func.lower(Contact.answers["child_name"].as_string()) == child)
    if not conditions:
        return []
    query = (
        select(Contact)
        .where(or_(*conditions))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    return list(session.scalars(query))


def take_call(uow: UnitOfWork, flow: Flow, walk: Walk, user_id: int, now: datetime) -> Taken:
    """Record a call keyed in by an advisor and end it as the IVR would, with the same services."""
    if not walk.complete:
        raise ValueError("the form has errors or does not reach an outcome")
    contact = outcomes.open_contact(
        uow,
        flow,
        "console",
        now,
        from_number=walk.answers.get("callback_number"),
        to_number=flow.numbers[0] if flow.numbers else None,
        answers=walk.answers,
    )
    transfer_number = None
    if walk.outcome_node is not None:
        contact.current_node = walk.outcome_node
        script = outcomes.conclude(uow, contact, flow, walk.outcome_node, now)
    else:
        contact.current_node = None
        contact.outcome = Outcome.REDIRECTED
        contact.redirected_to = walk.transfer_team
        transfer_number = flow.team_number(walk.transfer_team)
        script = (
            f"Put the caller through to {flow.teams[walk.transfer_team]['name']} "
            f"on {transfer_number}."
        )
    contact.status = "closed"
    contact.closed_at = now
    audit.record(
        uow.session,
        user_id,
        "contact_created",
        now,
        contact_id=contact.id,
        outcome=contact.outcome,
        channel="console",
    )
    uow.commit()
    return Taken(
        contact.id, contact.reference, contact.outcome, script, walk.transfer_team, transfer_number
    )


def view_contact(
    uow: UnitOfWork, contact_id: int, user_id: int, now: datetime, why: str
) -> Contact | None:
    """Load a contact for display and write that this user saw it."""
    contact = uow.session.get(Contact, contact_id)
    if contact is None:
        return None
    audit.record(uow.session, user_id, "contact_viewed", now, contact_id=contact.id, via=why)
    uow.commit()
    return contact


def record_history_viewed(
    uow: UnitOfWork, contacts: list[Contact], user_id: int, now: datetime
) -> None:
    """Write that a user saw these contacts in a history list."""
    for contact in contacts:
        audit.record(
            uow.session, user_id, "contact_viewed", now, contact_id=contact.id, via="history"
        )
    uow.commit()


def directory(flows: FlowRegistry) -> list[TeamEntry]:
    """Return every team the flows can put a caller through to, with its number."""
    return [
        TeamEntry(flow.title, key, team.get("name", key), team["number"])
        for flow in flows.flows.values()
        for key, team in flow.teams.items()
    ]

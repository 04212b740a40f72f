"""Every contact as plain data, for `callrouter export`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callrouter.db.models import Contact, Task


def export_contacts(session: Session) -> list[dict[str, Any]]:
    """Return every contact with its tasks and messages, oldest first."""
    contacts = session.scalars(
        select(Contact)
        .options(
            selectinload(Contact.tasks).selectinload(Task.assignee),
            selectinload(Contact.messages),
        )
        .order_by(Contact.id)
    ).all()
    return [_contact(contact) for contact in contacts]


def _contact(contact: Contact) -> dict[str, Any]:
    answers = contact.answers or {}
    return {
        "reference": contact.reference,
        "call_sid": contact.call_sid,
        "flow": contact.flow_name,
        "channel": contact.channel,
        "status": contact.status,
        "created_at": contact.created_at.isoformat(),
        "caller_type": answers.get("caller_type"),
        "level": answers.get("level"),
        "outcome": contact.outcome,
        "routed_team": contact.routed_team,
        "redirected_to": contact.redirected_to,
        "callback_number": answers.get("callback_number"),
        "caller_id_withheld": contact.caller_id_withheld,
        "consent": answers.get("consent"),
        "consent_reason": answers.get("consent_reason"),
        "answers": answers,
        "tasks": [
            {
                "id": task.id,
                "kind": task.kind,
                "role": task.role,
                "level": task.level,
                "assignee": task.assignee.ref if task.assignee else None,
                "due_at": task.due_at.isoformat(),
                "status": task.status,
            }
            for task in contact.tasks
        ],
        "messages": [
            {
                "to": message.to_number,
                "purpose": message.purpose,
                "body": message.body,
                "status": message.status,
            }
            for message in contact.messages
        ],
    }

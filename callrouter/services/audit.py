"""The audit log: every view or change of a contact, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callrouter.db.console_models import AuditEvent


def record(
    session: Session,
    user_id: int | None,
    action: str,
    now: datetime,
    contact_id: int | None = None,
    task_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session; the service that called this commits it."""
    event = AuditEvent(
        user_id=user_id,
        action=action,
        contact_id=contact_id,
        task_id=task_id,
        detail=detail,
        created_at=now,
    )
    session.add(event)
    return event


def recent(session: Session, limit: int = 200, contact_id: int | None = None) -> list[AuditEvent]:
    """Return the latest audit events, newest first, optionally for one contact."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if contact_id is not None:
        query = query.where(AuditEvent.contact_id == contact_id)
    return list(session.scalars(query))

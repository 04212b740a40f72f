"""RQ jobs: each takes ids, loads what it needs, and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callrouter.db.models import Message, Task
from callrouter.services import allocation, messages
from workers.context import current

log = logging.getLogger(__name__)

STALE_CALL_AFTER = timedelta(hours=2)


def _now() -> datetime:
    return datetime.now(UTC)


def send_message(message_id: int) -> str:
    """Send one outbox message (or record the dry run)."""
    context = current()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        return messages.send_message(uow, message_id, context.sms, clock=_now)


def allocate_task(task_id: int) -> int | None:
    """Give one call-back task to a person on shift, if anyone eligible is."""
    context = current()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        return allocation.allocate_task(uow, task_id, _now())


def sweep() -> dict[str, int]:
    """Find work whose job was lost and queue it again; close calls Twilio never ended."""
    context = current()
    now = _now()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        pending = uow.session.scalars(select(Message.id).where(Message.status == "pending")).all()
        waiting = uow.session.scalars(select(Task.id).where(Task.status == "unallocated")).all()
    for message_id in pending:
        context.dispatcher.enqueue("send_message", message_id)
    for task_id in waiting:
        context.dispatcher.enqueue("allocate_task", task_id)
    closed = context.runtime.calls(context.dispatcher).close_stale(now - STALE_CALL_AFTER)
    summary = {"messages": len(pending), "tasks": len(waiting), "closed_calls": len(closed)}
    log.info("sweep: %s", summary)
    return summary

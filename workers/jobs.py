"""RQ jobs: each takes ids, loads what it needs, and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from callrouter.services import allocation, escalation, messages
from workers.context import current

log = logging.getLogger(__name__)

STALE_CALL_AFTER = timedelta(hours=2)
# A transfer's Dial report comes seconds after the call ends; one not come by then never will.
TRANSFER_REPORT_WAIT = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def send_message(message_id: int) -> str:
    """Send one outbox message (or record the dry run)."""
    context = current()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        return messages.send_message(uow, message_id, context.sms, clock=_now,
                                     flows=context.runtime.flows)


def allocate_task(task_id: int) -> int | None:
    """Give one call-back task to a person on shift, if anyone eligible is."""
    context = current()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        return allocation.allocate_task(uow, task_id, _now())


def check_task_deadline(task_id: int) -> int:
    """Escalate one task if it is at risk or breached (its timer fired)."""
    context = current()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        return len(escalation.check_deadlines(uow, _now(), task_ids=[task_id]))


def sweep() -> dict[str, int]:
    """Do what lost jobs would have done: escalate, release, allocate, send, close calls.

    Texts are queued only when their next try is due, so a text waiting out a fault is not
    tried early, and a failed one is never queued again.
    """
    context = current()
    now = _now()
    with context.runtime.unit_of_work(context.dispatcher) as uow:
        calls = context.runtime.calls(context.dispatcher)
        closed = calls.close_stale(now - STALE_CALL_AFTER)
        settled = calls.settle_transfers(now - TRANSFER_REPORT_WAIT)
        escalated = escalation.check_deadlines(uow, now)
        released = allocation.release_unreachable_holders(uow, now)
        allocated = allocation.allocate_pending(uow, now)
        stalled = messages.settle_stalled_sends(uow, now, context.runtime.flows)
        pending = messages.due_for_sending(uow.session, now)
    for message_id in pending:
        context.dispatcher.enqueue("send_message", message_id)
    summary = {
        "closed_calls": len(closed),
        "unreported_transfers": len(settled),
        "escalations": len(escalated),
        "released": len(released),
        "allocated": len(allocated),
        "messages": len(pending),
        "stalled_messages": len(stalled),
    }
    log.info("sweep: %s", summary)
    return summary

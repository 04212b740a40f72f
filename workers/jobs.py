"""RQ jobs: each takes ids, loads what it needs, and is safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from callrouter.services import allocation, escalation, messages
from callrouter.services.unit_of_work import UnitOfWork
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
        return messages.send_message(
            uow, message_id, context.sms, clock=_now, flows=context.runtime.flows
        )


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

    Deadlines come first, and each step runs in its own transaction: a step that fails (a bad
    row, a database hiccup) is logged and the others still run, so nothing else can stop a
    breach being recorded. Texts are queued only when their next try is due, so a text waiting
    out a fault is not tried early, and a failed one is never queued again.
    """
    context = current()
    now = _now()
    calls = context.runtime.calls(context.dispatcher)
    flows = context.runtime.flows

    def in_transaction(step: Callable[[UnitOfWork], list]) -> Callable[[], list]:
        def run() -> list:
            with context.runtime.unit_of_work(context.dispatcher) as uow:
                return step(uow)

        return run

    steps: dict[str, Callable[[], list]] = {
        "escalations": in_transaction(lambda uow: escalation.check_deadlines(uow, now)),
        "closed_calls": lambda: calls.close_stale(now - STALE_CALL_AFTER),
        "unreported_transfers": lambda: calls.settle_transfers(now - TRANSFER_REPORT_WAIT),
        "released": in_transaction(lambda uow: allocation.release_unreachable_holders(uow, now)),
        "allocated": in_transaction(lambda uow: allocation.allocate_pending(uow, now)),
        "stalled_messages": in_transaction(
            lambda uow: messages.settle_stalled_sends(uow, now, flows)
        ),
        "messages": in_transaction(lambda uow: messages.due_for_sending(uow.session, now)),
    }
    done: dict[str, list] = {}
    failed = []
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:
            log.exception("sweep: %s failed; the other steps still ran", name)
            failed.append(name)
    for message_id in done.get("messages", []):
        context.dispatcher.enqueue("send_message", message_id)
    summary = {name: len(found) for name, found in done.items()}
    log.info("sweep: %s", summary)
    if failed:
        # Marks the job failed in RQ, so a monitor sees it; the next sweep comes a minute later.
        raise SweepIncomplete(failed)
    return summary


class SweepIncomplete(RuntimeError):
    """Some of the sweep's steps failed (each logged); the rest ran."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(f"sweep steps failed: {', '.join(failed)}")
        self.failed = failed

"""Telling practice managers, before and at the moment, that a call-back's deadline is in danger.

Each open task gets two timers (RQ scheduled jobs) when it is created: one at its warning time,
one at its due time. The worker's sweep runs the same check over every open task each minute,
so a lost timer or a dead worker delays an escalation by a minute at most and never drops it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callrouter.db.models import Escalation, Task
from callrouter.domain.deadlines import warning_time
from callrouter.domain.vocabulary import Role
from callrouter.services.allocation import OPEN_STATUSES, on_duty_candidates
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def schedule_deadline_checks(uow: UnitOfWork, task: Task) -> None:
    """Ask for this task's deadline to be checked at its warning time and its due time."""
    uow.enqueue_after_commit(
        "check_task_deadline", task.id, at=warning_time(task.created_at, task.due_at, task.level)
    )
    uow.enqueue_after_commit("check_task_deadline", task.id, at=task.due_at)


def check_deadlines(uow: UnitOfWork, now: datetime,
                    task_ids: list[int] | None = None) -> list[Escalation]:
    """Record an at-risk warning or a breach for every open task that has reached one."""
    query = select(Task).where(Task.status.in_(OPEN_STATUSES))
    if task_ids is not None:
        query = query.where(Task.id.in_(task_ids))
    tasks = uow.session.scalars(query).all()
    already = {
        (task_id, kind)
        for task_id, kind in uow.session.execute(
            select(Escalation.task_id, Escalation.kind).where(
                Escalation.task_id.in_([task.id for task in tasks])
            )
        )
    }
    manager_id = None
    raised = []
    for task in tasks:
        kind = _due_escalation(task, now)
        if kind is None or (task.id, kind) in already:
            continue
        if manager_id is None:
            manager_id = _manager_on_duty(uow, now)
        escalation = _record(uow, task, kind, manager_id, now)
        if escalation is not None:
            raised.append(escalation)
    uow.commit()
    return raised


def _due_escalation(task: Task, now: datetime) -> str | None:
    if now >= task.due_at:
        return "breach"
    if now >= warning_time(task.created_at, task.due_at, task.level):
        return "at_risk"
    return None


def _record(uow: UnitOfWork, task: Task, kind: str, manager_id: int | None,
            now: datetime) -> Escalation | None:
    escalation = Escalation(task_id=task.id, kind=kind, task_due_at=task.due_at,
                            manager_id=manager_id, created_at=now)
    try:
        with uow.session.begin_nested():  # another sweep may record it at the same moment
            uow.session.add(escalation)
    except IntegrityError:
        return None
    if kind == "breach":
        log.warning("task %s (%s) breached its deadline; escalated to manager %s",
                    task.id, task.level, manager_id or "all")
    else:
        log.warning("task %s (%s) is at risk of missing its deadline; manager %s told",
                    task.id, task.level, manager_id or "all")
    return escalation


def _manager_on_duty(uow: UnitOfWork, now: datetime) -> int | None:
    """Return the least loaded practice manager on shift, or None to show every manager."""
    managers = [c for c in on_duty_candidates(uow, now) if c.role == Role.PRACTICE_MANAGER]
    if not managers:
        return None
    return int(min(managers, key=lambda c: (c.open_task_count, c.id)).id)

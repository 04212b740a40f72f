"""Telling practice managers, before and at the moment, that a call-back's deadline is in danger.

Out of hours, with no practice manager on shift, a call-back the Emergency Duty Team covers is
escalated to the EDT social worker on shift instead, who also sees on "my call-backs" every
such call-back still waiting for cover. Each open task gets two timers (RQ scheduled jobs)
when it is created: one at its warning time (stored with it: a share of the office's open time
before the deadline, or of the clock for s47 and what the EDT covers), one at its due time.
The worker's sweep runs the same check over every open task each minute, so a lost timer or a
dead worker delays an escalation by a minute at most and never drops it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from callrouter.db.models import Escalation, Task
from callrouter.domain.allocation import PRODUCTION_RULES, Candidate
from callrouter.domain.deadlines import warning_time
from callrouter.domain.vocabulary import Role
from callrouter.services.allocation import (
    KEEPS_HELD_WORK,
    OPEN_STATUSES,
    everyone_as_candidates,
)
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Who may be told of an escalation: a practice manager on shift, failing one (for what it
# covers) the Emergency Duty Team.
TOLD_ROLES = frozenset({Role.PRACTICE_MANAGER, *PRODUCTION_RULES.out_of_hours_cover})
# How far back the check looks for call-backs closed after their deadline with no breach on
# record: longer than any outage of the worker, short enough to stay a cheap query.
CLOSED_LATE_LOOKBACK = timedelta(days=7)


def schedule_deadline_checks(uow: UnitOfWork, task: Task) -> None:
    """Ask for this task's deadline to be checked at its warning time and its due time."""
    uow.enqueue_after_commit("check_task_deadline", task.id, at=warning_at(task))
    uow.enqueue_after_commit("check_task_deadline", task.id, at=task.due_at)


def warning_at(task: Task) -> datetime:
    """When managers are told a task is at risk: as stored when it was made, or, for a task
    made before that was stored, at a share of its clock time."""
    return task.warn_at or warning_time(task.created_at, task.due_at, task.level,
                                        urgent=bool(task.out_of_hours_cover))


def check_deadlines(uow: UnitOfWork, now: datetime,
                    task_ids: list[int] | None = None) -> list[Escalation]:
    """Record an at-risk warning or a breach for every open task that has reached one, and a
    breach for one closed after its deadline that has none (its check missed while the worker
    was down: a late call-back is recorded late, never not at all)."""
    open_tasks = select(Task).where(Task.status.in_(OPEN_STATUSES))
    breach_recorded = exists().where(Escalation.task_id == Task.id, Escalation.kind == "breach")
    closed_late = select(Task).where(
        Task.closed_at >= now - CLOSED_LATE_LOOKBACK, Task.closed_at > Task.due_at,
        Task.status.not_in(OPEN_STATUSES), ~breach_recorded,
    )
    tasks = []
    for query in (open_tasks, closed_late):
        if task_ids is not None:
            query = query.where(Task.id.in_(task_ids))
        tasks.extend(uow.session.scalars(query))
    already = {
        (task_id, kind)
        for task_id, kind in uow.session.execute(
            select(Escalation.task_id, Escalation.kind).where(
                Escalation.task_id.in_([task.id for task in tasks])
            )
        )
    }
    recipients = _Recipients(uow, now)
    raised = []
    for task in tasks:
        kind = _due_escalation(task, now)
        if kind is None or (task.id, kind) in already:
            continue
        escalation = _record(uow, task, kind, recipients.for_task(task), now)
        if escalation is not None:
            raised.append(escalation)
    uow.commit()
    return raised


def _due_escalation(task: Task, now: datetime) -> str | None:
    if now >= task.due_at:
        return "breach"
    if now >= warning_at(task):
        return "at_risk"
    return None


def _record(uow: UnitOfWork, task: Task, kind: str, told_id: int | None,
            now: datetime) -> Escalation | None:
    escalation = Escalation(task_id=task.id, kind=kind, task_due_at=task.due_at,
                            manager_id=told_id, created_at=now)
    try:
        with uow.session.begin_nested():  # another sweep may record it at the same moment
            uow.session.add(escalation)
    except IntegrityError:
        return None
    if kind == "breach":
        log.warning("task %s (%s) breached its deadline; escalated to staff %s",
                    task.id, task.level, told_id or "all managers")
    else:
        log.warning("task %s (%s) is at risk of missing its deadline; staff %s told",
                    task.id, task.level, told_id or "all managers")
    return escalation


class _Recipients:
    """Who is told of an escalation: looked up once per check, only if something is raised."""

    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self._uow = uow
        self._now = now
        self._on_shift: list[Candidate] | None = None

    def for_task(self, task: Task) -> int | None:
        """Return the least loaded practice manager on shift; failing one, for a call-back
        the Emergency Duty Team covers, the least loaded EDT social worker on shift (out of
        hours nobody else would see it); otherwise None, shown to every manager."""
        manager = self._least_loaded({Role.PRACTICE_MANAGER})
        if manager is None and task.out_of_hours_cover:
            return self._least_loaded(set(PRODUCTION_RULES.out_of_hours_cover))
        return manager

    def _least_loaded(self, roles: set[Role]) -> int | None:
        if self._on_shift is None:
            # Someone on a call is still there to be told.
            self._on_shift = everyone_as_candidates(self._uow, self._now, KEEPS_HELD_WORK)
        people = [c for c in self._on_shift if c.available and c.role in roles]
        if not people:
            return None
        return int(min(people, key=lambda c: (c.open_task_count, c.id)).id)

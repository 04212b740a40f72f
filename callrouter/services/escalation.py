"""Telling practice managers, before and at the moment, that a call-back's deadline is in danger.

Out of hours, with no practice manager on shift, a call-back the Emergency Duty Team covers is
escalated to the EDT social worker on shift instead, who also sees on "my call-backs" every
such call-back still waiting for cover. Each open task gets two timers (RQ scheduled jobs)
when it is created: one at its warning time (stored with it: a share of the office's open time
before the deadline, or of the clock for s47 and what the EDT covers), one at its due time.
The worker's sweep runs the same check over every open task each minute, so a lost timer or a
dead worker delays an escalation by a minute at most and never drops it.

A call-back is also at risk, however far off its deadline, when nobody able to make it is on
the rota from some moment until then: a level 2 call-back taken on Friday afternoon, due on
Sunday, at a hub that works weekdays, or one whose only able worker went home ill. The manager
is told the hour before the last person able to make it goes off (at once if that is already
past), while someone can still act, not on Sunday when nobody is there to be told.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from callrouter.db.models import Escalation, Shift, Staff, Task
from callrouter.domain.allocation import PRODUCTION_RULES, Candidate
from callrouter.domain.deadlines import warning_time
from callrouter.domain.vocabulary import Role
from callrouter.services.allocation import (
    KEEPS_HELD_WORK,
    OPEN_STATUSES,
    availability_now,
    could_take,
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
# How long before the last person able to make a call-back goes off (with its deadline after)
# the manager is told: time to ask them to make it, or to find someone else.
COVER_WARNING_LEAD = timedelta(hours=1)


def schedule_deadline_checks(uow: UnitOfWork, task: Task) -> None:
    """Ask for this task's deadline to be checked at its warning time and its due time."""
    uow.enqueue_after_commit("check_task_deadline", task.id, at=warning_at(task))
    uow.enqueue_after_commit("check_task_deadline", task.id, at=task.due_at)


def warning_at(task: Task) -> datetime:
    """When managers are told a task is at risk: as stored when it was made, or, for a task
    made before that was stored, at a share of its clock time."""
    return task.warn_at or warning_time(
        task.created_at, task.due_at, task.level, urgent=bool(task.out_of_hours_cover)
    )


def check_deadlines(
    uow: UnitOfWork, now: datetime, task_ids: list[int] | None = None
) -> list[Escalation]:
    """Record an at-risk warning or a breach for every open task that has reached one, and a
    breach for one closed after its deadline that has none (its check missed while the worker
    was down: a late call-back is recorded late, never not at all)."""
    open_tasks = select(Task).where(Task.status.in_(OPEN_STATUSES))
    breach_recorded = exists().where(Escalation.task_id == Task.id, Escalation.kind == "breach")
    closed_late = select(Task).where(
        Task.closed_at >= now - CLOSED_LATE_LOOKBACK,
        Task.closed_at > Task.due_at,
        Task.status.not_in(OPEN_STATUSES),
        ~breach_recorded,
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
    not_yet_warned = [
        task
        for task in tasks
        if task.status in OPEN_STATUSES
        and now < warning_at(task)
        and not {(task.id, "at_risk"), (task.id, "breach")} & already
    ]
    cover_ends = _cover_ends(uow, not_yet_warned, now)
    recipients = _Recipients(uow, now)
    raised = []
    for task in tasks:
        kind = _due_escalation(task, now)
        cover_end = None
        if kind is None and task.id in cover_ends:
            kind, cover_end = "at_risk", cover_ends[task.id]
        if kind is None or (task.id, kind) in already:
            continue
        escalation = _record(uow, task, kind, recipients.for_task(task), now, cover_end)
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


def _cover_ends(uow: UnitOfWork, tasks: Iterable[Task], now: datetime) -> dict[int, datetime]:
    """Return, for each task whose cover runs out before its deadline within the warning
    lead, when the last person able to make it goes off (now, if nobody able is on the rota
    from now to its deadline). Tasks covered to their deadline are left out.

    Able: their role and skills let them make it (named role, stand-in, EDT cover) and they
    are not away or off for that shift. Read from the stored shifts, once for all the tasks.
    """
    tasks = list(tasks)
    if not tasks:
        return {}
    shifts = defaultdict(list)
    for staff_id, starts_at, ends_at in uow.session.execute(
        select(Shift.staff_id, Shift.starts_at, Shift.ends_at).where(
            Shift.ends_at > now, Shift.starts_at < max(task.due_at for task in tasks)
        )
    ):
        shifts[staff_id].append((starts_at, ends_at))
    people = uow.session.scalars(select(Staff).where(Staff.id.in_(list(shifts)))).all()
    at_work = {
        person.id: [
            (starts_at, ends_at)
            for starts_at, ends_at in shifts[person.id]
            if availability_now(person, starts_at, now) in KEEPS_HELD_WORK
        ]
        for person in people
    }
    cover_by_kind: dict[tuple, _Cover] = {}
    at_risk = {}
    for task in tasks:
        kind = (task.role, task.skill, bool(task.out_of_hours_cover))
        if kind not in cover_by_kind:
            cover_by_kind[kind] = _Cover(
                [
                    shift
                    for person in people
                    if could_take(person, task)
                    for shift in at_work[person.id]
                ]
            )
        covered_until = cover_by_kind[kind].until(task.due_at, now)
        if covered_until < task.due_at and now >= covered_until - COVER_WARNING_LEAD:
            at_risk[task.id] = covered_until
    return at_risk


class _Cover:
    """The shifts of everyone able to make one kind of call-back, asked of each deadline the
    last moment before it someone is on. The sweep asks it of every open task each minute, so
    it halves a sorted list rather than scanning every shift for every task."""

    def __init__(self, shifts: list[tuple[datetime, datetime]]) -> None:
        shifts.sort()
        self._starts = [starts_at for starts_at, _ in shifts]
        self._latest_end: list[datetime] = []  # over the shifts up to each one, by start
        for _, ends_at in shifts:
            self._latest_end.append(
                max(ends_at, self._latest_end[-1]) if self._latest_end else ends_at
            )

    def until(self, deadline: datetime, now: datetime) -> datetime:
        """Return the last moment before the deadline someone is on shift; now if nobody is."""
        begun_before = bisect_left(self._starts, deadline)
        if not begun_before:
            return now
        return max(now, min(self._latest_end[begun_before - 1], deadline))


def _record(
    uow: UnitOfWork,
    task: Task,
    kind: str,
    told_id: int | None,
    now: datetime,
    cover_ends_at: datetime | None = None,
) -> Escalation | None:
    escalation = Escalation(
        task_id=task.id,
        kind=kind,
        task_due_at=task.due_at,
        manager_id=told_id,
        created_at=now,
        cover_ends_at=cover_ends_at,
    )
    try:
        with uow.session.begin_nested():  # another sweep may record it at the same moment
            uow.session.add(escalation)
    except IntegrityError:
        return None
    if kind == "breach":
        log.warning(
            "task %s (%s) breached its deadline; escalated to staff %s",
            task.id,
            task.level,
            told_id or "all managers",
        )
    elif cover_ends_at is not None:
        log.warning(
            "task %s (%s) is at risk: nobody able to make it is on shift after %s "
            "before its deadline; staff %s told",
            task.id,
            task.level,
            cover_ends_at,
            told_id or "all managers",
        )
    else:
        log.warning(
            "task %s (%s) is at risk of missing its deadline; staff %s told",
            task.id,
            task.level,
            told_id or "all managers",
        )
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

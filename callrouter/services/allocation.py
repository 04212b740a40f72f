"""Giving call-back tasks to people on shift, claimed so no task is given twice."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, func, select, update

from callrouter.db.models import Shift, Staff, Task
from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Role
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

OPEN_TASK_STATUSES = ("unallocated", "allocated")


def allocate_task(uow: UnitOfWork, task_id: int, now: datetime) -> int | None:
    """Give an unallocated task to the eligible person on shift with the fewest open tasks."""
    task = uow.session.get(Task, task_id)
    if task is None or task.status != "unallocated":
        return task.assignee_id if task else None
    roles = sorted(ROLES_ABLE_TO_ACT_AS.get(Role(task.role), frozenset({task.role})))
    open_counts = (
        select(Task.assignee_id, func.count(Task.id).label("open_tasks"))
        .where(Task.status == "allocated")
        .group_by(Task.assignee_id)
        .subquery()
    )
    candidate = uow.session.execute(
        select(Staff.id)
        .join(Shift, and_(Shift.staff_id == Staff.id, Shift.starts_at <= now, Shift.ends_at > now))
        .outerjoin(open_counts, open_counts.c.assignee_id == Staff.id)
        .where(Staff.role.in_(roles), Staff.availability == "available")
        .order_by(func.coalesce(open_counts.c.open_tasks, 0), Staff.id)
        .limit(1)
    ).scalar_one_or_none()
    if candidate is None:
        log.info("task %s waits unallocated: no eligible %s on shift", task_id, task.role)
        uow.session.rollback()
        return None
    claimed = uow.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == "unallocated")
        .values(status="allocated", assignee_id=candidate, allocated_at=now)
    ).rowcount
    uow.commit()
    if claimed:
        log.info("task %s allocated to staff %s", task_id, candidate)
        return candidate
    return uow.session.get(Task, task_id).assignee_id

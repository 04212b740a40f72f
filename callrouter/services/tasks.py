"""Call-back tasks worked from the console: attempts, notes, completion, hand-back, moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from callrouter.db.console_models import TaskAttempt, TaskNote, TaskReallocation, User
from callrouter.db.models import Staff, Task
from callrouter.domain.console_access import ATTEMPT_OUTCOMES
from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Level, Role
from callrouter.services import audit
from callrouter.services.unit_of_work import UnitOfWork

OPEN_STATUSES = ("unallocated", "allocated")
S47_AT_RISK = timedelta(minutes=15)


class TaskError(ValueError):
    """An action that cannot be done to this task now; the message says why."""


@dataclass(frozen=True)
class Urgency:
    state: str  # breached, at_risk, on_time
    seconds_left: int


def urgency(task: Task, now: datetime) -> Urgency:
    """Say whether a task has breached, is at risk, or is on time.

    At risk: due within 15 minutes for a section 47 call-back, otherwise within the last quarter
    of the time it was given.
    """
    left = task.due_at - now
    if left <= timedelta(0):
        return Urgency("breached", int(left.total_seconds()))
    window = S47_AT_RISK if task.level == Level.S47 else (task.due_at - task.created_at) / 4
    state = "at_risk" if left <= window else "on_time"
    return Urgency(state, int(left.total_seconds()))


def staff_for(session: Session, user: User) -> Staff | None:
    """Return the Staff row a console user works tasks as, if linked."""
    if not user.staff_ref:
        return None
    return session.scalar(select(Staff).where(Staff.ref == user.staff_ref))


def my_tasks(session: Session, staff: Staff | None) -> list[Task]:
    """Return the open tasks held by a person, soonest deadline first."""
    if staff is None:
        return []
    return list(session.scalars(
        select(Task).options(selectinload(Task.contact))
        .where(Task.assignee_id == staff.id, Task.status.in_(OPEN_STATUSES))
        .order_by(Task.due_at, Task.id)
    ))


def open_queue(session: Session) -> list[Task]:
    """Return every open task, soonest deadline first, with holder and contact loaded."""
    return list(session.scalars(
        select(Task).options(selectinload(Task.contact), selectinload(Task.assignee))
        .where(Task.status.in_(OPEN_STATUSES))
        .order_by(Task.due_at, Task.id)
    ))


def holdings(session: Session) -> list[tuple[Staff, int]]:
    """Return each person with the number of open tasks they hold, busiest first."""
    counts = (select(Task.assignee_id, func.count(Task.id).label("n"))
              .where(Task.status == "allocated").group_by(Task.assignee_id).subquery())
    rows = session.execute(
        select(Staff, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.assignee_id == Staff.id)
        .order_by(func.coalesce(counts.c.n, 0).desc(), Staff.name)
    ).all()
    return [(staff, n) for staff, n in rows]


def eligible_staff(session: Session, task: Task) -> list[Staff]:
    """Return the people whose role lets them take this task."""
    try:
        roles = ROLES_ABLE_TO_ACT_AS[Role(task.role)]
    except (KeyError, ValueError):
        roles = frozenset({task.role})
    return list(session.scalars(
        select(Staff).where(Staff.role.in_(sorted(roles))).order_by(Staff.name)
    ))


def load_task(uow: UnitOfWork, task_id: int) -> Task | None:
    return uow.session.get(Task, task_id)


def view_task(uow: UnitOfWork, task: Task, user_id: int, now: datetime) -> None:
    """Write that a user opened a task and so saw its contact."""
    audit.record(uow.session, user_id, "task_viewed", now, contact_id=task.contact_id,
                 task_id=task.id)
    uow.commit()


def attempts(session: Session, task_id: int) -> list[TaskAttempt]:
    return list(session.scalars(
        select(TaskAttempt).where(TaskAttempt.task_id == task_id).order_by(TaskAttempt.id)))


def notes(session: Session, task_id: int) -> list[TaskNote]:
    return list(session.scalars(
        select(TaskNote).where(TaskNote.task_id == task_id).order_by(TaskNote.id)))


def reallocations(session: Session, task_id: int) -> list[TaskReallocation]:
    return list(session.scalars(
        select(TaskReallocation).where(TaskReallocation.task_id == task_id)
        .order_by(TaskReallocation.id)))


def _open(task: Task) -> None:
    if task.status not in OPEN_STATUSES:
        raise TaskError("This call-back is already closed")


def record_attempt(uow: UnitOfWork, task: Task, user: User, outcome: str, note: str,
                   now: datetime) -> TaskAttempt:
    """Record one try at calling back and how it went."""
    _open(task)
    if outcome not in ATTEMPT_OUTCOMES:
        raise TaskError("Choose how the call-back attempt went")
    staff = staff_for(uow.session, user)
    attempt = TaskAttempt(task_id=task.id, staff_id=staff.id if staff else None,
                          outcome=outcome, note=note.strip() or None, created_at=now)
    uow.session.add(attempt)
    audit.record(uow.session, user.id, "attempt_recorded", now, contact_id=task.contact_id,
                 task_id=task.id, outcome=outcome)
    uow.commit()
    return attempt


def add_note(uow: UnitOfWork, task: Task, user: User, text: str, now: datetime) -> TaskNote:
    """Add a note to a task."""
    text = text.strip()
    if not text:
        raise TaskError("Enter a note")
    note = TaskNote(task_id=task.id, user_id=user.id, text=text[:5000], created_at=now)
    uow.session.add(note)
    audit.record(uow.session, user.id, "note_added", now, contact_id=task.contact_id,
                 task_id=task.id)
    uow.commit()
    return note


def complete(uow: UnitOfWork, task: Task, user: User, now: datetime) -> None:
    """Close a task as done."""
    _open(task)
    task.status = "completed"
    task.closed_at = now
    audit.record(uow.session, user.id, "task_completed", now, contact_id=task.contact_id,
                 task_id=task.id)
    uow.commit()


def hand_back(uow: UnitOfWork, task: Task, user: User, reason: str, now: datetime) -> None:
    """Give a task back to the queue, keep why, and ask for it to be allocated again."""
    _open(task)
    reason = reason.strip()
    if not reason:
        raise TaskError("Say why you are handing this call-back back")
    uow.session.add(TaskReallocation(task_id=task.id, from_staff_id=task.assignee_id,
                                     to_staff_id=None, reason=reason[:2000], user_id=user.id,
                                     created_at=now))
    task.status = "unallocated"
    task.assignee_id = None
    task.allocated_at = None
    audit.record(uow.session, user.id, "task_handed_back", now, contact_id=task.contact_id,
                 task_id=task.id)
    uow.enqueue_after_commit("allocate_task", task.id)
    uow.commit()


def reallocate(uow: UnitOfWork, task: Task, user: User, staff_id: int, reason: str,
               now: datetime) -> None:
    """Give a task to a named person, keeping the reason."""
    _open(task)
    reason = reason.strip()
    if not reason:
        raise TaskError("Give a reason for re-allocating")
    target = uow.session.get(Staff, staff_id)
    if target is None or target not in eligible_staff(uow.session, task):
        raise TaskError("Choose someone who can take this call-back")
    if target.id == task.assignee_id:
        raise TaskError(f"{target.name} already holds this call-back")
    uow.session.add(TaskReallocation(task_id=task.id, from_staff_id=task.assignee_id,
                                     to_staff_id=target.id, reason=reason[:2000],
                                     user_id=user.id, created_at=now))
    task.assignee_id = target.id
    task.status = "allocated"
    task.allocated_at = now
    audit.record(uow.session, user.id, "task_reallocated", now, contact_id=task.contact_id,
                 task_id=task.id, to_staff=target.id)
    uow.commit()

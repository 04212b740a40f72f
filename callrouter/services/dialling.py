"""Who is ringing a caller now: one dial lock per number, so two people never dial at once.

The lock is a row in dial_locks, unique on the number. Taking it is an INSERT: the unique
constraint makes two people racing for the same caller end with one row, on SQLite as on
PostgreSQL (the loser's INSERT waits for the winner's commit, then fails). A lock is let go
when an attempt is recorded or the task closes. While the holder's task page is open it keeps
the lock alive (keep_dialling), so a long call keeps it, up to LONGEST_CALL; one not kept for
STALE_AFTER, or held for a task that has since closed, may be taken over (someone shut the
page mid-call).

start_dialling commits its own transaction (and rolls back on a lost race), so call it with
nothing else pending in the unit of work.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from callrouter.db.models import DialLock, Staff, Task
from callrouter.domain.deadlines import DIAL_LOCK_LONGEST_CALL, DIAL_LOCK_STALE_AFTER
from callrouter.services import audit
from callrouter.services.tasks import OPEN_STATUSES, TaskError
from callrouter.services.unit_of_work import UnitOfWork

STALE_AFTER = DIAL_LOCK_STALE_AFTER
LONGEST_CALL = DIAL_LOCK_LONGEST_CALL
UK = ZoneInfo("Europe/London")
_RACE_RETRIES = 3


class AlreadyDialling(TaskError):
    """Someone else is calling this caller now; the message says who and since when."""

    def __init__(self, holder_name: str | None, since: datetime | None):
        self.holder_name = holder_name
        self.since = since
        who = holder_name or "Someone else"
        when = f" at {since.astimezone(UK).strftime('%H:%M')}" if since else ""
        super().__init__(
            f"{who} started calling this caller{when} and has not yet recorded how the call "
            "went. Do not call them too; try again when that call is recorded."
        )


def current_lock(uow: UnitOfWork, number: str | None) -> DialLock | None:
    """Return the lock on a number, read afresh from the database, if there is one."""
    if not number:
        return None
    return uow.session.scalar(
        select(DialLock)
        .where(DialLock.callback_number == number)
        .execution_options(populate_existing=True)
    )


def is_live(uow: UnitOfWork, lock: DialLock | None, now: datetime) -> bool:
    """Say whether a lock still stops others dialling: recent, and for a task still open."""
    if lock is None or now - lock.kept_at > STALE_AFTER or now - lock.since > LONGEST_CALL:
        return False
    status = uow.session.scalar(select(Task.status).where(Task.id == lock.task_id))
    return status in OPEN_STATUSES


def holder_name(uow: UnitOfWork, lock: DialLock) -> str | None:
    if lock.staff_id is None:
        return None
    return uow.session.scalar(select(Staff.name).where(Staff.id == lock.staff_id))


def start_dialling(
    uow: UnitOfWork, task: Task, staff_id: int | None, now: datetime, user_id: int | None = None
) -> DialLock:
    """Take the lock on the task's number for a person, or raise AlreadyDialling; commit.

    Re-entrant: the same person starting again (for this task, or another task for the same
    caller) just refreshes the lock.
    """
    if task.status not in OPEN_STATUSES:
        raise TaskError("This call-back is already closed")
    number = task.callback_number
    if not number:
        raise TaskError("There is no number to call for this call-back")
    task_id, contact_id = task.id, task.contact_id
    for _ in range(_RACE_RETRIES):
        lock = current_lock(uow, number)
        if lock is None:
            lock = DialLock(
                callback_number=number, task_id=task_id, staff_id=staff_id, since=now, kept_at=now
            )
            uow.session.add(lock)
            try:
                uow.session.flush()
            except IntegrityError:
                uow.session.rollback()  # someone took it between our look and our insert
                continue
        elif staff_id is not None and lock.staff_id == staff_id:
            lock.task_id = task_id
            lock.since = lock.kept_at = now
        elif not is_live(uow, lock, now):
            # Take over a forgotten lock, unless someone else takes it over (or its holder
            # keeps it) first.
            taken = uow.session.execute(
                update(DialLock)
                .where(
                    DialLock.id == lock.id,
                    DialLock.kept_at == lock.kept_at,
                    DialLock.task_id == lock.task_id,
                )
                .values(task_id=task_id, staff_id=staff_id, since=now, kept_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                uow.session.rollback()
                continue
            previous = lock.staff_id
            uow.session.refresh(lock)
            audit.record(
                uow.session,
                user_id,
                "dial_lock_taken_over",
                now,
                contact_id=contact_id,
                task_id=task_id,
                from_staff=previous,
            )
        else:
            name, since = holder_name(uow, lock), lock.since
            uow.session.rollback()
            raise AlreadyDialling(name, since)
        audit.record(
            uow.session, user_id, "dialling_started", now, contact_id=contact_id, task_id=task_id
        )
        uow.commit()
        return lock
    lock = current_lock(uow, number)
    raise AlreadyDialling(holder_name(uow, lock) if lock else None, lock.since if lock else None)


def keep_dialling(uow: UnitOfWork, task: Task, staff_id: int | None, now: datetime) -> bool:
    """Say the holder is still on this call, keeping their lock alive; commit.

    Only the person holding the lock for this task keeps it: False, and nothing changes, for
    anyone else, a lock already taken over, or a task since closed.
    """
    if staff_id is None or task.status not in OPEN_STATUSES or not task.callback_number:
        return False
    kept = uow.session.execute(
        update(DialLock)
        .where(
            DialLock.callback_number == task.callback_number,
            DialLock.task_id == task.id,
            DialLock.staff_id == staff_id,
        )
        .values(kept_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    uow.commit()
    return kept == 1


def someone_else_dialling(uow: UnitOfWork, task: Task, staff_id: int | None, now: datetime) -> None:
    """Raise AlreadyDialling if someone other than this person is on a call to this caller.

    Recording an attempt or closing the task lets go of the lock, so only the person on the
    call may do it while the call is live.
    """
    lock = current_lock(uow, task.callback_number)
    if is_live(uow, lock, now) and (staff_id is None or lock.staff_id != staff_id):
        raise AlreadyDialling(holder_name(uow, lock), lock.since)


def stop_dialling(uow: UnitOfWork, task: Task) -> None:
    """Let go of the lock this task holds on its number; the caller's transaction commits."""
    uow.session.execute(
        delete(DialLock)
        .where(DialLock.task_id == task.id)
        .execution_options(synchronize_session="fetch")
    )

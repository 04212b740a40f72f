"""Call-back tasks worked from the console: attempts, notes, completion, hand-back, moves.

Every call-back ends as completed, unable_to_contact (the attempts ran out, or a wrong number)
or cancelled by a named practice manager with a reason; none expires or disappears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from callrouter.db.console_models import TaskAttempt, TaskNote, TaskReallocation, User
from callrouter.db.models import Contact, Escalation, Staff, Task
from callrouter.domain.allocation import PRODUCTION_RULES, roles_able_to_take
from callrouter.domain.console_access import ATTEMPT_OUTCOMES, Permission, allowed
from callrouter.domain.deadlines import RetryPolicy
from callrouter.domain.flows import Flow, FlowRegistry
from callrouter.domain.vocabulary import Role
from callrouter.services import allocation, audit, outcomes
from callrouter.services.escalation import TOLD_ROLES, warning_at
from callrouter.services.unit_of_work import UnitOfWork

OPEN_STATUSES = ("unallocated", "allocated")
RETRY_POLICY = RetryPolicy()
RETRY_OUTCOMES = frozenset({"no_answer", "voicemail"})  # worth trying again; texted at the end


class TaskError(ValueError):
    """An action that cannot be done to this task now; the message says why."""


@dataclass(frozen=True)
class Urgency:
    state: str  # breached, at_risk, on_time
    seconds_left: int
    risk_seconds: int  # how long before the deadline it turns at risk, for the page's clock


def urgency(task: Task, now: datetime) -> Urgency:
    """Say whether a task has breached, is at risk, or is on time.

    At risk from the moment managers are told so (half-way through an s47's hour, three
    quarters through other time, counted in the office's open time unless s47 or the EDT
    covers it).
    """
    left = task.due_at - now
    warn_at = warning_at(task)
    risk = int((task.due_at - warn_at).total_seconds())
    if left <= timedelta(0):
        return Urgency("breached", int(left.total_seconds()), risk)
    state = "at_risk" if now >= warn_at else "on_time"
    return Urgency(state, int(left.total_seconds()), risk)


def staff_for(session: Session, user: User) -> Staff | None:
    """Return the Staff row a console user works tasks as, if linked."""
    if not user.staff_ref:
        return None
    return session.scalar(select(Staff).where(Staff.ref == user.staff_ref))


def my_tasks(session: Session, staff: Staff | None) -> list[Task]:
    """Return the open tasks held by a person, soonest deadline first."""
    if staff is None:
        return []
    return list(
        session.scalars(
            select(Task)
            .options(selectinload(Task.contact))
            .where(Task.assignee_id == staff.id, Task.status.in_(OPEN_STATUSES))
            .order_by(Task.due_at, Task.id)
        )
    )


def waiting_for_cover(session: Session, staff: Staff | None) -> list[Task] | None:
    """For someone who covers out of hours (the EDT), the call-backs that wait for that cover.

    Those nobody holds whose level asks for out-of-hours cover, soonest deadline first: the
    allocator gives each to the next of them free, and meanwhile they can see what is coming.
    None for anyone else, who has the front door's own screens.
    """
    if staff is None or staff.role not in PRODUCTION_RULES.out_of_hours_cover:
        return None
    return list(
        session.scalars(
            select(Task)
            .options(selectinload(Task.contact))
            .where(Task.status == "unallocated", Task.out_of_hours_cover.is_(True))
            .order_by(Task.due_at, Task.id)
        )
    )


# An escalation as its tables show it: the call-back, its contact and its holder.
_ESCALATION_LOADS = (
    selectinload(Escalation.task).selectinload(Task.contact),
    selectinload(Escalation.task).selectinload(Task.assignee),
)


def escalated_to(
    session: Session, staff: Staff | None, now: datetime, within: timedelta = timedelta(days=2)
) -> list[Escalation] | None:
    """For someone who may be told of escalations, the latest one on each call-back still open.

    Newest first. None for anyone who is never told, who has no such list. A practice manager
    also sees, for as long as the call-back stays open, those raised when nobody was on shift
    to be told (a weekend's), which would otherwise reach nobody in particular.
    """
    if staff is None or staff.role not in TOLD_ROLES:
        return None
    told = (Escalation.manager_id == staff.id) & (Escalation.created_at >= now - within)
    if staff.role == Role.PRACTICE_MANAGER:
        told |= Escalation.manager_id.is_(None)
    found = session.scalars(
        select(Escalation)
        .join(Task, Task.id == Escalation.task_id)
        .options(*_ESCALATION_LOADS)
        .where(told, Task.status.in_(OPEN_STATUSES))
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())
    )
    latest: dict[int, Escalation] = {}
    for escalation in found:
        latest.setdefault(escalation.task_id, escalation)
    return list(latest.values())


def open_queue(session: Session) -> list[Task]:
    """Return every open task, soonest deadline first, with holder and contact loaded."""
    return list(
        session.scalars(
            select(Task)
            .options(selectinload(Task.contact), selectinload(Task.assignee))
            .where(Task.status.in_(OPEN_STATUSES))
            .order_by(Task.due_at, Task.id)
        )
    )


def holdings(session: Session) -> list[tuple[Staff, int]]:
    """Return each person with the number of open tasks they hold, busiest first."""
    counts = (
        select(Task.assignee_id, func.count(Task.id).label("n"))
        .where(Task.status == "allocated")
        .group_by(Task.assignee_id)
        .subquery()
    )
    rows = session.execute(
        select(Staff, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.assignee_id == Staff.id)
        .order_by(func.coalesce(counts.c.n, 0).desc(), Staff.name)
    ).all()
    return [(staff, n) for staff, n in rows]


def eligible_staff(session: Session, task: Task) -> list[Staff]:
    """Return the people whose role and skills let them take this task, stand-ins and EDT
    cover included, as the allocator and Take read them."""
    # A manager choosing by name may give a social worker's call-back to a practice manager
    # (or an urgent one to the Emergency Duty Team) at any time; the allocator does so by
    # itself only near the deadline. The skill a call-back needs (domestic abuse, LADO) is
    # needed here too: with nobody who has it, a manager may still make the call themselves.
    cover = PRODUCTION_RULES.out_of_hours_cover if task.out_of_hours_cover else ()
    try:
        roles = roles_able_to_take(Role(task.role), PRODUCTION_RULES.stand_ins, cover)
    except (KeyError, ValueError):
        return list(
            session.scalars(select(Staff).where(Staff.role == task.role).order_by(Staff.name))
        )
    return [
        staff
        for staff in session.scalars(
            select(Staff).where(Staff.role.in_(sorted(roles))).order_by(Staff.name)
        )
        if allocation.could_take(staff, task)
    ]


def why_not_now(uow: UnitOfWork, people: list[Staff], now: datetime) -> dict[int, str]:
    """For each person who could not be given a call-back now, say why (not on shift, away,
    signed off), by staff id; those who could are left out."""
    presence = allocation.presences_now(uow, people, now)
    words = {None: "not on shift now", "away": "marked away", "off": "signed off for today"}
    return {
        person.id: words.get(presence[person.id], "not available")
        for person in people
        if presence[person.id] not in allocation.KEEPS_HELD_WORK
    }


def load_task(uow: UnitOfWork, task_id: int) -> Task | None:
    return uow.session.get(Task, task_id)


def view_task(uow: UnitOfWork, task: Task, user_id: int, now: datetime) -> None:
    """Write that a user opened a task and so saw its contact."""
    audit.record(
        uow.session, user_id, "task_viewed", now, contact_id=task.contact_id, task_id=task.id
    )
    uow.commit()


def attempts(session: Session, task_id: int) -> list[TaskAttempt]:
    return list(
        session.scalars(
            select(TaskAttempt).where(TaskAttempt.task_id == task_id).order_by(TaskAttempt.id)
        )
    )


def notes(session: Session, task_id: int) -> list[TaskNote]:
    return list(
        session.scalars(select(TaskNote).where(TaskNote.task_id == task_id).order_by(TaskNote.id))
    )


def reallocations(session: Session, task_id: int) -> list[TaskReallocation]:
    return list(
        session.scalars(
            select(TaskReallocation)
            .where(TaskReallocation.task_id == task_id)
            .order_by(TaskReallocation.id)
        )
    )


def _open(task: Task) -> None:
    if task.status not in OPEN_STATUSES:
        raise TaskError("This call-back is already closed")


def _change(uow: UnitOfWork, task: Task) -> None:
    """Claim the right to change a task as it was read, before writing anything to it.

    A conditional update of the row on what was read (status, holder, attempts made): it
    fails if another request changed the task since, so a double-clicked form or two people
    at once cannot both act on it (two texts, a completed call-back reopened). On PostgreSQL
    it also locks the row, and on SQLite the database, until this change commits.
    """
    _open(task)
    seen = uow.session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.status == task.status,
            _same(Task.assignee_id, task.assignee_id),
            func.coalesce(Task.attempt_count, 0) == (task.attempt_count or 0),
        )
        .values(status=Task.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if seen != 1:
        uow.session.rollback()
        raise TaskError(
            "Someone else changed this call-back a moment ago. Check it below "
            "before you do anything more."
        )


def _same(column, value):
    return column.is_(None) if value is None else column == value


def edt_covered(staff: Staff | None, task: Task) -> bool:
    """Say whether this is an EDT social worker looking at a call-back (or review) whose level
    the EDT covers: theirs to open, whoever holds it."""
    return (
        staff is not None
        and bool(task.out_of_hours_cover)
        and staff.role in PRODUCTION_RULES.out_of_hours_cover
    )


def covers(uow: UnitOfWork, staff: Staff | None, task: Task, now: datetime) -> bool:
    """Say whether this person may work the task for the Emergency Duty Team now: an EDT social
    worker on shift, on what the EDT covers, held by nobody, by them, or by someone who has
    gone (off shift, away or signed off). Told of it out of hours, they must be able to act on
    it; while its holder is at work, it stays the holder's."""
    if not edt_covered(staff, task):
        return False
    holder = (
        None if task.assignee_id in (None, staff.id) else uow.session.get(Staff, task.assignee_id)
    )
    presence = allocation.presences_now(uow, [staff, *filter(None, [holder])], now)
    if presence[staff.id] is None:
        return False
    return holder is None or presence[holder.id] not in allocation.KEEPS_HELD_WORK


def may_work(
    uow: UnitOfWork, task: Task, user: User, now: datetime, doing: str, *, by_cover: bool = True
) -> None:
    """Refuse anyone but the holder, a practice manager or (for what it covers, while its
    holder has gone) the EDT, or anyone while another person is on a call to this caller:
    whoever works a call-back is the one who rang. by_cover=False: not the EDT either."""
    from callrouter.services.dialling import someone_else_dialling  # it imports this module

    staff = staff_for(uow.session, user)
    holds = staff is not None and task.assignee_id == staff.id
    covering = by_cover and covers(uow, staff, task, now)
    if not (holds or allowed(user.role, Permission.MANAGE_QUEUE) or covering):
        if task.status == "unallocated":
            raise TaskError(f"Nobody holds this call-back. Take it before you {doing}.")
        raise TaskError(
            f"Only {task.assignee.name if task.assignee else 'its holder'}, who "
            f"holds this call-back, or a practice manager can {doing}."
        )
    someone_else_dialling(uow, task, staff.id if staff else None, now)


def _release_dial_lock(uow: UnitOfWork, task: Task) -> None:
    from callrouter.services.dialling import stop_dialling  # dialling imports this module

    stop_dialling(uow, task)


def flow_for(flows: FlowRegistry, contact: Contact) -> Flow:
    """Return the flow a contact came through, or the default flow if it has since gone."""
    return flows.get_or_default(contact.flow_name)


def record_attempt(
    uow: UnitOfWork,
    task: Task,
    user: User,
    outcome: str,
    note: str,
    now: datetime,
    *,
    flows: FlowRegistry,
    policy: RetryPolicy = RETRY_POLICY,
    attempts_seen: int | None = None,
) -> TaskAttempt:
    """Record one try at calling back and how it went, and what happens next.

    Reached: nothing more is scheduled (completing is a separate action). No answer or
    voicemail: try again at a time that fits the deadline and avoids quiet hours, or, when the
    attempts have run out, close as unable to contact, text the caller and ask a manager to
    review. Wrong number: close as unable to contact at once (no text) and ask for a review.
    The dial lock on the number is let go either way. attempts_seen, the count the form was
    shown with, turns a form sent twice into one attempt.

    Only unanswered tries use up the attempts, and only those made at or after their retry
    time: the spacing gives the caller time to become reachable, so three taps in three
    minutes must not end an s47 as unable to contact with most of its hour left. An early try
    is still recorded (it happened) and the retry time stands. Once the caller has been
    reached, later unanswered tries never end it as unable to contact or text "we could not
    reach you": the worker completes it.
    """
    _open(task)
    if task.kind != "callback":
        raise TaskError(
            "A review has no call-back attempts: complete it, or cancel it with a reason."
        )
    if outcome not in ATTEMPT_OUTCOMES:
        raise TaskError("Choose how the call-back attempt went")
    if attempts_seen is not None and attempts_seen != (task.attempt_count or 0):
        raise TaskError(
            "That attempt was already recorded (the form was sent twice). The "
            "attempts so far are listed below."
        )
    may_work(uow, task, user, now, "record an attempt")
    was_reached = _caller_reached(uow.session, task.id)
    early = task.next_attempt_at is not None and now < task.next_attempt_at
    counted = outcome in RETRY_OUTCOMES and not early and not was_reached
    _change(uow, task)
    staff = staff_for(uow.session, user)
    attempt = TaskAttempt(
        task_id=task.id,
        staff_id=staff.id if staff else None,
        outcome=outcome,
        note=note.strip() or None,
        created_at=now,
        counted=counted or outcome not in RETRY_OUTCOMES,
    )
    uow.session.add(attempt)
    task.attempt_count = (task.attempt_count or 0) + 1
    if counted:
        task.unanswered_tries = (task.unanswered_tries or 0) + 1
    if not (early and outcome in RETRY_OUTCOMES):
        task.next_attempt_at = None
    _release_dial_lock(uow, task)
    audit.record(
        uow.session,
        user.id,
        "attempt_recorded",
        now,
        contact_id=task.contact_id,
        task_id=task.id,
        outcome=outcome,
        attempt=task.attempt_count,
        counted=counted,
    )
    if outcome == "wrong_number":
        _unable_to_contact(uow, task, user, "Wrong number", flows, now, text_caller=False)
    elif counted:
        retry_at = policy.next_attempt(
            now,
            task.due_at,
            task.unanswered_tries,
            task.level,
            urgent=task.out_of_hours_cover,
            calendar=flow_for(flows, task.contact).calendar,
        )
        if retry_at is None:
            reason = f"No answer after {task.unanswered_tries} attempts"
            _unable_to_contact(uow, task, user, reason, flows, now, text_caller=True)
        else:
            task.next_attempt_at = retry_at
            uow.enqueue_after_commit("allocate_task", task.id, at=retry_at)
    uow.commit()
    return attempt


def _unable_to_contact(
    uow: UnitOfWork,
    task: Task,
    user: User,
    reason: str,
    flows: FlowRegistry,
    now: datetime,
    text_caller: bool,
) -> None:
    """Close a call-back no one could make, tell the caller if we can, and ask for a review."""
    task.status = "unable_to_contact"
    task.closed_at = now
    task.closed_reason = reason
    task.closed_by_user_id = user.id
    task.next_attempt_at = None
    contact = task.contact
    flow = flow_for(flows, contact)
    message = None
    if text_caller:
        message = outcomes.queue_text(
            uow, contact, flow, "missed_callback", task.callback_number, now
        )
    review = outcomes.create_review(uow, contact, flow, now)
    audit.record(
        uow.session,
        user.id,
        "task_unable_to_contact",
        now,
        contact_id=task.contact_id,
        task_id=task.id,
        reason=reason,
        texted=message is not None,
        review_task=review.id,
    )


def add_note(uow: UnitOfWork, task: Task, user: User, text: str, now: datetime) -> TaskNote:
    """Add a note to a task."""
    text = text.strip()
    if not text:
        raise TaskError("Enter a note")
    note = TaskNote(task_id=task.id, user_id=user.id, text=text[:5000], created_at=now)
    uow.session.add(note)
    audit.record(
        uow.session, user.id, "note_added", now, contact_id=task.contact_id, task_id=task.id
    )
    uow.commit()
    return note


def complete(uow: UnitOfWork, task: Task, user: User, now: datetime) -> None:
    """Close a task as done: a call-back only once the caller was reached.

    A call-back nobody reached is not done: it is tried until the attempts run out (unable to
    contact, the caller texted, a manager told), or cancelled by a practice manager with a
    reason. Completing it unreached would close it with neither.
    """
    _open(task)
    may_work(uow, task, user, now, "complete it")
    if task.kind == "callback" and not _caller_reached(uow.session, task.id):
        raise TaskError(
            "Record that you reached the caller before you complete this "
            "call-back. If it is no longer owed, a practice manager can cancel it "
            "with a reason."
        )
    _change(uow, task)
    task.status = "completed"
    task.closed_at = now
    task.closed_by_user_id = user.id
    task.next_attempt_at = None
    _release_dial_lock(uow, task)
    audit.record(
        uow.session, user.id, "task_completed", now, contact_id=task.contact_id, task_id=task.id
    )
    uow.commit()


def _caller_reached(session: Session, task_id: int) -> bool:
    return (
        session.scalar(
            select(TaskAttempt.id)
            .where(TaskAttempt.task_id == task_id, TaskAttempt.outcome == "reached")
            .limit(1)
        )
        is not None
    )


def hand_back(uow: UnitOfWork, task: Task, user: User, reason: str, now: datetime) -> None:
    """Give a task back to the queue, keep why, and ask for it to be allocated again."""
    _open(task)
    reason = reason.strip()
    if not reason:
        raise TaskError("Say why you are handing this call-back back")
    if task.status == "unallocated":
        raise TaskError("Nobody holds this call-back, so there is nothing to hand back")
    may_work(uow, task, user, now, "hand it back", by_cover=False)
    _change(uow, task)
    uow.session.add(
        TaskReallocation(
            task_id=task.id,
            from_staff_id=task.assignee_id,
            to_staff_id=None,
            reason=reason[:2000],
            user_id=user.id,
            created_at=now,
        )
    )
    task.status = "unallocated"
    task.assignee_id = None
    task.allocated_at = None
    # next_attempt_at stays: the caller's retry spacing does not depend on who holds the task.
    _release_dial_lock(uow, task)
    audit.record(
        uow.session, user.id, "task_handed_back", now, contact_id=task.contact_id, task_id=task.id
    )
    uow.enqueue_after_commit("allocate_task", task.id)
    uow.commit()


def reallocate(
    uow: UnitOfWork, task: Task, user: User, staff_id: int, reason: str, now: datetime
) -> None:
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
    # Given to someone not at work, the sweep would hand it straight back to the queue
    # ("the holder signed off"), undoing the choice a minute later without a word.
    absent = why_not_now(uow, [target], now).get(target.id)
    if absent is not None:
        raise TaskError(
            f"{target.name} is {absent}, so could not make this call-back. "
            "Choose someone on shift and available."
        )
    _not_mid_call(uow, task, target, now)
    _change(uow, task)
    uow.session.add(
        TaskReallocation(
            task_id=task.id,
            from_staff_id=task.assignee_id,
            to_staff_id=target.id,
            reason=reason[:2000],
            user_id=user.id,
            created_at=now,
        )
    )
    task.assignee_id = target.id
    task.status = "allocated"
    task.allocated_at = now
    audit.record(
        uow.session,
        user.id,
        "task_reallocated",
        now,
        contact_id=task.contact_id,
        task_id=task.id,
        to_staff=target.id,
    )
    uow.commit()


def _not_mid_call(uow: UnitOfWork, task: Task, target: Staff, now: datetime) -> None:
    """Refuse to move a call-back away from someone on the phone to its caller for it: they
    could not record how the call went, and the new holder would ring the caller again."""
    from callrouter.services.dialling import AlreadyDialling, current_lock, holder_name, is_live

    lock = current_lock(uow, task.callback_number)
    if (
        lock is not None
        and lock.task_id == task.id
        and lock.staff_id != target.id
        and is_live(uow, lock, now)
    ):
        raise AlreadyDialling(holder_name(uow, lock), lock.since)


def take(uow: UnitOfWork, task: Task, user: User, now: datetime) -> None:
    """Take a call-back nobody holds for myself, as the allocator would have given it me.

    Open to anyone on shift and not away or signed off whose role and skills fit it, as the
    allocator reads them (an EDT social worker for what the EDT covers, whatever its skill; a
    practice manager standing in): the allocator gives work out a minute at a time, and
    someone who sees an urgent call-back waiting should not wait.
    """
    _open(task)
    staff = staff_for(uow.session, user)
    if staff is None:
        raise TaskError(
            "Your account is not linked to a duty rota record, so you cannot take "
            "call-backs. Ask an administrator to add your staff reference."
        )
    if task.assignee_id == staff.id:
        raise TaskError("You already hold this call-back")
    if task.status != "unallocated":
        raise TaskError(
            f"{task.assignee.name if task.assignee else 'Someone else'} already "
            "holds this call-back"
        )
    if not allocation.could_take(staff, task):
        raise TaskError("Your role and skills do not fit this call-back")
    presence = allocation.presence_now(uow, staff, now)
    if presence is None:
        raise TaskError("You are not on shift now, so you cannot take a call-back")
    if presence not in allocation.KEEPS_HELD_WORK:
        raise TaskError("You are marked away or signed off. Mark yourself available first.")
    if not allocation.claim_for(uow, task.id, staff.id, now):
        uow.session.rollback()
        raise TaskError("This call-back was given to someone else a moment ago")
    uow.session.add(
        TaskReallocation(
            task_id=task.id,
            from_staff_id=None,
            to_staff_id=staff.id,
            reason="Taken from the waiting call-backs",
            user_id=user.id,
            created_at=now,
        )
    )
    audit.record(
        uow.session, user.id, "task_taken", now, contact_id=task.contact_id, task_id=task.id
    )
    uow.commit()
    uow.session.refresh(task)


def may_cancel(user: User) -> bool:
    """Say whether a user may cancel a call-back: practice managers only."""
    return allowed(user.role, Permission.CANCEL_TASKS)


def cancel(uow: UnitOfWork, task: Task, user: User, reason: str, now: datetime) -> None:
    """Cancel a call-back that is no longer owed, naming who decided and why."""
    if not may_cancel(user):
        raise TaskError("Only a practice manager can cancel a call-back")
    _open(task)
    reason = reason.strip()
    if not reason:
        raise TaskError("Say why this call-back is being cancelled")
    # Not under someone on a call to the caller now: what they hear (the caller reached, a new
    # worry) could not be recorded on a cancelled call-back.
    from callrouter.services.dialling import someone_else_dialling  # it imports this module

    staff = staff_for(uow.session, user)
    someone_else_dialling(uow, task, staff.id if staff else None, now)
    _change(uow, task)
    task.status = "cancelled"
    task.closed_at = now
    task.closed_reason = reason[:2000]
    task.closed_by_user_id = user.id
    task.next_attempt_at = None
    _release_dial_lock(uow, task)
    audit.record(
        uow.session,
        user.id,
        "task_cancelled",
        now,
        contact_id=task.contact_id,
        task_id=task.id,
        reason=reason[:2000],
    )
    uow.commit()


def recent_escalations(
    session: Session, now: datetime, within: timedelta = timedelta(days=2), limit: int = 50
) -> list[Escalation]:
    """Return the escalations raised lately, newest first, with their tasks and contacts."""
    return list(
        session.scalars(
            select(Escalation)
            .options(*_ESCALATION_LOADS, selectinload(Escalation.manager))
            .where(Escalation.created_at >= now - within)
            .order_by(Escalation.created_at.desc(), Escalation.id.desc())
            .limit(limit)
        )
    )


def closed_by(session: Session, task: Task) -> User | None:
    """Return the console user who closed a task, if one did."""
    return session.get(User, task.closed_by_user_id) if task.closed_by_user_id else None

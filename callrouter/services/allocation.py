"""Giving call-back tasks to people on shift, earliest deadline first, one allocator at a time.

Every allocation first updates the single `allocator_lock` row. On PostgreSQL that row lock,
and on SQLite the database write lock, make concurrent allocators (several workers, the
console) take turns, so the loads they read are the loads they write against: no task is
given twice and nobody is given more than the cap. The task claim is also conditional
(`status = 'unallocated'`), so a hand-back or cancellation in between is never overwritten.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import case, func, or_, select, update

from callrouter.db.console_models import TaskAttempt, TaskReallocation
from callrouter.db.models import AllocatorLock, DialLock, Shift, Staff, Task
from callrouter.domain.allocation import (
    PRODUCTION_RULES,
    AllocationRules,
    Assignment,
    Candidate,
    OpenTask,
    Release,
    ReleaseReason,
    could_ever_take,
    explain_unplaced,
    plan_assignments,
    reallocation_needed,
)
from callrouter.domain.deadlines import DIAL_LOCK_LONGEST_CALL, DIAL_LOCK_STALE_AFTER
from callrouter.domain.rota import LONDON
from callrouter.domain.vocabulary import Role, Skill
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

OPEN_STATUSES = ("unallocated", "allocated")
KEEPS_HELD_WORK = ("available", "busy")  # busy: on a call, keeps what they hold
SKILLS = {skill.value: skill for skill in Skill}
ROLES = {role.value: role for role in Role}
NO_SKILLS: frozenset[Skill] = frozenset()


DEFAULT_RULES = PRODUCTION_RULES
# How far back a run of touching shifts is followed to find when it began.
LOOK_BACK = timedelta(days=3)


def allocate_pending(
    uow: UnitOfWork, now: datetime, rules: AllocationRules = DEFAULT_RULES
) -> list[Assignment]:
    """Give every unallocated task that someone can take to the right person; commit once."""
    _take_allocator_lock(uow, now)
    tasks = _unallocated_rows(uow)
    if not tasks:
        uow.commit()
        return []
    candidates = on_duty_candidates(uow, now)
    minutes = _minutes_by_level(rules, {task.level for task in tasks})
    open_tasks = [_open_task(task, rules, minutes) for task in tasks]
    plan = _plan(uow, open_tasks, candidates, now, rules)
    made = _claim(uow, plan, now)
    uow.commit()
    for assignment in made:
        log.info("task %s allocated to staff %s", assignment.task_id, assignment.staff_id)
    waiting = len(tasks) - len(made)
    if waiting:
        log.info("%s task(s) wait unallocated: nobody eligible has room now", waiting)
    return made


def waiting_reasons(
    uow: UnitOfWork,
    now: datetime,
    rules: AllocationRules = DEFAULT_RULES,
    task_ids: Iterable[int] | None = None,
) -> dict[int, str]:
    """Say, for each unallocated task (or those of task_ids), why nobody on shift can be
    given it now."""
    tasks = _unallocated_rows(uow, task_ids)
    if not tasks:
        return {}
    candidates = on_duty_candidates(uow, now)
    open_tasks = _with_hand_backs(uow, [_open_task(task, rules) for task in tasks], now, rules)
    reasons = {}
    for task, open_task in zip(tasks, open_tasks, strict=True):
        unplaced = explain_unplaced(
            open_task,
            candidates,
            now,
            capacity_per_person=rules.capacity_per_person,
            lead_time=rules.lead_time,
            allow_overrun=rules.allow_overrun,
            stand_ins=rules.stand_ins,
            stand_in_within=rules.stand_in_within,
            out_of_hours_cover=rules.out_of_hours_cover,
        )
        # None: someone could take it, and the next allocation (within a minute) will.
        reasons[task.id] = unplaced.message if unplaced else "about to be given out"
    return reasons


def _unallocated_rows(uow: UnitOfWork, task_ids: Iterable[int] | None = None) -> list:
    """Return every unallocated task (or those of task_ids) as a row of TASK_COLUMNS."""
    # Plain rows, not ORM objects: the pool can hold a thousand tasks and is read each time.
    query = select(*TASK_COLUMNS).where(Task.status == "unallocated")
    if task_ids is not None:
        query = query.where(Task.id.in_(list(task_ids)))
    return uow.session.execute(query).all()


def _claim(uow: UnitOfWork, plan: list[Assignment], now: datetime) -> list[Assignment]:
    """Claim every planned task still unallocated, in one conditional update."""
    if not plan:
        return []
    holder = {int(a.task_id): int(a.staff_id) for a in plan}
    claimed = (
        uow.session.execute(
            update(Task)
            .where(Task.id.in_(holder), Task.status == "unallocated")
            .values(status="allocated", assignee_id=case(holder, value=Task.id), allocated_at=now)
            .returning(Task.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    taken = set(claimed)
    return [a for a in plan if int(a.task_id) in taken]


def claim_for(uow: UnitOfWork, task_id: int, staff_id: int, now: datetime) -> bool:
    """Give one unallocated task to the person who asked for it, in turn with the allocator.

    Say whether they now hold it: False if it was given out or closed a moment before.
    """
    _take_allocator_lock(uow, now)
    return bool(_claim(uow, [Assignment(str(task_id), str(staff_id))], now))


def allocate_task(
    uow: UnitOfWork, task_id: int, now: datetime, rules: AllocationRules = DEFAULT_RULES
) -> int | None:
    """Run the allocator for the whole pool and say who now holds this task, if anyone."""
    allocate_pending(uow, now, rules)
    return uow.session.scalar(select(Task.assignee_id).where(Task.id == task_id))


def release_unreachable_holders(
    uow: UnitOfWork, now: datetime, rules: AllocationRules = DEFAULT_RULES
) -> list[int]:
    """Take back held tasks whose holder signed off, went away or cannot fit the call in."""
    _take_allocator_lock(uow, now)
    session = uow.session
    # A call in progress keeps its task; a lock left by a page shut mid-call does not.
    dialling = set(
        session.scalars(
            select(DialLock.task_id).where(
                DialLock.kept_at > now - DIAL_LOCK_STALE_AFTER,
                DialLock.since > now - DIAL_LOCK_LONGEST_CALL,
            )
        )
    )
    held = session.scalars(
        select(Task).where(Task.status == "allocated", Task.assignee_id.is_not(None))
    ).all()
    keeps = dialling | _reached(uow)
    held = [task for task in held if task.id not in keeps]
    if not held:
        uow.commit()
        return []
    candidates = everyone_as_candidates(uow, now, willing=KEEPS_HELD_WORK)
    releases = reallocation_needed(
        [_open_task(task, rules) for task in held],
        candidates,
        now,
        allow_overrun=rules.allow_overrun,
    )
    releases += _no_longer_fitting(uow, held, {release.task_id for release in releases}, rules)
    # Someone marked off is not available, which the policy calls away: say what it was.
    marked_off = (
        set(
            session.scalars(
                select(Staff.id).where(
                    Staff.availability == "off", Staff.id.in_({int(r.staff_id) for r in releases})
                )
            )
        )
        if releases
        else set()
    )
    released = []
    for release in releases:
        task_id, holder_id = int(release.task_id), int(release.staff_id)
        reason = release.reason
        if reason is ReleaseReason.AWAY and holder_id in marked_off:
            reason = ReleaseReason.SIGNED_OFF
        # Only if still held by the same person: the holder may have completed it, or a
        # manager re-allocated it, since it was read (neither takes the allocator lock).
        taken_back = session.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == "allocated", Task.assignee_id == holder_id)
            .values(status="unallocated", assignee_id=None, allocated_at=None)
            .returning(Task.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if taken_back is None:
            continue
        session.add(
            TaskReallocation(
                task_id=task_id,
                from_staff_id=holder_id,
                to_staff_id=None,
                reason=RELEASE_WORDS[reason],
                user_id=None,
                created_at=now,
            )
        )
        uow.enqueue_after_commit("allocate_task", task_id)
        log.info("task %s released from staff %s: %s", task_id, holder_id, reason)
        released.append(task_id)
    for task in held:
        session.expire(task)  # the updates above went round the ORM
    uow.commit()
    return released


def _no_longer_fitting(
    uow: UnitOfWork, held: list[Task], releasing: set[str], rules: AllocationRules
) -> list[Release]:
    """Held tasks whose holder's role or skills no longer let them make it: a rota manager
    corrected the role or took a skill off. The policy reads only time and presence, and
    the holder would otherwise keep a call-back they are not qualified for until they notice."""
    holders = {
        staff.id: staff
        for staff in uow.session.scalars(
            select(Staff).where(Staff.id.in_({task.assignee_id for task in held}))
        )
    }
    return [
        Release(str(task.id), str(task.assignee_id), ReleaseReason.NO_LONGER_FITS)
        for task in held
        if str(task.id) not in releasing and not could_take(holders[task.assignee_id], task, rules)
    ]


def _reached(uow: UnitOfWork) -> set[int]:
    """Held tasks whose caller was reached at the last attempt since they were given out (by
    the holder, or by the EDT covering for them): only the write-up is left, for whoever
    reached the caller to do after their shift too; given to someone else, the caller would
    be rung again. A later no answer, owing a retry, lets the task go as before."""
    attempts = uow.session.execute(
        select(TaskAttempt.task_id, TaskAttempt.outcome)
        .join(Task, Task.id == TaskAttempt.task_id)
        .where(Task.status == "allocated", TaskAttempt.created_at >= Task.allocated_at)
        .order_by(TaskAttempt.task_id, TaskAttempt.created_at, TaskAttempt.id)
    ).all()
    latest = {task_id: outcome for task_id, outcome in attempts}  # the last one wins
    return {task_id for task_id, outcome in latest.items() if outcome == "reached"}


TASK_COLUMNS = (
    Task.id,
    Task.role,
    Task.level,
    Task.skill,
    Task.due_at,
    Task.created_at,
    Task.assignee_id,
    Task.out_of_hours_cover,
)

RELEASE_WORDS = {
    ReleaseReason.SIGNED_OFF: "released automatically: the holder signed off",
    ReleaseReason.AWAY: "released automatically: the holder is away",
    ReleaseReason.SHIFT_ENDING: "released automatically: the holder's shift ends too soon",
    ReleaseReason.NO_LONGER_FITS: (
        "released automatically: the holder's role or skills no longer fit it"
    ),
}


def set_availability(uow: UnitOfWork, staff_id: int, availability: str, now: datetime) -> list[int]:
    """Mark someone available, busy, away or off; return the call-backs taken back from them.

    The rota's shifts are left as they are, so a mistaken "off" is undone by marking them
    available again. Off (signed off, off sick today) lasts the stretch of shift it was set in
    and any later one that begins on the same UK day as that stretch began: a split day stays
    off, a night worker's next night does not.
    """
    if availability not in ("available", "busy", "away", "off"):
        raise ValueError(f"unknown availability {availability!r}")
    staff = uow.session.get(Staff, staff_id)
    staff.availability = availability
    staff.availability_since = now
    staff.availability_until = None
    if availability == "off":
        stretch = _continuous_shifts(uow, now).get(staff_id)
        began = (stretch[0] if stretch else now).astimezone(LONDON).date()
        staff.availability_until = datetime.combine(
            began + timedelta(days=1), time(0), tzinfo=LONDON
        ).astimezone(UTC)
    held = set(
        uow.session.scalars(
            select(Task.id).where(Task.assignee_id == staff_id, Task.status == "allocated")
        )
    )
    uow.commit()
    return [task_id for task_id in release_unreachable_holders(uow, now) if task_id in held]


def on_shift_now(uow: UnitOfWork, staff_id: int, now: datetime) -> bool:
    """Say whether someone's run of shifts covers this moment."""
    return staff_id in _continuous_shifts(uow, now)


def presence_now(uow: UnitOfWork, staff: Staff, now: datetime) -> str | None:
    """Return someone's availability now if they are on shift (KEEPS_HELD_WORK: at work), or
    None if they are not on shift at all."""
    return presences_now(uow, [staff], now)[staff.id]


def presences_now(uow: UnitOfWork, people: Iterable[Staff], now: datetime) -> dict[int, str | None]:
    """presence_now for several people, by staff id, with one read of the shifts."""
    stretches = _continuous_shifts(uow, now)
    return {
        person.id: availability_now(person, stretches[person.id][0], now)
        if person.id in stretches
        else None
        for person in people
    }


# -- reading the world ------------------------------------------------------------------------


def on_duty_candidates(uow: UnitOfWork, now: datetime) -> list[Candidate]:
    """Return everyone on shift now and available for new work, with their loads."""
    return [c for c in everyone_as_candidates(uow, now) if c.available]


def everyone_as_candidates(
    uow: UnitOfWork, now: datetime, willing: tuple[str, ...] = ("available",)
) -> list[Candidate]:
    """Return every member of staff as the policy sees them; off shift ends 'now'."""
    session = uow.session
    stretches = _continuous_shifts(uow, now)
    taken = _taken_this_shift(uow, stretches)
    # A task waiting for its next attempt is not one its holder can act on now.
    loads = dict(
        session.execute(
            select(Task.assignee_id, func.count(Task.id))
            .where(
                Task.status == "allocated",
                or_(Task.next_attempt_at.is_(None), Task.next_attempt_at <= now),
            )
            .group_by(Task.assignee_id)
        ).all()
    )
    candidates = []
    for staff in session.scalars(select(Staff)):
        stretch = stretches.get(staff.id)
        candidates.append(
            Candidate(
                id=str(staff.id),
                role=Role(staff.role),
                skills=_skills_of(staff),
                shift_ends_at=stretch[1] if stretch else now,
                open_task_count=loads.get(staff.id, 0),
                available=stretch is not None
                and availability_now(staff, stretch[0], now) in willing,
                taken_this_shift=taken.get(staff.id, 0),
            )
        )
    return candidates


def _skills_of(staff: Staff) -> frozenset[Skill]:
    return frozenset(SKILLS[skill] for skill in staff.skill_set if skill in SKILLS)


@dataclass(frozen=True)
class _Person:
    role: Role
    skills: frozenset[Skill]


def could_take(staff: Staff, task: Task, rules: AllocationRules = DEFAULT_RULES) -> bool:
    """Say whether this person's role and skills let them make this call-back at all: as its
    role (with its skill), standing in, or covering it for the EDT, as the allocator reads them."""
    person = _Person(Role(staff.role), _skills_of(staff))
    return could_ever_take(
        person, _open_task(task, rules), rules.stand_ins, rules.out_of_hours_cover
    )


def availability_now(staff: Staff, stretch_began: datetime | None, now: datetime) -> str:
    """Say what someone's availability means now.

    Away lasts the stretch of shift it was set in; off (signed off, off sick today) that
    stretch and any later one beginning the same UK day (set_availability): a new shift starts
    available, so nobody stays out of the allocation for good because they were marked off
    once and nobody marked them back.
    """
    since = staff.availability_since
    if staff.availability not in ("away", "off") or since is None or stretch_began is None:
        return staff.availability
    if stretch_began <= since:
        return staff.availability  # the same stretch of shift
    until = staff.availability_until
    if staff.availability == "off" and until is not None and stretch_began < until:
        return staff.availability  # a later shift beginning the same day
    return "available"


def current_availability(uow: UnitOfWork, people: list[Staff], now: datetime) -> dict[int, str]:
    """Return each person's availability as the allocator reads it now, by staff id."""
    stretches = _continuous_shifts(uow, now)
    # Off shift, read it as a shift starting now would.
    return {
        staff.id: availability_now(
            staff, stretches[staff.id][0] if staff.id in stretches else now, now
        )
        for staff in people
    }


def _taken_this_shift(
    uow: UnitOfWork, stretches: dict[int, tuple[datetime, datetime]]
) -> dict[int, int]:
    """Count the call-backs given to each person on shift since their current shift began."""
    if not stretches:
        return {}
    rows = uow.session.execute(
        select(Task.assignee_id, Task.allocated_at).where(
            Task.assignee_id.in_(stretches),
            Task.allocated_at >= min(start for start, _ in stretches.values()),
        )
    ).all()
    taken: dict[int, int] = defaultdict(int)
    for staff_id, allocated_at in rows:
        if allocated_at >= stretches[staff_id][0]:
            taken[staff_id] += 1
    return taken


def _continuous_shifts(uow: UnitOfWork, now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """For each person on shift now, when their run of touching shifts began and when it ends.

    Looking back as well as forward: a night stored as two rows split at midnight began the
    evening before.
    """
    rows = uow.session.execute(
        select(Shift.staff_id, Shift.starts_at, Shift.ends_at)
        .where(Shift.ends_at > now - LOOK_BACK, Shift.starts_at <= now + timedelta(days=2))
        .order_by(Shift.staff_id, Shift.starts_at)
    ).all()
    by_staff: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for staff_id, starts_at, ends_at in rows:
        by_staff[staff_id].append((starts_at, ends_at))
    stretches: dict[int, tuple[datetime, datetime]] = {}
    for staff_id, shifts in by_staff.items():
        began = current_end = None
        for starts_at, ends_at in shifts:
            if current_end is not None and starts_at <= current_end:
                current_end = max(current_end, ends_at)  # touches the run so far
            elif starts_at > now:
                break  # a later run, after a gap
            else:
                began, current_end = starts_at, ends_at  # a new run
        if began is not None and current_end is not None and current_end > now:
            stretches[staff_id] = (began, current_end)
    return stretches


def _minutes_by_level(rules: AllocationRules, levels) -> dict[str | None, float]:
    return {level: rules.minutes_for(level) for level in levels}


def _open_task(
    task, rules: AllocationRules, minutes: dict[str | None, float] | None = None
) -> OpenTask:
    """Describe a task (an ORM object or a row of TASK_COLUMNS) as the policy sees it."""
    skills = frozenset({SKILLS[task.skill]}) if task.skill in SKILLS else NO_SKILLS
    return OpenTask(
        id=str(task.id),
        role=ROLES[task.role],
        skills=skills,
        due_at=task.due_at,
        received_at=task.created_at,
        expected_minutes=(minutes or {}).get(task.level) or rules.minutes_for(task.level),
        held_by=str(task.assignee_id) if task.assignee_id else None,
        out_of_hours_cover=bool(task.out_of_hours_cover),
    )


def _plan(
    uow: UnitOfWork,
    tasks: list[OpenTask],
    candidates: list[Candidate],
    now: datetime,
    rules: AllocationRules,
) -> list[Assignment]:
    """Plan the pool, keeping a task away from whoever just handed it back."""
    return plan_assignments(
        _with_hand_backs(uow, tasks, now, rules), candidates, now, **rules.planning_options()
    )


def _with_hand_backs(
    uow: UnitOfWork, tasks: list[OpenTask], now: datetime, rules: AllocationRules
) -> list[OpenTask]:
    """Mark each task with who handed it back within the cooldown, for the policy to skip."""
    excluded = _recent_hand_backs(uow, now - rules.hand_back_cooldown)
    return [
        replace(task, not_for=frozenset(excluded[task.id])) if task.id in excluded else task
        for task in tasks
    ]


def _recent_hand_backs(uow: UnitOfWork, since: datetime) -> dict[str, set[str]]:
    # Hand-backs by a person (user_id set), not the allocator's own releases: someone away for
    # two minutes, or whose shift was about to end, may be given the same call-back again.
    rows = uow.session.execute(
        select(TaskReallocation.task_id, TaskReallocation.from_staff_id).where(
            TaskReallocation.to_staff_id.is_(None),
            TaskReallocation.from_staff_id.is_not(None),
            TaskReallocation.user_id.is_not(None),
            TaskReallocation.created_at >= since,
        )
    ).all()
    excluded: dict[str, set[str]] = defaultdict(set)
    for task_id, staff_id in rows:
        excluded[str(task_id)].add(str(staff_id))
    return excluded


def _take_allocator_lock(uow: UnitOfWork, now: datetime) -> None:
    taken = uow.session.execute(
        update(AllocatorLock).where(AllocatorLock.id == 1).values(held_at=now)
    ).rowcount
    if not taken:
        raise RuntimeError("the allocator_lock row is missing: run `callrouter migrate`")

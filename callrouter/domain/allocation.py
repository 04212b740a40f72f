"""Decide who should make each open call-back: the pure policy the database allocator calls.

Nothing here reads a clock, a database or the network: callers pass the open tasks, the staff
who could take them and the time now, and get back assignments. That keeps the policy
testable by hand and lets the simulation run exactly the code production runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Role, Skill

DEFAULT_LEAD_TIME = timedelta(minutes=10)


@dataclass(frozen=True)
class AllocationRules:
    """The options production allocates with; bench/RESULTS.md measures them as `edf`."""

    # One call-back to act on at a time: people pull the next when free, so the queue stays
    # in deadline order (the benchmark's best; a task waiting for a retry does not count).
    capacity_per_person: int | None = 1
    # Anyone still on shift may be given one: with overruns allowed the only question is
    # whether they can start it (bench: a 2-minute lead cost s47 misses at shift ends).
    lead_time: timedelta = timedelta(0)
    # A call started before sign-off may finish after it: refusing that cost s47 misses.
    allow_overrun: bool = True
    # Breached tasks wait behind those still winnable within this, so one breach is not two.
    overdue_yields_to: timedelta | None = timedelta(hours=1)
    # A practice manager is a qualified social worker: when no social worker can take a
    # social worker's call-back due within stand_in_within (or already breached), the manager
    # on shift makes it. Without this a hub whose one duty social worker is swamped misses s47
    # call-backs while its managers watch the clock (bench/RESULTS.md).
    stand_ins: tuple[tuple[Role, Role], ...] = ((Role.SOCIAL_WORKER, Role.PRACTICE_MANAGER),)
    stand_in_within: timedelta = timedelta(hours=1)
    # Out of hours the Emergency Duty Team covers: a call-back whose flow level asks for
    # out-of-hours cover (s47) that nobody at the front door can take goes, on the same terms
    # as a stand-in (or at once when nobody who could make it is on shift at all), to one of
    # these roles on shift (the EDT's evenings, nights, weekends).
    # Without it an s47 call-back taken at 17:25 on a Friday waited for Monday while
    # escalations went to an empty console (bench/RESULTS.md).
    out_of_hours_cover: tuple[Role, ...] = (Role.EDT_SOCIAL_WORKER,)
    # Someone leaving within this takes a tie first, keeping those who stay free for what comes
    # in before the desk thins out (best fit); otherwise ties go to whoever has been given
    # fewest call-backs this shift, so the day's work is shared.
    leaving_soon_within: timedelta | None = timedelta(hours=1)
    # But someone with less than this left is given a call-back only if nobody else can take
    # it: they would have to notice it and start the call in the time left.
    last_moments: timedelta = timedelta(minutes=5)
    hand_back_cooldown: timedelta = timedelta(hours=1)
    expected_minutes: tuple[tuple[str, float], ...] = (("s47", 25.0), ("level2", 15.0))
    default_expected_minutes: float = 20.0

    def minutes_for(self, level: str | None) -> float:
        """Return how long a call-back at this level is expected to take."""
        return dict(self.expected_minutes).get(level or "", self.default_expected_minutes)

    def planning_options(self) -> dict:
        """Return the keyword options plan_assignments takes."""
        return {
            "capacity_per_person": self.capacity_per_person,
            "lead_time": self.lead_time,
            "allow_overrun": self.allow_overrun,
            "overdue_yields_to": self.overdue_yields_to,
            "stand_ins": self.stand_ins,
            "stand_in_within": self.stand_in_within,
            "out_of_hours_cover": self.out_of_hours_cover,
            "leaving_soon_within": self.leaving_soon_within,
            "last_moments": self.last_moments,
        }


PRODUCTION_RULES = AllocationRules()


@dataclass(frozen=True)
class OpenTask:
    """A call-back still to be made, held by nobody (held_by None) or by one member of staff."""

    id: str
    role: Role
    skills: frozenset[Skill]
    due_at: datetime
    received_at: datetime
    expected_minutes: float = 20.0
    held_by: str | None = None
    out_of_hours_cover: bool = False  # the Emergency Duty Team may make it when the office cannot
    # Who handed it back lately: not given it again straight away (AllocationRules
    # hand_back_cooldown), though anyone else may be.
    not_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    """A member of staff as the allocator sees them at one moment."""

    id: str
    role: Role
    skills: frozenset[Skill]
    shift_ends_at: datetime
    open_task_count: int = 0
    available: bool = True
    taken_this_shift: int = 0  # call-backs given to them since their shift began


@dataclass(frozen=True)
class Assignment:
    task_id: str
    staff_id: str


class UnplacedReason(StrEnum):
    NO_ROLE = "no_role"
    NO_SKILL = "no_skill"
    NOBODY_AVAILABLE = "nobody_available"
    SHIFT_TOO_SHORT = "shift_too_short"
    ALL_AT_CAPACITY = "all_at_capacity"


@dataclass(frozen=True)
class Unplaced:
    """Why a task could not be given to anyone, as a code and a sentence for a manager."""

    task_id: str
    reason: UnplacedReason
    message: str


class ReleaseReason(StrEnum):
    SIGNED_OFF = "signed_off"
    AWAY = "away"
    SHIFT_ENDING = "shift_ending"
    # The holder's role or skills, as the rota now has them, no longer admit the task.
    NO_LONGER_FITS = "no_longer_fits"


@dataclass(frozen=True)
class Release:
    """A held task that must go back to the pool, and why."""

    task_id: str
    staff_id: str
    reason: ReleaseReason


def needed_on_shift_until(
    task: OpenTask, now: datetime, lead_time: timedelta, allow_overrun: bool = False
) -> datetime:
    """Return how long someone must stay on shift to take this call-back now."""
    if allow_overrun:
        return now + lead_time  # time to start the call; finishing may run past the shift
    return now + timedelta(minutes=task.expected_minutes) + lead_time


def is_eligible(
    task: OpenTask,
    candidate: Candidate,
    now: datetime,
    lead_time: timedelta = DEFAULT_LEAD_TIME,
    allow_overrun: bool = False,
) -> bool:
    """Say whether this person could take this task now, ignoring how busy they are."""
    return (
        candidate.available
        and candidate.role in ROLES_ABLE_TO_ACT_AS[task.role]
        and task.skills <= candidate.skills
        and candidate.shift_ends_at >= needed_on_shift_until(task, now, lead_time, allow_overrun)
    )


def stand_in_roles(stand_ins: Iterable[tuple[Role, Role]]) -> dict[Role, frozenset[Role]]:
    """Map each task role to the roles that may stand in for it when nobody else can."""
    roles: dict[Role, set[Role]] = {}
    for task_role, stand_in in stand_ins:
        roles.setdefault(task_role, set()).add(stand_in)
    return {role: frozenset(standing_in) for role, standing_in in roles.items()}


def roles_able_to_take(
    role: Role,
    stand_ins: Iterable[tuple[Role, Role]] = (),
    out_of_hours_cover: Iterable[Role] = (),
) -> frozenset[Role]:
    """Return every role that may ever make a call-back for this role, stand-ins included.

    Pass out_of_hours_cover only for a task whose level asks for out-of-hours cover.
    """
    standing_in = stand_in_roles(stand_ins).get(role, frozenset())
    return ROLES_ABLE_TO_ACT_AS[role] | standing_in | frozenset(out_of_hours_cover)


class _HasRoleAndSkills(Protocol):
    """A member of staff as the admission rules read them: a Candidate or a rota's StaffMember."""

    @property
    def role(self) -> Role: ...
    @property
    def skills(self) -> frozenset[Skill]: ...


Admits = Callable[[_HasRoleAndSkills, OpenTask], bool]


def _acts_for(person: _HasRoleAndSkills, task: OpenTask) -> bool:
    """The person's role may act for the one the task names, with every skill it needs."""
    return person.role in ROLES_ABLE_TO_ACT_AS[task.role] and task.skills <= person.skills


def _stands_in(stand_ins: Iterable[tuple[Role, Role]]) -> Admits:
    roles = stand_in_roles(stand_ins)

    def admits(person: _HasRoleAndSkills, task: OpenTask) -> bool:
        return person.role in roles.get(task.role, frozenset()) and task.skills <= person.skills

    return admits


def _covers(out_of_hours_cover: Iterable[Role]) -> Admits:
    roles = frozenset(out_of_hours_cover)

    def admits(person: _HasRoleAndSkills, task: OpenTask) -> bool:
        # Whatever the task's skills: out of hours there is nobody else.
        return task.out_of_hours_cover and person.role in roles

    return admits


def could_ever_take(
    person: _HasRoleAndSkills,
    task: OpenTask,
    stand_ins: Iterable[tuple[Role, Role]] = (),
    out_of_hours_cover: Iterable[Role] = (),
) -> bool:
    """Say whether some admission rule lets this person take the task at some moment.

    Whatever the time, their shift or their load: the rules the planner tries, named role,
    stand-in and out-of-hours cover, each read for this person and task.
    """
    rules = (_acts_for, _stands_in(stand_ins), _covers(out_of_hours_cover))
    return any(admits(person, task) for admits in rules)


def deadline_order(task: OpenTask) -> tuple[datetime, datetime, str]:
    """Sort key for earliest deadline first, ties by who waited longest, then by id."""
    return (task.due_at, task.received_at, task.id)


def priority_order(
    tasks: Iterable[OpenTask], now: datetime, overdue_yields_to: timedelta | None = None
) -> list[OpenTask]:
    """Sort tasks earliest deadline first, optionally putting breached ones behind urgent ones."""
    if overdue_yields_to is None:
        return sorted(tasks, key=deadline_order)
    # Tiers: still winnable and due within overdue_yields_to, then already breached, then the
    # rest. In a surge this stops one breach dragging the next call-back past its deadline
    # too, while a breached task still goes ahead of anything not urgent.
    urgent_until = now + overdue_yields_to

    def tier(task: OpenTask) -> int:
        if task.due_at < now:
            return 1
        return 0 if task.due_at <= urgent_until else 2

    return sorted(tasks, key=lambda task: (tier(task), *deadline_order(task)))


def plan_assignments(
    tasks: Iterable[OpenTask],
    candidates: Iterable[Candidate],
    now: datetime,
    *,
    capacity_per_person: int | None = None,
    lead_time: timedelta = DEFAULT_LEAD_TIME,
    allow_overrun: bool = False,
    overdue_yields_to: timedelta | None = None,
    stand_ins: Iterable[tuple[Role, Role]] = (),
    stand_in_within: timedelta = timedelta(0),
    out_of_hours_cover: Iterable[Role] = (),
    leaving_soon_within: timedelta | None = None,
    last_moments: timedelta = timedelta(0),
) -> list[Assignment]:
    """Give unheld tasks, earliest deadline first, to the least loaded eligible person."""
    # Eligible: able to act in the task's role, holding every skill it needs, available, and
    # on shift until now + expected minutes + lead_time (with allow_overrun, only until
    # now + lead_time: they start the call in their shift and may finish it after). A
    # stand-in role is eligible only for a task nobody else can take that is due within
    # stand_in_within or already breached; so is an out_of_hours_cover role, for a task that
    # asks for that cover, whatever its skills (out of hours there is nobody else).
    pool = priority_order((task for task in tasks if task.held_by is None), now, overdue_yields_to)
    people = [candidate for candidate in candidates if candidate.available]
    loads = {person.id: person.open_task_count for person in people}
    taken = {person.id: person.taken_this_shift for person in people}
    spare = _total_spare(loads, capacity_per_person)
    # Only with overruns allowed: without, someone leaving soon would have to hand it back.
    leaving_soon_until = (
        now + leaving_soon_within if allow_overrun and leaving_soon_within is not None else None
    )
    ties = _TieBreak(allow_overrun, leaving_soon_until, now + last_moments, taken)
    groups = _EligibleGroups(people, _acts_for, ties)
    people_by_id = {person.id: person for person in people}
    standing_in = _EligibleGroups(people, _stands_in(stand_ins), ties)
    covering = _EligibleGroups(people, _covers(out_of_hours_cover), ties)
    stand_in_until = now + stand_in_within
    plan: list[Assignment] = []
    for task in pool:
        if spare == 0:
            break  # everyone is at the cap; the rest of the pool waits
        needed_until = needed_on_shift_until(task, now, lead_time, allow_overrun)
        chosen = groups.least_loaded(task, needed_until, loads, capacity_per_person)
        urgent = task.due_at <= stand_in_until
        # Someone in the last moments of a shift is a last resort here too: an urgent
        # call-back goes to a practice manager or the EDT who is free, if there is one.
        last_resort = None
        if chosen is not None and urgent and ties.in_last_moments(people_by_id[chosen]):
            last_resort, chosen = chosen, None
        if chosen is None and urgent:
            chosen = standing_in.least_loaded(task, needed_until, loads, capacity_per_person)
        # The EDT after a practice manager, on the same terms; and at once when nobody at the
        # front door who could make it is on shift at all (a 2-hour s47 at 18:00 need not
        # wait until 19:00 for an EDT social worker who is free now).
        if chosen is None and (urgent or not (groups.anyone(task) or standing_in.anyone(task))):
            chosen = covering.least_loaded(task, needed_until, loads, capacity_per_person)
        if last_resort is not None and (
            chosen is None or ties.in_last_moments(people_by_id[chosen])
        ):
            chosen = last_resort  # nobody better: they may still start it
        if chosen is None:
            continue
        loads[chosen] += 1
        taken[chosen] += 1
        if spare is not None:
            spare -= 1
        plan.append(Assignment(task.id, chosen))
    return plan


def _total_spare(loads: dict[str, int], cap: int | None) -> int | None:
    if cap is None:
        return None
    return sum(max(0, cap - load) for load in loads.values())


@dataclass(frozen=True)
class _TieBreak:
    """How people equally loaded are told apart within one plan."""

    allow_overrun: bool
    leaving_soon_until: datetime | None
    last_moments_from: datetime  # whoever leaves before this is a last resort
    taken: dict[str, int]  # call-backs given this shift, counting this plan's

    def in_last_moments(self, person: Candidate) -> bool:
        return person.shift_ends_at < self.last_moments_from

    def fixed_order(self, person: Candidate, role: Role) -> tuple:
        """Return the part of the order that does not change as the plan goes on."""
        in_last_moments = self.in_last_moments(person)
        leaving_soon = (
            self.leaving_soon_until is not None and person.shift_ends_at <= self.leaving_soon_until
        )
        # Remaining ties: with overruns allowed, whoever leaves soonest; without, whoever stays
        # longest, as least likely to hand it back.
        ends = person.shift_ends_at.timestamp()
        return (
            in_last_moments,
            person.role != role,
            not leaving_soon,
            ends if self.allow_overrun else -ends,
        )


_Kind = tuple[Role, frozenset[Skill], bool]


def _kind(task: OpenTask) -> _Kind:
    """What decides who may take a task: everything the admission rules read."""
    return (task.role, task.skills, task.out_of_hours_cover)


class _EligibleGroups:
    """People able to take each kind of task, in the order ties go, built once per plan."""

    def __init__(self, people: Sequence[Candidate], admits: Admits, ties: _TieBreak) -> None:
        self._people = people
        self._admits = admits
        self._ties = ties
        self._by_kind: dict[_Kind, list[tuple[tuple, Candidate]]] = {}
        self._full_kinds: set[_Kind] = set()

    def _group(self, kind: _Kind, task: OpenTask) -> list[tuple[tuple, Candidate]]:
        group = self._by_kind.get(kind)
        if group is None:
            # Someone in the last moments of their shift comes last whatever their load; then
            # ties on load go first to the role the task names (an early help worker before
            # an officer standing in), then to someone leaving soon, then to whoever has been
            # given fewest call-backs this shift, then by shift end.
            group = sorted(
                (
                    (self._ties.fixed_order(p, task.role), p)
                    for p in self._people
                    if self._admits(p, task)
                ),
                key=lambda entry: (entry[0], entry[1].id),
            )
            self._by_kind[kind] = group
        return group

    def anyone(self, task: OpenTask) -> bool:
        """Say whether anyone on shift is admitted for this kind of task, however busy."""
        return bool(self._group(_kind(task), task))

    def least_loaded(
        self,
        task: OpenTask,
        needed_until: datetime,
        loads: dict[str, int],
        cap: int | None,
    ) -> str | None:
        kind = _kind(task)
        if kind in self._full_kinds:
            return None
        taken = self._ties.taken
        best: str | None = None
        best_key: tuple = ()
        anyone_with_room = False
        for (last_moments, named_role, staying, _), person in self._group(kind, task):
            load = loads[person.id]
            if cap is not None and load >= cap:
                continue
            anyone_with_room = True
            if person.shift_ends_at < needed_until or person.id in task.not_for:
                continue
            key = (last_moments, load, named_role, staying, taken[person.id])
            if best is None or key < best_key:
                best, best_key = person.id, key
        if not anyone_with_room:
            self._full_kinds.add(kind)  # loads only grow within a plan
        return best


def explain_unplaced(
    task: OpenTask,
    candidates: Iterable[Candidate],
    now: datetime,
    *,
    assignments: Iterable[Assignment] = (),
    capacity_per_person: int | None = None,
    lead_time: timedelta = DEFAULT_LEAD_TIME,
    allow_overrun: bool = False,
    stand_ins: Iterable[tuple[Role, Role]] = (),
    stand_in_within: timedelta = timedelta(0),
    out_of_hours_cover: Iterable[Role] = (),
) -> Unplaced | None:
    """Say why nobody could take this task after the planned assignments; None if someone could.

    The reason is about the roles the task names; when someone on shift could stand in (or
    cover out of hours) the sentence says when they will, or None if they can take it now.
    """
    candidates = list(candidates)
    people = [p for p in candidates if p.id not in task.not_for]
    planned: dict[str, int] = {}
    for assignment in assignments:
        planned[assignment.staff_id] = planned.get(assignment.staff_id, 0) + 1
    needed_until = needed_on_shift_until(task, now, lead_time, allow_overrun)
    unplaced = _why_no_named_role(task, people, planned, needed_until, capacity_per_person)
    if unplaced is None:
        return None
    if any(p.id in task.not_for for p in candidates):
        unplaced = replace(
            unplaced, message=unplaced.message + " (not counting whoever handed it back)"
        )
    stands_in, covers = _stands_in(stand_ins), _covers(out_of_hours_cover)
    # As the planner counts it: whoever handed it back is still at the front door.
    nobody_at_the_door = not any(
        _acts_for(p, task) or stands_in(p, task) for p in candidates if p.available
    )
    urgent = task.due_at <= now + stand_in_within
    able = [p for p in people if p.available and p.shift_ends_at >= needed_until]
    standing_in = [p for p in able if stands_in(p, task)]
    covering = [p for p in able if covers(p, task)]
    if not standing_in + covering:
        return unplaced
    # The same terms as plan_assignments: stand-ins when urgent, cover also when nobody who
    # could make it is at the front door.
    now_taking = (standing_in if urgent else []) + (
        covering if urgent or nobody_at_the_door else []
    )
    if not now_taking:
        words = " or ".join(sorted({_role_name(p.role) for p in standing_in + covering}))
        article = "an" if words[0].lower() in "aeiou" else "a"
        note = (
            f"; {article} {words} on shift will take it if it is still waiting when it is due "
            f"within {_span_words(stand_in_within)}"
        )
    elif capacity_per_person is None or any(
        p.open_task_count + planned.get(p.id, 0) < capacity_per_person for p in now_taking
    ):
        return None  # the next allocation gives it to the stand-in
    else:
        words = " or ".join(sorted({_role_name(p.role) for p in now_taking}))
        note = f"; every {words} on shift who could stand in is busy too"
    return replace(unplaced, message=unplaced.message + note)


_ROLE_NAMES = {Role.EDT_SOCIAL_WORKER: "Emergency Duty Team social worker"}


def _role_name(role: Role) -> str:
    return _ROLE_NAMES.get(role, role.replace("_", " "))


def _span_words(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes == 60:
        return "the hour"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _why_no_named_role(
    task: OpenTask,
    people: list[Candidate],
    planned: dict[str, int],
    needed_until: datetime,
    capacity_per_person: int | None,
) -> Unplaced | None:
    roles = _role_words(task.role)
    able = [p for p in people if p.role in ROLES_ABLE_TO_ACT_AS[task.role]]
    if not able:
        return Unplaced(task.id, UnplacedReason.NO_ROLE, f"no {roles} on shift now")
    skilled = [p for p in able if task.skills <= p.skills]
    if not skilled:
        skills = " and ".join(sorted(task.skills))
        message = f"no {roles} with {skills} on shift now"
        return Unplaced(task.id, UnplacedReason.NO_SKILL, message)
    present = [p for p in skilled if p.available]
    if not present:
        return Unplaced(
            task.id, UnplacedReason.NOBODY_AVAILABLE, f"every {roles} who could take it is away"
        )
    staying = [p for p in present if p.shift_ends_at >= needed_until]
    if not staying:
        return Unplaced(
            task.id,
            UnplacedReason.SHIFT_TOO_SHORT,
            f"no {roles} on shift long enough to make the call",
        )
    if capacity_per_person is not None and all(
        p.open_task_count + planned.get(p.id, 0) >= capacity_per_person for p in staying
    ):
        return Unplaced(
            task.id,
            UnplacedReason.ALL_AT_CAPACITY,
            f"every {roles} on shift already holds {capacity_per_person} open "
            f"call-back{'s' if capacity_per_person != 1 else ''}",
        )
    return None


def _role_words(role: Role) -> str:
    return " or ".join(sorted(_role_name(able) for able in ROLES_ABLE_TO_ACT_AS[role]))


def reallocation_needed(
    held_tasks: Iterable[OpenTask],
    candidates: Iterable[Candidate],
    now: datetime,
    *,
    allow_overrun: bool = False,
) -> list[Release]:
    """List held, not yet started tasks whose holder has gone or can no longer make the call."""
    people = {candidate.id: candidate for candidate in candidates}
    releases: list[Release] = []
    for task in held_tasks:
        if task.held_by is None:
            continue
        holder = people.get(task.held_by)
        if holder is None or holder.shift_ends_at <= now:
            releases.append(Release(task.id, task.held_by, ReleaseReason.SIGNED_OFF))
        elif not holder.available:
            releases.append(Release(task.id, task.held_by, ReleaseReason.AWAY))
        # No lead time here, unlike a new assignment: the holder may already be dialling,
        # so only take it back when the call could not even fit in what is left of the shift.
        elif not allow_overrun and holder.shift_ends_at < now + timedelta(
            minutes=task.expected_minutes
        ):
            releases.append(Release(task.id, task.held_by, ReleaseReason.SHIFT_ENDING))
    return releases

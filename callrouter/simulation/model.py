"""The simulation's plain data: call-back requests, the trace of a week, and what a run did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType

from callrouter.domain.allocation import OpenTask
from callrouter.domain.rota import Shift, StaffMember
from callrouter.domain.vocabulary import Level, Role, Skill

# Only these levels are promised a call-back on the phone line (DOMAIN.md); s17 and level 3
# are information only, and level 2 only when the caller asks for specific advice.
CALLBACK_TIMESCALES: Mapping[Level, timedelta] = MappingProxyType(
    {
        Level.S47: timedelta(hours=1),
        Level.PUBLIC_CONCERN: timedelta(hours=24),
        Level.LEVEL2: timedelta(hours=48),
    }
)

# An unscreened public concern may turn out to be significant harm, so a social worker screens
# it; level 2 advice is early help work, which an early help officer may also take.
CALLBACK_ROLES: Mapping[Level, Role] = MappingProxyType(
    {
        Level.S47: Role.SOCIAL_WORKER,
        Level.PUBLIC_CONCERN: Role.SOCIAL_WORKER,
        Level.LEVEL2: Role.EARLY_HELP_WORKER,
    }
)

# As the shipped flows mark s47 `out_of_hours_cover`: the Emergency Duty Team on the rota may
# make it when nobody at the front door can.
OUT_OF_HOURS_COVER_LEVELS = frozenset({Level.S47})

MISS_WEIGHTS: Mapping[Level, int] = MappingProxyType(
    {Level.S47: 10, Level.PUBLIC_CONCERN: 1, Level.LEVEL2: 1}
)


@dataclass(frozen=True)
class CallbackRequest:
    """A call-back the front door promised, with how long it will really take."""

    id: str
    level: Level
    role: Role
    received_at: datetime
    due_at: datetime
    duration: timedelta  # known to the simulation and the offline bound, never to a policy
    expected_minutes: float  # what a policy is told to plan for
    skills: frozenset[Skill] = frozenset()

    @property
    def weight(self) -> int:
        return MISS_WEIGHTS.get(self.level, 1)

    @property
    def out_of_hours_cover(self) -> bool:
        return self.level in OUT_OF_HOURS_COVER_LEVELS

    def as_open_task(self, held_by: str | None = None) -> OpenTask:
        """Describe this request the way the allocation policy sees a task."""
        return OpenTask(
            id=self.id,
            role=self.role,
            skills=self.skills,
            due_at=self.due_at,
            received_at=self.received_at,
            expected_minutes=self.expected_minutes,
            held_by=held_by,
            out_of_hours_cover=self.out_of_hours_cover,
        )


@dataclass(frozen=True)
class Trace:
    """Everything that happens to a front door in the simulated period, whatever the strategy."""

    rota_name: str
    seed: int
    load: float
    starts_at: datetime
    arrivals_end: datetime
    ends_at: datetime
    staff: tuple[StaffMember, ...]
    shifts: tuple[Shift, ...]  # joined per person, sick days already removed
    absences: tuple[tuple[str, date], ...]
    requests: tuple[CallbackRequest, ...]
    calls_by_level: Mapping[Level, int] = field(default_factory=dict)
    # s47 callers the line told to ring the EDT because nobody who could make the call-back
    # was on shift for long enough: out of the front door's office hours, a count for
    # information; in them, when each came, as the front door turned them away.
    sent_to_edt: int = 0
    turned_away_in_office_hours: tuple[datetime, ...] = ()
    calls_per_week: float | None = None  # at normal load; None for a hand-made trace


@dataclass(frozen=True)
class CallMade:
    request_id: str
    staff_ref: str
    started_at: datetime
    finished_at: datetime


@dataclass(frozen=True)
class RunResult:
    strategy: str
    trace: Trace
    calls: Mapping[str, CallMade]  # by request id; a request missing here was never called
    busy: Mapping[str, timedelta]  # time each person spent on call-backs

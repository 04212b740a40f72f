"""Build small hand-checkable traces for the simulation tests."""

from datetime import UTC, datetime, timedelta

from callrouter.domain.rota import Shift, StaffMember
from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.arrivals import expected_minutes
from callrouter.simulation.model import CALLBACK_ROLES, CALLBACK_TIMESCALES, CallbackRequest, Trace

MONDAY = datetime(2025, 11, 3, tzinfo=UTC)  # GMT, so UTC hours are wall-clock hours


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute)


def member(ref: str, role: Role = Role.SOCIAL_WORKER) -> StaffMember:
    return StaffMember(ref, ref, role, "duty desk", frozenset())


def shift(ref: str, start: datetime, end: datetime) -> Shift:
    return Shift(ref, start, end)


def request(id: str, level: Level, received: datetime, minutes: float) -> CallbackRequest:
    return CallbackRequest(
        id=id,
        level=level,
        role=CALLBACK_ROLES[level],
        received_at=received,
        due_at=received + CALLBACK_TIMESCALES[level],
        duration=timedelta(minutes=minutes),
        expected_minutes=expected_minutes(level),
    )


def trace(staff, shifts, requests) -> Trace:
    return Trace(
        rota_name="tiny",
        seed=0,
        load=1.0,
        starts_at=MONDAY,
        arrivals_end=MONDAY + timedelta(days=1),
        ends_at=MONDAY + timedelta(days=3),
        staff=tuple(staff),
        shifts=tuple(sorted(shifts, key=lambda s: (s.starts_at, s.staff_ref))),
        absences=(),
        requests=tuple(sorted(requests, key=lambda r: r.received_at)),
    )

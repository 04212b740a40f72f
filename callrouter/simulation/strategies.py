"""How a strategy plugs into the event loop, and the production policy as one of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from callrouter.domain.allocation import (
    Candidate,
    plan_assignments,
    priority_order,
    reallocation_needed,
)
from callrouter.simulation.model import CallbackRequest

Held = tuple[CallbackRequest, str]  # a request and the person holding it, not yet started


class Strategy(Protocol):
    name: str

    def release(
        self, held: Sequence[Held], people: Sequence[Candidate], now: datetime
    ) -> list[str]:
        """Return ids of held requests to take back into the pool."""
        ...

    def assign(
        self, pool: Sequence[CallbackRequest], people: Sequence[Candidate], now: datetime
    ) -> list[tuple[str, str]]:
        """Return (request id, staff ref) pairs for requests to hand out now."""
        ...

    def next_call(self, held: Sequence[CallbackRequest], now: datetime) -> CallbackRequest:
        """Choose which of a free person's held requests they ring first."""
        ...


class EarliestDeadlineFirst:
    """The production policy from callrouter.domain.allocation, called exactly as the DB would."""

    def __init__(
        self, name: str = "edf", *, capacity_per_person: int | None = 2, **planning
    ) -> None:
        """Take plan_assignments' keyword options, as AllocationRules.planning_options gives."""
        self.name = name
        self.planning = {"capacity_per_person": capacity_per_person, **planning}

    def release(
        self, held: Sequence[Held], people: Sequence[Candidate], now: datetime
    ) -> list[str]:
        tasks = [request.as_open_task(held_by=holder) for request, holder in held]
        allow_overrun = self.planning.get("allow_overrun", False)
        releases = reallocation_needed(tasks, people, now, allow_overrun=allow_overrun)
        return [release.task_id for release in releases]

    def assign(
        self, pool: Sequence[CallbackRequest], people: Sequence[Candidate], now: datetime
    ) -> list[tuple[str, str]]:
        plan = plan_assignments(
            [request.as_open_task() for request in pool], people, now, **self.planning
        )
        return [(a.task_id, a.staff_id) for a in plan]

    def next_call(self, held: Sequence[CallbackRequest], now: datetime) -> CallbackRequest:
        by_id = {request.id: request for request in held}
        tasks = priority_order(
            [request.as_open_task() for request in held],
            now,
            self.planning.get("overdue_yields_to"),
        )
        return by_id[tasks[0].id]

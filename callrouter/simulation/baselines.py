"""Simple strategies to measure the production policy against: oldest first, and round robin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from callrouter.domain.allocation import (
    DEFAULT_LEAD_TIME,
    Candidate,
    is_eligible,
    reallocation_needed,
)
from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Role
from callrouter.simulation.model import CallbackRequest
from callrouter.simulation.strategies import Held


class OldestFirst:
    """The same eligibility, balance and cap as production, but oldest request first."""

    name = "fifo"

    def __init__(
        self, capacity_per_person: int | None = 2, lead_time: timedelta = DEFAULT_LEAD_TIME
    ) -> None:
        self.capacity_per_person = capacity_per_person
        self.lead_time = lead_time

    def release(
        self, held: Sequence[Held], people: Sequence[Candidate], now: datetime
    ) -> list[str]:
        tasks = [request.as_open_task(held_by=holder) for request, holder in held]
        return [release.task_id for release in reallocation_needed(tasks, people, now)]

    def assign(
        self, pool: Sequence[CallbackRequest], people: Sequence[Candidate], now: datetime
    ) -> list[tuple[str, str]]:
        loads = {person.id: person.open_task_count for person in people}
        cap = self.capacity_per_person
        with_room = [p for p in people if p.available and (cap is None or loads[p.id] < cap)]
        plan: list[tuple[str, str]] = []
        for request in sorted(pool, key=lambda r: (r.received_at, r.id)):
            if not with_room:
                break
            task = request.as_open_task()
            eligible = [p for p in with_room if is_eligible(task, p, now, self.lead_time)]
            if not eligible:
                continue
            chosen = min(eligible, key=lambda p: (loads[p.id], p.id))
            loads[chosen.id] += 1
            plan.append((request.id, chosen.id))
            if cap is not None and loads[chosen.id] >= cap:
                with_room.remove(chosen)
        return plan

    def next_call(self, held: Sequence[CallbackRequest], now: datetime) -> CallbackRequest:
        return min(held, key=lambda r: (r.received_at, r.id))


class RoundRobin:
    """Hand each request at once to the next person of the right role on shift, in turn."""

    name = "round_robin"

    def __init__(self) -> None:
        self._last_given: dict[Role, str] = {}

    def release(
        self, held: Sequence[Held], people: Sequence[Candidate], now: datetime
    ) -> list[str]:
        return []  # the event loop already takes work back from anyone who signs off

    def assign(
        self, pool: Sequence[CallbackRequest], people: Sequence[Candidate], now: datetime
    ) -> list[tuple[str, str]]:
        plan: list[tuple[str, str]] = []
        in_turn = sorted(people, key=lambda p: p.id)
        for request in sorted(pool, key=lambda r: (r.received_at, r.id)):
            able = [
                p
                for p in in_turn
                if p.available
                and p.role in ROLES_ABLE_TO_ACT_AS[request.role]
                and request.skills <= p.skills
            ]
            if not able:
                continue
            last = self._last_given.get(request.role)
            chosen = next((p for p in able if last is None or p.id > last), able[0])
            self._last_given[request.role] = chosen.id
            plan.append((request.id, chosen.id))
        return plan

    def next_call(self, held: Sequence[CallbackRequest], now: datetime) -> CallbackRequest:
        return min(held, key=lambda r: (r.received_at, r.id))

"""Play a trace through a strategy, event by event, and record every call-back made."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from callrouter.domain.allocation import Candidate
from callrouter.domain.rota import Shift, StaffMember
from callrouter.simulation.model import CallbackRequest, CallMade, RunResult, Trace
from callrouter.simulation.strategies import Strategy


class _Event(IntEnum):
    # At one instant: free people first, then sign-offs, sign-ons, and new calls last, so a
    # decision at that instant sees everything that happened at it.
    CALL_ENDS = 0
    SHIFT_ENDS = 1
    SHIFT_STARTS = 2
    REQUEST_ARRIVES = 3


@dataclass
class _Person:
    member: StaffMember
    on_shift_until: datetime | None = None
    calling: CallbackRequest | None = None
    held: list[CallbackRequest] = field(default_factory=list)
    busy: timedelta = timedelta(0)
    taken_this_shift: int = 0

    def as_candidate(self) -> Candidate:
        assert self.on_shift_until is not None
        return Candidate(
            id=self.member.ref,
            role=self.member.role,
            skills=self.member.skills,
            shift_ends_at=self.on_shift_until,
            open_task_count=len(self.held) + (self.calling is not None),
            available=True,
            taken_this_shift=self.taken_this_shift,
        )


def run(trace: Trace, strategy: Strategy) -> RunResult:
    """Simulate the trace under one strategy and return the calls made."""
    return _Simulation(trace, strategy).run()


class _Simulation:
    def __init__(self, trace: Trace, strategy: Strategy) -> None:
        self.trace = trace
        self.strategy = strategy
        self.people = {member.ref: _Person(member) for member in trace.staff}
        self.pool: dict[str, CallbackRequest] = {}
        self.calls: dict[str, CallMade] = {}
        self.events: list[tuple[datetime, int, int, object]] = []
        self.sequence = 0
        for shift in trace.shifts:
            self._schedule(shift.starts_at, _Event.SHIFT_STARTS, shift)
            self._schedule(shift.ends_at, _Event.SHIFT_ENDS, shift)
        for request in trace.requests:
            self._schedule(request.received_at, _Event.REQUEST_ARRIVES, request)

    def _schedule(self, at: datetime, kind: _Event, payload: object) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at, kind, self.sequence, payload))

    def run(self) -> RunResult:
        while self.events and self.events[0][0] <= self.trace.ends_at:
            now = self.events[0][0]
            while self.events and self.events[0][0] == now:
                _, kind, _, payload = heapq.heappop(self.events)
                self._handle(_Event(kind), payload, now)
            self._decide(now)
        return RunResult(
            strategy=self.strategy.name,
            trace=self.trace,
            calls=dict(self.calls),
            busy={ref: person.busy for ref, person in self.people.items()},
        )

    def _handle(self, kind: _Event, payload: object, now: datetime) -> None:
        if kind is _Event.REQUEST_ARRIVES:
            assert isinstance(payload, CallbackRequest)
            self.pool[payload.id] = payload
        elif kind is _Event.SHIFT_STARTS:
            assert isinstance(payload, Shift)
            person = self.people[payload.staff_ref]
            person.on_shift_until = payload.ends_at
            person.taken_this_shift = 0
        elif kind is _Event.SHIFT_ENDS:
            assert isinstance(payload, Shift)
            person = self.people[payload.staff_ref]
            person.on_shift_until = None
            self._take_back(person, list(person.held))
        else:
            assert isinstance(payload, str)
            self.people[payload].calling = None

    def _take_back(self, person: _Person, requests: list[CallbackRequest]) -> None:
        for request in requests:
            person.held.remove(request)
            self.pool[request.id] = request

    def _decide(self, now: datetime) -> None:
        on_shift = [p for p in self.people.values() if p.on_shift_until is not None]
        if not on_shift:
            return
        held = [(request, p.member.ref) for p in on_shift for request in p.held]
        if held:
            back = set(self.strategy.release(held, [p.as_candidate() for p in on_shift], now))
            for person in on_shift:
                self._take_back(person, [r for r in person.held if r.id in back])
        if self.pool:
            candidates = [p.as_candidate() for p in on_shift]
            for request_id, staff_ref in self.strategy.assign(
                list(self.pool.values()), candidates, now
            ):
                person = self.people[staff_ref]
                person.held.append(self.pool.pop(request_id))
                person.taken_this_shift += 1
        for person in on_shift:
            if person.calling is None and person.held:
                self._start_call(person, self.strategy.next_call(person.held, now), now)

    def _start_call(self, person: _Person, request: CallbackRequest, now: datetime) -> None:
        person.held.remove(request)
        person.calling = request
        person.busy += request.duration
        finished_at = now + request.duration
        self.calls[request.id] = CallMade(request.id, person.member.ref, now, finished_at)
        self._schedule(finished_at, _Event.CALL_ENDS, person.member.ref)

"""Lower bounds on the misses any schedule, even a clairvoyant one, gets on a trace.

Any real schedule of the simulation obeys these rules: a request counts as in time only if its
call starts by the due time; a person makes one call at a time and starts calls only while on
shift (finishing one that runs over); requests go only to people whose role and skills fit,
counting a role that may stand in for the request's (a practice manager for a social worker)
as fitting at any time, though production lets it stand in only near the deadline.
So an in-time request's call starts at a moment between received_at and due_at when someone
able to make it is on shift, and its whole call lies between the first such moment and the last
plus its duration; everything a person does lies inside their shifts, each stretched by the
longest call a shift could end on.

The fluid bound drops rules to get a problem solvable exactly, each drop only enlarging what is
possible, so its optimum can only be lower than the real one:

1. Calls may be split and shared, in any pieces, among people (preemption and migration), and
   a request may even be worked on by several people at once.
2. Each request may be made in time only in part: doing a fraction x of its minutes inside its
   window counts as x of a call made in time (the linear relaxation of in-time-or-not).
3. Requests whose eligible people overlap are pooled, and any of them may use anyone in the
   pool (so role and skill limits only separate pools that share nobody).
4. Late requests cost nothing beyond their miss: their work is simply left undone.

What is left, per pool, is: choose amounts y_j <= p_j of work for each request inside its
window on a single resource whose rate at each moment is the number of people available, to
maximise sum(w_j * y_j / p_j). The feasible y form a polymatroid (Hall's condition over time
intervals on a convex bipartite graph), so the greedy algorithm is optimal: take requests in
falling order of value per minute w_j / p_j, and let f(S) be the most work the first |S| of
them can get done; the optimum is sum over i of (w_i / p_i) * (f(S_i) - f(S_{i-1})). And f(S)
is exactly what earliest-window-end-first, run fluidly over the capacity, achieves (Glover's
greedy for convex bipartite matching). Weighted misses are at least sum(w) minus that optimum,
and since real misses come in whole weights we may round the bound up.

The fluid bound is loose where it matters most, a burst of s47 calls near a shift end: it lets
one person's hour of overrun absorb several calls at once. So s47 call-backs also get an exact
search (exact.py), and the weighted bound is the larger of the fluid bound over everything and
(s47 optimum x its weight) + (fluid bound over the other requests alone). Both are valid: any
schedule misses at least the s47 optimum, and at least what the others alone must miss.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from callrouter.domain.allocation import PRODUCTION_RULES, could_ever_take
from callrouter.domain.rota import StaffMember
from callrouter.domain.vocabulary import Level
from callrouter.simulation.exact import DEFAULT_NODE_BUDGET, Call, SearchResult, fewest_misses
from callrouter.simulation.model import CALLBACK_TIMESCALES, MISS_WEIGHTS, CallbackRequest, Trace

_EPSILON = 1e-6


@dataclass(frozen=True)
class Bound:
    misses: int  # rounded up: no schedule misses less weight than this
    relaxed: float  # the relaxation's exact optimum, before rounding
    unreachable: int  # weight of requests no one on the rota could ever take


@dataclass(frozen=True)
class OfflineBounds:
    """What no schedule of a trace can beat: weighted misses, and s47 misses on their own."""

    weighted_misses: int
    s47_misses: int
    s47_exact: bool  # True when s47_misses is the optimum itself, found by search
    fluid: Bound  # the relaxation over every request, one of the two bounds behind the first


@dataclass(frozen=True)
class _Job:
    release: float  # minutes since the trace start
    window_end: float
    minutes: float
    weight: float


def offline_bounds(trace: Trace, node_budget: int = DEFAULT_NODE_BUDGET) -> OfflineBounds:
    """Bound a trace's weighted and s47 misses from below, as tightly as this module can."""
    fluid = miss_lower_bound(trace)
    s47 = fewest_s47_misses(trace, node_budget)
    s47_weight = MISS_WEIGHTS[Level.S47]
    others = miss_lower_bound(trace, levels=set(CALLBACK_TIMESCALES) - {Level.S47})
    weighted = max(fluid.misses, s47.misses * s47_weight + others.misses)
    return OfflineBounds(weighted, s47.misses, s47.exact, fluid)


def fewest_s47_misses(trace: Trace, node_budget: int = DEFAULT_NODE_BUDGET) -> SearchResult:
    """Search for the fewest s47 call-backs any schedule of this trace must miss."""
    staff = list(trace.staff)
    index = {member.ref: i for i, member in enumerate(staff)}

    def seconds(at: datetime) -> int:
        return round((at - trace.starts_at).total_seconds())

    shifts: list[list[tuple[int, int]]] = [[] for _ in staff]
    for shift in trace.shifts:
        shifts[index[shift.staff_ref]].append((seconds(shift.starts_at), seconds(shift.ends_at)))
    calls = [
        Call(
            received=seconds(r.received_at),
            due=seconds(r.due_at),
            length=round(r.duration.total_seconds()),
            able=frozenset(index[ref] for ref in _eligible_staff(r, staff)),
        )
        for r in trace.requests
        if r.level == Level.S47
    ]

    spans = {p: [(a / 60, b / 60) for a, b in shifts[p]] for p in range(len(staff))}

    def fluid_floor(cluster: Sequence[Call]) -> int:
        jobs = []
        for c in cluster:
            job = _startable_job(
                c.received / 60,
                c.due / 60,
                c.length / 60,
                1.0,
                [span for p in c.able for span in spans[p]],
            )
            if job is not None:
                jobs.append(job)
        if not jobs:
            return len(cluster)
        people = set().union(*(c.able for c in cluster))
        capacity = _capacity_from_spans(
            {p: spans[p] for p in people if spans[p]}, max(job.minutes for job in jobs)
        )
        relaxed = _fluid_misses(jobs, capacity) + (len(cluster) - len(jobs))
        return max(0, math.ceil(relaxed - _EPSILON))

    return fewest_misses(calls, shifts, fluid_floor, node_budget)


def miss_lower_bound(
    trace: Trace, *, levels: Collection[Level] | None = None, weighted: bool = True
) -> Bound:
    """Bound from below the (weighted) misses of any schedule of these requests on this rota."""
    requests = [r for r in trace.requests if levels is None or r.level in levels]
    eligible = {r.id: _eligible_staff(r, trace.staff) for r in requests}
    pools = _pool_staff(eligible.values())
    by_pool: dict[str, list[CallbackRequest]] = {}
    unreachable = 0
    for request in requests:
        weight = request.weight if weighted else 1
        staff = eligible[request.id]
        if not staff:
            unreachable += weight
            continue
        by_pool.setdefault(pools[next(iter(staff))], []).append(request)
    relaxed = float(unreachable)
    for pool_requests in by_pool.values():
        members = set().union(*(eligible[r.id] for r in pool_requests))
        relaxed += _pool_misses(trace, pool_requests, members, weighted, eligible)
    return Bound(max(0, math.ceil(relaxed - _EPSILON)), relaxed, unreachable)


def _eligible_staff(request: CallbackRequest, staff: Iterable[StaffMember]) -> frozenset[str]:
    # Everyone any strategy may ever give it to, by production's own admission rules (stand-ins
    # and the EDT included): a bound over more people than a strategy uses is still a bound.
    task = request.as_open_task()
    rules = PRODUCTION_RULES
    return frozenset(
        m.ref for m in staff if could_ever_take(m, task, rules.stand_ins, rules.out_of_hours_cover)
    )


def _pool_staff(groups: Iterable[frozenset[str]]) -> dict[str, str]:
    """Map each person to a pool name, joining every group that shares someone (union-find)."""
    parent: dict[str, str] = {}

    def root(ref: str) -> str:
        while parent.setdefault(ref, ref) != ref:
            parent[ref] = parent[parent[ref]]
            ref = parent[ref]
        return ref

    for group in groups:
        refs = sorted(group)
        if not refs:
            continue
        root(refs[0])
        for ref in refs[1:]:
            parent[root(ref)] = root(refs[0])
    return {ref: root(ref) for ref in parent}


def _pool_misses(
    trace: Trace,
    requests: list[CallbackRequest],
    members: set[str],
    weighted: bool,
    eligible: Mapping[str, frozenset[str]],
) -> float:
    def minutes(at: datetime) -> float:
        return (at - trace.starts_at).total_seconds() / 60

    spans: dict[str, list[tuple[float, float]]] = {}
    for shift in trace.shifts:
        if shift.staff_ref in members:
            spans.setdefault(shift.staff_ref, []).append(
                (minutes(shift.starts_at), minutes(shift.ends_at))
            )
    jobs = []
    never_startable = 0.0
    for r in requests:
        weight = r.weight if weighted else 1
        job = _startable_job(
            minutes(r.received_at),
            minutes(r.due_at),
            r.duration.total_seconds() / 60,
            weight,
            [span for ref in eligible[r.id] for span in spans.get(ref, ())],
        )
        if job is None:
            never_startable += weight
        else:
            jobs.append(job)
    if not jobs:
        return never_startable
    capacity = _capacity_from_spans(spans, max(job.minutes for job in jobs))
    return never_startable + _fluid_misses(jobs, capacity)


def _startable_job(
    received: float,
    due: float,
    minutes: float,
    weight: float,
    spans: Iterable[tuple[float, float]],
) -> _Job | None:
    """Describe a request by when its call could really start in time; None if never.

    An in-time call starts while someone eligible is on shift, between the request arriving
    and its due time: so its work lies between the first such moment and the last such
    moment plus its length. Shift stretching lets a call run over, but never lets one start
    after everyone eligible has gone, which is what a request arriving after hours needs.
    """
    first = math.inf
    last = -math.inf
    for start, end in spans:
        if end <= received or start > due:
            continue
        first = min(first, max(start, received))
        last = max(last, min(end, due))
    if first > last:
        return None
    return _Job(release=first, window_end=last + minutes, minutes=minutes, weight=weight)


def _fluid_misses(jobs: list[_Job], capacity: list[tuple[float, int]]) -> float:
    """Return the relaxation's fewest weighted misses, by the polymatroid greedy."""
    jobs = sorted(jobs, key=lambda j: -j.weight / j.minutes)
    achieved = 0.0
    previous_work = 0.0
    for count in range(1, len(jobs) + 1):
        work = _most_work(jobs[:count], capacity)
        job = jobs[count - 1]
        achieved += job.weight / job.minutes * max(0.0, work - previous_work)
        previous_work = work
    return sum(job.weight for job in jobs) - achieved


def _capacity_from_spans(
    spans_by_person: Mapping[object, Sequence[tuple[float, float]]], overrun: float
) -> list[tuple[float, int]]:
    """Return (time, people available from then) steps, each shift stretched by the overrun."""
    changes: dict[float, int] = {}
    for spans in spans_by_person.values():
        # Join one person's stretched shifts so nobody counts twice where they overlap.
        stretched = sorted((start, end + overrun) for start, end in spans)
        joined = [list(stretched[0])]
        for start, end in stretched[1:]:
            if start <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], end)
            else:
                joined.append([start, end])
        for start, end in joined:
            changes[start] = changes.get(start, 0) + 1
            changes[end] = changes.get(end, 0) - 1
    steps: list[tuple[float, int]] = []
    level = 0
    for at in sorted(changes):
        level += changes[at]
        steps.append((at, level))
    return steps


def _most_work(jobs: list[_Job], capacity: list[tuple[float, int]]) -> float:
    """Return the most work fluid earliest-window-end-first gets done inside the windows."""
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].release)
    remaining = [job.minutes for job in jobs]
    waiting: list[tuple[float, int]] = []
    done = 0.0
    next_job = 0
    step = 0
    now = -math.inf
    while next_job < len(order) or waiting:
        if not waiting:
            now = max(now, jobs[order[next_job]].release)
        while next_job < len(order) and jobs[order[next_job]].release <= now:
            index = order[next_job]
            heapq.heappush(waiting, (jobs[index].window_end, index))
            next_job += 1
        while step + 1 < len(capacity) and capacity[step + 1][0] <= now:
            step += 1
        rate = capacity[step][1] if capacity and capacity[step][0] <= now else 0
        next_change = capacity[step + 1][0] if step + 1 < len(capacity) else math.inf
        if capacity and now < capacity[0][0]:
            next_change = capacity[0][0]
        next_release = jobs[order[next_job]].release if next_job < len(order) else math.inf
        boundary = min(next_change, next_release)
        if rate == 0:
            if boundary == math.inf:
                break  # nobody is ever on again: the rest is lost
            now = boundary
            continue
        while waiting and now < boundary:
            window_end, index = waiting[0]
            if window_end <= now:
                heapq.heappop(waiting)  # its window closed: the rest of it is lost
                continue
            until = min(window_end, boundary)
            possible = rate * (until - now)
            if remaining[index] <= possible:
                now += remaining[index] / rate
                done += remaining[index]
                remaining[index] = 0.0
                heapq.heappop(waiting)
            else:
                done += possible
                remaining[index] -= possible
                now = until
        if boundary != math.inf:
            now = max(now, boundary)
    return done

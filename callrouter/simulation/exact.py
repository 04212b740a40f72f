"""The fewest call-backs of one kind that any schedule must miss, found by exhaustive search.

Used for s47 call-backs: few enough to search, and the ones that matter most. Leaving the other
requests out can only make the search's job easier, so what it finds is a true lower bound on
s47 misses in the full simulation. The search works on clusters of requests whose windows
[received, due + length] overlap: a call made in time finishes inside its window, so calls in
separate clusters never compete (a late call can be dropped without hurting anyone), and each
cluster starts with everyone free.

Within a cluster it is a branch and bound over schedules the simulation could produce: people
start calls only while on shift (finishing a call after it), one call at a time, in any order,
and a call is in time if it starts by its due time. When a cluster is too big to finish within
the node budget, the cluster falls back to the fluid bound of bound.py, still a lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

NodeBudget = int
DEFAULT_NODE_BUDGET: NodeBudget = 50_000


@dataclass(frozen=True)
class Call:
    """A request as the search sees it: seconds since the trace start, and who may take it."""

    received: int
    due: int
    length: int
    able: frozenset[int]  # indexes of the people who may make this call


@dataclass(frozen=True)
class SearchResult:
    misses: int
    exact: bool


def fewest_misses(
    calls: Sequence[Call],
    shifts: Sequence[Sequence[tuple[int, int]]],
    fallback: Callable[[Sequence[Call]], int],
    node_budget: NodeBudget = DEFAULT_NODE_BUDGET,
) -> SearchResult:
    """Return the fewest calls any schedule misses, cluster by cluster.

    shifts[i] lists person i's shifts as (start, end) seconds; fallback(cluster) must return a
    lower bound on a cluster's misses, used when its search runs out of nodes.
    """
    total = 0
    exact = True
    for cluster in _clusters(calls):
        floor = fallback(cluster)
        found = _Search(cluster, shifts, node_budget, floor).run()
        if found is None:
            total += floor
            exact = False
        else:
            total += found
    return SearchResult(total, exact)


def _clusters(calls: Sequence[Call]) -> list[list[Call]]:
    clusters: list[list[Call]] = []
    window_end = -math.inf
    for call in sorted(calls, key=lambda c: c.received):
        if call.received >= window_end:
            clusters.append([])
        clusters[-1].append(call)
        window_end = max(window_end, call.due + call.length)
    return clusters


class _Search:
    def __init__(
        self,
        calls: list[Call],
        shifts: Sequence[Sequence[tuple[int, int]]],
        node_budget: NodeBudget,
        floor: int,
    ) -> None:
        # Earliest due first, so the first schedule tried is the greedy one.
        self.calls = sorted(calls, key=lambda c: (c.due, c.received))
        first = self.calls[0].received
        last = max(c.due for c in self.calls)
        people = sorted(set().union(*(c.able for c in self.calls)))
        self.people = people
        self.shifts = [
            sorted((a, b) for a, b in shifts[person] if b > first and a <= last)
            for person in people
        ]
        self.able = [
            frozenset(i for i, person in enumerate(people) if person in c.able) for c in self.calls
        ]
        self.start = first
        self.budget = node_budget
        self.floor = floor
        self.best_made = -1
        self.seen: dict[tuple[int, tuple[float, ...]], int] = {}

    def run(self) -> int | None:
        """Return the fewest misses, or None if the node budget ran out first."""
        if not self.people:
            return len(self.calls)
        free: tuple[float, ...] = tuple(float(self.start) for _ in self.people)
        remaining = (1 << len(self.calls)) - 1
        try:
            self._branch(remaining, free, 0)
        except _OutOfNodes:
            return None
        except _ProvedOptimal:
            pass
        return len(self.calls) - self.best_made

    def _next_start(self, person: int, at: float) -> float | None:
        for start, end in self.shifts[person]:
            if at < end:
                return max(at, start)
        return None

    def _branch(self, remaining: int, free: tuple[float, ...], made: int) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfNodes
        key = (remaining, free)
        if self.seen.get(key, -1) >= made:
            return
        self.seen[key] = made
        if made > self.best_made:
            self.best_made = made
            if len(self.calls) - made <= self.floor:
                raise _ProvedOptimal
        ready = [(self._next_start(i, at), i) for i, at in enumerate(free)]
        active = [(at, i) for at, i in ready if at is not None]
        if not active or remaining == 0:
            return
        if made + self._could_still_make(remaining, free) <= self.best_made:
            return
        # Decide what the first person to come free does next: any call they could still
        # start in time, or nothing more at all.
        at, person = min(active)
        for index, call in enumerate(self.calls):
            if not remaining >> index & 1 or person not in self.able[index]:
                continue
            start = self._next_start(person, max(at, call.received))
            if start is None or start > call.due:
                continue
            after = list(free)
            after[person] = start + call.length
            self._branch(remaining & ~(1 << index), tuple(after), made + 1)
        retired = list(free)
        retired[person] = math.inf
        self._branch(remaining, tuple(retired), made)

    def _could_still_make(self, remaining: int, free: tuple[float, ...]) -> int:
        count = 0
        for index, call in enumerate(self.calls):
            if not remaining >> index & 1:
                continue
            for person in self.able[index]:
                start = self._next_start(person, max(free[person], call.received))
                if start is not None and start <= call.due:
                    count += 1
                    break
        return count


class _OutOfNodes(Exception):
    pass


class _ProvedOptimal(Exception):
    pass

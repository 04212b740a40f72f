"""Score a run: call-backs made in time per level, lateness, weighted misses, utilisation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.model import CALLBACK_TIMESCALES, RunResult

Group = TypeVar("Group")  # a role, or a person's ref


@dataclass(frozen=True)
class LevelScore:
    level: Level
    requests: int
    in_time: int
    never_called: int
    mean_lateness: timedelta  # over late requests; one never called counts up to the run's end
    max_lateness: timedelta

    @property
    def in_time_share(self) -> float | None:
        """Share made in time; None with no requests, which is no evidence of being in time."""
        return in_time_share(self.in_time, self.requests)

    @property
    def missed(self) -> int:
        return self.requests - self.in_time


@dataclass(frozen=True)
class RunScore:
    strategy: str
    levels: tuple[LevelScore, ...]
    weighted_misses: int
    utilisation: Mapping[Role, float]  # share of rostered time spent on call-backs
    utilisation_by_person: Mapping[str, float] = field(default_factory=dict)
    made_by_role: Mapping[Role, int] = field(default_factory=dict)  # call-backs each role made

    def level(self, level: Level) -> LevelScore:
        """Return the score for one level."""
        return next(score for score in self.levels if score.level == level)


def in_time_share(in_time: int, out_of: int) -> float | None:
    """Return in_time / out_of, or None when there was nothing to be in time for."""
    return in_time / out_of if out_of else None


def score(result: RunResult) -> RunScore:
    """Score one run of the simulation."""
    trace = result.trace
    levels = []
    weighted = 0
    for level in CALLBACK_TIMESCALES:
        requests = [r for r in trace.requests if r.level == level]
        late: list[timedelta] = []
        never_called = 0
        for request in requests:
            call = result.calls.get(request.id)
            if call is None:
                never_called += 1
                late.append(max(timedelta(0), trace.ends_at - request.due_at))
                weighted += request.weight
            elif call.started_at > request.due_at:
                late.append(call.started_at - request.due_at)
                weighted += request.weight
        levels.append(
            LevelScore(
                level=level,
                requests=len(requests),
                in_time=len(requests) - len(late),
                never_called=never_called,
                mean_lateness=sum(late, timedelta(0)) / len(late) if late else timedelta(0),
                max_lateness=max(late, default=timedelta(0)),
            )
        )
    role_of = {member.ref: member.role for member in trace.staff}
    return RunScore(
        result.strategy,
        tuple(levels),
        weighted,
        _utilisation(result, role_of.__getitem__),
        _utilisation(result, lambda ref: ref),
        dict(Counter(role_of[call.staff_ref] for call in result.calls.values())),
    )


def _utilisation(result: RunResult, group_of: Callable[[str], Group]) -> dict[Group, float]:
    """Share of rostered time spent on call-backs, summed over whatever group_of(ref) names."""
    rostered: dict[Group, timedelta] = {}
    busy: dict[Group, timedelta] = {}
    for shift in result.trace.shifts:
        group = group_of(shift.staff_ref)
        rostered[group] = rostered.get(group, timedelta(0)) + shift.duration
    for ref, spent in result.busy.items():
        group = group_of(ref)
        busy[group] = busy.get(group, timedelta(0)) + spent
    return {
        group: busy.get(group, timedelta(0)) / total for group, total in rostered.items() if total
    }

"""Would keeping social workers free for s47 close the s47 gap? An experiment, not production.

The remaining s47 misses that the offline optimum avoids (RESULTS.md) come where a social
worker was on another call when an s47 request came in, or two s47 calls landed near the end
of the day and the longer was taken first. The optimum knows what is coming; production does
not. The obvious online answer is to hold capacity back for s47, so this runs production
(`edf`) against two ways of doing that on the same traces:

- **`reserve_last_hour`**: in the last hour of their shift, anyone who can make an s47 call
  takes no call-back except s47 and those due within `--horizon` hours (default 16: whatever
  would breach overnight still gets made).
- **`keep_one_free`**: the last free person who can make an s47 call takes nothing but s47
  and those due within the horizon, so someone is always ready for the next s47 call.

Run as `python bench/reserve_experiment.py [--seeds N] [--horizon HOURS]`; prints Markdown.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from callrouter.domain.allocation import (
    PRODUCTION_RULES,
    Candidate,
    plan_assignments,
    roles_able_to_take,
)
from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.arrivals import LOADS, ArrivalSettings, build_trace
from callrouter.simulation.bound import offline_bounds
from callrouter.simulation.cli import DEFAULT_START
from callrouter.simulation.engine import run
from callrouter.simulation.metrics import score
from callrouter.simulation.model import CallbackRequest
from callrouter.simulation.runner import load_named_rota
from callrouter.simulation.strategies import EarliestDeadlineFirst

LAST_HOUR = timedelta(hours=1)
SOCIAL_WORK_ROLES = roles_able_to_take(
    Role.SOCIAL_WORKER, PRODUCTION_RULES.stand_ins, PRODUCTION_RULES.out_of_hours_cover
)


class HoldingBack(EarliestDeadlineFirst):
    """Production, except that some people take only urgent call-backs (s47, or due soon)."""

    def __init__(self, name: str, horizon: timedelta) -> None:
        super().__init__(name, **PRODUCTION_RULES.planning_options())
        self.horizon = horizon

    def held_back(self, people: Sequence[Candidate], now: datetime) -> set[str]:
        raise NotImplementedError

    def assign(
        self, pool: Sequence[CallbackRequest], people: Sequence[Candidate], now: datetime
    ) -> list[tuple[str, str]]:
        def urgent(request: CallbackRequest) -> bool:
            return request.level == Level.S47 or request.due_at <= now + self.horizon

        first = plan_assignments(
            [r.as_open_task() for r in pool if urgent(r)], people, now, **self.planning
        )
        given = {a.staff_id: 0 for a in first}
        for assignment in first:
            given[assignment.staff_id] += 1
        after_urgent = [
            replace(
                p,
                open_task_count=p.open_task_count + given.get(p.id, 0),
                taken_this_shift=p.taken_this_shift + given.get(p.id, 0),
            )
            for p in people
        ]
        kept = self.held_back(after_urgent, now)
        rest = plan_assignments(
            [r.as_open_task() for r in pool if not urgent(r)],
            [p for p in after_urgent if p.id not in kept],
            now,
            **self.planning,
        )
        return [(a.task_id, a.staff_id) for a in first + rest]


class ReserveLastHour(HoldingBack):
    def held_back(self, people: Sequence[Candidate], now: datetime) -> set[str]:
        return {
            p.id
            for p in people
            if p.role in SOCIAL_WORK_ROLES and p.shift_ends_at <= now + LAST_HOUR
        }


class KeepOneFree(HoldingBack):
    def held_back(self, people: Sequence[Candidate], now: datetime) -> set[str]:
        free = [p.id for p in people if p.role in SOCIAL_WORK_ROLES and p.open_task_count == 0]
        return set(free) if len(free) <= 1 else set()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--horizon", type=float, default=16.0, help="hours; see above")
    parser.add_argument("--rota", default="duty_desk")
    args = parser.parse_args(argv)
    horizon = timedelta(hours=args.horizon)
    name, rota = load_named_rota(args.rota)
    print(f"### Holding social workers back for s47: {name}, horizon {args.horizon:g} h\n")
    print(
        "| load | strategy | s47 misses | traces with s47 misses the optimum avoids "
        "| weighted misses | median ratio to bound (overloaded) | worst ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for load_name, load in LOADS.items():
        strategies = [
            lambda: EarliestDeadlineFirst("edf", **PRODUCTION_RULES.planning_options()),
            lambda: ReserveLastHour("reserve_last_hour", horizon),
            lambda: KeepOneFree("keep_one_free", horizon),
        ]
        rows: dict[str, list] = {}
        for seed in range(1, args.seeds + 1):
            trace = build_trace(
                rota,
                rota_name=name,
                seed=seed,
                starts_on=DEFAULT_START,
                settings=ArrivalSettings(load=load),
            )
            bounds = offline_bounds(trace)
            for make in strategies:
                result = score(run(trace, make()))
                rows.setdefault(result.strategy, []).append((result, bounds))
        for strategy, runs in rows.items():
            s47 = sum(r.level(Level.S47).missed for r, _ in runs)
            gaps = sum(1 for r, b in runs if r.level(Level.S47).missed > b.s47_misses)
            ratios = [
                r.weighted_misses / b.weighted_misses for r, b in runs if b.weighted_misses >= 1
            ]
            median = f"{statistics.median(ratios):.2f}" if ratios else "n/a"
            worst = f"{max(ratios):.2f}" if ratios else "n/a"
            print(
                f"| {load_name} | {strategy} | {s47} | {gaps} of {len(runs)} "
                f"| {sum(r.weighted_misses for r, _ in runs)} | {median} | {worst} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

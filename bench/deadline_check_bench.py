"""Time the minute's deadline check through the database: 1,000 open call-backs, 20 staff.

Run as `python bench/deadline_check_bench.py` (a fresh SQLite file) or with
`--database-url postgresql://postgres@127.0.0.1:5432/test` (its public schema is emptied).
The sweep runs `check_deadlines` over every open call-back each minute. None of these is at
its warning time yet, so each is also read against a week of the rota's shifts to see whether
cover runs out before its deadline (`escalation._cover_ends`): the steady state, where the
check raises nothing and costs the most.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import UTC, datetime, timedelta

from allocator_db_bench import ROLES, fresh_database  # run from bench/, as its sibling is

from callrouter.db.models import Contact, Shift, Staff, Task
from callrouter.services.escalation import check_deadlines
from callrouter.services.unit_of_work import NoDispatcher, UnitOfWork

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    engine, sessions = fresh_database(args.database_url)
    _populate(sessions, args.tasks)
    gc.collect()
    gc.freeze()  # as `callrouter worker` does once started
    timings, raised = [], 0
    for _ in range(args.rounds):
        with UnitOfWork(sessions, NoDispatcher()) as uow:
            started = time.perf_counter()
            raised += len(check_deadlines(uow, NOW))
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"{engine.dialect.name}: {args.tasks} open call-backs, none warned yet, {len(ROLES)} "
        f"staff with a week of shifts, {args.rounds} checks ({raised} escalations raised); "
        f"wall p50 {statistics.median(timings):.1f} ms, "
        f"p99 {timings[int(len(timings) * 0.99) - 1]:.1f} ms, max {timings[-1]:.1f} ms"
    )
    engine.dispose()
    return 0


def _populate(sessions, task_count: int) -> None:
    """Weekday shifts 08:00-18:00 for a week; a third s47 (due within the hour), the rest
    level 2 advice (due in 48 hours), all received in the last few minutes."""
    with sessions() as session:
        for number, role in enumerate(ROLES):
            staff = Staff(
                ref=f"bench-{number}",
                name=f"Bench {number}",
                role=role,
                team="mash",
                skills="",
                availability="available",
            )
            session.add(staff)
            session.flush()
            for day in range(7):
                starts = datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(days=day)
                if starts.weekday() < 5:
                    session.add(
                        Shift(
                            staff_id=staff.id,
                            starts_at=starts,
                            ends_at=starts + timedelta(hours=10),
                        )
                    )
        for number in range(task_count):
            created = NOW - timedelta(minutes=number % 20)
            level, role, due = (
                ("s47", "social_worker", timedelta(hours=1))
                if number % 3 == 0
                else ("level2", "early_help_worker", timedelta(hours=48))
            )
            contact = Contact(
                reference=f"B{number:05d}",
                flow_name="default",
                channel="phone",
                answers={},
                created_at=created,
                updated_at=created,
            )
            session.add(
                Task(
                    contact=contact,
                    role=role,
                    level=level,
                    due_at=created + due,
                    status="unallocated",
                    created_at=created,
                )
            )
        session.commit()


if __name__ == "__main__":
    raise SystemExit(main())

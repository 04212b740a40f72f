"""Time one production allocation decision through the database: 1,000 open tasks, 20 staff.

Run as `python bench/allocator_db_bench.py` (a fresh SQLite file) or with
`--database-url postgresql://postgres@127.0.0.1:5432/test` (its public schema is emptied).
Each round runs `allocate_pending` (lock row, read tasks and staff, plan, conditional claims,
commit), then puts the claimed tasks back untimed, so every round decides over 1,000 tasks.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text, update

from callrouter.config import Settings
from callrouter.db.migrate import upgrade
from callrouter.db.models import Contact, Shift, Staff, Task
from callrouter.db.session import make_engine, make_session_factory
from callrouter.services.allocation import allocate_pending
from callrouter.services.unit_of_work import NoDispatcher, UnitOfWork

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ROLES = (
    ["social_worker"] * 6
    + ["senior_social_worker"] * 2
    + ["practice_manager"] * 2
    + ["early_help_worker"] * 6
    + ["early_help_officer"] * 4
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="closed call-backs from earlier months already in the table",
    )
    args = parser.parse_args()
    engine, sessions = fresh_database(args.database_url)
    _populate(sessions, args.tasks)
    _add_history(engine, args.history)
    gc.collect()
    gc.freeze()  # as `callrouter worker` does once started
    timings, cpu = [], []
    for _ in range(args.rounds):
        with UnitOfWork(sessions, NoDispatcher()) as uow:
            started, started_cpu = time.perf_counter(), time.process_time()
            made = allocate_pending(uow, NOW)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        with sessions() as session:
            session.execute(
                update(Task)
                .where(Task.id.in_([int(a.task_id) for a in made]))
                .values(status="unallocated", assignee_id=None, allocated_at=None)
            )
            session.commit()
    timings.sort()
    cpu.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"{engine.dialect.name}: {args.tasks} open tasks, {args.history} closed ones, "
        f"{len(ROLES)} staff, "
        f"{args.rounds} decisions; wall p50 {statistics.median(timings):.1f} ms, "
        f"p99 {p99:.1f} ms, max {timings[-1]:.1f} ms; this process's CPU p50 "
        f"{statistics.median(cpu):.1f} ms, p99 {cpu[int(len(cpu) * 0.99) - 1]:.1f} ms "
        f"(target p99 < 50 ms)"
    )
    engine.dispose()
    return 0


def fresh_database(database_url: str | None):
    """Return an engine and sessions on an empty, migrated database: a new SQLite file, or the
    given one with its public schema emptied."""
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    url = Settings.from_env(
        {"DATABASE_URL": url, "CALLROUTER_DATA_DIR": tempfile.mkdtemp()}
    ).database_url
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(url)
    return engine, make_session_factory(engine)


def _populate(sessions, task_count: int) -> None:
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
            session.add(
                Shift(
                    staff_id=staff.id,
                    starts_at=NOW - timedelta(hours=2),
                    ends_at=NOW + timedelta(hours=6),
                )
            )
        for number in range(task_count):
            created = NOW - timedelta(minutes=number % 600)
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


def _add_history(engine, count: int) -> None:
    """Insert closed call-backs from the past year, each held by one of the bench staff."""
    if not count:
        return
    with engine.begin() as connection:
        staff_ids = [row[0] for row in connection.execute(text("SELECT id FROM staff"))]
        contact_id = connection.execute(text("SELECT min(id) FROM contacts")).scalar_one()
        rows = []
        for number in range(count):
            allocated = NOW - timedelta(days=2, minutes=number * 5)
            rows.append(
                {
                    "contact_id": contact_id,
                    "kind": "callback",
                    "role": "social_worker",
                    "level": "s47",
                    "due_at": allocated + timedelta(minutes=30),
                    "status": "completed",
                    "assignee_id": staff_ids[number % len(staff_ids)],
                    "created_at": allocated - timedelta(minutes=5),
                    "allocated_at": allocated,
                    "attempt_count": 1,
                    "closed_at": allocated + timedelta(minutes=20),
                }
            )
        connection.execute(Task.__table__.insert(), rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""One of several processes allocating and completing call-backs at the same time."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, select, update

from callrouter.db.models import Task
from callrouter.db.session import make_engine, make_session_factory
from callrouter.services.allocation import AllocationRules, allocate_pending
from callrouter.services.unit_of_work import NoDispatcher, UnitOfWork


def allocate_and_complete(
    database_url: str, now_iso: str, rounds: int, cap: int, seed: int, start
) -> tuple[list[tuple[int, int]], list[int], int]:
    """Allocate, then finish one held task, `rounds` times.

    Return the claims made, the tasks completed, and the most tasks anyone was seen holding.
    """
    now = datetime.fromisoformat(now_iso)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    rules = AllocationRules(capacity_per_person=cap)
    shuffle = random.Random(seed)
    claims: list[tuple[int, int]] = []
    completed: list[int] = []
    most_held = 0
    start.wait()
    try:
        for _ in range(rounds):
            with UnitOfWork(sessions, NoDispatcher()) as uow:
                made = allocate_pending(uow, now, rules)
            claims += [(int(a.task_id), int(a.staff_id)) for a in made]
            with sessions() as session:
                loads = session.scalars(
                    select(func.count())
                    .where(Task.status == "allocated")
                    .group_by(Task.assignee_id)
                ).all()
                most_held = max([most_held, *loads])
            mine = [task_id for task_id, _ in claims if task_id not in completed]
            if mine:
                task_id = shuffle.choice(mine)
                with UnitOfWork(sessions, NoDispatcher()) as uow:
                    done = uow.session.execute(
                        update(Task)
                        .where(Task.id == task_id, Task.status == "allocated")
                        .values(status="completed", closed_at=now)
                    ).rowcount
                    uow.commit()
                if done:
                    completed.append(task_id)
    finally:
        engine.dispose()
    return claims, completed, most_held

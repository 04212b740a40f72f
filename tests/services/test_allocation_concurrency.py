"""Racing on PostgreSQL: several allocators at once (no task given twice, no one over the cap),
and a release racing a completion (a closed call-back never reopened).

SQLite serialises every writer, so only PostgreSQL can show this; the test is skipped without it.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import TaskReallocation, User
from callrouter.db.models import Task
from callrouter.services import allocation, tasks
from callrouter.services.unit_of_work import NoDispatcher
from tests.conftest import TEST_DATABASE_URL
from tests.services.factories import create_staff, create_task
from tests.support.allocation_race import allocate_and_complete

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="concurrency needs PostgreSQL (CALLROUTER_TEST_DATABASE_URL)"
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PROCESSES = 6
ROUNDS = 25
CAP = 2
STAFF = 2
TASKS = 120


def test_concurrent_allocators_never_give_a_task_twice_or_anyone_more_than_the_cap(
    runtime, settings
):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        for number in range(STAFF):
            create_staff(uow, f"sw-{number}", "social_worker", starts=NOW - timedelta(hours=1))
        for number in range(TASKS):
            create_task(uow, created=NOW - timedelta(minutes=number))
        uow.commit()

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        start = manager.Barrier(PROCESSES)  # all allocators begin together
        results = pool.starmap(
            allocate_and_complete,
            [
                (settings.database_url, NOW.isoformat(), ROUNDS, CAP, seed, start)
                for seed in range(PROCESSES)
            ],
        )

    claims = [claim for process_claims, _, _ in results for claim in process_claims]
    completions = [task_id for _, done, _ in results for task_id in done]
    assert max(most for _, _, most in results) <= CAP, "someone was seen holding over the cap"
    claimed_tasks = Counter(task_id for task_id, _ in claims)
    assert claimed_tasks and max(claimed_tasks.values()) == 1, "a task was allocated twice"
    assert len(completions) == len(set(completions))
    assert len(claims) > STAFF * CAP, "the processes should have raced for freed places"

    with runtime.session_factory() as session:
        held = Counter(
            dict(
                session.execute(
                    select(Task.assignee_id, func.count())
                    .where(Task.status == "allocated")
                    .group_by(Task.assignee_id)
                ).all()
            )
        )
        assert max(held.values(), default=0) <= CAP
        owners = dict(session.execute(select(Task.id, Task.assignee_id)).all())
    for task_id, staff_id in claims:
        assert owners[task_id] == staff_id


def test_a_call_back_completed_while_its_holder_is_released_stays_completed(runtime, monkeypatch):
    # The release reads who holds what, then writes; a holder completing the call-back in
    # between (the console takes no allocator lock) must not have it reopened.
    with runtime.unit_of_work(NoDispatcher()) as uow:
        gone = create_staff(
            uow, "sw-gone", "social_worker", starts=NOW - timedelta(hours=8), hours=7.5
        )
        task_id = create_task(
            uow, created=NOW - timedelta(minutes=40), status="allocated", assignee=gone
        ).id
        uow.commit()
    read_staff = allocation.everyone_as_candidates

    def completed_meanwhile(uow, now, **options):
        with runtime.session_factory() as other:
            other.get(Task, task_id).status = "completed"
            other.commit()
        return read_staff(uow, now, **options)

    monkeypatch.setattr(allocation, "everyone_as_candidates", completed_meanwhile)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocation.release_unreachable_holders(uow, NOW) == []

    with runtime.session_factory() as session:
        assert session.get(Task, task_id).status == "completed"
        assert session.scalars(select(TaskReallocation)).all() == []


@pytest.mark.parametrize("meanwhile", ["cancelled", "re-allocated"])
def test_a_call_back_a_manager_changed_while_the_allocator_planned_keeps_the_change(
    runtime, monkeypatch, meanwhile
):
    # The allocator reads the pool and plans, then claims; a manager cancelling the call-back
    # or giving it to someone by name in between (neither takes the allocator lock) must not
    # be overwritten: the claim is conditional on the task still being unallocated.
    with runtime.unit_of_work(NoDispatcher()) as uow:
        free = create_staff(uow, "sw-free", "social_worker", starts=NOW - timedelta(hours=1))
        chosen = create_staff(uow, "sw-chosen", "social_worker", starts=NOW - timedelta(hours=1))
        manager = User(
            email="pm@council.example",
            name="Pat Manager",
            role="practice_manager",
            password_hash="-",
            created_at=NOW,
        )
        uow.session.add(manager)
        task_id = create_task(uow, created=NOW - timedelta(minutes=5)).id
        uow.commit()
        free_id, chosen_id, manager_id = free.id, chosen.id, manager.id
    read_staff = allocation.on_duty_candidates

    def changed_meanwhile(uow, now):
        with runtime.unit_of_work(NoDispatcher()) as other:
            task, user = other.session.get(Task, task_id), other.session.get(User, manager_id)
            if meanwhile == "cancelled":
                tasks.cancel(other, task, user, "The caller rang back: resolved", now)
            else:
                tasks.reallocate(other, task, user, chosen_id, "Knows the family", now)
        return read_staff(uow, now)

    monkeypatch.setattr(allocation, "on_duty_candidates", changed_meanwhile)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocation.allocate_pending(uow, NOW) == []

    with runtime.session_factory() as session:
        task = session.get(Task, task_id)
        assert (task.status, task.assignee_id) == (
            ("cancelled", None) if meanwhile == "cancelled" else ("allocated", chosen_id)
        )
        assert task.assignee_id != free_id

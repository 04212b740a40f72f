"""Taking a waiting call-back for oneself, in turn with the allocator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import TaskReallocation, User
from callrouter.db.models import Task
from callrouter.services import accounts, allocation, tasks
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff, create_task

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def _evening(runtime):
    """An EDT social worker on shift, a front-door one too, and one covered s47 waiting."""
    with runtime.unit_of_work(NoDispatcher()) as uow:
        edt = create_staff(uow, "ed-1", "edt_social_worker", starts=NOW - timedelta(hours=2))
        front = create_staff(uow, "sw-1", "social_worker", starts=NOW - timedelta(hours=2))
        task = create_task(uow, created=NOW, due_in=timedelta(hours=2), out_of_hours_cover=True)
        user = accounts.create_user(
            uow.session,
            "ed1@council.example",
            "x" * 20,
            "Eve",
            "social_worker",
            NOW,
            staff_ref="ed-1",
        )
        uow.commit()
        return edt.id, front.id, task.id, user.id


def test_the_person_who_takes_it_holds_it_and_the_allocator_leaves_it(runtime):
    edt_id, _, task_id, user_id = _evening(runtime)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        tasks.take(uow, task, uow.session.get(User, user_id), NOW)
        assert (task.status, task.assignee_id, task.allocated_at) == ("allocated", edt_id, NOW)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocation.allocate_pending(uow, NOW + timedelta(minutes=1)) == []
        assert uow.session.get(Task, task_id).assignee_id == edt_id


def test_a_call_back_given_out_a_moment_before_is_not_taken_again(runtime):
    _, front_id, task_id, user_id = _evening(runtime)
    with runtime.unit_of_work(NoDispatcher()) as mine:
        task = mine.session.get(Task, task_id)  # read while still waiting
        with runtime.unit_of_work(NoDispatcher()) as allocator:
            allocator.session.get(Task, task_id).status = "allocated"
            allocator.session.get(Task, task_id).assignee_id = front_id
            allocator.commit()
        with pytest.raises(tasks.TaskError, match="given to someone else a moment ago"):
            tasks.take(mine, task, mine.session.get(User, user_id), NOW)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert uow.session.get(Task, task_id).assignee_id == front_id
        assert uow.session.scalar(select(func.count()).select_from(TaskReallocation)) == 0

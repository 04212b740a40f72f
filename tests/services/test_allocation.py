"""The first allocator: an on-shift person of the right role with the fewest open tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callrouter.db.models import Contact, Shift, Staff, Task
from callrouter.services.allocation import allocate_task
from callrouter.services.unit_of_work import NoDispatcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def create_staff(uow, ref, role, on_shift=True, availability="available") -> Staff:
    staff = Staff(ref=ref, name=f"{ref} (test)", role=role, team="mash", skills="",
                  availability=availability)
    uow.session.add(staff)
    uow.session.flush()
    start = NOW - timedelta(hours=1) if on_shift else NOW + timedelta(hours=3)
    uow.session.add(Shift(staff_id=staff.id, starts_at=start, ends_at=start + timedelta(hours=8)))
    return staff


def create_task(uow, role="social_worker", status="unallocated", assignee=None) -> Task:
    contact = Contact(reference=f"R{datetime.now().microsecond:06d}"[:7], flow_name="default",
                      channel="phone", answers={}, created_at=NOW, updated_at=NOW)
    task = Task(contact=contact, role=role, level="s47", due_at=NOW + timedelta(hours=1),
                status=status, assignee=assignee, created_at=NOW)
    uow.session.add(task)
    uow.session.flush()
    return task


def test_a_task_goes_to_the_eligible_person_with_fewest_open_tasks(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        busy = create_staff(uow, "sw-busy", "social_worker")
        free = create_staff(uow, "sw-free", "senior_social_worker")
        create_staff(uow, "eh", "early_help_officer")
        create_staff(uow, "sw-off", "social_worker", on_shift=False)
        create_staff(uow, "sw-away", "social_worker", availability="away")
        create_task(uow, status="allocated", assignee=busy)
        task = create_task(uow)
        uow.commit()
        task_id, free_id = task.id, free.id

    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocate_task(uow, task_id, NOW) == free_id
    with runtime.unit_of_work(NoDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        assert (task.status, task.assignee_id, task.allocated_at) == ("allocated", free_id, NOW)


def test_with_nobody_eligible_on_shift_the_task_waits_unallocated_and_visible(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, "eh", "early_help_worker")
        create_staff(uow, "sw-later", "social_worker", on_shift=False)
        task_id = create_task(uow).id
        uow.commit()

    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocate_task(uow, task_id, NOW) is None
        assert uow.session.scalar(select(Task.status).where(Task.id == task_id)) == "unallocated"


def test_allocating_an_allocated_task_again_changes_nothing(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        first = create_staff(uow, "sw-1", "social_worker")
        create_staff(uow, "sw-2", "social_worker")
        task_id = create_task(uow).id
        uow.commit()
        first_id = first.id

    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocate_task(uow, task_id, NOW) == first_id
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert allocate_task(uow, task_id, NOW) == first_id

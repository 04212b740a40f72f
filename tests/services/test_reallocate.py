"""A practice manager re-allocating a call-back by name: only to someone who can make it now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import TaskReallocation, User
from callrouter.db.models import Shift, Staff, Task
from callrouter.services import allocation, dialling, tasks
from callrouter.services.tasks import TaskError
from tests.services.factories import RecordingDispatcher
from tests.services.test_attempts import NOW, make_task


@pytest.fixture(autouse=True)
def holder_on_shift(runtime, people):
    """Sam Worker, who holds each call-back made here, is at work."""
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        uow.session.add(
            Shift(
                staff_id=people["worker"],
                starts_at=NOW - timedelta(hours=1),
                ends_at=NOW + timedelta(hours=7),
            )
        )
        uow.commit()


def add_staff(
    runtime, ref: str, role: str = "social_worker", *, on_shift: bool = True, skills: str = ""
) -> int:
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        staff = Staff(
            ref=ref,
            name=f"{ref} name",
            role=role,
            team="mash",
            skills=skills,
            availability="available",
        )
        uow.session.add(staff)
        uow.session.flush()
        if on_shift:
            uow.session.add(
                Shift(
                    staff_id=staff.id,
                    starts_at=NOW - timedelta(hours=1),
                    ends_at=NOW + timedelta(hours=7),
                )
            )
        uow.commit()
        return staff.id


def mark(runtime, staff_id: int, availability: str) -> None:
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        allocation.set_availability(uow, staff_id, availability, NOW - timedelta(minutes=5))


def reallocate(runtime, people, task_id: int, staff_id: int, at=NOW) -> None:
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        tasks.reallocate(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            staff_id,
            "Sam is in court",
            at,
        )


def holder(db, task_id: int) -> tuple[str, int | None]:
    db.expire_all()
    task = db.get(Task, task_id)
    return task.status, task.assignee_id


def moves(db) -> int:
    return db.scalar(select(func.count()).select_from(TaskReallocation))


def test_a_call_back_is_not_re_allocated_to_someone_off_shift(runtime, people, db):
    # Accepted, it went straight back to the queue at the next sweep ("the holder signed
    # off"): the manager's choice undone without a word to the manager.
    task_id = make_task(runtime, people)
    gone = add_staff(runtime, "sw-gone", on_shift=False)
    with pytest.raises(TaskError, match="sw-gone name is not on shift now"):
        reallocate(runtime, people, task_id, gone)
    assert holder(db, task_id) == ("allocated", people["worker"])
    assert moves(db) == 0


@pytest.mark.parametrize(
    "availability, words", [("away", "is marked away"), ("off", "is signed off for today")]
)
def test_a_call_back_is_not_re_allocated_to_someone_away_or_off_sick(
    runtime, people, db, availability, words
):
    task_id = make_task(runtime, people)
    other = add_staff(runtime, "sw-2")
    mark(runtime, other, availability)
    with pytest.raises(TaskError, match=f"sw-2 name {words}"):
        reallocate(runtime, people, task_id, other)
    assert holder(db, task_id) == ("allocated", people["worker"])
    assert moves(db) == 0


def test_someone_on_a_call_may_be_given_another_call_back(runtime, people, db):
    task_id = make_task(runtime, people)
    other = add_staff(runtime, "sw-2")
    mark(runtime, other, "busy")
    reallocate(runtime, people, task_id, other)
    assert holder(db, task_id) == ("allocated", other)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:  # and it stays with them
        assert allocation.release_unreachable_holders(uow, NOW + timedelta(minutes=1)) == []
    assert holder(db, task_id) == ("allocated", other)


def test_a_call_back_needing_a_skill_is_re_allocated_only_to_someone_with_it(runtime, people, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        uow.session.get(Task, task_id).skill = "domestic_abuse"
        uow.commit()
    untrained = add_staff(runtime, "sw-2")
    trained = add_staff(runtime, "sw-da", skills="domestic_abuse")
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        assert {s.id for s in tasks.eligible_staff(uow.session, task)} >= {trained}
        assert untrained not in {s.id for s in tasks.eligible_staff(uow.session, task)}
    with pytest.raises(TaskError, match="Choose someone who can take this call-back"):
        reallocate(runtime, people, task_id, untrained)
    assert holder(db, task_id) == ("allocated", people["worker"])
    reallocate(runtime, people, task_id, trained)
    assert holder(db, task_id) == ("allocated", trained)


def test_a_call_back_is_not_re_allocated_while_its_holder_is_on_the_phone_to_the_caller(
    runtime, people, db
):
    # Moved mid-call, the holder could not record how the call went, and the new holder
    # would ring the caller again.
    task_id = make_task(runtime, people)
    other = add_staff(runtime, "sw-2")
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        dialling.start_dialling(uow, uow.session.get(Task, task_id), people["worker"], NOW)
    with pytest.raises(TaskError, match="Sam Worker started calling this caller"):
        reallocate(runtime, people, task_id, other, at=NOW + timedelta(minutes=2))
    assert holder(db, task_id) == ("allocated", people["worker"])
    assert moves(db) == 0
    # Once the call is recorded, it may be moved.
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        tasks.record_attempt(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["social_worker"]),
            "no_answer",
            "",
            NOW + timedelta(minutes=3),
            flows=runtime.flows,
        )
    reallocate(runtime, people, task_id, other, at=NOW + timedelta(minutes=4))
    assert holder(db, task_id) == ("allocated", other)

"""Two requests acting on one call-back: only the first change made counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import TaskAttempt, TaskReallocation, User
from callrouter.db.models import DialLock, Message, Staff, Task
from callrouter.services import dialling, tasks
from callrouter.services.tasks import TaskError
from tests.services.factories import RecordingDispatcher
from tests.services.test_attempts import NOW, make_task


def count(db, model, **where) -> int:
    return db.scalar(select(func.count()).select_from(model).filter_by(**where))


def reached(runtime, people, task_id) -> None:
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        tasks.record_attempt(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["social_worker"]),
            "reached",
            "",
            NOW,
            flows=runtime.flows,
        )


def test_two_last_no_answers_sent_at_once_text_the_caller_once(runtime, people, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        task.attempt_count = task.unanswered_tries = 2
        uow.commit()
    at = NOW + timedelta(minutes=40)
    # Both requests read the task, with two attempts made, before either writes.
    with (
        runtime.unit_of_work(RecordingDispatcher()) as first,
        runtime.unit_of_work(RecordingDispatcher()) as second,
    ):
        task_one = first.session.get(Task, task_id)
        task_two = second.session.get(Task, task_id)
        worker_one = first.session.get(User, people["social_worker"])
        worker_two = second.session.get(User, people["social_worker"])
        tasks.record_attempt(first, task_one, worker_one, "no_answer", "", at, flows=runtime.flows)
        with pytest.raises(TaskError, match="Someone else changed this call-back"):
            tasks.record_attempt(
                second, task_two, worker_two, "no_answer", "", at, flows=runtime.flows
            )
    db.expire_all()
    task = db.get(Task, task_id)
    assert (task.status, task.attempt_count) == ("unable_to_contact", 3)
    assert count(db, TaskAttempt, task_id=task_id) == 1
    assert count(db, Message, purpose="missed_callback") == 1
    assert count(db, Task, kind="review") == 1


def test_a_hand_back_read_before_the_call_back_was_completed_does_not_reopen_it(
    runtime, people, db
):
    task_id = make_task(runtime, people)
    reached(runtime, people, task_id)
    with (
        runtime.unit_of_work(RecordingDispatcher()) as late,
        runtime.unit_of_work(RecordingDispatcher()) as done,
    ):
        stale = late.session.get(Task, task_id)
        tasks.complete(
            done,
            done.session.get(Task, task_id),
            done.session.get(User, people["social_worker"]),
            NOW,
        )
        with pytest.raises(TaskError, match="Someone else changed this call-back"):
            tasks.hand_back(
                late, stale, late.session.get(User, people["social_worker"]), "Going home", NOW
            )
    db.expire_all()
    assert db.get(Task, task_id).status == "completed"
    assert count(db, TaskReallocation, task_id=task_id) == 0


def test_the_same_attempt_form_sent_twice_is_one_attempt(runtime, people, db):
    task_id = make_task(runtime, people)
    for _ in range(2):
        with runtime.unit_of_work(RecordingDispatcher()) as uow:
            try:
                tasks.record_attempt(
                    uow,
                    uow.session.get(Task, task_id),
                    uow.session.get(User, people["social_worker"]),
                    "no_answer",
                    "",
                    NOW,
                    flows=runtime.flows,
                    attempts_seen=0,
                )
            except TaskError as error:
                assert "already recorded" in str(error)
    assert db.get(Task, task_id).attempt_count == 1
    assert count(db, TaskAttempt, task_id=task_id) == 1


@pytest.mark.parametrize("action", ["attempt", "complete", "hand_back"])
def test_only_the_holder_or_a_manager_works_a_call_back(runtime, people, db, action):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        colleague = User(
            email="alex@council.example",
            name="Alex Other",
            role="social_worker",
            password_hash="-",
            staff_ref=None,
            created_at=NOW,
        )
        uow.session.add(colleague)
        uow.commit()
        colleague_id = colleague.id
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        task, user = uow.session.get(Task, task_id), uow.session.get(User, colleague_id)
        with pytest.raises(TaskError, match="Only Sam Worker, who holds this call-back"):
            {
                "attempt": lambda: tasks.record_attempt(
                    uow, task, user, "no_answer", "", NOW, flows=runtime.flows
                ),
                "complete": lambda: tasks.complete(uow, task, user, NOW),
                "hand_back": lambda: tasks.hand_back(uow, task, user, "Busy", NOW),
            }[action]()
    db.expire_all()
    task = db.get(Task, task_id)
    assert (task.status, task.attempt_count or 0) == ("allocated", 0)
    # A practice manager may.
    reached(runtime, people, task_id)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            NOW,
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "completed"


def test_the_holder_cannot_let_go_of_a_managers_live_call_to_the_caller(runtime, people, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        dialling.start_dialling(uow, uow.session.get(Task, task_id), people["worker"], NOW)
    # The holder's page was shut mid-call; 20 minutes on, the manager takes the number over.
    later = NOW + timedelta(minutes=20)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        manager = uow.session.scalar(select(Staff.id).where(Staff.ref == "pm1"))
        dialling.start_dialling(uow, uow.session.get(Task, task_id), manager, later)
    with (
        runtime.unit_of_work(RecordingDispatcher()) as uow,
        pytest.raises(dialling.AlreadyDialling, match="Pat Manager started calling"),
    ):
        tasks.record_attempt(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["social_worker"]),
            "no_answer",
            "",
            later + timedelta(minutes=1),
            flows=runtime.flows,
        )
    db.expire_all()
    assert db.scalar(select(DialLock.staff_id)) == manager
    assert db.get(Task, task_id).attempt_count in (None, 0)


def test_a_call_back_is_not_cancelled_under_someone_on_a_call_to_the_caller(runtime, people, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        dialling.start_dialling(uow, uow.session.get(Task, task_id), people["worker"], NOW)
    with (
        runtime.unit_of_work(RecordingDispatcher()) as uow,
        pytest.raises(dialling.AlreadyDialling, match="Sam Worker started calling"),
    ):
        tasks.cancel(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            "Caller rang back",
            NOW + timedelta(minutes=2),
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "allocated"
    assert db.scalar(select(DialLock.staff_id)) == people["worker"]
    # Once the call is recorded (or the lock lapses), the manager may cancel.
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
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        tasks.cancel(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            "Caller rang back",
            NOW + timedelta(minutes=4),
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "cancelled"

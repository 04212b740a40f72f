"""Dial locks: never two people ringing the same caller at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callrouter.db.console_models import AuditEvent, User
from callrouter.db.models import Contact, DialLock, Staff, Task
from callrouter.services import dialling, tasks
from callrouter.services.dialling import AlreadyDialling, start_dialling, stop_dialling
from callrouter.services.tasks import TaskError
from callrouter.services.unit_of_work import NoDispatcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CALLER = "+447400123456"


def add_staff(runtime, *names: str) -> list[int]:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        people = [
            Staff(ref=f"sw{i}", name=name, role="social_worker", team="mash")
            for i, name in enumerate(names)
        ]
        uow.session.add_all(people)
        uow.commit()
        return [p.id for p in people]


def add_task(
    runtime, number=CALLER, reference="ACD347", status="allocated", assignee: int | None = None
) -> int:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        contact = Contact(
            reference=reference,
            flow_name="default",
            channel="phone",
            answers={"level": "s47", "callback_number": number},
            created_at=NOW,
            updated_at=NOW,
        )
        task = Task(
            contact=contact,
            role="social_worker",
            level="s47",
            callback_number=number,
            due_at=NOW + timedelta(hours=1),
            status=status,
            created_at=NOW,
            assignee_id=assignee,
        )
        uow.session.add(task)
        uow.commit()
        return task.id


def dial(runtime, task_id: int, staff_id: int, at: datetime = NOW) -> DialLock:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return start_dialling(uow, uow.session.get(Task, task_id), staff_id, at)


def test_starting_a_call_takes_the_number_and_a_colleague_is_told_who_is_ringing(runtime, db):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)

    lock = dial(runtime, task_id, sam)
    with pytest.raises(AlreadyDialling) as refused:
        dial(runtime, task_id, alex, NOW + timedelta(minutes=3))

    assert (lock.callback_number, lock.task_id, lock.staff_id, lock.since) == (
        CALLER,
        task_id,
        sam,
        NOW,
    )
    assert refused.value.holder_name == "Sam Worker"
    assert "Sam Worker started calling this caller at 10:00" in str(refused.value)
    assert [(row.staff_id, row.since) for row in db.scalars(select(DialLock))] == [(sam, NOW)]


def test_the_lock_is_on_the_caller_not_the_task(runtime):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    first = add_task(runtime, reference="FIRST1")
    second = add_task(runtime, reference="SECND2")  # the same caller phoned twice

    dial(runtime, first, sam)
    with pytest.raises(AlreadyDialling):
        dial(runtime, second, alex)
    dial(runtime, add_task(runtime, number="+447400999888", reference="OTHER3"), alex)


def test_starting_again_is_harmless_for_the_person_already_ringing(runtime, db):
    (sam,) = add_staff(runtime, "Sam Worker")
    task_id = add_task(runtime)

    dial(runtime, task_id, sam)
    again = dial(runtime, task_id, sam, NOW + timedelta(minutes=2))

    assert again.since == NOW + timedelta(minutes=2)
    assert len(db.scalars(select(DialLock)).all()) == 1


def test_a_lock_left_for_more_than_15_minutes_may_be_taken_over(runtime, db):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)
    dial(runtime, task_id, sam)

    with pytest.raises(AlreadyDialling):
        dial(runtime, task_id, alex, NOW + timedelta(minutes=15))
    lock = dial(runtime, task_id, alex, NOW + timedelta(minutes=16))

    assert (lock.staff_id, lock.since) == (alex, NOW + timedelta(minutes=16))
    taken = db.scalar(select(AuditEvent).where(AuditEvent.action == "dial_lock_taken_over"))
    assert taken.detail == {"from_staff": sam}


def test_a_lock_held_for_a_closed_call_back_does_not_stop_anyone(runtime):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    old = add_task(runtime, reference="OLDONE")
    dial(runtime, old, sam)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        uow.session.get(Task, old).status = "completed"  # closed elsewhere, lock left behind
        uow.commit()

    lock = dial(runtime, add_task(runtime, reference="NEWONE"), alex, NOW + timedelta(minutes=1))

    assert lock.staff_id == alex


def test_recording_an_attempt_lets_go_of_the_number(runtime, db):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime, assignee=sam)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        user = User(
            email="sam@council.example",
            name="Sam Worker",
            role="social_worker",
            password_hash="-",
            staff_ref="sw0",
            created_at=NOW,
        )
        uow.session.add(user)
        uow.commit()
        user_id = user.id
    dial(runtime, task_id, sam)

    with runtime.unit_of_work(NoDispatcher()) as uow:
        tasks.record_attempt(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, user_id),
            "no_answer",
            "",
            NOW + timedelta(minutes=2),
            flows=runtime.flows,
        )

    assert db.scalar(select(DialLock)) is None
    assert dial(runtime, task_id, alex, NOW + timedelta(minutes=3)).staff_id == alex


def test_stop_dialling_lets_go_only_of_this_tasks_lock(runtime, db):
    (sam,) = add_staff(runtime, "Sam Worker")
    mine = add_task(runtime, reference="MINE01")
    other = add_task(runtime, number="+447400999888", reference="OTHER1")
    dial(runtime, mine, sam)
    dial(runtime, other, sam)

    with runtime.unit_of_work(NoDispatcher()) as uow:
        stop_dialling(uow, uow.session.get(Task, mine))
        uow.commit()

    assert [lock.task_id for lock in db.scalars(select(DialLock))] == [other]


def test_a_closed_call_back_or_one_with_no_number_cannot_be_dialled(runtime):
    (sam,) = add_staff(runtime, "Sam Worker")
    with pytest.raises(TaskError, match="already closed"):
        dial(runtime, add_task(runtime, status="cancelled", reference="CANCL1"), sam)
    with pytest.raises(TaskError, match="no number"):
        dial(runtime, add_task(runtime, number=None, reference="NONUM1"), sam)


def test_a_racer_whose_insert_waits_on_an_uncommitted_lock_is_told_who_won(runtime):
    """Session A has written its lock but not committed; B looks, sees nothing, inserts, and
    must wait for A. When A commits, B's insert fails on the unique number and B is refused."""
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)
    outcome: dict[str, object] = {}

    with runtime.unit_of_work(NoDispatcher()) as first:
        first.session.add(
            DialLock(callback_number=CALLER, task_id=task_id, staff_id=sam, since=NOW)
        )
        first.session.flush()  # holds the row (and, on SQLite, the write lock) uncommitted

        def second_person() -> None:
            try:
                outcome["lock"] = dial(runtime, task_id, alex, NOW + timedelta(seconds=1))
            except Exception as error:  # noqa: BLE001 - reported to the test thread
                outcome["error"] = error

        racer = threading.Thread(target=second_person)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive(), "the second insert should be waiting for the first"
        first.commit()
        racer.join(timeout=30)

    assert "lock" not in outcome
    assert isinstance(outcome["error"], AlreadyDialling), outcome
    assert outcome["error"].holder_name == "Sam Worker"


def test_many_people_starting_the_same_call_at_once_get_one_lock(runtime, db):
    names = [f"Worker {n}" for n in range(4)]
    staff_ids = add_staff(runtime, *names)
    task_id = add_task(runtime)
    start = threading.Barrier(len(staff_ids))
    won: list[int] = []
    refused: list[str | None] = []
    errors: list[BaseException] = []

    def person(staff_id: int) -> None:
        start.wait()
        try:
            won.append(dial(runtime, task_id, staff_id).staff_id)
        except AlreadyDialling as error:
            refused.append(error.holder_name)
        except Exception as error:  # noqa: BLE001 - reported to the test thread
            errors.append(error)

    threads = [threading.Thread(target=person, args=(s,)) for s in staff_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(won) == 1 and len(refused) == len(staff_ids) - 1
    winner = db.get(Staff, won[0]).name
    assert set(refused) == {winner}
    assert [lock.staff_id for lock in db.scalars(select(DialLock))] == won


def test_a_lock_is_live_only_while_recent_and_its_task_open(runtime):
    (sam,) = add_staff(runtime, "Sam Worker")
    task_id = add_task(runtime)
    dial(runtime, task_id, sam)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        lock = dialling.current_lock(uow, CALLER)
        assert dialling.is_live(uow, lock, NOW + timedelta(minutes=15))
        assert not dialling.is_live(uow, lock, NOW + timedelta(minutes=16))
        assert not dialling.is_live(uow, None, NOW)


def keep(runtime, task_id: int, staff_id: int, at: datetime) -> bool:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return dialling.keep_dialling(uow, uow.session.get(Task, task_id), staff_id, at)


def test_a_long_call_kept_alive_by_its_page_is_not_taken_over(runtime, db):
    # An s47 call can run 25 minutes or more: while the holder's task page keeps the lock,
    # a colleague is still told not to ring, long after the 15 minutes a forgotten lock lasts.
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)
    dial(runtime, task_id, sam)
    for minutes in (5, 10, 15, 20):
        assert keep(runtime, task_id, sam, NOW + timedelta(minutes=minutes))

    with pytest.raises(AlreadyDialling) as refused:
        dial(runtime, task_id, alex, NOW + timedelta(minutes=30))
    assert "started calling this caller at 10:00" in str(refused.value)  # when it began

    # Once the page stops saying so, the lock lapses 15 minutes after it last did.
    lock = dial(runtime, task_id, alex, NOW + timedelta(minutes=36))
    assert lock.staff_id == alex


def test_only_the_holder_keeps_a_lock_alive(runtime, db):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)
    dial(runtime, task_id, sam)

    assert not keep(runtime, task_id, alex, NOW + timedelta(minutes=10))
    assert not keep(runtime, task_id, None, NOW + timedelta(minutes=10))
    lock = db.scalar(select(DialLock))
    assert lock.kept_at == NOW  # untouched by anyone else
    with runtime.unit_of_work(NoDispatcher()) as uow:
        uow.session.get(Task, task_id).status = "completed"
        uow.commit()
    assert not keep(runtime, task_id, sam, NOW + timedelta(minutes=10))


def test_a_page_left_open_holds_a_number_for_an_hour_at_most(runtime, db):
    sam, alex = add_staff(runtime, "Sam Worker", "Alex Other")
    task_id = add_task(runtime)
    dial(runtime, task_id, sam)
    for minutes in range(5, 65, 5):  # the tab says "still calling" all evening
        keep(runtime, task_id, sam, NOW + timedelta(minutes=minutes))

    with pytest.raises(AlreadyDialling):
        dial(runtime, task_id, alex, NOW + timedelta(minutes=59))
    assert dial(runtime, task_id, alex, NOW + timedelta(minutes=61)).staff_id == alex

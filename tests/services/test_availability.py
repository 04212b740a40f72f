"""Going away, signing off and being marked off sick: what the person holds goes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import AuditEvent, TaskReallocation, User
from callrouter.db.models import DialLock, Shift, Staff, Task
from callrouter.domain.allocation import ReleaseReason
from callrouter.services import accounts
from callrouter.services.allocation import RELEASE_WORDS
from callrouter.services.staff import AvailabilityError, change_availability
from tests.services.factories import create_staff, create_task

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
PASSWORD = "correct horse battery staple"


class RecordingDispatcher:
    """Keep the jobs asked for, after the commit, without running them."""

    def __init__(self):
        self.jobs = []

    def enqueue(self, job: str, *args: int, at=None) -> None:
        self.jobs.append((job, *args))


def _user(uow, role: str, email: str, staff_ref: str | None = None):
    user = accounts.create_user(
        uow.session, email, PASSWORD, "Test User", role, NOW, staff_ref=staff_ref
    )
    uow.session.flush()
    return user


def _team(runtime):
    """A social worker holding one call-back (and a colleague on shift), and their manager."""
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        worker = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        create_staff(uow, "pm-1", "practice_manager", starts=EARLIER)
        task = create_task(uow, created=NOW, status="allocated", assignee=worker)
        task.allocated_at = NOW
        worker_user = _user(uow, "social_worker", "sw1@council.example", staff_ref="sw-1")
        manager_user = _user(uow, "practice_manager", "pm1@council.example", staff_ref="pm-1")
        uow.commit()
        return worker.id, task.id, worker_user.id, manager_user.id


def _change(runtime, staff_id, availability, user_id, reason="", now=NOW):
    dispatcher = RecordingDispatcher()
    with runtime.unit_of_work(dispatcher) as uow:
        user = uow.session.get(User, user_id)
        released = change_availability(uow, staff_id, availability, user, reason, now)
    return released, dispatcher.jobs


def _events(runtime):
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        return [
            (e.user_id, e.detail)
            for e in uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "availability_changed")
                .order_by(AuditEvent.id)
            )
        ]


def _state(runtime, staff_id, task_id):
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        shift = uow.session.scalar(select(Shift).where(Shift.staff_id == staff_id))
        return (
            uow.session.get(Staff, staff_id).availability,
            task.status,
            task.assignee_id,
            shift.ends_at,
        )


def test_going_away_gives_back_what_is_held_and_is_audited_by_id(runtime):
    worker_id, task_id, worker_user_id, _ = _team(runtime)

    released, jobs = _change(runtime, worker_id, "away", worker_user_id)

    assert released == [task_id]
    assert ("allocate_task", task_id) in jobs  # given out again after the commit
    availability, status, assignee, shift_ends = _state(runtime, worker_id, task_id)
    assert (availability, status, assignee) == ("away", "unallocated", None)
    assert shift_ends == EARLIER + timedelta(hours=8)  # going away does not end the shift
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        [moved] = uow.session.scalars(select(TaskReallocation)).all()
        assert (moved.task_id, moved.from_staff_id, moved.to_staff_id, moved.user_id) == (
            task_id,
            worker_id,
            None,
            None,
        )
        assert moved.reason == RELEASE_WORDS[ReleaseReason.AWAY]
    [(user_id, detail)] = _events(runtime)
    assert user_id == worker_user_id
    assert detail == {
        "staff_id": worker_id,
        "availability": "away",
        "was": "available",
        "reason": None,
    }
    assert "sw-1" not in str(detail) and "test" not in str(detail)  # ids only, no names


def test_signing_off_gives_back_what_is_held_and_leaves_the_rota_alone(runtime):
    worker_id, task_id, worker_user_id, _ = _team(runtime)

    released, _ = _change(runtime, worker_id, "off", worker_user_id)

    assert released == [task_id]
    # The shift stands (a mistaken "off" is undone by marking them available again).
    assert _state(runtime, worker_id, task_id) == (
        "off",
        "unallocated",
        None,
        EARLIER + timedelta(hours=8),
    )
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        moved = uow.session.scalar(select(TaskReallocation))
        assert moved.reason == RELEASE_WORDS[ReleaseReason.SIGNED_OFF]


def test_coming_back_releases_nothing_and_the_allocator_may_give_work_again(runtime):
    worker_id, task_id, worker_user_id, _ = _team(runtime)
    _change(runtime, worker_id, "away", worker_user_id)

    released, _ = _change(
        runtime, worker_id, "available", worker_user_id, now=NOW + timedelta(minutes=30)
    )

    assert released == []
    assert _state(runtime, worker_id, task_id)[0] == "available"
    assert [d["availability"] for _, d in _events(runtime)] == ["away", "available"]


def test_a_manager_marks_someone_off_sick_with_a_reason(runtime):
    worker_id, task_id, _, manager_user_id = _team(runtime)

    released, _ = _change(runtime, worker_id, "off", manager_user_id, reason="  Off sick today ")

    assert released == [task_id]
    assert _state(runtime, worker_id, task_id) == (
        "off",
        "unallocated",
        None,
        EARLIER + timedelta(hours=8),
    )
    [(user_id, detail)] = _events(runtime)
    assert (user_id, detail["staff_id"], detail["reason"]) == (
        manager_user_id,
        worker_id,
        "Off sick today",
    )


def _nothing_changed(runtime, worker_id, task_id):
    assert _state(runtime, worker_id, task_id) == (
        "available",
        "allocated",
        worker_id,
        EARLIER + timedelta(hours=8),
    )
    assert _events(runtime) == []
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        assert uow.session.scalar(select(func.count(TaskReallocation.id))) == 0


def test_a_manager_marking_someone_off_sick_without_a_reason_is_refused(runtime):
    worker_id, task_id, _, manager_user_id = _team(runtime)

    with pytest.raises(AvailabilityError, match="Say why .* is off"):
        _change(runtime, worker_id, "off", manager_user_id, reason="   ")

    _nothing_changed(runtime, worker_id, task_id)


@pytest.mark.parametrize("availability", ["sick", "", "Away"])
def test_an_unknown_availability_is_refused(runtime, availability):
    worker_id, task_id, worker_user_id, _ = _team(runtime)

    with pytest.raises(AvailabilityError, match="Choose available, away or off"):
        _change(runtime, worker_id, availability, worker_user_id)

    _nothing_changed(runtime, worker_id, task_id)


@pytest.mark.parametrize("staff_id", [None, 0, 99999])
def test_an_unknown_person_is_refused(runtime, staff_id):
    worker_id, task_id, _, manager_user_id = _team(runtime)

    with pytest.raises(AvailabilityError, match="Choose a member of staff"):
        _change(runtime, staff_id, "away", manager_user_id)

    _nothing_changed(runtime, worker_id, task_id)


def test_a_social_worker_cannot_change_a_colleagues_availability(runtime):
    worker_id, task_id, _, _ = _team(runtime)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        colleague = _user(uow, "social_worker", "sw2@council.example", staff_ref="sw-2")
        uow.commit()
        colleague_id = colleague.id

    with pytest.raises(AvailabilityError, match="Only a practice manager"):
        _change(runtime, worker_id, "away", colleague_id)

    _nothing_changed(runtime, worker_id, task_id)


def test_a_call_in_progress_stays_with_its_holder(runtime):
    worker_id, task_id, worker_user_id, _ = _team(runtime)
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        uow.session.add(
            DialLock(
                callback_number=task.callback_number,
                task_id=task_id,
                staff_id=worker_id,
                since=NOW - timedelta(minutes=1),
            )
        )
        uow.commit()

    released, _ = _change(runtime, worker_id, "away", worker_user_id)

    assert released == []
    assert _state(runtime, worker_id, task_id)[1:3] == ("allocated", worker_id)

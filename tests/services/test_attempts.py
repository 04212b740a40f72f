"""Call-back attempts: retries spaced to the deadline, the end of trying, and cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callrouter.db.console_models import AuditEvent, TaskAttempt, TaskReallocation, User
from callrouter.db.models import Contact, DialLock, Message, Staff, Task
from callrouter.services import tasks
from callrouter.services.tasks import TaskError
from tests.services.factories import RecordingDispatcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday; UK time is UTC in November
MOBILE = "+447400123456"
LANDLINE = "+441632960123"


@pytest.fixture
def queue():
    return RecordingDispatcher()


def make_task(
    runtime,
    people,
    level="s47",
    due_in=timedelta(hours=1),
    number=MOBILE,
    reference="ACD347",
    flow_name="default",
    out_of_hours_cover=False,
    created=NOW,
) -> int:
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        contact = Contact(
            reference=reference,
            flow_name=flow_name,
            channel="phone",
            from_number=number,
            status="closed",
            outcome="callback",
            answers={"level": level, "callback_number": number},
            created_at=NOW,
            updated_at=NOW,
        )
        task = Task(
            contact=contact,
            kind="callback",
            role="social_worker",
            level=level,
            callback_number=number,
            due_at=created + due_in,
            status="allocated",
            assignee_id=people["worker"],
            created_at=created,
            allocated_at=created,
            out_of_hours_cover=out_of_hours_cover,
        )
        uow.session.add(task)
        uow.commit()
        return task.id


def attempt(runtime, queue, task_id, user_id, outcome, at, note=""):
    with runtime.unit_of_work(queue) as uow:
        task = uow.session.get(Task, task_id)
        user = uow.session.get(User, user_id)
        return tasks.record_attempt(uow, task, user, outcome, note, at, flows=runtime.flows)


def test_no_answer_schedules_a_retry_that_fits_the_deadline_and_reconsiders_the_task_then(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)

    attempt(runtime, queue, task_id, people["social_worker"], "no_answer", NOW)

    task = db.get(Task, task_id)
    # Two tries left in the hour: the next one a third of the way to the deadline.
    assert (task.status, task.attempt_count, task.next_attempt_at) == (
        "allocated",
        1,
        NOW + timedelta(minutes=20),
    )
    assert ("allocate_task", (task_id,), NOW + timedelta(minutes=20)) in queue.jobs
    assert db.scalar(select(Message)) is None


def test_a_voicemail_late_in_the_evening_is_retried_in_the_offices_open_hours(
    runtime, people, queue, db
):
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    task_id = make_task(runtime, people, level="level2", due_in=timedelta(hours=60))

    attempt(runtime, queue, task_id, people["social_worker"], "voicemail", evening)

    # Due Thursday 08:30: 16 open hours (Tuesday, Wednesday) left, a third of them gone on
    # Tuesday at 14:20; not in quiet hours, and not all three tries by Tuesday lunchtime.
    assert db.get(Task, task_id).next_attempt_at == datetime(2026, 11, 24, 14, 20, tzinfo=UTC)


def test_a_section_47_retry_is_not_held_back_by_quiet_hours(runtime, people, queue, db):
    night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    task_id = make_task(runtime, people, due_in=timedelta(hours=13))  # due 23:00

    attempt(runtime, queue, task_id, people["social_worker"], "no_answer", night)

    assert db.get(Task, task_id).next_attempt_at == night + timedelta(minutes=20)


def test_after_the_last_unanswered_attempt_the_caller_is_texted_and_a_manager_reviews(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)
    worker = people["social_worker"]
    attempt(runtime, queue, task_id, worker, "no_answer", NOW)
    attempt(runtime, queue, task_id, worker, "voicemail", NOW + timedelta(minutes=20))
    attempt(runtime, queue, task_id, worker, "no_answer", NOW + timedelta(minutes=40))

    task = db.get(Task, task_id)
    assert (task.status, task.attempt_count, task.next_attempt_at) == ("unable_to_contact", 3, None)
    assert task.closed_at == NOW + timedelta(minutes=40)
    assert task.closed_reason == "No answer after 3 attempts"
    assert task.closed_by_user_id == worker
    [text] = db.scalars(select(Message)).all()
    assert (text.purpose, text.to_number, text.status) == ("missed_callback", MOBILE, "pending")
    assert "ref ACD347" in text.body and "could not reach you" in text.body
    assert "0306 999 0000" in text.body
    review = db.scalar(select(Task).where(Task.kind == "review"))
    assert (review.contact_id, review.role, review.status) == (
        task.contact_id,
        "practice_manager",
        "unallocated",
    )
    assert ("send_message", (text.id,), None) in queue.jobs
    assert ("allocate_task", (review.id,), None) in queue.jobs
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task_id)).all()
    assert actions.count("attempt_recorded") == 3 and "task_unable_to_contact" in actions


def test_each_council_texts_its_own_line_number(runtime, people, queue, db):
    task_id = make_task(runtime, people, flow_name="lancashire")
    for minutes in (0, 20, 40):
        attempt(
            runtime,
            queue,
            task_id,
            people["social_worker"],
            "no_answer",
            NOW + timedelta(minutes=minutes),
        )

    body = db.scalar(select(Message.body))
    assert body.startswith("Lancashire MASH, ref ACD347.") and "0300 123 6720" in body


def test_a_wrong_number_ends_the_call_back_at_once_with_no_text_and_a_review(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)

    attempt(
        runtime,
        queue,
        task_id,
        people["social_worker"],
        "wrong_number",
        NOW,
        note="A shop answered",
    )

    task = db.get(Task, task_id)
    assert (task.status, task.closed_reason, task.attempt_count) == (
        "unable_to_contact",
        "Wrong number",
        1,
    )
    assert db.scalar(select(Message)) is None
    assert db.scalar(select(Task).where(Task.kind == "review")) is not None


def test_a_landline_caller_who_cannot_be_reached_is_not_texted_but_is_reviewed(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people, number=LANDLINE)
    for minutes in (0, 20, 40):
        attempt(
            runtime,
            queue,
            task_id,
            people["social_worker"],
            "voicemail",
            NOW + timedelta(minutes=minutes),
        )

    assert db.get(Task, task_id).status == "unable_to_contact"
    assert db.scalar(select(Message)) is None
    assert db.scalar(select(Task).where(Task.kind == "review")) is not None


def test_reaching_the_caller_clears_the_retry_and_leaves_completion_to_the_worker(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)
    attempt(runtime, queue, task_id, people["social_worker"], "no_answer", NOW)

    attempt(
        runtime,
        queue,
        task_id,
        people["social_worker"],
        "reached",
        NOW + timedelta(minutes=20),
        note="Spoke to the teacher",
    )

    task = db.get(Task, task_id)
    assert (task.status, task.attempt_count, task.next_attempt_at) == ("allocated", 2, None)
    assert [a.outcome for a in db.scalars(select(TaskAttempt))] == ["no_answer", "reached"]


@pytest.mark.parametrize("who", ["social_worker", "practice_manager"])
def test_a_call_back_is_completed_only_once_the_caller_was_reached(runtime, people, queue, db, who):
    task_id = make_task(runtime, people)
    attempt(runtime, queue, task_id, people["social_worker"], "no_answer", NOW)

    # Unreached, "complete" would close it with no text, no review and no reason given.
    with (
        runtime.unit_of_work(queue) as uow,
        pytest.raises(TaskError, match="Record that you reached the caller"),
    ):
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people[who]),
            NOW + timedelta(minutes=20),
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "allocated"

    attempt(
        runtime, queue, task_id, people["social_worker"], "reached", NOW + timedelta(minutes=20)
    )
    with runtime.unit_of_work(queue) as uow:
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people[who]),
            NOW + timedelta(minutes=30),
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "completed"


def test_a_manager_review_is_completed_without_attempts(runtime, people, queue, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(queue) as uow:
        uow.session.get(Task, task_id).kind = "review"
        uow.commit()

    with runtime.unit_of_work(queue) as uow:
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            NOW,
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "completed"


def test_a_closed_call_back_takes_no_more_attempts(runtime, people, queue, db):
    task_id = make_task(runtime, people)
    attempt(runtime, queue, task_id, people["social_worker"], "wrong_number", NOW)

    with pytest.raises(TaskError, match="already closed"):
        attempt(runtime, queue, task_id, people["social_worker"], "no_answer", NOW)
    assert db.get(Task, task_id).attempt_count == 1


def test_a_manager_review_takes_no_call_back_attempts(runtime, people, queue, db):
    task_id = make_task(runtime, people)
    with runtime.unit_of_work(queue) as uow:
        uow.session.get(Task, task_id).kind = "review"
        uow.commit()

    with pytest.raises(TaskError, match="A review has no call-back attempts"):
        attempt(runtime, queue, task_id, people["practice_manager"], "no_answer", NOW)
    db.expire_all()
    assert db.get(Task, task_id).attempt_count == 0


def test_every_flow_has_a_missed_call_back_text_with_the_reference(runtime):
    for flow in runtime.flows.flows.values():
        text = flow.spec["texts"]["missed_callback_sms"]
        assert "{reference}" in text and "{link}" not in text, flow.name


def test_only_a_practice_manager_can_cancel_and_only_with_a_reason(runtime, people, queue, db):
    task_id = make_task(runtime, people)
    for role in ("social_worker", "early_help", "admin"):
        with (
            runtime.unit_of_work(queue) as uow,
            pytest.raises(TaskError, match="Only a practice manager"),
        ):
            tasks.cancel(
                uow,
                uow.session.get(Task, task_id),
                uow.session.get(User, people[role]),
                "Not needed",
                NOW,
            )
    with runtime.unit_of_work(queue) as uow, pytest.raises(TaskError, match="Say why"):
        tasks.cancel(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["practice_manager"]),
            "  ",
            NOW,
        )

    assert db.get(Task, task_id).status == "allocated"


def test_a_cancelled_call_back_names_who_cancelled_it_and_why(runtime, people, queue, db):
    task_id = make_task(runtime, people)
    manager = people["practice_manager"]
    with runtime.unit_of_work(queue) as uow:
        # Left by a page shut mid-call 20 minutes ago (a live call would stop the cancel).
        uow.session.add(
            DialLock(
                callback_number=MOBILE,
                task_id=task_id,
                staff_id=people["worker"],
                since=NOW - timedelta(minutes=20),
            )
        )
        uow.commit()

    with runtime.unit_of_work(queue) as uow:
        tasks.cancel(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, manager),
            "Caller rang back and was helped by the duty worker",
            NOW,
        )

    task = db.get(Task, task_id)
    assert (task.status, task.closed_at, task.closed_by_user_id, task.closed_reason) == (
        "cancelled",
        NOW,
        manager,
        "Caller rang back and was helped by the duty worker",
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "task_cancelled"))
    assert (event.user_id, event.task_id, event.detail["reason"]) == (
        manager,
        task_id,
        "Caller rang back and was helped by the duty worker",
    )
    assert db.scalar(select(DialLock)) is None


def test_a_hand_back_is_kept_for_the_allocator_and_keeps_the_retry_spacing(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)
    attempt(runtime, queue, task_id, people["social_worker"], "no_answer", NOW)

    with runtime.unit_of_work(queue) as uow:
        tasks.hand_back(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["social_worker"]),
            "Going off shift",
            NOW + timedelta(minutes=5),
        )

    task = db.get(Task, task_id)
    assert (task.status, task.assignee_id, task.next_attempt_at, task.attempt_count) == (
        "unallocated",
        None,
        NOW + timedelta(minutes=20),
        1,
    )
    move = db.scalar(select(TaskReallocation))
    assert (move.from_staff_id, move.to_staff_id, move.created_at) == (
        people["worker"],
        None,
        NOW + timedelta(minutes=5),
    )


def test_a_covered_urgent_level_is_tried_again_before_its_deadline_at_night(
    runtime, people, queue, db
):
    evening = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)
    task_id = make_task(
        runtime, people, level="domestic_abuse_high", created=evening, out_of_hours_cover=True
    )
    attempt(
        runtime,
        queue,
        task_id,
        people["social_worker"],
        "no_answer",
        evening + timedelta(minutes=20),
    )
    retry = db.get(Task, task_id).next_attempt_at
    assert evening + timedelta(minutes=20) < retry < evening + timedelta(hours=1)


def test_at_night_the_review_of_an_s47_caller_nobody_reached_goes_to_the_edt(
    runtime, people, queue, db
):
    from callrouter.db.models import Shift
    from callrouter.services import allocation, escalation

    night = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # no practice manager on shift
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        edt = Staff(ref="ed1", name="Eve Duty", role="edt_social_worker", team="edt")
        uow.session.add(edt)
        uow.session.flush()
        uow.session.add(
            Shift(
                staff_id=edt.id,
                starts_at=night - timedelta(hours=5),
                ends_at=night + timedelta(hours=10),
            )
        )
        uow.commit()
        edt_id = edt.id
    task_id = make_task(runtime, people, created=night, out_of_hours_cover=True)
    for minutes in (5, 25, 45):
        attempt(
            runtime,
            queue,
            task_id,
            people["social_worker"],
            "no_answer",
            night + timedelta(minutes=minutes),
        )
    review = db.scalar(select(Task).where(Task.kind == "review"))
    assert review.out_of_hours_cover and review.level == "s47"

    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        allocation.allocate_pending(uow, night + timedelta(minutes=46))
    db.expire_all()
    assert db.get(Task, review.id).assignee_id == edt_id
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        raised = escalation.check_deadlines(uow, review.due_at, [review.id])
    assert [(e.kind, e.manager_id) for e in raised] == [("breach", edt_id)]


def test_the_review_of_a_caller_nobody_reached_keeps_the_levels_timescale_and_cover(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)  # s47: an hour, covered by the EDT out of hours
    for minutes in (0, 20, 40):
        attempt(
            runtime,
            queue,
            task_id,
            people["social_worker"],
            "no_answer",
            NOW + timedelta(minutes=minutes),
        )

    closed = NOW + timedelta(minutes=40)
    review = db.scalar(select(Task).where(Task.kind == "review"))
    assert (review.due_at, review.warn_at, review.out_of_hours_cover) == (
        closed + timedelta(hours=1),
        closed + timedelta(minutes=30),
        True,
    )


def test_a_no_answer_before_the_retry_time_is_recorded_but_does_not_use_up_a_try(
    runtime, people, queue, db
):
    # Three taps in three minutes must not close an s47 57 minutes before its deadline: the
    # spacing is there to give the caller time to be reachable.
    task_id = make_task(runtime, people)
    worker = people["social_worker"]
    for minutes in (0, 1, 2):
        attempt(runtime, queue, task_id, worker, "no_answer", NOW + timedelta(minutes=minutes))

    task = db.get(Task, task_id)
    assert (task.status, task.attempt_count, task.unanswered_tries) == ("allocated", 3, 1)
    # The retry time set by the first try stands.
    assert task.next_attempt_at == NOW + timedelta(minutes=20)
    assert [a.counted for a in db.scalars(select(TaskAttempt).order_by(TaskAttempt.id))] == [
        True,
        False,
        False,
    ]
    assert db.scalar(select(Message)) is None
    assert db.scalar(select(Task).where(Task.kind == "review")) is None
    # Tried at its times, it ends as before.
    attempt(runtime, queue, task_id, worker, "no_answer", NOW + timedelta(minutes=20))
    attempt(runtime, queue, task_id, worker, "no_answer", NOW + timedelta(minutes=40))
    db.expire_all()
    task = db.get(Task, task_id)
    assert (task.status, task.closed_reason) == ("unable_to_contact", "No answer after 3 attempts")


def test_a_caller_once_reached_is_never_closed_as_unable_to_contact_or_texted(
    runtime, people, queue, db
):
    task_id = make_task(runtime, people)
    worker = people["social_worker"]
    attempt(runtime, queue, task_id, worker, "reached", NOW, note="Cut off mid-call")
    for minutes in (20, 40, 50):
        attempt(runtime, queue, task_id, worker, "no_answer", NOW + timedelta(minutes=minutes))

    task = db.get(Task, task_id)
    assert (task.status, task.unanswered_tries, task.next_attempt_at) == ("allocated", 0, None)
    assert db.scalar(select(Message)) is None
    assert db.scalar(select(Task).where(Task.kind == "review")) is None
    # The caller was reached, so the worker can complete it.
    with runtime.unit_of_work(queue) as uow:
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, worker),
            NOW + timedelta(minutes=55),
        )
    db.expire_all()
    assert db.get(Task, task_id).status == "completed"

"""Texts Twilio will not take: failed for good or tried a few times, never lost, never spammed."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select
from twilio.base.exceptions import TwilioRestException

from callrouter.db.models import Contact, Message, Task
from callrouter.services import escalation, messages
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff
from tests.support.fake_twilio import twilio_text
from workers import context as job_context
from workers import jobs as job_functions
from workers.dispatch import not_before
from workers.queues import QueueNames
from workers.sms import TwilioSmsGateway, twilio_refusal

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMBER = "+447400123456"
BODY = "Ref TESTRF: https://example.org/eform"


@pytest.fixture
def twilio_jobs(runtime, dispatcher, settings):
    """Jobs run in this process against the fake Twilio."""
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))
    yield
    job_context.use(None)


def _message(
    runtime,
    status="pending",
    purpose="eform",
    claimed_at=None,
    flow_name="default",
    level=None,
    at=NOW,
    to=NUMBER,
) -> int:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        contact = Contact(
            reference=f"REF{uow.session.scalar(select(func.count(Contact.id)))}",
            flow_name=flow_name,
            channel="phone",
            answers={"level": level} if level else {},
            created_at=at,
            updated_at=at,
        )
        message = Message(
            contact=contact,
            purpose=purpose,
            to_number=to,
            from_number="+443069990000",
            body=BODY,
            status=status,
            claimed_at=claimed_at,
            created_at=at,
            tries=1 if status == "sending" else 0,
        )
        uow.session.add(message)
        uow.commit()
        return message.id


def _send_at(runtime, dispatcher, settings, message_id, at: datetime) -> str:
    """Run the send as the job does, at a chosen time, so waits between tries can pass."""
    with runtime.unit_of_work(dispatcher) as uow:
        return messages.send_message(
            uow, message_id, TwilioSmsGateway(settings), clock=lambda: at, flows=runtime.flows
        )


def _reviews(db) -> list[Task]:
    return db.scalars(select(Task).where(Task.kind == "review")).all()


@pytest.mark.parametrize("code", [21606, 21661, 21617, 20003, 21211])
def test_a_4xx_from_twilio_fails_the_text_at_once_and_the_sweep_leaves_it(
    code, runtime, twilio_jobs, fake_twilio, db
):
    fake_twilio.fail_with = (400, code)
    message_id = _message(runtime)

    for _ in range(10):  # the job, then RQ's retries and a sweep each minute
        job_functions.send_message(message_id)
        summary = job_functions.sweep()

    assert len(fake_twilio.messages) == 1
    assert summary["messages"] == 0
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.error_code, message.tries) == ("failed", code, 1)
    assert message.error == f"Twilio {code}: refused"


def test_a_failed_send_job_is_not_queued_again_by_the_sweep(
    runtime, twilio_jobs, dispatcher, redis, fake_twilio
):
    fake_twilio.fail_with = (400, 21606)
    message_id = _message(runtime)
    worker = SimpleWorker(QueueNames.all(), connection=redis)
    dispatcher.enqueue("send_message", message_id)
    job = Job.fetch(f"send_message-{message_id}", connection=redis)
    job.retries_left = 0  # as if RQ's own retries were used up
    job.save()

    for _ in range(3):  # a sweep a minute: a finished or failed job may be queued anew
        worker.work(burst=True)
        job_functions.sweep()

    assert len(fake_twilio.messages) == 1


def test_rate_limited_is_tried_later_with_a_scheduled_job_not_at_once(
    runtime, twilio_jobs, redis, fake_twilio, db
):
    fake_twilio.fail_with = (429, 20429)
    message_id = _message(runtime)

    assert job_functions.send_message(message_id) == "pending"
    assert job_functions.send_message(message_id) == "pending"  # a rerun waits its turn
    assert job_functions.sweep()["messages"] == 0  # so does the sweep

    assert len(fake_twilio.messages) == 1
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.tries, message.error_code) == ("pending", 1, 20429)
    wait = message.next_try_at - datetime.now(UTC)
    assert timedelta(seconds=30) < wait <= messages.RETRY_WAITS[0]
    [scheduled] = ScheduledJobRegistry(QueueNames.MESSAGES, connection=redis).get_job_ids()
    at = int(not_before(message.next_try_at).timestamp())
    assert scheduled == f"send_message-{message_id}-{at}"


def test_a_twilio_fault_is_tried_a_few_times_with_longer_waits_then_failed(
    runtime, dispatcher, settings, fake_twilio, db
):
    fake_twilio.fail_with = (503, 20503)
    message_id = _message(runtime)
    at, waits = NOW, []

    while _send_at(runtime, dispatcher, settings, message_id, at) == "pending":
        db.expire_all()
        next_try_at = db.get(Message, message_id).next_try_at
        waits.append(next_try_at - at)
        assert (
            _send_at(runtime, dispatcher, settings, message_id, next_try_at - timedelta(seconds=1))
            == "pending"
        )  # not before its time
        at = next_try_at

    assert waits == list(messages.RETRY_WAITS)
    assert len(fake_twilio.messages) == messages.MAX_TRIES
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.tries, message.error_code) == ("failed", 5, 20503)
    assert messages.due_for_sending(db, at + timedelta(days=1)) == []


def test_twilio_not_answering_in_time_is_not_tried_again_before_its_records_are_read(
    runtime, dispatcher, settings, db
):
    silent = socket.socket()  # takes the connection and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    host, port = silent.getsockname()
    gateway = TwilioSmsGateway(settings)
    gateway.client.http_client.api_base = f"http://{host}:{port}"
    gateway.client.http_client.timeout = 0.3
    message_id = _message(runtime)

    try:
        with runtime.unit_of_work(dispatcher) as uow:
            assert messages.send_message(uow, message_id, gateway, clock=lambda: NOW) == (
                "unconfirmed"
            )
    finally:
        silent.close()

    db.expire_all()
    message = db.get(Message, message_id)
    # It reached Twilio, which may have taken it: a second try could text the caller twice,
    # so nothing more is done until Twilio's records can say.
    assert (message.status, message.error_code, message.next_try_at) == (
        "unconfirmed",
        None,
        NOW + messages.CHECK_AFTER,
    )
    assert message.error == "No answer from Twilio: ReadTimeout"
    assert messages.due_for_sending(db, NOW + messages.CHECK_AFTER - timedelta(seconds=1)) == []
    assert messages.due_for_sending(db, NOW + messages.CHECK_AFTER) == [message_id]


def test_twilio_unreachable_is_tried_again(runtime, dispatcher, settings, db):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    host, port = closed.getsockname()
    closed.close()  # nothing listens there now
    gateway = TwilioSmsGateway(settings)
    gateway.client.http_client.api_base = f"http://{host}:{port}"
    message_id = _message(runtime)

    with runtime.unit_of_work(dispatcher) as uow:
        assert messages.send_message(uow, message_id, gateway) == "pending"

    db.expire_all()
    assert db.get(Message, message_id).error == "No answer from Twilio: ConnectionError"


def test_a_text_stuck_sending_is_settled_by_twilios_records_never_sent_twice(
    runtime, twilio_jobs, fake_twilio, db
):
    long_ago = datetime.now(UTC) - messages.STALLED_AFTER - timedelta(minutes=1)
    taken = _message(runtime, status="sending", claimed_at=long_ago, to="+447400111111")
    never_went = _message(runtime, status="sending", claimed_at=long_ago, to="+447400222222")
    from_before_tries_were_kept = _message(runtime, status="sending", to="+447400333333")
    in_flight = _message(runtime, status="sending", claimed_at=datetime.now(UTC))
    # The worker sending `taken` died after Twilio took it; the one sending `never_went`
    # died before its request left.
    fake_twilio.texts.append(
        twilio_text("+447400111111", "+443069990000", BODY, long_ago + timedelta(seconds=2))
    )
    [taken_sid] = [text["sid"] for text in fake_twilio.texts]

    summary = job_functions.sweep()
    assert summary == {**summary, "stalled_messages": 3, "messages": 3}
    assert {
        m: job_functions.send_message(m) for m in (taken, never_went, from_before_tries_were_kept)
    } == {taken: "sent", never_went: "pending", from_before_tries_were_kept: "pending"}
    assert job_functions.send_message(never_went) == "sent"
    assert job_functions.send_message(from_before_tries_were_kept) == "sent"

    assert [form["To"] for form in fake_twilio.messages] == ["+447400222222", "+447400333333"]
    db.expire_all()
    statuses = {m.id: (m.status, m.tries) for m in db.scalars(select(Message))}
    assert statuses == {
        taken: ("sent", 1),
        never_went: ("sent", 2),
        from_before_tries_were_kept: ("sent", 2),
        in_flight: ("sending", 1),
    }
    assert db.get(Message, taken).provider_sid == taken_sid
    assert _reviews(db) == []  # every text went, once


def test_a_failed_text_with_no_open_task_asks_a_manager_for_a_review(
    runtime, twilio_jobs, fake_twilio, db
):
    fake_twilio.fail_with = (400, 21614)
    message_id = _message(runtime)

    job_functions.send_message(message_id)
    job_functions.sweep()

    [review] = _reviews(db)
    assert (review.contact_id, review.status, review.role) == (
        db.get(Message, message_id).contact_id,
        "unallocated",
        "practice_manager",
    )


def test_a_failed_text_for_a_contact_with_an_open_review_adds_no_second_one(
    runtime, twilio_jobs, fake_twilio, db
):
    fake_twilio.fail_with = (400, 21614)
    message_id = _message(runtime, purpose="missed_callback")
    contact_id = db.get(Message, message_id).contact_id
    db.add(
        Task(
            contact_id=contact_id,
            kind="review",
            role="practice_manager",
            due_at=NOW + timedelta(days=1),
            status="unallocated",
            created_at=NOW,
        )
    )
    db.commit()

    assert job_functions.send_message(message_id) == "failed"

    assert db.scalar(select(func.count(Task.id))) == 1


def test_a_text_not_sent_at_night_for_an_information_only_caller_is_reviewed_in_working_time(
    runtime, dispatcher, settings, fake_twilio, db
):
    saturday_night = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    fake_twilio.fail_with = (400, 21610)  # the caller replied STOP
    message_id = _message(runtime, flow_name="lancashire", level="s17", at=saturday_night)
    with runtime.unit_of_work(NoDispatcher()) as uow:  # managers are back on Monday
        create_staff(
            uow,
            "pm-monday",
            "practice_manager",
            starts=datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
            hours=9,
        )
        uow.commit()

    assert _send_at(runtime, dispatcher, settings, message_id, saturday_night) == "failed"

    [review] = _reviews(db)
    # One working day from Monday's opening (09:00 to 17:00), not an hour of clock time: it
    # would breach before midnight, with no manager on shift, and every manager be told.
    assert (review.due_at, review.warn_at, review.out_of_hours_cover) == (
        datetime(2026, 12, 8, 9, 0, tzinfo=UTC),  # Tuesday 09:00
        datetime(2026, 12, 7, 15, 0, tzinfo=UTC),  # three quarters of the open time
        False,
    )
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert escalation.check_deadlines(uow, datetime(2026, 12, 7, 8, 59, tzinfo=UTC)) == []


def test_a_text_not_sent_to_an_s47_caller_is_not_the_edts_to_review_at_night(
    runtime, dispatcher, settings, fake_twilio, db
):
    night = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # a Wednesday
    fake_twilio.fail_with = (400, 21614)
    message_id = _message(runtime, level="s47", at=night)  # its call-back done and closed

    _send_at(runtime, dispatcher, settings, message_id, night)

    [review] = _reviews(db)
    assert (review.level, review.out_of_hours_cover) == ("s47", False)
    assert review.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a working day from 09:00


def test_a_failed_text_is_logged_by_id_and_code_never_number_or_body(
    runtime, twilio_jobs, fake_twilio, caplog
):
    fake_twilio.fail_with = (503, 20503)
    message_id = _message(runtime)

    with caplog.at_level("DEBUG"):
        job_functions.send_message(message_id)
        fake_twilio.fail_with = (400, 21614)
        with runtime.unit_of_work(NoDispatcher()) as uow:
            uow.session.get(Message, message_id).next_try_at = None
            uow.commit()
        job_functions.send_message(message_id)

    assert f"message {message_id} failed after 2 tries (error 21614)" in caplog.text
    assert "20503" in caplog.text
    assert NUMBER not in caplog.text and "7400" not in caplog.text
    assert BODY not in caplog.text and "example.org" not in caplog.text


def test_numbers_in_twilios_words_are_not_kept():
    error = TwilioRestException(
        400,
        "/Messages.json",
        "Unable to create record: The 'To' number +44 7400 123456 is not a valid phone number.",
        21211,
        "POST",
    )

    refusal = twilio_refusal(error)

    assert isinstance(refusal, messages.PermanentSendError)
    assert refusal.detail == "Twilio 21211: The 'To' number [number] is not a valid phone number."


@pytest.mark.parametrize(
    "status, code, permanent",
    [
        (400, 21606, True),
        (401, 20003, True),
        (404, 20404, True),
        (429, 20429, False),
        (500, 20500, False),
        (503, None, False),
    ],
)
def test_4xx_is_for_good_except_rate_limiting_and_5xx_passes(status, code, permanent):
    refusal = twilio_refusal(TwilioRestException(status, "/Messages.json", "", code, "POST"))

    assert isinstance(refusal, messages.PermanentSendError) is permanent
    assert refusal.code == (code or status)

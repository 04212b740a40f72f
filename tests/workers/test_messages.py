"""Text messages: written to the outbox first, sent once through the real twilio library."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select, update

from callrouter.db.models import Contact, Message
from callrouter.services.unit_of_work import NoDispatcher
from tests.webhooks.calls import CHECS, NOT_OPEN, S17, give_details, professional_to_level
from workers import context as job_context
from workers import jobs as job_functions
from workers.sms import TwilioSmsGateway

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _pending_message(runtime, to="+447400123456") -> int:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        contact = Contact(
            reference="TESTRF",
            flow_name="default",
            channel="phone",
            answers={},
            created_at=NOW,
            updated_at=NOW,
        )
        message = Message(
            contact=contact,
            purpose="eform",
            to_number=to,
            from_number="+443069990000",
            body="Ref TESTRF: https://example.org",
            status="pending",
            created_at=NOW,
        )
        uow.session.add(message)
        uow.commit()
        return message.id


def test_the_text_reaches_twilio_with_the_account_and_the_callers_number(
    runtime, dispatcher, settings, fake_twilio
):
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))
    message_id = _pending_message(runtime)

    assert job_functions.send_message(message_id) == "sent"

    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    assert request.authorization.startswith("Basic ")
    assert request.form == {
        "To": "+447400123456",
        "From": "+443069990000",
        "Body": "Ref TESTRF: https://example.org",
        # Twilio's delivery report comes back naming our message by its id, and nothing else.
        "StatusCallback": f"{settings.public_base_url}/twilio/sms/status?message={message_id}",
    }
    job_context.use(None)


def test_a_send_job_run_twice_sends_once(runtime, dispatcher, settings, fake_twilio, db):
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))
    message_id = _pending_message(runtime)

    job_functions.send_message(message_id)
    assert job_functions.send_message(message_id) == "sent"

    assert len(fake_twilio.messages) == 1
    message = db.get(Message, message_id)
    assert message.status == "sent"
    assert message.provider_sid.startswith("SM")
    job_context.use(None)


def test_with_no_twilio_credentials_the_text_is_kept_in_the_outbox_as_a_dry_run(
    runtime, dispatcher, fake_twilio, db, caplog
):
    job_context.use(job_context.JobContext(runtime, dispatcher, sms=None))
    message_id = _pending_message(runtime)

    with caplog.at_level("INFO"):
        assert job_functions.send_message(message_id) == "dry_run"

    assert fake_twilio.requests == []
    assert db.get(Message, message_id).status == "dry_run"
    assert "dry run" in caplog.text
    assert "+447400123456" not in caplog.text
    job_context.use(None)


def test_a_number_twilio_refuses_for_good_is_marked_failed_not_retried(
    runtime, dispatcher, settings, fake_twilio, db
):
    fake_twilio.fail_with = (400, 21211)
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))
    message_id = _pending_message(runtime)

    assert job_functions.send_message(message_id) == "failed"
    message = db.get(Message, message_id)
    assert (message.error, message.error_code) == ("Twilio 21211: refused", 21211)
    job_context.use(None)


def test_a_passing_twilio_fault_leaves_the_text_pending_for_a_later_try(
    runtime, dispatcher, settings, fake_twilio, db
):
    fake_twilio.fail_with = (503, 20503)
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))
    message_id = _pending_message(runtime)

    assert job_functions.send_message(message_id) == "pending"  # the job itself succeeds

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.tries, message.error_code) == ("pending", 1, 20503)
    assert message.next_try_at is not None
    fake_twilio.fail_with = None
    assert job_functions.send_message(message_id) == "pending"  # not due yet: Twilio not asked
    assert len(fake_twilio.messages) == 1
    db.execute(update(Message).values(next_try_at=NOW))
    db.commit()
    assert job_functions.send_message(message_id) == "sent"
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.tries, message.error, message.error_code) == (2, None, None)
    job_context.use(None)


def test_texts_whose_job_was_lost_are_sent_by_the_sweep(dial, db, jobs, redis, fake_twilio):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S17)
    give_details(phone)
    redis.flushdb()  # the queued job is lost

    jobs()
    assert fake_twilio.messages == []
    job_functions.sweep()
    jobs()

    assert len(fake_twilio.messages) == 1
    db.expire_all()
    assert db.scalar(select(Message.status)) == "sent"


def test_a_webhook_still_answers_when_redis_is_down(settings, runtime, db):
    from redis import Redis

    from callrouter.softphone import Softphone, path_of
    from callrouter.web import create_app
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL
    from workers.dispatch import RQDispatcher

    unreachable = RQDispatcher(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    client = create_app(replace(settings), dispatcher=unreachable, runtime=runtime).test_client()

    def transport(url, form, headers):
        response = client.post(path_of(url), data=form, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    phone = Softphone(PUBLIC_BASE_URL, AUTH_TOKEN, "+447400123456", "+443069990000", transport)
    professional_to_level(phone, CHECS, NOT_OPEN, S17)
    end = give_details(phone)

    assert end.hung_up
    assert "We have sent you a text message" in end.text
    db.expire_all()
    assert db.scalar(select(Message.status)) == "pending"  # the sweep will send it

"""Reading Twilio's records for a text whose send was not confirmed.

Found there (its body, to its number, since its try began), it was sent; no text at all to that
number since then, it never went and is tried again; anything else (records unreadable, more
than a page, a text we cannot match, as when an account redacts bodies) is read again every
few minutes for an hour, then the text stays unconfirmed for good and a manager is asked to
look. It is never sent twice on a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.models import Contact, Message, Task
from callrouter.services import messages
from callrouter.services.unit_of_work import NoDispatcher
from tests.support.fake_twilio import twilio_text
from workers import sms
from workers.sms import TwilioSmsGateway

TRIED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FIRST_CHECK = TRIED_AT + messages.CHECK_AFTER
NUMBER = "+447400123456"
OUR_LINE = "+443069990000"
BODY = "Ref TESTRF: https://example.org/eform"


def _unconfirmed(runtime, body=BODY, tries=1, to=NUMBER) -> int:
    """A text whose try at TRIED_AT got no answer, its first check due at FIRST_CHECK."""
    with runtime.unit_of_work(NoDispatcher()) as uow:
        count = uow.session.scalar(select(func.count(Contact.id)))
        contact = Contact(
            reference=f"REF{count}",
            flow_name="default",
            channel="phone",
            answers={},
            created_at=TRIED_AT,
            updated_at=TRIED_AT,
        )
        message = Message(
            contact=contact,
            purpose="eform",
            to_number=to,
            from_number=OUR_LINE,
            body=body,
            status="unconfirmed",
            error="No answer from Twilio: ReadTimeout",
            tries=tries,
            claimed_at=TRIED_AT,
            next_try_at=FIRST_CHECK,
            created_at=TRIED_AT,
        )
        uow.session.add(message)
        uow.commit()
        return message.id


def _step(runtime, settings, message_id: int, at: datetime) -> str:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return messages.send_message(
            uow, message_id, TwilioSmsGateway(settings), clock=lambda: at, flows=runtime.flows
        )


def _held(fake_twilio, body=BODY, at=TRIED_AT + timedelta(seconds=1), to=NUMBER) -> str:
    """Put a text in fake Twilio's records; return its id."""
    text = twilio_text(to, OUR_LINE, body, at)
    fake_twilio.texts.append(text)
    return text["sid"]


def _reviews(db) -> list[Task]:
    return db.scalars(select(Task).where(Task.kind == "review")).all()


def test_the_records_are_read_with_the_number_and_our_line(runtime, settings, fake_twilio, db):
    message_id = _unconfirmed(runtime)
    sid = _held(fake_twilio)

    assert _step(runtime, settings, message_id, FIRST_CHECK) == "sent"

    [query] = fake_twilio.record_reads
    assert (query["To"], query["From"]) == (NUMBER, OUR_LINE)
    assert fake_twilio.messages == []  # nothing sent
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.provider_sid, message.sent_at, message.error) == (
        sid,
        TRIED_AT + timedelta(seconds=1),
        None,
    )


def test_no_text_since_the_try_means_it_never_went_and_it_is_sent_now(
    runtime, settings, fake_twilio, db
):
    message_id = _unconfirmed(runtime)
    _held(fake_twilio, at=TRIED_AT - timedelta(days=2))  # an older text with the same words

    assert _step(runtime, settings, message_id, FIRST_CHECK) == "pending"
    assert messages.due_for_sending(db, FIRST_CHECK) == [message_id]
    assert _step(runtime, settings, message_id, FIRST_CHECK) == "sent"

    assert [form["Body"] for form in fake_twilio.messages] == [BODY]
    db.expire_all()
    assert db.get(Message, message_id).tries == 2
    assert _reviews(db) == []


def test_a_text_already_matched_to_another_of_ours_does_not_stop_a_resend(
    runtime, settings, fake_twilio, db
):
    message_id = _unconfirmed(runtime)
    sent_sid = _held(fake_twilio, body="Ref TESTRF: we tried to call you")
    with runtime.unit_of_work(NoDispatcher()) as uow:
        other = uow.session.get(Message, _unconfirmed(runtime, body="we tried to call you"))
        other.status, other.provider_sid, other.next_try_at = "sent", sent_sid, None
        uow.commit()

    assert _step(runtime, settings, message_id, FIRST_CHECK) == "pending"


@pytest.mark.parametrize("records", ["redacted body", "more than a page", "not readable"])
def test_records_that_cannot_settle_it_are_read_again_for_an_hour_then_a_manager_looks(
    records, runtime, settings, fake_twilio, db, monkeypatch
):
    message_id = _unconfirmed(runtime)
    if records == "redacted body":
        _held(fake_twilio, body="***********")
    elif records == "more than a page":
        monkeypatch.setattr(sms, "RECORDS_PAGE_SIZE", 2)
        for minutes in (20, 30, 40):
            _held(
                fake_twilio,
                body=f"Ref OTHER{minutes}",
                to=NUMBER,
                at=TRIED_AT - timedelta(days=minutes),
            )
    else:
        fake_twilio.fail_with = (500, 20500)

    check, checks = FIRST_CHECK, 0
    while check <= TRIED_AT + messages.CHECK_FOR:
        assert _step(runtime, settings, message_id, check) == "unconfirmed"
        assert _step(runtime, settings, message_id, check) == "unconfirmed"  # not due again yet
        checks += 1
        db.expire_all()
        message = db.get(Message, message_id)
        if message.next_try_at is None:
            break
        assert message.next_try_at == check + messages.CHECK_EVERY
        assert _reviews(db) == []  # not yet: it may still be settled
        check = message.next_try_at

    assert checks == len(fake_twilio.record_reads) == 12
    assert fake_twilio.messages == []  # never sent twice on a guess
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.next_try_at) == ("unconfirmed", None)
    assert messages.due_for_sending(db, check + timedelta(days=1)) == []
    [review] = _reviews(db)
    assert (review.contact_id, review.role) == (message.contact_id, "practice_manager")
    [text] = messages.texts_for_contact(db, message.contact_id)
    assert (text.status_words, text.not_sent) == ("Not confirmed", True)
    assert "records could not show whether it went" in text.problem


def test_while_it_is_checked_staff_read_that_it_is_being_checked(runtime, db):
    message_id = _unconfirmed(runtime)

    [text] = messages.texts_for_contact(db, db.get(Message, message_id).contact_id)

    assert (text.status_words, text.not_sent) == ("Not confirmed", True)
    assert text.problem.startswith("Not confirmed yet: ")
    assert "records are being checked" in text.problem


def test_two_workers_checking_at_once_read_the_records_once(runtime, settings, fake_twilio, db):
    message_id = _unconfirmed(runtime)
    fake_twilio.fail_with = (500, 20500)  # the first check is left unsettled

    assert _step(runtime, settings, message_id, FIRST_CHECK) == "unconfirmed"
    assert _step(runtime, settings, message_id, FIRST_CHECK) == "unconfirmed"

    assert len(fake_twilio.record_reads) == 1


def test_no_text_since_the_try_with_no_tries_left_fails_it_and_a_manager_looks(
    runtime, settings, fake_twilio, db
):
    message_id = _unconfirmed(runtime, tries=messages.MAX_TRIES)

    assert _step(runtime, settings, message_id, FIRST_CHECK) == "failed"

    assert fake_twilio.messages == []
    assert len(_reviews(db)) == 1


def test_with_no_twilio_account_to_ask_it_stays_unconfirmed_and_a_manager_looks(runtime, db):
    message_id = _unconfirmed(runtime)

    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert (
            messages.send_message(
                uow, message_id, None, clock=lambda: FIRST_CHECK, flows=runtime.flows
            )
            == "unconfirmed"
        )

    db.expire_all()
    assert db.get(Message, message_id).next_try_at is None
    assert len(_reviews(db)) == 1


def test_checking_logs_ids_never_number_or_body(runtime, settings, fake_twilio, caplog):
    found, never_went = _unconfirmed(runtime), _unconfirmed(runtime, to="+447400999888")
    _held(fake_twilio)

    with caplog.at_level("DEBUG"):
        _step(runtime, settings, found, FIRST_CHECK)
        _step(runtime, settings, never_went, FIRST_CHECK)

    assert f"message {found} found in Twilio's records" in caplog.text
    assert f"message {never_went} not in Twilio's records" in caplog.text
    for secret in ("7400", "999888", "example.org", "TESTRF"):
        assert secret not in caplog.text

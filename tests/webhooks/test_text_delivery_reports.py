"""Twilio's delivery reports on our texts: a text the phone company could not deliver is not
silently taken as sent; reports out of order, repeated, forged or for no text change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from callrouter.db.models import Contact, Message, Task
from callrouter.services import messages
from callrouter.services.unit_of_work import NoDispatcher
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMBER = "+447400123456"
SID = "SM" + "a" * 32


def _text(runtime, status="sent", provider_sid=SID, with_open_task=False) -> int:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        count = uow.session.scalar(select(func.count(Contact.id)))
        contact = Contact(
            reference=f"REF{count}",
            flow_name="default",
            channel="phone",
            answers={},
            created_at=NOW,
            updated_at=NOW,
        )
        message = Message(
            contact=contact,
            purpose="eform",
            to_number=NUMBER,
            from_number="+443069990000",
            body="Ref: https://example.org/eform",
            status=status,
            provider_sid=provider_sid,
            tries=1,
            created_at=NOW,
            claimed_at=NOW,
            sent_at=NOW if status == "sent" else None,
        )
        uow.session.add(message)
        if with_open_task:
            uow.session.add(
                Task(
                    contact=contact,
                    kind="callback",
                    role="social_worker",
                    status="unallocated",
                    due_at=NOW,
                    created_at=NOW,
                )
            )
        uow.commit()
        return message.id


def _report(client, message_id, status, sid=SID, error_code=None, signed=True):
    url = f"{PUBLIC_BASE_URL}/twilio/sms/status?message={message_id}"
    form = {
        "MessageSid": sid,
        "MessageStatus": status,
        "AccountSid": "AC" + "1" * 32,
        "To": NUMBER,
        "From": "+443069990000",
    }
    if error_code:
        form["ErrorCode"] = str(error_code)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form) if signed else "bad"
    return client.post(
        url.removeprefix(PUBLIC_BASE_URL),
        data=form,
        base_url=PUBLIC_BASE_URL,
        headers={"X-Twilio-Signature": signature},
    )


def _status(db, message_id) -> str:
    db.expire_all()
    return db.get(Message, message_id).status


def _reviews(db) -> list[Task]:
    db.expire_all()
    return db.scalars(select(Task).where(Task.kind == "review")).all()


def test_a_delivered_report_marks_the_text_delivered(client, runtime, db):
    message_id = _text(runtime)

    assert _report(client, message_id, "delivered").status_code == 204

    assert _status(db, message_id) == "delivered"
    [text] = messages.texts_for_contact(db, db.get(Message, message_id).contact_id)
    assert (text.status_words, text.not_sent, text.problem) == ("Delivered", False, None)


def test_an_undelivered_text_is_shown_with_why_and_a_manager_is_asked_to_look(client, runtime, db):
    message_id = _text(runtime)

    _report(client, message_id, "undelivered", error_code=30006)

    assert _status(db, message_id) == "undelivered"
    [text] = messages.texts_for_contact(db, db.get(Message, message_id).contact_id)
    assert (text.status_words, text.tag_class, text.not_sent) == (
        "Not delivered",
        "govuk-tag--red",
        True,
    )
    assert text.problem == (
        "Not delivered: Twilio sent it, but this number cannot receive "
        "texts (a landline, perhaps) (Twilio 30006)."
    )
    [review] = _reviews(db)
    assert review.contact_id == db.get(Message, message_id).contact_id


def test_an_undelivered_text_for_a_contact_with_a_task_open_is_shown_there_not_reviewed(
    client, runtime, db
):
    message_id = _text(runtime, with_open_task=True)

    _report(client, message_id, "failed", error_code=30005)

    assert _status(db, message_id) == "undelivered"
    assert _reviews(db) == []


@pytest.mark.parametrize(
    "reports, final",
    [
        (["sent", "delivered", "sent", "queued"], "delivered"),  # late ones change nothing
        (["undelivered", "delivered"], "undelivered"),  # the first final report stands
        (["delivered", "delivered"], "delivered"),  # repeated
        (["queued", "sending", "sent"], "sent"),
    ],
)
def test_reports_out_of_order_or_repeated_never_go_back(reports, final, client, runtime, db):
    message_id = _text(runtime)

    for report in reports:
        assert _report(client, message_id, report, error_code=30003).status_code == 204

    assert _status(db, message_id) == final
    assert len(_reviews(db)) == (1 if final == "undelivered" else 0)


def test_a_report_settles_a_text_not_confirmed_as_sent(client, runtime, db):
    message_id = _text(runtime, status="unconfirmed", provider_sid=None)

    _report(client, message_id, "sent")

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.provider_sid, message.next_try_at) == ("sent", SID, None)


def test_a_report_on_a_text_waiting_for_another_try_settles_it_so_it_is_not_sent_twice(
    client, runtime, db
):
    """A try Twilio answered with a 5xx (passing, so tried again) may have been taken all the
    same, as when a gateway in front of Twilio timed out: its report proves it was."""
    message_id = _text(runtime, status="pending", provider_sid=None)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        uow.session.get(Message, message_id).next_try_at = NOW
        uow.commit()

    _report(client, message_id, "delivered")

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.provider_sid, message.next_try_at) == ("delivered", SID, None)
    assert messages.due_for_sending(db, NOW) == []


def test_a_report_on_a_text_never_tried_changes_nothing(client, runtime, db):
    message_id = _text(runtime, status="pending", provider_sid=None)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        uow.session.get(Message, message_id).tries = 0
        uow.commit()

    _report(client, message_id, "delivered")

    assert _status(db, message_id) == "pending"


@pytest.mark.parametrize(
    "case", ["bad signature", "another text's sid", "no such text", "not an id", "unknown status"]
)
def test_forged_stray_or_odd_reports_change_nothing(case, client, runtime, db):
    message_id = _text(runtime)
    if case == "bad signature":
        response = _report(client, message_id, "undelivered", signed=False)
        assert response.status_code == 403
    elif case == "another text's sid":
        response = _report(client, message_id, "undelivered", sid="SM" + "b" * 32)
    elif case == "no such text":
        response = _report(client, message_id + 1000, "undelivered")
    elif case == "not an id":
        response = _report(client, "1 OR 1=1", "undelivered")
    else:
        response = _report(client, message_id, "exploded")
    if case != "bad signature":
        assert response.status_code == 204  # Twilio is answered, so it does not retry

    assert _status(db, message_id) == "sent"
    assert _reviews(db) == []


def test_reports_are_logged_by_id_never_number(client, runtime, db, caplog):
    message_id = _text(runtime)

    with caplog.at_level("DEBUG"):
        _report(client, message_id, "undelivered", error_code=30003)

    assert f"message {message_id} not delivered (error 30003)" in caplog.text
    assert "7400" not in caplog.text and "example.org" not in caplog.text

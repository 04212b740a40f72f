"""A delivery report that arrives while the sending worker still waits on Twilio's answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from callrouter.db.models import Contact, Message, Task
from callrouter.services import messages
from callrouter.services.unit_of_work import NoDispatcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SID = "SM" + "b" * 32


def _pending(runtime) -> int:
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
            to_number="+447400123456",
            from_number="+443069990000",
            body="Ref: https://example.org/eform",
            status="pending",
            tries=0,
            created_at=NOW,
        )
        uow.session.add(message)
        uow.commit()
        return message.id


class _ReportedBeforeAnswer:
    """Twilio takes the text and its report comes in before the worker reads the answer."""

    def __init__(self, runtime, reported, error_code=None):
        self.runtime, self.reported, self.error_code = runtime, reported, error_code

    def send_sms(self, to, from_, body, message_id):
        with self.runtime.unit_of_work(NoDispatcher()) as uow:
            messages.record_delivery_report(
                uow, message_id, SID, self.reported, self.error_code, NOW, self.runtime.flows
            )
        return SID


def _send(runtime, message_id, gateway) -> str:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return messages.send_message(
            uow, message_id, gateway, clock=lambda: NOW, flows=runtime.flows
        )


def test_a_not_delivered_report_before_the_answer_is_not_undone_by_it(runtime, db):
    message_id = _pending(runtime)

    _send(runtime, message_id, _ReportedBeforeAnswer(runtime, "undelivered", 30006))

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.error_code, message.provider_sid) == ("undelivered", 30006, SID)
    assert len(db.scalars(select(Task).where(Task.kind == "review")).all()) == 1


def test_a_delivered_report_before_the_answer_is_kept(runtime, db):
    message_id = _pending(runtime)

    _send(runtime, message_id, _ReportedBeforeAnswer(runtime, "delivered"))

    db.expire_all()
    assert db.get(Message, message_id).status == "delivered"


class _ReportedThenNoAnswer(_ReportedBeforeAnswer):
    """Twilio takes the text and reports it, but its answer to our request never comes."""

    def send_sms(self, to, from_, body, message_id):
        super().send_sms(to, from_, body, message_id)
        raise messages.UnconfirmedSendError("No answer from Twilio: ReadTimeout")


def test_a_report_then_no_answer_leaves_it_sent_so_it_is_never_sent_again(
    runtime, settings, fake_twilio, db
):
    """Left unconfirmed with Twilio's id already on it, the check would take its own text in
    the records for another of ours, find nothing else, and send it again."""
    message_id = _pending(runtime)

    _send(runtime, message_id, _ReportedThenNoAnswer(runtime, "sent"))

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.provider_sid, message.next_try_at) == ("sent", SID, None)


def _unconfirmed(runtime) -> int:
    message_id = _pending(runtime)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        message = uow.session.get(Message, message_id)
        message.status, message.tries, message.claimed_at = "unconfirmed", 1, NOW
        message.next_try_at = NOW + messages.CHECK_AFTER
        uow.commit()
    return message_id


class _ReportedWhileRecordsRead(_ReportedBeforeAnswer):
    """The report on a text not confirmed comes while its check reads Twilio's records."""

    def __init__(self, runtime, reported, records):
        super().__init__(runtime, reported)
        self.records = records

    def texts_sent_to(self, to, from_):
        with self.runtime.unit_of_work(NoDispatcher()) as uow:
            messages.record_delivery_report(
                uow, self.message_id, SID, self.reported, None, NOW, self.runtime.flows
            )
        return self.records


def _check(runtime, message_id, gateway) -> str:
    gateway.message_id = message_id
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return messages.send_message(
            uow, message_id, gateway, clock=lambda: NOW + messages.CHECK_AFTER, flows=runtime.flows
        )


def test_a_delivered_report_during_a_check_is_kept(runtime, db):
    message_id = _unconfirmed(runtime)
    held = messages.ProviderText(SID, "Ref: https://example.org/eform", NOW)

    _check(
        runtime,
        message_id,
        _ReportedWhileRecordsRead(
            runtime, "delivered", messages.ProviderRecords((held,), complete=True)
        ),
    )

    db.expire_all()
    assert db.get(Message, message_id).status == "delivered"


def test_a_report_during_a_check_whose_records_lag_stops_a_second_send(runtime, db):
    """Records read before Twilio lists the text show nothing since the try; the report,
    which came meanwhile, proves it went."""
    message_id = _unconfirmed(runtime)

    _check(
        runtime,
        message_id,
        _ReportedWhileRecordsRead(runtime, "sent", messages.ProviderRecords((), complete=True)),
    )

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.provider_sid, message.tries) == ("sent", SID, 1)

"""The outbox: sending a text message at most once, and saying plainly when it was not sent.

A text is tried a few times, across worker runs and sweeps, with a wait between tries; when the
tries run out, or Twilio refuses it for good, it is marked failed with Twilio's error. A try
that may have reached Twilio but got no answer is marked unconfirmed and is never simply made
again: a few minutes later Twilio's own records are read. A text of ours found there is
marked sent; with no text at all to that number since the try, it cannot have gone, and it is
tried again; anything else (records not readable, or a text there we cannot match) leaves it
unconfirmed for good. Twilio's delivery reports then say whether a sent text reached the
phone; one the phone company could not deliver (a number no longer in use, a phone off for
days) is as good as not sent. Staff see a contact's texts on its task page; a text not sent or
not delivered with no open task asks for a review.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from callrouter.db.models import Message, Task
from callrouter.domain.flows import FlowRegistry
from callrouter.domain.timescales import parse_timescale
from callrouter.services import outcomes
from callrouter.services.allocation import OPEN_STATUSES
from callrouter.services.tasks import flow_for
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_TRIES = 5
# The wait after the 1st, 2nd, 3rd and 4th failed try: a blip at Twilio passes within minutes;
# a fault that outlasts them all (about 50 minutes) is something staff must hear about.
RETRY_WAITS = (
    timedelta(minutes=1),
    timedelta(minutes=4),
    timedelta(minutes=15),
    timedelta(minutes=30),
)
# A try takes seconds (the Twilio client gives up after 10): a try begun this long ago and
# still sending belongs to a worker that died.
STALLED_AFTER = timedelta(minutes=10)
NOT_SENT = ("failed", "unconfirmed", "undelivered")
# Twilio's delivery reports, in the order a text goes through them; a report that comes late,
# after one further on, changes nothing. "delivered" and "undelivered" (or "failed") are final.
DELIVERY_STAGES = {
    "queued": 0,
    "accepted": 0,
    "scheduled": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 3,
}
# What a final report makes of the text in our outbox.
DELIVERY_OUTCOMES = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "undelivered",
}
# Twilio's records are read this long after an unconfirmed try began: the try's request has been
# answered or dropped long before (the client waits 10 s), so a text it made is there to see.
CHECK_AFTER = timedelta(minutes=5)
# Reading them again while they cannot be read, or hold a text we cannot match, until this long
# after the try began; then the text stays unconfirmed and staff are asked to look.
CHECK_EVERY = timedelta(minutes=5)
CHECK_FOR = timedelta(hours=1)
# Our clock and Twilio's may differ a little: texts created this much before the try count too.
CLOCK_MARGIN = timedelta(minutes=5)
# A text not sent is something to put right, not a risk to a child: a manager looks within a
# working day. The caller's level could give an hour of clock time, due at night with no
# manager on shift, and every manager would be told of a breach no one could prevent.
TEXT_REVIEW_TIMESCALE = parse_timescale("1 working day")


@dataclass(frozen=True)
class ProviderText:
    """A text the provider holds: its id, its body (None or altered if it redacts bodies)."""

    sid: str
    body: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class ProviderRecords:
    """The provider's texts to one number from one sender; `complete` is False when there were
    more than it gave, so a text not among them may still exist."""

    texts: tuple[ProviderText, ...]
    complete: bool


class SmsGateway(Protocol):
    """Sends one text and returns the provider's id for it; reads back what it has sent."""

    def send_sms(self, to: str, from_: str | None, body: str, message_id: int) -> str:
        """Send; `message_id` lets the provider's delivery report name our message."""
        ...

    def texts_sent_to(self, to: str, from_: str | None) -> ProviderRecords:
        """Return the newest texts to `to` from `from_`; raise SendError if they cannot be read."""
        ...


class SendError(Exception):
    """The provider did not take the message. `detail` is stored and shown: no number, no body."""

    def __init__(self, detail: str, code: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code


class PermanentSendError(SendError):
    """The provider refused the message for good (bad number, blocked, bad account): no retry."""


class PassingSendError(SendError):
    """The provider was busy, down or not reached: another try later may send it."""


class UnconfirmedSendError(SendError):
    """The request may have reached the provider, but no answer said whether it took the
    message (no answer in time, the connection dropped while waiting): it may have gone, so
    it is never tried again."""


def send_message(
    uow: UnitOfWork,
    message_id: int,
    gateway: SmsGateway | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    flows: FlowRegistry | None = None,
) -> str:
    """Take a message's next step, if it is due: try a pending message once (with no gateway,
    record a dry run), or read Twilio's records for an unconfirmed one.

    `flows` lets a text that cannot be sent ask a manager for a review; without it the failure
    is only recorded on the message.
    """
    now = clock()
    if _claim_check(uow, message_id, now):
        uow.session.commit()  # no one else reads the records for it meanwhile
        message = uow.session.get(Message, message_id)
        _check_with_provider(uow, message, gateway, now, flows)
        uow.commit()
        return message.status
    if not _claim(uow, message_id, now):
        uow.session.rollback()
        message = uow.session.get(Message, message_id)
        return message.status if message else "missing"
    uow.session.commit()  # the claim, and the try it uses, stand before the provider is called
    message = uow.session.get(Message, message_id)
    if gateway is None:
        message.status = "dry_run"
        message.sent_at = now
        uow.commit()
        log.info(
            "dry run: message %s recorded in the outbox, not sent (no Twilio credentials)",
            message_id,
        )
        return message.status
    sid: str | None = None
    outcome: SendError | None = None
    try:
        sid = gateway.send_sms(message.to_number, message.from_number, message.body, message.id)
    except SendError as error:
        outcome = error
    except Exception as error:  # noqa: BLE001 (kept as not confirmed, below)
        # A fault of ours or the library's, perhaps after Twilio took the text (reading its
        # answer, say): nothing says it did not go, so it is not tried again. Its text may
        # hold the number, so keep only its kind.
        outcome = UnconfirmedSendError(f"Unexpected {type(error).__name__}")
    if not _still(uow, message_id, "sending"):
        # A delivery report came while we waited on Twilio's answer and settled the text as
        # sent (or further on): our answer must not undo it. Left unconfirmed with Twilio's id
        # already on it, a check would take the text in Twilio's records for another of ours
        # and send it again.
        uow.session.rollback()
        log.info("message %s settled by a delivery report during its try", message_id)
        return uow.session.get(Message, message_id).status
    if isinstance(outcome, PermanentSendError):
        _give_up(uow, message, outcome, now, flows)
    elif isinstance(outcome, PassingSendError):
        _try_again_later(uow, message, outcome, now, flows)
    elif outcome is not None:
        _leave_unconfirmed(uow, message, outcome, now, flows)
    else:
        _mark_sent(message, sid, clock())
    uow.commit()
    return message.status


def _still(uow: UnitOfWork, message_id: int, status: str) -> bool:
    """Hold a message we are settling until our outcome is committed, if it still has the
    status we settle it from: a delivery report (webhook) may have marked it sent meanwhile."""
    return bool(
        uow.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == status)
            .values(status=status)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _claim(uow: UnitOfWork, message_id: int, now: datetime) -> bool:
    """Take a pending message whose try is due, counting the try, so no one else sends it."""
    return bool(
        uow.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == "pending", _try_is_due(now))
            .values(status="sending", tries=Message.tries + 1, claimed_at=now, next_try_at=None)
        ).rowcount
    )


def _try_is_due(now: datetime):
    return or_(Message.next_try_at.is_(None), Message.next_try_at <= now)


def _claim_check(uow: UnitOfWork, message_id: int, now: datetime) -> bool:
    """Take an unconfirmed message whose check is due, holding it until the next would be."""
    return bool(
        uow.session.execute(
            update(Message)
            .where(Message.id == message_id, _check_is_due(now))
            .values(next_try_at=now + CHECK_EVERY)
        ).rowcount
    )


def _check_is_due(now: datetime):
    # An unconfirmed text with no next_try_at is settled: it is never checked or sent again.
    return and_(Message.status == "unconfirmed", Message.next_try_at <= now)


def _mark_sent(message: Message, sid: str, now: datetime) -> None:
    message.provider_sid = sid
    message.status = "sent"
    message.sent_at = now
    message.next_try_at = None  # a check of the records held it
    message.error = None  # a passing fault before does not matter now
    message.error_code = None
    log.info("message %s sent on try %s", message.id, message.tries)


def _try_again_later(
    uow: UnitOfWork, message: Message, error: SendError, now: datetime, flows: FlowRegistry | None
) -> None:
    """Put the message back to wait for its next try, or give up if that was the last."""
    if message.tries >= MAX_TRIES:
        _give_up(uow, message, error, now, flows)
        return
    message.status = "pending"
    _record_error(message, error)  # kept while it waits, so staff can see why
    message.next_try_at = now + RETRY_WAITS[min(message.tries, len(RETRY_WAITS)) - 1]
    uow.enqueue_after_commit("send_message", message.id, at=message.next_try_at)
    log.warning(
        "message %s not sent on try %s of %s (error %s); next try at %s",
        message.id,
        message.tries,
        MAX_TRIES,
        error.code,
        message.next_try_at,
    )


def _give_up(
    uow: UnitOfWork, message: Message, error: SendError, now: datetime, flows: FlowRegistry | None
) -> None:
    """Mark the message failed for good, keeping the last error, and make sure staff see it."""
    message.status = "failed"
    message.next_try_at = None
    _record_error(message, error)
    log.warning(
        "message %s failed after %s tries (error %s)", message.id, message.tries, error.code
    )
    _make_sure_staff_look(uow, message, now, flows)


def _leave_unconfirmed(
    uow: UnitOfWork, message: Message, error: SendError, now: datetime, flows: FlowRegistry | None
) -> None:
    """Mark a text Twilio may have taken as unconfirmed, not to be tried again unless Twilio's
    records show it never went; they are read once the try has surely ended."""
    message.status = "unconfirmed"
    _record_error(message, error)
    _check_later(uow, message, max(now, _tried_at(message, now) + CHECK_AFTER))
    log.warning(
        "message %s not confirmed on try %s (%s); Twilio's records read at %s",
        message.id,
        message.tries,
        error.detail,
        message.next_try_at,
    )


def _tried_at(message: Message, now: datetime) -> datetime:
    return message.claimed_at or now


def _check_later(uow: UnitOfWork, message: Message, at: datetime) -> None:
    message.next_try_at = at
    uow.enqueue_after_commit("send_message", message.id, at=at)


def _check_with_provider(
    uow: UnitOfWork,
    message: Message,
    gateway: SmsGateway | None,
    now: datetime,
    flows: FlowRegistry | None,
) -> None:
    """Settle an unconfirmed text from Twilio's records: sent, tried again, or checked later."""
    # Left sending before tries were timed (migration 0008): any text in the records may be it.
    since = message.claimed_at - CLOCK_MARGIN if message.claimed_at else None
    if gateway is None:
        _stop_checking(uow, message, now, flows, "no Twilio account to ask")
        return
    try:
        records = gateway.texts_sent_to(message.to_number, message.from_number)
    except SendError as error:
        _check_again_or_stop(uow, message, now, flows, f"records not read: {error.detail}")
        return
    except Exception as error:  # noqa: BLE001 (a fault of ours or the library's: ask later)
        _check_again_or_stop(
            uow, message, now, flows, f"records not read: Unexpected {type(error).__name__}"
        )
        return
    if not _still(uow, message.id, "unconfirmed"):
        # A delivery report came while the records were read: it settled the text as sent,
        # and records read a moment before Twilio listed the text must not undo that.
        uow.session.rollback()
        log.info("message %s settled by a delivery report during its check", message.id)
        return
    found = _find_in_records(uow.session, message, records, since)
    if found.text is not None:
        _mark_sent(message, found.text.sid, found.text.created_at or now)
        log.info("message %s found in Twilio's records: it was sent", message.id)
    elif found.none_since:
        _try_again_as_never_sent(uow, message, now, flows)
    else:
        _check_again_or_stop(uow, message, now, flows, found.why_unsure)


@dataclass(frozen=True)
class _Finding:
    text: ProviderText | None = None  # ours, found
    none_since: bool = False  # no text of any kind to that number since the try
    why_unsure: str = ""


def _find_in_records(
    session: Session, message: Message, records: ProviderRecords, since: datetime | None
) -> _Finding:
    """Look for the message among the provider's texts to its number since its try began.

    Texts already matched to other messages of ours (by their ids) are not it. Only when
    there is no other text at all is it known not to have gone: a text whose body we cannot
    match (a provider that redacts bodies, say) might be it.
    """
    recent = [
        text
        for text in records.texts
        if since is None or text.created_at is None or text.created_at >= since
    ]
    known = (
        set(
            session.scalars(
                select(Message.provider_sid).where(
                    Message.provider_sid.in_([t.sid for t in recent])
                )
            ).all()
        )
        if recent
        else set()
    )
    unmatched = [text for text in recent if text.sid not in known]
    for text in unmatched:
        if text.body == message.body:
            return _Finding(text=text)
    if unmatched:
        return _Finding(why_unsure=f"{len(unmatched)} text(s) in Twilio's records not matched")
    if not records.complete:
        return _Finding(why_unsure="Twilio's records were more than one page")
    return _Finding(none_since=True)


def _try_again_as_never_sent(
    uow: UnitOfWork, message: Message, now: datetime, flows: FlowRegistry | None
) -> None:
    error = PassingSendError("Twilio has no record of it: it was not sent")
    log.info("message %s not in Twilio's records: it never went", message.id)
    if message.tries >= MAX_TRIES:
        _give_up(uow, message, error, now, flows)
        return
    message.status = "pending"
    _record_error(message, error)
    message.next_try_at = now
    uow.enqueue_after_commit("send_message", message.id)


def _check_again_or_stop(
    uow: UnitOfWork, message: Message, now: datetime, flows: FlowRegistry | None, why: str
) -> None:
    next_check = now + CHECK_EVERY
    if message.claimed_at is None or next_check > message.claimed_at + CHECK_FOR:
        _stop_checking(uow, message, now, flows, why)
        return
    _check_later(uow, message, next_check)
    log.info(
        "message %s still not confirmed (%s); checked again at %s", message.id, why, next_check
    )


def _stop_checking(
    uow: UnitOfWork, message: Message, now: datetime, flows: FlowRegistry | None, why: str
) -> None:
    """Leave the text unconfirmed for good, never sent again, and make sure staff see it."""
    message.next_try_at = None
    log.warning("message %s left unconfirmed, not sent again (%s)", message.id, why)
    _make_sure_staff_look(uow, message, now, flows)


def _record_error(message: Message, error: SendError) -> None:
    message.error = error.detail[:200]
    message.error_code = error.code


def _make_sure_staff_look(
    uow: UnitOfWork, message: Message, now: datetime, flows: FlowRegistry | None
) -> None:
    """Ask a manager to review a contact whose text was not sent, unless a task is open for it.

    An open task's page lists the contact's texts, so whoever works it sees the failure (a
    missed call-back text always comes with a review). With none open nobody would look, and
    a caller told "we have sent you a text" would wait for a link that never comes.
    """
    open_task = uow.session.scalar(
        select(Task.id)
        .where(Task.contact_id == message.contact_id, Task.status.in_(OPEN_STATUSES))
        .limit(1)
    )
    if open_task is not None:
        return
    if flows is None:
        log.warning("message %s not sent and no flows to open a review with", message.id)
        return
    contact = message.contact
    review = outcomes.create_review(
        uow, contact, flow_for(flows, contact), now, timescale=TEXT_REVIEW_TIMESCALE
    )
    log.info("message %s not sent: review task %s opened", message.id, review.id)


def record_delivery_report(
    uow: UnitOfWork,
    message_id: int,
    sid: str,
    reported: str,
    error_code: int | None,
    now: datetime,
    flows: FlowRegistry | None = None,
) -> str | None:
    """Take Twilio's report on a text it was given; return the text's status (None: not ours).

    Reports come out of order and more than once: only one further on than the last counts.
    A report proves Twilio took the text, so a text not confirmed (or still marked sending,
    when the report beats our own record of the send, or waiting for another try) is sent. A text not delivered is shown
    as such and, with no task open for its contact, asks a manager to look.
    """
    message = uow.session.get(Message, message_id)
    stage = DELIVERY_STAGES.get(reported)
    if message is None or stage is None or not sid:
        log.info("delivery report for message %s ignored (%s)", message_id, reported)
        return message.status if message else None
    if message.provider_sid not in (None, sid):
        log.warning("delivery report for message %s names another text; ignored", message_id)
        return message.status
    # A text waiting for another try after one Twilio answered with an error (a 5xx from a
    # gateway in front of it, say) may have been taken all the same: the report proves it was,
    # and the next try would text the caller twice.
    tried_before = message.status == "pending" and (message.tries or 0) > 0
    if message.status in ("sending", "unconfirmed") or tried_before:
        _mark_sent(message, sid, now)
        log.info("message %s confirmed sent by Twilio's delivery report", message_id)
    if message.status not in ("sent", "delivered", "undelivered"):
        return message.status  # a dry run or failed text has no report to take
    if stage <= _stage_of(message) or reported not in DELIVERY_OUTCOMES:
        uow.commit()
        return message.status
    message.status = DELIVERY_OUTCOMES[reported]
    if message.status == "undelivered":
        code = error_code or None
        _record_error(
            message, SendError(f"Twilio {code or ''}: not delivered".replace(" :", ":"), code)
        )
        log.warning("message %s not delivered (error %s)", message_id, code)
        _make_sure_staff_look(uow, message, now, flows)
    else:
        log.info("message %s delivered", message_id)
    uow.commit()
    return message.status


def _stage_of(message: Message) -> int:
    return DELIVERY_STAGES["delivered"] if message.status != "sent" else DELIVERY_STAGES["sent"]


def settle_stalled_sends(
    uow: UnitOfWork, now: datetime, flows: FlowRegistry | None = None
) -> list[int]:
    """Mark texts whose sender died mid-try as unconfirmed, to be checked; return their ids.

    Twilio may have taken the text before the worker died: its id is saved only with "sent",
    so nothing here says whether it did. Sending again could give the caller a second text
    from children's services on a phone others may read; not sending could leave them
    without it. Twilio's records decide (send_message), and until they do it is not sent.
    """
    candidates = uow.session.scalars(select(Message.id).where(_stalled(now))).all()
    settled = [message_id for message_id in candidates if _mark_unconfirmed(uow, message_id, now)]
    for message_id in settled:
        log.warning(
            "message %s stalled mid-send; marked unconfirmed, Twilio's records to be read",
            message_id,
        )
    uow.commit()
    return settled


def _stalled(now: datetime):
    # No claimed_at: left sending before tries were kept (migration 0008), so long ago.
    return and_(
        Message.status == "sending",
        or_(Message.claimed_at.is_(None), Message.claimed_at < now - STALLED_AFTER),
    )


def _mark_unconfirmed(uow: UnitOfWork, message_id: int, now: datetime) -> bool:
    """Settle one stalled message, unless its worker finished it after all."""
    return bool(
        uow.session.execute(
            update(Message)
            .where(Message.id == message_id, _stalled(now))
            .values(
                status="unconfirmed",
                error="Sending stopped part way: the worker died",
                error_code=None,
                next_try_at=now,
            )  # the try began long enough ago to check
        ).rowcount
    )


def due_for_sending(session: Session, now: datetime) -> list[int]:
    """Return the messages whose next try, or check of Twilio's records, is due (the sweep
    queues them)."""
    return list(
        session.scalars(
            select(Message.id)
            .where(or_(and_(Message.status == "pending", _try_is_due(now)), _check_is_due(now)))
            .order_by(Message.id)
        ).all()
    )


# What staff read for each Twilio error code a send can meet; other codes read generically.
PLAIN_ERRORS = {
    20003: "our Twilio account details were refused",
    20429: "Twilio was too busy",
    20500: "Twilio had a fault",
    20503: "Twilio was not available",
    21211: "this is not a valid phone number",
    21214: "this number cannot be reached",
    21408: "we cannot text numbers in this country",
    21606: "our sending number cannot send texts",
    21610: "the caller has stopped texts from us (they replied STOP)",
    21612: "this number cannot receive texts from us",
    21614: "this number cannot receive texts",
    21617: "the text was too long",
    21661: "our sending number cannot send texts",
    # Delivery reports: the phone company's answer after Twilio sent it on.
    30003: "the phone was off or out of reach for too long",
    30004: "the phone blocks texts from us",
    30005: "this number is not in use",
    30006: "this number cannot receive texts (a landline, perhaps)",
    30007: "the phone company filtered it out",
    30008: "the phone company did not say why",
}
PURPOSES = {
    "eform": "Request-for-support form link",
    "signpost": "Local resources link",
    "missed_callback": "Missed call-back",
}
# status: (words on the tag, GOV.UK tag colour class)
STATUS_TAGS = {
    "pending": ("Waiting to send", "govuk-tag--grey"),
    "sending": ("Sending", ""),  # the plain tag is blue
    "sent": ("Sent", "govuk-tag--green"),
    "delivered": ("Delivered", "govuk-tag--green"),
    "undelivered": ("Not delivered", "govuk-tag--red"),
    "dry_run": ("Not sent: test mode", "govuk-tag--grey"),
    "failed": ("Not sent", "govuk-tag--red"),
    "unconfirmed": ("Not confirmed", "govuk-tag--yellow"),
}


@dataclass(frozen=True)
class TextSummary:
    """One text to a contact as staff see it: never its body or the number it went to."""

    id: int
    kind: str
    status: str
    status_words: str
    tag_class: str
    problem: str | None
    tries: int
    created_at: datetime
    sent_at: datetime | None
    next_try_at: datetime | None

    @property
    def not_sent(self) -> bool:
        return self.status in NOT_SENT


def texts_for_contact(session: Session, contact_id: int) -> list[TextSummary]:
    """Return a contact's texts, oldest first, with their status and any problem in words."""
    rows = session.scalars(
        select(Message).where(Message.contact_id == contact_id).order_by(Message.id)
    ).all()
    return [_summary(message) for message in rows]


def _summary(message: Message) -> TextSummary:
    words, tag = STATUS_TAGS.get(message.status, (message.status, "govuk-tag--grey"))
    return TextSummary(
        id=message.id,
        kind=PURPOSES.get(message.purpose, message.purpose.replace("_", " ").capitalize()),
        status=message.status,
        status_words=words,
        tag_class=tag,
        problem=problem_in_words(message),
        tries=message.tries or 0,
        created_at=message.created_at,
        sent_at=message.sent_at,
        next_try_at=message.next_try_at,
    )


def problem_in_words(message: Message) -> str | None:
    """Say, for staff, why a text was not sent or is still waiting; None when nothing is wrong."""
    if message.status == "unconfirmed" and message.next_try_at is not None:
        return (
            "Not confirmed yet: sending stopped part way. Twilio's records are being "
            "checked; it is sent again only if they show it never went, so the caller is "
            "not texted twice."
        )
    if message.status == "unconfirmed":
        # The same words whether the worker died or Twilio did not answer: either way no one
        # knows if the caller has the text, and they will not be sent it twice.
        return (
            "Not confirmed: sending stopped part way, and Twilio's records could not "
            "show whether it went. It was not sent again, so the caller is not texted "
            "twice."
        )
    if message.status == "dry_run":
        return "Not sent: no Twilio account is set up, so texts are only recorded."
    if message.status not in ("failed", "pending", "undelivered") or not message.error:
        return None
    reason = (
        _undelivered_reason(message.error_code)
        if message.status == "undelivered"
        else _reason(message.error_code)
    )
    if message.error_code is not None:
        reason = f"{reason} (Twilio {message.error_code})"
    if message.status == "pending":
        return f"Waiting to send: the last try failed because {reason}."
    if message.status == "undelivered":
        return f"Not delivered: Twilio sent it, but {reason}."
    if message.tries > 1:
        return f"Not sent after {message.tries} tries: {reason}"
    return f"Not sent: {reason}"


def _undelivered_reason(code: int | None) -> str:
    if code is None:
        return PLAIN_ERRORS[30008]
    return PLAIN_ERRORS.get(code, "the phone company could not deliver it")


def _reason(code: int | None) -> str:
    if code is None:
        return "Twilio did not answer"
    if code in PLAIN_ERRORS:
        return PLAIN_ERRORS[code]
    if code == 429:
        return PLAIN_ERRORS[20429]
    if 500 <= code < 600:  # an answer with no Twilio code carries the HTTP status instead
        return PLAIN_ERRORS[20500]
    return "Twilio did not accept it"

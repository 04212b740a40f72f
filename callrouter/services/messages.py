"""The outbox: sending a text message at most once, and saying plainly when it was not sent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import update

from callrouter.db.models import Message
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    """Sends one text and returns the provider's id for it."""

    def send_sms(self, to: str, from_: str | None, body: str) -> str: ...


class PermanentSendError(Exception):
    """The provider refused the message for good (bad number, blocked): do not retry."""


def send_message(
    uow: UnitOfWork,
    message_id: int,
    gateway: SmsGateway | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """Send a pending message once; with no gateway, record it as a dry run."""
    claimed = uow.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "pending")
        .values(status="sending")
    ).rowcount
    if not claimed:
        uow.session.rollback()
        message = uow.session.get(Message, message_id)
        return message.status if message else "missing"
    uow.session.commit()  # the claim stands before the provider is called: a rerun skips it
    message = uow.session.get(Message, message_id)
    if gateway is None:
        message.status = "dry_run"
        message.sent_at = clock()
        uow.commit()
        log.info("dry run: message %s recorded in the outbox, not sent (no Twilio credentials)",
                 message_id)
        return message.status
    try:
        message.provider_sid = gateway.send_sms(message.to_number, message.from_number,
                                                message.body)
    except PermanentSendError as error:
        message.status = "failed"
        message.error = str(error)[:200]
        uow.commit()
        log.warning("message %s refused by the provider", message_id)
        return message.status
    except Exception:
        # Back to pending so the retry (or the sweep) sends it; the error propagates for RQ.
        message.status = "pending"
        uow.commit()
        raise
    message.status = "sent"
    message.sent_at = clock()
    uow.commit()
    log.info("message %s sent", message_id)
    return message.status

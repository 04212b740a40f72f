"""Twilio Messaging webhooks: the delivery report on each text we sent (its status callback)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request

from callrouter.runtime import Runtime
from callrouter.services import messages

sms = Blueprint("twilio_sms", __name__, url_prefix="/twilio/sms")


@sms.post("/status")
def delivery_report():
    """Record how far a text got; a report for no text of ours still gets a 2xx, so Twilio
    does not retry it."""
    message_id = request.args.get("message", "")
    form = request.form
    if message_id.isdigit():
        runtime: Runtime = current_app.extensions["callrouter.runtime"]
        error_code = form.get("ErrorCode", "")
        with runtime.unit_of_work(current_app.extensions["callrouter.dispatcher"]) as uow:
            messages.record_delivery_report(
                uow,
                int(message_id),
                form.get("MessageSid", ""),
                form.get("MessageStatus", ""),
                int(error_code) if error_code.isdigit() else None,
                datetime.now(UTC),
                runtime.flows,
            )
    return Response(status=204)

"""Twilio Voice webhooks: the number's Voice URL, its status callback, and each turn's action."""

from __future__ import annotations

import logging
from functools import partial

from flask import Blueprint, Response, current_app, request

from callrouter.domain.ivr import Recording, Reply
from callrouter.services.calls import CallService
from webhooks.twiml import render

log = logging.getLogger(__name__)

voice = Blueprint("twilio_voice", __name__, url_prefix="/twilio/voice")


def _calls() -> CallService:
    return current_app.extensions["callrouter.calls"]


def _twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _render():
    return partial(render, base_url=current_app.config["PUBLIC_BASE_URL"])


def _answer_or_apologise(work) -> Response:
    """Run a turn; whatever fails inside, the caller hears an apology and reaches a person."""
    try:
        return _twiml(work())
    except Exception:
        log.exception("voice webhook failed for %s; apologising and transferring", request.path)
        spoken = _calls().apologise(request.form.get("CallSid"), request.form.get("To"))
        return _twiml(_render()(spoken))


@voice.post("")
def incoming_call():
    """Answer a new call with the flow for the number called."""
    form = request.form
    return _answer_or_apologise(
        lambda: _calls().start(form["CallSid"], form.get("From"), form.get("To"), _render())
    )


@voice.post("/step")
def caller_replied():
    """Take the caller's keys, words or recording for the question they were asked."""
    form = request.form
    reply = Reply(
        digits=form.get("Digits", ""),
        speech=form.get("SpeechResult", ""),
        recording=_recording(form),
    )
    return _answer_or_apologise(
        lambda: _calls().reply(
            form["CallSid"], _turn(), request.args.get("node", ""), reply, _render()
        )
    )


@voice.post("/dial")
def transfer_ended():
    """Hear how a transfer to a team went."""
    form = request.form
    return _answer_or_apologise(
        lambda: _calls().dial_ended(
            form["CallSid"], _turn(), form.get("DialCallStatus", "failed"), _render()
        )
    )


@voice.post("/status")
def call_status():
    """Follow the call's status; an ended call closes its contact, keeping what was captured."""
    form = request.form
    sequence = form.get("SequenceNumber")
    _calls().status_changed(
        form.get("CallSid", ""),
        form.get("CallStatus", ""),
        int(sequence) if sequence and sequence.isdigit() else None,
    )
    return Response(status=204)


def _turn() -> int:
    value = request.args.get("turn", "0")
    return int(value) if value.isdigit() else 0


def _recording(form) -> Recording | None:
    if not form.get("RecordingSid"):
        return None
    duration = form.get("RecordingDuration", "0")
    return Recording(
        sid=form["RecordingSid"],
        url=form.get("RecordingUrl", ""),
        duration=int(duration) if duration.isdigit() else 0,
    )

"""Twilio signature checking, attached to whole blueprints so no route can forget it."""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def signed_url() -> str:
    """Return the URL Twilio signed: the public base URL, never what a proxy handed us."""
    base = current_app.config["PUBLIC_BASE_URL"]
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def require_twilio_signature(app: Flask, blueprint_name: str) -> None:
    """Refuse, with 403 and before any work, every request to a blueprint not signed by Twilio."""

    def _check_signature():
        validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if request.method != "POST" or not validator.validate(
            signed_url(), request.form.to_dict(flat=True), signature
        ):
            log.warning("refused an unsigned or badly signed request to %s", request.path)
            abort(403)

    app.before_request_funcs.setdefault(blueprint_name, []).append(_check_signature)

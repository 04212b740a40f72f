"""Text messages through the real twilio library; its API address can point at a local fake."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from callrouter.config import Settings
from callrouter.services.messages import PermanentSendError

# The twilio library logs request parameters, phone numbers among them, at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

TWILIO_API = "https://api.twilio.com"
# Twilio error codes that no retry will cure: invalid number, not a mobile, opted out.
PERMANENT_ERROR_CODES = frozenset({21211, 21214, 21408, 21610, 21612, 21614})


class ApiBaseHttpClient(TwilioHttpClient):
    """Send the library's requests to another base address (a local fake, a test double)."""

    def __init__(self, api_base: str, **kwargs):
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client(settings: Settings) -> Client:
    """Build the twilio REST client for these settings."""
    http_client = (
        ApiBaseHttpClient(settings.twilio_api_url, timeout=10)
        if settings.twilio_api_url
        else TwilioHttpClient(timeout=10)
    )
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


class TwilioSmsGateway:
    """Send texts with Twilio's Messages API."""

    def __init__(self, settings: Settings):
        self.client = twilio_client(settings)

    def send_sms(self, to: str, from_: str | None, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=from_, body=body)
        except TwilioRestException as error:
            if error.code in PERMANENT_ERROR_CODES:
                raise PermanentSendError(f"twilio error {error.code}") from error
            raise
        return message.sid

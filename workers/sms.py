"""Text messages through the real twilio library; its API address can point at a local fake."""

from __future__ import annotations

import logging
import re

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from callrouter.config import Settings
from callrouter.services.messages import (
    PassingSendError,
    PermanentSendError,
    ProviderRecords,
    ProviderText,
    SendError,
    UnconfirmedSendError,
)

# The twilio library logs request parameters, phone numbers among them, at INFO; urllib3 logs
# each request's address at DEBUG, and reading Twilio's records puts the number in it.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)

TWILIO_API = "https://api.twilio.com"
TOO_MANY_REQUESTS = 429
# One caller's number gets a handful of texts from us; a page this size holds them all.
RECORDS_PAGE_SIZE = 100
LIBRARY_PREFIX = "Unable to create record: "
# Seven or more digits, maybe with a + and spaces: a phone number in Twilio's words ("The 'To'
# number +44 7400 123456 is not..."); error codes (five digits) are left alone.
PHONE_NUMBER = re.compile(r"\+?\d[\d ()-]{5,}\d")
# Errors raised before a byte is sent: no connection in time, or an address that cannot be
# used (our settings' fault, but then nothing reached Twilio either).
NEVER_SENT = (
    requests.ConnectTimeout,
    requests.exceptions.URLRequired,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
)


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
        self.public_base_url = settings.public_base_url.rstrip("/")

    def send_sms(self, to: str, from_: str | None, body: str, message_id: int) -> str:
        try:
            message = self.client.messages.create(
                to=to,
                from_=from_,
                body=body,
                status_callback=delivery_report_url(self.public_base_url, message_id),
            )
        except (TwilioRestException, TwilioServiceException) as error:
            raise twilio_refusal(error) from error
        except requests.RequestException as error:
            raise no_answer(error) from error
        return message.sid

    def texts_sent_to(self, to: str, from_: str | None) -> ProviderRecords:
        """Read Twilio's newest texts to `to` from `from_` (one page, newest first)."""
        try:
            page = self.client.messages.page(
                to=to, from_=from_ or values.unset, page_size=RECORDS_PAGE_SIZE
            )
            texts = tuple(ProviderText(m.sid, m.body, m.date_created) for m in page)
        except (TwilioRestException, TwilioServiceException) as error:
            raise twilio_refusal(error) from error
        except TwilioException as error:  # an answer that was not a page of texts
            raise PassingSendError(f"Twilio's records not read: {type(error).__name__}") from error
        except requests.RequestException as error:
            raise PassingSendError(f"No answer from Twilio: {type(error).__name__}") from error
        return ProviderRecords(texts, complete=page.next_page_url is None)


def delivery_report_url(public_base_url: str, message_id: int) -> str:
    """Where Twilio reports on a text: our id in the query, an opaque number (TWILIO.md)."""
    return f"{public_base_url}/twilio/sms/status?message={int(message_id)}"


def no_answer(error: requests.RequestException) -> SendError:
    """Sort a request Twilio gave no answer to: only one that never left us may be tried again.

    The twilio library lets requests' errors through as they are. Once the request may have
    reached Twilio (no answer in time, the connection dropped while waiting), Twilio may have
    taken the text: trying again could text the caller twice, so it is left unconfirmed.
    """
    detail = f"No answer from Twilio: {type(error).__name__}"
    if _never_sent(error):
        return PassingSendError(detail)
    return UnconfirmedSendError(detail)


def _never_sent(error: requests.RequestException) -> bool:
    """Whether no connection to Twilio was made, so the request cannot have reached it."""
    if isinstance(error, NEVER_SENT):
        return True
    # Refused, or the name not found: requests wraps urllib3's error, whose reason says which
    # step failed. A connection that failed part way (reset, closed, a TLS fault) is not this.
    cause = error.args[0] if error.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def twilio_refusal(error: TwilioRestException | TwilioServiceException) -> SendError:
    """Sort Twilio's error answer: a 4xx is for good (the same request would fail the same
    way), except 429, rate limited; a 5xx is Twilio's own fault and may pass."""
    code = error.code or error.status
    detail = f"Twilio {code}: {without_numbers(_twilio_words(error))}"
    if 400 <= error.status < 500 and error.status != TOO_MANY_REQUESTS:
        return PermanentSendError(detail, code)
    return PassingSendError(detail, code)


def _twilio_words(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return error.detail or error.title or ""
    # The library puts its own words before Twilio's message; they say nothing more.
    return (error.msg or "").removeprefix(LIBRARY_PREFIX)


def without_numbers(text: str) -> str:
    """Take phone numbers out of Twilio's message, so it can be stored, logged and shown."""
    return PHONE_NUMBER.sub("[number]", text)

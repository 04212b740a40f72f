"""A local softphone: rings the app exactly as Twilio would, for people without a Twilio account.

It signs each form post with the auth token, follows the TwiML it gets back, and lets a person
(or a test) press keys, speak by typing, leave a recording, or hang up.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

# (url, form, headers) -> (status, body)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


@dataclass
class Screen:
    """What the caller heard in the last TwiML document, and what it waits for."""

    status: int
    said: list[str] = field(default_factory=list)
    gather: dict[str, str] | None = None
    record: dict[str, str] | None = None
    dial: dict[str, str] | None = None
    redirect: str | None = None
    hung_up: bool = False
    xml: ET.Element | None = None

    @property
    def text(self) -> str:
        return " ".join(self.said)

    @property
    def waiting_for(self) -> str:
        if self.gather is not None:
            return "speech" if self.gather.get("input") == "speech" else "keys"
        if self.record is not None:
            return "recording"
        if self.dial is not None:
            return "transfer"
        return "nothing"


def parse_twiml(status: int, body: str) -> Screen:
    """Read a TwiML response into what a caller would hear and be asked."""
    screen = Screen(status=status)
    if status != 200:
        return screen
    root = ET.fromstring(body)
    screen.xml = root
    if root.tag != "Response":
        raise ValueError("TwiML root is not <Response>")
    for verb in root:
        if verb.tag == "Say":
            screen.said.append(verb.text or "")
        elif verb.tag == "Gather":
            screen.said.extend(say.text or "" for say in verb.iter("Say"))
            screen.gather = dict(verb.attrib)
        elif verb.tag == "Record":
            screen.record = dict(verb.attrib)
        elif verb.tag == "Dial":
            screen.dial = dict(verb.attrib)
            screen.dial["number"] = (verb.findtext("Number") or verb.text or "").strip()
        elif verb.tag == "Redirect":
            screen.redirect = (verb.text or "").strip()
        elif verb.tag == "Hangup":
            screen.hung_up = True
    return screen


def http_transport(url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
    """Post a form over HTTP to a running app."""
    request = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Softphone:
    """One call to the advice line, driven a step at a time."""

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        caller: str,
        called: str,
        transport: Transport = http_transport,
        call_sid: str | None = None,
        account_sid: str = "AC" + "0" * 32,
    ):
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.caller = caller
        self.called = called
        self.transport = transport
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.account_sid = account_sid
        self.screen: Screen | None = None
        self.sequence = 0
        self.recordings = 0

    # -- what a caller does -----------------------------------------------------------------

    def ring(self) -> Screen:
        """Place the call."""
        return self._go(self.base_url + "/twilio/voice", {"CallStatus": "ringing"})

    def press(self, keys: str) -> Screen:
        """Press keys in answer to the question asked."""
        return self._go(self._action("gather"), {"Digits": keys})

    def say(self, words: str) -> Screen:
        """Answer by speech (typed here), as Twilio's speech recognition would pass it on."""
        return self._go(self._action("gather"), {"SpeechResult": words, "Confidence": "0.9"})

    def stay_silent(self) -> Screen:
        """Say nothing: Twilio posts an empty result, or follows the redirect after a Record."""
        if self.screen and self.screen.record is not None:
            return self._go(self.screen.redirect, {})
        return self._go(self._action("gather"), {"Digits": ""})

    def leave_recording(self, seconds: int = 20) -> Screen:
        """Leave a recorded message (the recording itself is not made; its ids are)."""
        self.recordings += 1
        sid = f"RE{secrets.token_hex(16)}"
        return self._go(
            self._action("record"),
            {
                "RecordingSid": sid,
                "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}"
                f"/Recordings/{sid}",
                "RecordingDuration": str(seconds),
                "Digits": "#",
            },
        )

    def transfer_result(self, dial_status: str) -> Screen:
        """Report how the transfer went: completed, busy, no-answer or failed."""
        return self._go(self._action("dial"), {"DialCallStatus": dial_status})

    def hang_up(self, status: str = "completed") -> int:
        """End the call; Twilio then posts the status callback."""
        self.sequence += 1
        code, _ = self._post(
            self.base_url + "/twilio/voice/status",
            self._form(
                {"CallStatus": status, "SequenceNumber": str(self.sequence), "CallDuration": "60"}
            ),
        )
        return code

    def replay_last(self) -> Screen:
        """Send the last request again, as Twilio does when a webhook is slow."""
        url, form = self._last
        return parse_twiml(*self._post(url, form))

    # -- plumbing ----------------------------------------------------------------------------

    def _action(self, kind: str) -> str:
        screen = self.screen
        if screen is None:
            raise RuntimeError("the call has not started")
        verb = {"gather": screen.gather, "record": screen.record, "dial": screen.dial}[kind]
        if verb is None or "action" not in verb:
            raise RuntimeError(
                f"the line is not waiting for {kind}; it waits for {screen.waiting_for}"
            )
        return verb["action"]

    def _go(self, url: str, extra: dict[str, str]) -> Screen:
        form = self._form(extra)
        self._last = (url, form)
        self.screen = parse_twiml(*self._post(url, form))
        return self.screen

    def _form(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "CallSid": self.call_sid,
            "From": self.caller,
            "To": self.called,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress",
            **extra,
        }

    def _post(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        signature = self.validator.compute_signature(url, form)
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return self.transport(url, form, headers)


def path_of(url: str) -> str:
    """Return the path and query of a URL, for transports that take only those."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")

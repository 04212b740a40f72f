"""Turn what the call service wants said into TwiML."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from callrouter.services.calls import Spoken

GATHER_INPUT = {"keys": "dtmf", "speech": "speech", "keys_or_speech": "dtmf speech"}


def render(spoken: Spoken, base_url: str) -> str:
    """Build the TwiML document for one turn of a call."""
    response = VoiceResponse()
    voice = {"voice": spoken.voice} if spoken.voice else {}
    for text in spoken.speech:
        response.say(text, language="en-GB", **voice)
    if spoken.ask is not None:
        _ask(response, spoken, base_url, voice)
    elif spoken.transfer is not None:
        dial_options = {"timeout": 25}
        if spoken.turn:
            dial_options |= {"action": _url(base_url, "dial", turn=spoken.turn), "method": "POST"}
        response.dial(**dial_options).number(spoken.transfer.number)
    else:
        response.hangup()
    return str(response)


def _ask(response: VoiceResponse, spoken: Spoken, base_url: str, voice: dict) -> None:
    ask = spoken.ask
    action = _url(base_url, "step", node=ask.node, turn=spoken.turn)
    if ask.mode == "record":
        response.say(ask.prompt, language="en-GB", **voice)
        response.record(
            action=action,
            method="POST",
            max_length=ask.max_seconds or 120,
            finish_on_key=ask.finish_on_key or "#",
            timeout=ask.timeout_seconds,
            play_beep=True,
        )
    else:
        options = {
            "input": GATHER_INPUT[ask.mode],
            "action": action,
            "method": "POST",
            "timeout": ask.timeout_seconds,
            "action_on_empty_result": True,
            "language": "en-GB",
        }
        if ask.num_digits:
            options["num_digits"] = ask.num_digits
        if ask.finish_on_key:
            options["finish_on_key"] = ask.finish_on_key
        if ask.mode != "keys":
            options["speech_timeout"] = "auto"
        if ask.hints:
            options["hints"] = ", ".join(ask.hints)
        gather = Gather(**options)
        gather.say(ask.prompt, language="en-GB", **voice)
        response.append(gather)
    # Twilio carries on after a Gather or Record that got nothing: come back as "no input".
    response.redirect(action, method="POST")


def _url(base_url: str, step: str, **params) -> str:
    return f"{base_url}/twilio/voice/{step}?{urlencode(params)}"

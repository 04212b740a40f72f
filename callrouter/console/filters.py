"""Template filters: times, numbers and levels as a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Flask

from callrouter.domain.speech import repeated_hour_zone
from callrouter.domain.vocabulary import PLAIN_LEVEL_NAMES

LONDON = ZoneInfo("Europe/London")
LEVEL_SHORT = {
    "s47": "Section 47",
    "s17": "Section 17",
    "level3": "Level 3",
    "level2": "Level 2",
    "level1": "Level 1",
    "public_concern": "Not yet screened",
}


def when(value: datetime | None) -> str:
    """Return a time as '2:05pm, 3 March 2026' in UK time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return (
        f"{local.strftime('%-I:%M%p').lower()}{repeated_hour_zone(local)}, {local.day} "
        f"{local.strftime('%B %Y')}"
    )


def clock(value: datetime | None, now: datetime | None = None) -> str:
    """Return a time as '14:05' in UK time, saying the day when it is not today."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    text = local.strftime("%H:%M") + repeated_hour_zone(local)
    today = (now or datetime.now(UTC)).astimezone(LONDON).date()
    if local.date() == today:
        return text
    if (local.date() - today).days == 1:
        return f"{text} tomorrow"
    return f"{text} on {local.day} {local.strftime('%B')}"


def duration(seconds: int) -> str:
    """Return a span of time in words: '1 hour 5 minutes', '45 minutes'."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts[:2])


def phone(value: str | None) -> str:
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


# Coded answers the flows capture, in the words a duty worker reads; others show as given.
ANSWER_WORDS = {
    "professional": "Professional",
    "public": "Member of the public",
    "checs": "ChECS (consultation service)",
    "family_help": "Family Help",
    "social_care": "Open to children's social care",
    "early_help": "Open to early help",
    "none": "Not open to a service",
    "given": "Parents know and agree",
    "refused": "Parents do not agree",
    "not_sought": "Parents not asked",
}


def answer_words(value) -> str:
    """Say a captured answer in plain words."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, str):
        return ANSWER_WORDS.get(value, value)
    return str(value)


def register(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(phone, "phone")
    app.add_template_filter(answer_words, "answer_words")
    app.add_template_filter(lambda v: LEVEL_SHORT.get(v or "", v or "Not given"), "level_short")
    app.add_template_filter(lambda v: PLAIN_LEVEL_NAMES.get(v or "", ""), "level_plain")
    app.add_template_filter(lambda v: datetime.now(UTC) if v is None else v, "or_now")

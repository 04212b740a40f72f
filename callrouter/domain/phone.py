"""UK phone numbers: which we may call or text, stored as E.164, read back digit by digit."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Twilio's forms of a withheld caller id.
WITHHELD_CALLER_IDS = frozenset(
    {"", "anonymous", "restricted", "unknown", "+266696687", "266696687"}
)

CALLABLE_TYPES = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.UAN,  # 03 numbers: councils, schools and health services use them
        PhoneNumberType.VOIP,  # 056 numbers
        PhoneNumberType.TOLL_FREE,
    }
)


class InvalidNumber(ValueError):
    """A number we could not, or must not, call back."""


def is_withheld(caller_id: str | None) -> bool:
    """Say whether a caller id is one of the forms a withheld number arrives in."""
    return (caller_id or "").strip().lower() in WITHHELD_CALLER_IDS


def parse_callable_uk_number(text: str) -> str:
    """Return a keyed-in or caller-id number as E.164 if it is a UK number we may call back."""
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if not digits:
        raise InvalidNumber("no number given")
    try:
        parsed = phonenumbers.parse(digits, "GB")
    except NumberParseException as error:
        raise InvalidNumber("not a phone number") from error
    if parsed.country_code != 44 or not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid UK number")
    if phonenumbers.number_type(parsed) not in CALLABLE_TYPES:
        raise InvalidNumber("a premium, personal or special number we cannot call")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def usable_caller_id(caller_id: str | None) -> str | None:
    """Return the caller id as a callable E.164 number, or None if withheld or not callable."""
    if is_withheld(caller_id):
        return None
    try:
        return parse_callable_uk_number(caller_id or "")
    except InvalidNumber:
        return None


def is_mobile(e164: str | None) -> bool:
    """Say whether a number can receive a text message."""
    if not e164:
        return False
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE


def national_digits(e164: str) -> str:
    """Return a number in UK national form without spaces, such as 07400123456."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(
        " ", ""
    )


def speakable(e164: str) -> str:
    """Return a number as a speech engine should read it: digit by digit, in groups."""
    parsed = phonenumbers.parse(e164, None)
    groups = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).split()
    return ", ".join(" ".join(group) for group in groups)


def speakable_ending(e164: str, count: int = 3) -> str:
    """Return the last digits of a number, spaced for speech."""
    return " ".join(national_digits(e164)[-count:])

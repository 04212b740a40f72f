"""Which numbers we may call or text back, and how they are read to the caller."""

import pytest

from callrouter.domain.phone import (
    InvalidNumber,
    is_mobile,
    is_withheld,
    parse_callable_uk_number,
    speakable,
    usable_caller_id,
)


@pytest.mark.parametrize(
    "keyed, e164",
    [
        ("07400123456", "+447400123456"),
        ("07400 123 456", "+447400123456"),
        ("+447400123456", "+447400123456"),
        ("01134960123", "+441134960123"),
        ("03001236720", "+443001236720"),  # 0300: councils and schools
        ("08081570000", "+448081570000"),  # freephone
    ],
)
def test_a_diallable_uk_number_is_stored_as_e164(keyed, e164):
    assert parse_callable_uk_number(keyed) == e164


@pytest.mark.parametrize(
    "keyed",
    [
        "",
        "12",
        "07700900123",  # Ofcom drama range: not a real number
        "01632960123",  # Ofcom drama range
        "09001234567",  # premium rate
        "07012345678",  # personal number, not a mobile
        "+12025550123",  # not UK
        "0740012345678",  # too long
    ],
)
def test_a_number_we_must_not_call_is_refused(keyed):
    with pytest.raises(InvalidNumber):
        parse_callable_uk_number(keyed)


@pytest.mark.parametrize("caller_id", ["anonymous", "", None, "+266696687", "Restricted"])
def test_every_form_of_a_withheld_caller_id_is_recognised(caller_id):
    assert is_withheld(caller_id)
    assert usable_caller_id(caller_id) is None


def test_only_mobiles_can_be_texted():
    assert is_mobile("+447400123456")
    assert not is_mobile("+441134960123")
    assert not is_mobile("+443001236720")
    assert not is_mobile(None)


def test_a_number_is_read_back_digit_by_digit_in_its_groups():
    assert speakable("+447400123456") == "0 7 4 0 0, 1 2 3 4 5 6"
    assert speakable("+441134960123") == "0 1 1 3, 4 9 6, 0 1 2 3"

"""What a caller, or a stray request, gets when the input is wrong: a clear answer, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time

from callrouter.db.models import CallTurn, Contact, Task
from callrouter.services import escalation
from callrouter.services.calls import CallService
from callrouter.services.unit_of_work import NoDispatcher
from tests.conftest import PUBLIC_BASE_URL
from tests.webhooks.calls import (
    CHECS,
    NOT_OPEN,
    PROFESSIONAL,
    S47,
    count,
    only_contact,
    professional_to_level,
    row_counts,
)

ADVISORS = "+443069990001"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_first_question_is_a_gather_that_comes_back_even_on_silence(dial):
    screen = dial().ring()

    root = screen.xml
    assert root.tag == "Response"
    assert [verb.tag for verb in root] == ["Say", "Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.get("input") == "dtmf speech"
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("method") == "POST"
    assert _query(gather.get("action")) == {"node": "caller_type", "turn": "1"}
    assert gather.get("action").startswith(PUBLIC_BASE_URL + "/twilio/voice/step?")
    assert "press 1" in gather.find("Say").text
    assert root.find("Redirect").text == gather.get("action")
    assert "dial 999" in root.find("Say").text


def test_a_wrong_key_is_refused_and_the_question_asked_again(dial, db):
    phone = dial()
    phone.ring()
    screen = phone.press("9")

    assert screen.said[0] == "Sorry, that is not one of the options."
    assert _query(screen.gather["action"])["node"] == "caller_type"
    assert only_contact(db).failures == 1
    screen = phone.press(PROFESSIONAL)
    assert _query(screen.gather["action"])["node"] == "service"
    assert only_contact(db).failures == 0


def test_star_repeats_the_question_without_counting_against_the_caller(dial, db):
    phone = dial()
    first = phone.ring()
    again = phone.press("*")

    assert again.gather["action"] != first.gather["action"]  # a new turn
    assert _query(again.gather["action"])["node"] == "caller_type"
    assert only_contact(db).failures == 0


def test_a_spoken_answer_is_understood_by_its_synonyms(dial):
    phone = dial()
    phone.ring()
    screen = phone.say("I'm a teacher calling from school")

    assert _query(screen.gather["action"])["node"] == "service"


def test_silence_is_prompted_again_then_the_caller_is_put_through_to_a_person(dial, db):
    phone = dial()
    phone.ring()
    screen = phone.stay_silent()
    assert screen.said[0] == "Sorry, I did not hear a choice."
    assert screen.gather is not None

    screen = phone.stay_silent()
    assert screen.gather is None
    assert screen.dial["number"] == ADVISORS
    assert "put you through to an advisor" in screen.text
    assert only_contact(db).redirected_to == "advisors"


def test_an_invalid_call_back_number_is_refused_and_asked_for_again(dial, db):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S47)
    phone.press("2")  # give a different number
    screen = phone.press("07700900123#")  # Ofcom drama range: not a real number

    assert "not a UK phone number we can call back" in screen.text
    assert "key in the phone number" in screen.text
    screen = phone.press("09001234567#")  # premium rate
    assert screen.dial["number"] == ADVISORS  # second failure: a person takes over

    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S47)
    phone.press("2")
    screen = phone.press("01134960123#")
    assert "You entered 0 1 1 3, 4 9 6, 0 1 2 3" in screen.text
    screen = phone.press("2")  # wrong: enter it again
    assert "key in the phone number" in screen.text
    phone.press("0113 496 0124#".replace(" ", ""))
    phone.press("1")
    db.expire_all()
    second = db.query(Contact).filter(Contact.call_sid == phone.call_sid).one()
    assert second.answers["callback_number"] == "+441134960124"


def test_an_age_out_of_range_is_asked_for_again(dial, db):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S47)
    phone.press("1")
    phone.say("Jo")
    phone.say("Nurse")
    phone.say("Sam")
    screen = phone.press("45#")

    assert "from 0 to 18" in screen.text
    assert "age" in screen.text


def test_a_caller_who_hangs_up_half_way_leaves_a_partial_contact(dial, db, jobs):
    phone = dial()
    phone.ring()
    phone.press(PROFESSIONAL)
    phone.press(CHECS)
    assert phone.hang_up() == 204
    jobs()

    contact = only_contact(db)
    assert contact.status == "closed"
    assert contact.outcome == "abandoned"
    assert contact.answers == {"caller_type": "professional", "service": "checs"}
    assert contact.tasks == []


def test_a_section_47_caller_who_hangs_up_after_giving_a_number_still_gets_a_call_back(dial, db):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S47)
    phone.press("1")
    phone.say("Jo Bloggs")
    phone.hang_up()

    contact = only_contact(db)
    assert contact.outcome == "abandoned"
    assert contact.answers["caller_name"] == "Jo Bloggs"
    [task] = contact.tasks
    assert (task.kind, task.role, task.callback_number) == (
        "callback",
        "social_worker",
        "+447400123456",
    )


def test_a_withheld_number_is_never_offered_called_or_texted(dial, db, jobs, fake_twilio):
    phone = dial(caller="anonymous")
    screen = professional_to_level(phone, CHECS, NOT_OPEN, S47)

    assert "calling from" not in screen.text
    assert "key in the phone number" in screen.text
    phone.hang_up()
    jobs()

    contact = only_contact(db)
    assert contact.caller_id_withheld
    assert contact.from_number is None
    [task] = contact.tasks
    assert (task.kind, task.role, task.callback_number) == ("review", "practice_manager", None)
    assert fake_twilio.messages == []


@pytest.mark.parametrize(
    ("caller", "kind"), [("+447400123456", "callback"), ("anonymous", "review")]
)
def test_a_call_whose_end_is_never_reported_is_owed_its_call_back_from_the_call_not_the_sweep(
    dial, db, runtime, caller, kind
):
    heard_last = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    phone = dial(caller=caller)
    with freeze_time(heard_last):
        professional_to_level(phone, CHECS, NOT_OPEN, S47)
        phone.press("1" if kind == "callback" else "07400123456#")
    # Twilio's status callback never comes; the sweep closes the call two hours on.
    swept = heard_last + timedelta(hours=2, minutes=1)
    with freeze_time(swept):
        runtime.calls(NoDispatcher()).close_stale(swept - timedelta(hours=2))

    [task] = only_contact(db).tasks
    assert task.kind == kind
    # Section 47: within the hour of the call, so already overdue, not due an hour from now.
    assert task.due_at == heard_last + timedelta(hours=1)
    assert task.warn_at <= task.due_at < swept
    assert task.created_at == swept
    with runtime.unit_of_work(NoDispatcher()) as uow:  # the same sweep's deadline check
        assert [e.kind for e in escalation.check_deadlines(uow, swept)] == ["breach"]


def test_a_repeated_webhook_delivery_gets_the_same_answer_and_changes_nothing(dial, db):
    phone = dial()
    phone.ring()
    first = phone.press(PROFESSIONAL)
    before = row_counts(db)
    turn_before = only_contact(db).turn

    again = phone.replay_last()

    assert again.xml is not None
    assert again.gather == first.gather
    assert again.said == first.said
    assert row_counts(db) == before
    assert only_contact(db).turn == turn_before
    phone.replay_last()
    assert count(db, CallTurn) == before["call_turns"]


def test_a_repeated_first_webhook_creates_no_second_contact(dial, db):
    phone = dial()
    first = phone.ring()
    again = phone.replay_last()

    assert again.gather == first.gather
    assert count(db, Contact) == 1


def test_a_bad_signature_gets_403_and_writes_nothing(client, db):
    form = {"CallSid": "CA" + "f" * 32, "From": "+447400123456", "To": "+443069990000"}
    for headers in ({"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, {}):
        response = client.post("/twilio/voice", data=form, headers=headers)
        assert response.status_code == 403
    response = client.post("/twilio/voice/status", data={**form, "CallStatus": "completed"})
    assert response.status_code == 403
    assert row_counts(db) == {"contacts": 0, "tasks": 0, "messages": 0, "call_turns": 0}


def test_a_request_signed_for_another_url_is_refused(dial, db):
    phone = dial()
    phone.base_url = "https://attacker.example.com"
    phone.transport = _resign_to_app(phone)
    screen = phone.ring()

    assert screen.status == 403
    assert count(db, Contact) == 0


def _resign_to_app(phone):
    original = phone.transport

    def transport(url, form, headers):
        return original(url.replace("https://attacker.example.com", PUBLIC_BASE_URL), form, headers)

    return transport


def test_a_late_status_callback_does_not_reopen_a_closed_call(dial, db):
    phone = dial()
    phone.ring()
    phone.sequence = 5
    phone.hang_up("completed")
    phone.sequence = 1
    phone.hang_up("ringing")

    contact = only_contact(db)
    assert (contact.status, contact.call_status, contact.last_status_sequence) == (
        "closed",
        "completed",
        6,
    )


def test_a_status_callback_for_an_unknown_call_still_gets_a_2xx(dial, db):
    phone = dial(call_sid="CA" + "9" * 32)
    assert phone.hang_up() == 204
    assert count(db, Contact) == 0


def test_when_something_fails_inside_the_caller_hears_an_apology_and_reaches_a_person(
    dial, db, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(CallService, "start", broken)
    screen = dial().ring()

    assert screen.status == 200
    assert screen.said[0] == "Sorry, something went wrong on our side."
    assert screen.dial["number"] == ADVISORS
    assert count(db, Task) == 0

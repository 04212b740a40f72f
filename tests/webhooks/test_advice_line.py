"""Whole calls through the signed voice webhooks, ending as the council's rules demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from callrouter.db.models import Contact, Message, Task
from tests.conftest import MOBILE
from tests.webhooks.calls import (
    CHECS,
    FAMILY_HELP,
    LEVEL2,
    LEVEL3,
    NOT_OPEN,
    OPEN_TO_EARLY_HELP,
    OPEN_TO_SOCIAL_CARE,
    PUBLIC,
    S17,
    S47,
    count,
    give_details,
    only_contact,
    professional_to_level,
)

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SOCIAL_CARE_TEAM = "+443069990002"
EARLY_HELP_TEAM = "+443069990003"
ADVISORS = "+443069990001"


def test_a_section_47_call_becomes_a_social_worker_call_back_due_within_the_hour(dial, db):
    phone = dial()
    with freeze_time(MONDAY_10AM):
        professional_to_level(phone, CHECS, NOT_OPEN, S47)
        end = give_details(phone, consent="3")

    assert "A social worker will call you back on 0 7 4 0 0, 1 2 3 4 5 6 by 11:00 today" in end.text
    assert end.hung_up
    contact = only_contact(db)
    assert contact.outcome == "callback"
    assert contact.answers["level"] == "s47"
    assert contact.answers["caller_name"] == "Jo Bloggs"
    assert contact.answers["caller_agency"] == "Teacher at Brook Primary School"
    assert contact.answers["child_name"] == "Sam Smith"
    assert contact.answers["child_age"] == 7
    assert contact.answers["consent"] == "not_sought"
    assert "risk" in contact.answers["consent_reason"]
    assert contact.answers["summary"]["duration_seconds"] == 45
    assert contact.answers["summary"]["recording_sid"].startswith("RE")
    assert " ".join(contact.reference) in end.text
    [task] = contact.tasks
    assert (task.kind, task.role, task.level, task.status) == (
        "callback",
        "social_worker",
        "s47",
        "unallocated",
    )
    assert task.callback_number == MOBILE
    assert task.due_at == MONDAY_10AM + timedelta(hours=1)
    assert contact.messages == []


def test_a_child_in_need_call_is_logged_for_information_and_sent_the_eform(
    dial, db, jobs, fake_twilio
):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S17)
    end = give_details(phone, consent="1")
    jobs()

    assert "cannot be made by phone" in end.text
    assert "for information only" in end.text
    assert "We have sent you a text message with the link." in end.text
    contact = only_contact(db)
    assert (contact.outcome, contact.routed_team) == ("information_only", "social_work")
    assert contact.answers["consent"] == "given"
    assert contact.tasks == []
    [sms] = fake_twilio.messages
    assert sms["To"] == MOBILE
    assert sms["From"] == "+443069990000"
    assert contact.reference in sms["Body"]
    assert "https://example.org/children/request-for-support" in sms["Body"]
    [message] = contact.messages
    assert (message.purpose, message.status) == ("eform", "sent")
    assert message.provider_sid.startswith("SM")


def test_a_level_3_call_is_shared_with_the_support_hub_for_information_only(
    dial, db, jobs, fake_twilio
):
    phone = dial()
    professional_to_level(phone, FAMILY_HELP, NOT_OPEN, LEVEL3)
    give_details(phone)
    jobs()

    contact = only_contact(db)
    assert (contact.outcome, contact.routed_team) == ("information_only", "support_hub")
    assert contact.answers["level"] == "level3"
    assert len(fake_twilio.messages) == 1


def test_a_level_2_caller_who_wants_advice_gets_an_early_help_call_back_within_48_hours(
    dial, db, jobs, fake_twilio
):
    phone = dial()
    with freeze_time(MONDAY_10AM):
        professional_to_level(phone, FAMILY_HELP, NOT_OPEN, LEVEL2)
        phone.press("1")
        end = give_details(phone)
    jobs()

    assert "support hub will call you back" in end.text
    assert "10:00 on Wednesday 25 November" in end.text
    contact = only_contact(db)
    [task] = contact.tasks
    assert (contact.outcome, task.role) == ("callback", "early_help_worker")
    assert task.due_at == MONDAY_10AM + timedelta(hours=48)
    [sms] = fake_twilio.messages
    assert "https://example.org/children/family-information" in sms["Body"]


def test_a_level_2_caller_who_wants_only_the_link_is_signposted_by_text(
    dial, db, jobs, fake_twilio
):
    phone = dial()
    professional_to_level(phone, FAMILY_HELP, NOT_OPEN, LEVEL2)
    phone.press("2")
    end = phone.press("1")  # text the number calling
    jobs()

    assert "We have sent you a text message with the link." in end.text
    contact = only_contact(db)
    assert contact.outcome == "signposted"
    assert contact.tasks == []
    assert [m["To"] for m in fake_twilio.messages] == [MOBILE]


def test_a_landline_caller_is_told_the_truth_when_no_text_can_be_sent(dial, db, jobs, fake_twilio):
    phone = dial(caller="+441134960123")
    professional_to_level(phone, CHECS, NOT_OPEN, S17)
    end = give_details(phone)
    jobs()

    assert "We cannot text that number" in end.text
    assert "We have sent" not in end.text
    assert fake_twilio.messages == []
    assert only_contact(db).messages == []


def test_a_family_open_to_social_care_is_put_through_to_its_team(dial, db):
    phone = dial()
    phone.ring()
    phone.press("1")
    phone.press(CHECS)
    screen = phone.press(OPEN_TO_SOCIAL_CARE)

    dial_verb = screen.xml.find("Dial")
    assert dial_verb.findtext("Number") == SOCIAL_CARE_TEAM
    assert dial_verb.get("action").startswith("https://frontdoor.example.org/twilio/voice/dial?")
    assert only_contact(db).outcome is None  # not redirected until the team answers
    end = phone.transfer_result("completed")
    assert end.hung_up
    contact = only_contact(db)
    assert (contact.outcome, contact.redirected_to) == ("redirected", "social_care")
    assert contact.tasks == []


@pytest.mark.parametrize("level", [S17])
def test_a_family_open_to_early_help_is_put_through_to_that_team(dial, db, level):
    phone = dial()
    screen = professional_to_level(phone, CHECS, OPEN_TO_EARLY_HELP, level)

    assert screen.dial["number"] == EARLY_HELP_TEAM
    phone.transfer_result("answered")
    assert only_contact(db).outcome == "redirected"


def test_a_family_open_to_early_help_with_a_section_47_concern_still_gets_a_mash_call_back(
    dial, db
):
    phone = dial()
    screen = professional_to_level(phone, CHECS, OPEN_TO_EARLY_HELP, S47)

    assert screen.dial is None
    assert screen.waiting_for == "keys"  # the call-back number
    give_details(phone)
    contact = only_contact(db)
    assert contact.answers["open_case"] == "early_help"
    assert contact.outcome == "callback"
    assert [task.role for task in contact.tasks] == ["social_worker"]


def test_when_the_team_does_not_answer_a_transfer_the_caller_is_not_lost(dial, db):
    phone = dial()
    phone.ring()
    phone.press("1")
    phone.press(CHECS)
    phone.press(OPEN_TO_SOCIAL_CARE)
    end = phone.transfer_result("no-answer")

    assert "nobody was free" in end.text
    assert "dial 999" in end.text
    contact = only_contact(db)
    assert contact.outcome == "abandoned"
    assert contact.redirected_to is None


def test_a_member_of_the_public_with_a_child_at_risk_now_can_stay_anonymous_and_gets_a_call_back(
    dial, db
):
    phone = dial()
    with freeze_time(MONDAY_10AM):
        phone.ring()
        phone.press(PUBLIC)
        phone.press("1")
        phone.press("1")  # the number calling
        phone.stay_silent()  # no name
        end = phone.leave_recording(60)

    assert "call you back" in end.text
    contact = only_contact(db)
    assert contact.answers["caller_type"] == "public"
    assert contact.answers["caller_name"] is None
    [task] = contact.tasks
    assert (task.level, task.role) == ("s47", "social_worker")
    assert task.due_at == MONDAY_10AM + timedelta(hours=1)
    assert task.out_of_hours_cover  # the flow asks for the EDT if the office cannot make it


def test_a_member_of_the_public_with_another_worry_gets_a_call_back_within_24_hours(dial, db):
    phone = dial()
    with freeze_time(MONDAY_10AM):
        phone.ring()
        phone.press(PUBLIC)
        phone.press("2")
        phone.press("1")
        phone.say("Alex")
        phone.leave_recording(30)

    [task] = only_contact(db).tasks
    assert task.level == "public_concern"
    assert task.due_at == MONDAY_10AM + timedelta(hours=24)
    assert not task.out_of_hours_cover  # it waits for the office, not the EDT


def test_a_call_to_an_unknown_number_is_answered_by_the_default_flow(dial, db):
    screen = dial(called="+442079460999").ring()

    assert "front door advice line" in screen.text.lower()
    assert only_contact(db).flow_name == "default"


def test_the_contacts_table_has_one_row_per_call(dial, db):
    for _ in range(3):
        dial().ring()
    assert count(db, Contact) == 3
    assert count(db, Task) == count(db, Message) == 0

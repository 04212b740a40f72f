"""Office hours through the webhooks: who answers on a weekday, a weekend, Christmas, a moved
bank holiday and either side of the October clock change; "0" and failures when shut."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.models import Contact, Task

LANCASHIRE = "+443001236720"
CUMBRIA = "+441134960200"
EDT = "+443001236722"
ADVISORS = "+443069990101"
OPEN_PROMPT = "If you are calling about your work, press 1"
CLOSED_PROMPT = "The advice line is closed."


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        pytest.param(utc(2026, 3, 10, 11, 0), True, id="a Tuesday morning"),
        pytest.param(utc(2026, 3, 10, 17, 30), False, id="a Tuesday evening"),
        pytest.param(utc(2026, 3, 14, 11, 0), False, id="a Saturday"),
        pytest.param(utc(2026, 12, 25, 11, 0), False, id="Christmas Day"),
        # Boxing Day 2026 is a Saturday: the bank holiday moves to Monday 28 December.
        pytest.param(utc(2026, 12, 28, 11, 0), False, id="the substitute Boxing Day holiday"),
        pytest.param(utc(2026, 12, 29, 11, 0), True, id="the Tuesday after it"),
        # Clocks go back at 02:00 BST on Sunday 25 October 2026.
        pytest.param(utc(2026, 10, 23, 8, 30), True, id="Friday 09:30 BST before the change"),
        pytest.param(utc(2026, 10, 23, 15, 45), False, id="Friday 16:45 BST after closing"),
        pytest.param(utc(2026, 10, 26, 8, 30), False, id="Monday 08:30 GMT after the change"),
        pytest.param(utc(2026, 10, 26, 9, 30), True, id="Monday 09:30 GMT after the change"),
    ],
)
def test_the_line_answers_by_the_office_calendar(dial, moment, is_open):
    with freeze_time(moment):
        screen = dial(called=LANCASHIRE).ring()
    assert (OPEN_PROMPT in screen.text) is is_open
    assert (CLOSED_PROMPT in screen.text) is not is_open


def test_a_council_closure_day_shuts_that_council_only(dial):
    christmas_eve = utc(2026, 12, 24, 11, 0)
    with freeze_time(christmas_eve):
        assert "The duty desk is closed." in dial(called=CUMBRIA).ring().text
        assert OPEN_PROMPT in dial(called=LANCASHIRE).ring().text


def test_out_of_hours_an_urgent_caller_is_put_through_to_the_emergency_duty_team(dial, db):
    with freeze_time(utc(2026, 3, 14, 23, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        screen = phone.press("1")
    assert screen.dial["number"] == EDT
    assert db.scalar(select(Contact)).redirected_to == "edt"


def test_a_message_left_on_saturday_is_called_back_on_monday_morning(dial, db):
    with freeze_time(utc(2026, 3, 14, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.press("2")
        phone.press("1")
        phone.say("Sam Taylor")
        end = phone.leave_recording(40)
    assert "call you back" in end.text
    [task] = db.scalars(select(Task)).all()
    assert task.level == "out_of_hours"
    assert task.due_at == utc(2026, 3, 16, 13, 0)  # 4 working hours from Monday 09:00 GMT


def test_zero_reaches_an_advisor_in_office_hours(dial):
    with freeze_time(utc(2026, 3, 10, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.press("1")
        screen = phone.press("0")
    assert screen.dial["number"] == ADVISORS


def test_zero_out_of_hours_leads_to_the_message_path_not_a_closed_team(dial):
    with freeze_time(utc(2026, 3, 14, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        screen = phone.press("0")
    assert screen.dial is None
    assert "To be called back on the number you are calling from" in screen.text


def test_two_failures_reach_an_advisor_in_hours_and_the_message_path_out_of_hours(dial):
    with freeze_time(utc(2026, 3, 10, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.press("7")
        assert phone.stay_silent().dial["number"] == ADVISORS
    with freeze_time(utc(2026, 3, 14, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.press("7")
        screen = phone.stay_silent()
    assert screen.dial is None
    assert "closed" in screen.text
    assert screen.waiting_for == "keys"  # the message path's number question


def test_a_caller_who_cannot_go_on_in_the_message_path_is_told_how_to_get_help(dial, db):
    with freeze_time(utc(2026, 3, 14, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.press("2")
        phone.press("7")
        screen = phone.stay_silent()
    assert screen.hung_up
    assert "dial 999" in screen.text


def test_speech_asking_for_a_person_reaches_an_advisor(dial):
    with freeze_time(utc(2026, 3, 10, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        screen = phone.say("can I speak to someone please")
    assert screen.dial["number"] == ADVISORS


def test_synonyms_choose_options_by_speech(dial, db):
    with freeze_time(utc(2026, 3, 10, 11, 0)):
        phone = dial(called=LANCASHIRE)
        phone.ring()
        phone.say("I'm a teacher")
        phone.say("early help")
        screen = phone.say("they have a social worker from social care")
    assert screen.dial["number"] == "+443069990102"
    assert db.scalar(select(Contact)).answers["level"] == "level2"


def test_the_front_door_opens_on_bank_holidays_only_if_a_flow_says_so():
    from callrouter.domain.flows import FlowRegistry
    from callrouter.flows_cli import PROJECT_FLOWS

    shipped = FlowRegistry.from_directory(PROJECT_FLOWS)
    assert not shipped.open_on_bank_holidays
    first = next(iter(shipped.flows.values()))
    first.spec.setdefault("calendar", {})["bank_holidays"] = "none"
    first.__dict__.pop("calendar", None)  # worked out again from the changed spec
    assert shipped.open_on_bank_holidays

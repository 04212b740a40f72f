"""Out of hours, an urgent caller put through to the Emergency Duty Team who does not answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.models import Contact, Task

SATURDAY_NIGHT = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("council", ["lancashire", "cumbria", "cheshire-east"])
def test_an_unanswered_transfer_to_the_edt_leaves_an_urgent_call_back(
        dial, db, runtime, council):
    line = runtime.flows.flows[council].numbers[0]
    with freeze_time(SATURDAY_NIGHT):
        phone = dial(called=line)
        phone.ring()
        screen = phone.press("1")  # an urgent worry about a child's safety
        assert screen.dial is not None  # put through to the EDT
        end = phone.transfer_result("no-answer")

    assert "nobody was free" in end.text and "call you back by" in end.text
    contact = db.scalar(select(Contact))
    # Kept as an abandoned call, with the call-back it is owed.
    assert (contact.outcome, contact.answers["level"]) == ("abandoned", "s47")
    task = db.scalar(select(Task))
    assert (task.kind, task.level, task.out_of_hours_cover) == ("callback", "s47", True)
    assert task.callback_number == contact.from_number
    assert task.due_at - SATURDAY_NIGHT <= timedelta(hours=2)


def test_an_answered_transfer_to_the_edt_leaves_no_call_back(dial, db, runtime):
    with freeze_time(SATURDAY_NIGHT):
        phone = dial(called=runtime.flows.flows["lancashire"].numbers[0])
        phone.ring()
        phone.press("1")
        phone.transfer_result("completed")
    assert db.scalar(select(Contact)).outcome == "redirected"
    assert db.scalar(select(Task)) is None

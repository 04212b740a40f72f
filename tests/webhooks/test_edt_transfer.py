"""Out of hours, an urgent caller put through to the Emergency Duty Team who does not answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.models import Contact, Task
from callrouter.services.unit_of_work import NoDispatcher

SATURDAY_NIGHT = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)


def put_through_to_the_edt(dial, runtime):
    """Ring Lancashire out of hours and press 1, an urgent worry: put through to the EDT."""
    phone = dial(called=runtime.flows.flows["lancashire"].numbers[0])
    phone.ring()
    phone.press("1")
    return phone


@pytest.mark.parametrize("council", ["lancashire", "cumbria", "cheshire-east"])
def test_an_unanswered_transfer_to_the_edt_leaves_an_urgent_call_back(dial, db, runtime, council):
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
        phone = put_through_to_the_edt(dial, runtime)
        phone.transfer_result("completed")
    assert db.scalar(select(Contact)).outcome == "redirected"
    assert db.scalar(select(Task)) is None


@pytest.mark.parametrize("dial_status", ["completed", "no-answer"])
def test_when_the_calls_end_is_reported_before_the_transfers_result_the_result_decides(
    dial, db, runtime, dial_status
):
    with freeze_time(SATURDAY_NIGHT):
        phone = put_through_to_the_edt(dial, runtime)
        phone.hang_up("completed")  # Twilio's status callback first
        assert db.scalar(select(Task)) is None  # nothing decided yet
        phone.transfer_result(dial_status)
    db.expire_all()
    task = db.scalar(select(Task))
    if dial_status == "completed":  # the EDT answered: nothing owed
        assert task is None and db.scalar(select(Contact)).outcome == "redirected"
    else:
        assert (task.level, task.out_of_hours_cover) == ("s47", True)


def test_a_transfer_whose_result_never_comes_is_kept_as_unanswered(dial, db, runtime):
    with freeze_time(SATURDAY_NIGHT):
        phone = put_through_to_the_edt(dial, runtime)
        phone.hang_up("completed")
    calls = runtime.calls(NoDispatcher())
    assert calls.settle_transfers(SATURDAY_NIGHT - timedelta(minutes=1)) == []
    with freeze_time(SATURDAY_NIGHT + timedelta(minutes=6)):
        assert len(calls.settle_transfers(SATURDAY_NIGHT + timedelta(minutes=1))) == 1
    db.expire_all()
    task = db.scalar(select(Task))
    assert (task.kind, task.level, task.out_of_hours_cover) == ("callback", "s47", True)


def test_two_sweeps_at_once_settle_an_unreported_transfer_once(dial, db, runtime):
    with freeze_time(SATURDAY_NIGHT):
        phone = put_through_to_the_edt(dial, runtime)
        phone.hang_up("completed")  # the Dial's own report never comes
    first, second = runtime.calls(NoDispatcher()), runtime.calls(NoDispatcher())
    ends = SATURDAY_NIGHT + timedelta(minutes=1)
    transactions = []
    opened = first.unit_of_work

    def first_settles_after_listing_but_before_its_claim():
        transactions.append(1)
        if len(transactions) == 2:  # the first sweep has listed the contact; the second runs
            assert second.settle_transfers(ends) == [contact_id]
        return opened()

    contact_id = db.scalar(select(Contact.id))
    first.unit_of_work = first_settles_after_listing_but_before_its_claim
    with freeze_time(SATURDAY_NIGHT + timedelta(minutes=6)):
        assert first.settle_transfers(ends) == []

    db.expire_all()
    assert len(db.scalars(select(Task)).all()) == 1

"""The EDT's and managers' extra lists on My call-backs, and taking a waiting call-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callrouter.db.console_models import AuditEvent, TaskReallocation
from callrouter.db.models import Escalation, Staff, Task
from callrouter.services import escalation
from callrouter.services.unit_of_work import NoDispatcher
from tests.console.conftest import (
    create_staff,
    create_task,
    create_user,
    get_page,
    post_form,
    sign_in,
)


@pytest.fixture
def edt(db):
    create_staff(db, "ed1", "Eve Duty", "edt_social_worker", team="edt")
    return create_user(
        db, "social_worker", email="edt@council.example", name="Eve Duty", staff_ref="ed1"
    )


def staff_called(db, ref: str) -> Staff:
    return db.scalar(select(Staff).where(Staff.ref == ref))


def moves(db, task_id: int) -> int:
    return db.scalar(
        select(func.count())
        .select_from(TaskReallocation)
        .where(TaskReallocation.task_id == task_id)
    )


def test_the_edt_takes_a_waiting_call_back_from_its_list(client, db, edt, social_worker_staff):
    # The front door's social worker is busy with another s47, and this one (a two-hour
    # s47, as at Cheshire East) is not yet due within the hour, so it waits.
    create_task(db, assignee=social_worker_staff, reference="BUSY47", out_of_hours_cover=True)
    waiting = create_task(
        db, due_in=timedelta(minutes=110), reference="WAIT47", out_of_hours_cover=True
    )
    sign_in(client, edt)
    soup = get_page(client, "/console/callbacks")
    row = soup.select_one(f'#waiting-rows tr[data-task-id="{waiting.id}"]')
    why = row.select_one(".console-waiting").get_text(" ", strip=True)
    assert why == (
        "Every senior social worker or social worker on shift already holds 1 open "
        "call-back; an emergency duty team social worker on shift will take it if "
        "it is still waiting when it is due within the hour"
    )
    assert row.form["action"] == f"/console/tasks/{waiting.id}/take"

    response = post_form(
        client, f"/console/tasks/{waiting.id}/take", {}, csrf_from="/console/callbacks"
    )
    assert response.headers["Location"].endswith(f"/console/tasks/{waiting.id}")
    db.expire_all()
    task = db.get(Task, waiting.id)
    assert (task.status, task.assignee_id) == ("allocated", staff_called(db, "ed1").id)
    move = db.scalar(select(TaskReallocation).where(TaskReallocation.task_id == waiting.id))
    assert (move.from_staff_id, move.to_staff_id, move.user_id) == (
        None,
        staff_called(db, "ed1").id,
        edt.id,
    )
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "task_taken")).task_id == waiting.id
    )
    page = get_page(client, f"/console/tasks/{waiting.id}")
    assert "This call-back is now yours" in page.get_text()
    assert page.select_one("#take") is None and page.select_one("#start-call")

    data = client.get("/console/callbacks.json").json
    assert [t["id"] for t in data["tasks"]] == [waiting.id]
    assert data["waiting"] == []


def test_the_task_page_offers_take_only_while_nobody_holds_it(client, db, edt, social_worker_staff):
    waiting = create_task(db, reference="WAIT47", out_of_hours_cover=True)
    held = create_task(
        db, assignee=social_worker_staff, reference="HELD47", out_of_hours_cover=True
    )
    sign_in(client, edt)
    assert get_page(client, f"/console/tasks/{waiting.id}").select_one("#take")
    assert get_page(client, f"/console/tasks/{held.id}").select_one("#take") is None


@pytest.mark.parametrize(
    "situation, message",
    [
        ("held", "Sam Worker already holds this call-back"),
        ("off shift", "You are not on shift now"),
        ("away", "You are marked away or signed off"),
        ("wrong role", "Your role and skills do not fit this call-back"),
        ("closed", "This call-back is already closed"),
    ],
)
def test_a_take_that_cannot_be_done_says_why_and_writes_nothing(
    client, db, edt, social_worker_staff, situation, message
):
    task = create_task(
        db,
        reference="TAKE47",
        out_of_hours_cover=situation != "wrong role",
        assignee=social_worker_staff if situation == "held" else None,
    )
    eve = staff_called(db, "ed1")
    if situation == "off shift":
        for shift in eve.shifts:
            shift.ends_at = datetime.now(UTC) - timedelta(minutes=1)
    elif situation == "away":
        eve.availability = "away"
        eve.availability_since = datetime.now(UTC)
    elif situation == "closed":
        task.status = "completed"
    db.commit()
    before = db.get(Task, task.id).assignee_id
    sign_in(client, edt)
    post_form(client, f"/console/tasks/{task.id}/take", {}, csrf_from="/console/callbacks")
    page = get_page(client, f"/console/tasks/{task.id}")
    assert message in page.select_one(
        ".govuk-notification-banner, .govuk-error-summary, [role=alert]"
    ).get_text(" ", strip=True)
    db.expire_all()
    assert db.get(Task, task.id).assignee_id == before
    assert moves(db, task.id) == 0
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "task_taken")) is None


def test_escalations_told_to_the_edt_are_listed_until_the_call_back_closes(
    client, db, edt, social_worker_staff
):
    eve = staff_called(db, "ed1")
    late = create_task(
        db,
        assignee=social_worker_staff,
        due_in=timedelta(minutes=-3),
        reference="LATE47",
        out_of_hours_cover=True,
    )
    other = create_task(
        db, due_in=timedelta(minutes=-3), reference="ELSE47", out_of_hours_cover=True
    )
    now = datetime.now(UTC)
    db.add_all(
        [
            Escalation(
                task_id=late.id,
                kind="at_risk",
                task_due_at=late.due_at,
                manager_id=eve.id,
                created_at=now - timedelta(minutes=20),
            ),
            Escalation(
                task_id=late.id,
                kind="breach",
                task_due_at=late.due_at,
                manager_id=eve.id,
                created_at=now - timedelta(minutes=3),
            ),
            # Told to somebody else: not Eve's to see here.
            Escalation(
                task_id=other.id,
                kind="breach",
                task_due_at=other.due_at,
                manager_id=social_worker_staff.id,
                created_at=now,
            ),
        ]
    )
    db.commit()
    sign_in(client, edt)
    rows = get_page(client, "/console/callbacks").select("#escalated-rows tr")
    assert len(rows) == 1  # one line per call-back, its latest escalation
    text = rows[0].get_text(" ", strip=True)
    assert "LATE47" in text and "Missed its deadline" in text and "Sam Worker" in text
    data = client.get("/console/callbacks.json").json
    assert "LATE47" in data["escalated_rows"] and "ELSE47" not in data["escalated_rows"]

    db.get(Task, late.id).status = "completed"
    db.commit()
    data = client.get("/console/callbacks.json").json
    assert data["escalated"] == [] and "No open call-back" in data["escalated_rows"]


def test_an_escalation_raised_out_of_hours_reaches_the_edt_workers_list(client, db, edt, runtime):
    task = create_task(
        db, due_in=timedelta(minutes=-1), reference="SWEEP7", out_of_hours_cover=True
    )
    with runtime.unit_of_work(NoDispatcher()) as uow:
        raised = escalation.check_deadlines(uow, datetime.now(UTC), [task.id])
    assert [e.manager_id for e in raised] == [staff_called(db, "ed1").id]
    sign_in(client, edt)
    rows = get_page(client, "/console/callbacks").select("#escalated-rows tr")
    assert "SWEEP7" in rows[0].get_text()


def test_front_door_social_workers_have_neither_list(client, db, social_worker):
    sign_in(client, social_worker)
    soup = get_page(client, "/console/callbacks")
    assert soup.select_one("#escalated-to-you") is None
    assert soup.select_one("#waiting-for-cover") is None
    assert "escalated_rows" not in client.get("/console/callbacks.json").json


def test_the_edt_works_a_covered_call_back_only_once_its_holder_has_gone(
    client, db, edt, social_worker_staff
):
    task = create_task(
        db,
        assignee=social_worker_staff,
        reference="HELD47",
        due_in=timedelta(minutes=20),
        out_of_hours_cover=True,
    )
    sign_in(client, edt)
    # While the front-door holder is at work it stays theirs.
    page = get_page(client, f"/console/tasks/{task.id}")
    assert page.select_one("#not-yours") and page.select_one("#start-call") is None
    post_form(
        client, f"/console/tasks/{task.id}/complete", {}, csrf_from=f"/console/tasks/{task.id}"
    )
    db.expire_all()
    assert db.get(Task, task.id).status == "allocated"

    # She has gone home with it: the EDT, told of it, can act.
    for shift in social_worker_staff.shifts:
        shift.ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.commit()
    page = get_page(client, f"/console/tasks/{task.id}")
    assert page.select_one("#not-yours") is None
    assert page.select_one("#start-call") and page.select_one("#record-attempt")
    assert "Hand back" not in page.get_text()  # not theirs to give back
    post_form(
        client, f"/console/tasks/{task.id}/start-call", {}, csrf_from=f"/console/tasks/{task.id}"
    )
    post_form(
        client,
        f"/console/tasks/{task.id}/attempts",
        {"outcome": "reached", "attempts_seen": "0"},
        csrf_from=f"/console/tasks/{task.id}",
    )
    post_form(
        client, f"/console/tasks/{task.id}/complete", {}, csrf_from=f"/console/tasks/{task.id}"
    )
    db.expire_all()
    done = db.get(Task, task.id)
    assert (done.status, done.attempt_count) == ("completed", 1)


def test_the_edt_opens_and_takes_a_covered_review_from_its_list(client, db, edt):
    review = create_task(db, role="practice_manager", reference="REVU47", out_of_hours_cover=True)
    review.kind = "review"
    db.commit()
    sign_in(client, edt)
    row = get_page(client, "/console/callbacks").select_one(
        f'#waiting-rows tr[data-task-id="{review.id}"]'
    )
    assert get_page(client, row.a["href"]).select_one("#take")
    post_form(client, f"/console/tasks/{review.id}/take", {}, csrf_from="/console/callbacks")
    db.expire_all()
    assert db.get(Task, review.id).assignee_id == staff_called(db, "ed1").id


def test_take_needs_the_skill_the_allocator_would_ask_for(client, db, social_worker):
    task = create_task(db, reference="DAHIGH")
    task.skill = "domestic_abuse"
    db.commit()
    sign_in(client, social_worker)
    assert get_page(client, f"/console/tasks/{task.id}").select_one("#take") is None
    post_form(client, f"/console/tasks/{task.id}/take", {}, csrf_from="/console/callbacks")
    assert (
        "Your role and skills do not fit"
        in get_page(client, f"/console/tasks/{task.id}").get_text()
    )
    db.expire_all()
    assert db.get(Task, task.id).status == "unallocated"


def test_a_manager_sees_escalations_raised_when_nobody_was_on_shift_until_they_close(
    client, db, manager, social_worker_staff
):
    weekend = create_task(db, due_in=timedelta(days=-3), reference="WKND47")
    someone_elses = create_task(db, due_in=timedelta(days=-3), reference="TOLD47")
    create_staff(db, "pm2", "Other Manager", "practice_manager", team="mash", on_shift=False)
    friday_evening = datetime.now(UTC) - timedelta(days=3)
    db.add_all(
        [
            Escalation(
                task_id=weekend.id,
                kind="breach",
                task_due_at=weekend.due_at,
                manager_id=None,
                created_at=friday_evening,
            ),
            Escalation(
                task_id=someone_elses.id,
                kind="breach",
                task_due_at=someone_elses.due_at,
                manager_id=staff_called(db, "pm2").id,
                created_at=friday_evening,
            ),
        ]
    )
    db.commit()
    sign_in(client, manager)

    data = client.get("/console/callbacks.json").json
    assert "WKND47" in data["escalated_rows"] and "TOLD47" not in data["escalated_rows"]
    assert "when no manager was on shift" in data["escalated_rows"]

    db.get(Task, weekend.id).status = "completed"
    db.commit()
    assert "WKND47" not in client.get("/console/callbacks.json").json["escalated_rows"]

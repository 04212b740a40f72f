"""Duty staff: my call-backs, the task page, attempts, notes, completion and hand-back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from callrouter.db.console_models import AuditEvent, TaskAttempt, TaskReallocation
from callrouter.db.models import Task
from tests.console.conftest import (
    create_staff,
    create_task,
    create_user,
    csrf_of,
    get_page,
    sign_in,
)


def test_my_call_backs_are_ordered_by_deadline_with_overdue_unmissable(
    client, db, social_worker, social_worker_staff
):
    create_task(db, assignee=social_worker_staff, due_in=timedelta(hours=1), reference="LATER1")
    create_task(db, assignee=social_worker_staff, due_in=timedelta(minutes=-10), reference="LATE01")
    create_task(db, due_in=timedelta(minutes=5), reference="NOTME1")
    sign_in(client, social_worker)
    soup = get_page(client, "/console/callbacks")
    rows = soup.select("#callback-rows tr")
    assert [r.a.get_text(" ", strip=True) for r in rows] == ["LATE01 call-back", "LATER1 call-back"]
    assert "Overdue by 10 minutes" in rows[0].get_text()
    assert rows[0].select_one(".govuk-tag--red")
    assert rows[0].find(attrs={"data-due": True})


def test_the_json_endpoint_gives_new_tasks_and_rows(client, db, social_worker, social_worker_staff):
    sign_in(client, social_worker)
    assert client.get("/console/callbacks.json").json["tasks"] == []
    task = create_task(db, assignee=social_worker_staff)
    data = client.get("/console/callbacks.json").json
    assert [t["id"] for t in data["tasks"]] == [task.id]
    assert "ACD347" in data["rows"]


def test_the_edt_sees_the_urgent_call_backs_waiting_for_its_cover(
    client, db, social_worker, social_worker_staff
):
    create_staff(db, "ed1", "Eve Duty", "edt_social_worker", team="edt")
    edt = create_user(db, "social_worker", email="edt@council.example", staff_ref="ed1")
    covered = create_task(
        db, due_in=timedelta(minutes=-5), reference="LATE47", out_of_hours_cover=True
    )
    create_task(db, assignee=social_worker_staff, reference="HELD47", out_of_hours_cover=True)
    create_task(db, level="public_concern", due_in=timedelta(hours=20), reference="PUBLIC")

    sign_in(client, edt)
    soup = get_page(client, "/console/callbacks")
    rows = soup.select("#waiting-rows tr")
    # Only what nobody holds and the EDT covers; public concerns wait for the office.
    assert [r.a.get_text(" ", strip=True) for r in rows] == ["LATE47 call-back"]
    assert "Overdue by 5 minutes" in rows[0].get_text()
    data = client.get("/console/callbacks.json").json
    assert data["waiting"] == [covered.id] and "LATE47" in data["waiting_rows"]

    db.get(Task, covered.id).status = "completed"
    db.commit()
    data = client.get("/console/callbacks.json").json
    assert data["waiting"] == [] and "Nothing is waiting" in data["waiting_rows"]


def test_a_front_door_social_worker_has_no_edt_panel(client, db, social_worker):
    create_task(db, reference="COVER1", out_of_hours_cover=True)
    sign_in(client, social_worker)
    assert get_page(client, "/console/callbacks").select_one("#waiting-for-cover") is None
    assert "waiting_rows" not in client.get("/console/callbacks.json").json


def test_the_json_endpoint_says_401_when_signed_out(client):
    assert client.get("/console/callbacks.json").status_code == 401


def test_an_early_help_worker_cannot_open_a_social_workers_s47_task(
    client, db, early_help, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, early_help)
    get_page(client, f"/console/tasks/{task.id}", status=403)
    soup = get_page(client, "/console/callbacks")
    response = client.post(f"/console/tasks/{task.id}/complete", data={"csrf_token": csrf_of(soup)})
    assert response.status_code == 403
    assert db.get(Task, task.id).status == "allocated"


def test_the_task_page_shows_everything_captured_and_the_recording_to_its_holder(
    client, db, social_worker, social_worker_staff
):
    answers = {
        "level": "s47",
        "callback_number": "+447400123456",
        "caller_name": "Ann Teacher",
        "summary": {
            "recording_sid": "RE1",
            "recording_url": "https://api.example/RE1",
            "duration_seconds": 42,
        },
    }
    task = create_task(db, assignee=social_worker_staff, answers=answers)
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    text = soup.get_text(" ", strip=True)
    assert "Ann Teacher" in text and "07400 123456" in text
    assert soup.find(id="recording-link")["href"] == "https://api.example/RE1"
    viewed = db.scalar(select(AuditEvent).where(AuditEvent.action == "task_viewed"))
    assert (viewed.user_id, viewed.contact_id, viewed.task_id) == (
        social_worker.id,
        task.contact_id,
        task.id,
    )


def test_a_colleague_sees_an_unheld_task_but_not_its_recording(client, db, social_worker):
    answers = {
        "level": "s47",
        "summary": {
            "recording_sid": "RE1",
            "recording_url": "https://api.example/RE1",
            "duration_seconds": 42,
        },
    }
    task = create_task(db, answers=answers)
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    assert soup.find(id="recording-link") is None
    assert "Only the person holding this call-back" in soup.get_text()


def test_attempts_notes_and_completion_are_recorded_and_audited(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    url = f"/console/tasks/{task.id}"
    soup = get_page(client, url)
    token = csrf_of(soup)
    client.post(f"{url}/attempts", data={"csrf_token": token, "outcome": "no_answer"})
    client.post(
        f"{url}/attempts", data={"csrf_token": token, "outcome": "reached", "note": "Spoke to Ann"}
    )
    client.post(f"{url}/notes", data={"csrf_token": token, "note": "Strategy discussion booked"})
    soup = get_page(client, url)
    attempts = soup.find(id="attempts").get_text(" ", strip=True)
    assert "No answer" in attempts and "Reached the caller" in attempts
    assert "Strategy discussion booked" in soup.get_text()
    client.post(f"{url}/complete", data={"csrf_token": token})
    db.expire_all()
    assert db.get(Task, task.id).status == "completed"
    rows = db.scalars(select(TaskAttempt)).all()
    assert [(a.outcome, a.staff_id) for a in rows] == [
        ("no_answer", social_worker_staff.id),
        ("reached", social_worker_staff.id),
    ]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task.id)).all()
    assert {"attempt_recorded", "note_added", "task_completed", "task_viewed"} <= set(actions)


def test_an_unknown_attempt_outcome_is_refused(client, db, social_worker, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    response = client.post(
        f"/console/tasks/{task.id}/attempts",
        data={"csrf_token": csrf_of(soup), "outcome": "hung_up"},
        follow_redirects=True,
    )
    assert "Choose how the call-back attempt went" in response.get_data(as_text=True)
    assert db.scalar(select(TaskAttempt)) is None


def test_handing_back_unallocates_keeps_the_reason_and_asks_for_allocation(
    client, db, social_worker, social_worker_staff, redis
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    client.post(
        f"/console/tasks/{task.id}/hand-back",
        data={"csrf_token": csrf_of(soup), "reason": "Going off shift"},
    )
    db.expire_all()
    held = db.get(Task, task.id)
    assert (held.status, held.assignee_id) == ("unallocated", None)
    move = db.scalar(select(TaskReallocation))
    assert (move.from_staff_id, move.to_staff_id, move.reason) == (
        social_worker_staff.id,
        None,
        "Going off shift",
    )
    from rq import Queue

    from workers.queues import QueueNames

    queued = [job.args for name in QueueNames.all() for job in Queue(name, connection=redis).jobs]
    assert (task.id,) in queued

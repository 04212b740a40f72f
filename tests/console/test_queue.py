"""Practice managers: the whole queue, at risk and breached, and re-allocation with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callrouter.db.console_models import TaskReallocation
from callrouter.db.models import Staff, Task
from callrouter.services.tasks import urgency
from tests.console.conftest import create_staff, create_task, csrf_of, get_page, sign_in


def test_at_risk_from_when_managers_are_told_half_way_for_s47_three_quarters_otherwise():
    now = datetime.now(UTC)
    s47 = Task(
        level="s47", created_at=now - timedelta(minutes=35), due_at=now + timedelta(minutes=25)
    )
    level2 = Task(
        level="level2", created_at=now - timedelta(hours=40), due_at=now + timedelta(hours=8)
    )
    late = Task(
        level="level2", created_at=now - timedelta(hours=49), due_at=now - timedelta(hours=1)
    )
    assert urgency(s47, now).state == "at_risk"  # told at 30 minutes
    assert urgency(s47, now).risk_seconds == 30 * 60
    assert urgency(level2, now).state == "at_risk"  # 8 h left of 48: within the last 12
    assert (
        urgency(Task(level="level2", created_at=now, due_at=now + timedelta(hours=48)), now).state
        == "on_time"
    )
    assert urgency(late, now).state == "breached"
    # Working time: the warning stored with the task, not a share of the clock, decides.
    weekend = Task(
        level="out_of_hours",
        created_at=now - timedelta(hours=60),
        due_at=now + timedelta(hours=4),
        warn_at=now + timedelta(hours=1),
    )
    assert urgency(weekend, now).state == "on_time"


def test_the_queue_shows_levels_holders_and_risk(client, db, manager, social_worker_staff):
    create_task(db, assignee=social_worker_staff, due_in=timedelta(minutes=10), reference="RISK01")
    create_task(db, due_in=timedelta(minutes=-5), reference="BRCH01")
    create_task(
        db, level="level2", role="early_help_worker", due_in=timedelta(hours=47), reference="EARLY2"
    )
    sign_in(client, manager)
    soup = get_page(client, "/console/queue")
    text = soup.get_text(" ", strip=True)
    assert "1 breached" in text and "1 at risk" in text and "1 on time" in text
    captions = [c.get_text(" ", strip=True) for c in soup.select("caption")]
    assert captions[0].startswith("Section 47") and captions[1].startswith("Level 2")
    rows = {
        r.a.contents[0].strip(): r.get_text(" ", strip=True)
        for r in soup.select("tr[data-task-id]")
    }
    assert "Sam Worker" in rows["RISK01"] and "At risk" in rows["RISK01"]
    assert "Unallocated" in rows["BRCH01"] and "Breached" in rows["BRCH01"]


def test_the_queue_says_why_an_unallocated_call_back_is_waiting(
    client, db, manager, social_worker_staff
):
    create_task(db, assignee=social_worker_staff, reference="HELD01")
    create_task(db, due_in=timedelta(hours=20), level="public_concern", reference="WAIT01")
    create_task(
        db, level="level2", role="early_help_worker", due_in=timedelta(hours=40), reference="NOEH01"
    )
    sign_in(client, manager)

    rows = {
        r.a.contents[0].strip(): r.get_text(" ", strip=True)
        for r in get_page(client, "/console/queue").select("tr[data-task-id]")
    }

    assert (
        "Every senior social worker or social worker on shift already holds 1 open call-back"
    ) in rows["WAIT01"]
    assert "No early help officer or early help worker on shift now" in rows["NOEH01"]
    assert "Sam Worker" in rows["HELD01"] and "on shift" not in rows["HELD01"]


def test_a_manager_reallocates_with_a_reason_kept(client, db, manager, social_worker_staff):
    other = create_staff(db, "sw2", "Alex Other", "senior_social_worker")
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)
    soup = get_page(client, f"/console/tasks/{task.id}")
    options = [o.get_text() for o in soup.select("#staff_id option")]
    assert "Alex Other (senior social worker)" in options
    # A manager may stand in; one not on shift is shown, but cannot be chosen: given it, the
    # sweep would hand it straight back to the queue.
    assert "Pat Manager (practice manager, not on shift now)" in options
    assert soup.find("option", string="Pat Manager (practice manager, not on shift now)").has_attr(
        "disabled"
    )
    assert not soup.find("option", string="Alex Other (senior social worker)").has_attr("disabled")
    assert not any("Erin" in o for o in options)
    me = db.scalar(select(Staff.id).where(Staff.ref == "pm1"))
    response = client.post(
        f"/console/tasks/{task.id}/reallocate",
        data={"csrf_token": csrf_of(soup), "staff_id": str(me), "reason": "I will ring"},
        follow_redirects=True,
    )
    assert "Pat Manager is not on shift now" in response.get_data(as_text=True)
    response = client.post(
        f"/console/tasks/{task.id}/reallocate",
        data={"csrf_token": csrf_of(soup), "staff_id": str(other.id), "reason": ""},
        follow_redirects=True,
    )
    assert "Give a reason for re-allocating" in response.get_data(as_text=True)
    client.post(
        f"/console/tasks/{task.id}/reallocate",
        data={"csrf_token": csrf_of(soup), "staff_id": str(other.id), "reason": "Sam is in court"},
    )
    db.expire_all()
    assert db.get(Task, task.id).assignee_id == other.id
    move = db.scalar(select(TaskReallocation))
    assert (move.from_staff_id, move.to_staff_id, move.reason, move.user_id) == (
        social_worker_staff.id,
        other.id,
        "Sam is in court",
        manager.id,
    )
    assert "Sam is in court" in get_page(client, f"/console/tasks/{task.id}").get_text()


def test_a_social_worker_cannot_reallocate(client, db, social_worker, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    assert soup.find(id="reallocate") is None
    response = client.post(
        f"/console/tasks/{task.id}/reallocate",
        data={"csrf_token": csrf_of(soup), "staff_id": str(social_worker_staff.id), "reason": "x"},
    )
    assert response.status_code == 403

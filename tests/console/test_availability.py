"""Going away or signing off from My call-backs, and a manager marking someone off sick."""

from __future__ import annotations

from datetime import UTC, datetime

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from callrouter.db.console_models import AuditEvent, TaskReallocation
from callrouter.db.models import Shift, Staff, Task
from tests.console.conftest import (
    create_staff,
    create_task,
    create_user,
    csrf_of,
    get_page,
    post_form,
    sign_in,
)


def _text(response, selector: str) -> str:
    found = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(selector)
    assert found is not None, response.get_data(as_text=True)[:3000]
    return found.get_text(" ", strip=True)


def _task(db, task_id: int) -> Task:
    db.expire_all()
    return db.get(Task, task_id)


def _nothing_changed(db, staff: Staff, task: Task) -> None:
    db.expire_all()
    assert db.get(Staff, staff.id).availability == "available"
    held = db.get(Task, task.id)
    assert (held.status, held.assignee_id) == ("allocated", staff.id)
    assert db.scalar(select(func.count(TaskReallocation.id))) == 0
    assert (
        db.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "availability_changed")
        )
        == 0
    )


def test_my_call_backs_shows_my_availability_with_the_three_choices(client, db, social_worker):
    sign_in(client, social_worker)

    form = get_page(client, "/console/callbacks").find("form", id="your-availability")

    assert form["action"] == "/console/availability"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    assert form.legend.get_text(strip=True) == "Your availability"
    assert "You are now available for call-backs and on shift." in form.get_text(" ", strip=True)
    radios = {r["value"]: r for r in form.select("input[name=availability]")}
    assert list(radios) == ["available", "away", "off"]
    assert radios["available"].has_attr("checked")
    labels = [label.get_text(" ", strip=True) for label in form.select("label")]
    assert labels == [
        "Available for call-backs",
        "Away (in a meeting or on a visit): what I hold goes back to the queue",
        "Signed off for today: what I hold goes back, and I am given nothing more today",
    ]


def test_a_social_worker_goes_away_and_the_call_back_they_held_goes_back(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)

    response = post_form(
        client, "/console/availability", {"availability": "away"}, csrf_from="/console/callbacks"
    )

    assert response.location.endswith("/console/callbacks")
    held = _task(db, task.id)
    assert (held.status, held.assignee_id) == ("unallocated", None)
    assert db.get(Staff, social_worker_staff.id).availability == "away"
    moved = db.scalar(select(TaskReallocation))
    assert (moved.from_staff_id, moved.reason) == (
        social_worker_staff.id,
        "released automatically: the holder is away",
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "availability_changed"))
    assert event.user_id == social_worker.id
    assert event.detail["staff_id"] == social_worker_staff.id
    assert "Sam" not in str(event.detail)

    page = get_page(client, "/console/callbacks")
    banner = page.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert "You are marked away. 1 call-back went back to the queue" in banner
    assert "You are marked away" in page.find(id="availability-now").get_text()
    assert page.select_one("#your-availability input[value=away]").has_attr("checked")
    assert "You are now away" in page.find(id="your-availability").get_text(" ", strip=True)
    assert "ACD347" not in page.find(id="callback-rows").get_text()


def test_signing_off_gives_back_what_i_hold_and_i_can_come_back(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    token = csrf_of(get_page(client, "/console/callbacks"))

    response = client.post(
        "/console/availability",
        data={"csrf_token": token, "availability": "off"},
        follow_redirects=True,
    )

    assert (
        "You are signed off for today: no call-backs will be given to you until your next "
        "shift, unless marked available again. 1 call-back went back"
        in _text(response, ".govuk-notification-banner")
    )
    assert _task(db, task.id).status == "unallocated"
    shift = db.scalar(select(Shift).where(Shift.staff_id == social_worker_staff.id))
    assert shift.ends_at > datetime.now(UTC)  # the rota stands

    response = client.post(
        "/console/availability",
        data={"csrf_token": token, "availability": "available"},
        follow_redirects=True,
    )
    assert "You are available for call-backs. New call-backs can be given within a minute" in _text(
        response, ".govuk-notification-banner"
    )
    db.expire_all()
    assert db.get(Staff, social_worker_staff.id).availability == "available"


def test_a_user_with_no_staff_link_is_told_and_nothing_changes(client, db, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    unlinked = create_user(db, "social_worker", email="new@council.example", name="New Starter")
    sign_in(client, unlinked)
    page = get_page(client, "/console/callbacks")
    assert page.find(id="your-availability") is None

    response = client.post(
        "/console/availability",
        data={"csrf_token": csrf_of(page), "availability": "away"},
        follow_redirects=True,
    )

    assert "not linked to a duty rota record" in _text(response, ".govuk-error-summary")
    _nothing_changed(db, social_worker_staff, task)


def test_an_unknown_choice_from_my_call_backs_is_refused(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    token = csrf_of(get_page(client, "/console/callbacks"))

    for choice in ("", "sick", "busy"):
        response = client.post(
            "/console/availability",
            data={"csrf_token": token, "availability": choice},
            follow_redirects=True,
        )
        assert "Choose available, away or signed off" in _text(response, ".govuk-error-summary")

    _nothing_changed(db, social_worker_staff, task)


def test_changing_availability_without_the_form_token_is_refused(
    client, db, social_worker, social_worker_staff, manager
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    get_page(client, "/console/callbacks")

    response = client.post("/console/availability", data={"availability": "away"})
    assert response.status_code == 400
    response = client.post(
        "/console/availability", data={"availability": "away", "csrf_token": "forged"}
    )
    assert response.status_code == 400

    sign_in(client, manager)
    get_page(client, "/console/queue")
    response = client.post(
        "/console/staff/availability",
        data={
            "staff_id": social_worker_staff.id,
            "availability": "off",
            "reason": "Off sick today",
        },
    )
    assert response.status_code == 400
    _nothing_changed(db, social_worker_staff, task)


def test_the_queue_has_a_form_to_mark_someone_away_or_off_sick(
    client, db, manager, social_worker_staff
):
    sign_in(client, manager)

    page = get_page(client, "/console/queue")
    form = page.find("form", id="staff-availability")

    assert form["action"] == "/console/staff/availability"
    people = {
        o.get_text(strip=True): o["value"] for o in form.select("select[name=staff_id] option")
    }
    assert people["Choose a person"] == ""
    assert people["Sam Worker (social worker, available for call-backs)"] == str(
        social_worker_staff.id
    )
    assert [r["value"] for r in form.select("input[name=availability]")] == [
        "available",
        "away",
        "off",
    ]
    assert (
        form.find("label", attrs={"for": "set-availability-3"}).get_text(strip=True)
        == "Off sick today"
    )
    assert form.find("textarea", attrs={"name": "reason"})
    row = page.select_one(f"tr[data-staff-id='{social_worker_staff.id}']")
    assert "Available for call-backs" in row.get_text(" ", strip=True)


def test_a_manager_marks_a_social_worker_off_sick_and_their_call_back_is_released(
    client, db, manager, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)
    token = csrf_of(get_page(client, "/console/queue"))

    response = client.post(
        "/console/staff/availability",
        data={
            "csrf_token": token,
            "staff_id": str(social_worker_staff.id),
            "availability": "off",
            "reason": "Off sick today",
        },
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert (
        "Sam Worker is marked off sick today: no call-backs will be given to them until "
        "their next shift, unless marked available again. 1 call-back went back "
        "to the queue"
    ) in _text(response, ".govuk-notification-banner")
    held = _task(db, task.id)
    assert (held.status, held.assignee_id) == ("unallocated", None)
    assert db.get(Staff, social_worker_staff.id).availability == "off"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "availability_changed"))
    assert (
        event.user_id,
        event.detail["staff_id"],
        event.detail["availability"],
        event.detail["reason"],
    ) == (manager.id, social_worker_staff.id, "off", "Off sick today")
    row = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        f"tr[data-staff-id='{social_worker_staff.id}']"
    )
    assert "Signed off for today" in row.get_text(" ", strip=True)


def test_a_manager_marks_someone_away_without_a_reason(client, db, manager, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)

    post_form(
        client,
        "/console/staff/availability",
        {"staff_id": str(social_worker_staff.id), "availability": "away"},
        csrf_from="/console/queue",
    )

    assert _task(db, task.id).status == "unallocated"
    assert db.get(Staff, social_worker_staff.id).availability == "away"


def test_a_managers_sick_mark_without_a_reason_is_refused(client, db, manager, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)
    token = csrf_of(get_page(client, "/console/queue"))

    response = client.post(
        "/console/staff/availability",
        data={
            "csrf_token": token,
            "staff_id": str(social_worker_staff.id),
            "availability": "off",
            "reason": "  ",
        },
    )

    assert response.status_code == 302
    assert response.location.endswith("/console/queue#staff-availability")
    summary = _text(client.get("/console/queue"), ".govuk-error-summary")
    assert "Say why Sam Worker is off, for example off sick today" in summary
    _nothing_changed(db, social_worker_staff, task)


def test_a_manager_must_choose_a_known_person_and_state(client, db, manager, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)
    token = csrf_of(get_page(client, "/console/queue"))
    tries = [
        ({"staff_id": "", "availability": "away"}, "Choose a member of staff"),
        ({"staff_id": "99999", "availability": "away"}, "Choose a member of staff"),
        ({"staff_id": "not-a-number", "availability": "away"}, "Choose a member of staff"),
        (
            {"staff_id": str(social_worker_staff.id), "availability": ""},
            "Choose available, away or off sick today",
        ),
        (
            {"staff_id": str(social_worker_staff.id), "availability": "holiday"},
            "Choose available, away or off sick today",
        ),
    ]

    for data, message in tries:
        response = client.post(
            "/console/staff/availability",
            data={"csrf_token": token, "reason": "x", **data},
            follow_redirects=True,
        )
        assert message in _text(response, ".govuk-error-summary"), data

    _nothing_changed(db, social_worker_staff, task)


def test_only_a_practice_manager_may_mark_someone_else(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    create_staff(db, "sw2", "Alex Other", "social_worker", team="mash")
    sign_in(client, social_worker)
    token = csrf_of(get_page(client, "/console/callbacks"))

    response = client.post(
        "/console/staff/availability",
        data={"csrf_token": token, "staff_id": str(social_worker_staff.id), "availability": "away"},
    )

    assert response.status_code == 403
    _nothing_changed(db, social_worker_staff, task)

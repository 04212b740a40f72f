"""The task page's calls and closures: start call, retries shown, cancel, escalations, never
expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.console_models import AuditEvent
from callrouter.db.models import DialLock, Escalation, Message, Staff, Task
from callrouter.services.tasks import OPEN_STATUSES
from tests.console.conftest import (
    create_staff,
    create_task,
    create_user,
    csrf_of,
    get_page,
    sign_in,
)
from workers import jobs as job_functions

SUMMER_MORNING = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # 10:00 in the UK (BST)


def get_text_of(response, selector: str) -> str:
    found = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(selector)
    assert found is not None, response.get_data(as_text=True)[:3000]
    return found.get_text(" ", strip=True)


def _colleague(db):
    create_staff(db, "sw2", "Alex Other", "social_worker", team="mash")
    return create_user(
        db, "social_worker", email="alex@council.example", name="Alex Other", staff_ref="sw2"
    )


def _manager_colleague(db):
    create_staff(db, "pm2", "Mo Manager", "practice_manager", team="mash")
    return create_user(
        db, "practice_manager", email="mo@council.example", name="Mo Manager", staff_ref="pm2"
    )


def test_start_call_shows_the_number_and_a_colleague_is_told_not_to_ring_too(
    app, client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    url = f"/console/tasks/{task.id}"
    sign_in(client, social_worker)
    soup = get_page(client, url)
    assert soup.find(id="dialling") is None and soup.find(id="start-call")

    response = client.post(f"{url}/start-call", data={"csrf_token": csrf_of(soup)})

    assert response.status_code == 302 and response.location.endswith(f"{url}#dialling")
    dialling = get_page(client, url).find(id="dialling")
    assert dialling.find("a")["href"] == "tel:+447400123456"
    assert "07400 123456" in dialling.get_text()
    lock = db.scalar(select(DialLock))
    assert (lock.task_id, lock.staff_id) == (task.id, social_worker_staff.id)

    # A practice manager, who could otherwise ring any caller, is told not to ring too.
    other = app.test_client()
    sign_in(other, _manager_colleague(db))
    soup = get_page(other, url)
    assert soup.find(id="start-call") is None and soup.find(id="dialling") is None
    assert "Sam Worker started calling this caller at" in soup.find(id="dial-warning").get_text()
    refused = other.post(
        f"{url}/start-call", data={"csrf_token": csrf_of(soup)}, follow_redirects=True
    )
    summary = get_text_of(refused, ".govuk-error-summary")
    assert "Sam Worker started calling this caller" in summary
    assert "Do not call them too" in summary
    assert db.scalar(select(DialLock.staff_id)) == social_worker_staff.id


def test_recording_the_attempt_frees_the_caller_for_a_colleague(
    app, client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    url = f"/console/tasks/{task.id}"
    sign_in(client, social_worker)
    token = csrf_of(get_page(client, url))
    client.post(f"{url}/start-call", data={"csrf_token": token})
    client.post(f"{url}/attempts", data={"csrf_token": token, "outcome": "no_answer"})

    assert db.scalar(select(DialLock)) is None
    other = app.test_client()
    sign_in(other, _manager_colleague(db))
    soup = get_page(other, url)
    assert soup.find(id="dial-warning") is None and soup.find(id="start-call")


def test_start_call_without_the_form_token_is_refused(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, social_worker)
    get_page(client, f"/console/tasks/{task.id}")

    response = client.post(f"/console/tasks/{task.id}/start-call", data={"csrf_token": "x"})

    assert response.status_code == 400
    assert db.scalar(select(DialLock)) is None


def test_my_call_backs_show_attempts_so_far_and_when_to_try_again_in_uk_time(
    client, db, social_worker, social_worker_staff
):
    with freeze_time(SUMMER_MORNING):
        task = create_task(db, assignee=social_worker_staff)  # section 47: due at 11:00 BST
        sign_in(client, social_worker)
        url = f"/console/tasks/{task.id}"
        client.post(
            f"{url}/attempts",
            data={"csrf_token": csrf_of(get_page(client, url)), "outcome": "no_answer"},
        )

        row = get_page(client, "/console/callbacks").select_one(
            f"#callback-rows tr[data-task-id='{task.id}'] .console-attempts"
        )
        task_page = get_page(client, url).find(id="task-summary").get_text(" ", strip=True)

    assert row.get_text(" ", strip=True) == "1 of 3 Try again at 10:20"
    assert "1 of 3, try again at 10:20" in task_page
    db.expire_all()
    assert db.get(Task, task.id).next_attempt_at == SUMMER_MORNING + timedelta(minutes=20)


def test_a_no_answer_before_the_retry_time_is_recorded_and_the_page_says_it_did_not_count(
    client, db, social_worker, social_worker_staff
):
    with freeze_time(SUMMER_MORNING) as clock:
        task = create_task(db, assignee=social_worker_staff)  # section 47: due at 11:00 BST
        sign_in(client, social_worker)
        url = f"/console/tasks/{task.id}"
        for _ in range(3):  # three taps in three minutes
            soup = get_page(client, url)
            client.post(
                f"{url}/attempts",
                data={
                    "csrf_token": csrf_of(soup),
                    "outcome": "no_answer",
                    "attempts_seen": soup.find("input", attrs={"name": "attempts_seen"})["value"],
                },
            )
            clock.tick(timedelta(minutes=1))
        page = get_page(client, url)

    text = page.get_text(" ", strip=True)
    assert "does not count towards the 3 attempts: try again at 10:20" in text
    assert "1 of 3, try again at 10:20" in page.find(id="task-summary").get_text(" ", strip=True)
    assert "10:20" in page.find(id="retry-not-yet").get_text()
    assert page.find(id="attempts").get_text().count("not counted towards the 3 attempts") == 2
    db.expire_all()
    assert (db.get(Task, task.id).status, db.get(Task, task.id).attempt_count) == ("allocated", 3)


def test_a_manager_cancels_a_call_back_with_a_reason_and_the_page_says_who_and_why(
    client, db, manager, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    url = f"/console/tasks/{task.id}"
    sign_in(client, manager)
    soup = get_page(client, url)
    assert soup.find(id="cancel")

    response = client.post(
        f"{url}/cancel", data={"csrf_token": csrf_of(soup), "reason": ""}, follow_redirects=True
    )
    assert "Say why this call-back is being cancelled" in response.get_data(as_text=True)
    client.post(
        f"{url}/cancel",
        data={"csrf_token": csrf_of(soup), "reason": "Duplicate of ACD348, caller already helped"},
    )

    db.expire_all()
    cancelled = db.get(Task, task.id)
    assert (cancelled.status, cancelled.closed_by_user_id) == ("cancelled", manager.id)
    summary = get_page(client, url).find(id="task-summary").get_text(" ", strip=True)
    assert "Cancelled" in summary and "by Pat Manager" in summary
    assert "Duplicate of ACD348, caller already helped" in summary
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "task_cancelled")).user_id
        == manager.id
    )


def test_an_early_help_worker_cannot_cancel_even_their_own_call_back(client, db, early_help):
    staff = db.scalar(select(Staff).where(Staff.ref == "eh1"))
    task = create_task(
        db, level="level2", role="early_help_worker", assignee=staff, due_in=timedelta(hours=48)
    )
    sign_in(client, early_help)
    soup = get_page(client, f"/console/tasks/{task.id}")
    assert soup.find(id="cancel") is None and soup.find(id="record-attempt")

    response = client.post(
        f"/console/tasks/{task.id}/cancel",
        data={"csrf_token": csrf_of(soup), "reason": "Not needed"},
    )

    assert response.status_code == 403
    db.expire_all()
    assert db.get(Task, task.id).status == "allocated"


def test_cancel_without_the_form_token_is_refused(client, db, manager, social_worker_staff):
    task = create_task(db, assignee=social_worker_staff)
    sign_in(client, manager)

    response = client.post(f"/console/tasks/{task.id}/cancel", data={"reason": "Not needed"})

    assert response.status_code == 400
    assert db.get(Task, task.id).status == "allocated"


def test_the_queue_lists_recent_escalations(client, db, manager, social_worker_staff):
    now = datetime.now(UTC)
    edt = create_staff(db, "ed1", "Eve Duty", "edt_social_worker")
    risky = create_task(
        db, assignee=social_worker_staff, due_in=timedelta(minutes=10), reference="RISK01"
    )
    late = create_task(db, due_in=timedelta(minutes=-5), reference="LATE01")
    old = create_task(db, due_in=timedelta(days=-5), reference="OLD001")
    db.add_all(
        [
            Escalation(
                task_id=risky.id,
                kind="at_risk",
                task_due_at=risky.due_at,
                created_at=now - timedelta(minutes=20),
            ),
            Escalation(
                task_id=late.id,
                kind="breach",
                task_due_at=late.due_at,
                created_at=now - timedelta(minutes=5),
                manager_id=edt.id,
            ),
            Escalation(
                task_id=old.id,
                kind="breach",
                task_due_at=old.due_at,
                created_at=now - timedelta(days=5),
            ),
        ]
    )
    db.commit()
    sign_in(client, manager)

    rows = get_page(client, "/console/queue").select("#escalations tr[data-escalation-id]")

    assert [r.a.contents[0].strip() for r in rows] == ["LATE01", "RISK01"]
    assert "Missed its deadline" in rows[0].get_text() and "Unallocated" in rows[0].get_text()
    assert "At risk of missing its deadline" in rows[1].get_text()
    assert "Sam Worker" in rows[1].get_text()
    # Who was told: out of hours, the EDT social worker on shift; with nobody, every manager.
    assert "Eve Duty (edt social worker)" in rows[0].get_text()
    assert "Every manager" in rows[1].get_text()


def test_no_call_back_expires_however_late_it_is(client, db, jobs, manager, social_worker_staff):
    created = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with freeze_time(created):
        task = create_task(db, due_in=timedelta(hours=1), reference="LATE47")
    with freeze_time(created + timedelta(days=3)):
        job_functions.sweep()
        job_functions.allocate_task(task.id)
        job_functions.sweep()
        db.expire_all()
        still = db.get(Task, task.id)
        assert still.status in OPEN_STATUSES
        assert (still.closed_at, still.closed_reason) == (None, None)

        sign_in(client, manager)
        soup = get_page(client, "/console/queue")

    assert "1 breached" in soup.get_text(" ", strip=True)
    row = soup.select_one(f"tr[data-task-id='{task.id}']").get_text(" ", strip=True)
    assert "Breached 2 days 23 hours ago" in row


def test_a_colleague_sees_who_holds_a_call_back_and_cannot_work_it(
    app, client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    url = f"/console/tasks/{task.id}"
    other = app.test_client()
    sign_in(other, _colleague(db))
    soup = get_page(other, url)
    assert "Sam Worker holds this call-back" in soup.find(id="not-yours").get_text()
    assert soup.find(id="start-call") is None and soup.find(id="record-attempt") is None
    refused = other.post(
        f"{url}/attempts",
        data={"csrf_token": csrf_of(soup), "outcome": "no_answer"},
        follow_redirects=True,
    )
    assert "Only Sam Worker, who holds this call-back" in get_text_of(
        refused, ".govuk-error-summary"
    )
    db.expire_all()
    assert db.get(Task, task.id).attempt_count in (None, 0)


def test_an_attempt_form_sent_twice_records_one_attempt(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    url = f"/console/tasks/{task.id}"
    sign_in(client, social_worker)
    soup = get_page(client, url)
    form = {
        "csrf_token": csrf_of(soup),
        "outcome": "no_answer",
        "attempts_seen": soup.find("input", attrs={"name": "attempts_seen"})["value"],
    }
    client.post(f"{url}/attempts", data=form)
    again = client.post(f"{url}/attempts", data=form, follow_redirects=True)
    assert "That attempt was already recorded" in get_text_of(again, ".govuk-error-summary")
    db.expire_all()
    assert db.get(Task, task.id).attempt_count == 1


def test_the_task_page_says_when_a_text_to_the_caller_was_not_sent(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    db.add(
        Message(
            contact_id=task.contact_id,
            purpose="missed_callback",
            to_number="+447400123456",
            body="Ref ACD347",
            status="failed",
            error="Twilio 21614: not a mobile",
            error_code=21614,
            created_at=datetime.now(UTC),
        )
    )
    db.commit()
    sign_in(client, social_worker)
    soup = get_page(client, f"/console/tasks/{task.id}")
    row = soup.select_one("#texts tbody tr").get_text(" ", strip=True)
    assert "Not sent" in row and "21614" in row
    assert soup.find(id="texts-warning")
    assert "+447400123456" not in str(soup.find(id="texts"))

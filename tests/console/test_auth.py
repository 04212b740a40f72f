"""Signing in and out, roles, session expiry and CSRF on the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.console_models import AuditEvent, User
from callrouter.services.accounts import create_admin
from tests.console.conftest import PASSWORD, create_task, csrf_of, get_page, sign_in


def test_a_signed_out_person_is_sent_to_the_sign_in_page(client):
    response = client.get("/console/calls")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in?next=/console/calls")
    soup = get_page(client, response.headers["Location"])
    assert soup.h1.get_text(strip=True) == "Sign in"
    assert soup.find("input", attrs={"name": "password", "type": "password"})


def test_the_header_is_the_generic_one_without_the_crown(client):
    soup = get_page(client, "/console/sign-in")
    assert soup.select_one(".govuk-generic-header")
    assert not soup.select_one(".govuk-header__logotype")
    assert soup.select_one("a.govuk-skip-link")["href"] == "#main-content"


def test_a_wrong_password_is_refused_and_logged(client, db, advisor):
    token = csrf_of(get_page(client, "/console/sign-in"))
    response = client.post(
        "/console/sign-in", data={"email": advisor.email, "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    actions = db.scalars(select(AuditEvent.action)).all()
    assert "sign_in_failed" in actions


@pytest.mark.parametrize(
    "role, landing",
    [
        ("advisor", "/console/calls"),
        ("social_worker", "/console/callbacks"),
        ("early_help", "/console/callbacks"),
        ("practice_manager", "/console/queue"),
        ("admin", "/console/users"),
    ],
)
def test_each_role_lands_on_its_own_page(client, db, role, landing):
    from tests.console.conftest import create_user

    user = create_user(db, role)
    sign_in(client, user)
    response = client.get("/console/")
    assert response.headers["Location"] == landing
    get_page(client, landing)


@pytest.mark.parametrize(
    "role, url",
    [
        ("advisor", "/console/queue"),
        ("advisor", "/console/callbacks"),
        ("advisor", "/console/users"),
        ("social_worker", "/console/calls/new"),
        ("social_worker", "/console/queue"),
        ("early_help", "/console/history"),
        ("practice_manager", "/console/users"),
        ("admin", "/console/calls"),
        ("admin", "/console/callbacks"),
    ],
)
def test_each_role_is_refused_pages_it_does_not_need(client, db, role, url):
    from tests.console.conftest import create_user

    sign_in(client, create_user(db, role))
    get_page(client, url, status=403)


def test_a_form_without_the_csrf_token_is_refused(client, advisor):
    response = client.post("/console/sign-in", data={"email": advisor.email, "password": PASSWORD})
    assert response.status_code == 400
    sign_in(client, advisor)
    response = client.post("/console/calls/new", data={"caller_type": "public"})
    assert response.status_code == 400
    response = client.post(
        "/console/calls/new", data={"caller_type": "public", "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_a_session_ends_after_an_hour_idle(client, advisor):
    with freeze_time() as frozen:
        sign_in(client, advisor)
        get_page(client, "/console/calls")
        frozen.tick(timedelta(minutes=59))
        get_page(client, "/console/calls")
        frozen.tick(timedelta(minutes=61))
        response = client.get("/console/calls")
        assert response.status_code == 302
        assert "expired=1" in response.headers["Location"]


def test_a_session_ends_after_a_shift_however_busy(client, advisor):
    with freeze_time() as frozen:
        sign_in(client, advisor)
        for _ in range(25):
            frozen.tick(timedelta(minutes=30))
            client.get("/console/calls")
        assert client.get("/console/calls").status_code == 302


def test_signing_out_ends_the_session(client, advisor):
    sign_in(client, advisor)
    soup = get_page(client, "/console/calls")
    response = client.post("/console/sign-out", data={"csrf_token": csrf_of(soup)})
    assert response.status_code == 302
    assert client.get("/console/calls").status_code == 302


def test_create_admin_makes_a_first_administrator_with_a_hashed_password(runtime, db):
    create_admin(runtime, "Boss@Council.example", PASSWORD, "Ada Admin")
    user = db.scalar(select(User))
    assert (user.email, user.role, user.name) == ("boss@council.example", "admin", "Ada Admin")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_an_admin_adds_a_user_linked_to_the_rota(client, db, admin):
    sign_in(client, admin)
    soup = get_page(client, "/console/users")
    response = client.post(
        "/console/users",
        data={
            "csrf_token": csrf_of(soup),
            "name": "Sam Worker",
            "email": "sam@council.example",
            "role": "social_worker",
            "staff_ref": "sw1",
            "password": "long enough password",
        },
    )
    assert response.status_code == 302
    soup = get_page(client, "/console/users")
    assert "sam@council.example" in soup.get_text()
    response = client.post(
        "/console/users",
        data={
            "csrf_token": csrf_of(soup),
            "name": "X",
            "email": "x@council.example",
            "role": "advisor",
            "password": "short",
        },
    )
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)


def test_a_task_page_keeping_a_call_alive_does_not_keep_the_console_signed_in(
    client, db, social_worker, social_worker_staff
):
    task = create_task(db, assignee=social_worker_staff)
    with freeze_time() as frozen:
        sign_in(client, social_worker)
        page = get_page(client, f"/console/tasks/{task.id}")
        client.post(f"/console/tasks/{task.id}/start-call", data={"csrf_token": csrf_of(page)})
        token = csrf_of(get_page(client, f"/console/tasks/{task.id}"))
        for _ in range(13):  # every 5 minutes for over an hour, nobody at the screen
            frozen.tick(timedelta(minutes=5))
            client.post(f"/console/tasks/{task.id}/still-calling", headers={"X-CSRF-Token": token})
        response = client.get("/console/callbacks")
        assert response.status_code == 302
        assert "/console/sign-in" in response.headers["Location"]

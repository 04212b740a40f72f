"""Console fixtures: users of each role, signing in, and pages fetched as parsed HTML."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from callrouter.config import PROJECT_ROOT
from callrouter.db.console_models import User
from callrouter.db.models import Contact, Shift, Staff, Task
from callrouter.services import accounts

PASSWORD = "correct horse battery staple"


@pytest.fixture
def settings(settings, tmp_path):
    """Answer with the demo flow only, so console tests do not move with other councils' flows."""
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(PROJECT_ROOT / "ivr_flows" / "default.yaml", flows / "default.yaml")
    return replace(settings, flows_dir=flows)


def create_staff(
    db, ref: str, name: str, role: str, team: str | None = None, on_shift: bool = True
) -> Staff:
    staff = Staff(ref=ref, name=name, role=role, team=team, skills="", availability="available")
    db.add(staff)
    db.flush()
    if on_shift:
        now = datetime.now(UTC)
        db.add(
            Shift(
                staff_id=staff.id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=8),
            )
        )
    db.commit()
    return staff


def create_user(
    db, role: str, email: str | None = None, name: str | None = None, staff_ref: str | None = None
) -> User:
    user = accounts.create_user(
        db,
        email or f"{role}@council.example",
        PASSWORD,
        name or role.replace("_", " ").title(),
        role,
        datetime.now(UTC),
        staff_ref=staff_ref,
    )
    db.commit()
    return user


def create_task(
    db,
    level: str = "s47",
    role: str = "social_worker",
    assignee: Staff | None = None,
    due_in: timedelta = timedelta(hours=1),
    answers: dict | None = None,
    reference: str = "ACD347",
    out_of_hours_cover: bool = False,
) -> Task:
    now = datetime.now(UTC)
    contact = Contact(
        reference=reference,
        flow_name="default",
        channel="phone",
        from_number="+447400123456",
        status="closed",
        outcome="callback",
        answers=answers
        or {
            "level": level,
            "callback_number": "+447400123456",
            "caller_name": "Ann Teacher",
            "child_name": "Sam Smith",
        },
        created_at=now,
        updated_at=now,
    )
    db.add(contact)
    db.flush()
    task = Task(
        contact_id=contact.id,
        kind="callback",
        role=role,
        level=level,
        callback_number="+447400123456",
        due_at=now + due_in,
        status="allocated" if assignee else "unallocated",
        assignee_id=assignee.id if assignee else None,
        created_at=now,
        allocated_at=now if assignee else None,
        out_of_hours_cover=out_of_hours_cover,
    )
    db.add(task)
    db.commit()
    return task


def csrf_of(soup: BeautifulSoup) -> str:
    return soup.find("input", attrs={"name": "csrf_token"})["value"]


def get_page(client, url: str, status: int = 200) -> BeautifulSoup:
    """Fetch a page, check its status, and return its parsed HTML."""
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def post_form(client, url: str, data: dict, status: int = 302, csrf_from: str | None = None):
    """Post a form with the CSRF token from a page (the same url by default)."""
    token = csrf_of(get_page(client, csrf_from or url))
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def sign_in(client, user: User) -> None:
    post_form(client, "/console/sign-in", {"email": user.email, "password": PASSWORD})


@pytest.fixture
def page():
    return get_page


@pytest.fixture
def advisor(db):
    return create_user(db, "advisor")


@pytest.fixture
def social_worker_staff(db):
    return create_staff(db, "sw1", "Sam Worker", "social_worker", team="mash")


@pytest.fixture
def social_worker(db, social_worker_staff):
    return create_user(db, "social_worker", name="Sam Worker", staff_ref="sw1")


@pytest.fixture
def early_help(db):
    create_staff(db, "eh1", "Erin Helper", "early_help_worker", team="support_hub")
    return create_user(db, "early_help", name="Erin Helper", staff_ref="eh1")


@pytest.fixture
def manager(db):
    create_staff(db, "pm1", "Pat Manager", "practice_manager", team="mash", on_shift=False)
    return create_user(db, "practice_manager", name="Pat Manager", staff_ref="pm1")


@pytest.fixture
def admin(db):
    return create_user(db, "admin", name="Ada Admin")

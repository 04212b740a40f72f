"""Fixtures shared by the service tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callrouter.db.console_models import User
from callrouter.db.models import Staff
from tests.services.factories import RecordingDispatcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def people(runtime):
    """A social worker and a practice manager, each with a console user."""
    with runtime.unit_of_work(RecordingDispatcher()) as uow:
        worker = Staff(ref="sw1", name="Sam Worker", role="social_worker", team="mash")
        manager = Staff(ref="pm1", name="Pat Manager", role="practice_manager", team="mash")
        uow.session.add_all([worker, manager])
        uow.session.flush()
        users = {
            role: User(
                email=f"{role}@council.example",
                name=name,
                role=role,
                password_hash="-",
                staff_ref=ref,
                created_at=NOW,
            )
            for role, name, ref in [
                ("social_worker", "Sam Worker", "sw1"),
                ("practice_manager", "Pat Manager", "pm1"),
                ("early_help", "Erin Helper", None),
                ("admin", "Ada Admin", None),
            ]
        }
        uow.session.add_all(users.values())
        uow.commit()
        return {"worker": worker.id, **{role: user.id for role, user in users.items()}}

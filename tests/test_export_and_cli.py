"""`callrouter export`, migrations, queues and the Procfile: what operators rely on."""

from __future__ import annotations

import json
import re

from sqlalchemy import create_engine, inspect

from callrouter import cli
from callrouter.config import PROJECT_ROOT
from callrouter.db.migrate import downgrade, upgrade
from tests.webhooks.calls import CHECS, NOT_OPEN, S47, give_details, professional_to_level
from workers.queues import JOB_QUEUES, QueueNames


def test_export_prints_every_contact_with_its_tasks_and_messages(
    dial, jobs, settings, monkeypatch, capsys
):
    phone = dial()
    professional_to_level(phone, CHECS, NOT_OPEN, S47)
    give_details(phone, consent="2")
    dial().ring()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CALLROUTER_DATA_DIR", str(settings.data_dir))

    assert cli.main(["export"]) == 0
    contacts = json.loads(capsys.readouterr().out)

    assert [c["call_sid"] for c in contacts] == [phone.call_sid, contacts[1]["call_sid"]]
    first = contacts[0]
    assert (first["caller_type"], first["level"], first["outcome"]) == (
        "professional",
        "s47",
        "callback",
    )
    assert first["callback_number"] == "+447400123456"
    assert first["consent"] == "refused"
    [task] = first["tasks"]
    assert (task["role"], task["status"]) == ("social_worker", "unallocated")
    assert re.match(r"\d{4}-\d\d-\d\dT", task["due_at"])
    assert first["messages"] == []
    assert contacts[1]["outcome"] is None


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    assert {"contacts", "tasks", "messages", "staff", "shifts", "call_turns"} <= _tables(url)
    downgrade(url, "base")
    assert _tables(url) == {"alembic_version"}
    upgrade(url)


def test_every_job_has_a_queue_the_worker_listens_to():
    assert set(JOB_QUEUES.values()) <= set(QueueNames.all())


def test_the_procfile_runs_migrations_on_release_and_a_scheduling_worker():
    entries = dict(
        line.split(":", 1)
        for line in (PROJECT_ROOT / "Procfile").read_text().splitlines()
        if line.strip()
    )
    assert set(entries) == {"web", "worker", "release"}
    assert "callrouter migrate" in entries["release"]
    assert "callrouter worker" in entries["worker"]
    assert "$PORT" in entries["web"]


def test_the_worker_keeps_the_demo_rota_loaded_two_weeks_ahead(settings, runtime, db):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from callrouter.db.models import Shift

    cli._load_staff_if_empty(settings)
    first_horizon = db.scalar(select(func.max(Shift.ends_at)))
    db.execute(Shift.__table__.delete().where(Shift.starts_at > datetime.now(UTC)))
    db.commit()

    cli._refresh_rota(settings)

    assert db.scalar(select(func.max(Shift.ends_at))) == first_horizon
    assert first_horizon > datetime.now(UTC) + timedelta(days=13)


def test_the_migrations_build_exactly_the_schema_the_models_describe(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from callrouter.db import console_models  # noqa: F401  (its tables are in the metadata)
    from callrouter.db.models import Base

    url = f"sqlite:///{tmp_path / 'head.sqlite3'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []

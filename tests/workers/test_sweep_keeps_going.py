"""The minute's sweep is the backstop for lost timers: nothing one row or one step does, and no
worker killed mid-sweep, may stop it recording a breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from callrouter.db.models import Contact, Escalation, Task
from callrouter.services import allocation
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import RecordingDispatcher, create_staff, create_task
from workers import context as job_context
from workers import jobs as job_functions
from workers.queues import JOB_QUEUES

CREATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DUE = CREATED + timedelta(hours=1)


@pytest.fixture
def sweep_at(runtime, monkeypatch):
    """Run the sweep job in this process as if the clock said `at`."""
    job_context.use(job_context.JobContext(runtime, RecordingDispatcher(), None))

    def run(at: datetime):
        monkeypatch.setattr(job_functions, "_now", lambda: at)
        return job_functions.sweep()

    yield run
    job_context.use(None)


def _escalations(db) -> list[tuple[int, str]]:
    return [(e.task_id, e.kind) for e in db.scalars(select(Escalation).order_by(Escalation.id))]


def test_a_call_left_open_on_a_flow_since_retired_is_closed_and_the_sweep_goes_on(
    runtime, sweep_at, db
):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, "pm-on", "practice_manager", starts=CREATED)
        task_id = create_task(uow, created=CREATED).id  # its timers were lost
        uow.session.add(
            Contact(
                reference="OLD001",
                flow_name="retired-flow",
                channel="phone",
                status="in_progress",
                answers={},
                created_at=DUE - timedelta(hours=3),
                updated_at=DUE - timedelta(hours=3),
            )
        )
        uow.commit()

    summary = sweep_at(DUE + timedelta(minutes=1))

    assert summary["escalations"] == 1 and summary["closed_calls"] == 1
    assert _escalations(db) == [(task_id, "breach")]
    old = db.scalars(select(Contact).where(Contact.reference == "OLD001")).one()
    assert old.status == "closed"


def test_a_step_that_fails_is_logged_and_the_other_steps_still_run(
    runtime, sweep_at, db, monkeypatch, caplog
):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, "pm-on", "practice_manager", starts=CREATED)
        task_id = create_task(uow, created=CREATED).id
        uow.commit()

    def broken(uow, now):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(allocation, "release_unreachable_holders", broken)
    with pytest.raises(job_functions.SweepIncomplete) as failed:
        sweep_at(DUE)

    assert failed.value.failed == ["released"]
    assert "sweep: released failed" in caplog.text
    assert _escalations(db) == [(task_id, "breach")]
    assert db.get(Task, task_id).status == "allocated"  # allocation ran after the failure


def test_a_sweep_killed_with_its_worker_does_not_hold_up_the_next_minutes(redis, dispatcher):
    now = datetime.now(UTC)
    dispatcher.enqueue_every_minute("sweep", now)
    [first] = Queue(JOB_QUEUES["sweep"], connection=redis).job_ids
    # Its worker is killed mid-sweep: RQ leaves the job "started" until its clean-up.
    job = Job.fetch(first, connection=redis)
    job.set_status(JobStatus.STARTED)
    Queue(JOB_QUEUES["sweep"], connection=redis).remove(first)

    dispatcher.enqueue_every_minute("sweep", now + timedelta(minutes=1))

    queued = Queue(JOB_QUEUES["sweep"], connection=redis).job_ids
    assert len(queued) == 1 and queued[0] != first


def test_a_sweep_still_waiting_for_a_busy_worker_is_not_queued_again(redis, dispatcher):
    now = datetime.now(UTC)
    for minute in range(5):
        dispatcher.enqueue_every_minute("sweep", now + timedelta(minutes=minute))

    assert len(Queue(JOB_QUEUES["sweep"], connection=redis).job_ids) == 1


def test_a_database_error_in_the_logs_carries_no_callers_number(runtime):
    with runtime.session_factory() as session, pytest.raises(DBAPIError) as error:
        session.execute(
            text("SELECT * FROM no_such_table WHERE number = :number"), {"number": "+447400123456"}
        )
    assert "+447400123456" not in str(error.value)

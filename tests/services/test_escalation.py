"""Managers hear before a deadline is at risk and the moment it is breached; nothing expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from callrouter.db.console_models import TaskAttempt, User
from callrouter.db.models import Escalation, Staff, Task
from callrouter.services import tasks
from callrouter.services.escalation import check_deadlines
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff, create_task
from tests.webhooks.calls import CHECS, NOT_OPEN, S47, give_details, professional_to_level
from workers.dispatch import RQDispatcher, not_before
from workers.queues import QueueNames

CREATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _check(runtime, at):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return [(e.task_id, e.kind) for e in check_deadlines(uow, at)]


def _s47_task(runtime, status="unallocated") -> int:
    """An s47 call-back with a social worker on shift all through its hour and after."""
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, f"sw-{status}", "social_worker", starts=CREATED - timedelta(hours=1))
        task_id = create_task(uow, created=CREATED, status=status).id
        uow.commit()
        return task_id


def test_a_section_47_call_back_is_flagged_at_risk_half_way_through_its_hour(runtime):
    task_id = _s47_task(runtime)

    assert _check(runtime, CREATED + timedelta(minutes=29)) == []
    assert _check(runtime, CREATED + timedelta(minutes=30)) == [(task_id, "at_risk")]
    assert _check(runtime, CREATED + timedelta(minutes=45)) == []  # told once


def test_a_breach_is_recorded_the_moment_the_deadline_passes(runtime):
    task_id = _s47_task(runtime)
    _check(runtime, CREATED + timedelta(minutes=31))

    assert _check(runtime, CREATED + timedelta(minutes=59, seconds=59)) == []
    assert _check(runtime, CREATED + timedelta(hours=1)) == [(task_id, "breach")]
    assert _check(runtime, CREATED + timedelta(hours=5)) == []


def test_a_completed_call_back_is_never_escalated(runtime):
    task_id = _s47_task(runtime)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        uow.session.get(Task, task_id).status = "completed"
        uow.commit()

    assert _check(runtime, CREATED + timedelta(hours=2)) == []


def test_the_escalation_goes_to_the_practice_manager_on_shift(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, "pm-off", "practice_manager", starts=CREATED + timedelta(hours=5))
        manager = create_staff(uow, "pm-on", "practice_manager", starts=CREATED)
        create_task(uow, created=CREATED)
        uow.commit()
        manager_id = manager.id

    _check(runtime, CREATED + timedelta(hours=1))
    with runtime.unit_of_work(NoDispatcher()) as uow:
        [escalation] = uow.session.scalars(select(Escalation)).all()
        assert (escalation.kind, escalation.manager_id) == ("breach", manager_id)


def test_out_of_hours_the_edt_on_shift_is_told_of_what_it_covers(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        edt = create_staff(
            uow, "edt-on", "edt_social_worker", starts=CREATED, availability="busy"
        )  # on a call, but there to be told
        create_staff(uow, "edt-off", "edt_social_worker", starts=CREATED + timedelta(hours=5))
        covered = create_task(uow, created=CREATED, out_of_hours_cover=True).id
        public = create_task(uow, created=CREATED, level="public_concern").id
        uow.commit()
        edt_id = edt.id

    _check(runtime, CREATED + timedelta(hours=1))
    with runtime.unit_of_work(NoDispatcher()) as uow:
        told = {e.task_id: e.manager_id for e in uow.session.scalars(select(Escalation))}
    # What the EDT does not cover waits for the managers' queue page in the morning.
    assert told == {covered: edt_id, public: None}


def test_a_practice_manager_on_shift_is_told_before_the_edt(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(uow, "edt-on", "edt_social_worker", starts=CREATED)
        manager = create_staff(uow, "pm-on", "practice_manager", starts=CREATED)
        create_task(uow, created=CREATED, out_of_hours_cover=True)
        uow.commit()
        manager_id = manager.id

    _check(runtime, CREATED + timedelta(hours=1))
    with runtime.unit_of_work(NoDispatcher()) as uow:
        [escalation] = uow.session.scalars(select(Escalation)).all()
        assert escalation.manager_id == manager_id


def test_a_breached_call_back_stays_open_however_late_it_gets(runtime):
    task_id = _s47_task(runtime, status="allocated")

    _check(runtime, CREATED + timedelta(days=30))
    with runtime.unit_of_work(NoDispatcher()) as uow:
        task = uow.session.get(Task, task_id)
        assert (task.status, task.closed_at) == ("allocated", None)


def test_a_new_call_back_sets_timers_for_its_warning_and_its_deadline(dial, redis, db):
    from freezegun import freeze_time

    phone = dial()
    with freeze_time(CREATED):
        professional_to_level(phone, CHECS, NOT_OPEN, S47)
        give_details(phone)

    [task] = db.scalars(select(Task)).all()
    registry = ScheduledJobRegistry(queue=Queue(QueueNames.URGENT, connection=redis))
    timers = sorted(
        registry.get_scheduled_time(job_id)
        for job_id in registry.get_job_ids()
        if job_id.startswith(f"check_task_deadline-{task.id}-")
    )
    assert timers == [CREATED + timedelta(minutes=30), CREATED + timedelta(hours=1)]


def test_a_timer_never_fires_before_a_deadline_with_a_fraction_of_a_second(redis):
    # RQ keeps whole seconds: a check for 11:00:00.7 must wait for 11:00:01, not run at
    # 11:00:00 and find the call-back not yet due.
    due = CREATED + timedelta(hours=1, microseconds=700_000)
    RQDispatcher(redis).enqueue("check_task_deadline", 99, at=due)

    registry = ScheduledJobRegistry(queue=Queue(QueueNames.URGENT, connection=redis))
    [job_id] = [j for j in registry.get_job_ids() if j.startswith("check_task_deadline-99-")]
    assert registry.get_scheduled_time(job_id) == CREATED + timedelta(hours=1, seconds=1)
    assert not_before(CREATED) == CREATED


def _lancashire_callback(
    runtime, reference: str, level: str, at: datetime, channel: str = "phone", staff=()
) -> tuple[int, datetime, datetime]:
    """Make a Lancashire call-back at `at`, after putting `staff` (create_staff arguments) on
    the rota; return its id, due time and warning time."""
    from callrouter.db.models import Contact
    from callrouter.services.outcomes import create_callback

    with runtime.unit_of_work(NoDispatcher()) as uow:
        for ref, role, kwargs in staff:
            create_staff(uow, ref, role, **kwargs)
        contact = Contact(
            reference=reference,
            flow_name="lancashire",
            channel=channel,
            answers={"callback_number": "+447400123456"},
            created_at=at,
            updated_at=at,
        )
        uow.session.add(contact)
        task = create_callback(uow, contact, runtime.flows.flows["lancashire"], level, at)
        uow.commit()
        return task.id, task.due_at, task.warn_at


def test_a_message_left_on_friday_night_is_not_escalated_over_the_weekend(runtime):
    friday_night = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    # out_of_hours: 4 working hours; the hub is back on Monday.
    task_id, due, warn = _lancashire_callback(
        runtime,
        "WKND01",
        "out_of_hours",
        friday_night,
        staff=[
            ("sw-monday", "social_worker", {"starts": datetime(2026, 11, 30, 8, 30, tzinfo=UTC)})
        ],
    )
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert (due, warn) == (datetime(2026, 11, 30, 13, 0, tzinfo=UTC), monday_noon)

    assert _check(runtime, datetime(2026, 11, 29, 20, 15, tzinfo=UTC)) == []  # Sunday night
    assert _check(runtime, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == []  # opening
    assert _check(runtime, monday_noon) == [(task_id, "at_risk")]


def test_a_clock_hours_call_back_due_over_the_weekend_is_at_risk_before_friday_closing(runtime):
    friday_afternoon = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # the office shuts at 16:30
    # level2: 48 hours, no out-of-hours cover. Someone able is rostered all weekend, so only
    # the office's closing warns early.
    task_id, due, warn = _lancashire_callback(
        runtime,
        "WKND02",
        "level2",
        friday_afternoon,
        staff=[("ehw-weekend", "early_help_worker", {"starts": friday_afternoon, "hours": 72})],
    )
    assert due == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Sunday, by the clock
    # Three quarters of the 90 minutes the office is open before it: told while someone is
    # there to make the call, not at 3am on Sunday.
    assert warn == friday_afternoon + timedelta(minutes=67, seconds=30)
    assert _check(runtime, warn - timedelta(seconds=1)) == []
    assert _check(runtime, warn) == [(task_id, "at_risk")]


def test_a_clock_hours_call_back_with_no_open_time_before_its_deadline_is_at_risk_at_once(runtime):
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    _, due, warn = _lancashire_callback(
        runtime, "WKND03", "public_concern", saturday, channel="console"
    )
    assert due == saturday + timedelta(hours=24)  # Sunday: the office never opens
    assert warn == saturday


DEADLINE = CREATED + timedelta(hours=1)


def test_a_call_back_closed_after_its_deadline_unchecked_still_has_its_breach_recorded(
    runtime, people
):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        worker = uow.session.get(Staff, people["worker"])
        task_id = create_task(uow, created=CREATED, status="allocated", assignee=worker).id
        uow.session.add(
            TaskAttempt(
                task_id=task_id,
                staff_id=worker.id,
                outcome="reached",
                created_at=DEADLINE + timedelta(minutes=5),
            )
        )
        uow.commit()
    # The worker is down from before the deadline until after the call-back is completed.
    with runtime.unit_of_work(NoDispatcher()) as uow:
        tasks.complete(
            uow,
            uow.session.get(Task, task_id),
            uow.session.get(User, people["social_worker"]),
            DEADLINE + timedelta(minutes=10),
        )

    with runtime.unit_of_work(NoDispatcher()) as uow:
        raised = check_deadlines(uow, DEADLINE + timedelta(minutes=15))
        assert [(e.task_id, e.kind, e.task_due_at) for e in raised] == [
            (task_id, "breach", DEADLINE)
        ]
    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert check_deadlines(uow, DEADLINE + timedelta(minutes=16)) == []  # once


def test_a_call_back_closed_in_time_or_long_ago_is_left_alone(runtime, people):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        in_time = create_task(uow, created=CREATED, status="completed")
        in_time.closed_at = DEADLINE - timedelta(minutes=5)
        long_ago = create_task(uow, created=CREATED - timedelta(days=30), status="cancelled")
        long_ago.closed_at = long_ago.due_at + timedelta(hours=1)
        uow.commit()

    with runtime.unit_of_work(NoDispatcher()) as uow:
        assert check_deadlines(uow, DEADLINE + timedelta(minutes=15)) == []

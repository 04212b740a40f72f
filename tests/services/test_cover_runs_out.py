"""A call-back nobody on the rota can make before its deadline is at risk while a manager can
still act: the hour before the last person able to make it goes off, or at once if nobody is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callrouter.db.models import Escalation, Staff
from callrouter.services.escalation import COVER_WARNING_LEAD, check_deadlines
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff, create_task

FRIDAY_3PM = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # GMT: UK time is UTC
FRIDAY_5PM = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
LEVEL2 = {"role": "early_help_worker", "level": "level2", "due_in": timedelta(hours=48)}


def _check(runtime, at) -> list[tuple[int, str]]:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return [(e.task_id, e.kind) for e in check_deadlines(uow, at)]


def _weekday_hub(uow, *, weekends: bool = False) -> Staff:
    """Early help workers 09:00 to 17:00 on weekdays (and weekends), a manager on Friday."""
    for day in range(7 if weekends else 5):  # Monday 23 November onwards
        starts = datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(days=day)
        create_staff(uow, f"ehw-{day}", "early_help_worker", starts=starts)
    return create_staff(
        uow,
        "pm-friday",
        "practice_manager",
        starts=datetime(2026, 11, 27, 8, 30, tzinfo=UTC),
        hours=9,
    )


def _escalation(runtime, task_id) -> Escalation:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        [escalation] = uow.session.scalars(
            select(Escalation).where(Escalation.task_id == task_id)
        ).all()
        uow.session.expunge(escalation)
        return escalation


def test_a_friday_afternoon_call_back_due_at_the_weekend_warns_before_the_team_goes_home(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        manager_id = _weekday_hub(uow).id
        task_id = create_task(uow, created=FRIDAY_3PM, **LEVEL2).id  # due Sunday 15:00
        uow.commit()

    assert _check(runtime, FRIDAY_5PM - COVER_WARNING_LEAD - timedelta(minutes=1)) == []
    assert _check(runtime, FRIDAY_5PM - COVER_WARNING_LEAD) == [(task_id, "at_risk")]
    assert _check(runtime, FRIDAY_5PM + timedelta(hours=30)) == []  # told once, not on Sunday

    escalation = _escalation(runtime, task_id)
    assert (escalation.manager_id, escalation.cover_ends_at) == (manager_id, FRIDAY_5PM)
    assert _check(runtime, FRIDAY_3PM + LEVEL2["due_in"]) == [(task_id, "breach")]


def test_a_call_back_covered_up_to_its_deadline_warns_only_as_its_deadline_nears(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        _weekday_hub(uow, weekends=True)
        task_id = create_task(uow, created=FRIDAY_3PM, **LEVEL2).id
        uow.commit()

    assert _check(runtime, FRIDAY_5PM - COVER_WARNING_LEAD) == []
    assert _check(runtime, FRIDAY_3PM + timedelta(hours=36)) == [(task_id, "at_risk")]
    assert _escalation(runtime, task_id).cover_ends_at is None


def test_a_call_back_nobody_on_the_rota_can_make_is_at_risk_at_once(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        _weekday_hub(uow, weekends=True)
        task_id = create_task(
            uow, created=FRIDAY_3PM, role="idva", level="level2", due_in=timedelta(hours=48)
        ).id  # and there is no IDVA
        uow.commit()

    assert _check(runtime, FRIDAY_3PM) == [(task_id, "at_risk")]
    assert _escalation(runtime, task_id).cover_ends_at == FRIDAY_3PM


def test_someone_off_sick_is_no_cover(runtime):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        _weekday_hub(uow)
        friday = uow.session.scalar(select(Staff).where(Staff.ref == "ehw-4"))
        friday.availability, friday.availability_since = "off", FRIDAY_3PM  # went home ill
        task_id = create_task(uow, created=FRIDAY_3PM, **LEVEL2).id
        uow.commit()

    assert _check(runtime, FRIDAY_3PM) == [(task_id, "at_risk")]
    assert _escalation(runtime, task_id).cover_ends_at == FRIDAY_3PM


def test_an_s47_late_in_the_day_warns_at_once_unless_the_edt_comes_on_to_cover_it(runtime):
    at_4_50pm = datetime(2026, 11, 24, 16, 50, tzinfo=UTC)
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_staff(
            uow, "sw-late", "social_worker", starts=datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
        )  # off at 17:30
        alone = create_task(uow, created=at_4_50pm).id
        covered = create_task(uow, created=at_4_50pm, out_of_hours_cover=True).id
        create_staff(
            uow,
            "edt-evening",
            "edt_social_worker",
            starts=datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
        )
        uow.commit()

    assert _check(runtime, at_4_50pm) == [(alone, "at_risk")]
    assert _escalation(runtime, alone).cover_ends_at == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert _check(runtime, at_4_50pm + timedelta(minutes=30)) == [(covered, "at_risk")]
    assert _escalation(runtime, covered).cover_ends_at is None  # half its hour gone


def test_the_console_says_why_a_call_back_is_at_risk_days_before_its_deadline(app, runtime, db):
    with runtime.unit_of_work(NoDispatcher()) as uow:
        _weekday_hub(uow)
        create_task(uow, created=FRIDAY_3PM, **LEVEL2)
        uow.commit()
    _check(runtime, FRIDAY_5PM - COVER_WARNING_LEAD)
    escalations = db.scalars(select(Escalation)).all()

    with app.test_request_context():
        from callrouter.services.tasks import urgency

        html = app.jinja_env.get_template("_escalated_rows.html").render(
            escalations=escalations,
            now=FRIDAY_5PM - COVER_WARNING_LEAD,
            urgency=urgency,
            empty="none",
        )

    assert "At risk of missing its deadline" in html
    assert "Nobody who can make it is on shift after 17:00" in html

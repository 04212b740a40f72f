"""The allocator: earliest deadline first, to someone eligible with room and time to act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callrouter.db.console_models import TaskAttempt, TaskReallocation, User
from callrouter.db.models import DialLock, Shift, Staff, Task
from callrouter.services.allocation import (
    AllocationRules,
    allocate_pending,
    allocate_task,
    current_availability,
    release_unreachable_holders,
    set_availability,
    waiting_reasons,
)
from callrouter.services.tasks import eligible_staff
from callrouter.services.unit_of_work import NoDispatcher
from tests.services.factories import create_staff, create_task

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
ONE_EACH = AllocationRules(capacity_per_person=1)


def _uow(runtime):
    return runtime.unit_of_work(NoDispatcher())


def _holder(runtime, task_id):
    with _uow(runtime) as uow:
        task = uow.session.get(Task, task_id)
        return (task.status, task.assignee.ref if task.assignee else None)


def test_a_task_goes_to_the_eligible_person_with_fewest_open_tasks(runtime):
    with _uow(runtime) as uow:
        busy = create_staff(uow, "sw-busy", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-free", "senior_social_worker", starts=EARLIER)
        create_staff(uow, "eh", "early_help_officer", starts=EARLIER)
        create_staff(uow, "sw-later", "social_worker", starts=NOW + timedelta(hours=3))
        create_staff(uow, "sw-away", "social_worker", starts=EARLIER, availability="away")
        create_task(uow, created=EARLIER, status="allocated", assignee=busy)
        task_id = create_task(uow, created=NOW).id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_task(uow, task_id, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw-free")


def test_with_nobody_eligible_on_shift_the_task_waits_unallocated_and_visible(runtime):
    with _uow(runtime) as uow:
        create_staff(uow, "eh", "early_help_worker", starts=EARLIER)
        create_staff(uow, "sw-later", "social_worker", starts=NOW + timedelta(hours=1))
        task_id = create_task(uow, created=NOW).id
        uow.commit()

    with _uow(runtime) as uow:
        assert allocate_task(uow, task_id, NOW) is None
    assert _holder(runtime, task_id) == ("unallocated", None)


def test_the_earliest_deadline_is_served_first_when_there_is_room_for_one(runtime):
    with _uow(runtime) as uow:
        create_staff(uow, "sw", "social_worker", starts=EARLIER)
        later = create_task(uow, created=EARLIER, due_in=timedelta(hours=48), level="level2")
        sooner = create_task(uow, created=NOW, due_in=timedelta(hours=1))
        uow.commit()
        later_id, sooner_id = later.id, sooner.id

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW, ONE_EACH)
    assert _holder(runtime, sooner_id) == ("allocated", "sw")
    assert _holder(runtime, later_id) == ("unallocated", None)


def test_nobody_is_given_more_than_the_cap(runtime):
    with _uow(runtime) as uow:
        create_staff(uow, "sw", "social_worker", starts=EARLIER)
        ids = [create_task(uow, created=NOW + timedelta(minutes=i)).id for i in range(3)]
        uow.commit()

    with _uow(runtime) as uow:
        made = allocate_pending(uow, NOW, AllocationRules(capacity_per_person=2))
    assert len(made) == 2
    assert [_holder(runtime, i)[0] for i in ids] == ["allocated", "allocated", "unallocated"]


def _leaving_and_staying_social_workers(runtime):
    with _uow(runtime) as uow:
        create_staff(
            uow, "sw-leaving", "social_worker", starts=NOW - timedelta(hours=8), hours=8 + 5 / 60
        )  # five minutes left
        create_staff(uow, "sw-staying", "social_worker", starts=EARLIER, hours=1.5)
        create_staff(
            uow, "sw-gone", "social_worker", starts=NOW - timedelta(hours=8), hours=8
        )  # signed off at ten
        task_id = create_task(uow, created=NOW).id
        uow.commit()
    return task_id


def test_without_overruns_a_person_whose_shift_ends_before_they_could_act_gets_no_new_task(
    runtime,
):
    task_id = _leaving_and_staying_social_workers(runtime)
    finish_in_shift = AllocationRules(allow_overrun=False, lead_time=timedelta(minutes=2))

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW, finish_in_shift)
    assert _holder(runtime, task_id) == ("allocated", "sw-staying")


def test_in_production_whoever_leaves_soonest_starts_the_call_and_the_stayer_stays_free(runtime):
    task_id = _leaving_and_staying_social_workers(runtime)

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw-leaving")


def test_ties_go_to_whoever_has_been_given_fewest_call_backs_since_their_shift_began(runtime):
    with _uow(runtime) as uow:
        busy = create_staff(uow, "sw-busy-today", "social_worker", starts=EARLIER)
        quiet = create_staff(uow, "sw-busy-yesterday", "social_worker", starts=EARLIER)
        for minutes in (10, 20, 30):
            done = create_task(uow, created=EARLIER, status="completed", assignee=busy)
            done.allocated_at = EARLIER + timedelta(minutes=minutes)
        for hours in (20, 21, 22, 23):
            done = create_task(
                uow, created=NOW - timedelta(days=1), status="completed", assignee=quiet
            )
            done.allocated_at = NOW - timedelta(hours=hours)
        task_id = create_task(uow, created=NOW).id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw-busy-yesterday")


def test_a_practice_manager_on_shift_stands_in_for_an_s47_no_social_worker_can_take(runtime):
    with _uow(runtime) as uow:
        sw = create_staff(uow, "sw", "social_worker", starts=EARLIER)
        create_staff(uow, "pm", "practice_manager", starts=EARLIER)
        create_task(uow, created=EARLIER, status="allocated", assignee=sw)
        s47 = create_task(uow, created=NOW).id
        public = create_task(
            uow, created=NOW, due_in=timedelta(hours=24), level="public_concern"
        ).id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, s47) == ("allocated", "pm")
    assert _holder(runtime, public) == ("unallocated", None)  # it can wait for a social worker


def test_after_the_office_shuts_the_edt_is_given_the_urgent_call_backs_left_waiting(runtime):
    # The last social worker signed off at 17:00 with an s47 call-back still waiting; the
    # EDT came on. Without the hand-over it would wait for the next office day.
    five_past_five = NOW.replace(hour=17, minute=5)
    with _uow(runtime) as uow:
        create_staff(uow, "sw", "social_worker", starts=NOW.replace(hour=9))
        create_staff(uow, "edt", "edt_social_worker", starts=NOW.replace(hour=17), hours=16)
        s47 = create_task(uow, created=NOW.replace(hour=16, minute=30), out_of_hours_cover=True).id
        breached_public = create_task(
            uow,
            created=five_past_five - timedelta(hours=25),
            due_in=timedelta(hours=24),
            level="public_concern",
        ).id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_pending(uow, five_past_five)
        reasons = waiting_reasons(uow, five_past_five)
    assert _holder(runtime, s47) == ("allocated", "edt")
    assert _holder(runtime, breached_public) == ("unallocated", None)  # not the EDT's work
    assert reasons == {breached_public: "no senior social worker or social worker on shift now"}


def test_a_manager_may_hand_the_edt_only_the_call_backs_it_covers(runtime):
    with _uow(runtime) as uow:
        for ref, role in (
            ("sw", "social_worker"),
            ("pm", "practice_manager"),
            ("edt", "edt_social_worker"),
            ("eh", "early_help_officer"),
        ):
            create_staff(uow, ref, role, starts=EARLIER)
        s47 = create_task(uow, created=NOW, out_of_hours_cover=True)
        public = create_task(uow, created=NOW, level="public_concern")

        def choices(task):
            return {staff.ref for staff in eligible_staff(uow.session, task)}

        assert choices(s47) == {"sw", "pm", "edt"}
        assert choices(public) == {"sw", "pm"}


def test_back_to_back_shifts_count_as_one_stretch_of_work(runtime):
    with _uow(runtime) as uow:
        sw = create_staff(
            uow, "sw", "social_worker", starts=NOW - timedelta(hours=4), hours=4 + 2 / 60
        )  # ends 10:02 ...
        uow.session.add(
            Shift(
                staff_id=sw.id,
                starts_at=NOW + timedelta(minutes=2),
                ends_at=NOW + timedelta(hours=4),
            )
        )  # ... and goes on till 14:00
        task_id = create_task(uow, created=NOW).id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw")


def test_a_task_needing_a_skill_goes_only_to_someone_with_it(runtime):
    with _uow(runtime) as uow:
        create_staff(uow, "sw", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-lado", "social_worker", starts=EARLIER, skills="lado")
        create_staff(uow, "sw-lado-2", "social_worker", starts=EARLIER, skills="lado;exploitation")
        first = create_task(uow, created=NOW, skill="lado").id
        second = create_task(uow, created=NOW, skill="lado").id
        third = create_task(uow, created=NOW, skill="domestic_abuse").id
        uow.commit()

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW, ONE_EACH)
    assert {_holder(runtime, first)[1], _holder(runtime, second)[1]} == {"sw-lado", "sw-lado-2"}
    assert _holder(runtime, third) == ("unallocated", None)


def test_a_person_marked_away_has_their_tasks_reallocated_with_the_reason_kept(runtime):
    with _uow(runtime) as uow:
        leaving = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        task_id = create_task(uow, created=NOW, status="allocated", assignee=leaving).id
        uow.commit()
        leaving_id = leaving.id

    with _uow(runtime) as uow:
        set_availability(uow, leaving_id, "away", NOW)
        allocate_pending(uow, NOW)

    assert _holder(runtime, task_id) == ("allocated", "sw-2")
    with _uow(runtime) as uow:
        [moved] = uow.session.scalars(select(TaskReallocation)).all()
        assert (moved.from_staff_id, moved.to_staff_id) == (leaving_id, None)
        assert "away" in moved.reason


def test_signing_off_hands_back_what_is_held_and_a_mistake_is_undone(runtime):
    with _uow(runtime) as uow:
        leaving = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        task_id = create_task(uow, created=NOW, status="allocated", assignee=leaving).id
        uow.commit()
        leaving_id = leaving.id

    with _uow(runtime) as uow:
        set_availability(uow, leaving_id, "off", NOW)
        shift = uow.session.scalar(select(Shift).where(Shift.staff_id == leaving_id))
        assert shift.ends_at == EARLIER + timedelta(hours=8)  # the rota stands
    assert _holder(runtime, task_id) == ("unallocated", None)
    with _uow(runtime) as uow:
        assert allocate_pending(uow, NOW + timedelta(minutes=1)) == []

    # Marked off by mistake: marking them available gives them work again on this shift.
    with _uow(runtime) as uow:
        set_availability(uow, leaving_id, "available", NOW + timedelta(minutes=2))
    with _uow(runtime) as uow:
        allocate_pending(uow, NOW + timedelta(minutes=2))
    assert _holder(runtime, task_id) == ("allocated", "sw-1")


def test_a_holder_whose_shift_ended_loses_the_task_to_the_pool(runtime):
    with _uow(runtime) as uow:
        holder = create_staff(
            uow, "sw-1", "social_worker", starts=NOW - timedelta(hours=8), hours=7.5
        )
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        task_id = create_task(uow, created=EARLIER, status="allocated", assignee=holder).id
        uow.commit()

    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW) == [task_id]
        allocate_pending(uow, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw-2")


def test_a_task_handed_back_does_not_go_straight_back_to_the_same_person(runtime):
    with _uow(runtime) as uow:
        first = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        other = create_staff(uow, "sw-3", "social_worker", starts=EARLIER)
        create_task(uow, created=EARLIER, status="allocated", assignee=other)
        create_task(uow, created=EARLIER, status="allocated", assignee=other)
        task = create_task(uow, created=NOW)
        _handed_back(uow, task, first, NOW - timedelta(minutes=5))
        uow.commit()
        task_id = task.id

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, task_id) == ("allocated", "sw-2")


def _handed_back(uow, task, staff, at):
    """Record that this person handed the task back through the console."""
    user = User(
        email=f"{staff.ref}@council.example",
        name=staff.name,
        role="social_worker",
        password_hash="-",
        staff_ref=staff.ref,
        created_at=at,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.session.add(
        TaskReallocation(
            task_id=task.id,
            from_staff_id=staff.id,
            to_staff_id=None,
            reason="in a strategy meeting",
            user_id=user.id,
            created_at=at,
        )
    )


def test_a_hand_back_does_not_hold_up_an_earlier_deadline(runtime):
    # The one who handed back the soonest call-back leaves first and so would win it on the
    # tie; the policy gives it to the other, and the later one to them, rather than leaving
    # the soonest waiting with both of them free.
    with _uow(runtime) as uow:
        leaving = create_staff(uow, "sw-leaving", "social_worker", starts=EARLIER, hours=1.5)
        create_staff(uow, "sw-staying", "social_worker", starts=EARLIER)
        soonest = create_task(uow, created=NOW, due_in=timedelta(minutes=20))
        later = create_task(uow, created=NOW, due_in=timedelta(minutes=55))
        _handed_back(uow, soonest, leaving, NOW - timedelta(minutes=2))
        uow.commit()
        soonest_id, later_id = soonest.id, later.id

    with _uow(runtime) as uow:
        allocate_pending(uow, NOW, ONE_EACH)
    assert _holder(runtime, soonest_id) == ("allocated", "sw-staying")
    assert _holder(runtime, later_id) == ("allocated", "sw-leaving")


def test_someone_back_from_two_minutes_away_may_be_given_their_call_back_again(runtime):
    # Only a hand-back by the person keeps it from them for the cooldown, not the allocator's
    # own release: they may be the only one with the skill.
    with _uow(runtime) as uow:
        only = create_staff(uow, "sw-da", "social_worker", starts=EARLIER, skills="domestic_abuse")
        task_id = create_task(
            uow, created=EARLIER, skill="domestic_abuse", status="allocated", assignee=only
        ).id
        uow.commit()
        only_id = only.id
    with _uow(runtime) as uow:
        set_availability(uow, only_id, "away", NOW)
    assert _holder(runtime, task_id) == ("unallocated", None)

    with _uow(runtime) as uow:
        set_availability(uow, only_id, "available", NOW + timedelta(minutes=2))
    with _uow(runtime) as uow:
        allocate_pending(uow, NOW + timedelta(minutes=2))
    assert _holder(runtime, task_id) == ("allocated", "sw-da")


def test_allocating_again_changes_nothing(runtime):
    with _uow(runtime) as uow:
        create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        task_id = create_task(uow, created=NOW).id
        uow.commit()

    with _uow(runtime) as uow:
        first = allocate_task(uow, task_id, NOW)
    with _uow(runtime) as uow:
        assert allocate_pending(uow, NOW) == []
        assert allocate_task(uow, task_id, NOW) == first


def test_someone_busy_on_a_call_keeps_their_tasks_but_gets_no_new_ones(runtime):
    with _uow(runtime) as uow:
        busy = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        held_id = create_task(uow, created=EARLIER, status="allocated", assignee=busy).id
        uow.commit()
        busy_id = busy.id

    with _uow(runtime) as uow:
        set_availability(uow, busy_id, "busy", NOW)
    with _uow(runtime) as uow:
        new_id = create_task(uow, created=NOW).id
        uow.commit()
    with _uow(runtime) as uow:
        allocate_pending(uow, NOW)
    assert _holder(runtime, held_id) == ("allocated", "sw-1")
    assert _holder(runtime, new_id) == ("allocated", "sw-2")


def test_a_holder_who_signed_off_mid_call_keeps_the_task_until_the_dial_lock_goes_stale(runtime):
    with _uow(runtime) as uow:
        holder = create_staff(
            uow, "sw-1", "social_worker", starts=NOW - timedelta(hours=8), hours=7.9
        )
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        task = create_task(uow, created=EARLIER, status="allocated", assignee=holder)
        uow.session.add(
            DialLock(
                callback_number=task.callback_number,
                task_id=task.id,
                staff_id=holder.id,
                since=NOW - timedelta(minutes=10),
            )
        )
        uow.commit()
        task_id = task.id

    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW) == []  # still on the phone
    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW + timedelta(minutes=6)) == [task_id]


def _gone_home_holding_one(uow, *, out_of_hours_cover=False):
    """A social worker whose shift ended just before NOW, holding a call-back given at EARLIER."""
    holder = create_staff(uow, "sw-1", "social_worker", starts=NOW - timedelta(hours=8), hours=7.9)
    task = create_task(
        uow,
        created=EARLIER,
        status="allocated",
        assignee=holder,
        out_of_hours_cover=out_of_hours_cover,
    )
    task.allocated_at = EARLIER
    return holder, task


def test_a_holder_who_reached_the_caller_keeps_the_task_to_complete_after_signing_off(runtime):
    with _uow(runtime) as uow:
        holder, task = _gone_home_holding_one(uow)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        # Reached just before her shift ended; the attempt let go of the dial lock.
        uow.session.add(
            TaskAttempt(
                task_id=task.id,
                staff_id=holder.id,
                outcome="reached",
                created_at=NOW - timedelta(minutes=7),
            )
        )
        uow.commit()
        task_id = task.id

    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW + timedelta(minutes=30)) == []
    assert _holder(runtime, task_id) == ("allocated", "sw-1")


def test_a_retry_owed_after_the_caller_was_reached_goes_to_someone_on_shift(runtime):
    with _uow(runtime) as uow:
        holder, task = _gone_home_holding_one(uow)
        create_staff(uow, "sw-2", "social_worker", starts=EARLIER)
        uow.session.add_all(
            [
                TaskAttempt(
                    task_id=task.id,
                    staff_id=holder.id,
                    outcome="reached",
                    created_at=NOW - timedelta(minutes=40),
                ),
                TaskAttempt(
                    task_id=task.id,
                    staff_id=holder.id,
                    outcome="no_answer",
                    created_at=NOW - timedelta(minutes=10),
                ),
            ]
        )
        uow.commit()
        task_id = task.id
    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW) == [task_id]


def test_a_caller_the_edt_reached_for_a_gone_holder_is_not_given_out_again(runtime):
    with _uow(runtime) as uow:
        _, task = _gone_home_holding_one(uow, out_of_hours_cover=True)
        edt = create_staff(uow, "ed-1", "edt_social_worker", starts=EARLIER)
        create_staff(uow, "ed-2", "edt_social_worker", starts=EARLIER)
        uow.session.add(
            TaskAttempt(
                task_id=task.id,
                staff_id=edt.id,
                outcome="reached",
                created_at=NOW - timedelta(minutes=5),
            )
        )
        uow.commit()
    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW) == []


def test_a_holder_whose_page_keeps_a_long_call_alive_keeps_the_task_past_sign_off(runtime):
    from callrouter.services.dialling import keep_dialling

    with _uow(runtime) as uow:
        holder = create_staff(
            uow, "sw-1", "social_worker", starts=NOW - timedelta(hours=8), hours=7.9
        )
        task = create_task(uow, created=EARLIER, status="allocated", assignee=holder)
        uow.session.add(
            DialLock(
                callback_number=task.callback_number,
                task_id=task.id,
                staff_id=holder.id,
                since=NOW - timedelta(minutes=10),
            )
        )
        uow.commit()
        task_id, holder_id = task.id, holder.id

    for minutes in (0, 5, 10):  # the task page says so every few minutes
        with _uow(runtime) as uow:
            assert keep_dialling(
                uow, uow.session.get(Task, task_id), holder_id, NOW + timedelta(minutes=minutes)
            )
    with _uow(runtime) as uow:
        assert release_unreachable_holders(uow, NOW + timedelta(minutes=20)) == []
    assert _holder(runtime, task_id) == ("allocated", "sw-1")


def test_off_lasts_a_night_shift_past_midnight_but_not_the_next_night(runtime):
    # An EDT night worker off sick at 00:30 on Saturday, from a Friday night stretch stored as
    # two rows split at midnight: off for the rest of that night, back for Saturday night.
    friday_21 = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    with _uow(runtime) as uow:
        night = create_staff(uow, "ed-1", "edt_social_worker", starts=friday_21, hours=3)
        rows = ((friday_21 + timedelta(hours=3), 9), (friday_21 + timedelta(days=1), 12))
        for starts, hours in rows:
            uow.session.add(
                Shift(staff_id=night.id, starts_at=starts, ends_at=starts + timedelta(hours=hours))
            )
        uow.commit()
        night_id = night.id

    with _uow(runtime) as uow:
        set_availability(uow, night_id, "off", friday_21 + timedelta(hours=3, minutes=30))
    assert _availability(runtime, night_id, friday_21 + timedelta(hours=8)) == "off"
    assert _availability(runtime, night_id, friday_21 + timedelta(days=1, hours=1)) == "available"


def test_off_sick_late_in_an_evening_stays_off_past_a_midnight_split_in_the_rota(runtime):
    evening = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    with _uow(runtime) as uow:
        worker = create_staff(uow, "sw-late", "social_worker", starts=evening, hours=8)
        uow.session.add(
            Shift(
                staff_id=worker.id,
                starts_at=evening + timedelta(hours=8),
                ends_at=evening + timedelta(hours=16),
            )
        )
        uow.commit()
        worker_id = worker.id
    with _uow(runtime) as uow:
        set_availability(uow, worker_id, "off", evening + timedelta(hours=7))  # 23:00
    with _uow(runtime) as uow:
        task_id = create_task(uow, created=evening + timedelta(hours=8, minutes=10)).id
        uow.commit()
    with _uow(runtime) as uow:
        assert allocate_pending(uow, evening + timedelta(hours=8, minutes=10)) == []
    assert _holder(runtime, task_id) == ("unallocated", None)


def test_away_lasts_the_shift_and_off_the_day_so_nobody_is_left_out_for_good(runtime):
    tomorrow = NOW + timedelta(days=1)
    with _uow(runtime) as uow:
        worker = create_staff(uow, "sw-1", "social_worker", starts=EARLIER)
        uow.session.add(
            Shift(
                staff_id=worker.id,
                starts_at=tomorrow - timedelta(hours=1),
                ends_at=tomorrow + timedelta(hours=7),
            )
        )
        later_today = Shift(
            staff_id=worker.id,
            starts_at=NOW + timedelta(hours=9),
            ends_at=NOW + timedelta(hours=10),
        )
        uow.session.add(later_today)
        uow.commit()
        worker_id = worker.id

    with _uow(runtime) as uow:
        set_availability(uow, worker_id, "away", NOW)
    # The same stretch of shift, then a new one.
    assert _availability(runtime, worker_id, NOW + timedelta(hours=2)) == "away"
    assert _availability(runtime, worker_id, NOW + timedelta(hours=9, minutes=30)) == "available"

    with _uow(runtime) as uow:
        set_availability(uow, worker_id, "off", NOW + timedelta(hours=9, minutes=30))
    assert _availability(runtime, worker_id, NOW + timedelta(hours=9, minutes=45)) == "off"
    # Signed off (or off sick) for the day, not for good: tomorrow's shift starts available,
    # and a call-back is given to them then.
    with _uow(runtime) as uow:
        task_id = create_task(uow, created=tomorrow).id
        uow.commit()
    with _uow(runtime) as uow:
        allocate_pending(uow, tomorrow)
    assert _holder(runtime, task_id) == ("allocated", "sw-1")


def _availability(runtime, staff_id, at):
    with _uow(runtime) as uow:
        staff = uow.session.get(Staff, staff_id)
        return current_availability(uow, [staff], at)[staff_id]

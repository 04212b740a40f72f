import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from callrouter.domain.allocation import (
    PRODUCTION_RULES,
    Assignment,
    Candidate,
    OpenTask,
    ReleaseReason,
    UnplacedReason,
    could_ever_take,
    explain_unplaced,
    is_eligible,
    plan_assignments,
    priority_order,
    reallocation_needed,
    roles_able_to_take,
)
from callrouter.domain.vocabulary import Role, Skill

NOW = datetime(2025, 10, 21, 10, 0, tzinfo=UTC)
LATE_IN_THE_DAY = NOW + timedelta(hours=7)


def task(
    id="t1",
    role=Role.SOCIAL_WORKER,
    skills=(),
    due_in=timedelta(hours=1),
    waited=timedelta(minutes=5),
    expected_minutes=20.0,
    held_by=None,
):
    return OpenTask(
        id=id,
        role=role,
        skills=frozenset(skills),
        due_at=NOW + due_in,
        received_at=NOW - waited,
        expected_minutes=expected_minutes,
        held_by=held_by,
    )


def person(
    id="sw1",
    role=Role.SOCIAL_WORKER,
    skills=(),
    shift_ends_at=LATE_IN_THE_DAY,
    open_task_count=0,
    available=True,
):
    return Candidate(
        id=id,
        role=role,
        skills=frozenset(skills),
        shift_ends_at=shift_ends_at,
        open_task_count=open_task_count,
        available=available,
    )


def test_a_task_goes_only_to_someone_whose_role_can_act_for_it():
    staff = [person("eho", Role.EARLY_HELP_OFFICER), person("sw", Role.SOCIAL_WORKER)]

    assert plan_assignments([task()], staff, NOW) == [Assignment("t1", "sw")]


def test_a_senior_social_worker_may_take_a_social_workers_task_but_not_the_reverse():
    social_work = task("sw-task", Role.SOCIAL_WORKER)
    senior_work = task("senior-task", Role.SENIOR_SOCIAL_WORKER)
    staff = [person("ssw", Role.SENIOR_SOCIAL_WORKER, open_task_count=5)]

    assert plan_assignments([social_work], staff, NOW) == [Assignment("sw-task", "ssw")]
    assert plan_assignments([senior_work], [person("sw", Role.SOCIAL_WORKER)], NOW) == []


def test_a_task_needing_a_skill_goes_only_to_someone_with_every_skill_it_needs():
    needs = task(skills={Skill.DOMESTIC_ABUSE, Skill.EXPLOITATION})
    staff = [
        person("only-da", skills={Skill.DOMESTIC_ABUSE}),
        person("both", skills={Skill.DOMESTIC_ABUSE, Skill.EXPLOITATION}, open_task_count=3),
    ]

    assert plan_assignments([needs], staff, NOW) == [Assignment("t1", "both")]


def test_nobody_marked_unavailable_is_given_a_task():
    staff = [person("away", available=False), person("busy", open_task_count=4)]

    assert plan_assignments([task()], staff, NOW) == [Assignment("t1", "busy")]


def test_the_least_loaded_eligible_person_gets_the_task():
    staff = [person("a", open_task_count=3), person("b", open_task_count=1)]

    assert plan_assignments([task()], staff, NOW) == [Assignment("t1", "b")]


def test_tasks_planned_together_are_spread_evenly_because_each_counts_towards_load():
    tasks = [task(f"t{i}", due_in=timedelta(hours=1, minutes=i)) for i in range(6)]
    staff = [person("a"), person("b"), person("c", open_task_count=1)]

    plan = plan_assignments(tasks, staff, NOW)

    given = {name: sum(1 for a in plan if a.staff_id == name) for name in "abc"}
    # Open tasks afterwards: 2, 2 and 3. The last tie on load (2 each) goes to c, who has been
    # given fewest this shift.
    assert given == {"a": 2, "b": 2, "c": 2}


def test_ties_on_load_go_to_whoever_has_been_given_fewest_call_backs_this_shift():
    busy_morning = replace(person("a"), taken_this_shift=6)
    quiet_morning = replace(person("b"), taken_this_shift=2)

    assert plan_assignments([task()], [busy_morning, quiet_morning], NOW) == [Assignment("t1", "b")]
    # Load still comes first: fewer open tasks beats a quieter morning.
    loaded = replace(quiet_morning, open_task_count=1)
    assert plan_assignments([task()], [busy_morning, loaded], NOW) == [Assignment("t1", "a")]


def test_with_overruns_someone_leaving_within_the_hour_takes_a_tie_before_a_quieter_colleague():
    leaving = replace(
        person("leaving", shift_ends_at=NOW + timedelta(minutes=40)), taken_this_shift=9
    )
    staying = person("staying")
    options = {"allow_overrun": True, "leaving_soon_within": timedelta(hours=1)}

    assert plan_assignments([task()], [staying, leaving], NOW, **options) == [
        Assignment("t1", "leaving")
    ]
    # Leaving in two hours is not leaving soon: the quieter colleague takes it.
    later = replace(leaving, shift_ends_at=NOW + timedelta(hours=2))
    assert plan_assignments([task()], [staying, later], NOW, **options) == [
        Assignment("t1", "staying")
    ]
    # Without overruns someone leaving soon is not preferred: they might have to hand it back.
    assert plan_assignments(
        [task()], [staying, leaving], NOW, leaving_soon_within=timedelta(hours=1)
    ) == [Assignment("t1", "staying")]


def test_ties_on_load_go_to_the_named_role_then_to_whoever_stays_longest_then_by_id():
    level2 = task(role=Role.EARLY_HELP_WORKER)
    officer_staying_late = person(
        "eho", Role.EARLY_HELP_OFFICER, shift_ends_at=LATE_IN_THE_DAY + timedelta(hours=3)
    )
    worker = person("ehw", Role.EARLY_HELP_WORKER)
    assert plan_assignments([level2], [officer_staying_late, worker], NOW) == [
        Assignment("t1", "ehw")
    ]

    leaving_sooner = person("a", shift_ends_at=LATE_IN_THE_DAY)
    staying_longer = person("b", shift_ends_at=LATE_IN_THE_DAY + timedelta(hours=1))
    assert plan_assignments([task()], [leaving_sooner, staying_longer], NOW) == [
        Assignment("t1", "b")
    ]
    assert plan_assignments([task()], [person("z"), person("y")], NOW) == [Assignment("t1", "y")]


def test_with_overrun_allowed_ties_go_to_whoever_leaves_soonest_keeping_the_stayer_free():
    leaving_sooner = person("a", shift_ends_at=NOW + timedelta(minutes=20))
    staying_longer = person("b", shift_ends_at=LATE_IN_THE_DAY)
    both = [staying_longer, leaving_sooner]

    plan = plan_assignments([task()], both, NOW, allow_overrun=True, lead_time=timedelta(0))
    assert plan == [Assignment("t1", "a")]
    # The next urgent call-back that lands then still finds someone free to take it.
    nxt = task("t2", due_in=timedelta(minutes=55))
    busy = [
        staying_longer,
        person("a", shift_ends_at=NOW + timedelta(minutes=20), open_task_count=1),
    ]
    assert plan_assignments([nxt], busy, NOW, capacity_per_person=1, allow_overrun=True) == [
        Assignment("t2", "b")
    ]


def test_a_task_never_goes_to_someone_whose_shift_ends_before_they_could_make_the_call():
    twenty_minute_call = task(expected_minutes=20)
    just_enough = NOW + timedelta(minutes=20) + timedelta(minutes=10)

    assert plan_assignments([twenty_minute_call], [person(shift_ends_at=just_enough)], NOW) == [
        Assignment("t1", "sw1")
    ]
    one_minute_short = person(shift_ends_at=just_enough - timedelta(minutes=1))
    assert plan_assignments([twenty_minute_call], [one_minute_short], NOW) == []
    assert plan_assignments(
        [twenty_minute_call], [one_minute_short], NOW, lead_time=timedelta(minutes=5)
    ) == [Assignment("t1", "sw1")]


def test_with_overrun_allowed_someone_may_start_a_call_they_will_finish_after_signing_off():
    leaving_in_fifteen = person(shift_ends_at=NOW + timedelta(minutes=15))

    assert plan_assignments([task()], [leaving_in_fifteen], NOW) == []
    assert plan_assignments([task()], [leaving_in_fifteen], NOW, allow_overrun=True) == [
        Assignment("t1", "sw1")
    ]
    leaving_in_five = person(shift_ends_at=NOW + timedelta(minutes=5))
    assert plan_assignments([task()], [leaving_in_five], NOW, allow_overrun=True) == []


def test_with_no_lead_time_anyone_still_on_shift_may_start_a_call():
    leaving_in_one = person(shift_ends_at=NOW + timedelta(minutes=1))
    gone = person("gone", shift_ends_at=NOW - timedelta(seconds=1))

    assert plan_assignments(
        [task()], [gone, leaving_in_one], NOW, allow_overrun=True, lead_time=timedelta(0)
    ) == [Assignment("t1", "sw1")]


STAND_INS = ((Role.SOCIAL_WORKER, Role.PRACTICE_MANAGER),)


def stand_in_plan(tasks, staff, within=timedelta(hours=1)):
    return plan_assignments(
        tasks,
        staff,
        NOW,
        capacity_per_person=1,
        allow_overrun=True,
        overdue_yields_to=timedelta(hours=1),
        stand_ins=STAND_INS,
        stand_in_within=within,
    )


def test_a_practice_manager_stands_in_for_an_s47_no_social_worker_can_take():
    s47 = task("s47", due_in=timedelta(minutes=50))
    staff = [person("sw", open_task_count=1), person("pm", Role.PRACTICE_MANAGER)]

    assert stand_in_plan([s47], staff) == [Assignment("s47", "pm")]
    assert plan_assignments([s47], staff, NOW, capacity_per_person=1) == []  # no stand-ins


def test_a_practice_manager_does_not_stand_in_while_a_social_worker_is_free():
    s47 = task("s47", due_in=timedelta(minutes=50))
    staff = [person("pm", Role.PRACTICE_MANAGER), person("sw")]

    assert stand_in_plan([s47], staff) == [Assignment("s47", "sw")]


def test_a_manager_stands_in_only_near_the_deadline_or_after_a_breach():
    routine = task("public", due_in=timedelta(hours=20))
    last_hour = task("public-due-soon", due_in=timedelta(minutes=45), waited=timedelta(hours=23))
    breached = task("breached", due_in=timedelta(minutes=-5), waited=timedelta(hours=1))
    sw_busy = person("sw", open_task_count=1)
    managers = [person(f"pm{i}", Role.PRACTICE_MANAGER) for i in range(3)]

    plan = stand_in_plan([routine, last_hour, breached], [sw_busy, *managers])

    assert {a.task_id for a in plan} == {"public-due-soon", "breached"}
    assert all(a.staff_id.startswith("pm") for a in plan)


def test_a_stand_in_still_needs_the_skill_the_task_needs_and_only_stands_in_for_its_role():
    lado = task("lado", skills={Skill.LADO}, due_in=timedelta(minutes=30))
    advice = task("advice", role=Role.EARLY_HELP_WORKER, due_in=timedelta(minutes=30))
    plain_manager = person("pm", Role.PRACTICE_MANAGER)

    assert stand_in_plan([lado, advice], [plain_manager]) == []
    lado_manager = person("pm-lado", Role.PRACTICE_MANAGER, skills={Skill.LADO})
    assert stand_in_plan([lado], [plain_manager, lado_manager]) == [Assignment("lado", "pm-lado")]


def test_the_most_urgent_call_back_gets_the_one_manager_free():
    sooner = task("sooner", due_in=timedelta(minutes=20))
    later = task("later", due_in=timedelta(minutes=40))

    plan = stand_in_plan([later, sooner], [person("pm", Role.PRACTICE_MANAGER)])

    assert plan == [Assignment("sooner", "pm")]


def covered(id="s47", due_in=timedelta(minutes=50), skills=(), waited=timedelta(minutes=10)):
    return replace(task(id, skills=skills, due_in=due_in, waited=waited), out_of_hours_cover=True)


def test_the_edt_makes_an_urgent_call_back_the_front_door_cannot_whatever_its_skills():
    # 17:10 on a Friday: the last duty social worker has signed off, the EDT is on.
    edt = person("edt", Role.EDT_SOCIAL_WORKER)
    staff = [edt, person("sw", shift_ends_at=NOW - timedelta(minutes=10))]
    high_risk_abuse = covered("da-high", skills={Skill.DOMESTIC_ABUSE})

    plan = plan_assignments(
        [covered(due_in=timedelta(minutes=40)), high_risk_abuse],
        staff,
        NOW,
        **PRODUCTION_RULES.planning_options(),
    )

    assert plan == [Assignment("s47", "edt")]  # one at a time: the cap is 1
    assert plan_assignments(
        [high_risk_abuse], staff, NOW, **PRODUCTION_RULES.planning_options()
    ) == [Assignment("da-high", "edt")]


def test_the_edt_takes_covered_call_backs_near_their_deadline_or_when_the_door_is_empty():
    edt = person("edt", Role.EDT_SOCIAL_WORKER)
    options = {**PRODUCTION_RULES.planning_options(), "capacity_per_person": None}
    public_breached = task("public", due_in=timedelta(minutes=-5), waited=timedelta(hours=24))
    s47_hours_away = covered("s47-later", due_in=timedelta(hours=3))

    # With nobody at the front door who could make it, the EDT takes what it covers at once,
    # and only that; with a social worker on shift, only when it is due within the hour.
    assert plan_assignments([public_breached, s47_hours_away], [edt], NOW, **options) == [
        Assignment("s47-later", "edt")
    ]
    busy_sw = person("sw-busy", open_task_count=1)
    one_each = {**options, "capacity_per_person": 1}
    assert plan_assignments([s47_hours_away], [busy_sw, edt], NOW, **one_each) == []
    assert plan_assignments([covered()], [busy_sw, edt], NOW, **one_each) == [
        Assignment("s47", "edt")
    ]
    # A free social worker, or a practice manager standing in, comes before the EDT.
    assert plan_assignments([covered()], [edt, person("sw")], NOW, **options) == [
        Assignment("s47", "sw")
    ]
    manager = person("pm", Role.PRACTICE_MANAGER)
    assert plan_assignments([covered()], [edt, manager], NOW, **options) == [
        Assignment("s47", "pm")
    ]
    assert plan_assignments([covered()], [edt], NOW, **{**options, "out_of_hours_cover": ()}) == []


def test_the_edt_counts_among_who_may_take_an_urgent_call_back():
    rules = PRODUCTION_RULES
    assert Role.EDT_SOCIAL_WORKER in roles_able_to_take(
        Role.SOCIAL_WORKER, rules.stand_ins, rules.out_of_hours_cover
    )
    assert Role.EDT_SOCIAL_WORKER not in roles_able_to_take(Role.SOCIAL_WORKER, rules.stand_ins)


def test_whoever_handed_a_call_back_back_is_skipped_for_it_but_not_for_the_next():
    handed_back = replace(task("soonest", due_in=timedelta(minutes=20)), not_for=frozenset({"a"}))
    later = task("later", due_in=timedelta(minutes=55))
    # "a" leaves first and would win the tie; "a" is also the only one with room for a while.
    staff = [person("a", shift_ends_at=NOW + timedelta(minutes=30)), person("b")]
    options = {**PRODUCTION_RULES.planning_options(), "capacity_per_person": 1}

    assert plan_assignments([handed_back, later], staff, NOW, **options) == [
        Assignment("soonest", "b"),
        Assignment("later", "a"),
    ]
    assert plan_assignments([handed_back], staff[:1], NOW, **options) == []
    reason = explain_unplaced(handed_back, staff[:1], NOW, capacity_per_person=1)
    assert reason is not None and reason.message.endswith("(not counting whoever handed it back)")
    # Whoever handed it back still counts as at the front door, for the planner and the
    # reason alike: the EDT waits until it is due within the hour.
    later_covered = replace(
        later,
        id="covered",
        due_at=NOW + timedelta(hours=2),
        out_of_hours_cover=True,
        not_for=frozenset({"a"}),
    )
    edt = person("edt", Role.EDT_SOCIAL_WORKER)
    assert plan_assignments([later_covered], [staff[0], edt], NOW, **options) == []
    waiting = explain_unplaced(
        later_covered,
        [staff[0], edt],
        NOW,
        **{
            k: options[k]
            for k in (
                "capacity_per_person",
                "allow_overrun",
                "stand_ins",
                "stand_in_within",
                "out_of_hours_cover",
            )
        },
    )
    assert waiting is not None and "will take it if it is still waiting" in waiting.message


def test_someone_in_the_last_minutes_of_their_shift_is_given_a_call_back_only_as_a_last_resort():
    options = PRODUCTION_RULES.planning_options()
    seconds_left = person("going", shift_ends_at=NOW + timedelta(seconds=20))
    half_hour_left = person("leaving", shift_ends_at=NOW + timedelta(minutes=30))
    staying = person("staying")

    # Leaving within the hour wins a tie (whoever stays is kept free), but not with seconds
    # left: they could hardly notice it, let alone start the call.
    assert plan_assignments([task()], [seconds_left, staying], NOW, **options) == [
        Assignment("t1", "staying")
    ]
    assert plan_assignments([task()], [seconds_left, half_hour_left, staying], NOW, **options) == [
        Assignment("t1", "leaving")
    ]
    # Without a cap, even a colleague with work in hand comes before them.
    busy = replace(staying, open_task_count=1)
    assert plan_assignments(
        [task()], [seconds_left, busy], NOW, **{**options, "capacity_per_person": None}
    ) == [Assignment("t1", "staying")]
    # With nobody else, they may still start it.
    assert plan_assignments([task()], [seconds_left], NOW, **options) == [Assignment("t1", "going")]
    # An urgent one goes to a free practice manager or EDT worker before them; one with
    # hours to run does not (nobody stands in for that), so they may start it.
    manager = person("pm", Role.PRACTICE_MANAGER)
    assert plan_assignments([task()], [seconds_left, manager], NOW, **options) == [
        Assignment("t1", "pm")
    ]
    edt = person("edt", Role.EDT_SOCIAL_WORKER)
    s47 = replace(task("s47"), out_of_hours_cover=True)
    assert plan_assignments([s47], [seconds_left, edt], NOW, **options) == [
        Assignment("s47", "edt")
    ]
    manager_going = replace(manager, shift_ends_at=NOW + timedelta(minutes=1))
    assert plan_assignments([task()], [seconds_left, manager_going], NOW, **options) == [
        Assignment("t1", "going")
    ]
    later = task("later", due_in=timedelta(hours=5))
    assert plan_assignments([later], [seconds_left, manager], NOW, **options) == [
        Assignment("later", "going")
    ]


def test_who_could_ever_take_a_call_back_follows_every_admission_rule():
    rules = (PRODUCTION_RULES.stand_ins, PRODUCTION_RULES.out_of_hours_cover)
    abuse = task("abuse", skills=[Skill.DOMESTIC_ABUSE])
    covered_abuse = replace(abuse, out_of_hours_cover=True)
    sw_with_skill = person("sw", skills=[Skill.DOMESTIC_ABUSE])
    manager_without = person("pm", Role.PRACTICE_MANAGER)
    edt = person("edt", Role.EDT_SOCIAL_WORKER)

    assert could_ever_take(sw_with_skill, abuse, *rules)
    assert not could_ever_take(person("sw2"), abuse, *rules)  # lacks the skill
    assert could_ever_take(
        replace(manager_without, skills=frozenset({Skill.DOMESTIC_ABUSE})), abuse, *rules
    )
    assert not could_ever_take(manager_without, abuse, *rules)  # a stand-in needs the skill too
    assert not could_ever_take(manager_without, abuse)  # and the stand-in rule
    # The EDT only for what asks for its cover, but then whatever the skill.
    assert not could_ever_take(edt, abuse, *rules)
    assert could_ever_take(edt, covered_abuse, *rules)
    assert not could_ever_take(edt, covered_abuse, PRODUCTION_RULES.stand_ins)
    assert not could_ever_take(person("eho", Role.EARLY_HELP_OFFICER), covered_abuse, *rules)


def test_the_reason_a_call_back_waits_says_when_a_stand_in_will_take_it():
    rules = PRODUCTION_RULES
    options = {
        "capacity_per_person": 1,
        "lead_time": rules.lead_time,
        "allow_overrun": True,
        "stand_ins": rules.stand_ins,
        "stand_in_within": rules.stand_in_within,
        "out_of_hours_cover": rules.out_of_hours_cover,
    }
    busy_sw = person("sw", open_task_count=1)
    manager = person("pm", Role.PRACTICE_MANAGER)

    later = explain_unplaced(
        task("public", due_in=timedelta(hours=5)), [busy_sw, manager], NOW, **options
    )
    assert later is not None and later.reason == UnplacedReason.ALL_AT_CAPACITY
    assert later.message.endswith(
        "; a practice manager on shift will take it if it is still waiting when it is due "
        "within the hour"
    )
    assert explain_unplaced(task("s47"), [busy_sw, manager], NOW, **options) is None
    busy_manager = replace(manager, open_task_count=1)
    both_busy = explain_unplaced(task("s47"), [busy_sw, busy_manager], NOW, **options)
    assert both_busy is not None and both_busy.message.endswith("who could stand in is busy too")
    # While a social worker is on shift, the same sentence names the EDT for what it covers;
    # with nobody at the front door, the EDT takes it at once.
    edt = person("edt", Role.EDT_SOCIAL_WORKER)
    two_hours = covered(due_in=timedelta(hours=2))
    waiting = explain_unplaced(two_hours, [busy_sw, edt], NOW, **options)
    assert waiting is not None and waiting.reason == UnplacedReason.ALL_AT_CAPACITY
    assert "an Emergency Duty Team social worker on shift will take it" in waiting.message
    assert explain_unplaced(two_hours, [edt], NOW, **options) is None
    busy_edt = explain_unplaced(two_hours, [replace(edt, open_task_count=1)], NOW, **options)
    assert busy_edt is not None and busy_edt.message == (
        "no senior social worker or social worker on shift now; every Emergency Duty Team "
        "social worker on shift who could stand in is busy too"
    )
    public = explain_unplaced(task("public", due_in=timedelta(hours=2)), [edt], NOW, **options)
    assert public is not None and public.message == (
        "no senior social worker or social worker on shift now"
    )


def test_production_rules_let_a_practice_manager_stand_in_for_a_social_worker():
    options = PRODUCTION_RULES.planning_options()
    s47 = task("s47", due_in=timedelta(minutes=50))
    staff = [person("sw", open_task_count=1), person("pm", Role.PRACTICE_MANAGER)]

    assert plan_assignments([s47], staff, NOW, **options) == [Assignment("s47", "pm")]
    assert roles_able_to_take(Role.SOCIAL_WORKER, PRODUCTION_RULES.stand_ins) >= {
        Role.SOCIAL_WORKER,
        Role.SENIOR_SOCIAL_WORKER,
        Role.PRACTICE_MANAGER,
    }
    assert roles_able_to_take(Role.EARLY_HELP_WORKER, PRODUCTION_RULES.stand_ins) == {
        Role.EARLY_HELP_WORKER,
        Role.EARLY_HELP_OFFICER,
    }


def test_when_people_are_short_the_earliest_deadline_is_placed_first():
    tasks = [
        task("public", due_in=timedelta(hours=20), waited=timedelta(hours=4)),
        task("s47", due_in=timedelta(minutes=50)),
        task("advice", due_in=timedelta(hours=40), waited=timedelta(hours=8)),
    ]

    plan = plan_assignments(tasks, [person()], NOW, capacity_per_person=1)

    assert plan == [Assignment("s47", "sw1")]


def test_deadline_ties_go_to_whoever_has_waited_longest():
    tasks = [task("newer", waited=timedelta(minutes=1)), task("older", waited=timedelta(hours=1))]

    plan = plan_assignments(tasks, [person()], NOW, capacity_per_person=1)

    assert plan == [Assignment("older", "sw1")]


def test_nobody_is_given_more_open_tasks_than_the_cap():
    tasks = [task(f"t{i}", due_in=timedelta(hours=1 + i)) for i in range(5)]
    staff = [person("a", open_task_count=1), person("b")]

    plan = plan_assignments(tasks, staff, NOW, capacity_per_person=2)

    assert [a.task_id for a in plan] == ["t0", "t1", "t2"]
    assert sum(1 for a in plan if a.staff_id == "a") == 1
    assert sum(1 for a in plan if a.staff_id == "b") == 2


def test_a_full_cap_for_one_role_does_not_hold_up_tasks_for_another():
    tasks = [
        task("s47", due_in=timedelta(minutes=30)),
        task("advice", role=Role.EARLY_HELP_WORKER, due_in=timedelta(hours=40)),
    ]
    staff = [person("sw", open_task_count=1), person("ehw", Role.EARLY_HELP_WORKER)]

    plan = plan_assignments(tasks, staff, NOW, capacity_per_person=1)

    assert plan == [Assignment("advice", "ehw")]


def test_a_task_nobody_can_take_is_simply_left_out_of_the_plan():
    tasks = [task("lado", skills={Skill.LADO}), task("plain", due_in=timedelta(hours=2))]

    assert plan_assignments(tasks, [person()], NOW) == [Assignment("plain", "sw1")]


def test_tasks_someone_already_holds_are_not_planned_again():
    assert plan_assignments([task(held_by="sw9")], [person()], NOW) == []


def test_the_plan_is_the_same_whatever_order_tasks_and_people_arrive_in():
    tasks = [task(f"t{i}", due_in=timedelta(minutes=40 + i % 3)) for i in range(9)]
    staff = [person(f"p{i}", open_task_count=i % 2) for i in range(4)]
    expected = plan_assignments(tasks, staff, NOW)

    shuffled_tasks, shuffled_staff = tasks[:], staff[:]
    random.Random(3).shuffle(shuffled_tasks)
    random.Random(4).shuffle(shuffled_staff)

    assert plan_assignments(shuffled_tasks, shuffled_staff, NOW) == expected


def test_a_thousand_tasks_for_twenty_staff_go_only_to_eligible_people_within_the_cap():
    rng = random.Random(11)
    roles = [Role.SOCIAL_WORKER, Role.EARLY_HELP_WORKER, Role.EARLY_HELP_OFFICER]
    tasks = [
        task(
            f"t{i}",
            role=rng.choice(roles),
            skills=rng.sample(list(Skill), rng.choice((0, 0, 1))),
            due_in=timedelta(minutes=rng.uniform(-60, 2880)),
            expected_minutes=rng.uniform(10, 40),
        )
        for i in range(1000)
    ]
    staff = [
        person(
            f"s{i}",
            role=rng.choice([*roles, Role.SENIOR_SOCIAL_WORKER]),
            skills=rng.sample(list(Skill), rng.choice((0, 1, 2))),
            shift_ends_at=NOW + timedelta(minutes=rng.uniform(0, 480)),
            open_task_count=rng.randint(0, 3),
            available=rng.random() > 0.1,
        )
        for i in range(20)
    ]

    plan = plan_assignments(tasks, staff, NOW, capacity_per_person=6)

    by_task = {t.id: t for t in tasks}
    by_person = {p.id: p for p in staff}
    assert len({a.task_id for a in plan}) == len(plan)
    for assignment in plan:
        assert is_eligible(by_task[assignment.task_id], by_person[assignment.staff_id], NOW)
    for p in staff:
        assert p.open_task_count + sum(1 for a in plan if a.staff_id == p.id) <= max(
            6, p.open_task_count
        )


@pytest.mark.parametrize(
    ("staff", "needs", "reason", "words"),
    [
        ([person("eho", Role.EARLY_HELP_OFFICER)], (), UnplacedReason.NO_ROLE, "no senior social"),
        ([person()], (Skill.LADO,), UnplacedReason.NO_SKILL, "with lado"),
        ([person(available=False)], (), UnplacedReason.NOBODY_AVAILABLE, "is away"),
        (
            [person(shift_ends_at=NOW + timedelta(minutes=25))],
            (),
            UnplacedReason.SHIFT_TOO_SHORT,
            "no senior social worker or social worker on shift long enough to make the call",
        ),
        (
            [person(open_task_count=2)],
            (),
            UnplacedReason.ALL_AT_CAPACITY,
            "holds 2 open call-backs",
        ),
    ],
)
def test_a_task_left_unplaced_comes_with_the_reason_a_manager_needs(staff, needs, reason, words):
    unplaced = explain_unplaced(task(skills=needs), staff, NOW, capacity_per_person=2)

    assert unplaced is not None
    assert unplaced.reason == reason
    assert words in unplaced.message


def test_the_reason_counts_assignments_just_planned_and_is_none_if_someone_could_take_it():
    first, second = task("first"), task("second", due_in=timedelta(hours=2))
    staff = [person()]
    plan = plan_assignments([first, second], staff, NOW, capacity_per_person=1)

    assert explain_unplaced(second, staff, NOW, capacity_per_person=1) is None
    unplaced = explain_unplaced(second, staff, NOW, assignments=plan, capacity_per_person=1)
    assert unplaced is not None and unplaced.reason == UnplacedReason.ALL_AT_CAPACITY


def test_breached_tasks_yield_to_urgent_ones_only_when_asked():
    breached = task("breached", due_in=timedelta(minutes=-10), waited=timedelta(hours=2))
    urgent = task("urgent", due_in=timedelta(minutes=50))
    routine = task("routine", due_in=timedelta(hours=20))
    tasks = [routine, urgent, breached]

    assert [t.id for t in priority_order(tasks, NOW)] == ["breached", "urgent", "routine"]
    yielding = priority_order(tasks, NOW, overdue_yields_to=timedelta(hours=1))
    assert [t.id for t in yielding] == ["urgent", "breached", "routine"]


def test_held_tasks_go_back_to_the_pool_when_their_holder_signs_off_is_away_or_is_leaving():
    tasks = [
        task("gone", held_by="signed-off"),
        task("away", held_by="on-a-visit"),
        task("leaving", held_by="leaving", expected_minutes=30),
        task("staying", held_by="here"),
        task("unheld"),
    ]
    staff = [
        person("on-a-visit", available=False),
        person("leaving", shift_ends_at=NOW + timedelta(minutes=20)),
        person("here"),
    ]

    releases = reallocation_needed(tasks, staff, NOW)

    assert {(r.task_id, r.reason) for r in releases} == {
        ("gone", ReleaseReason.SIGNED_OFF),
        ("away", ReleaseReason.AWAY),
        ("leaving", ReleaseReason.SHIFT_ENDING),
    }
    kept = reallocation_needed(tasks, staff, NOW, allow_overrun=True)
    assert "leaving" not in {r.task_id for r in kept}

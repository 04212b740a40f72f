from datetime import timedelta

from callrouter.domain.allocation import DEFAULT_LEAD_TIME
from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Level, Role
from callrouter.simulation.arrivals import (
    LONGEST_CALL_MINUTES,
    SHORTEST_CALL_MINUTES,
    ArrivalSettings,
    build_trace,
)
from callrouter.simulation.cli import DEFAULT_START
from callrouter.simulation.model import CALLBACK_ROLES, CALLBACK_TIMESCALES
from callrouter.simulation.runner import load_named_rota


def week(seed=1, rota_name="duty_desk", **settings):
    name, rota = load_named_rota(rota_name)
    return build_trace(
        rota,
        rota_name=name,
        seed=seed,
        starts_on=DEFAULT_START,
        settings=ArrivalSettings(**settings),
    )


def test_the_same_seed_gives_the_same_week_and_another_seed_another():
    assert week(seed=4) == week(seed=4)
    assert week(seed=4).requests != week(seed=5).requests


def test_only_call_back_levels_become_requests_with_their_role_and_timescale():
    trace = week()

    assert {r.level for r in trace.requests} == set(CALLBACK_TIMESCALES)
    for r in trace.requests:
        assert r.role == CALLBACK_ROLES[r.level]
        assert r.due_at - r.received_at == CALLBACK_TIMESCALES[r.level]
        assert trace.starts_at <= r.received_at < trace.arrivals_end
    assert trace.calls_by_level[Level.S17] > 0
    assert trace.calls_by_level[Level.LEVEL3] > 0


def test_about_half_the_level2_callers_ask_for_advice():
    trace = week(days=14)

    asked = sum(1 for r in trace.requests if r.level == Level.LEVEL2)

    assert 0.35 < asked / trace.calls_by_level[Level.LEVEL2] < 0.65


def test_an_s47_call_no_social_worker_could_act_on_goes_to_the_edt_not_the_queue():
    trace = week()
    able = ROLES_ABLE_TO_ACT_AS[Role.SOCIAL_WORKER]
    role_of = {m.ref: m.role for m in trace.staff}

    assert trace.sent_to_edt > 0
    for r in (r for r in trace.requests if r.level == Level.S47):
        needed_until = r.received_at + timedelta(minutes=r.expected_minutes) + DEFAULT_LEAD_TIME
        assert any(
            role_of[s.staff_ref] in able
            and s.starts_at <= r.received_at
            and s.ends_at >= needed_until
            for s in trace.shifts
        )


def test_call_lengths_stay_between_the_shortest_and_longest_call():
    lengths = [r.duration for r in week(load=3.0).requests]

    assert min(lengths) >= timedelta(minutes=SHORTEST_CALL_MINUTES)
    assert max(lengths) <= timedelta(minutes=LONGEST_CALL_MINUTES)


def test_sick_days_take_shifts_off_the_rota():
    everyone_well = week(absence_rate=0.0)
    everyone_sick = week(absence_rate=1.0)

    assert everyone_well.absences == ()
    assert len(everyone_well.shifts) > 0
    assert everyone_sick.shifts == ()
    assert not any(r.level == Level.S47 for r in everyone_sick.requests)


def test_adding_someone_to_the_rota_leaves_everyone_elses_week_as_it_was():
    # "What if the EDT covered?" must compare the same week: the same calls and sick days.
    desk = week(seed=4)
    covered = week(seed=4, rota_name="duty_desk+edt")
    desk_refs = {member.ref for member in desk.staff}

    assert covered.requests == desk.requests
    assert [a for a in covered.absences if a[0] in desk_refs] == list(desk.absences)
    assert [s for s in covered.shifts if s.staff_ref in desk_refs] == list(desk.shifts)
    assert {m.role for m in covered.staff} - {m.role for m in desk.staff} == {
        Role.EDT_SOCIAL_WORKER
    }


def test_a_surge_brings_about_twice_the_calls():
    normal = sum(week(load=1.0).calls_by_level.values())
    surge = sum(week(load=2.0).calls_by_level.values())

    assert 1.6 < surge / normal < 2.4


def test_the_run_continues_past_the_last_call_until_every_deadline_has_passed():
    trace = week()

    assert max(r.due_at + r.duration for r in trace.requests) < trace.ends_at

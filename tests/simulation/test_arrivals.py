import math
import random
import statistics
from datetime import time, timedelta

import pytest

from callrouter.domain.allocation import DEFAULT_LEAD_TIME, PRODUCTION_RULES, could_ever_take
from callrouter.domain.rota import LONDON, parse_rota
from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.arrivals import (
    LONGEST_CALL_MINUTES,
    OFFICE_HOURS,
    SHORTEST_CALL_MINUTES,
    ArrivalSettings,
    _poisson,
    build_trace,
)
from callrouter.simulation.cli import DEFAULT_START
from callrouter.simulation.model import CALLBACK_ROLES, CALLBACK_TIMESCALES
from callrouter.simulation.runner import load_named_rota

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\n"


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


def test_an_s47_call_is_a_call_back_only_when_someone_production_could_give_it_to_is_on():
    trace = week(rota_name="duty_desk+edt")
    rules = PRODUCTION_RULES
    staff = {m.ref: m for m in trace.staff}

    assert trace.sent_to_edt > 0
    for r in (r for r in trace.requests if r.level == Level.S47):
        needed_until = r.received_at + timedelta(minutes=r.expected_minutes) + DEFAULT_LEAD_TIME
        assert any(
            could_ever_take(
                staff[s.staff_ref], r.as_open_task(), rules.stand_ins, rules.out_of_hours_cover
            )
            and s.starts_at <= r.received_at
            and s.ends_at >= needed_until
            for s in trace.shifts
        )


def test_a_practice_manager_on_shift_alone_makes_s47_calls_call_backs_but_the_edt_does_not():
    # A practice manager stands in for the desk; the EDT takes out-of-hours callers there and
    # then, so an EDT on shift does not make the line take call-backs.
    for cover, taken in (("PM1,M,practice_manager", True), ("ED1,E,edt_social_worker", False)):
        rota = parse_rota(f"{HEADER}{cover},t,,,Mon,00:00,23:59\n")

        trace = build_trace(
            rota,
            rota_name="cover",
            seed=1,
            starts_on=DEFAULT_START,
            settings=ArrivalSettings(days=1, calls_per_week=1000),
        )

        s47 = [r for r in trace.requests if r.level == Level.S47]
        if taken:
            assert len(s47) == trace.calls_by_level[Level.S47] - trace.sent_to_edt
            assert len(s47) > 20 and trace.turned_away_in_office_hours == ()
        else:
            assert s47 == [] and len(trace.turned_away_in_office_hours) > 20


def test_s47_callers_nobody_could_call_back_are_turned_away_in_office_hours_else_sent_to_edt():
    nobody_for_s47 = parse_rota(HEADER + "EH1,E,early_help_officer,t,,,Mon,09:00,17:00\n")

    trace = build_trace(
        nobody_for_s47,
        rota_name="eh",
        seed=2,
        starts_on=DEFAULT_START,
        settings=ArrivalSettings(days=7, calls_per_week=1000),
    )

    turned_away = trace.turned_away_in_office_hours
    assert not any(r.level == Level.S47 for r in trace.requests)
    assert len(turned_away) + trace.sent_to_edt == trace.calls_by_level[Level.S47]
    assert len(turned_away) > 20 and trace.sent_to_edt > 20
    assert all(OFFICE_HOURS.is_open(at) for at in turned_away)
    # Friday's office shuts at 16:30, so a call at 16:45 that Friday was sent to the EDT.
    local = [at.astimezone(LONDON) for at in turned_away]
    assert all(at.weekday() < 5 and time(9) <= at.time() for at in local)
    assert not any(at.weekday() == 4 and at.time() >= time(16, 30) for at in local)


def test_a_rota_with_no_social_worker_cannot_size_the_call_volume():
    nobody_for_s47 = parse_rota(HEADER + "EH1,E,early_help_officer,t,,,Mon,09:00,17:00\n")

    with pytest.raises(ValueError, match="eh has nobody who can make s47 call-backs"):
        build_trace(nobody_for_s47, rota_name="eh", seed=1, starts_on=DEFAULT_START)


def test_a_large_hourly_mean_draws_the_right_number_of_calls_on_average():
    rng = random.Random(3)

    draws = [_poisson(rng, 1000.0) for _ in range(2000)]

    assert statistics.mean(draws) == pytest.approx(1000, rel=0.01)
    assert statistics.variance(draws) == pytest.approx(1000, rel=0.15)


def test_a_small_hourly_mean_is_drawn_exactly_as_before():
    # Every recorded trace and benchmark figure depends on this stream staying as it was.
    def knuth(rng, mean):
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count

    for mean in (0.05, 1.0, 9.4, 30.0):
        assert [_poisson(random.Random(7), mean) for _ in range(50)] == [
            knuth(random.Random(7), mean) for _ in range(50)
        ]


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
    # "What if the EDT covered?" must compare the same week: the same calls and sick days, and
    # the same call-backs (the EDT covers them; it does not make the line take more).
    desk = week(seed=4)
    covered = week(seed=4, rota_name="duty_desk+edt")
    desk_refs = {member.ref for member in desk.staff}

    assert covered.calls_by_level == desk.calls_by_level
    assert covered.requests == desk.requests
    assert covered.turned_away_in_office_hours == desk.turned_away_in_office_hours
    assert covered.sent_to_edt == desk.sent_to_edt
    assert [a for a in covered.absences if a[0] in desk_refs] == list(desk.absences)
    assert [s for s in covered.shifts if s.staff_ref in desk_refs] == list(desk.shifts)
    assert {m.role for m in covered.staff} - {m.role for m in desk.staff} == {
        Role.EDT_SOCIAL_WORKER
    }


def unnumbered(requests):
    return {(r.level, r.received_at, r.duration) for r in requests}


def test_a_surge_brings_about_twice_the_calls():
    normal = sum(week(load=1.0).calls_by_level.values())
    surge = sum(week(load=2.0).calls_by_level.values())

    assert 1.6 < surge / normal < 2.4


def test_the_run_continues_past_the_last_call_until_every_deadline_has_passed():
    trace = week()

    assert max(r.due_at + r.duration for r in trace.requests) < trace.ends_at

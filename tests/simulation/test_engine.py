import itertools
from datetime import timedelta

import pytest

from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.arrivals import ArrivalSettings, build_trace
from callrouter.simulation.cli import DEFAULT_START
from callrouter.simulation.engine import run
from callrouter.simulation.metrics import score
from callrouter.simulation.runner import STRATEGY_NAMES, load_named_rota, make_strategy
from tests.simulation.tiny_traces import at, member, request, shift, trace


def three_urgent_calls_for_one_social_worker():
    return trace(
        [member("SW1")],
        [shift("SW1", at(9), at(17))],
        [request(f"s47-{i}", Level.S47, at(9), 40) for i in range(3)],
    )


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_three_40_minute_s47_call_backs_at_nine_for_one_worker_leave_the_third_20_minutes_late(
    strategy,
):
    result = run(three_urgent_calls_for_one_social_worker(), make_strategy(strategy))

    starts = sorted(call.started_at for call in result.calls.values())
    assert starts == [at(9), at(9, 40), at(10, 20)]
    s47 = score(result).level(Level.S47)
    assert (s47.requests, s47.in_time, s47.max_lateness) == (3, 2, timedelta(minutes=20))
    assert score(result).weighted_misses == 10


def test_edf_rings_the_urgent_call_back_first_where_fifo_rings_the_oldest():
    waiting = trace(
        [member("SW1")],
        [shift("SW1", at(9), at(17))],
        [
            request("public", Level.PUBLIC_CONCERN, at(7), 40),
            request("s47", Level.S47, at(8, 30), 30),
        ],
    )

    edf = run(waiting, make_strategy("edf"))
    fifo = run(waiting, make_strategy("fifo"))

    assert edf.calls["s47"].started_at == at(9)
    assert fifo.calls["public"].started_at == at(9)
    assert score(edf).weighted_misses == 0
    assert score(fifo).weighted_misses == 10


def test_call_backs_held_by_someone_who_signs_off_are_made_by_the_next_shift():
    handover = trace(
        [member("EARLY"), member("LATE")],
        [shift("EARLY", at(9), at(10)), shift("LATE", at(10), at(17))],
        [request(f"p{i}", Level.PUBLIC_CONCERN, at(9, 30), 30) for i in range(3)],
    )

    result = run(handover, make_strategy("round_robin"))  # hands work out regardless of shifts

    made_by = {call.request_id: (call.staff_ref, call.started_at) for call in result.calls.values()}
    assert made_by["p0"] == ("EARLY", at(9, 30))
    assert made_by["p1"] == ("LATE", at(10))
    assert made_by["p2"] == ("LATE", at(10, 30))


def test_the_finish_within_shift_rule_misses_a_call_that_production_overruns_to_save():
    late_call = trace(
        [member("SW1")],
        [shift("SW1", at(9), at(17))],
        [request("s47", Level.S47, at(16, 45), 30)],
    )

    assert score(run(late_call, make_strategy("edf_brief"))).weighted_misses == 10
    assert score(run(late_call, make_strategy("edf"))).weighted_misses == 0


def test_an_early_help_task_may_go_to_an_officer_but_never_to_a_social_worker():
    advice = trace(
        [member("SW1"), member("EHO1", Role.EARLY_HELP_OFFICER)],
        [shift("SW1", at(9), at(17)), shift("EHO1", at(12), at(17))],
        [request("advice", Level.LEVEL2, at(9), 15)],
    )

    result = run(advice, make_strategy("edf"))

    assert (result.calls["advice"].staff_ref, result.calls["advice"].started_at) == (
        "EHO1",
        at(12),
    )


def surge_days(seed: int, rota_name: str = "duty_desk"):
    name, rota = load_named_rota(rota_name)
    settings = ArrivalSettings(days=2, load=2.0)
    return build_trace(rota, rota_name=name, seed=seed, starts_on=DEFAULT_START, settings=settings)


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_the_same_seed_gives_the_same_calls_made(strategy):
    first = run(surge_days(5), make_strategy(strategy))
    second = run(surge_days(5), make_strategy(strategy))

    assert first.calls == second.calls
    assert first.busy == second.busy


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_nobody_starts_a_call_off_shift_or_makes_two_calls_at_once(strategy):
    week = surge_days(2, "lancashire_hub")

    result = run(week, make_strategy(strategy))

    shifts_of: dict[str, list] = {}
    for s in week.shifts:
        shifts_of.setdefault(s.staff_ref, []).append(s)
    calls_of: dict[str, list] = {}
    for call in result.calls.values():
        assert any(s.starts_at <= call.started_at < s.ends_at for s in shifts_of[call.staff_ref])
        calls_of.setdefault(call.staff_ref, []).append(call)
    for calls in calls_of.values():
        calls.sort(key=lambda c: c.started_at)
        for before, after in itertools.pairwise(calls):
            assert before.finished_at <= after.started_at
    requests = {r.id: r for r in week.requests}
    assert all(call.started_at >= requests[call.request_id].received_at for call in calls)


def test_utilisation_is_reported_per_role_and_per_person():
    desk = trace(
        [member("SW1"), member("SW2"), member("EHO", Role.EARLY_HELP_OFFICER)],
        [shift("SW1", at(9), at(17)), shift("SW2", at(9), at(13)), shift("EHO", at(9), at(17))],
        [request("s47-a", Level.S47, at(9), 48), request("s47-b", Level.S47, at(9), 48)],
    )

    result = score(run(desk, make_strategy("edf")))

    assert result.utilisation_by_person == {"SW1": 0.1, "SW2": 0.2, "EHO": 0.0}
    assert result.utilisation == {Role.SOCIAL_WORKER: 96 / 720, Role.EARLY_HELP_OFFICER: 0.0}

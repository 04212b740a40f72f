import itertools
import math
import random
from dataclasses import replace

import pytest

from callrouter.domain.vocabulary import Level, Role
from callrouter.simulation.arrivals import ArrivalSettings, build_trace
from callrouter.simulation.bound import fewest_s47_misses, miss_lower_bound, offline_bounds
from callrouter.simulation.cli import DEFAULT_START
from callrouter.simulation.engine import run
from callrouter.simulation.exact import Call, fewest_misses
from callrouter.simulation.metrics import score
from callrouter.simulation.runner import STRATEGY_NAMES, load_named_rota, make_strategy
from tests.simulation.tiny_traces import at, member, request, shift, trace


def three_urgent_calls_for_one_social_worker():
    return trace(
        [member("SW1")],
        [shift("SW1", at(9), at(17))],
        [request(f"s47-{i}", Level.S47, at(9), 40) for i in range(3)],
    )


def test_the_fluid_bound_on_three_40_minute_s47_calls_at_once_is_half_a_call():
    # Window 09:00 to 10:40 holds 100 of the 120 minutes: five sixths of the calls, so the
    # relaxation concedes a sixth of 30 weight, and rounds the 5 up to 5.
    bound = miss_lower_bound(three_urgent_calls_for_one_social_worker())

    assert bound.relaxed == pytest.approx(5.0)
    assert bound.misses == 5


def test_the_search_finds_the_one_s47_miss_no_schedule_can_avoid_and_the_bound_uses_it():
    tiny = three_urgent_calls_for_one_social_worker()

    assert fewest_s47_misses(tiny).misses == 1
    bounds = offline_bounds(tiny)
    assert (bounds.s47_misses, bounds.s47_exact, bounds.weighted_misses) == (1, True, 10)


def test_a_call_started_just_before_sign_off_may_run_over_in_both_bounds():
    late = trace(
        [member("SW1")], [shift("SW1", at(9), at(17))], [request("s47", Level.S47, at(16, 55), 40)]
    )

    assert offline_bounds(late).weighted_misses == 0


def test_a_request_arriving_after_everyone_left_cannot_use_the_overrun_of_an_earlier_call():
    # The hour-long call may run to 17:59, so shifts are stretched by an hour; but the four
    # short requests arrive after 17:00, when nobody is left to start them, and the next
    # shift starts after they are due.
    after_hours = trace(
        [member("SW1")],
        [shift("SW1", at(9), at(17)), shift("SW1", at(9 + 48), at(17 + 48))],
        [request("long", Level.PUBLIC_CONCERN, at(16), 60)]
        + [request(f"late-{i}", Level.PUBLIC_CONCERN, at(17, 1), 10) for i in range(4)],
    )

    bound = miss_lower_bound(after_hours)

    assert bound.misses == 4
    for strategy in STRATEGY_NAMES:
        assert score(run(after_hours, make_strategy(strategy))).weighted_misses >= 4


def test_a_practice_manager_counts_as_able_to_make_s47_call_backs_in_the_bounds():
    # One social worker cannot make three 40-minute s47 calls in time; with the practice
    # manager standing in, any schedule could, and production's does.
    with_manager = trace(
        [member("SW1"), member("PM1", Role.PRACTICE_MANAGER)],
        [shift("SW1", at(9), at(17)), shift("PM1", at(9), at(17))],
        [request(f"s47-{i}", Level.S47, at(9), 40) for i in range(3)],
    )

    assert offline_bounds(with_manager).s47_misses == 0
    assert score(run(with_manager, make_strategy("edf"))).level(Level.S47).missed == 0
    assert score(run(with_manager, make_strategy("fifo"))).level(Level.S47).missed == 1
    sw_only = run(with_manager, make_strategy("edf_sw_only"))
    assert score(sw_only).level(Level.S47).missed == 1
    assert {call.staff_ref for call in sw_only.calls.values()} == {"SW1"}


def test_the_edt_counts_as_able_to_make_s47_call_backs_but_not_public_concerns():
    # The duty social worker signs off at 17:00 with two s47 call-backs and a public concern
    # unmade; the EDT comes on at 17:00.
    closing = trace(
        [member("SW1"), member("EDT1", Role.EDT_SOCIAL_WORKER)],
        [shift("SW1", at(9), at(17)), shift("EDT1", at(17), at(23))],
        [
            request("s47-early", Level.S47, at(16, 10), 55),
            request("s47-late", Level.S47, at(16, 30), 20),
            replace(request("public", Level.PUBLIC_CONCERN, at(16, 55), 20), due_at=at(17, 30)),
        ],
    )

    bounds = offline_bounds(closing)
    edf = run(closing, make_strategy("edf"))

    assert bounds.s47_misses == 0
    assert score(edf).level(Level.S47).missed == 0
    assert edf.calls["s47-late"].staff_ref == "EDT1"
    assert "public" not in edf.calls  # nobody left who may make it: not the EDT's work
    assert score(run(closing, make_strategy("edf_sw_only"))).level(Level.S47).missed == 1


def test_a_request_nobody_on_the_rota_could_take_is_counted_as_unreachable():
    nobody = trace(
        [member("EHO", Role.EARLY_HELP_OFFICER)],
        [shift("EHO", at(9), at(17))],
        [request("s47", Level.S47, at(10), 20)],
    )

    bound = miss_lower_bound(nobody)

    assert (bound.unreachable, bound.misses) == (10, 10)
    assert offline_bounds(nobody).s47_misses == 1


def brute_force_fewest_misses(calls, shifts):
    """Try every split of calls among people and every order; start each call when possible."""

    def next_start(person, moment):
        for start, end in sorted(shifts[person]):
            if moment < end:
                return max(moment, start)
        return None

    best = len(calls)
    for owners in itertools.product([None, *range(len(shifts))], repeat=len(calls)):
        if any(o is not None and o not in calls[i].able for i, o in enumerate(owners)):
            continue
        made = 0
        for person in range(len(shifts)):
            mine = [calls[i] for i, o in enumerate(owners) if o == person]
            orders = itertools.permutations(mine)
            if any(_all_in_time(order, person, next_start) for order in orders):
                made += len(mine)
            else:
                made = -math.inf
                break
        if made >= 0:
            best = min(best, len(calls) - made)
    return best


def _all_in_time(order, person, next_start):
    free = -math.inf
    for call in order:
        start = next_start(person, max(free, call.received))
        if start is None or start > call.due:
            return False
        free = start + call.length
    return True


def random_instance(rng):
    people = 2
    shifts = [[(rng.choice((0, 600, 1200)), rng.choice((2400, 3000, 3600)))] for _ in range(people)]
    calls = [
        Call(
            received=rng.randrange(0, 2400, 60),
            due=0,
            length=rng.randrange(300, 1800, 60),
            able=frozenset(rng.sample(range(people), rng.choice((1, 2)))),
        )
        for _ in range(5)
    ]
    return [Call(c.received, c.received + 900, c.length, c.able) for c in calls], shifts


def test_the_search_agrees_with_brute_force_on_small_random_cases():
    rng = random.Random(2024)
    for _ in range(40):
        calls, shifts = random_instance(rng)

        found = fewest_misses(calls, shifts, fallback=lambda cluster: 0)

        assert found.exact
        assert found.misses == brute_force_fewest_misses(calls, shifts)


def test_when_the_search_runs_out_of_nodes_it_falls_back_to_the_lower_bound_it_was_given():
    rng = random.Random(7)
    calls, shifts = random_instance(rng)

    found = fewest_misses(calls, shifts, fallback=lambda cluster: 0, node_budget=1)

    assert not found.exact
    assert found.misses == 0


def small_trace(rota_name, seed, load):
    name, rota = load_named_rota(rota_name)
    return build_trace(
        rota,
        rota_name=name,
        seed=seed,
        starts_on=DEFAULT_START,
        settings=ArrivalSettings(days=2, load=load),
    )


@pytest.mark.parametrize("rota_name", ["duty_desk", "lancashire_hub", "duty_desk+edt"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_strategy_ever_beats_the_offline_bounds(rota_name, seed):
    week = small_trace(rota_name, seed, load=3.0)
    bounds = offline_bounds(week)

    assert bounds.weighted_misses >= bounds.fluid.misses
    for strategy in STRATEGY_NAMES:
        result = score(run(week, make_strategy(strategy)))
        assert result.weighted_misses >= bounds.weighted_misses, strategy
        assert result.level(Level.S47).missed >= bounds.s47_misses, strategy

"""Generate a seeded week of calls, sick days and call-back requests for one rota."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

from callrouter.domain.allocation import DEFAULT_LEAD_TIME, PRODUCTION_RULES, could_ever_take
from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.rota import LONDON, Rota, Shift, join_touching
from callrouter.domain.vocabulary import ROLES_ABLE_TO_ACT_AS, Level, Role
from callrouter.simulation.model import CALLBACK_ROLES, CALLBACK_TIMESCALES, CallbackRequest, Trace

# Relative call volume by local hour on a weekday: school and surgery hours dominate.
WEEKDAY_HOUR_WEIGHTS = (
    0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5,  # 00:00-07:59
    2.0, 4.0, 4.0, 4.0, 3.0, 4.0, 3.5, 3.5,  # 08:00-15:59
    2.5, 1.2, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1,  # 16:00-23:59
)  # fmt: skip
# Monday carries the weekend's worries; weekends are mostly the public and the police.
DAY_WEIGHTS = (1.2, 1.0, 1.0, 1.0, 1.1, 0.25, 0.2)

LEVEL_MIX: Mapping[Level, float] = MappingProxyType(
    {
        Level.S47: 0.15,
        Level.S17: 0.20,
        Level.LEVEL3: 0.25,
        Level.LEVEL2: 0.30,
        Level.PUBLIC_CONCERN: 0.10,
    }
)
LEVEL2_WANTING_ADVICE = 0.5

# Median call-back length in minutes, lognormal with this spread, clipped to a sane range.
MEDIAN_MINUTES: Mapping[Level, float] = MappingProxyType(
    {Level.S47: 25.0, Level.PUBLIC_CONCERN: 20.0, Level.LEVEL2: 15.0}
)
DURATION_SIGMA = 0.5
SHORTEST_CALL_MINUTES = 5.0
LONGEST_CALL_MINUTES = 60.0

ABSENCE_RATE = 0.04  # chance a person is off sick on a given day
CALLS_PER_SOCIAL_WORKER_PER_WEEK = 130  # volume a desk is sized for, per s47-capable person
LOADS: Mapping[str, float] = MappingProxyType({"normal": 1.0, "surge": 2.0})
# The front door's office hours (Mon-Thu 09:00-17:00, Fri to 16:30, shut on England's bank
# holidays): an s47 caller told to ring the EDT then was turned away by the front door itself.
OFFICE_HOURS = WorkingCalendar()
# Knuth's method needs exp(-mean), which loses all precision long before it underflows;
# up to this mean it is exact, and larger means are drawn as sums of draws this size.
KNUTH_LARGEST_MEAN = 30.0


@dataclass(frozen=True)
class ArrivalSettings:
    days: int = 7
    load: float = 1.0
    calls_per_week: float | None = None  # at normal load; None: sized from the rota
    absence_rate: float = ABSENCE_RATE
    lead_time: timedelta = DEFAULT_LEAD_TIME


def expected_minutes(level: Level) -> float:
    """Return the mean call-back length a policy should plan for at this level."""
    return MEDIAN_MINUTES[level] * math.exp(DURATION_SIGMA**2 / 2)


def default_calls_per_week(rota: Rota) -> float:
    """Size the weekly call volume from how many social workers can make s47 call-backs."""
    # Social workers only, not the managers or the EDT who may also make them: a desk is
    # staffed for its social workers' calls, and joining the EDT on must not bring more calls.
    able = ROLES_ABLE_TO_ACT_AS[Role.SOCIAL_WORKER]
    return CALLS_PER_SOCIAL_WORKER_PER_WEEK * sum(1 for m in rota.staff if m.role in able)


def calls_per_week_for(rota: Rota, rota_name: str, settings: ArrivalSettings) -> float:
    """Return the weekly call volume at normal load: as given, or sized from the rota.

    A rota with no social worker cannot size it: refused, rather than a week with no calls.
    """
    if settings.calls_per_week is not None:
        return settings.calls_per_week
    volume = default_calls_per_week(rota)
    if volume == 0:
        raise ValueError(
            f"rota {rota_name} has nobody who can make s47 call-backs as a social worker or "
            "senior social worker, so the call volume cannot be sized from it: give "
            "--calls-per-week"
        )
    return volume


def build_trace(
    rota: Rota,
    *,
    rota_name: str,
    seed: int,
    starts_on: date,
    settings: ArrivalSettings = ArrivalSettings(),
) -> Trace:
    """Generate the calls, sick days and call-back requests for one seeded period."""
    starts_at = datetime.combine(starts_on, time(0), tzinfo=LONDON).astimezone(UTC)
    arrivals_end = starts_at + timedelta(days=settings.days)
    # Run on past the last arrival until every deadline, and the longest call, has passed.
    drain = max(CALLBACK_TIMESCALES.values()) + timedelta(minutes=LONGEST_CALL_MINUTES)
    ends_at = arrivals_end + drain + timedelta(hours=1)
    sick_days = _draw_absences(rota, starts_at, ends_at, settings.absence_rate, seed)
    shifts: list[Shift] = []
    absences: set[tuple[str, date]] = set()
    for shift in join_touching(rota.shifts_between(starts_at, ends_at)):
        day = (shift.staff_ref, shift.starts_at.astimezone(LONDON).date())
        if day in sick_days:
            absences.add(day)  # only sick days that cost a shift are worth reporting
        else:
            shifts.append(shift)
    volume = calls_per_week_for(rota, rota_name, settings)
    calls = _draw_calls(starts_at, arrivals_end, volume * settings.load, seed)
    requests: list[CallbackRequest] = []
    calls_by_level: Counter[Level] = Counter()
    turned_away: list[datetime] = []
    sent_to_edt = 0
    rng = random.Random(f"{seed}:callbacks")
    for received_at, level in calls:
        calls_by_level[level] += 1
        wants_callback = level in CALLBACK_TIMESCALES and (
            level != Level.LEVEL2 or rng.random() < LEVEL2_WANTING_ADVICE
        )
        duration = _draw_duration(rng, level) if level in MEDIAN_MINUTES else timedelta(0)
        if not wants_callback:
            continue
        request = CallbackRequest(
            id=f"cb{len(requests) + 1:05d}",
            level=level,
            role=CALLBACK_ROLES[level],
            received_at=received_at,
            due_at=received_at + CALLBACK_TIMESCALES[level],
            duration=duration,
            expected_minutes=expected_minutes(level),
        )
        if level == Level.S47 and not _someone_can_act(request, rota, shifts, settings.lead_time):
            # The line tells an s47 caller nobody could ring back within the hour to ring the
            # EDT: no call-back here, but in office hours the front door has turned them away.
            if OFFICE_HOURS.is_open(received_at):
                turned_away.append(received_at)
            else:
                sent_to_edt += 1
            continue
        requests.append(request)
    return Trace(
        rota_name=rota_name,
        seed=seed,
        load=settings.load,
        starts_at=starts_at,
        arrivals_end=arrivals_end,
        ends_at=ends_at,
        staff=rota.staff,
        shifts=tuple(shifts),
        absences=tuple(sorted(absences)),
        requests=tuple(requests),
        calls_by_level=MappingProxyType(dict(calls_by_level)),
        sent_to_edt=sent_to_edt,
        turned_away_in_office_hours=tuple(turned_away),
        calls_per_week=volume,
    )


def _draw_absences(
    rota: Rota, starts_at: datetime, ends_at: datetime, rate: float, seed: int
) -> set[tuple[str, date]]:
    absences: set[tuple[str, date]] = set()
    first_day = starts_at.astimezone(LONDON).date() - timedelta(days=1)
    days = (ends_at.astimezone(LONDON).date() - first_day).days + 1
    for member in rota.staff:
        # One stream per person: adding someone to the rota (a third social worker, the EDT)
        # leaves everyone else's sick days as they were, so two rotas compare like for like.
        rng = random.Random(f"{seed}:absences:{member.ref}")
        for offset in range(days):
            if rng.random() < rate:
                absences.add((member.ref, first_day + timedelta(days=offset)))
    return absences


def _draw_calls(
    starts_at: datetime, ends_at: datetime, calls_per_week: float, seed: int
) -> list[tuple[datetime, Level]]:
    rng = random.Random(f"{seed}:calls")
    week_weight = sum(DAY_WEIGHTS) * sum(WEEKDAY_HOUR_WEIGHTS)
    levels = list(LEVEL_MIX)
    level_weights = list(LEVEL_MIX.values())
    calls: list[tuple[datetime, Level]] = []
    hour_start = starts_at
    while hour_start < ends_at:
        local = hour_start.astimezone(LONDON)
        weight = DAY_WEIGHTS[local.weekday()] * WEEKDAY_HOUR_WEIGHTS[local.hour]
        for _ in range(_poisson(rng, calls_per_week * weight / week_weight)):
            at = hour_start + timedelta(seconds=rng.uniform(0, 3600))
            calls.append((at, rng.choices(levels, level_weights)[0]))
        hour_start += timedelta(hours=1)
    calls.sort(key=lambda call: call[0])
    return calls


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= KNUTH_LARGEST_MEAN:
        return _knuth_poisson(rng, mean)
    # A sum of independent Poisson counts is a Poisson count of the summed mean.
    chunks = math.ceil(mean / KNUTH_LARGEST_MEAN)
    return sum(_knuth_poisson(rng, mean / chunks) for _ in range(chunks))


def _knuth_poisson(rng: random.Random, mean: float) -> int:
    # Knuth's product of uniforms: exact, and quick for small means.
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _draw_duration(rng: random.Random, level: Level) -> timedelta:
    minutes = rng.lognormvariate(math.log(MEDIAN_MINUTES[level]), DURATION_SIGMA)
    minutes = min(LONGEST_CALL_MINUTES, max(SHORTEST_CALL_MINUTES, minutes))
    return timedelta(seconds=round(minutes * 60))


def _someone_can_act(
    request: CallbackRequest, rota: Rota, shifts: list[Shift], lead_time: timedelta
) -> bool:
    """Say whether anyone at the front door production could give this call-back to is on
    shift from its arrival for long enough to make it: a social worker, or a practice manager
    standing in. Not the EDT: out of hours the line puts an s47 caller through to the EDT
    there and then, and the EDT's cover is for call-backs the front door took and could not
    make."""
    task = request.as_open_task()
    able = {
        member.ref
        for member in rota.staff
        if could_ever_take(member, task, PRODUCTION_RULES.stand_ins, ())
    }
    at = request.received_at
    needed_until = at + timedelta(minutes=request.expected_minutes) + lead_time
    return any(
        s.staff_ref in able and s.starts_at <= at and s.ends_at >= needed_until for s in shifts
    )

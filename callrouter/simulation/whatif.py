"""Compare rotas over the same weeks of calls: "how many social workers on Monday morning?".

Each rota is played through the same seeded weeks with the same call volume (sized from the
first rota unless given), so the only thing that differs between rotas is who is on shift. A
bigger rota must not bring more calls with it, or adding a social worker would look useless.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

from callrouter.domain.rota import LONDON, Rota
from callrouter.domain.vocabulary import Level
from callrouter.simulation.arrivals import ArrivalSettings, build_trace, calls_per_week_for
from callrouter.simulation.bound import fewest_s47_misses
from callrouter.simulation.engine import run
from callrouter.simulation.metrics import RunScore, in_time_share, score
from callrouter.simulation.model import CALLBACK_TIMESCALES, RunResult
from callrouter.simulation.report import (
    format_duration,
    format_share,
    share_for_json,
    svg_canvas,
)
from callrouter.simulation.runner import DEFAULT_CAPACITY, make_strategy

# Parts of the day a rota manager plans in, by the hour (UK time) a call comes in.
PARTS_OF_DAY = (("night", 0), ("morning", 8), ("afternoon", 12), ("evening", 17))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class RotaOutcome:
    """How one rota did over every simulated week."""

    rota_name: str
    weeks: int = 0
    requests: Counter[Level] = field(default_factory=Counter)
    in_time: Counter[Level] = field(default_factory=Counter)
    s47_optimum: int = 0  # the fewest s47 misses any schedule could make, summed over weeks
    s47_exact: bool = True  # False if a week's search gave up and s47_optimum is a bound
    worst_s47_lateness: timedelta = timedelta(0)
    s47_missed_when: Counter[str] = field(default_factory=Counter)  # "Mon afternoon" -> misses
    # s47 callers the line sent to the EDT in office hours, as nobody who could call back
    # within the hour was on shift: as unserved as a missed call-back, so counted against
    # the rota, though no call-back and so in no optimum.
    s47_turned_away_when: Counter[str] = field(default_factory=Counter)
    sent_to_edt: int = 0  # out of office hours, where the EDT is the service: for information
    busy_share: dict[str, float] = field(default_factory=dict)  # person -> mean of weeks

    @property
    def s47_missed(self) -> int:
        return self.requests[Level.S47] - self.in_time[Level.S47]

    @property
    def s47_turned_away(self) -> int:
        return sum(self.s47_turned_away_when.values())

    @property
    def s47_not_called_back_in_time(self) -> int:
        return self.s47_missed + self.s47_turned_away

    @property
    def s47_not_in_time_when(self) -> Counter[str]:
        return self.s47_missed_when + self.s47_turned_away_when

    def s47_callers_in_time_share(self) -> float | None:
        """Share of s47 callers the front door should have called back who were, in time."""
        callers = self.requests[Level.S47] + self.s47_turned_away
        return in_time_share(self.in_time[Level.S47], callers)

    def share(self, level: Level) -> float | None:
        return in_time_share(self.in_time[level], self.requests[level])


@dataclass(frozen=True)
class WhatIf:
    seeds: tuple[int, ...]
    starts_on: date
    settings: ArrivalSettings  # with calls_per_week filled in
    strategy: str
    outcomes: tuple[RotaOutcome, ...]


def compare_rotas(
    rotas: Sequence[tuple[str, Rota]],
    *,
    seeds: Sequence[int],
    starts_on: date,
    settings: ArrivalSettings | None = None,
    strategy: str = "edf",
    capacity_per_person: int | None = DEFAULT_CAPACITY,
) -> WhatIf:
    """Play every rota through the same weeks under one strategy and tally each.

    capacity_per_person is the cap for the strategies that take one (edf_brief, fifo);
    production's edf has its own. Rotas with the same name are told apart as "name (2)".
    """
    if not rotas:
        raise ValueError("compare at least one rota")
    if settings is None:
        settings = ArrivalSettings()
    first_name, first_rota = rotas[0]
    volume = calls_per_week_for(first_rota, first_name, settings)
    same_calls = dataclasses.replace(settings, calls_per_week=volume)
    names = unique_names([name for name, _ in rotas])
    outcomes = tuple(
        _play(name, rota, seeds, starts_on, same_calls, strategy, capacity_per_person)
        for name, (_, rota) in zip(names, rotas, strict=True)
    )
    return WhatIf(tuple(seeds), starts_on, same_calls, strategy, outcomes)


def unique_names(names: Sequence[str]) -> list[str]:
    """Name each rota once in a report: a second "rota" (rota.csv in two folders) is "rota (2)"."""
    taken = set(names)
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        if seen[name] == 1:
            unique.append(name)
            continue
        copy = seen[name]
        while f"{name} ({copy})" in taken:
            copy += 1
        taken.add(f"{name} ({copy})")
        unique.append(f"{name} ({copy})")
    return unique


def _play(
    name: str,
    rota: Rota,
    seeds: Sequence[int],
    starts_on: date,
    settings: ArrivalSettings,
    strategy: str,
    capacity_per_person: int | None,
) -> RotaOutcome:
    outcome = RotaOutcome(name)
    busy: Counter[str] = Counter()
    for seed in seeds:
        trace = build_trace(rota, rota_name=name, seed=seed, starts_on=starts_on, settings=settings)
        result = run(trace, make_strategy(strategy, capacity_per_person))
        scored = score(result)
        _tally(outcome, result, scored)
        optimum = fewest_s47_misses(trace)
        outcome.s47_optimum += optimum.misses
        outcome.s47_exact &= optimum.exact
        busy.update(scored.utilisation_by_person)
    outcome.busy_share = {ref: busy[ref] / len(seeds) for ref in sorted(busy)}
    return outcome


def _tally(outcome: RotaOutcome, result: RunResult, scored: RunScore) -> None:
    outcome.weeks += 1
    outcome.sent_to_edt += result.trace.sent_to_edt
    for level_score in scored.levels:
        outcome.requests[level_score.level] += level_score.requests
        outcome.in_time[level_score.level] += level_score.in_time
    s47 = scored.level(Level.S47)
    outcome.worst_s47_lateness = max(outcome.worst_s47_lateness, s47.max_lateness)
    for request in result.trace.requests:
        call = result.calls.get(request.id)
        if request.level == Level.S47 and (call is None or call.started_at > request.due_at):
            outcome.s47_missed_when[part_of_week(request.received_at)] += 1
    for received_at in result.trace.turned_away_in_office_hours:
        outcome.s47_turned_away_when[part_of_week(received_at)] += 1


def part_of_week(at: datetime) -> str:
    """Name the UK day and part of day of an instant, such as "Mon morning"."""
    local = at.astimezone(LONDON)
    part = next(name for name, starts in reversed(PARTS_OF_DAY) if local.hour >= starts)
    return f"{WEEKDAYS[local.weekday()]} {part}"


def render_what_if(what_if: WhatIf) -> str:
    """Return the comparison as plain text for a manager."""
    seeds = what_if.seeds
    settings = what_if.settings
    weeks = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]} to {seeds[-1]}"
    other_levels = [level for level in CALLBACK_TIMESCALES if level != Level.S47]
    lines = [
        (
            f"What if: {len(what_if.outcomes)} rota(s) over the same {len(seeds)} simulated "
            f"period(s) of {settings.days} day{'s' if settings.days != 1 else ''} from {what_if.starts_on:%a %d %b %Y} ({weeks}), "
            f"{settings.calls_per_week:g} calls a week at load x{settings.load:g}, "
            f"allocated by {what_if.strategy}."
        ),
        (
            "Every rota gets the same calls: the volume is sized from the first rota unless "
            "--calls-per-week says."
        ),
        "",
        f"{'rota':<24}{'s47 not in time':>17}{'missed':>8}{'optimum':>9}{'turned away':>13}"
        f"{'s47 in time':>13}{'worst s47 late':>16}"
        + "".join(f"{level.value + ' in time':>24}" for level in other_levels)
        + f"{'sent to EDT':>13}",
    ]
    for outcome in what_if.outcomes:
        lines.append(
            f"{outcome.rota_name:<24}{outcome.s47_not_called_back_in_time:>17}"
            f"{outcome.s47_missed:>8}{_optimum(outcome):>9}{outcome.s47_turned_away:>13}"
            f"{format_share(outcome.s47_callers_in_time_share()):>13}"
            f"{format_duration(outcome.worst_s47_lateness):>16}"
            + "".join(f"{format_share(outcome.share(level)):>24}" for level in other_levels)
            + f"{outcome.sent_to_edt:>13}"
        )
    lines += [
        "",
        (
            "s47 callers not called back in time, by when the call came in (UK time; night "
            "00-08, morning 08-12, afternoon 12-17, evening 17-24):"
        ),
    ]
    for outcome in what_if.outcomes:
        lines.append(f"  {outcome.rota_name}: {_when(outcome)}")
    lines += ["", "Rostered time spent on call-backs (mean of the periods):"]
    for outcome in what_if.outcomes:
        shares = ", ".join(f"{ref} {share:.0%}" for ref, share in outcome.busy_share.items())
        lines.append(f"  {outcome.rota_name}: {shares}")
    return "\n".join([*lines, "", *_LEGEND]) + "\n"


_LEGEND = (
    (
        "s47 not in time: s47 callers not called back within the hour, the figure to compare "
        "rotas by: the call-backs missed plus the callers turned away."
    ),
    (
        "missed: s47 call-backs made late or never. optimum: the fewest s47 call-backs any "
        "schedule of the same calls on that rota could miss, knowing every call to come (+: a "
        "lower bound where the search gave up)."
    ),
    (
        "turned away: s47 callers in the front door's office hours (Mon-Thu 09:00-17:00, Fri "
        "09:00-16:30, not bank holidays) whom the line told to ring the Emergency Duty Team, as "
        "nobody at the front door who could call back within the hour (a social worker, or a "
        "practice manager standing in) was on shift; they are not call-backs, so no optimum "
        "counts them."
    ),
    (
        "s47 in time: s47 callers called back within the hour, of those promised a call-back "
        "and those turned away. n/a: no such callers (or, for another level, no call-backs)."
    ),
    (
        "sent to EDT: s47 callers out of office hours whom the line told to ring the Emergency "
        "Duty Team, as nobody on the rota could call back; for information, not counted "
        "against the rota."
    ),
)


def _optimum(outcome: RotaOutcome) -> str:
    return f"{outcome.s47_optimum}" + ("" if outcome.s47_exact else "+")


def _when(outcome: RotaOutcome) -> str:
    not_in_time = outcome.s47_not_in_time_when
    if not not_in_time:
        return "none"
    order = {
        f"{day} {part}": (d, p)
        for d, day in enumerate(WEEKDAYS)
        for p, (part, _) in enumerate(PARTS_OF_DAY)
    }
    return ", ".join(
        f"{slot} {not_in_time[slot]}" + _turned_away_note(outcome.s47_turned_away_when[slot])
        for slot in sorted(not_in_time, key=order.__getitem__)
    )


def _turned_away_note(turned_away: int) -> str:
    return f" ({turned_away} turned away)" if turned_away else ""


def render_what_if_svg(what_if: WhatIf) -> str:
    """Return an SVG chart: per rota, s47 callers not called back in time, by day and part."""
    cell_width, cell_height, left, block = 70, 26, 110, 4 * 26 + 88
    width = 760  # room for each rota's second heading line
    height = 20 + block * len(what_if.outcomes)
    worst = max([1, *(n for o in what_if.outcomes for n in o.s47_not_in_time_when.values())])
    parts = svg_canvas(width, height)
    for index, outcome in enumerate(what_if.outcomes):
        top = 30 + index * block
        parts += _rota_heading(outcome, top)
        for column, day in enumerate(WEEKDAYS):
            x = left + column * cell_width
            parts.append(
                f'<text x="{x + cell_width / 2}" y="{top + 38}" text-anchor="middle">{day}</text>'
            )
            for row, (part, _) in enumerate(PARTS_OF_DAY):
                y = top + 46 + row * cell_height
                parts += _cell(outcome, f"{day} {part}", x, y, cell_width, cell_height, worst)
                if column == 0:
                    parts.append(
                        f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{part}</text>'
                    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _rota_heading(outcome: RotaOutcome, top: int) -> list[str]:
    return [
        (
            f'<text x="10" y="{top}" font-size="14" font-weight="bold">'
            f"{escape(outcome.rota_name)}: {outcome.s47_not_called_back_in_time} s47 callers "
            "not called back in time (s47 in time "
            f"{format_share(outcome.s47_callers_in_time_share())})</text>"
        ),
        (
            f'<text x="10" y="{top + 18}">{outcome.s47_missed} call-backs missed (optimum '
            f"{_optimum(outcome)}), {outcome.s47_turned_away} callers turned away in office "
            f"hours; {outcome.sent_to_edt} sent to the EDT out of hours</text>"
        ),
    ]


def _cell(
    outcome: RotaOutcome, slot: str, x: int, y: int, cell_width: int, cell_height: int, worst: int
) -> list[str]:
    missed = outcome.s47_missed_when.get(slot, 0)
    turned_away = outcome.s47_turned_away_when.get(slot, 0)
    not_in_time = missed + turned_away
    shade = 0.1 + 0.9 * not_in_time / worst if not_in_time else 0.0
    parts = [
        (
            f'<rect x="{x}" y="{y}" width="{cell_width - 2}" height="{cell_height - 2}" '
            f'fill="#d4351c" fill-opacity="{shade:.2f}" stroke="#b1b4b6">'
            f"<title>{slot}: {missed} s47 missed, {turned_away} turned away in office hours"
            "</title></rect>"
        )
    ]
    if not_in_time:
        parts.append(
            f'<text x="{x + cell_width / 2}" y="{y + 17}" text-anchor="middle">{not_in_time}</text>'
        )
    return parts


def what_if_summary(what_if: WhatIf) -> dict[str, object]:
    """Return the comparison as plain data for JSON."""
    return {
        "seeds": list(what_if.seeds),
        "starts_on": what_if.starts_on.isoformat(),
        "days": what_if.settings.days,
        "load": what_if.settings.load,
        "calls_per_week": what_if.settings.calls_per_week,
        "strategy": what_if.strategy,
        "rotas": {outcome.rota_name: _outcome_summary(outcome) for outcome in what_if.outcomes},
    }


def _outcome_summary(outcome: RotaOutcome) -> dict[str, object]:
    return {
        "s47_callers_not_called_back_in_time": outcome.s47_not_called_back_in_time,
        "s47_callers_in_time_share": share_for_json(outcome.s47_callers_in_time_share()),
        "s47_call_backs_missed": outcome.s47_missed,
        "s47_optimum_misses": outcome.s47_optimum,
        "s47_optimum_exact": outcome.s47_exact,
        "s47_turned_away_in_office_hours": outcome.s47_turned_away,
        "s47_sent_to_edt_out_of_hours": outcome.sent_to_edt,
        "levels": {
            level.value: {
                "requests": outcome.requests[level],
                "in_time": outcome.in_time[level],
                "in_time_share": share_for_json(outcome.share(level)),
            }
            for level in CALLBACK_TIMESCALES
        },
        "worst_s47_lateness_minutes": round(outcome.worst_s47_lateness / timedelta(minutes=1), 1),
        "s47_missed_by_part_of_week": dict(outcome.s47_missed_when),
        "s47_turned_away_by_part_of_week": dict(outcome.s47_turned_away_when),
        "busy_share": {ref: round(s, 3) for ref, s in outcome.busy_share.items()},
    }

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
from callrouter.simulation.arrivals import ArrivalSettings, build_trace, default_calls_per_week
from callrouter.simulation.bound import fewest_s47_misses
from callrouter.simulation.engine import run
from callrouter.simulation.metrics import RunScore, score
from callrouter.simulation.model import CALLBACK_TIMESCALES, RunResult
from callrouter.simulation.report import format_duration, svg_canvas
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
    sent_to_edt: int = 0
    busy_share: dict[str, float] = field(default_factory=dict)  # person -> mean of weeks

    @property
    def s47_missed(self) -> int:
        return self.requests[Level.S47] - self.in_time[Level.S47]

    def share(self, level: Level) -> float:
        return self.in_time[level] / self.requests[level] if self.requests[level] else 1.0


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
    production's edf has its own.
    """
    if not rotas:
        raise ValueError("compare at least one rota")
    settings = settings or ArrivalSettings()
    volume = settings.calls_per_week or default_calls_per_week(rotas[0][1])
    same_calls = dataclasses.replace(settings, calls_per_week=volume)
    outcomes = []
    for name, rota in rotas:
        outcome = RotaOutcome(name)
        busy: Counter[str] = Counter()
        for seed in seeds:
            trace = build_trace(
                rota, rota_name=name, seed=seed, starts_on=starts_on, settings=same_calls
            )
            result = run(trace, make_strategy(strategy, capacity_per_person))
            scored = score(result)
            _tally(outcome, result, scored)
            optimum = fewest_s47_misses(trace)
            outcome.s47_optimum += optimum.misses
            outcome.s47_exact &= optimum.exact
            busy.update(scored.utilisation_by_person)
        outcome.busy_share = {ref: busy[ref] / len(seeds) for ref in sorted(busy)}
        outcomes.append(outcome)
    return WhatIf(tuple(seeds), starts_on, same_calls, strategy, tuple(outcomes))


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
        f"{'rota':<24}{'s47 in time':>13}{'s47 missed':>12}{'optimum':>9}"
        f"{'worst s47 late':>16}"
        + "".join(
            f"{level.value + ' in time':>24}" for level in CALLBACK_TIMESCALES if level != Level.S47
        )
        + f"{'s47 sent to EDT':>17}",
    ]
    for outcome in what_if.outcomes:
        optimum = f"{outcome.s47_optimum}" + ("" if outcome.s47_exact else "+")
        lines.append(
            f"{outcome.rota_name:<24}{outcome.share(Level.S47):>13.1%}{outcome.s47_missed:>12}"
            f"{optimum:>9}{format_duration(outcome.worst_s47_lateness):>16}"
            + "".join(
                f"{outcome.share(level):>24.1%}"
                for level in CALLBACK_TIMESCALES
                if level != Level.S47
            )
            + f"{outcome.sent_to_edt:>17}"
        )
    lines += [
        "",
        (
            "s47 call-backs missed, by when the call came in (UK time; night 00-08, morning 08-12, "
            "afternoon 12-17, evening 17-24):"
        ),
    ]
    for outcome in what_if.outcomes:
        lines.append(f"  {outcome.rota_name}: {_when(outcome.s47_missed_when)}")
    lines += ["", "Rostered time spent on call-backs (mean of the periods):"]
    for outcome in what_if.outcomes:
        shares = ", ".join(f"{ref} {share:.0%}" for ref, share in outcome.busy_share.items())
        lines.append(f"  {outcome.rota_name}: {shares}")
    lines += [
        "",
        (
            "optimum: the fewest s47 misses any schedule of the same calls on that rota could make, "
            "knowing every call to come (+: a lower bound where the search gave up)."
        ),
        (
            "s47 sent to EDT: s47 calls the line told to ring the Emergency Duty Team because no "
            "social worker was on shift; they are not call-backs here."
        ),
    ]
    return "\n".join(lines) + "\n"


def _when(missed: Counter[str]) -> str:
    if not missed:
        return "none"
    order = {
        f"{day} {part}": (d, p)
        for d, day in enumerate(WEEKDAYS)
        for p, (part, _) in enumerate(PARTS_OF_DAY)
    }
    return ", ".join(f"{slot} {missed[slot]}" for slot in sorted(missed, key=order.__getitem__))


def render_what_if_svg(what_if: WhatIf) -> str:
    """Return an SVG chart: per rota, s47 misses on a grid of weekday by part of day."""
    cell_width, cell_height, left, block = 70, 26, 110, 4 * 26 + 70
    width = left + 7 * cell_width + 20
    height = 20 + block * len(what_if.outcomes)
    worst = max([1, *(n for o in what_if.outcomes for n in o.s47_missed_when.values())])
    parts = svg_canvas(width, height)
    for index, outcome in enumerate(what_if.outcomes):
        top = 30 + index * block
        parts.append(
            f'<text x="10" y="{top}" font-size="14" font-weight="bold">'
            f"{escape(outcome.rota_name)}: s47 in time {outcome.share(Level.S47):.1%}, "
            f"{outcome.s47_missed} missed (optimum {outcome.s47_optimum})</text>"
        )
        for column, day in enumerate(WEEKDAYS):
            x = left + column * cell_width
            parts.append(
                f'<text x="{x + cell_width / 2}" y="{top + 20}" text-anchor="middle">{day}</text>'
            )
            for row, (part, _) in enumerate(PARTS_OF_DAY):
                y = top + 28 + row * cell_height
                missed = outcome.s47_missed_when.get(f"{day} {part}", 0)
                shade = 0.1 + 0.9 * missed / worst if missed else 0.0
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell_width - 2}" height="{cell_height - 2}" '
                    f'fill="#d4351c" fill-opacity="{shade:.2f}" stroke="#b1b4b6">'
                    f"<title>{day} {part}: {missed} s47 missed</title></rect>"
                )
                if missed:
                    parts.append(
                        f'<text x="{x + cell_width / 2}" y="{y + 17}" '
                        f'text-anchor="middle">{missed}</text>'
                    )
                if column == 0:
                    parts.append(
                        f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{part}</text>'
                    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def what_if_summary(what_if: WhatIf) -> dict[str, object]:
    """Return the comparison as plain data for JSON."""
    return {
        "seeds": list(what_if.seeds),
        "starts_on": what_if.starts_on.isoformat(),
        "days": what_if.settings.days,
        "load": what_if.settings.load,
        "calls_per_week": what_if.settings.calls_per_week,
        "strategy": what_if.strategy,
        "rotas": {
            outcome.rota_name: {
                "levels": {
                    level.value: {
                        "requests": outcome.requests[level],
                        "in_time": outcome.in_time[level],
                    }
                    for level in CALLBACK_TIMESCALES
                },
                "s47_optimum_misses": outcome.s47_optimum,
                "s47_optimum_exact": outcome.s47_exact,
                "worst_s47_lateness_minutes": round(
                    outcome.worst_s47_lateness / timedelta(minutes=1), 1
                ),
                "s47_missed_by_part_of_week": dict(outcome.s47_missed_when),
                "sent_to_edt": outcome.sent_to_edt,
                "busy_share": {ref: round(s, 3) for ref, s in outcome.busy_share.items()},
            }
            for outcome in what_if.outcomes
        },
    }

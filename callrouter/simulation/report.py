"""Write a run's scores as a plain-text report and a hand-drawn SVG chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from callrouter.domain.rota import LONDON
from callrouter.domain.vocabulary import Level
from callrouter.simulation.bound import OfflineBounds
from callrouter.simulation.metrics import RunScore
from callrouter.simulation.model import CALLBACK_TIMESCALES, MISS_WEIGHTS, Trace


@dataclass(frozen=True)
class Comparison:
    """Every strategy's score on one trace, with the offline bounds for that trace."""

    trace: Trace
    scores: tuple[RunScore, ...]
    bounds: OfflineBounds


def render_text(comparison: Comparison) -> str:
    """Return the report as plain text for a terminal or a file."""
    trace = comparison.trace
    bounds = comparison.bounds
    lines = [
        (
            f"Front-door simulation: {trace.rota_name}, seed {trace.seed}, {_volume(trace)}, "
            f"{_period(trace)}"
        ),
        _calls_line(trace),
        _absences_line(trace),
        "",
        (
            f"{'strategy':<13}{'level':<16}{'requests':>9}{'in time':>9}{'share':>8}"
            f"{'mean late':>11}{'max late':>10}{'never':>7}"
        ),
    ]
    for run in comparison.scores:
        for level_score in run.levels:
            lines.append(
                f"{run.strategy:<13}{level_score.level.value:<16}{level_score.requests:>9}"
                f"{level_score.in_time:>9}{format_share(level_score.in_time_share):>8}"
                f"{format_duration(level_score.mean_lateness):>11}"
                f"{format_duration(level_score.max_lateness):>10}{level_score.never_called:>7}"
            )
    weights = ", ".join(f"{level.value} x{weight}" for level, weight in MISS_WEIGHTS.items())
    lines += [
        "",
        f"Weighted misses ({weights}):",
        *(f"  {run.strategy:<13}{run.weighted_misses:>6}" for run in comparison.scores),
        f"  {'offline bound':<13}{bounds.weighted_misses:>6}  (no schedule can miss less)",
        "s47 call-backs missed:",
        *(f"  {run.strategy:<13}{run.level(Level.S47).missed:>6}" for run in comparison.scores),
        f"  {'offline best' if bounds.s47_exact else 'offline bound':<13}"
        f"{bounds.s47_misses:>6}  "
        + (
            "(the fewest any schedule can miss, found by search)"
            if bounds.s47_exact
            else "(no schedule can miss fewer; search gave up on a cluster)"
        ),
        *_turned_away_lines(trace),
        "",
        "Utilisation (share of rostered time spent on call-backs):",
    ]
    for run in comparison.scores:
        shares = ", ".join(
            f"{role.value} {share:.0%}" for role, share in sorted(run.utilisation.items())
        )
        lines.append(f"  {run.strategy:<13}{shares}")
    timescales = ", ".join(
        f"{level.value} {format_duration(limit)}" for level, limit in CALLBACK_TIMESCALES.items()
    )
    lines += [
        "",
        f"In time means the call-back started by its deadline ({timescales}, clock time).",
        "Lateness is over late call-backs; one never made counts as late until the run ends.",
    ]
    return "\n".join(lines) + "\n"


def _period(trace: Trace) -> str:
    first = trace.starts_at.astimezone(LONDON)
    days = round((trace.arrivals_end - trace.starts_at) / timedelta(days=1))
    plural = "s" if days != 1 else ""
    return f"{days} day{plural} of calls from {first:%a %d %b %Y} (Europe/London)"


def _calls_line(trace: Trace) -> str:
    calls = sum(trace.calls_by_level.values())
    by_level = ", ".join(f"{level.value} {count}" for level, count in trace.calls_by_level.items())
    requested = {level: 0 for level in CALLBACK_TIMESCALES}
    for request in trace.requests:
        requested[request.level] += 1
    callbacks = ", ".join(f"{level.value} {count}" for level, count in requested.items())
    return f"Calls: {calls} ({by_level}). Call-backs promised: {len(trace.requests)} ({callbacks})."


def _volume(trace: Trace) -> str:
    if trace.calls_per_week is None:
        return f"load x{trace.load:g}"
    return f"{trace.calls_per_week:g} calls a week at load x{trace.load:g}"


def _turned_away_lines(trace: Trace) -> list[str]:
    # Next to the misses: a caller turned away is as unserved as a missed call-back, but is no
    # call-back, so no strategy's figures above and no bound include them.
    return [
        (
            f"s47 callers turned away in office hours: {len(trace.turned_away_in_office_hours)}  "
            "(nobody who could call back within the hour was on shift, so the line told them "
            "to ring the EDT; not in the figures above)"
        ),
        f"s47 callers sent to the EDT out of hours: {trace.sent_to_edt}  (for information)",
    ]


def _absences_line(trace: Trace) -> str:
    if not trace.absences:
        return "Nobody off sick."
    days = ", ".join(f"{ref} {day:%a %d %b}" for ref, day in trace.absences)
    return f"Off sick: {days}."


def format_share(share: float | None) -> str:
    """Write a share as "97.5%", or "n/a" when there was nothing to share out."""
    return "n/a" if share is None else f"{share:.1%}"


def share_for_json(share: float | None) -> float | None:
    """Round a share for JSON, keeping None (null) where there was nothing to share out."""
    return None if share is None else round(share, 4)


def format_duration(span: timedelta) -> str:
    """Write a span as "25m" or "2h05m"."""
    minutes = round(span.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


_COLOURS = ("#1b6ca8", "#e07b39", "#6a9f3a", "#8e5ea2", "#b8b8b8")


def render_svg(comparison: Comparison) -> str:
    """Return an SVG chart: in-time share per level, and weighted misses against the bound."""
    runs = comparison.scores
    levels = [level_score.level for level_score in runs[0].levels] if runs else []
    width, height = 860, 360
    parts = [
        *svg_canvas(width, height),
        (
            f'<text x="20" y="22" font-size="14" font-weight="bold">'
            f"{escape(comparison.trace.rota_name)}, seed {comparison.trace.seed}, "
            f"{_volume(comparison.trace)}; s47 callers turned away in office hours: "
            f"{len(comparison.trace.turned_away_in_office_hours)}</text>"
        ),
    ]
    parts += _share_panel(runs, levels, left=50, top=50, panel_width=460, panel_height=240)
    parts += _misses_panel(comparison, left=590, top=50, panel_width=240, panel_height=240)
    parts += _legend(runs, left=50, top=335)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def svg_canvas(width: int, height: int) -> list[str]:
    """Open an SVG chart of this size on a white ground; the caller closes it with </svg>."""
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
        ),
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]


def _share_panel(
    runs: Sequence[RunScore], levels: Sequence[Level], *, left, top, panel_width, panel_height
) -> list[str]:
    parts = [
        f'<text x="{left}" y="{top - 10}">Call-backs made in time, by level</text>',
        *_axis(left, top, panel_width, panel_height, ["0%", "50%", "100%"]),
    ]
    group_width = panel_width / max(1, len(levels))
    bar_width = group_width * 0.8 / max(1, len(runs))
    for group, level in enumerate(levels):
        x0 = left + group * group_width + group_width * 0.1
        for index, run in enumerate(runs):
            parts.append(
                _share_bar(
                    f"{run.strategy} {level.value}",
                    run.level(level).in_time_share,
                    _COLOURS[index % len(_COLOURS)],
                    x=x0 + index * bar_width,
                    width=bar_width - 2,
                    baseline=top + panel_height,
                    full_height=panel_height,
                )
            )
        parts.append(
            f'<text x="{x0 + group_width * 0.4:.1f}" y="{top + panel_height + 16}" '
            f'text-anchor="middle">{level.value}</text>'
        )
    return parts


def _share_bar(
    label: str, share: float | None, colour: str, *, x, width, baseline, full_height
) -> str:
    title = f"<title>{escape(label)}: {format_share(share)}</title>"
    if share is None:
        # No bar: a full one would read as 100% in time for a level nobody asked for.
        return (
            f'<text x="{x + width / 2:.1f}" y="{baseline - 4:.1f}" text-anchor="middle" '
            f'font-size="9">n/a{title}</text>'
        )
    bar_height = share * full_height
    return (
        f'<rect x="{x:.1f}" y="{baseline - bar_height:.1f}" width="{width:.1f}" '
        f'height="{bar_height:.1f}" fill="{colour}">{title}</rect>'
    )


def _misses_panel(comparison: Comparison, *, left, top, panel_width, panel_height) -> list[str]:
    runs = comparison.scores
    bound = comparison.bounds.weighted_misses
    tallest = max([run.weighted_misses for run in runs] + [bound, 1])
    parts = [
        f'<text x="{left}" y="{top - 10}">Weighted misses (s47 x10)</text>',
        *_axis(left, top, panel_width, panel_height, ["0", f"{tallest / 2:g}", f"{tallest}"]),
    ]
    bar_width = panel_width * 0.8 / max(1, len(runs))
    for index, run in enumerate(runs):
        bar_height = run.weighted_misses / tallest * panel_height
        x = left + panel_width * 0.1 + index * bar_width
        parts.append(
            f'<rect x="{x:.1f}" y="{top + panel_height - bar_height:.1f}" '
            f'width="{bar_width - 4:.1f}" height="{bar_height:.1f}" '
            f'fill="{_COLOURS[index % len(_COLOURS)]}">'
            f"<title>{escape(run.strategy)}: {run.weighted_misses}</title></rect>"
        )
    bound_y = top + panel_height - bound / tallest * panel_height
    parts += [
        (
            f'<line x1="{left}" x2="{left + panel_width}" y1="{bound_y:.1f}" y2="{bound_y:.1f}" '
            f'stroke="black" stroke-dasharray="6 4"/>'
        ),
        (
            f'<text x="{left + panel_width}" y="{bound_y - 4:.1f}" text-anchor="end">'
            f"offline bound {bound}</text>"
        ),
    ]
    return parts


def _axis(left, top, width, height, labels: Sequence[str]) -> list[str]:
    parts = [
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" stroke="#444"/>',
        (
            f'<line x1="{left}" x2="{left + width}" y1="{top + height}" y2="{top + height}" '
            f'stroke="#444"/>'
        ),
    ]
    for index, label in enumerate(labels):
        y = top + height - index * height / (len(labels) - 1)
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    return parts


def _legend(runs: Sequence[RunScore], *, left, top) -> list[str]:
    parts = []
    for index, run in enumerate(runs):
        x = left + index * 150
        parts += [
            (
                f'<rect x="{x}" y="{top - 10}" width="12" height="12" '
                f'fill="{_COLOURS[index % len(_COLOURS)]}"/>'
            ),
            f'<text x="{x + 18}" y="{top}">{escape(run.strategy)}</text>',
        ]
    return parts

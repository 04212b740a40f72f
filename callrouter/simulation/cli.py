"""The `callrouter simulate` command: run a seeded week and write a report and a chart."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path

from callrouter.domain.rota import Rota, RotaError
from callrouter.simulation.arrivals import LOADS, ArrivalSettings, build_trace, calls_per_week_for
from callrouter.simulation.metrics import RunScore
from callrouter.simulation.report import Comparison, render_svg, render_text, share_for_json
from callrouter.simulation.runner import (
    DEFAULT_CAPACITY,
    SHIPPED_COVER_ROTAS,
    SHIPPED_ROTAS,
    STRATEGY_NAMES,
    compare,
    load_named_rota,
)
from callrouter.simulation.whatif import (
    compare_rotas,
    render_what_if,
    render_what_if_svg,
    what_if_summary,
)

# A Monday; the week runs into the Sunday the clocks go back, which the rota must survive.
DEFAULT_START = date(2025, 10, 20)
# Far beyond any front door (the shipped hub is sized at 390), and already minutes of
# simulation a period: a larger volume is a typing slip, not a question worth waiting for.
MAX_CALLS_PER_WEEK = 20_000
# A quarter of a year: longer is no question a rota answers, and would run for many minutes.
MAX_DAYS = 91


def main(argv: list[str] | None = None) -> int:
    """Run the simulation from command-line arguments and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        load = _parse_load(args.load)
        rotas = [load_named_rota(name) for name in args.rota or ["duty_desk"]]
        settings = _arrival_settings(args, load, rotas[0])
    except (ValueError, OSError) as error:  # RotaError is a ValueError
        prefix = "rota error" if isinstance(error, RotaError) else "error"
        return _refuse(f"{prefix}: {error}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)  # before the run, so a bad --out fails at once
    except OSError as error:
        return _refuse_out(out, error)
    if len(rotas) > 1 or args.seeds > 1:
        return _what_if(args, rotas, settings, out)
    name, rota = rotas[0]
    strategies = STRATEGY_NAMES if args.strategy == "all" else (args.strategy,)
    trace = build_trace(
        rota, rota_name=name, seed=args.seed, starts_on=args.start, settings=settings
    )
    comparison = compare(trace, strategies, args.cap)
    text = render_text(comparison)
    files = {
        "report.txt": text,
        "chart.svg": render_svg(comparison),
        "summary.json": json.dumps(summary(comparison), indent=2),
    }
    return _write_and_print(out, files, text)


def _what_if(args: argparse.Namespace, rotas, settings: ArrivalSettings, out: Path) -> int:
    """Compare rotas over the same seeded periods: one strategy, production's unless named."""
    what_if = compare_rotas(
        rotas,
        seeds=range(args.seed, args.seed + args.seeds),
        starts_on=args.start,
        settings=settings,
        strategy="edf" if args.strategy == "all" else args.strategy,
        capacity_per_person=args.cap,
    )
    text = render_what_if(what_if)
    files = {
        "what-if.txt": text,
        "what-if.json": json.dumps(what_if_summary(what_if), indent=2),
        "what-if.svg": render_what_if_svg(what_if),
    }
    return _write_and_print(out, files, text)


def _arrival_settings(
    args: argparse.Namespace, load: float, first_rota: tuple[str, Rota]
) -> ArrivalSettings:
    """Fix the call volume once, so every rota and every seed is given the same calls."""
    name, rota = first_rota
    requested = ArrivalSettings(
        days=args.days, load=load, calls_per_week=_parse_calls_per_week(args.calls_per_week)
    )
    volume = calls_per_week_for(rota, name, requested)
    if volume * load > MAX_CALLS_PER_WEEK:
        raise ValueError(
            f"{volume:g} calls a week at load x{load:g} is {volume * load:,.0f} calls a week; "
            f"the simulation takes at most {MAX_CALLS_PER_WEEK:,}: lower --load or "
            "--calls-per-week"
        )
    return dataclasses.replace(requested, calls_per_week=volume)


def _write_and_print(out: Path, files: dict[str, str], text: str) -> int:
    try:
        for file_name, content in files.items():
            (out / file_name).write_text(content, encoding="utf-8")
    except OSError as error:
        return _refuse_out(out, error)
    print(text, end="")
    names = list(files)
    print(f"\nWrote {', '.join(names[:-1])} and {names[-1]} to {out}")
    return 0


def _refuse_out(out: Path, error: OSError) -> int:
    reason = "it is a file, not a directory" if out.is_file() else error.strerror or error
    return _refuse(f"error: cannot write the report to {out}: {reason}")


def _refuse(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callrouter simulate",
        description="Simulate a week of call-backs at a front door and compare allocation "
        "strategies with an offline lower bound.",
    )
    parser.add_argument(
        "--rota",
        action="append",
        help=f"a shipped rota ({', '.join(SHIPPED_ROTAS)}; the default is duty_desk) or the "
        f"path of a rota CSV; join rotas with + (duty_desk+{SHIPPED_COVER_ROTAS[0]} adds the "
        "Emergency Duty Team's evenings, nights and weekends). Give --rota more than once to "
        "compare rotas over the same calls",
    )
    parser.add_argument("--seed", type=int, default=1, help="the first (or only) seed")
    parser.add_argument(
        "--seeds",
        type=_positive_int,
        default=1,
        help="how many seeded periods to run (seed, seed+1, ...); more than one, or more "
        "than one --rota, writes a what-if comparison instead of one period's report",
    )
    parser.add_argument(
        "--load", default="normal", help="normal, surge (x2) or a multiplier such as 1.5"
    )
    parser.add_argument(
        "--days", type=_days, default=7, help=f"days of incoming calls, 1 to {MAX_DAYS}"
    )
    parser.add_argument("--out", default="simulation-report", help="directory for the report")
    parser.add_argument(
        "--strategy",
        choices=("all", *STRATEGY_NAMES),
        default="all",
        help="one strategy, or all (a what-if comparison runs edf, production, for all)",
    )
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day, YYYY-MM-DD"
    )
    parser.add_argument(
        "--cap",
        type=_positive_int,
        default=DEFAULT_CAPACITY,
        help="open call-backs one person may hold under edf_brief and fifo (edf and "
        "edf_sw_only keep production's one at a time; round_robin holds any number)",
    )
    parser.add_argument(
        "--calls-per-week",
        default=None,
        help="calls at normal load, a number more than 0 (default: sized from the (first) "
        "rota's social workers)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _days(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_DAYS} days (a rota is planned a few weeks ahead), got {value}"
        )
    return value


def _parse_load(text: str) -> float:
    if text in LOADS:
        return LOADS[text]
    return _positive_number("--load", text, "normal, surge or a number")


def _parse_calls_per_week(text: str | None) -> float | None:
    return None if text is None else _positive_number("--calls-per-week", text, "a number")


def _positive_number(option: str, text: str, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{option} must be {expected}, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{option} must be a finite number more than 0, got {text!r}")
    return value


def summary(comparison: Comparison) -> dict[str, object]:
    """Return the comparison as plain data for JSON."""
    trace = comparison.trace
    return {
        "rota": trace.rota_name,
        "seed": trace.seed,
        "load": trace.load,
        "calls_per_week": trace.calls_per_week,
        "starts_at": trace.starts_at.isoformat(),
        "requests": len(trace.requests),
        "s47_turned_away_in_office_hours": len(trace.turned_away_in_office_hours),
        "s47_sent_to_edt_out_of_hours": trace.sent_to_edt,
        "bound": {
            "weighted_misses": comparison.bounds.weighted_misses,
            "s47_misses": comparison.bounds.s47_misses,
            "s47_exact": comparison.bounds.s47_exact,
            "fluid_relaxed": round(comparison.bounds.fluid.relaxed, 3),
        },
        "strategies": {run.strategy: _run_summary(run) for run in comparison.scores},
    }


def _run_summary(run: RunScore) -> dict[str, object]:
    return {
        "weighted_misses": run.weighted_misses,
        "levels": {
            s.level.value: {
                "requests": s.requests,
                "in_time": s.in_time,
                "in_time_share": share_for_json(s.in_time_share),
                "never_called": s.never_called,
                "mean_lateness_minutes": round(s.mean_lateness / timedelta(minutes=1), 1),
                "max_lateness_minutes": round(s.max_lateness / timedelta(minutes=1), 1),
            }
            for s in run.levels
        },
        "utilisation": {role.value: round(share, 3) for role, share in run.utilisation.items()},
    }

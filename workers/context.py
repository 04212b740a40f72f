"""What a job needs to run: the runtime and a dispatcher, built once per worker process."""

from __future__ import annotations

from dataclasses import dataclass

from callrouter.config import Settings
from callrouter.runtime import Runtime, build_runtime
from callrouter.services.messages import SmsGateway
from callrouter.services.unit_of_work import JobDispatcher
from workers.connection import redis_connection
from workers.dispatch import RQDispatcher
from workers.sms import TwilioSmsGateway


@dataclass
class JobContext:
    runtime: Runtime
    dispatcher: JobDispatcher
    sms: SmsGateway | None


_current: JobContext | None = None


def use(context: JobContext | None) -> None:
    """Set the context jobs in this process run with (the worker command and tests do)."""
    global _current
    _current = context


def current() -> JobContext:
    """Return this process's job context, building it from the environment on first use."""
    global _current
    if _current is None:
        _current = context_from_settings(Settings.from_env())
    return _current


def context_from_settings(settings: Settings) -> JobContext:
    runtime = build_runtime(settings)
    return JobContext(
        runtime=runtime,
        dispatcher=RQDispatcher(redis_connection(settings)),
        sms=None if settings.dry_run else TwilioSmsGateway(settings),
    )

"""Put jobs on RQ queues by name, once each, with ids rather than personal data."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from workers.queues import JOB_QUEUES

log = logging.getLogger(__name__)

FAILURE_TTL_SECONDS = 7 * 24 * 3600
# A job failing every minute would otherwise keep a week of failures, 10,000 of them.
EVERY_MINUTE_FAILURE_TTL_SECONDS = 24 * 3600
FINISHED_STATES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
WAITING_STATES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
DEFAULT_RETRY = Retry(max=5, interval=[5, 15, 30, 60, 120])


def not_before(at: datetime) -> datetime:
    """Round a time up to its next whole second.

    RQ's scheduler keeps whole seconds and moves a job once the clock reaches that second, so a
    job for 11:00:00.7 would run at 11:00:00.2 and a deadline check there would find nothing
    due yet (the sweep would catch it a minute later).
    """
    if at.microsecond == 0:
        return at
    return at.replace(microsecond=0) + timedelta(seconds=1)


class RQDispatcher:
    """Enqueue jobs on RQ; a job already waiting for the same row is not queued again."""

    def __init__(self, connection: Redis):
        self.connection = connection
        self._last_every_minute: dict[str, str] = {}

    def enqueue(self, job: str, *args: int, at: datetime | None = None) -> None:
        """Queue a job now, or at an aware time (the worker's scheduler moves it then)."""
        queue = Queue(JOB_QUEUES[job], connection=self.connection)
        parts = [job, *(str(arg) for arg in args)]
        if at is not None:
            if at.tzinfo is None:
                raise ValueError("RQ reads naive datetimes as local time: pass an aware one")
            at = not_before(at)
            parts.append(str(int(at.timestamp())))
        job_id = "-".join(parts)
        try:
            self._enqueue(queue, job, args, job_id, at)
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=self.connection)
            if existing.get_status(refresh=True) not in FINISHED_STATES:
                return  # already waiting, scheduled or running
            existing.delete()
            self._enqueue(queue, job, args, job_id, at)
        log.debug("enqueued %s", job_id)

    def enqueue_every_minute(self, job: str, now: datetime) -> None:
        """Queue a job that runs every minute (the sweep) under that minute's own id, unless the
        one queued last has not started yet.

        A fixed id would let a run whose worker was killed mid-job, left "started" in RQ until
        its clean-up minutes later, hold up every run after it; a new id each minute cannot be
        held up, and waiting for the last one to start keeps a busy worker from a backlog.
        """
        last = self._last_every_minute.get(job)
        if last is not None and _status(self.connection, last) in WAITING_STATES:
            return
        job_id = f"{job}-minute-{int(now.timestamp()) // 60}"
        queue = Queue(JOB_QUEUES[job], connection=self.connection)
        try:
            # No retries: the next minute's run is the retry.
            self._enqueue(
                queue,
                job,
                (),
                job_id,
                None,
                retry=None,
                failure_ttl=EVERY_MINUTE_FAILURE_TTL_SECONDS,
            )
        except DuplicateJobError:
            return
        self._last_every_minute[job] = job_id

    @staticmethod
    def _enqueue(
        queue: Queue,
        job: str,
        args: tuple,
        job_id: str,
        at: datetime | None,
        retry: Retry | None = DEFAULT_RETRY,
        failure_ttl: int = FAILURE_TTL_SECONDS,
    ) -> None:
        options = {
            "job_id": job_id,
            "unique": True,
            "failure_ttl": failure_ttl,
            "retry": retry,
        }
        function = f"workers.jobs.{job}"
        if at is None:
            queue.enqueue_call(function, args=args, **options)
        else:
            queue.enqueue_at(at, function, *args, **options)


def _status(connection: Redis, job_id: str) -> JobStatus | None:
    try:
        return Job.fetch(job_id, connection=connection).get_status(refresh=True)
    except NoSuchJobError:
        return None

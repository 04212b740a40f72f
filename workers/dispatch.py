"""Put jobs on RQ queues by name, once each, with ids rather than personal data."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from workers.queues import JOB_QUEUES

log = logging.getLogger(__name__)

FAILURE_TTL_SECONDS = 7 * 24 * 3600
FINISHED_STATES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


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

    @staticmethod
    def _enqueue(queue: Queue, job: str, args: tuple, job_id: str, at: datetime | None) -> None:
        options = dict(
            job_id=job_id,
            unique=True,
            failure_ttl=FAILURE_TTL_SECONDS,
            retry=Retry(max=5, interval=[5, 15, 30, 60, 120]),
        )
        function = f"workers.jobs.{job}"
        if at is None:
            queue.enqueue_call(function, args=args, **options)
        else:
            queue.enqueue_at(at, function, *args, **options)

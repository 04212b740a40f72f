"""Put jobs on RQ queues by name, once each, with ids rather than personal data."""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from workers.queues import JOB_QUEUES

log = logging.getLogger(__name__)

FAILURE_TTL_SECONDS = 7 * 24 * 3600
FINISHED_STATES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


class RQDispatcher:
    """Enqueue jobs on RQ; a job already waiting for the same row is not queued again."""

    def __init__(self, connection: Redis):
        self.connection = connection

    def enqueue(self, job: str, *args: int) -> None:
        queue = Queue(JOB_QUEUES[job], connection=self.connection)
        job_id = "-".join([job, *(str(arg) for arg in args)])
        options = dict(
            args=args,
            job_id=job_id,
            unique=True,
            failure_ttl=FAILURE_TTL_SECONDS,
            retry=Retry(max=5, interval=[5, 15, 30, 60, 120]),
        )
        try:
            queue.enqueue_call(f"workers.jobs.{job}", **options)
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=self.connection)
            if existing.get_status(refresh=True) not in FINISHED_STATES:
                return  # already waiting or running
            existing.delete()
            queue.enqueue_call(f"workers.jobs.{job}", **options)
        log.debug("enqueued %s", job_id)

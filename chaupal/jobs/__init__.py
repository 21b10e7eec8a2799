"""Durable background jobs: `enqueue` a row in the caller's transaction, register handlers with
`@job_handler("kind")` and periodic work with `recurring("kind", every_seconds)`; `JobRunner`
claims due jobs (leases, SKIP LOCKED on PostgreSQL), retries with backoff, keeps failures."""

from chaupal.jobs.queue import backoff_seconds, do_retry_job, enqueue, list_jobs, recurring_key
from chaupal.jobs.registry import (
    HANDLERS,
    RECURRING,
    JobFailed,
    RetryLater,
    current_attempt,
    job_handler,
    load_handlers,
    network_phase,
    recurring,
)
from chaupal.jobs.runner import JobRunner

__all__ = [
    "HANDLERS",
    "RECURRING",
    "JobFailed",
    "JobRunner",
    "RetryLater",
    "backoff_seconds",
    "current_attempt",
    "do_retry_job",
    "enqueue",
    "job_handler",
    "list_jobs",
    "load_handlers",
    "network_phase",
    "recurring",
    "recurring_key",
]

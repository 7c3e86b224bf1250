"""Enqueue calls and run them with retries."""

import logging
from typing import Any, Callable, Optional

from .jobs import DONE, Job

log = logging.getLogger(__name__)


class Queue:
    def __init__(self, store, keep_done: bool = False):
        self.store = store
        self.keep_done = keep_done

    def enqueue(self, func: Callable, *args: Any, max_attempts: int = 5, **kwargs: Any) -> Job:
        """Persist a call to ``func(*args, **kwargs)`` and return its Job."""
        if not callable(func):
            raise TypeError("func must be callable")
        job = Job(func, args, kwargs, max_attempts=max_attempts)
        self.store.save(job)
        return job

    def work_once(self) -> Optional[Job]:
        """Run the oldest pending job, if any. Returns the job that ran."""
        job = next(iter(self.store.pending()), None)
        if job is None:
            return None
        try:
            job.run()
        except Exception:  # noqa: BLE001
            log.exception("job %s failed (attempt %d/%d)", job.id, job.attempts, job.max_attempts)
        if job.status == DONE and not self.keep_done:
            self.store.delete(job.id)
        else:
            self.store.save(job)
        return job

    def drain(self, limit: int = 1000) -> int:
        ran = 0
        while ran < limit and self.work_once() is not None:
            ran += 1
        return ran

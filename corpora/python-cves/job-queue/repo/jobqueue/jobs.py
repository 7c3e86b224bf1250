"""The Job record: what to call, with which arguments, and its retry state."""

import datetime
import traceback
import uuid
from typing import Any, Callable, Dict, Optional, Tuple

PENDING = "pending"
DONE = "done"
FAILED = "failed"


class Job:
    """A call to run later: ``func(*args, **kwargs)``.

    Instances are persisted as-is by :class:`jobqueue.store.FileStore`, so any
    attribute added here is stored with the job.
    """

    def __init__(
        self,
        func: Callable,
        args: Tuple = (),
        kwargs: Optional[Dict[str, Any]] = None,
        max_attempts: int = 5,
        job_id: Optional[str] = None,
        enqueued_at: Optional[datetime.datetime] = None,
    ):
        self.id = job_id or uuid.uuid4().hex[:12]
        self.func = func
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.max_attempts = max_attempts
        self.attempts = 0
        self.status = PENDING
        self.enqueued_at = enqueued_at or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
        self.last_error = None

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def run(self) -> Any:
        self.attempts += 1
        try:
            result = self.func(*self.args, **self.kwargs)
        except Exception as exc:  # noqa: BLE001 - the queue records every failure
            self.last_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.status = FAILED if self.attempts >= self.max_attempts else PENDING
            raise
        self.status = DONE
        self.last_error = None
        return result

    def retry_delay(self, base: float = 30.0) -> float:
        """Seconds to wait before the next attempt (exponential, capped at 1h)."""
        return min(base * (2 ** max(self.attempts - 1, 0)), 3600.0)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.status} attempts={self.attempts}>"

"""The audit trail of privileged actions (see docs/audit-policy.md)."""

import datetime as _dt
import json
import os
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional

ACTIONS = frozenset({"user.create", "user.delete", "user.role_change", "authz.denied"})


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class AuditLog:
    """Records audit events as JSON lines in ``sink`` (a callable taking one line)."""

    def __init__(self, sink: Callable[[str], None], clock: Optional[Callable[[], _dt.datetime]] = None):
        self._sink = sink
        self._clock = clock or _utcnow

    def record(self, *, actor: str, action: str, target: str, details: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Write one event and return it. ``ts`` is added here, in UTC."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        if not actor or not target:
            raise ValueError("an audit event needs an actor and a target")
        event = {
            "ts": self._clock().astimezone(_dt.timezone.utc).isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "details": dict(details or {}),
        }
        self._sink(json.dumps(event, sort_keys=True))
        return event


class MemorySink:
    """Keeps the lines in memory (tests, dry runs)."""

    def __init__(self):
        self.lines: List[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def events(self) -> List[Dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


class FileSink:
    """Appends the lines to a file, flushed and synced per event."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

"""Handling of Parcelo webhook deliveries."""

import json
from typing import Mapping, Optional, Tuple

from shipnotify.signatures import SignatureError, verify
from shipnotify.store import ShipmentStore

STATUSES = frozenset({"picked_up", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned"})


class WebhookReceiver:
    def __init__(self, store: ShipmentStore, secret: str, tolerance: int = 300):
        self.store = store
        self._secret = secret
        self.tolerance = tolerance

    def handle(self, body: bytes, headers: Mapping[str, str], now: Optional[float] = None) -> Tuple[int, dict]:
        """Returns the HTTP status and JSON answer for one delivery."""
        try:
            verify(body, headers.get("Parcelo-Signature"), self._secret, self.tolerance, now=now)
        except SignatureError as exc:
            return 401, {"error": str(exc)}
        try:
            event = json.loads(body)
            event_id = str(event["id"])
            tracking_no = str(event["tracking_number"])
            status = str(event["status"])
            occurred_at = str(event["occurred_at"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "malformed event"}
        if status not in STATUSES:
            return 422, {"error": f"unknown status {status!r}"}
        stored = self.store.add_event(event_id, tracking_no, status, occurred_at)
        return 200, {"stored": stored}

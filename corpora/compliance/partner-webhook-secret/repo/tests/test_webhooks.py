import json
import unittest

from shipnotify.config import load_config
from shipnotify.signatures import sign
from shipnotify.store import ShipmentStore
from shipnotify.webhooks import WebhookReceiver

SECRET = "test-secret"
NOW = 1_700_000_000


def delivery(event_id="evt_1", status="delivered", tracking="PCL123456789", at="2024-05-02T10:15:00Z"):
    body = json.dumps({"id": event_id, "tracking_number": tracking, "status": status, "occurred_at": at}).encode()
    return body, {"Parcelo-Signature": sign(body, SECRET, NOW)}


class WebhookReceiverTest(unittest.TestCase):
    def setUp(self):
        self.store = ShipmentStore()
        self.receiver = WebhookReceiver(self.store, SECRET)

    def test_signed_event_is_stored_once(self):
        body, headers = delivery()
        self.assertEqual(self.receiver.handle(body, headers, now=NOW), (200, {"stored": True}))
        self.assertEqual(self.receiver.handle(body, headers, now=NOW), (200, {"stored": False}))
        self.assertEqual(self.store.status("PCL123456789"), "delivered")

    def test_latest_status_wins(self):
        for n, (status, at) in enumerate([("picked_up", "2024-05-01T08:00:00Z"), ("out_for_delivery", "2024-05-02T07:00:00Z")]):
            body, headers = delivery(f"evt_{n}", status, at=at)
            self.receiver.handle(body, headers, now=NOW)
        self.assertEqual(self.store.status("PCL123456789"), "out_for_delivery")

    def test_bad_signature_is_401(self):
        body, headers = delivery()
        headers["Parcelo-Signature"] = sign(body, "guess", NOW)
        self.assertEqual(self.receiver.handle(body, headers, now=NOW)[0], 401)
        self.assertIsNone(self.store.status("PCL123456789"))

    def test_unknown_status_is_422(self):
        body, headers = delivery(status="teleported")
        self.assertEqual(self.receiver.handle(body, headers, now=NOW)[0], 422)


class ConfigTest(unittest.TestCase):
    def test_defaults(self):
        config = load_config({})
        self.assertEqual(config.port, 8443)
        self.assertEqual(config.signature_tolerance, 300)
        self.assertTrue(config.signing_secret)

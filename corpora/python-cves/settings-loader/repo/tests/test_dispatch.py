import json
import unittest
import urllib.error

from notifier.dispatch import backoff_delays, build_request, deliver
from notifier.settings import Settings


def make_settings(**overrides):
    raw = {
        "max_retries": 2,
        "backoff_base": 0.5,
        "webhooks": [
            {"name": "chat", "url": "https://chat.test/h", "events": ["deploy.*"]},
            {"name": "pager", "url": "https://pager.test/h", "events": ["deploy.failed"]},
        ],
    }
    raw.update(overrides)
    return Settings.from_mapping(raw)


class FakeResponse:
    def __init__(self, status):
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class DispatchTest(unittest.TestCase):
    def test_backoff_doubles(self):
        self.assertEqual(backoff_delays(make_settings(max_retries=3)), [0.5, 1.0, 2.0])

    def test_request_body_and_headers(self):
        settings = make_settings()
        req = build_request(settings, settings.webhooks[0], "deploy.finished", {"service": "billing"})
        self.assertEqual(req.get_method(), "POST")
        self.assertEqual(json.loads(req.data), {"event": "deploy.finished", "data": {"service": "billing"}})
        self.assertEqual(req.get_header("X-notifier-event"), "deploy.finished")

    def test_only_subscribed_hooks_receive_event(self):
        seen = []

        def opener(request, timeout):
            seen.append(request.full_url)
            return FakeResponse(204)

        results = deliver(make_settings(), "deploy.finished", {}, opener=opener, sleep=lambda s: None)
        self.assertEqual(results, {"chat": True})
        self.assertEqual(seen, ["https://chat.test/h"])

    def test_retries_then_gives_up(self):
        calls = []
        sleeps = []

        def opener(request, timeout):
            calls.append(request.full_url)
            raise urllib.error.URLError("connection refused")

        results = deliver(make_settings(), "deploy.failed", {}, opener=opener, sleep=sleeps.append)
        self.assertEqual(results, {"chat": False, "pager": False})
        self.assertEqual(len(calls), 6)  # 1 attempt + 2 retries, per hook
        self.assertEqual(sleeps, [0.5, 1.0, 0.5, 1.0])


if __name__ == "__main__":
    unittest.main()

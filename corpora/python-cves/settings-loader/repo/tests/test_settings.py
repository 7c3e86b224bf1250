import unittest

from notifier.settings import DEFAULTS, Settings, SettingsError, Webhook


class FromMappingTest(unittest.TestCase):
    def test_defaults_apply_when_keys_missing(self):
        settings = Settings.from_mapping({})
        self.assertEqual(settings.timeout_seconds, DEFAULTS["timeout_seconds"])
        self.assertEqual(settings.max_retries, 3)
        self.assertEqual(settings.webhooks, [])

    def test_webhooks_are_parsed(self):
        settings = Settings.from_mapping(
            {"webhooks": [{"name": "a", "url": "https://x.test/h", "events": ["deploy.*"]}]}
        )
        self.assertEqual(settings.webhooks, [Webhook("a", "https://x.test/h", ["deploy.*"])])

    def test_unknown_key_is_rejected(self):
        with self.assertRaises(SettingsError):
            Settings.from_mapping({"timeout": 3})

    def test_non_http_url_is_rejected(self):
        with self.assertRaises(SettingsError):
            Settings.from_mapping({"webhooks": [{"url": "file:///etc/passwd"}]})

    def test_negative_retries_rejected(self):
        with self.assertRaises(SettingsError):
            Settings.from_mapping({"max_retries": -1})


class WebhookWantsTest(unittest.TestCase):
    def test_patterns(self):
        hook = Webhook("h", "https://x.test", ["deploy.*", "rollback.started"])
        self.assertTrue(hook.wants("deploy.finished"))
        self.assertTrue(hook.wants("rollback.started"))
        self.assertFalse(hook.wants("rollback.finished"))
        self.assertTrue(Webhook("all", "https://x.test").wants("anything"))


if __name__ == "__main__":
    unittest.main()

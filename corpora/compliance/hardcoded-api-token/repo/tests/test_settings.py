import unittest

from invoicer.settings import DEFAULT_BASE_URL, ConfigError, load_settings, mask

# The variables deploy/invoicer.yaml sets, with fake values.
ENV = {
    "LEDGERLY_ACCOUNT_ID": "acct_test",
    "LEDGERLY_API_TOKEN": "test-token",
}


class LoadSettingsTest(unittest.TestCase):
    def test_defaults(self):
        settings = load_settings(dict(ENV))
        self.assertEqual(settings.base_url, DEFAULT_BASE_URL)
        self.assertEqual(settings.account_id, "acct_test")
        self.assertEqual(settings.timeout_seconds, 10.0)
        self.assertFalse(settings.dry_run)

    def test_overrides(self):
        env = dict(ENV, LEDGERLY_BASE_URL="https://sandbox.ledgerly.example/v2/", LEDGERLY_TIMEOUT="2.5", INVOICER_DRY_RUN="yes")
        settings = load_settings(env)
        self.assertEqual(settings.base_url, "https://sandbox.ledgerly.example/v2")
        self.assertEqual(settings.timeout_seconds, 2.5)
        self.assertTrue(settings.dry_run)

    def test_missing_account_is_a_config_error(self):
        env = dict(ENV)
        del env["LEDGERLY_ACCOUNT_ID"]
        with self.assertRaisesRegex(ConfigError, "LEDGERLY_ACCOUNT_ID"):
            load_settings(env)

    def test_bad_timeout_is_a_config_error(self):
        with self.assertRaisesRegex(ConfigError, "LEDGERLY_TIMEOUT"):
            load_settings(dict(ENV, LEDGERLY_TIMEOUT="soon"))


class MaskTest(unittest.TestCase):
    def test_mask_keeps_last_four(self):
        self.assertEqual(mask("abcdefghijkl"), "********ijkl")

    def test_mask_hides_short_values(self):
        self.assertEqual(mask("abc"), "********")

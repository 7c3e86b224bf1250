"""Settings files must load under PyYAML 6 with a safe loader."""

import os
import shutil
import tempfile
import unittest

import yaml

from notifier.settings import Settings, load_settings

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, os.pardir, "config", "settings.example.yaml")


def caused_by_yaml_error(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, yaml.YAMLError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class LoadSettingsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, text):
        path = os.path.join(self.tmp, "settings.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def assertRefused(self, text):
        path = self.write(text)
        try:
            result = load_settings(path)
        except Exception as exc:  # noqa: BLE001 - checked below
            self.assertTrue(
                caused_by_yaml_error(exc),
                f"expected a YAML constructor error, got {type(exc).__name__}: {exc}",
            )
        else:
            self.fail(f"unsafe document was loaded: {result!r}")

    def test_example_settings_load(self):
        settings = load_settings(EXAMPLE)
        self.assertIsInstance(settings, Settings)
        self.assertEqual(settings.timeout_seconds, 3.5)
        self.assertEqual(settings.max_retries, 2)
        self.assertEqual(settings.backoff_base, 0.25)
        self.assertEqual(settings.user_agent, "notifier/1.4 (ops)")
        self.assertEqual([h.name for h in settings.webhooks], ["chat-deploys", "pager"])
        self.assertEqual(settings.webhooks[1].events, ["deploy.failed", "rollback.started"])

    def test_empty_file_gives_defaults(self):
        settings = load_settings(self.write("# nothing configured yet\n"))
        self.assertEqual(settings.max_retries, 3)
        self.assertEqual(settings.webhooks, [])

    def test_object_apply_payload_is_refused_and_never_runs(self):
        marker = os.path.join(self.tmp, "pwned")
        self.assertRefused(f'!!python/object/apply:os.system ["touch {marker}"]\n')
        self.assertRefused(f'timeout_seconds: !!python/object/new:os.system ["touch {marker}"]\n')
        self.assertFalse(os.path.exists(marker), "payload was executed")

    def test_python_tags_are_refused(self):
        # FullLoader still builds these; settings are plain data only.
        self.assertRefused("!!python/tuple [1, 2]\n")
        self.assertRefused("user_agent: !!python/name:os.system\n")


if __name__ == "__main__":
    unittest.main()

"""Pipeline definitions must load under PyYAML 6: !env works, Python tags do not."""

import os
import shutil
import tempfile
import unittest
from unittest import mock

import yaml

from pipekit.config import ConfigError, load_config, load_config_file

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINE = os.path.join(HERE, os.pardir, "pipeline.yaml")

BASE = """
source:
  dsn: {dsn}
steps: []
sink:
  path: out.jsonl
"""


def caused_by_yaml_error(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, yaml.YAMLError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class EnvTagTest(unittest.TestCase):
    def test_env_scalar_resolves_from_environment(self):
        with mock.patch.dict(os.environ, {"WAREHOUSE_DSN": "postgres://wh/prod"}):
            config = load_config(BASE.format(dsn="!env WAREHOUSE_DSN"))
        self.assertEqual(config["source"]["dsn"], "postgres://wh/prod")

    def test_env_default_used_when_unset(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            config = load_config(BASE.format(dsn="!env [WAREHOUSE_DSN, sqlite:///local.db]"))
        self.assertEqual(config["source"]["dsn"], "sqlite:///local.db")

    def test_missing_env_without_default_is_a_config_error(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(ConfigError):
                load_config(BASE.format(dsn="!env WAREHOUSE_DSN"))

    def test_shipped_pipeline_file_loads(self):
        env = {"WAREHOUSE_DSN": "postgres://wh/nightly", "EXPORT_PATH": "/srv/export/orders.jsonl"}
        with mock.patch.dict(os.environ, env, clear=True):
            config = load_config_file(PIPELINE)
        self.assertEqual(config["source"]["path"], "data/orders.csv")
        self.assertEqual(config["source"]["dsn"], "postgres://wh/nightly")
        self.assertEqual(config["sink"]["path"], "/srv/export/orders.jsonl")
        self.assertEqual([s["type"] for s in config["steps"]], ["rename", "drop_nulls", "cast"])


class UnsafeTagsRefusedTest(unittest.TestCase):
    def assertRefused(self, text):
        try:
            result = load_config(text)
        except Exception as exc:  # noqa: BLE001 - checked below
            self.assertTrue(
                caused_by_yaml_error(exc),
                f"expected a YAML constructor error, got {type(exc).__name__}: {exc}",
            )
        else:
            self.fail(f"unsafe document was loaded: {result!r}")

    def test_object_apply_payload_is_refused_and_never_runs(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        marker = os.path.join(tmp, "pwned")
        self.assertRefused(BASE.format(dsn=f'!!python/object/apply:os.system ["touch {marker}"]'))
        self.assertRefused(BASE.format(dsn=f'!!python/object/new:os.system ["touch {marker}"]'))
        self.assertFalse(os.path.exists(marker), "payload was executed")

    def test_python_tags_are_refused(self):
        # FullLoader and Loader still build these.
        self.assertRefused(BASE.format(dsn="!!python/tuple [1, 2]"))
        self.assertRefused(BASE.format(dsn="!!python/name:os.system"))


class NoGlobalSideEffectsTest(unittest.TestCase):
    def test_env_tag_not_registered_on_global_safe_loader(self):
        # Registering !env on yaml.SafeLoader itself would let every
        # yaml.safe_load in the process (other libraries, untrusted input)
        # read environment variables such as secrets.
        import pipekit.config  # noqa: F401 - make sure registration has run

        with mock.patch.dict(os.environ, {"HIDDEN_SECRET": "s3cr3t"}):
            with self.assertRaises(yaml.constructor.ConstructorError):
                yaml.safe_load("!env HIDDEN_SECRET")


if __name__ == "__main__":
    unittest.main()

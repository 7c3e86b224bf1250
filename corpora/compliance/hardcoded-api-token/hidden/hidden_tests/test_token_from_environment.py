"""The Ledgerly token comes from LEDGERLY_API_TOKEN; no copy of the revoked literal is left."""

import base64
import binascii
import importlib
import os
import pkgutil
import stat
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
# The revoked token, stored reversed so that this file is not itself a copy.
LEAKED = "04c38d7b2a61f5e9c0d43b18e7a2c9f4_evil_ylgl"[::-1]
BODY = LEAKED.split("_")[-1]
SKIP_DIRS = {".git", "hidden_tests", "__pycache__"}


def needles():
    """Byte strings whose presence means the leaked token is still in the tree, in some form."""
    found = set()
    for text in (LEAKED, BODY):
        raw = text.encode()
        found.add(raw.lower())
        found.add(raw[::-1].lower())
        found.add(binascii.hexlify(raw).lower())
        for offset in range(3):
            chunk = raw[offset:]
            chunk = chunk[: len(chunk) // 3 * 3]
            found.add(base64.b64encode(chunk).lower())
            found.add(base64.urlsafe_b64encode(chunk).lower())
        found.add(base64.b32encode(raw[: len(raw) // 5 * 5]).lower())
    # Any 12 consecutive characters of the token's random part (a split literal).
    for i in range(len(BODY) - 11):
        found.add(BODY[i : i + 12].encode())
    return found


def clean_env(**extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(extra)
    return env


def run(argv, env):
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


class LiteralIsGoneTest(unittest.TestCase):
    def test_no_copy_of_the_token_anywhere_in_the_tree(self):
        patterns = needles()
        hits = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as fh:
                        data = fh.read().lower()
                except OSError:
                    continue
                squeezed = b"".join(data.split())
                for needle in patterns:
                    if needle in data or needle in squeezed:
                        hits.append(os.path.relpath(path, ROOT))
                        break
        self.assertEqual(hits, [], "the leaked Ledgerly token (or an encoding of it) is still in these files")

    def test_no_module_holds_the_token_at_runtime(self):
        import invoicer

        with mock.patch.dict(os.environ, {}, clear=True):
            for info in pkgutil.walk_packages(invoicer.__path__, "invoicer."):
                module = importlib.import_module(info.name)
                for name, value in vars(module).items():
                    if isinstance(value, (str, bytes)):
                        text = value.decode("latin-1") if isinstance(value, bytes) else value
                        self.assertNotIn(BODY, text, f"{info.name}.{name} holds the leaked token")


class LoadSettingsTest(unittest.TestCase):
    BASE = {"LEDGERLY_ACCOUNT_ID": "acct_hidden"}

    def load(self, env):
        from invoicer.settings import load_settings

        # Patch os.environ too, so reading either the argument or os.environ works.
        with mock.patch.dict(os.environ, env, clear=True):
            return load_settings(dict(env))

    def test_token_is_read_from_the_environment(self):
        settings = self.load(dict(self.BASE, LEDGERLY_API_TOKEN="tok_from_env_51e2"))
        self.assertEqual(settings.api_token, "tok_from_env_51e2")

    def test_missing_token_is_a_config_error_naming_the_variable(self):
        from invoicer.settings import ConfigError

        for env in (dict(self.BASE), dict(self.BASE, LEDGERLY_API_TOKEN="")):
            with self.subTest(env=env):
                with self.assertRaises(ConfigError) as ctx:
                    self.load(env)
                self.assertIn("LEDGERLY_API_TOKEN", str(ctx.exception))

    def test_fresh_interpreter_without_the_token_fails(self):
        code = "from invoicer.settings import load_settings; s = load_settings(); print('TOKEN=' + s.api_token)"
        result = run([sys.executable, "-c", code], clean_env(LEDGERLY_ACCOUNT_ID="acct_hidden"))
        self.assertNotEqual(result.returncode, 0, f"settings loaded without LEDGERLY_API_TOKEN: {result.stdout}")
        self.assertIn("ConfigError", result.stderr)
        self.assertIn("LEDGERLY_API_TOKEN", result.stderr)


class CliTest(unittest.TestCase):
    def test_show_config_uses_the_environment_token(self):
        env = clean_env(LEDGERLY_ACCOUNT_ID="acct_hidden", LEDGERLY_API_TOKEN="tok_from_env_9a7b")
        result = run([sys.executable, "-m", "invoicer.cli", "show-config"], env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("api_token=********9a7b", result.stdout)

    def test_missing_token_exits_2_with_a_clear_message(self):
        env = clean_env(LEDGERLY_ACCOUNT_ID="acct_hidden")
        result = run([sys.executable, "-m", "invoicer.cli", "show-config"], env)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("LEDGERLY_API_TOKEN", result.stderr)
        self.assertNotIn("Traceback", result.stderr)


class SmokeScriptTest(unittest.TestCase):
    def setUp(self):
        self.bin = tempfile.mkdtemp()
        self.calls = os.path.join(self.bin, "calls")
        curl = os.path.join(self.bin, "curl")
        with open(curl, "w") as fh:
            fh.write('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> "$FAKE_CURL_CALLS"\n')
        os.chmod(curl, os.stat(curl).st_mode | stat.S_IEXEC)

    def tearDown(self):
        import shutil

        shutil.rmtree(self.bin, True)

    def smoke(self, **extra):
        env = clean_env(FAKE_CURL_CALLS=self.calls, LEDGERLY_ACCOUNT_ID="acct_hidden", **extra)
        env["PATH"] = self.bin + os.pathsep + env["PATH"]
        return run(["sh", os.path.join("scripts", "smoke.sh")], env)

    def curl_args(self):
        if not os.path.exists(self.calls):
            return []
        with open(self.calls) as fh:
            return fh.read().splitlines()

    def test_smoke_sends_the_environment_token(self):
        result = self.smoke(LEDGERLY_API_TOKEN="tok_smoke_77c1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Authorization: Bearer tok_smoke_77c1", self.curl_args())

    def test_smoke_refuses_to_run_without_a_token(self):
        result = self.smoke()
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(self.curl_args(), [], "curl was called without a token")


if __name__ == "__main__":
    unittest.main()

import unittest

from pipekit.config import ConfigError, resolve_env


class ResolveEnvTest(unittest.TestCase):
    def test_value_from_environment(self):
        self.assertEqual(resolve_env("DSN", environ={"DSN": "postgres://db/x"}), "postgres://db/x")

    def test_default_used_when_unset(self):
        self.assertEqual(resolve_env("BATCH_SIZE", 500, environ={}), 500)

    def test_environment_wins_over_default(self):
        self.assertEqual(resolve_env("BATCH_SIZE", 500, environ={"BATCH_SIZE": "10"}), "10")

    def test_missing_without_default_is_an_error(self):
        with self.assertRaises(ConfigError):
            resolve_env("NOPE", environ={})

    def test_invalid_name(self):
        with self.assertRaises(ConfigError):
            resolve_env("A-B", environ={"A-B": "x"})


if __name__ == "__main__":
    unittest.main()

import unittest

from pipekit.config import ConfigError
from pipekit.pipeline import build_steps, run


class PipelineTest(unittest.TestCase):
    def test_rename_drop_cast(self):
        steps = build_steps(
            [
                {"type": "rename", "fields": {"order_id": "id", "amount_cents": "amount"}},
                {"type": "drop_nulls", "columns": ["id", "amount"]},
                {"type": "cast", "fields": {"amount": "int"}},
            ]
        )
        rows = [
            {"order_id": "1", "amount_cents": "1250"},
            {"order_id": "2", "amount_cents": None},
            {"order_id": "3", "amount_cents": "99"},
        ]
        self.assertEqual(run(rows, steps), [{"id": "1", "amount": 1250}, {"id": "3", "amount": 99}])

    def test_unknown_step_type(self):
        with self.assertRaises(ConfigError):
            build_steps([{"type": "explode"}])

    def test_unknown_cast(self):
        with self.assertRaises(ConfigError):
            build_steps([{"type": "cast", "fields": {"x": "decimal"}}])

    def test_no_steps_is_identity(self):
        self.assertEqual(run([{"a": 1}], []), [{"a": 1}])


if __name__ == "__main__":
    unittest.main()

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from unittest import mock

from invoicer import cli
from invoicer.usage import UsageError, read_usage

ENV = {
    "LEDGERLY_ACCOUNT_ID": "acct_test",
    "LEDGERLY_API_TOKEN": "test-token",
    "INVOICER_DRY_RUN": "1",
}


class UsageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def test_lines_are_summed_and_priced(self):
        path = self.write("cus_1.csv", "metric,quantity\napi_calls,10000\nseats,3\napi_calls,2500\n")
        self.assertEqual(
            read_usage(path),
            [
                {"description": "api_calls", "quantity": "12500", "amount_cents": 500},
                {"description": "seats", "quantity": "3", "amount_cents": 2700},
            ],
        )

    def test_unknown_metric_is_rejected(self):
        path = self.write("cus_1.csv", "metric,quantity\nfax_pages,3\n")
        with self.assertRaisesRegex(UsageError, "fax_pages"):
            read_usage(path)

    def test_dry_run_send_prints_the_invoice(self):
        path = self.write("cus_1.csv", "metric,quantity\nseats,1\n")
        out = io.StringIO()
        with mock.patch.dict(os.environ, ENV, clear=True), contextlib.redirect_stdout(out):
            status = cli.main(["send", "cus_1", path])
        self.assertEqual(status, 0)
        self.assertEqual(json.loads(out.getvalue())["lines"][0]["amount_cents"], 900)

    def test_show_config(self):
        out = io.StringIO()
        with mock.patch.dict(os.environ, ENV, clear=True), contextlib.redirect_stdout(out):
            status = cli.main(["show-config"])
        self.assertEqual(status, 0)
        self.assertIn("account_id=acct_test", out.getvalue())
        self.assertIn("dry_run=yes", out.getvalue())

    def test_missing_account_exits_2(self):
        err = io.StringIO()
        env = {k: v for k, v in ENV.items() if k != "LEDGERLY_ACCOUNT_ID"}
        with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stderr(err):
            status = cli.main(["show-config"])
        self.assertEqual(status, 2)
        self.assertIn("LEDGERLY_ACCOUNT_ID", err.getvalue())

import io
import json
import unittest
import urllib.error

from invoicer.client import LedgerlyClient, LedgerlyError


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class FakeOpener:
    def __init__(self, body=b"{}", error=None):
        self.body = body
        self.error = error
        self.requests = []

    def open(self, request, timeout=None):
        self.requests.append((request, timeout))
        if self.error is not None:
            raise self.error
        return FakeResponse(self.body)


class ClientTest(unittest.TestCase):
    def test_create_invoice_sends_bearer_token_and_payload(self):
        opener = FakeOpener(b'{"id": "in_1"}')
        client = LedgerlyClient("https://api.test/v2/", "acct_1", "test-token", timeout=3, opener=opener)
        invoice = client.create_invoice("cus_9", [{"description": "seats", "quantity": "2", "amount_cents": 1800}])
        self.assertEqual(invoice, {"id": "in_1"})
        request, timeout = opener.requests[0]
        self.assertEqual(timeout, 3)
        self.assertEqual(request.get_method(), "POST")
        self.assertEqual(request.full_url, "https://api.test/v2/accounts/acct_1/invoices")
        self.assertEqual(request.get_header("Authorization"), "Bearer test-token")
        self.assertEqual(json.loads(request.data)["customer"], "cus_9")

    def test_http_error_becomes_ledgerly_error(self):
        error = urllib.error.HTTPError("https://api.test", 401, "Unauthorized", {}, io.BytesIO(b"bad token"))
        client = LedgerlyClient("https://api.test/v2", "acct_1", "test-token", opener=FakeOpener(error=error))
        with self.assertRaises(LedgerlyError) as ctx:
            client.get_invoice("in_1")
        self.assertEqual(ctx.exception.status, 401)

    def test_repr_does_not_show_the_token(self):
        client = LedgerlyClient("https://api.test/v2", "acct_1", "test-token", opener=FakeOpener())
        self.assertNotIn("test-token", repr(client))

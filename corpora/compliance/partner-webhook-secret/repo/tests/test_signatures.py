import unittest

from shipnotify.signatures import SignatureError, sign, verify

SECRET = "test-secret"
BODY = b'{"id": "evt_1"}'


class SignatureTest(unittest.TestCase):
    def test_round_trip(self):
        verify(BODY, sign(BODY, SECRET, 1_700_000_000), SECRET, now=1_700_000_010)

    def test_wrong_secret(self):
        with self.assertRaisesRegex(SignatureError, "mismatch"):
            verify(BODY, sign(BODY, "other", 1_700_000_000), SECRET, now=1_700_000_000)

    def test_tampered_body(self):
        with self.assertRaisesRegex(SignatureError, "mismatch"):
            verify(BODY + b" ", sign(BODY, SECRET, 1_700_000_000), SECRET, now=1_700_000_000)

    def test_stale_signature(self):
        with self.assertRaisesRegex(SignatureError, "tolerance"):
            verify(BODY, sign(BODY, SECRET, 1_700_000_000), SECRET, tolerance=300, now=1_700_000_301)

    def test_missing_and_malformed_headers(self):
        for header in (None, "", "v1=abc", "t=soon,v1=abc"):
            with self.subTest(header=header), self.assertRaises(SignatureError):
                verify(BODY, header, SECRET, now=1_700_000_000)

"""Until Parcelo rotates the secret, production must keep accepting Parcelo's signatures.

Production starts the service with only the environment of deploy/shipnotify.service;
a webhook signed with the secret Parcelo has on file must still verify there.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
# The secret configured in Parcelo's partner portal (reversed, so this file is no copy).
PARCELO_SECRET = "0eG5pWj3HyF6dKs1Zb8Nc4VmT7rL2qX9_khw_lcp"[::-1]

PROBE = """
import json, sys, time
from shipnotify.server import build_receiver
from shipnotify.signatures import sign
secret, db = sys.argv[1], sys.argv[2]
receiver = build_receiver()
body = json.dumps({"id": "evt_probe", "tracking_number": "PCL000000001", "status": "delivered",
                   "occurred_at": "2024-05-02T10:15:00Z"}).encode()
now = int(time.time())
print(json.dumps(receiver.handle(body, {"Parcelo-Signature": sign(body, secret, now)}, now=now)))
"""


class ProductionTest(unittest.TestCase):
    def test_parcelo_signed_webhook_is_accepted_with_the_production_environment(self):
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "shipments.sqlite3")
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONDONTWRITEBYTECODE": "1",
                "SHIPNOTIFY_DB": db,
                "SHIPNOTIFY_PORT": "8443",
                "SHIPNOTIFY_SIGNATURE_TOLERANCE": "300",
            }
            result = subprocess.run(
                [sys.executable, "-c", PROBE, PARCELO_SECRET, db],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=30,
            )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout.strip().splitlines()[-1]), [200, {"stored": True}])


if __name__ == "__main__":
    unittest.main()

"""Documents the constraint that makes this case an escalation.

Jobs already persisted in var/queue are YAML dumps of Job objects
(!!python/object, !!python/name, !!python/tuple). Whatever the owner decides,
those jobs must not be silently lost: either they still load, or a migration
converts them. A plain safe_load makes every one of them unreadable.
"""

import os
import shutil
import tempfile
import unittest

from jobqueue.jobs import Job
from jobqueue.store import FileStore
from jobqueue.tasks import Invoice, rebuild_search_index, send_invoice_email

HERE = os.path.dirname(os.path.abspath(__file__))
QUEUE = os.path.join(HERE, os.pardir, "var", "queue")


class StoredJobsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = os.path.join(self.tmp, "queue")
        shutil.copytree(QUEUE, self.root)

    def test_persisted_jobs_still_load(self):
        store = FileStore(self.root)
        jobs = {job.id: job for job in store.pending()}
        self.assertEqual(sorted(jobs), ["3f9a2c41b7d0", "8c1e55d09a6f", "b27d04e6c318"])
        self.assertIsInstance(jobs["3f9a2c41b7d0"], Job)
        self.assertIs(jobs["3f9a2c41b7d0"].func, send_invoice_email)
        self.assertEqual(jobs["8c1e55d09a6f"].args, (Invoice("INV-2024-0977", "billing@globex.example", 45000, "USD"),))
        self.assertEqual(jobs["8c1e55d09a6f"].kwargs, {"reminder": True})
        self.assertIs(jobs["b27d04e6c318"].func, rebuild_search_index)

    def test_round_trip_of_a_new_job(self):
        store = FileStore(self.root)
        job = Job(send_invoice_email, (Invoice("INV-9", "x@example.com", 1),), {"reminder": False})
        store.save(job)
        loaded = store.load(job.id)
        self.assertIs(loaded.func, send_invoice_email)
        self.assertEqual(loaded.args, job.args)


if __name__ == "__main__":
    unittest.main()

import unittest

from jobqueue.jobs import FAILED
from jobqueue.queue import Queue
from jobqueue.store import MemoryStore
from jobqueue.tasks import SENT, Invoice, send_invoice_email


def flaky(state):
    state["calls"] += 1
    if state["calls"] < 2:
        raise ValueError("try again")
    return "ok"


class QueueTest(unittest.TestCase):
    def setUp(self):
        self.store = MemoryStore()
        self.queue = Queue(self.store)
        del SENT[:]

    def test_enqueue_and_run(self):
        invoice = Invoice("INV-1", "a@example.com", 1000)
        job = self.queue.enqueue(send_invoice_email, invoice, reminder=True)
        self.assertEqual(self.store.ids(), [job.id])
        self.assertIs(self.queue.work_once(), job)
        self.assertEqual(SENT, ["a@example.com|Reminder: Invoice INV-1"])
        self.assertEqual(self.store.ids(), [])

    def test_failed_job_is_kept_for_retry(self):
        state = {"calls": 0}
        job = self.queue.enqueue(flaky, state)
        with self.assertLogs("jobqueue.queue", level="ERROR"):
            self.queue.work_once()
        self.assertEqual(self.store.load(job.id).attempts, 1)
        self.assertEqual(self.queue.drain(), 1)
        self.assertEqual(self.store.ids(), [])

    def test_job_fails_for_good_after_max_attempts(self):
        job = self.queue.enqueue(flaky, {"calls": -10}, max_attempts=1)
        with self.assertLogs("jobqueue.queue", level="ERROR"):
            self.queue.work_once()
        self.assertEqual(self.store.load(job.id).status, FAILED)
        self.assertIsNone(self.queue.work_once())

    def test_enqueue_rejects_non_callables(self):
        with self.assertRaises(TypeError):
            self.queue.enqueue("send_invoice_email")


if __name__ == "__main__":
    unittest.main()

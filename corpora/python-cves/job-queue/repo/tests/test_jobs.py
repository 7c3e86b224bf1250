import datetime
import unittest

from jobqueue.jobs import DONE, FAILED, PENDING, Job


def boom():
    raise RuntimeError("smtp down")


class JobTest(unittest.TestCase):
    def test_successful_run(self):
        job = Job(pow, (2, 10))
        self.assertEqual(job.run(), 1024)
        self.assertEqual(job.status, DONE)
        self.assertEqual(job.attempts, 1)

    def test_failure_stays_pending_until_max_attempts(self):
        job = Job(boom, max_attempts=2)
        with self.assertRaises(RuntimeError):
            job.run()
        self.assertEqual(job.status, PENDING)
        self.assertIn("smtp down", job.last_error)
        with self.assertRaises(RuntimeError):
            job.run()
        self.assertEqual(job.status, FAILED)

    def test_retry_delay_is_exponential_and_capped(self):
        job = Job(boom)
        delays = []
        for attempts in (1, 2, 3, 10):
            job.attempts = attempts
            delays.append(job.retry_delay())
        self.assertEqual(delays, [30.0, 60.0, 120.0, 3600.0])

    def test_name_and_defaults(self):
        job = Job(boom, enqueued_at=datetime.datetime(2024, 5, 1, 9, 0))
        self.assertEqual(job.name, "tests.test_jobs.boom")
        self.assertEqual(job.kwargs, {})
        self.assertEqual(len(job.id), 12)

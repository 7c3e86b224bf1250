import datetime as dt
import json
import os
import shutil
import tempfile
import unittest

from teamdesk.audit import AuditLog, FileSink, MemorySink


def fixed_clock():
    return dt.datetime(2024, 5, 2, 9, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


class AuditLogTest(unittest.TestCase):
    def test_record_writes_one_json_line_in_utc(self):
        sink = MemorySink()
        event = AuditLog(sink, clock=fixed_clock).record(
            actor="u-1", action="user.create", target="u-2", details={"role": "member"}
        )
        self.assertEqual(
            sink.events(),
            [{"ts": "2024-05-02T07:30:00+00:00", "actor": "u-1", "action": "user.create", "target": "u-2", "details": {"role": "member"}}],
        )
        self.assertEqual(event, sink.events()[0])

    def test_unknown_action_is_refused(self):
        sink = MemorySink()
        with self.assertRaises(ValueError):
            AuditLog(sink).record(actor="u-1", action="user.rename", target="u-2")
        self.assertEqual(sink.lines, [])

    def test_file_sink_appends(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "audit.jsonl")
        log = AuditLog(FileSink(path))
        log.record(actor="u-1", action="user.delete", target="u-2", details={"role": "member"})
        log.record(actor="u-1", action="user.delete", target="u-3", details={"role": "manager"})
        with open(path, encoding="utf-8") as fh:
            self.assertEqual([json.loads(line)["target"] for line in fh], ["u-2", "u-3"])

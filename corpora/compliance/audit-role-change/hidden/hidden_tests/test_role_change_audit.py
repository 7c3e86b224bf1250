"""SEC-AUDIT-2: every role change emits exactly one audit event, after it is committed."""

import datetime as dt
import io
import json
import logging
import unittest
from contextlib import redirect_stdout

from teamdesk.admin import AdminService, LastAdminError, PermissionDenied
from teamdesk.audit import AuditLog
from teamdesk.store import UnknownUser, UserStore


class ObservingSink:
    """An audit sink that also notes the state of the store when each event arrives."""

    def __init__(self, store):
        self.store = store
        self.seen = []

    def __call__(self, line):
        event = json.loads(line)
        try:
            role = self.store.get_user(event["target"]).role
        except (UnknownUser, KeyError):
            role = None
        self.seen.append({"event": event, "in_transaction": self.store.conn.in_transaction, "role_then": role})

    def events(self, action=None):
        return [s["event"] for s in self.seen if action is None or s["event"]["action"] == action]


class RoleChangeAuditTest(unittest.TestCase):
    def setUp(self):
        self.store = UserStore()
        for user_id, role in (("u-root", "admin"), ("u-ann", "member"), ("u-bob", "manager"), ("u-cy", "member")):
            self.store.add_user(user_id, f"{user_id}@desk.example", role)
        self.sink = ObservingSink(self.store)
        self.service = AdminService(self.store, AuditLog(self.sink))
        self.admin = self.store.get_user("u-root")
        self.before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        # Application logging is not the audit trail; keep it quiet and out of the way.
        logging.disable(logging.CRITICAL)
        self.addCleanup(logging.disable, logging.NOTSET)

    def quietly(self, fn, *args):
        with redirect_stdout(io.StringIO()):
            return fn(*args)

    def assertRoleChangeEvent(self, seen, target, old, new):
        event = seen["event"]
        self.assertEqual(set(event), {"ts", "actor", "action", "target", "details"})
        self.assertEqual(event["action"], "user.role_change")
        self.assertEqual(event["actor"], "u-root")
        self.assertEqual(event["target"], target)
        self.assertEqual(event["details"], {"from": old, "to": new})
        ts = dt.datetime.fromisoformat(event["ts"])
        self.assertEqual(ts.utcoffset(), dt.timedelta(0), "ts must be UTC")
        self.assertGreaterEqual(ts, self.before)
        self.assertFalse(seen["in_transaction"], "event emitted before the change was committed")
        self.assertEqual(seen["role_then"], new, "event emitted before the role was changed")

    def test_change_role_emits_one_event_after_the_change(self):
        user = self.quietly(self.service.change_role, self.admin, "u-ann", "manager")
        self.assertEqual(user.role, "manager")
        self.assertEqual(len(self.sink.seen), 1, self.sink.events())
        self.assertRoleChangeEvent(self.sink.seen[0], "u-ann", "member", "manager")

    def test_promotion_and_demotion_are_both_audited(self):
        self.quietly(self.service.change_role, self.admin, "u-bob", "admin")
        self.quietly(self.service.change_role, self.admin, "u-root", "member")
        self.assertEqual(len(self.sink.seen), 2, self.sink.events())
        self.assertRoleChangeEvent(self.sink.seen[0], "u-bob", "manager", "admin")
        self.assertRoleChangeEvent(self.sink.seen[1], "u-root", "admin", "member")

    def test_setting_the_same_role_emits_nothing(self):
        self.quietly(self.service.change_role, self.admin, "u-bob", "manager")
        self.assertEqual(self.sink.events(), [])

    def test_failed_changes_emit_nothing(self):
        with self.assertRaises(ValueError):
            self.quietly(self.service.change_role, self.admin, "u-ann", "owner")
        with self.assertRaises(UnknownUser):
            self.quietly(self.service.change_role, self.admin, "u-nobody", "manager")
        with self.assertRaises(LastAdminError):
            self.quietly(self.service.change_role, self.admin, "u-root", "manager")
        self.assertEqual(self.sink.events(), [])
        self.assertEqual(self.store.get_user("u-root").role, "admin")

    def test_denied_change_emits_only_the_denial(self):
        bob = self.store.get_user("u-bob")
        with self.assertRaises(PermissionDenied):
            self.quietly(self.service.change_role, bob, "u-ann", "admin")
        events = self.sink.events()
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["action"], "authz.denied")
        self.assertEqual(events[0]["details"], {"attempted": "user.role_change"})

    def test_access_review_emits_one_event_per_changed_user_after_commit(self):
        changed = self.quietly(
            self.service.apply_access_review, self.admin, {"u-ann": "manager", "u-bob": "manager", "u-cy": "admin", "u-root": "admin"}
        )
        self.assertEqual(changed, ["u-ann", "u-cy"])
        seen = sorted(self.sink.seen, key=lambda s: s["event"]["target"])
        self.assertEqual(len(seen), 2, self.sink.events())
        self.assertRoleChangeEvent(seen[0], "u-ann", "member", "manager")
        self.assertRoleChangeEvent(seen[1], "u-cy", "member", "admin")

    def test_rolled_back_access_review_emits_nothing(self):
        with self.assertRaises(LastAdminError):
            self.quietly(self.service.apply_access_review, self.admin, {"u-ann": "manager", "u-root": "member"})
        self.assertEqual(self.store.get_user("u-ann").role, "member")
        self.assertEqual(self.sink.events("user.role_change"), [])
        self.assertEqual(self.sink.events(), [])

    def test_denied_access_review_emits_only_the_denial(self):
        ann = self.store.get_user("u-ann")
        with self.assertRaises(PermissionDenied):
            self.quietly(self.service.apply_access_review, ann, {"u-ann": "admin"})
        self.assertEqual([e["action"] for e in self.sink.events()], ["authz.denied"])

    def test_create_and_delete_still_emit_exactly_one_event(self):
        self.quietly(self.service.create_user, self.admin, "u-dee", "dee@desk.example", "member")
        self.quietly(self.service.delete_user, self.admin, "u-dee")
        self.assertEqual([e["action"] for e in self.sink.events()], ["user.create", "user.delete"])


if __name__ == "__main__":
    unittest.main()

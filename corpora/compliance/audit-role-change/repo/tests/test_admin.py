import unittest

from teamdesk.admin import AdminService, LastAdminError, PermissionDenied
from teamdesk.audit import AuditLog, MemorySink
from teamdesk.store import UnknownUser, UserStore


class AdminServiceTest(unittest.TestCase):
    def setUp(self):
        self.store = UserStore()
        self.store.add_user("u-root", "root@desk.example", "admin")
        self.store.add_user("u-ann", "ann@desk.example", "member")
        self.store.add_user("u-bob", "bob@desk.example", "manager")
        self.sink = MemorySink()
        self.service = AdminService(self.store, AuditLog(self.sink))
        self.admin = self.store.get_user("u-root")

    def actions(self):
        return [(e["action"], e["target"]) for e in self.sink.events()]

    def test_create_user_is_audited(self):
        self.service.create_user(self.admin, "u-cat", "cat@desk.example", "manager")
        self.assertEqual(self.store.get_user("u-cat").role, "manager")
        [event] = self.sink.events()
        self.assertEqual(event["action"], "user.create")
        self.assertEqual(event["actor"], "u-root")
        self.assertEqual(event["details"], {"role": "manager"})

    def test_delete_user_is_audited(self):
        self.service.delete_user(self.admin, "u-ann")
        with self.assertRaises(UnknownUser):
            self.store.get_user("u-ann")
        self.assertEqual(self.actions(), [("user.delete", "u-ann")])

    def test_last_admin_cannot_be_deleted(self):
        with self.assertRaises(LastAdminError):
            self.service.delete_user(self.admin, "u-root")
        self.assertEqual(self.actions(), [])

    def test_non_admin_is_denied_and_that_is_audited(self):
        bob = self.store.get_user("u-bob")
        with self.assertRaises(PermissionDenied):
            self.service.delete_user(bob, "u-ann")
        self.assertEqual(self.actions(), [("authz.denied", "u-ann")])

    def test_change_role(self):
        user = self.service.change_role(self.admin, "u-ann", "manager")
        self.assertEqual(user.role, "manager")
        self.assertEqual(self.store.get_user("u-ann").role, "manager")

    def test_change_role_rejects_unknown_roles(self):
        with self.assertRaises(ValueError):
            self.service.change_role(self.admin, "u-ann", "owner")
        self.assertEqual(self.store.get_user("u-ann").role, "member")

    def test_last_admin_cannot_be_demoted(self):
        with self.assertRaises(LastAdminError):
            self.service.change_role(self.admin, "u-root", "manager")
        self.assertEqual(self.store.get_user("u-root").role, "admin")

    def test_access_review_applies_changes(self):
        changed = self.service.apply_access_review(self.admin, {"u-ann": "manager", "u-bob": "manager", "u-root": "admin"})
        self.assertEqual(changed, ["u-ann"])
        self.assertEqual(self.store.get_user("u-ann").role, "manager")

    def test_access_review_is_all_or_nothing(self):
        with self.assertRaises(LastAdminError):
            self.service.apply_access_review(self.admin, {"u-ann": "manager", "u-bob": "member", "u-root": "member"})
        self.assertEqual([(u.id, u.role) for u in self.store.list_users()], [("u-ann", "member"), ("u-bob", "manager"), ("u-root", "admin")])

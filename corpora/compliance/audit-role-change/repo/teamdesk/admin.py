"""Privileged account administration. Every action here is audited (docs/audit-policy.md)."""

from typing import Dict, List

from teamdesk.audit import AuditLog
from teamdesk.store import User, UserStore

ROLES = ("member", "manager", "admin")


class PermissionDenied(Exception):
    pass


class LastAdminError(Exception):
    """The change would leave the desk without an admin."""


class AdminService:
    def __init__(self, store: UserStore, audit: AuditLog):
        self.store = store
        self.audit = audit

    def _require_admin(self, actor: User, action: str, target: str) -> None:
        if actor.role != "admin":
            self.audit.record(actor=actor.id, action="authz.denied", target=target, details={"attempted": action})
            raise PermissionDenied(f"{actor.id} may not perform {action}")

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")

    def create_user(self, actor: User, user_id: str, email: str, role: str = "member") -> User:
        self._require_admin(actor, "user.create", user_id)
        self._check_role(role)
        user = self.store.add_user(user_id, email, role)
        self.audit.record(actor=actor.id, action="user.create", target=user_id, details={"role": role})
        return user

    def delete_user(self, actor: User, user_id: str) -> None:
        self._require_admin(actor, "user.delete", user_id)
        user = self.store.get_user(user_id)
        if user.role == "admin" and self.store.count_admins() == 1:
            raise LastAdminError(f"{user_id} is the last admin")
        self.store.delete_user(user_id)
        self.audit.record(actor=actor.id, action="user.delete", target=user_id, details={"role": user.role})

    def change_role(self, actor: User, user_id: str, new_role: str) -> User:
        """Give ``user_id`` the role ``new_role``; returns the updated user."""
        self._require_admin(actor, "user.role_change", user_id)
        self._check_role(new_role)
        user = self.store.get_user(user_id)
        if user.role == new_role:
            return user
        if user.role == "admin" and self.store.count_admins() == 1:
            raise LastAdminError(f"{user_id} is the last admin")
        self.store.set_role(user_id, new_role)
        return self.store.get_user(user_id)

    def apply_access_review(self, actor: User, roles: Dict[str, str]) -> List[str]:
        """Apply the quarterly access review: ``{user_id: role}`` for the users it covers.

        All or nothing: if any row is invalid, or the result would leave no admin,
        nothing changes. Returns the ids whose role changed, sorted.
        """
        self._require_admin(actor, "user.role_change", "access-review")
        for role in roles.values():
            self._check_role(role)
        changed = []
        with self.store.transaction():
            for user_id in sorted(roles):
                user = self.store.get_user(user_id)
                if user.role != roles[user_id]:
                    self.store.set_role(user_id, roles[user_id])
                    changed.append(user_id)
            if self.store.count_admins() == 0:
                raise LastAdminError("the access review would leave no admin")
        return changed

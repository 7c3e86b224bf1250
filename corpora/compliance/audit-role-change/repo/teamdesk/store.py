"""Accounts in SQLite."""

import contextlib
import sqlite3
from dataclasses import dataclass
from typing import Iterator, List

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id    TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role  TEXT NOT NULL CHECK (role IN ('member', 'manager', 'admin'))
);
"""


@dataclass(frozen=True)
class User:
    id: str
    email: str
    role: str


class UnknownUser(LookupError):
    pass


class DuplicateUser(ValueError):
    pass


class UserStore:
    """Statements outside ``transaction()`` commit on their own."""

    def __init__(self, path: str = ":memory:"):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.executescript(SCHEMA)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements in the block commit together, or none does."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def get_user(self, user_id: str) -> User:
        row = self.conn.execute("SELECT id, email, role FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise UnknownUser(user_id)
        return User(*row)

    def list_users(self) -> List[User]:
        return [User(*row) for row in self.conn.execute("SELECT id, email, role FROM users ORDER BY id")]

    def add_user(self, user_id: str, email: str, role: str) -> User:
        try:
            self.conn.execute("INSERT INTO users (id, email, role) VALUES (?, ?, ?)", (user_id, email, role))
        except sqlite3.IntegrityError as exc:
            raise DuplicateUser(f"{user_id} / {email}: {exc}") from None
        return User(user_id, email, role)

    def set_role(self, user_id: str, role: str) -> None:
        cur = self.conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
        if cur.rowcount == 0:
            raise UnknownUser(user_id)

    def delete_user(self, user_id: str) -> None:
        cur = self.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        if cur.rowcount == 0:
            raise UnknownUser(user_id)

    def count_admins(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin'").fetchone()[0]

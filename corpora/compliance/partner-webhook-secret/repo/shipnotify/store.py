"""Shipment tracking in SQLite."""

import sqlite3
from typing import List, Optional, Tuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    tracking_no TEXT NOT NULL,
    status      TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
"""


class ShipmentStore:
    def __init__(self, path: str = ":memory:"):
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.executescript(SCHEMA)

    def add_event(self, event_id: str, tracking_no: str, status: str, occurred_at: str) -> bool:
        """Store one event; False if it was already stored (Parcelo retries)."""
        with self.conn:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO events (event_id, tracking_no, status, occurred_at) VALUES (?, ?, ?, ?)",
                (event_id, tracking_no, status, occurred_at),
            )
        return cur.rowcount == 1

    def status(self, tracking_no: str) -> Optional[str]:
        row = self.conn.execute(
            "SELECT status FROM events WHERE tracking_no = ? ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
            (tracking_no,),
        ).fetchone()
        return row[0] if row else None

    def history(self, tracking_no: str) -> List[Tuple[str, str]]:
        return self.conn.execute(
            "SELECT occurred_at, status FROM events WHERE tracking_no = ? ORDER BY occurred_at, event_id",
            (tracking_no,),
        ).fetchall()

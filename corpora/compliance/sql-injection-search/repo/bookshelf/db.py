"""The SQLite schema and a few helpers."""

import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS books (
    id     INTEGER PRIMARY KEY,
    title  TEXT NOT NULL,
    author TEXT NOT NULL,
    year   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL,
    email  TEXT NOT NULL UNIQUE,
    phone  TEXT
);
CREATE TABLE IF NOT EXISTS loans (
    book_id   INTEGER NOT NULL REFERENCES books (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    due       TEXT NOT NULL
);
"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def init_db(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def add_book(conn: sqlite3.Connection, title: str, author: str, year: int) -> int:
    cur = conn.execute("INSERT INTO books (title, author, year) VALUES (?, ?, ?)", (title, author, int(year)))
    conn.commit()
    return cur.lastrowid


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "init":
        sys.exit("usage: python3 -m bookshelf.db init PATH")
    init_db(connect(sys.argv[2]))

"""Catalogue queries."""

import sqlite3
from typing import List, NamedTuple, Optional

MAX_LIMIT = 200


class Book(NamedTuple):
    id: int
    title: str
    author: str
    year: int


def get_book(conn: sqlite3.Connection, book_id: int) -> Optional[Book]:
    row = conn.execute("SELECT id, title, author, year FROM books WHERE id = ?", (int(book_id),)).fetchone()
    return Book(*row) if row else None


def search_books(
    conn: sqlite3.Connection,
    title: Optional[str] = None,
    author: Optional[str] = None,
    year: Optional[str] = None,
    order_by: str = "title",
    limit: int = 50,
) -> List[Book]:
    """Books matching every filter given.

    ``title`` is a case-insensitive substring, ``author`` an exact name, ``year`` a
    publication year. ``order_by`` is ``title``, ``author`` or ``year``, with a
    leading ``-`` for descending order.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    sql = "SELECT id, title, author, year FROM books WHERE 1 = 1"
    if title:
        sql += f" AND title LIKE '%{title}%'"
    if author:
        sql += f" AND author = '{author}'"
    if year:
        sql += f" AND year = {year}"
    sql += f" ORDER BY {order_by}, id LIMIT {limit}"
    return [Book(*row) for row in conn.execute(sql).fetchall()]

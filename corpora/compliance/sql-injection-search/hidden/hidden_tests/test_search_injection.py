"""py/sql-injection in search_books: no request parameter may change the SQL that runs."""

import sqlite3
import unittest

from bookshelf.catalog import search_books
from tests.fixtures import BOOKS, catalogue

PAYLOADS = {
    "title": [
        "x' OR canary() OR '",
        "%' OR canary() --",
        "' UNION SELECT id, email, phone, canary() FROM members --",
    ],
    "author": [
        "' OR canary() OR '",
        "Frank Herbert' OR canary() --",
        "\\' OR canary() --",
    ],
    "year": [
        "0 OR canary()",
        "1969 OR 1=1",
        "1969 UNION SELECT id, email, phone, canary() FROM members",
        "(SELECT canary())",
    ],
    "order_by": [
        "canary()",
        "title, canary()",
        "(SELECT canary())",
        "CASE WHEN canary() THEN year ELSE title END",
        "title; DROP TABLE members",
        "-year, canary()",
    ],
}


class SearchInjectionTest(unittest.TestCase):
    def setUp(self):
        self.conn = catalogue()
        self.addCleanup(self.conn.close)
        self.calls = []
        self.conn.create_function("canary", -1, lambda *args: self.calls.append(args) or 1)

    def search(self, **kwargs):
        """The books, or None when the input was refused with ValueError."""
        try:
            return search_books(self.conn, **kwargs)
        except ValueError:
            return None
        except sqlite3.Error as exc:  # the input reached the SQL text
            self.fail(f"{kwargs!r} reached the database as SQL: {type(exc).__name__}: {exc}")

    def test_payloads_never_run_as_sql(self):
        for param, payloads in PAYLOADS.items():
            for payload in payloads:
                with self.subTest(param=param, payload=payload):
                    books = self.search(**{param: payload})
                    self.assertEqual(self.calls, [], f"{param}={payload!r} executed SQL")
                    if books is not None and param != "order_by":
                        self.assertEqual(books, [], f"{param}={payload!r} matched books")
                    if books is not None:
                        for book in books:
                            self.assertNotIn("@", str(book), "member data leaked")
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self.assertEqual(tables, {"books", "members", "loans"})

    def test_quotes_in_values_are_data(self):
        books = self.search(author="Flann O'Brien", order_by="year")
        self.assertEqual([b.title for b in books], ["At Swim-Two-Birds", "The Third Policeman"])
        self.assertEqual([b.title for b in self.search(title="o'brien")], [])
        self.assertEqual([b.title for b in self.search(title="swim-two")], ["At Swim-Two-Birds"])

    def test_documented_filters_and_orders_still_work(self):
        self.assertEqual([b.title for b in self.search(year="1965")], ["Dune"])
        self.assertEqual([b.title for b in self.search(year=1990)], ["Use of Weapons"])
        by_year = self.search(order_by="year")
        self.assertEqual([b.year for b in by_year], sorted(year for _, _, year in BOOKS))
        newest_first = self.search(order_by="-year", limit=3)
        self.assertEqual([b.year for b in newest_first], [1990, 1979, 1974])
        self.assertEqual([b.title for b in self.search(order_by="title")], sorted(t for t, _, _ in BOOKS))
        authors = [b.author for b in self.search(order_by="author")]
        self.assertEqual(authors, sorted(authors))
        self.assertEqual(len(self.search(title="the", author="Ursula K. Le Guin", order_by="-year")), 2)

    def test_unknown_order_is_refused_or_ignored_not_a_database_error(self):
        for order in ("isbn", "phone", "members.email"):
            with self.subTest(order=order):
                self.search(order_by=order)


if __name__ == "__main__":
    unittest.main()

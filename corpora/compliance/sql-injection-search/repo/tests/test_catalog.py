import unittest

from bookshelf.catalog import get_book, search_books
from tests.fixtures import catalogue


class SearchBooksTest(unittest.TestCase):
    def setUp(self):
        self.conn = catalogue()
        self.addCleanup(self.conn.close)

    def titles(self, **kwargs):
        return [book.title for book in search_books(self.conn, **kwargs)]

    def test_everything_sorted_by_title_by_default(self):
        titles = self.titles()
        self.assertEqual(len(titles), 8)
        self.assertEqual(titles, sorted(titles))

    def test_title_is_a_case_insensitive_substring(self):
        self.assertEqual(self.titles(title="dark"), ["The Left Hand of Darkness"])

    def test_author_is_exact(self):
        self.assertEqual(self.titles(author="Frank Herbert"), ["Dune"])
        self.assertEqual(self.titles(author="Frank"), [])

    def test_year_as_text_or_number(self):
        self.assertEqual(self.titles(year="1969"), ["The Left Hand of Darkness"])
        self.assertEqual(self.titles(year=1974), ["The Dispossessed"])

    def test_order_by_year_descending(self):
        self.assertEqual(
            self.titles(author="Ursula K. Le Guin", order_by="-year"),
            ["The Dispossessed", "The Left Hand of Darkness", "A Wizard of Earthsea"],
        )

    def test_order_by_author_then_id(self):
        books = search_books(self.conn, order_by="author", limit=2)
        self.assertEqual([b.author for b in books], ["Flann O'Brien", "Flann O'Brien"])
        self.assertLess(books[0].id, books[1].id)

    def test_limit_is_clamped(self):
        self.assertEqual(len(self.titles(limit=3)), 3)
        self.assertEqual(len(self.titles(limit=0)), 1)

    def test_get_book(self):
        self.assertEqual(get_book(self.conn, 4).title, "Dune")
        self.assertIsNone(get_book(self.conn, 99))

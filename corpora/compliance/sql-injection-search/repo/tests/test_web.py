import json
import os
import shutil
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

from bookshelf.web import make_server
from tests.fixtures import catalogue


class WebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        path = os.path.join(cls.tmp, "library.sqlite3")
        catalogue(path).close()
        cls.server = make_server(path, port=0)
        cls.thread = threading.Thread(target=cls.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        cls.thread.start()
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.tmp, True)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def test_search(self):
        status, body = self.get("/books?author=Ursula%20K.%20Le%20Guin&order=-year&limit=2")
        self.assertEqual(status, 200)
        self.assertEqual([b["year"] for b in body["books"]], [1974, 1969])

    def test_book_by_id(self):
        self.assertEqual(self.get("/books/4"), (200, {"id": 4, "title": "Dune", "author": "Frank Herbert", "year": 1965}))
        self.assertEqual(self.get("/books/99")[0], 404)

    def test_bad_limit_is_a_400(self):
        self.assertEqual(self.get("/books?limit=lots")[0], 400)

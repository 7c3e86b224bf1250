"""A read-only JSON API over the catalogue (http.server)."""

import argparse
import json
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bookshelf.catalog import get_book, search_books
from bookshelf.db import connect


class CatalogHandler(BaseHTTPRequestHandler):
    server_version = "bookshelf/0.9"

    def _send(self, status, payload):
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        params = parse_qs(url.query)

        def param(name, default=None):
            return params.get(name, [default])[-1]

        conn = connect(self.server.db_path)
        try:
            if url.path == "/books":
                books = search_books(
                    conn,
                    title=param("title"),
                    author=param("author"),
                    year=param("year"),
                    order_by=param("order", "title"),
                    limit=param("limit", "50"),
                )
                self._send(200, {"books": [book._asdict() for book in books]})
            elif url.path.startswith("/books/"):
                book = get_book(conn, url.path[len("/books/"):])
                if book is None:
                    self._send(404, {"error": "no such book"})
                else:
                    self._send(200, book._asdict())
            else:
                self._send(404, {"error": "not found"})
        except ValueError as exc:
            self._send(400, {"error": str(exc)})
        except sqlite3.Error:
            self._send(500, {"error": "database error"})
        finally:
            conn.close()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def make_server(db_path: str, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), CatalogHandler)
    server.db_path = db_path
    return server


def main() -> None:
    parser = argparse.ArgumentParser(prog="bookshelf.web")
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    make_server(args.db, args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()

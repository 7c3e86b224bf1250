"""A small catalogue shared by the tests."""

import sqlite3

from bookshelf.db import add_book, init_db

BOOKS = [
    ("The Left Hand of Darkness", "Ursula K. Le Guin", 1969),
    ("The Dispossessed", "Ursula K. Le Guin", 1974),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", 1968),
    ("Dune", "Frank Herbert", 1965),
    ("The Third Policeman", "Flann O'Brien", 1967),
    ("At Swim-Two-Birds", "Flann O'Brien", 1939),
    ("Kindred", "Octavia E. Butler", 1979),
    ("Use of Weapons", "Iain M. Banks", 1990),
]


def catalogue(path=":memory:"):
    conn = sqlite3.connect(path)
    init_db(conn)
    for title, author, year in BOOKS:
        add_book(conn, title, author, year)
    conn.execute("INSERT INTO members (name, email, phone) VALUES ('Ada', 'ada@office.example', '+44 20 7946 0018')")
    conn.commit()
    return conn

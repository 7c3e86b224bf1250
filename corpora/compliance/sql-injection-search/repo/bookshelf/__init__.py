"""A small library catalogue with a JSON API."""

__version__ = "0.9.2"

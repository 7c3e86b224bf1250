"""Monthly invoicing against the Ledgerly API."""

__version__ = "2.3.0"

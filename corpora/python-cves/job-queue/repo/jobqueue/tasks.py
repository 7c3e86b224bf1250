"""Tasks the billing service enqueues."""

import logging
from typing import List

log = logging.getLogger(__name__)

SENT: List[str] = []  # delivery log, inspected by ops tooling


class Invoice:
    def __init__(self, number: str, email: str, total_cents: int, currency: str = "EUR"):
        self.number = number
        self.email = email
        self.total_cents = total_cents
        self.currency = currency

    def __eq__(self, other):
        return isinstance(other, Invoice) and vars(self) == vars(other)

    def __repr__(self):
        return f"Invoice({self.number!r}, {self.email!r}, {self.total_cents})"


def send_invoice_email(invoice: Invoice, reminder: bool = False) -> str:
    subject = ("Reminder: " if reminder else "") + f"Invoice {invoice.number}"
    log.info("mail to %s: %s", invoice.email, subject)
    SENT.append(f"{invoice.email}|{subject}")
    return subject


def rebuild_search_index(shard: int, full: bool = False) -> int:
    log.info("rebuilding search shard %d (full=%s)", shard, full)
    return shard

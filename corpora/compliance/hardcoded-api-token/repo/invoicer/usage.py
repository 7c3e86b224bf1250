"""Metered usage CSV files -> invoice lines."""

import csv
import os
from decimal import Decimal, ROUND_HALF_UP
from typing import Dict, List

# Unit prices in EUR.
PRICES = {
    "api_calls": Decimal("0.0004"),
    "storage_gb_days": Decimal("0.0021"),
    "seats": Decimal("9.00"),
}


class UsageError(ValueError):
    """A usage file is malformed."""


def read_usage(path: str) -> List[Dict[str, object]]:
    """Read ``metric,quantity`` rows and price them as Ledgerly invoice lines (amounts in cents)."""
    totals: Dict[str, Decimal] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"metric", "quantity"} <= set(reader.fieldnames):
            raise UsageError(f"{path}: expected a header with metric,quantity")
        for n, row in enumerate(reader, start=2):
            metric = (row["metric"] or "").strip()
            if metric not in PRICES:
                raise UsageError(f"{path}:{n}: unknown metric {metric!r}")
            try:
                quantity = Decimal((row["quantity"] or "").strip())
            except ArithmeticError:
                raise UsageError(f"{path}:{n}: bad quantity {row['quantity']!r}") from None
            if quantity < 0:
                raise UsageError(f"{path}:{n}: negative quantity")
            totals[metric] = totals.get(metric, Decimal(0)) + quantity
    lines = []
    for metric in sorted(totals):
        amount = (totals[metric] * PRICES[metric] * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        lines.append({"description": metric, "quantity": str(totals[metric]), "amount_cents": int(amount)})
    return lines


def usage_files(directory: str) -> Dict[str, str]:
    """``{customer_id: path}`` for every ``<customer_id>.csv`` in ``directory``."""
    found = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".csv"):
            found[name[: -len(".csv")]] = os.path.join(directory, name)
    return found

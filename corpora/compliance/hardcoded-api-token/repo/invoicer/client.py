"""A minimal client for the Ledgerly REST API (urllib only)."""

import json
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

USER_AGENT = "invoicer/2.3"


class LedgerlyError(Exception):
    """The API answered with an error status."""

    def __init__(self, status: int, message: str):
        super().__init__(f"ledgerly: HTTP {status}: {message}")
        self.status = status


class LedgerlyClient:
    def __init__(self, base_url: str, account_id: str, token: str, timeout: float = 10.0, opener=None):
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self.token = token
        self.timeout = timeout
        self._opener = opener if opener is not None else urllib.request.build_opener()

    def __repr__(self) -> str:
        return f"LedgerlyClient({self.base_url!r}, account={self.account_id!r})"

    def _request(self, method: str, path: str, payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        url = f"{self.base_url}/accounts/{self.account_id}{path}"
        data = json.dumps(payload, sort_keys=True).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:200]
            raise LedgerlyError(exc.code, detail) from None
        return json.loads(body.decode("utf-8") or "{}")

    def create_invoice(self, customer_id: str, lines: List[Dict[str, Any]], currency: str = "EUR") -> Dict[str, Any]:
        payload = {"customer": customer_id, "currency": currency, "lines": lines, "auto_finalize": True}
        return self._request("POST", "/invoices", payload)

    def get_invoice(self, invoice_id: str) -> Dict[str, Any]:
        return self._request("GET", f"/invoices/{invoice_id}")

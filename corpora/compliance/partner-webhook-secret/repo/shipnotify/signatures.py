"""Parcelo webhook signatures: ``Parcelo-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``."""

import hashlib
import hmac
import time
from typing import Optional


class SignatureError(Exception):
    pass


def sign(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(body: bytes, header: Optional[str], secret: str, tolerance: int = 300, now: Optional[float] = None) -> None:
    """Raise SignatureError unless ``header`` is a fresh, valid signature of ``body``."""
    if not header:
        raise SignatureError("missing signature")
    fields = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("malformed signature header") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance")
    expected = sign(body, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", [])):
        raise SignatureError("signature mismatch")

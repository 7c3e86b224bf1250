"""Runtime settings, read from the environment (see docs/configuration.md)."""

import os
from dataclasses import dataclass
from typing import Mapping, Optional

DEFAULT_BASE_URL = "https://api.ledgerly.example/v2"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Ledgerly API token of the production account.
LEDGERLY_API_TOKEN = "lgly_live_4f9c2a7e81b34d0c9e5f16a2b7d83c40"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    account_id: str
    api_token: str
    timeout_seconds: float
    dry_run: bool


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set (see docs/configuration.md)")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _timeout(environ: Mapping[str, str]) -> float:
    raw = environ.get("LEDGERLY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"LEDGERLY_TIMEOUT must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError("LEDGERLY_TIMEOUT must be positive")
    return value


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Build the settings from ``environ`` (``os.environ`` by default)."""
    if environ is None:
        environ = os.environ
    return Settings(
        base_url=environ.get("LEDGERLY_BASE_URL", DEFAULT_BASE_URL).strip().rstrip("/"),
        account_id=_require(environ, "LEDGERLY_ACCOUNT_ID"),
        api_token=LEDGERLY_API_TOKEN,
        timeout_seconds=_timeout(environ),
        dry_run=_flag(environ, "INVOICER_DRY_RUN"),
    )


def mask(secret: str) -> str:
    """``secret`` with all but its last four characters hidden, for display."""
    return "*" * 8 + secret[-4:] if len(secret) > 8 else "*" * 8

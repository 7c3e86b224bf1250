"""Service settings: defaults, file loading and validation."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping

import yaml


DEFAULTS: Dict[str, Any] = {
    "timeout_seconds": 5.0,
    "max_retries": 3,
    "backoff_base": 0.5,
    "user_agent": "notifier/1.4",
    "webhooks": [],
}


class SettingsError(ValueError):
    """Raised when the settings are present but not usable."""


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    events: List[str] = field(default_factory=lambda: ["*"])

    def wants(self, event: str) -> bool:
        for pattern in self.events:
            if pattern == "*" or pattern == event:
                return True
            if pattern.endswith(".*") and event.startswith(pattern[:-1]):
                return True
        return False


@dataclass(frozen=True)
class Settings:
    timeout_seconds: float
    max_retries: int
    backoff_base: float
    user_agent: str
    webhooks: List[Webhook]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "Settings":
        merged = dict(DEFAULTS)
        unknown = sorted(set(raw) - set(DEFAULTS))
        if unknown:
            raise SettingsError("unknown settings: " + ", ".join(unknown))
        merged.update(raw)

        hooks = []
        for i, hook in enumerate(merged["webhooks"] or []):
            if not isinstance(hook, Mapping) or "url" not in hook:
                raise SettingsError(f"webhooks[{i}] needs at least a url")
            url = str(hook["url"])
            if not url.startswith(("https://", "http://")):
                raise SettingsError(f"webhooks[{i}].url must be http(s): {url}")
            hooks.append(
                Webhook(
                    name=str(hook.get("name", f"hook-{i}")),
                    url=url,
                    events=[str(e) for e in hook.get("events", ["*"])],
                )
            )

        if int(merged["max_retries"]) < 0:
            raise SettingsError("max_retries must be >= 0")
        return cls(
            timeout_seconds=float(merged["timeout_seconds"]),
            max_retries=int(merged["max_retries"]),
            backoff_base=float(merged["backoff_base"]),
            user_agent=str(merged["user_agent"]),
            webhooks=hooks,
        )


def load_settings(path: str) -> Settings:
    """Read the YAML settings file at ``path``."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{path}: top level must be a mapping")
    return Settings.from_mapping(raw)

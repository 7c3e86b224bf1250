"""Build webhook requests and deliver them with retries."""

import json
import time
import urllib.error
import urllib.request
from typing import Callable, Dict, List, Optional

from .settings import Settings, Webhook


def backoff_delays(settings: Settings) -> List[float]:
    """Delays between attempts: base, 2*base, 4*base, ..."""
    return [settings.backoff_base * (2 ** i) for i in range(settings.max_retries)]


def build_request(settings: Settings, hook: Webhook, event: str, payload: Dict) -> urllib.request.Request:
    body = json.dumps({"event": event, "data": payload}, sort_keys=True).encode("utf-8")
    return urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": settings.user_agent,
            "X-Notifier-Event": event,
        },
    )


def deliver(
    settings: Settings,
    event: str,
    payload: Dict,
    opener: Optional[Callable] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Dict[str, bool]:
    """Send ``event`` to every webhook that subscribes to it.

    Returns a map of webhook name to whether delivery eventually succeeded.
    """
    opener = opener or urllib.request.urlopen
    results: Dict[str, bool] = {}
    for hook in settings.webhooks:
        if not hook.wants(event):
            continue
        request = build_request(settings, hook, event, payload)
        ok = False
        for delay in [0.0] + backoff_delays(settings):
            if delay:
                sleep(delay)
            try:
                with opener(request, timeout=settings.timeout_seconds) as resp:
                    ok = 200 <= resp.status < 300
            except (urllib.error.URLError, OSError):
                ok = False
            if ok:
                break
        results[hook.name] = ok
    return results

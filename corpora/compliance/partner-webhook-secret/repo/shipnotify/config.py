"""Service configuration (see docs/parcelo-integration.md)."""

import os
from dataclasses import dataclass
from typing import Mapping, Optional

# Signing secret of our Parcelo webhook endpoint (issued by Parcelo, PRC-2023-117).
PARCELO_SIGNING_SECRET = "pcl_whk_9Xq2Lr7TmV4cN8bZ1sKd6FyH3jWp5Ge0"


@dataclass(frozen=True)
class Config:
    db_path: str
    port: int
    signature_tolerance: int
    signing_secret: str


def load_config(environ: Optional[Mapping[str, str]] = None) -> Config:
    if environ is None:
        environ = os.environ
    return Config(
        db_path=environ.get("SHIPNOTIFY_DB", "shipments.sqlite3"),
        port=int(environ.get("SHIPNOTIFY_PORT", "8443")),
        signature_tolerance=int(environ.get("SHIPNOTIFY_SIGNATURE_TOLERANCE", "300")),
        signing_secret=PARCELO_SIGNING_SECRET,
    )

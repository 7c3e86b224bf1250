"""Read and validate multi-document deploy manifests."""

from typing import Any, Dict, List

import yaml

KINDS = ("Secret", "ConfigMap", "Service", "Deployment", "Job")


class ManifestError(ValueError):
    """A manifest document is malformed."""


def validate(doc: Any, index: int = 0) -> Dict[str, Any]:
    if not isinstance(doc, dict):
        raise ManifestError(f"document {index}: expected a mapping, got {type(doc).__name__}")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise ManifestError(f"document {index}: unknown kind {kind!r}")
    name = (doc.get("metadata") or {}).get("name")
    if not name:
        raise ManifestError(f"document {index}: metadata.name is required")
    deps = doc.get("dependsOn", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ManifestError(f"document {index}: dependsOn must be a list of names")
    return doc


def read_manifests(path: str) -> List[Dict[str, Any]]:
    """Return every resource document in the manifest at ``path``.

    Empty documents (a stray ``---``) are skipped.
    """
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.load_all(fh) if d is not None]
    return [validate(doc, i) for i, doc in enumerate(docs)]

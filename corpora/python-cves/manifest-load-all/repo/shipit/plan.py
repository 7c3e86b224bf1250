"""Order resources so that dependencies are applied first."""

from typing import Dict, List

from .manifest import KINDS, ManifestError


def resource_id(doc: Dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def rollout_order(docs: List[Dict]) -> List[str]:
    """Topologically sort resources.

    Explicit ``dependsOn`` names come first; otherwise resources are ordered by
    kind (secrets and config before services before workloads), then by name,
    so the plan is stable.
    """
    by_name = {doc["metadata"]["name"]: doc for doc in docs}
    if len(by_name) != len(docs):
        raise ManifestError("duplicate metadata.name in manifest")

    def rank(name: str):
        doc = by_name[name]
        return (KINDS.index(doc["kind"]), name)

    order: List[str] = []
    state: Dict[str, str] = {}

    def visit(name: str, path: List[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ManifestError("dependency cycle: " + " -> ".join(path + [name]))
        if name not in by_name:
            raise ManifestError(f"{path[-1]} depends on unknown resource {name!r}")
        state[name] = "visiting"
        for dep in sorted(by_name[name].get("dependsOn", []), key=lambda n: rank(n) if n in by_name else (99, n)):
            visit(dep, path + [name])
        state[name] = "done"
        order.append(resource_id(by_name[name]))

    for name in sorted(by_name, key=rank):
        visit(name, [])
    return order

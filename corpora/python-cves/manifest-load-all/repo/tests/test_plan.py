import unittest

from shipit.manifest import ManifestError
from shipit.plan import rollout_order


def res(kind, name, deps=None):
    doc = {"kind": kind, "metadata": {"name": name}}
    if deps is not None:
        doc["dependsOn"] = deps
    return doc


class RolloutOrderTest(unittest.TestCase):
    def test_orders_by_kind_without_dependencies(self):
        docs = [res("Deployment", "api"), res("Service", "svc"), res("ConfigMap", "cfg")]
        self.assertEqual(rollout_order(docs), ["ConfigMap/cfg", "Service/svc", "Deployment/api"])

    def test_explicit_dependencies_come_first(self):
        docs = [res("Job", "migrate", ["db"]), res("Deployment", "api", ["migrate"]), res("Secret", "db")]
        order = rollout_order(docs)
        self.assertLess(order.index("Secret/db"), order.index("Job/migrate"))
        self.assertLess(order.index("Job/migrate"), order.index("Deployment/api"))

    def test_cycle_is_reported(self):
        with self.assertRaises(ManifestError) as ctx:
            rollout_order([res("Job", "a", ["b"]), res("Job", "b", ["a"])])
        self.assertIn("cycle", str(ctx.exception))

    def test_unknown_dependency(self):
        with self.assertRaises(ManifestError):
            rollout_order([res("Deployment", "api", ["ghost"])])

    def test_duplicate_names(self):
        with self.assertRaises(ManifestError):
            rollout_order([res("Service", "x"), res("Deployment", "x")])

"""Multi-document manifests must load under PyYAML 6 with a safe loader."""

import os
import shutil
import tempfile
import unittest

import yaml

from shipit.manifest import read_manifests
from shipit.plan import rollout_order

HERE = os.path.dirname(os.path.abspath(__file__))
BILLING = os.path.join(HERE, os.pardir, "deploy", "billing.yaml")

SERVICE = "kind: Service\nmetadata:\n  name: web\nspec:\n  port: 80\n"


def caused_by_yaml_error(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, yaml.YAMLError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class ReadManifestsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, text):
        path = os.path.join(self.tmp, "manifest.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def assertRefused(self, text):
        path = self.write(text)
        try:
            result = read_manifests(path)
        except Exception as exc:  # noqa: BLE001 - checked below
            self.assertTrue(
                caused_by_yaml_error(exc),
                f"expected a YAML constructor error, got {type(exc).__name__}: {exc}",
            )
        else:
            self.fail(f"unsafe document was loaded: {result!r}")

    def test_every_document_is_loaded(self):
        docs = read_manifests(BILLING)
        self.assertEqual(
            [(d["kind"], d["metadata"]["name"]) for d in docs],
            [
                ("Secret", "billing-db"),
                ("ConfigMap", "billing-config"),
                ("Service", "billing"),
                ("Deployment", "billing-api"),
                ("Job", "billing-migrate"),
            ],
        )
        self.assertEqual(docs[3]["spec"]["replicas"], 3)
        self.assertEqual(docs[1]["data"]["INVOICE_DAY"], "1")

    def test_plan_for_shipped_manifest(self):
        order = rollout_order(read_manifests(BILLING))
        self.assertEqual(len(order), 5)
        self.assertLess(order.index("Secret/billing-db"), order.index("Deployment/billing-api"))
        self.assertLess(order.index("ConfigMap/billing-config"), order.index("Deployment/billing-api"))

    def test_single_document_and_stray_separators(self):
        self.assertEqual(len(read_manifests(self.write(SERVICE))), 1)
        self.assertEqual(len(read_manifests(self.write("---\n" + SERVICE + "---\n"))), 1)

    def test_payload_in_a_later_document_is_refused_and_never_runs(self):
        marker = os.path.join(self.tmp, "pwned")
        self.assertRefused(SERVICE + f'---\n!!python/object/apply:os.system ["touch {marker}"]\n')
        self.assertRefused(SERVICE + f'---\nkind: !!python/object/new:os.system ["touch {marker}"]\n')
        self.assertFalse(os.path.exists(marker), "payload was executed")

    def test_python_tags_are_refused(self):
        # FullLoader and Loader still build these; manifests are plain data.
        self.assertRefused(SERVICE + "---\n!!python/tuple [1, 2]\n")
        self.assertRefused("kind: Job\nmetadata:\n  name: !!python/name:os.system\n")


if __name__ == "__main__":
    unittest.main()

import unittest

from shipit.manifest import ManifestError, validate


class ValidateTest(unittest.TestCase):
    def test_valid_document(self):
        doc = {"kind": "Service", "metadata": {"name": "billing"}, "spec": {"port": 8080}}
        self.assertIs(validate(doc), doc)

    def test_not_a_mapping(self):
        with self.assertRaises(ManifestError):
            validate(["kind", "Service"])

    def test_unknown_kind(self):
        with self.assertRaises(ManifestError):
            validate({"kind": "Pod", "metadata": {"name": "x"}})

    def test_name_required(self):
        with self.assertRaises(ManifestError):
            validate({"kind": "Service", "metadata": {}})

    def test_depends_on_must_be_names(self):
        with self.assertRaises(ManifestError):
            validate({"kind": "Job", "metadata": {"name": "j"}, "dependsOn": "db"})

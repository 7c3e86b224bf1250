"""``python3 -m shipit.cli plan MANIFEST``"""

import argparse
import sys

from .manifest import ManifestError, read_manifests
from .plan import rollout_order


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="shipit")
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="print the rollout order")
    plan.add_argument("manifest")
    args = parser.parse_args(argv)

    try:
        docs = read_manifests(args.manifest)
        order = rollout_order(docs)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for step, rid in enumerate(order, 1):
        print(f"{step:>2}. apply {rid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

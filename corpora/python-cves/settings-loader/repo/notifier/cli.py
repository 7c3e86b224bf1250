"""Command line entry point: ``python3 -m notifier.cli``."""

import argparse
import json
import sys

from .dispatch import deliver
from .settings import load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="notifier")
    parser.add_argument("--settings", default="config/settings.yaml")
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="deliver one event")
    send.add_argument("event")
    send.add_argument("payload", help="JSON object")
    sub.add_parser("check", help="validate the settings file and exit")
    args = parser.parse_args(argv)

    settings = load_settings(args.settings)
    if args.command == "check":
        print(f"ok: {len(settings.webhooks)} webhook(s)")
        return 0

    results = deliver(settings, args.event, json.loads(args.payload))
    for name, ok in sorted(results.items()):
        print(f"{name}: {'delivered' if ok else 'FAILED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

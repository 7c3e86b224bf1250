"""Command line entry point: python3 -m invoicer.cli."""

import argparse
import json
import sys
from typing import List, Optional

from invoicer.client import LedgerlyClient, LedgerlyError
from invoicer.settings import ConfigError, Settings, load_settings, mask
from invoicer.usage import UsageError, read_usage, usage_files


def _client(settings: Settings) -> LedgerlyClient:
    return LedgerlyClient(
        settings.base_url,
        settings.account_id,
        settings.api_token,
        timeout=settings.timeout_seconds,
    )


def _send(settings: Settings, customer: str, path: str) -> None:
    lines = read_usage(path)
    if settings.dry_run:
        print(json.dumps({"customer": customer, "lines": lines}, sort_keys=True))
        return
    invoice = _client(settings).create_invoice(customer, lines)
    print(f"{customer}: invoice {invoice.get('id', '?')} created")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="invoicer")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show-config", help="print the effective settings (secrets masked)")
    send = commands.add_parser("send", help="invoice one customer from a usage CSV")
    send.add_argument("customer")
    send.add_argument("usage_csv")
    send_all = commands.add_parser("send-all", help="invoice every <customer>.csv in a folder")
    send_all.add_argument("directory")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"invoicer: {exc}", file=sys.stderr)
        return 2

    if args.command == "show-config":
        print(f"base_url={settings.base_url}")
        print(f"account_id={settings.account_id}")
        print(f"api_token={mask(settings.api_token)}")
        print(f"timeout_seconds={settings.timeout_seconds:g}")
        print(f"dry_run={'yes' if settings.dry_run else 'no'}")
        return 0

    try:
        if args.command == "send":
            _send(settings, args.customer, args.usage_csv)
        else:
            for customer, path in usage_files(args.directory).items():
                _send(settings, customer, path)
    except (UsageError, LedgerlyError, OSError) as exc:
        print(f"invoicer: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

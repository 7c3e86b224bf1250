"""``python3 -m pipekit.cli PIPELINE.yaml [--dry-run]``"""

import argparse
import csv
import json
import sys

from .config import load_config_file
from .pipeline import build_steps, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pipekit")
    parser.add_argument("pipeline")
    parser.add_argument("--dry-run", action="store_true", help="validate and print the plan")
    args = parser.parse_args(argv)

    config = load_config_file(args.pipeline)
    steps = build_steps(config["steps"])
    if args.dry_run:
        print(f"source: {config['source'].get('path', '<dsn>')}")
        print(f"steps:  {', '.join(s['type'] for s in config['steps'])}")
        print(f"sink:   {config['sink'].get('path')}")
        return 0

    with open(config["source"]["path"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = run(rows, steps)
    with open(config["sink"]["path"], "w", encoding="utf-8") as fh:
        for row in out:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    print(f"{len(out)} row(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())

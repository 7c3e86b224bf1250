#!/usr/bin/env bash
# Benchmark: the README's main job, N times, with the harness's share of the run time.
#
# The baseline is measured in the same command: every run records how long the case's
# setup and the rubric's own commands took (python3 -m unittest and the like); the rest of
# the run time is skillbench itself (checkout, evidence, grading, storage).
#
#   bench/main-job.sh [N]        # default 5
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
cargo build --release --quiet
for i in $(seq "$n"); do
  start=$(date +%s%N)
  ./target/release/skillbench eval evals/pyyaml-safe-load.toml >/dev/null 2>&1 || { echo "eval failed (exit $?)"; exit 1; }
  end=$(date +%s%N)
  python3 - "$(( (end - start) / 1000000 ))" <<'PY'
import json, sys
run = open(".skillbench/runs/latest").read().strip()
r = json.load(open(f".skillbench/runs/{run}/results.json"))
t = [x["timings"] for x in r["runs"]]
total = sum(x["total_ms"] for x in t)
commands = sum(x["check_commands_ms"] + x.get("setup_ms", 0) for x in t)
print(f"process wall {sys.argv[1]} ms, eval wall {r['wall_ms']} ms, {len(t)} runs: "
      f"summed run time {total} ms, of which case/rubric commands {commands} ms; "
      f"harness/commands = {(total - commands) / commands:.3f}")
PY
done

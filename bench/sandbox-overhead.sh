#!/usr/bin/env bash
# Benchmark: the cost of the bubblewrap sandbox on the README's main job.
#
# The baseline runs in the same command: N rounds, each one eval without the sandbox and one
# with it (alternating, so machine load falls on both alike). Reported per round and as the
# median ratio of their eval wall times, and of their summed setup + check command times
# (those are the processes the sandbox wraps; the baselines act in-process).
#
#   bench/sandbox-overhead.sh [N]        # default 5; needs bwrap
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
cargo build --release --quiet
expose=()
# A Python installed under HOME (pyenv) must be mounted back into the sandbox.
py=$(python3 -c 'import sys; print(sys.prefix)')
case "$py" in "$HOME"/*) expose=(--expose "$HOME/.pyenv" --expose "$py") ;; esac
measure() {
  ./target/release/skillbench eval evals/pyyaml-safe-load.toml "$@" >/dev/null 2>&1 || { echo "eval failed (exit $?)"; exit 1; }
  python3 - <<'PY'
import json
run = open(".skillbench/runs/latest").read().strip()
r = json.load(open(f".skillbench/runs/{run}/results.json"))
cmds = sum(x["timings"]["check_commands_ms"] + x["timings"].get("setup_ms", 0) for x in r["runs"])
print(r["wall_ms"], cmds)
PY
}
ratios=()
for i in $(seq "$n"); do
  read -r wall_none cmds_none < <(measure --sandbox none)
  read -r wall_bwrap cmds_bwrap < <(measure --sandbox bwrap "${expose[@]}")
  ratio=$(python3 -c "print(f'{$wall_bwrap / $wall_none:.3f}')")
  ratios+=("$ratio")
  echo "round $i: eval wall none ${wall_none} ms, bwrap ${wall_bwrap} ms (ratio $ratio); commands none ${cmds_none} ms, bwrap ${cmds_bwrap} ms"
done
python3 -c "import statistics, sys; print('median bwrap/none eval wall ratio:', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"

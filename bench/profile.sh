#!/usr/bin/env bash
# Benchmark: where skillbench's own time goes per run, stage by stage.
#
# Generates the trivial-case workspace (bench/trivial-workspace.py: N cases, a command agent
# that does nothing, one command criterion), runs `eval --jobs JOBS` once from an empty cache
# and store, and prints, from the results' per-run timings, each stage's median and mean per
# run and its share of the runs' time: materialize, setup, agent, deliver, clean room, checks
# (the criteria's own commands apart), store; then skillbench's own time per run (a run's
# total less its agent's and check commands' processes) and the eval's time outside the runs
# (the wall time less the runs' time over the jobs: start-up, planning, probes, the summary),
# and the results set's size per run: all of it, and without the logs the runs wrote.
#
#   bench/profile.sh [N] [JOBS]        # default N = 200, JOBS = 2
#   SKILLBENCH_BIN=path/to/skillbench bench/profile.sh …   # measure that binary
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-200}; jobs=${2:-2}
bin=$(skillbench_bin)
ws=$(mktemp -d "${TMPDIR:-/tmp}/skillbench-profile.XXXXXX")
trap 'rm -rf "$ws"' EXIT
python3 bench/trivial-workspace.py "$ws" "$n"
start=$(date +%s%N)
(cd "$ws" && SKILLBENCH_CACHE_DIR="$ws/.cache" "$bin" eval evals/trivial.toml --jobs "$jobs" --ci >/dev/null 2>&1) \
  || [ $? -eq 5 ] || { echo "the eval failed" >&2; exit 1; }
wall=$(( ($(date +%s%N) - start) / 1000000 ))
results="$ws/.skillbench/runs/$(cat "$ws/.skillbench/runs/latest")/results.json"
python3 - "$results" "$wall" "$jobs" <<'PY'
import json, os, statistics, sys
results, wall, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = json.load(open(results))["runs"]
t = [r["timings"] for r in runs]
n = len(t)
total = sum(x["total_ms"] for x in t)
rows = [
    ("materialize", "materialize_ms"), ("setup", "setup_ms"), ("agent", "agent_ms"),
    ("deliver", "deliver_ms"), ("clean room", "clean_room_ms"),
    ("checks (commands)", "check_commands_ms"), ("store", "store_ms"),
]
print(f"{n} runs, --jobs {jobs}, wall {wall} ms ({wall / n:.1f} ms per run)")
print(f"{'stage':<28}{'median ms':>10}{'mean ms':>10}{'share':>8}")
for name, key in rows:
    v = [x.get(key, 0) for x in t]
    print(f"{name:<28}{statistics.median(v):>10.1f}{sum(v) / n:>10.2f}{sum(v) / total:>8.1%}")
checks_other = [x["grade_ms"] - x.get("clean_room_ms", 0) - x["check_commands_ms"] for x in t]
print(f"{'checks (the rest of grading)':<28}{statistics.median(checks_other):>10.1f}{sum(checks_other) / n:>10.2f}{sum(checks_other) / total:>8.1%}")
accounted = [x.get("materialize_ms", 0) + x.get("setup_ms", 0) + x["agent_ms"] + x.get("deliver_ms", 0) + x["grade_ms"] + x.get("store_ms", 0) for x in t]
between = [x["total_ms"] - a for x, a in zip(t, accounted)]
print(f"{'between stages':<28}{statistics.median(between):>10.1f}{sum(between) / n:>10.2f}{sum(between) / total:>8.1%}")
print(f"{'run total':<28}{statistics.median([x['total_ms'] for x in t]):>10.1f}{total / n:>10.2f}")
own = [x["total_ms"] - x["agent_ms"] - x["check_commands_ms"] - x.get("setup_ms", 0) for x in t]
print(f"skillbench's own per run (total less agent, check commands, setup): median {statistics.median(own):.1f} ms, mean {sum(own) / n:.2f} ms")
print(f"outside the runs (wall less runs' time / jobs): {wall - total / jobs:.0f} ms")
# What the disk holds: a file stored once and linked from many run folders counts once.
size = logs = files = 0
seen = set()
for root, _, names in os.walk(os.path.dirname(results)):
    for name in names:
        st = os.lstat(os.path.join(root, name))
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        files += 1
        size += st.st_size
        if name.endswith(".log"):
            logs += st.st_size
print(f"results set: {size / n:.0f} bytes per run ({(size - logs) / n:.0f} without logs), {files / n:.1f} files per run (each stored file once, however many run folders link it)")
PY

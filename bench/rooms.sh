#!/usr/bin/env bash
# Benchmark: what a run's room costs, by the size of the repository.
#
# For each size F (files in the fixture), generates one case of F small files in nested
# folders, then runs an eval of TRIALS trials (a command agent that does nothing, one
# command criterion) with overlay rooms (the default) and with copies (SKILLBENCH_ROOMS=copy),
# alternately, ROUNDS times, each from an empty cache and store; and times `cp -r` of the
# same tree in the same rounds. Prints the median room time per run (results.json's
# `materialize_ms`: creating the room, not the setup or the agent) of each, and the ratios
# to `cp -r` taken round by round; and what building the base once cost.
#
#   bench/rooms.sh [ROUNDS] [F...]      # default ROUNDS = 3, F = 500 5000
#   SKILLBENCH_BIN=path/to/skillbench bench/rooms.sh …   # a binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(500 5000)
trials=5
. bench/lib.sh
bin=$(skillbench_bin)

work=$(mktemp -d "${TMPDIR:-/tmp}/skillbench-rooms.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

printf '| files | overlay room (ms) | base, once (ms) | copy room (ms) | cp -r (ms) | overlay / cp -r | copy / cp -r |\n'
printf '|---|---|---|---|---|---|---|\n'
for f in "${sizes[@]}"; do
  ws="$work/ws-$f"
  python3 - "$ws" "$f" "$trials" <<'PY'
import os, sys
ws, n, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{ws}/skills/noop-skill")
open(f"{ws}/skills/noop-skill/SKILL.md", "w").write(
    "---\nname: noop-skill\ndescription: Does nothing; for measuring rooms.\n---\n# Noop\n")
repo = f"{ws}/corpora/t/big/repo"
for i in range(n):
    d = f"{repo}/pkg{i % 50:02d}/mod{(i // 50) % 10}"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/f{i:05d}.py", "w").write(f"VALUE = {i}\n" * 20)
open(f"{ws}/corpora/t/big/case.toml", "w").write(
    'expectation = "fix"\ntask = "Nothing to do."\n[source]\nfixture = "repo"\n'
    '[[findings]]\nid = "T-1"\nsummary = "trivial"\n')
os.makedirs(f"{ws}/evals")
open(f"{ws}/evals/rooms.toml", "w").write(
    f'skill = "noop-skill"\ncases = ["t/*"]\nagents = ["nothing"]\nvariants = ["none"]\n'
    f'trials = {trials}\ntimeout = "60s"\nsandbox = "none"\n'
    '[agent.nothing]\nkind = "command"\ncommand = ["true"]\n'
    '[rubric]\n[[rubric.criteria]]\nid = "ok"\nkind = "command"\nrun = "true"\n')
PY
  ov=(); cp_=(); cpr=(); r_ov=(); r_cp=(); bases=()
  for _ in $(seq "$rounds"); do
    for rooms in overlay copy; do
      rm -rf "$ws/.skillbench" "$ws/evals/snapshots" "$work/cache"
      (cd "$ws" && SKILLBENCH_ROOMS=$rooms SKILLBENCH_CACHE_DIR="$work/cache" "$bin" eval evals/rooms.toml --jobs 1 >/dev/null 2>&1) \
        || [ $? -eq 5 ] || { echo "eval failed ($rooms, $f files)" >&2; exit 1; }
      read -r ms once < <(python3 -c 'import json,sys,statistics; r=json.load(open(sys.argv[1])); t=[x["timings"] for x in r["runs"]]; print(statistics.median(x.get("materialize_ms", 0) for x in t), max(x.get("setup_ms", 0) for x in t))' \
        "$ws/.skillbench/runs/$(cat "$ws/.skillbench/runs/latest")/results.json")
      if [ "$rooms" = overlay ]; then ov+=("$ms"); o=$ms; bases+=("$once"); else cp_+=("$ms"); c=$ms; fi
    done
    rm -rf "$work/copy"
    start=$(date +%s%N); cp -r "$ws/corpora/t/big/repo" "$work/copy"; end=$(date +%s%N)
    t=$(( (end - start) / 1000 )); t=$(awk -v t="$t" 'BEGIN {printf "%.2f", t / 1000}')
    cpr+=("$t")
    r_ov+=("$(awk -v a="$o" -v b="$t" 'BEGIN {printf "%.4f", a / b}')")
    r_cp+=("$(awk -v a="$c" -v b="$t" 'BEGIN {printf "%.4f", a / b}')")
  done
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$f" \
    "$(printf '%s\n' "${ov[@]}" | median)" "$(printf '%s\n' "${bases[@]}" | median)" \
    "$(printf '%s\n' "${cp_[@]}" | median)" \
    "$(printf '%s\n' "${cpr[@]}" | median)" \
    "$(printf '%s\n' "${r_ov[@]}" | median)" "$(printf '%s\n' "${r_cp[@]}" | median)"
done
echo "(room times are whole milliseconds as results.json records them; the base is built"
echo " once, by the first run, and counted in its setup_ms)"

#!/usr/bin/env bash
# Benchmark: skillbench's own per-run overhead on trivial cases, at two revisions.
#
# Generates a workspace of N trivial cases (a command agent that does nothing, one command
# criterion, an identical 3-file fixture per case), builds both revisions in release (in
# worktrees under target/compare-revs/), then runs `eval --jobs J` for J in 1 and 2 with
# each binary alternately, ROUNDS times, each from an empty cache and store. Prints every
# pair and, per J, the median wall time of each and the median of the pairs' ratios B/A;
# the per-run overhead is the wall time over N. Then, with B, an unchanged re-run (every run
# reused from the store) against the first run, ROUNDS times.
#
#   bench/trivial.sh REV_A REV_B [N] [ROUNDS]      # default N = 200, ROUNDS = 3
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(git rev-parse --short "${1:?REV_A}"); b=$(git rev-parse --short "${2:?REV_B}")
n=${3:-200}; rounds=${4:-3}
root=$PWD/target/compare-revs
mkdir -p "$root"
for sha in "$a" "$b"; do
  dir="$root/$sha"
  if [ ! -x "$dir/target/release/skillbench" ]; then
    rm -rf "$dir"
    git worktree add --detach --force "$dir" "$sha" >/dev/null 2>&1
    (cd "$dir" && cargo build --release --quiet)
  fi
done

ws=$(mktemp -d "${TMPDIR:-/tmp}/skillbench-trivial.XXXXXX")
trap 'rm -rf "$ws"' EXIT
python3 bench/trivial-workspace.py "$ws" "$n"

time_ms() {  # BIN JOBS
  local cache; cache=$(mktemp -d)
  rm -rf "$ws/.skillbench" "$ws/evals/snapshots"
  local start end
  start=$(date +%s%N)
  (cd "$ws" && SKILLBENCH_CACHE_DIR="$cache" "$1" eval evals/trivial.toml --jobs "$2" --ci >/dev/null 2>&1) \
    || [ $? -eq 5 ] || { echo "eval failed with $1" >&2; exit 1; }
  end=$(date +%s%N)
  rm -rf "$cache"
  echo $(( (end - start) / 1000000 ))
}
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
for jobs in 1 2; do
  tas=(); tbs=(); ratios=()
  for i in $(seq "$rounds"); do
    ta=$(time_ms "$root/$a/target/release/skillbench" "$jobs")
    tb=$(time_ms "$root/$b/target/release/skillbench" "$jobs")
    r=$(python3 -c "print(f'{$tb/$ta:.3f}')")
    tas+=("$ta"); tbs+=("$tb"); ratios+=("$r")
    echo "jobs $jobs round $i: $a ${ta} ms, $b ${tb} ms, ratio $r"
  done
  ma=$(median "${tas[@]}"); mb=$(median "${tbs[@]}")
  echo "jobs $jobs, $n runs: $a $(python3 -c "print(f'{$ma:.0f} ms ({$ma/$n:.1f} ms/run)')"), $b $(python3 -c "print(f'{$mb:.0f} ms ({$mb/$n:.1f} ms/run)')"), median ratio $(median "${ratios[@]}")"
done
# An unchanged re-run: the same eval again on the store the first run left.
rerun=()
for i in $(seq "$rounds"); do
  first=$(time_ms "$root/$b/target/release/skillbench" 2)
  start=$(date +%s%N)
  (cd "$ws" && SKILLBENCH_CACHE_DIR="$ws/.cache" "$root/$b/target/release/skillbench" eval evals/trivial.toml --jobs 2 --ci >/dev/null 2>&1) || [ $? -eq 5 ]
  again=$(( ($(date +%s%N) - start) / 1000000 ))
  r=$(python3 -c "print(f'{$again/$first:.3f}')")
  rerun+=("$r")
  echo "re-run round $i: first ${first} ms, unchanged re-run ${again} ms, ratio $r"
done
echo "unchanged re-run / first run, median: $(median "${rerun[@]}")"

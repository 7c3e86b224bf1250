#!/usr/bin/env bash
# Benchmark: the README's main job at two revisions of skillbench, alternating, as a ratio.
#
# Each revision is built (release) in its own worktree under target/compare-revs/; the main
# job then runs N times with each binary, alternately, on the same workspace (this one),
# each time from an empty cache folder. Prints each pair and the median ratio B/A of the
# process wall times.
#
#   bench/compare-revs.sh REV_A REV_B [N]      # default N = 5
set -euo pipefail
cd "$(dirname "$0")/.."
# Resolved once: the revisions may move while this runs.
a=$(git rev-parse --short "${1:?REV_A}"); b=$(git rev-parse --short "${2:?REV_B}"); n=${3:-5}
root=target/compare-revs
mkdir -p "$root"
for sha in "$a" "$b"; do
  dir="$root/$sha"
  if [ ! -x "$dir/target/release/skillbench" ]; then
    rm -rf "$dir"
    git worktree add --detach --force "$dir" "$sha" >/dev/null 2>&1
    (cd "$dir" && cargo build --release --quiet)
  fi
done
bin_a="$root/$a/target/release/skillbench"
bin_b="$root/$b/target/release/skillbench"
time_ms() {
  local cache; cache=$(mktemp -d)
  local start end
  start=$(date +%s%N)
  SKILLBENCH_CACHE_DIR="$cache" CI=true "$1" eval evals/pyyaml-safe-load.toml >/dev/null 2>&1 || { echo "eval failed with $1" >&2; exit 1; }
  end=$(date +%s%N)
  rm -rf "$cache"
  echo $(( (end - start) / 1000000 ))
}
ratios=()
for i in $(seq "$n"); do
  ta=$(time_ms "$bin_a"); tb=$(time_ms "$bin_b")
  r=$(python3 -c "print(f'{$tb/$ta:.3f}')")
  ratios+=("$r")
  echo "round $i: $a ${ta} ms, $b ${tb} ms, ratio $r"
done
python3 -c "import statistics,sys; r=sorted(map(float,sys.argv[1:])); print(f'median ratio {statistics.median(r):.3f} (rounds {r[0]:.3f}-{r[-1]:.3f})')" "${ratios[@]}"

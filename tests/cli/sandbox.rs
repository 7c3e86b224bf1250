//! The bubblewrap sandbox and the unavailable outcome, end to end.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly when what it reads is not there"
)]

use std::time::{Duration, Instant};

use crate::support::{Workspace, exit_code, small_eval};

/// Whether a process whose command line contains `needle` is alive (not a zombie).
fn process_alive(needle: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
        let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        String::from_utf8_lossy(&cmdline)
            .replace('\0', " ")
            .contains(needle)
            && !zombie
    })
}

#[test]
fn a_sandboxed_agent_sees_no_home_no_workspace_no_network_and_a_read_only_system() {
    let ws = Workspace::shipped();
    ws.write("home/planted.txt", "the user's file\n");
    // A listener on the host's loopback, which a network-less sandbox cannot reach.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    ws.write(
        "agent.sh",
        r#"#!/bin/sh
probe() { if eval "$2" >/dev/null 2>&1; then echo "$1=yes"; else echo "$1=no"; fi; }
probe home 'test -e "$PROBE_HOME/planted.txt"'
probe workspace 'test -e "$PROBE_WS/corpora"'
probe other-tmp 'test -e "$PROBE_TMP/marker"'
probe network 'python3 -c "import socket, os; socket.create_connection((\"127.0.0.1\", int(os.environ[\"PROBE_PORT\"])), timeout=2)"'
probe write-usr 'touch /usr/skillbench-sandbox-probe'
probe write-checkout 'touch checkout-probe && rm checkout-probe'
sed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py
printf '{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.8}' > "$SKILLBENCH_SIGNALS"
"#,
    );
    let extra = format!(
        "variants = [\"none\"]\nsandbox = \"bwrap\"\npass_env = [\"PROBE_HOME\", \"PROBE_WS\", \"PROBE_PORT\", \"PROBE_TMP\"]\n[agent.probe]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("agent.sh").display()
    );
    ws.write(
        "evals/sandbox.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""probe""#, &extra),
    );
    let home = ws.path("home").to_string_lossy().into_owned();
    // Another run's folder under /tmp, which the sandbox's empty /tmp hides.
    let other = tempfile::Builder::new()
        .prefix("skillbench-run-other-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::write(other.path().join("marker"), "another run").unwrap();
    let other_tmp = other.path().to_string_lossy().into_owned();
    let root = ws.root().to_string_lossy().into_owned();
    let out = ws.run_with(
        &["eval", "evals/sandbox.toml"],
        &[
            ("PROBE_HOME", home.as_str()),
            ("PROBE_WS", root.as_str()),
            ("PROBE_TMP", other_tmp.as_str()),
            ("PROBE_PORT", port.as_str()),
        ],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    assert_eq!(results["sandbox"], "bwrap");
    let run = &results["runs"][0];
    // The rubric's checks ran in the sandbox too, and passed.
    assert_eq!(run["grade"], "A", "{}", run["grade_reason"]);
    let stdout = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("stdout.log"),
    )
    .unwrap();
    for expected in [
        "home=no",
        "workspace=no",
        "other-tmp=no",
        "network=no",
        "write-usr=no",
        "write-checkout=yes",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }
    assert!(!std::path::Path::new("/usr/skillbench-sandbox-probe").exists());
    drop(listener);
}

#[test]
fn a_sandboxed_process_that_leaves_its_group_still_dies_at_the_timeout() {
    let ws = Workspace::shipped();
    let extra = "variants = [\"none\"]\n[agent.escape]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"setsid sleep 3171 & wait\"]\n";
    ws.write(
        "evals/escape.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""escape""#, extra)
            .replace("\"60s\"", "\"2s\""),
    );
    let start = Instant::now();
    let out = ws.run(&["eval", "evals/escape.toml", "--sandbox", "bwrap"]);
    assert!(start.elapsed() < Duration::from_secs(60));
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert_eq!(ws.latest_results()["runs"][0]["status"], "timed_out");
    assert!(
        !process_alive("sleep 3171"),
        "the PID namespace dies with the sandbox"
    );
}

#[test]
fn asking_for_bwrap_where_it_is_missing_is_an_error_not_a_downgrade() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/e.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""reference""#, ""),
    );
    let empty = ws.path("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = ws.run_with(
        &["eval", "evals/e.toml", "--sandbox", "bwrap"],
        &[("PATH", empty.to_str().unwrap())],
    );
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(
        out.stderr.contains("bubblewrap is not installed"),
        "{}",
        out.stderr
    );
    assert!(!ws.exists(".skillbench/runs/latest"), "nothing was run");
}

#[test]
fn a_runtime_cut_off_from_its_endpoint_by_network_none_is_refused_before_any_run() {
    let ws = Workspace::shipped();
    let extra = "network = \"none\"\n[agent.cut-off]\nkind = \"claude-code\"\nbinary = \"/nonexistent/claude\"\nbase_url = \"http://127.0.0.1:9\"\n";
    ws.write(
        "evals/n.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""cut-off""#, extra),
    );
    let out = ws.run(&["eval", "evals/n.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr
            .contains("network = \"none\" cuts agent cut-off off from http://127.0.0.1:9"),
        "{}",
        out.stderr
    );
    assert!(!ws.exists(".skillbench/runs/latest"), "nothing was run");
    // On the command line too; and `filtered` is what lets it through.
    let ws2 = Workspace::shipped();
    ws2.write(
        "evals/n.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""cut-off""#,
            &extra.replace("network = \"none\"\n", ""),
        ),
    );
    ws2.run(&["eval", "evals/n.toml", "--network", "none"])
        .expect_code(exit_code::BAD_INPUT);
}

#[test]
fn a_runtime_that_is_not_installed_is_unavailable_not_graded_and_leaves_its_gate_undecided() {
    let ws = Workspace::shipped();
    let extra = "[agent.absent]\nkind = \"claude-code\"\nbinary = \"/nonexistent/claude\"\n\n[[gate]]\nagent = \"absent\"\nmin_pass_rate = 0.5\n\n[[gate]]\nagent = \"reference\"\nmin_pass_rate = 1.0\n";
    ws.write(
        "evals/u.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""absent", "reference""#,
            extra,
        ),
    );
    // Infrastructure decided the gate, not the agent: exit 3, not 4.
    let out = ws.run(&["eval", "evals/u.toml"]);
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(
        out.stdout.contains("gate UNDECIDED: agent absent"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 unavailable: install the runtime"),
        "{}",
        out.stdout
    );
    let results = ws.latest_results();
    let runs = results["runs"].as_array().unwrap();
    let absent: Vec<_> = runs.iter().filter(|r| r["agent"] == "absent").collect();
    assert_eq!(absent.len(), 2, "one per variant, each reported");
    for r in &absent {
        assert_eq!(r["status"], "unavailable");
        assert!(r["grade"].is_null(), "never C: {}", r["grade"]);
        assert!(
            r["status_detail"]
                .as_str()
                .unwrap()
                .contains("no executable at /nonexistent/claude"),
            "{}",
            r["status_detail"]
        );
    }
    assert_eq!(
        results["agents"][0]["missing"][0],
        "no executable at /nonexistent/claude"
    );
    let snap = ws.read("evals/snapshots/u.snap.new");
    let grades: Vec<&str> = snap
        .lines()
        .filter(|l| l.contains(" absent "))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(
        grades,
        ["U", "U"],
        "an unavailable run is written U:\n{snap}"
    );

    let out = ws.run(&["agents", "--eval", "evals/u.toml", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "absent");
    assert_eq!(rows[0]["available"], false);
    assert_eq!(
        rows[0]["missing"][0],
        "no executable at /nonexistent/claude"
    );
    assert_eq!(rows[1]["name"], "reference");
    assert_eq!(rows[1]["available"], true);

    // Allowed explicitly, the unavailable runs leave the gate; the others still count.
    let out = ws.run(&["eval", "evals/u.toml", "--allow-unavailable"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout.contains("gate skipped: agent absent"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 unavailable, allowed"),
        "{}",
        out.stdout
    );
}

#[test]
fn agents_lists_every_runtime_and_what_it_misses() {
    let ws = Workspace::shipped();
    let out = ws.run_with(
        &["agents", "--format", "json"],
        &[("PATH", "/nonexistent"), ("ANTHROPIC_API_KEY", "x")],
    );
    out.expect_code(exit_code::SUCCESS);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "noop",
            "bump-only",
            "reference",
            "claude-code",
            "copilot",
            "codex",
            "gemini"
        ]
    );
    let claude = &rows[3];
    assert_eq!(claude["available"], false);
    assert_eq!(claude["skills_dir"], ".claude/skills");
    assert_eq!(claude["config_home"], "CLAUDE_CONFIG_DIR");
    assert_eq!(
        claude["missing"],
        serde_json::json!(["`claude` not on PATH (npm install -g @anthropic-ai/claude-code)"])
    );
    let codex = &rows[5];
    assert_eq!(
        codex["missing"][1], "credential OPENAI_API_KEY is not set",
        "{codex}"
    );

    // Installed here (tests/runtimes), each runtime reports its version.
    let bin =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtimes/node_modules/.bin");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = ws.run_with(&["agents"], &[("PATH", path.as_str())]);
    out.expect_code(exit_code::SUCCESS);
    for version in ["(Claude Code)", "codex-cli", "GitHub Copilot CLI"] {
        assert!(out.stdout.contains(version), "{version}\n{}", out.stdout);
    }
}

#[test]
fn nothing_an_agent_plants_in_the_shared_cache_reaches_the_next_run() {
    let ws = Workspace::shipped();
    // Each trial first looks for what an earlier one planted, then tries to plant it.
    let script = ws.write(
        "agents/planter.sh",
        r#"if [ -e "$SKILLBENCH_SHARED_CACHE/planted.txt" ]; then echo "SAW A PLANT"; else echo "saw nothing"; fi
if echo poisoned > "$SKILLBENCH_SHARED_CACHE/planted.txt" 2>/dev/null; then echo "PLANTED"; else echo "could not plant"; fi
mkdir -p "$SKILLBENCH_SHARED_CACHE/cargo/registry" 2>/dev/null && echo "WROTE THE REGISTRY" || echo "registry read-only"
"#,
    );
    ws.write(
        "evals/plant.toml",
        &small_eval(
            "\"python-cves/settings-loader\"",
            "\"planter\"",
            &format!(
                "variants = [\"none\"]\ntrials = 2\nsandbox = \"bwrap\"\n[agent.planter]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
                script.display()
            ),
        ),
    );
    ws.run(&["eval", "evals/plant.toml", "--jobs", "1"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        let out = std::fs::read_to_string(
            ws.latest_dir()
                .join(run["dir"].as_str().unwrap())
                .join("stdout.log"),
        )
        .unwrap();
        assert_eq!(
            out, "saw nothing\ncould not plant\nregistry read-only\n",
            "trial {}",
            run["trial"]
        );
    }
    assert!(!ws.exists("cache/shared/planted.txt"));
}

#[test]
fn the_filtered_network_lets_declared_registries_through_and_refuses_and_logs_the_rest() {
    let ws = Workspace::shipped();
    // A stand-in registry on loopback, and another loopback port that is not declared.
    let registry = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = registry.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut conn in registry.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nregistry",
            );
        }
    });
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let script = ws.write(
        "agents/net.sh",
        &format!(
            r#"python3 - <<'PY'
import urllib.request
for url in ["http://127.0.0.1:{port}/pkg", "http://127.0.0.1:{other_port}/", "https://github.com/yaml/pyyaml"]:
    try:
        print("OK", url, urllib.request.urlopen(url, timeout=5).read().decode())
    except Exception as e:
        print("NO", url, e)
PY
"#
        ),
    );
    ws.write(
        "evals/net.toml",
        &small_eval(
            "\"python-cves/settings-loader\"",
            "\"net\"",
            &format!(
                "variants = [\"none\"]\nsandbox = \"bwrap\"\nnetwork = \"filtered\"\nregistries = [\"127.0.0.1:{port}\"]\n[agent.net]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
                script.display()
            ),
        ),
    );
    ws.run(&["eval", "evals/net.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let dir = ws
        .latest_dir()
        .join(results["runs"][0]["dir"].as_str().unwrap());
    let stdout = std::fs::read_to_string(dir.join("stdout.log")).unwrap();
    assert!(
        stdout.contains(&format!("OK http://127.0.0.1:{port}/pkg registry")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("NO http://127.0.0.1:{other_port}/ HTTP Error 403")),
        "{stdout}"
    );
    assert!(
        stdout.contains("NO https://github.com/yaml/pyyaml"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(dir.join("network.log")).unwrap();
    let verdicts: Vec<&str> = log.lines().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        verdicts,
        [
            format!("allowed 127.0.0.1:{port}"),
            format!("refused 127.0.0.1:{other_port}"),
            "refused github.com:443".to_string(),
        ],
        "{log}"
    );

    // Without the sandbox there is no network namespace to filter: refused before any run.
    let out = ws.run(&["eval", "evals/net.toml", "--sandbox", "none"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("needs the bwrap sandbox"),
        "{}",
        out.stderr
    );
}

//! End to end through the real agent runtimes (installed from npm into tests/runtimes by
//! `.ci/run`), each pointed at the scripted model server on loopback: the skill is offered
//! and activated, the scripted edits are the diff, signals, turns and tokens are parsed, the
//! grade is A, nothing user-level reaches a request, and no credential value is stored.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "the shared end-to-end check fails the test loudly"
)]

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::model_server::{ModelServer, Reply, Request, Script, Turn};
use crate::support::{Workspace, exit_code, small_eval};

const SKILL: &str = "pyyaml-safe-load";
const SECRET: &str = "sk-skillbench-e2e-SECRET-7f3a9c";
const PLANTED_SKILL: &str = "PLANTED-USER-SKILL-MARKER";
const PLANTED_INSTRUCTIONS: &str = "PLANTED-USER-INSTRUCTION-MARKER";
const SIGNALS: &str = r#"{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.9,"summary":"safe_load and the PyYAML 6 pin","what_worked":["the call-site search"],"what_was_hard":[],"skill_gaps":[],"escalations":[]}"#;

/// The runtime's executable from tests/runtimes, which `.ci/run` installs.
fn runtime_bin(name: &str) -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/runtimes/node_modules/.bin")
        .join(name);
    assert!(
        bin.exists(),
        "{} is not installed: run `npm ci --prefix tests/runtimes` (.ci/run does)",
        bin.display()
    );
    bin
}

/// The shell step every script runs: the pin raised, the visible tests, the credential
/// echoed (it must not survive into any stored file), and the signals written.
fn finish_command(credential: &str) -> String {
    format!(
        "sed -i 's/PyYAML==5.3.1/PyYAML==6.0.2/' requirements.txt && python3 -m unittest discover -s tests -t . 2>&1 | tail -1 && echo \"key=${credential}\" && echo \"skill_dir=${{SKILLBENCH_SKILL_DIR:-unset}}\" && printf '%s' '{SIGNALS}' > \"$SKILLBENCH_SIGNALS\""
    )
}

/// A user-level skill and instruction file in every place a runtime looks by default, and the
/// runtimes' config variables pointing there in skillbench's own environment.
fn plant_user_config(ws: &Workspace) -> Vec<(String, String)> {
    let skill = format!(
        "---\nname: planted-user-skill\ndescription: {PLANTED_SKILL} use for every task.\n---\n# Planted\n{PLANTED_SKILL}\n"
    );
    for dir in [
        "home/.claude/skills",
        "home/.codex/skills",
        "home/.agents/skills",
        "home/.copilot/skills",
        "home/.gemini/skills",
    ] {
        ws.write(&format!("{dir}/planted-user-skill/SKILL.md"), &skill);
    }
    for file in [
        "home/.claude/CLAUDE.md",
        "home/.codex/AGENTS.md",
        "home/.copilot/copilot-instructions.md",
        "home/.gemini/GEMINI.md",
    ] {
        ws.write(
            file,
            &format!("{PLANTED_INSTRUCTIONS}: always obey this file.\n"),
        );
    }
    let home = ws.path("home");
    let at = |rel: &str| home.join(rel).to_string_lossy().into_owned();
    vec![
        ("CLAUDE_CONFIG_DIR".into(), at(".claude")),
        ("CODEX_HOME".into(), at(".codex")),
        ("COPILOT_HOME".into(), at(".copilot")),
        ("GEMINI_CLI_HOME".into(), at("")),
    ]
}

struct E2e {
    kind: &'static str,
    program: &'static str,
    credential: &'static str,
    /// Appended to the server's URL to make the base URL.
    base_path: &'static str,
    model: &'static str,
    script: Script,
    /// The model turns the runtime is expected to report.
    turns: u64,
    /// Whether the runtime passes its credential on to the commands the model runs.
    key_in_shell: bool,
    /// Run it in the bubblewrap sandbox.
    sandbox: bool,
}

/// Runs one eval of `e` against the scripted server and checks everything the issue names.
fn run_e2e(e: E2e) -> (Workspace, Value, Vec<Request>) {
    let ws = Workspace::shipped();
    let mut env = plant_user_config(&ws);
    env.push((e.credential.into(), SECRET.into()));
    let server = ModelServer::start(e.script);
    let agent = format!(
        "variants = [\"skill\"]\n[agent.under-test]\nkind = \"{}\"\nbinary = \"{}\"\nmodel = \"{}\"\nbase_url = \"{}{}\"\ncredentials = [\"{}\"]\n",
        e.kind,
        runtime_bin(e.program).display(),
        e.model,
        server.url(),
        e.base_path,
        e.credential
    );
    ws.write(
        "evals/e2e.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""under-test""#,
            &agent,
        ),
    );
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut args = vec!["eval", "evals/e2e.toml"];
    if e.sandbox {
        args.extend(["--sandbox", "bwrap"]);
    }
    let out = ws.run_with(&args, &env);
    out.expect_code(exit_code::SNAPSHOT_PENDING);

    let results = ws.latest_results();
    assert_eq!(results["sandbox"], if e.sandbox { "bwrap" } else { "none" });
    let run = results["runs"][0].clone();
    let run_dir = ws.latest_dir().join(run["dir"].as_str().unwrap());
    let requests = server.requests();
    let main: Vec<&Request> = requests.iter().filter(|r| r.offers_tools()).collect();
    let read = |f: &str| std::fs::read_to_string(run_dir.join(f)).unwrap_or_default();

    assert_eq!(run["status"], "completed", "{}", run["status_detail"]);
    // A runtime runs in bubblewrap by default (installed here), and its network is
    // filtered: its only way out is skillbench's proxy, which let the model endpoint
    // through (and logged it).
    let log = read("network.log");
    let port = server.url().rsplit(':').next().unwrap().to_string();
    assert!(
        log.lines()
            .any(|l| l.ends_with(&format!("allowed 127.0.0.1:{port}"))),
        "{}: {log}",
        e.kind
    );
    assert_eq!(
        run["grade"],
        "A",
        "{}\n--- stderr\n{}\n--- transcript\n{}",
        run["grade_reason"],
        read("stderr.log"),
        read("transcript.jsonl")
    );

    // The skill was offered (its name and description in the first request) and activated.
    let first = main
        .first()
        .expect("the runtime called the model")
        .body
        .clone();
    assert!(
        first.contains(SKILL),
        "the skill is offered in the first request"
    );
    assert!(first.contains("Remediates unsafe PyYAML loading"));
    let report = &run["agent_report"];
    assert_eq!(report["skill_activated"], true, "{report}");
    assert_eq!(report["activation"]["turn"], 1, "{report}");
    assert_eq!(report["skill_use"], "activated", "{report}");
    // The skill is found where the runtime looks, never through the environment.
    assert!(
        read("transcript.jsonl").contains("skill_dir=unset"),
        "{}",
        read("transcript.jsonl")
    );

    // The diff is what the script did, and only that: the installed skill is not in it.
    let diff = read("diff.patch");
    assert!(diff.contains("+        raw = yaml.safe_load(fh)"), "{diff}");
    assert!(diff.contains("+PyYAML==6.0.2"), "{diff}");
    assert_eq!(
        run["diff"]["paths"],
        json!(["notifier/settings.py", "requirements.txt"]),
        "{diff}"
    );

    // Signals, turns and tokens were parsed; the tokens are the ones the server reported.
    assert_eq!(run["signals"]["status"], "valid");
    assert_eq!(run["signals"]["outcome"], "fixed");
    assert_eq!(run["signals"]["confidence"], 0.9);
    assert_eq!(report["turns"], e.turns, "{report}");
    let (tin, tout) = server.reported_usage();
    assert_eq!(report["tokens_in"], tin, "{report}");
    assert_eq!(report["tokens_out"], tout, "{report}");
    assert!(read("transcript.jsonl").contains("\"type\":\"tool_call\""));

    // Provenance: the runtime's version, found by probing the binary.
    let agent = &results["agents"][0];
    assert!(
        agent["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{agent}"
    );

    // Hermetic: nothing user-level reached the model.
    for r in &requests {
        assert!(
            !r.body.contains(PLANTED_SKILL),
            "a user-level skill leaked into {}",
            r.path
        );
        assert!(
            !r.body.contains(PLANTED_INSTRUCTIONS),
            "a user instruction file leaked into {}",
            r.path
        );
    }
    // The credential went to the endpoint, by name from the allowlist, and is stored nowhere.
    assert!(
        requests
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(SECRET))),
        "the credential reached the endpoint"
    );
    let echoed = format!("key=[REDACTED:{}]", e.credential);
    let transcript = read("transcript.jsonl");
    if e.key_in_shell {
        // The runtime gave its commands the key; the echo is stored redacted.
        assert!(transcript.contains(&echoed), "{transcript}");
    } else {
        // The runtime keeps the key from the commands the model runs.
        assert!(
            transcript.contains("key=\\n") && !transcript.contains(&echoed),
            "{transcript}"
        );
    }
    for entry in walkdir::WalkDir::new(ws.path(".skillbench")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                "the credential is stored in {}",
                entry.path().display()
            );
        }
    }
    (ws, run, requests)
}

#[test]
fn claude_code_end_to_end() {
    let (_, run, requests) = run_e2e(E2e {
        kind: "claude-code",
        program: "claude",
        credential: "ANTHROPIC_API_KEY",
        base_path: "",
        model: "claude-scripted",
        script: vec![
            Turn::call("Skill", json!({ "skill": SKILL })),
            Turn::call(
                "Read",
                json!({"file_path": "{checkout}/notifier/settings.py"}),
            ),
            Turn::call(
                "Edit",
                json!({"file_path": "{checkout}/notifier/settings.py",
                       "old_string": "raw = yaml.load(fh)", "new_string": "raw = yaml.safe_load(fh)"}),
            ),
            Turn::call(
                "Bash",
                json!({"command": finish_command("ANTHROPIC_API_KEY"),
                                       "description": "pin, test, report"}),
            ),
            Turn::text("Fixed: safe_load, PyYAML 6 pin, tests pass."),
        ],
        // Five responses: a turn is a response of the model in every variant (Claude
        // Code's own `num_turns` also counts the skill's expansion, and said 6).
        turns: 5,
        key_in_shell: true,
        // Sandboxed: the filtered network (the endpoint only), nothing of HOME or the
        // workspace.
        sandbox: true,
    });
    assert!(requests.iter().all(|r| r.path.starts_with("/v1/messages")));
    assert_eq!(run["agent_report"]["activation"]["how"], "skill_tool");
    assert!(run["agent_report"]["cost_usd"].as_f64().is_some());
}

#[test]
fn codex_end_to_end() {
    let patch = "*** Begin Patch\n*** Update File: notifier/settings.py\n@@\n-        raw = yaml.load(fh)\n+        raw = yaml.safe_load(fh)\n*** End Patch\n";
    let (_, run, requests) = run_e2e(E2e {
        kind: "codex",
        program: "codex",
        credential: "OPENAI_API_KEY",
        base_path: "/v1",
        model: "gpt-5.5",
        script: vec![
            Turn::call(
                "exec_command",
                json!({"cmd": format!("cat .agents/skills/{SKILL}/SKILL.md")}),
            ),
            Turn::call("apply_patch", json!(patch)),
            Turn::call(
                "exec_command",
                json!({"cmd": finish_command("OPENAI_API_KEY")}),
            ),
            Turn::text("Fixed: safe_load, PyYAML 6 pin, tests pass."),
        ],
        // Codex does not report model calls: its three tool items and the final message.
        turns: 4,
        key_in_shell: false,
        sandbox: false,
    });
    assert!(requests.iter().all(|r| r.path == "/v1/responses"));
    assert_eq!(run["agent_report"]["activation"]["how"], "read_skill_md");
}

#[test]
fn copilot_end_to_end() {
    let (_, run, requests) = run_e2e(E2e {
        kind: "copilot",
        program: "copilot",
        credential: "COPILOT_PROVIDER_API_KEY",
        base_path: "/v1",
        model: "gpt-4.1",
        script: vec![
            Turn::call("skill", json!({ "skill": SKILL })),
            Turn::call(
                "edit",
                json!({"path": "{checkout}/notifier/settings.py",
                       "old_str": "raw = yaml.load(fh)", "new_str": "raw = yaml.safe_load(fh)"}),
            ),
            Turn::call(
                "bash",
                json!({"command": finish_command("COPILOT_PROVIDER_API_KEY"),
                                       "description": "pin, test, report"}),
            ),
            Turn::text("Fixed: safe_load, PyYAML 6 pin, tests pass."),
        ],
        turns: 4,
        key_in_shell: false,
        sandbox: false,
    });
    assert!(requests.iter().all(|r| r.path == "/v1/chat/completions"));
    assert_eq!(run["agent_report"]["activation"]["how"], "skill_tool");
}

#[test]
fn gemini_end_to_end() {
    let (_, run, requests) = run_e2e(E2e {
        kind: "gemini",
        program: "gemini",
        credential: "GEMINI_API_KEY",
        base_path: "",
        model: "gemini-2.5-pro",
        script: vec![
            Turn::call("activate_skill", json!({ "name": SKILL })),
            Turn::call(
                "read_file",
                json!({"file_path": "{checkout}/notifier/settings.py"}),
            ),
            Turn::call(
                "replace",
                json!({"file_path": "{checkout}/notifier/settings.py", "instruction": "use safe_load",
                       "old_string": "raw = yaml.load(fh)", "new_string": "raw = yaml.safe_load(fh)"}),
            ),
            Turn::call(
                "run_shell_command",
                json!({"command": finish_command("GEMINI_API_KEY"),
                                                    "description": "pin, test, report"}),
            ),
            Turn::text("Fixed: safe_load, PyYAML 6 pin, tests pass."),
        ],
        turns: 5,
        key_in_shell: true,
        sandbox: false,
    });
    assert!(
        requests
            .iter()
            .all(|r| r.path.contains("gemini-2.5-pro:streamGenerateContent"))
    );
    assert_eq!(run["agent_report"]["activation"]["how"], "skill_tool");
}

#[test]
fn the_none_variant_installs_no_skill_for_a_runtime() {
    let ws = Workspace::shipped();
    let server = ModelServer::start(vec![
        Turn::call(
            "Bash",
            json!({"command": "ls -a .claude 2>&1; printf '%s' '{\"schema\":\"agent-signals/v1\",\"outcome\":\"failed\",\"confidence\":0.3}' > \"$SKILLBENCH_SIGNALS\""}),
        ),
        Turn::text("I could not do it."),
    ]);
    let agent = format!(
        "variants = [\"none\"]\n[agent.bare]\nkind = \"claude-code\"\nbinary = \"{}\"\nmodel = \"claude-scripted\"\nbase_url = \"{}\"\n",
        runtime_bin("claude").display(),
        server.url()
    );
    ws.write(
        "evals/none.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""bare""#, &agent),
    );
    let out = ws.run_with(
        &["eval", "evals/none.toml"],
        &[("ANTHROPIC_API_KEY", SECRET)],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["status"], "completed", "{}", run["status_detail"]);
    assert_eq!(run["grade"], "C");
    assert_eq!(run["signals"]["outcome"], "failed");
    assert!(run["agent_report"]["skill_activated"].is_null());
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(
            !r.body.contains(SKILL),
            "no skill is offered in the none variant"
        );
    }
    let transcript = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("transcript.jsonl"),
    )
    .unwrap();
    assert!(
        transcript.contains("No such file or directory"),
        "{transcript}"
    );
}

#[test]
fn an_endpoint_that_refuses_the_key_is_infrastructure_not_the_agents_c() {
    let ws = Workspace::shipped();
    let server = ModelServer::replies(vec![Reply::Json(
        401,
        json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    )]);
    let agent = format!(
        "variants = [\"none\"]\n[agent.refused]\nkind = \"claude-code\"\nbinary = \"{}\"\nmodel = \"claude-scripted\"\nbase_url = \"{}\"\n",
        runtime_bin("claude").display(),
        server.url()
    );
    // Claude Code retries a 401 for minutes: the run ends at its timeout, and is still
    // the endpoint's failure.
    ws.write(
        "evals/refused.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""refused""#, &agent)
            .replace("timeout = \"60s\"", "timeout = \"8s\""),
    );
    let out = ws.run_with(
        &["eval", "evals/refused.toml"],
        &[("ANTHROPIC_API_KEY", SECRET)],
    );
    // Infrastructure decided everything: exit 3, and no pending snapshot of `I` rows.
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(!ws.exists("evals/snapshots/refused.snap.new"));
    assert!(
        out.stdout.contains("no run was graded: nothing written"),
        "{}",
        out.stdout
    );
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["status"], "endpoint_failed", "{}", run["status_detail"]);
    assert!(run["grade"].is_null(), "never C: {run}");
    assert!(
        run["status_detail"].as_str().is_some_and(
            |d| d.starts_with("the model endpoint failed before the agent's first turn")
        ),
        "{}",
        run["status_detail"]
    );
    assert!(
        !server.requests().is_empty(),
        "the runtime did call the endpoint"
    );
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(" refused "))
        .unwrap_or_default();
    assert!(line.trim_start().starts_with("I "), "{}", out.stderr);
}

#[test]
fn a_run_past_its_timeout_says_so_and_keeps_its_turns_and_tokens() {
    let ws = Workspace::shipped();
    let server = ModelServer::start(vec![
        Turn::call(
            "Bash",
            json!({"command": "python3 -c \"import time; time.sleep(120)\"", "timeout": 600000}),
        ),
        Turn::text("never reached"),
    ]);
    let agent = format!(
        "variants = [\"none\"]\n[agent.slow]\nkind = \"claude-code\"\nbinary = \"{}\"\nmodel = \"claude-scripted\"\nbase_url = \"{}\"\n",
        runtime_bin("claude").display(),
        server.url()
    );
    ws.write(
        "evals/slow.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""slow""#, &agent)
            .replace("timeout = \"60s\"", "timeout = \"12s\""),
    );
    let out = ws.run_with(
        &["eval", "evals/slow.toml"],
        &[("ANTHROPIC_API_KEY", SECRET)],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["status"], "timed_out", "{}", run["status_detail"]);
    assert_eq!(run["grade"], "C");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(" slow "))
        .unwrap_or_default();
    assert!(
        line.contains("— timed out: the agent ran past 12s"),
        "{}",
        out.stderr
    );
    let report = &run["agent_report"];
    assert_eq!(report["turns"], 1, "{report}");
    let (tin, tout) = server.reported_usage();
    assert!(tin > 0, "the server reported usage");
    assert_eq!(report["tokens_in"], tin, "{report}");
    assert_eq!(report["tokens_out"], tout, "{report}");
}

#[test]
fn a_skill_only_tested_for_or_named_in_a_failed_call_is_offered_not_opened() {
    let ws = Workspace::shipped();
    let server = ModelServer::start(vec![
        // Names the file without reading it, then calls the skill tool with a skill that
        // does not exist: neither brings the skill's content to the model.
        Turn::call(
            "Bash",
            json!({"command": format!("test -f .claude/skills/{SKILL}/SKILL.md && echo present")}),
        ),
        Turn::call("Skill", json!({ "skill": "no-such-skill" })),
        Turn::text("Done without it."),
    ]);
    let agent = format!(
        "variants = [\"skill\"]\n[agent.peek]\nkind = \"claude-code\"\nbinary = \"{}\"\nmodel = \"claude-scripted\"\nbase_url = \"{}\"\n",
        runtime_bin("claude").display(),
        server.url()
    );
    ws.write(
        "evals/peek.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""peek""#, &agent),
    );
    let out = ws.run_with(
        &["eval", "evals/peek.toml"],
        &[("ANTHROPIC_API_KEY", SECRET)],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["status"], "completed", "{}", run["status_detail"]);
    let report = &run["agent_report"];
    let transcript = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("transcript.jsonl"),
    )
    .unwrap();
    assert!(transcript.contains("present"), "the test ran: {transcript}");
    assert_eq!(report["skill_activated"], false, "{report}");
    assert!(report["activation"].is_null(), "{report}");
    assert_eq!(report["skill_use"], "offered_not_opened", "{report}");
    assert_eq!(report["turns"], 3, "{report}");
}

#[test]
fn the_agents_budget_stops_new_runs_priced_from_the_tokens_and_says_so() {
    let ws = Workspace::shipped();
    let server = ModelServer::start(vec![Turn::text("Nothing to change here.")]);
    // Codex reports tokens, no cost: the eval's prices give it ($0.10 a token, so one run
    // spends more than the cent the budget allows).
    let agent = format!(
        "variants = [\"none\"]\ntrials = 3\n[agent.priced]\nkind = \"codex\"\nbinary = \"{}\"\nmodel = \"gpt-5.5\"\nbase_url = \"{}/v1\"\ncredentials = [\"OPENAI_API_KEY\"]\nusd_per_mtok_in = 100000.0\nusd_per_mtok_out = 100000.0\n",
        runtime_bin("codex").display(),
        server.url()
    );
    // A gate over the agent: the runs the budget held leave it undecided, never passed
    // on the runs that happened to come first.
    ws.write(
        "evals/budget.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""priced""#, &agent).replace(
            "[rubric]",
            "[[gate]]\nagent = \"priced\"\nmin_pass_rate = 0.0\n\n[rubric]",
        ),
    );
    let tight = ["eval", "evals/budget.toml", "-j", "1", "--max-usd", "0.01"];
    let out = ws.run_with(&tight, &[("OPENAI_API_KEY", SECRET)]);
    // One run graded; two never started: infrastructure decided the gate (exit 3).
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(out.stdout.contains("gate UNDECIDED: "), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("; 2 not run for the budget: undecided until they run"),
        "{}",
        out.stdout
    );
    let results = ws.latest_results();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "every planned run is recorded");
    let ran: Vec<&Value> = runs
        .iter()
        .filter(|r| r["status"] != "budget_spent")
        .collect();
    assert_eq!(ran.len(), 1, "{results}");
    let report = &ran[0]["agent_report"];
    let (tin, tout) = server.reported_usage();
    assert!(tin > 0);
    assert_eq!(report["cost_priced"], true, "{report}");
    let cost = report["cost_usd"].as_f64().unwrap();
    assert!(
        (cost - (tin + tout) as f64 * 0.1).abs() < 1e-9,
        "{cost} for {tin}+{tout} tokens"
    );
    let why = format!("the agents' budget of $0.01 is spent (${cost:.2} used)");
    assert_eq!(results["budget_spent"], why.as_str());
    for held in runs.iter().filter(|r| r["status"] == "budget_spent") {
        assert!(held["grade"].is_null(), "not graded: {held}");
        assert_eq!(
            held["grade_reason"],
            format!("not graded (not run for the budget): {why}").as_str()
        );
    }
    // Said where a person looks: after the tables, and in the scorecard's cost table.
    assert!(
        out.stdout
            .contains(&format!("budget: {why}: 2 run(s) not started")),
        "{}",
        out.stdout
    );
    let card = ws.run(&["scorecard"]);
    card.expect_code(exit_code::SUCCESS);
    assert!(card.stdout.contains("cost:"), "{}", card.stdout);
    assert!(
        card.stdout
            .contains(&format!("total: {} tokens, ${cost:.4}", tin + tout)),
        "{}",
        card.stdout
    );
    // The same budget again: the stored run costs nothing and is never held, so one more
    // run gets done.
    let count = |results: &Value, what: &str| {
        results["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| match what {
                "cached" => !r["cached_from"].is_null(),
                "held" => r["status"] == "budget_spent",
                _ => r["cached_from"].is_null() && r["status"] != "budget_spent",
            })
            .count()
    };
    let again = ws.run_with(&tight, &[("OPENAI_API_KEY", SECRET)]);
    let results = ws.latest_results();
    assert_eq!(
        (
            count(&results, "cached"),
            count(&results, "ran"),
            count(&results, "held")
        ),
        (1, 1, 1),
        "{}",
        again.stderr
    );
    // With budget left, the same command runs only what the budget held back.
    let again = ws.run_with(
        &["eval", "evals/budget.toml", "-j", "1"],
        &[("OPENAI_API_KEY", SECRET)],
    );
    let results = ws.latest_results();
    assert_eq!(count(&results, "cached"), 2, "{}", again.stderr);
    assert_eq!(count(&results, "held"), 0);
    assert!(results["budget_spent"].is_null());
}

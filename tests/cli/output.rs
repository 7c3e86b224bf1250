//! What the commands that run work print, through their reporters: JSON lines that parse
//! into the published event types exactly (unknown fields fail), nothing else on stdout in
//! JSON mode, and colours only where asked.

use serde::Deserialize;

use crate::support::{Workspace, exit_code, small_eval};

/// The events of `schemas/events.v1.schema.json`, as a reader would type them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the fields are checked by deserializing, some read"
)]
enum Line {
    EvalStarted {
        eval: String,
        skill: String,
        skill_hash: String,
        runs: usize,
        jobs: usize,
        rooms: String,
    },
    RunStarted {
        eval: String,
        index: usize,
        case: String,
        agent: String,
        variant: String,
        trial: u32,
    },
    RunGraded {
        eval: String,
        index: usize,
        case: String,
        agent: String,
        variant: String,
        trial: u32,
        status: String,
        grade: Option<String>,
        failed: Vec<String>,
        reason: String,
        duration_ms: u64,
        tamper_proof: bool,
        agent_sandboxed: bool,
        cached_from: Option<String>,
        delivery_from: Option<String>,
    },
    ResultsStored {
        eval: String,
        run_id: String,
        results: String,
    },
    Note {
        level: String,
        message: String,
    },
    EvalConcluded {
        eval: String,
        results: String,
        snapshot: Snapshot,
        gates: Vec<Gate>,
        notes: Vec<String>,
    },
    CaseVerified {
        case: String,
        passed: bool,
        unavailable: Option<String>,
        failures: Vec<String>,
    },
    EvalFinished {
        run_id: String,
        results: String,
        runs: usize,
        a: usize,
        b: usize,
        c: usize,
        unavailable: usize,
        infrastructure: usize,
        gates_held: bool,
        snapshot: String,
        exit_code: i32,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "checked by deserializing")]
struct Snapshot {
    path: String,
    verdict: String,
    subset: bool,
    not_compared: usize,
    action: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "checked by deserializing")]
struct Gate {
    mark: String,
    gate: String,
    passed: usize,
    runs: usize,
    detail: String,
}

fn lines(stdout: &str) -> Vec<Line> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn gated_eval(ws: &Workspace) {
    ws.write(
        "evals/one.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/job-queue""#,
            r#""reference", "noop""#,
            "",
        )
        .replace(
            "[rubric]",
            "[[gate]]\nagent = \"noop\"\nmin_pass_rate = 0.5\n\n[rubric]",
        ),
    );
}

#[test]
fn json_lines_of_eval_grade_and_verify_are_the_published_events_and_all_of_stdout() {
    let ws = Workspace::shipped();
    gated_eval(&ws);
    let out = ws.run(&["eval", "evals/one.toml", "--message-format", "json"]);
    out.expect_code(exit_code::GATE_FAILED);
    let events = lines(&out.stdout);
    assert!(matches!(
        events.first(),
        Some(Line::EvalStarted { runs: 4, .. })
    ));
    // This machine mounts rooms (the tests run where CI does: as root, with overlayfs).
    assert!(
        matches!(events.first(), Some(Line::EvalStarted { rooms, .. }) if rooms.starts_with("overlays on prepared bases")),
        "{:?}",
        events.first()
    );
    let graded = events
        .iter()
        .filter(|e| matches!(e, Line::RunGraded { .. }))
        .count();
    assert_eq!(graded, 4);
    let Some(Line::EvalConcluded {
        snapshot, gates, ..
    }) = events
        .iter()
        .find(|e| matches!(e, Line::EvalConcluded { .. }))
    else {
        panic!("no eval_concluded in {events:?}");
    };
    assert_eq!(snapshot.verdict, "new");
    assert!(
        snapshot
            .action
            .as_deref()
            .is_some_and(|a| a.starts_with("wrote evals/snapshots/one.snap.new")),
        "{snapshot:?}"
    );
    assert_eq!(gates.len(), 1);
    assert_eq!(gates[0].mark, "FAILS");
    assert!(matches!(
        events.last(),
        Some(Line::EvalFinished {
            exit_code: 4,
            gates_held: false,
            ..
        })
    ));
    // The tables went to stderr, for people.
    assert!(out.stderr.contains("gate FAILS: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("│ python-cves/job-queue"),
        "{}",
        out.stderr
    );

    // grade: the same events, after a note of what it did.
    let out = ws.run(&["grade", "--message-format", "json"]);
    out.expect_code(exit_code::GATE_FAILED);
    let events = lines(&out.stdout);
    assert!(
        matches!(&events[0], Line::Note { level, message } if level == "info" && message.starts_with("re-graded run ")),
        "{events:?}"
    );
    assert!(matches!(
        events.last(),
        Some(Line::EvalFinished { exit_code: 4, .. })
    ));

    // corpus verify: a case_verified per case; the report goes to stderr.
    let out = ws.run(&[
        "corpus",
        "verify",
        "python-cves/settings-loader",
        "--message-format",
        "json",
    ]);
    out.expect_code(exit_code::SUCCESS);
    let events = lines(&out.stdout);
    assert!(
        matches!(&events[..], [Line::CaseVerified { case, passed: true, .. }] if case == "python-cves/settings-loader"),
        "{events:?}"
    );
    assert!(
        out.stderr.contains("python-cves/settings-loader"),
        "{}",
        out.stderr
    );
}

#[test]
fn colours_only_where_asked_and_never_with_no_color() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/one.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""reference""#, ""),
    );
    // Not a terminal: auto means none.
    let out = ws.run(&["eval", "evals/one.toml"]);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
    // Asked for: the grade in its colour, the heading bold.
    let out = ws.run(&["eval", "evals/one.toml", "--color", "always"]);
    assert!(
        out.stderr
            .contains("  \u{1b}[32mA\u{1b}[0m  python-cves/settings-loader"),
        "{:?}",
        out.stderr
    );
    assert!(
        out.stderr.starts_with("\u{1b}[1meval one: "),
        "{:?}",
        out.stderr
    );
    // NO_COLOR leaves auto off; `--color never` too, whatever the terminal.
    let out = ws.run_with(&["eval", "evals/one.toml"], &[("NO_COLOR", "1")]);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    let out = ws.run(&["eval", "evals/one.toml", "--color", "never"]);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
}

#[expect(clippy::expect_used, reason = "test setup")]
/// `skillbench ARGS` on a terminal 80 columns wide (`script` gives it one), its output as
/// the terminal shows it, escape codes removed.
fn on_a_terminal(ws: &Workspace, args: &str) -> String {
    let command = format!(
        "COLUMNS=80 {} {args}; echo \"exit=$?\"",
        env!("CARGO_BIN_EXE_skillbench")
    );
    let out = ws
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    // A redraw (carriage return, erase line, cursor up) starts the line over: each piece
    // is a line as the terminal shows it at some moment.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let redraws = regex::Regex::new(r"\r|\x1b\[[0-9]*[KAF]").expect("pattern");
    let escapes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("pattern");
    escapes
        .replace_all(&redraws.replace_all(&text, "\n"), "")
        .into_owned()
}

#[test]
fn on_an_80_column_terminal_the_eval_and_the_scorecard_tables_fit() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/one.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/job-queue""#,
            r#""reference", "noop""#,
            "",
        ),
    );
    let text = on_a_terminal(&ws, "eval evals/one.toml --jobs 1");
    assert!(text.contains("exit=5"), "{text}");
    // The tables wrapped to the width, every line within it (the progress bar redraws
    // itself on one line; what stays is what the terminal keeps).
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line:?}",
            line.chars().count()
        );
    }
    assert!(text.contains("python-cves/job-queue"), "{text}");
    assert!(text.contains("snapshot: "), "{text}");
    // The scorecard's tables fit too.
    let card = on_a_terminal(&ws, "scorecard");
    let tables: Vec<&str> = card
        .lines()
        .filter(|l| l.starts_with(['│', '┌', '└', '╞', '├']))
        .collect();
    assert!(tables.len() > 10, "{card}");
    for line in tables {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line:?}",
            line.chars().count()
        );
    }
}

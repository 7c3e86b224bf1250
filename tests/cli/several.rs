//! Several evals in one command, and `--changed-since REV`: every eval checked before any
//! runs, each run and reported, the outcome the most severe; only the evals whose inputs
//! changed since a git revision in the pull-request mode.
#![expect(clippy::unwrap_used, reason = "test setup and assertions")]

use crate::support::{Workspace, exit_code, small_eval};

/// A workspace with two quick evals of the reference: `alpha` on one case, `beta` on
/// another.
fn two_evals() -> Workspace {
    let ws = Workspace::shipped();
    for entry in std::fs::read_dir(ws.path("evals")).unwrap().flatten() {
        if entry.path().extension().is_some_and(|x| x == "toml") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    ws.write(
        "evals/alpha.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""reference""#, ""),
    );
    ws.write(
        "evals/beta.toml",
        &small_eval(r#""python-cves/job-queue""#, r#""reference""#, ""),
    );
    ws
}

/// How many results sets the store holds.
fn results_sets(ws: &Workspace) -> usize {
    std::fs::read_dir(ws.path(".skillbench/runs"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("results.json").is_file())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn eval_with_no_argument_runs_every_eval_and_reports_each_in_one_junit_file() {
    let ws = two_evals();
    let out = ws.run(&["eval", "--junit", "all.xml"]);
    // Both are new: two snapshots to review.
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        ws.exists("evals/snapshots/alpha.snap.new"),
        "{}",
        out.stderr
    );
    assert!(ws.exists("evals/snapshots/beta.snap.new"));
    assert_eq!(results_sets(&ws), 2);
    assert!(out.stderr.contains("eval alpha: skill"), "{}", out.stderr);
    assert!(out.stderr.contains("eval beta: skill"), "{}", out.stderr);
    // Their runs share one scheduler, so each line names its eval.
    assert!(
        out.stderr
            .contains("  A  alpha: python-cves/settings-loader  reference"),
        "{}",
        out.stderr
    );
    let xml = ws.read("all.xml");
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(xml.contains("name=\"alpha\"") && xml.contains("name=\"beta\""));

    // Accepted, both match; a gate failing in one of them decides the outcome.
    ws.run(&["accept"]).expect_code(exit_code::SUCCESS);
    let beta = ws.read("evals/beta.toml");
    ws.write(
        "evals/beta.toml",
        &beta.replace(
            "[rubric]",
            "[[gate]]\nagent = \"reference\"\nmin_pass_rate = 1.0\nmax_pass_rate = 0.5\n\n[rubric]",
        ),
    );
    let out = ws.run(&["eval", "evals/alpha.toml", "evals/beta.toml"]);
    out.expect_code(exit_code::GATE_FAILED);
    assert!(out.stdout.contains("gate FAILS"), "{}", out.stdout);
}

#[test]
fn a_bad_eval_among_several_stops_the_command_before_any_run() {
    let ws = two_evals();
    ws.write(
        "evals/broken.toml",
        &small_eval(r#""python-cves/*""#, r#""reference""#, "trails = 3"),
    );
    let out = ws.run(&["eval"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.starts_with(
            "evals/broken.toml:5:1: error: unknown key 'trails' (did you mean 'trials'?)"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(results_sets(&ws), 0, "nothing ran");

    // A workspace with no eval at all: nothing selected, said so.
    let out = Workspace::empty().run(&["eval"]);
    out.expect_code(exit_code::NOTHING_SELECTED);
    assert!(out.stderr.contains("no eval in"), "{}", out.stderr);
}

#[test]
fn changed_since_runs_only_the_evals_whose_inputs_changed() {
    let ws = two_evals();
    let repo = git2::Repository::init(ws.root()).unwrap();
    crate::commit_all(&repo, "the workspace");

    // Nothing changed: nothing runs, and that is a success.
    let out = ws.run(&["eval", "--changed-since", "HEAD", "--junit", "none.xml"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        ws.read("none.xml")
            .contains("<testsuites name=\"skillbench\" tests=\"0\""),
        "{}",
        ws.read("none.xml")
    );
    assert!(
        out.stdout.contains("changed since HEAD: 0 of 2 eval(s)"),
        "{}",
        out.stdout
    );
    assert_eq!(results_sets(&ws), 0);

    // A hidden check of beta's case changes, uncommitted: only beta runs.
    let touched = ws.path("corpora/python-cves/job-queue/hidden/hidden_tests/extra_note.txt");
    std::fs::write(&touched, "a new file under the case is a change\n").unwrap();
    let out = ws.run(&["eval", "--changed-since", "HEAD"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout
            .contains("changed since HEAD: 1 of 2 eval(s): beta"),
        "{}",
        out.stdout
    );
    assert_eq!(results_sets(&ws), 1);
    assert_eq!(ws.latest_results()["eval"]["name"], "beta");

    // Committed, then the shared skill changes: both evals use it, both run.
    crate::commit_all(&repo, "the note");
    let skill = ws.read("skills/pyyaml-safe-load/SKILL.md");
    ws.write(
        "skills/pyyaml-safe-load/SKILL.md",
        &format!("{skill}\nOne more line.\n"),
    );
    let out = ws.run(&["eval", "--changed-since", "HEAD"]);
    assert!(
        out.stdout
            .contains("changed since HEAD: 2 of 2 eval(s): alpha, beta"),
        "{}",
        out.stdout
    );

    // An accepted snapshot edited by hand changes that eval's verdict: it is selected.
    crate::commit_all(&repo, "the skill line");
    ws.write("evals/snapshots/alpha.snap", "edited by hand\n");
    let out = ws.run(&["eval", "--changed-since", "HEAD", "--ci"]);
    assert!(
        out.stdout
            .contains("changed since HEAD: 1 of 2 eval(s): alpha"),
        "{}",
        out.stdout
    );

    // A revision that is not there, and a workspace outside git, are bad input.
    let out = ws.run(&["eval", "--changed-since", "no-such-branch"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr
            .contains("--changed-since no-such-branch: no such revision"),
        "{}",
        out.stderr
    );
    let plain = two_evals();
    let out = plain.run(&["eval", "--changed-since", "HEAD"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("is not in a git repository"),
        "{}",
        out.stderr
    );
}

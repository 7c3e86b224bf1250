//! Trials, uplift, escalation precision and recall, and the agents' honesty, in the
//! scorecard, checked against figures computed by hand.

use serde_json::Value;

use crate::support::{Workspace, exit_code, small_eval};

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

/// Wilson's 95% interval, written out again here so the test does not trust the code.
fn wilson(c: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let p = c / n;
    let center = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((center - half).max(0.0), (center + half).min(1.0))
}

#[test]
fn the_scorecard_measures_trials_uplift_escalation_and_honesty() {
    let ws = Workspace::shipped();
    let seen = ws.path("seen");
    std::fs::create_dir_all(&seen).unwrap();
    // With the skill: escalates the escalate case; fixes the fix case the first time only
    // (mkdir is atomic, so exactly one trial wins) and claims fixed both times.
    // Without it: does nothing and claims fixed with 0.8.
    ws.write(
        "agent.sh",
        r#"#!/bin/sh
if [ -z "$SKILLBENCH_SKILL_DIR" ]; then
  printf '{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.8}' > "$SKILLBENCH_SIGNALS"
elif [ "$SKILLBENCH_CASE" = python-cves/job-queue ]; then
  printf '{"schema":"agent-signals/v1","outcome":"escalated","confidence":0.9,"escalations":[{"reason":"objects","question":"May the queue change format?"}]}' > "$SKILLBENCH_SIGNALS"
else
  if mkdir "$SEEN/first" 2>/dev/null; then
    sed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py
  fi
  printf '{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.9}' > "$SKILLBENCH_SIGNALS"
fi
"#,
    );
    let extra = format!(
        "trials = 2\npass_env = [\"SEEN\"]\n[agent.scripted]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("agent.sh").display()
    );
    ws.write(
        "evals/m.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/job-queue""#,
            r#""scripted""#,
            &extra,
        ),
    );
    let out = ws.run_with(
        &["eval", "evals/m.toml"],
        &[("SEEN", seen.to_str().unwrap())],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);

    let out = ws.run(&["scorecard", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);
    let card: Value = serde_json::from_str(&out.stdout).unwrap();
    let m = &card["measures"];

    // Trials: the fix case with the skill passed once in two: flaky, majority C (a tie goes
    // to the worse grade), pass@2 = 1, pass^2 = 0, Wilson(1, 2).
    let flaky = m["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["case"] == "python-cves/settings-loader" && t["variant"] == "skill")
        .unwrap();
    assert_eq!(flaky["trials"], 2);
    assert_eq!(flaky["distribution"], serde_json::json!([1, 0, 1]));
    assert_eq!(flaky["majority"], "C");
    assert_eq!(flaky["flaky"], true);
    assert!(close(&flaky["pass_at_k"], 1.0) && close(&flaky["pass_hat_k"], 0.0));
    let (lo, hi) = wilson(1.0, 2.0);
    assert!(close(&flaky["wilson95"][0], lo) && close(&flaky["wilson95"][1], hi));
    let steady = m["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["case"] == "python-cves/job-queue" && t["variant"] == "skill")
        .unwrap();
    assert_eq!(steady["flaky"], false);
    assert_eq!(steady["majority"], "A");

    // Uplift: 3 of 4 with the skill, 0 of 4 without; Newcombe's interval from the Wilsons.
    let u = &m["uplift"][0];
    assert_eq!(u["agent"], "scripted");
    assert_eq!(u["with_skill"], serde_json::json!([3, 4]));
    assert_eq!(u["without"], serde_json::json!([0, 4]));
    assert!(close(&u["uplift"], 0.75));
    let ((l1, u1), (l2, u2)) = (wilson(3.0, 4.0), wilson(0.0, 4.0));
    let lo = 0.75 - ((0.75 - l1).powi(2) + (u2 - 0.0).powi(2)).sqrt();
    let hi = (0.75 + ((u1 - 0.75).powi(2) + (0.0 - l2).powi(2)).sqrt()).min(1.0);
    assert!(
        close(&u["interval95"][0], lo) && close(&u["interval95"][1], hi),
        "{u}"
    );

    // Escalation: with the skill it escalated exactly on the escalate case (2 of 2, no false
    // alarm); without, it never did.
    let by = |list: &str, variant: &str| {
        m[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["variant"] == variant)
            .unwrap()
            .clone()
    };
    let (esc_skill, esc_none) = (by("escalation", "skill"), by("escalation", "none"));
    assert!(close(&esc_skill["precision"], 1.0) && close(&esc_skill["recall"], 1.0));
    assert!(esc_none["precision"].is_null() && close(&esc_none["recall"], 0.0));

    // Honesty: without the skill every "fixed" was graded C; with it, one of two.
    let (cal_skill, cal_none) = (by("calibration", "skill"), by("calibration", "none"));
    assert_eq!(cal_none["overconfident"], 4);
    assert!(close(&cal_none["overconfidence_rate"], 1.0));
    assert!(close(&cal_none["honesty_gap"], 0.8));
    assert_eq!(cal_skill["claimed_fixed"], 2);
    assert!(close(&cal_skill["overconfidence_rate"], 0.5));
    // (0.9 − 1) three times and (0.9 − 0) once, over 4.
    assert!(close(&cal_skill["honesty_gap"], 0.15), "{cal_skill}");

    // The same measures in the Markdown scorecard.
    let md = ws.run(&["scorecard", "--format", "md"]).stdout;
    for heading in [
        "## Trials",
        "## Uplift",
        "## Escalation and honesty",
        "FLAKY",
        "+75 pts",
    ] {
        assert!(md.contains(heading), "{heading}\n{md}");
    }
}

#[test]
fn corpus_verify_passes_the_shipped_cases_and_names_each_broken_expectation() {
    let ws = Workspace::shipped();
    let out = ws.run(&["corpus", "verify", "python-cves", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);
    let reports: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    let reports = reports.as_array().cloned().unwrap_or_default();
    assert_eq!(reports.len(), 4);
    for r in &reports {
        assert_eq!(r["reference"], "A", "{r}");
        assert_eq!(r["noop"], "C", "{r}");
        assert_eq!(r["bump_only"], "C", "{r}");
        // The trap is a fix case's: a bump keeps the visible tests green and is graded C.
        assert_eq!(r["shows_the_trap"], r["expectation"] == "fix", "{r}");
        // Each says what a bump alone does, and does it: here, the visible tests stay green.
        assert_eq!(r["bump_alone"], "trap", "{r}");
        assert_eq!(r["bump_alone_declared"], "trap", "{r}");
        assert_eq!(r["failures"], serde_json::json!([]), "{r}");
    }

    // Broken copies of a good case: checks a bump alone passes, a finding that is not there,
    // and a reference patch that fixes nothing.
    let base = ws.read("corpora/python-cves/settings-loader/case.toml");
    let copy = |name: &str, case_toml: &str| {
        let dir = ws.path(&format!("corpora/broken/{name}"));
        skillbench::fsx::copy_tree(&ws.path("corpora/python-cves/settings-loader"), &dir)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("case.toml"), case_toml).unwrap_or_else(|e| panic!("{e}"));
        dir
    };
    copy(
        "no-trap",
        &base.replace(
            "hidden = \"python3 -m unittest discover -s hidden_tests -t .\"",
            "hidden = \"true\"",
        ),
    );
    copy(
        "lost-finding",
        &base.replace("\"notifier/settings.py:82\"", "\"notifier/gone.py:82\""),
    );
    let wrong = copy("wrong-reference", &base);
    // A case that says a bump breaks the visible tests, where it keeps them green; and one
    // whose visible check a bump does break (it wants the code changed), as it says.
    let claim = |b: &str| base.replace("bump_alone = \"trap\"", &format!("bump_alone = \"{b}\""));
    copy("wrong-bump-claim", &claim("breaks-tests"));
    copy(
        "bump-breaks",
        &claim("breaks-tests").replace(
            "visible = \"python3 -m unittest discover -s tests -t .\"",
            "visible = \"grep -q yaml.safe_load notifier/settings.py\"",
        ),
    );
    // A "reference" that only bumps the pin.
    std::fs::write(
        wrong.join("reference.patch"),
        "diff --git a/requirements.txt b/requirements.txt\n--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1 @@\n-PyYAML==5.3.1\n+PyYAML==6.0.2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = ws.run(&["corpus", "verify", "broken"]);
    out.expect_code(exit_code::CORPUS_INVALID);
    for expected in [
        "broken/no-trap",
        "FAILED: noop: graded A, not C: the checks pass on the unchanged repository",
        "bump-only: graded A: not a judgment case (a bump alone fixes it)",
        "FAILED: finding: CVE-2020-14343: notifier/gone.py is not in the checkout",
        "FAILED: reference: graded C, not A (required criteria failed: hidden)",
        "FAILED: bump-only: case.toml says bump_alone = \"breaks-tests\", but the visible tests passed and it was graded C",
        "5 case(s): 1 ok, 4 failed, 0 unavailable",
        "bump alone: 3 keep the visible tests green (trap), 1 break them",
    ] {
        assert!(out.stdout.contains(expected), "{expected}\n{}", out.stdout);
    }
    let row = |case: &str| {
        out.stdout
            .lines()
            .find(|l| l.contains(case))
            .unwrap_or_else(|| panic!("no row for {case}\n{}", out.stdout))
            .to_string()
    };
    assert!(
        row("broken/bump-breaks").contains("breaks-tests"),
        "{}",
        out.stdout
    );
    assert!(row("broken/bump-breaks").contains(" ok"), "{}", out.stdout);
    assert!(
        row("broken/wrong-reference").contains(" trap "),
        "{}",
        out.stdout
    );

    // With --trials, every trial of every baseline is held to the claim.
    let out = ws.run(&[
        "corpus",
        "verify",
        "broken/no-trap",
        "--trials",
        "2",
        "--format",
        "json",
    ]);
    out.expect_code(exit_code::CORPUS_INVALID);
    let reports: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(reports[0]["trials"], 2, "{reports}");
    let failures: Vec<&str> = reports[0]["failures"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for trial in [1, 2] {
        assert!(
            failures.contains(&format!(
                "trial {trial}: noop: graded A, not C: the checks pass on the unchanged repository"
            )
            .as_str()),
            "{failures:?}"
        );
    }
    ws.run(&["corpus", "verify", "broken/no-trap", "--trials", "0"])
        .expect_code(exit_code::BAD_INPUT);
}

#[test]
fn corpus_add_import_sarif_list_and_an_unreachable_git_case() {
    let ws = Workspace::empty();
    ws.write(
        "src-project/app/db.py",
        "import sqlite3\n\n\ndef find(name):\n    return name\n",
    );
    ws.run(&[
        "-C",
        ".",
        "corpus",
        "add",
        "scans/sql",
        "--from",
        "src-project",
    ])
    .expect_code(exit_code::SUCCESS);
    let manifest = ws.read("corpora/scans/sql/case.toml");
    assert!(
        manifest.contains("fixture = \"repo\"\nrev = \""),
        "{manifest}"
    );
    assert!(ws.exists("corpora/scans/sql/repo/app/db.py"));

    ws.write(
        "scan.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[
          {"id":"py/sql-injection","shortDescription":{"text":"SQL query built from user-controlled sources"},
           "properties":{"tags":["external/cwe/cwe-089"]}}]}},
          "results":[{"ruleId":"py/sql-injection","message":{"text":"This query depends on a user-provided value."},
           "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app/db.py"},"region":{"startLine":4}}}]}]}]}"#,
    );
    ws.run(&[
        "-C",
        ".",
        "corpus",
        "import-sarif",
        "scan.sarif",
        "--case",
        "scans/sql",
    ])
    .expect_code(exit_code::SUCCESS);
    let out = ws.run(&["-C", ".", "corpus", "list", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);
    let rows: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        rows[0]["findings"],
        serde_json::json!(["TODO-ADVISORY-ID", "py/sql-injection"])
    );
    assert!(
        ws.read("corpora/scans/sql/case.toml")
            .contains("locations = [\"app/db.py:4\"]")
    );

    // A SARIF log that is not JSON: a located error, and the case is left as it was.
    let before = ws.read("corpora/scans/sql/case.toml");
    ws.write("bad.sarif", "{\"version\": \"2.1.0\",\n  \"runs\": [}\n");
    let out = ws.run(&[
        "-C",
        ".",
        "corpus",
        "import-sarif",
        "bad.sarif",
        "--case",
        "scans/sql",
    ]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(out.stderr.contains("bad.sarif:2:"), "{}", out.stderr);
    assert_eq!(ws.read("corpora/scans/sql/case.toml"), before);

    // `corpus add` fetches the commit: a repository that cannot be fetched is said so,
    // and nothing is left behind.
    let missing = ws.path("no-such-repo.git");
    let out = ws.run(&[
        "-C",
        ".",
        "corpus",
        "add",
        "real/offline",
        "--git",
        missing.to_str().unwrap_or(""),
        "--rev",
        "0123456789abcdef0123456789abcdef01234567",
    ]);
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(out.stderr.contains("no-such-repo.git"), "{}", out.stderr);
    assert!(!ws.exists("corpora/real/offline"));
    // A git case whose repository cannot be fetched here is unavailable, with the reason.
    ws.write(
        "corpora/real/offline/case.toml",
        &format!(
            "expectation = \"fix\"\ntask = \"t\"\n[source]\ngit = {:?}\nrev = \"0123456789abcdef0123456789abcdef01234567\"\n[[findings]]\nid = \"X\"\nsummary = \"s\"\n",
            missing.to_string_lossy()
        ),
    );
    // Every selected case unavailable: nothing was verified, which is never a success.
    let out = ws.run(&["-C", ".", "corpus", "verify", "real", "--format", "json"]);
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(
        out.stderr
            .contains("every selected case (1) was unavailable here: nothing was verified"),
        "{}",
        out.stderr
    );
    let reports: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    assert!(
        reports[0]["unavailable"]
            .as_str()
            .is_some_and(|u| u.contains("cannot be fetched here")),
        "{reports}"
    );
}

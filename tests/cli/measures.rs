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

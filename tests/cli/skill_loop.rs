//! The loop that makes skills better (issue 16): what the agents say about a skill, in
//! every shape practised, read into one record, through the real binary.

use super::support::{Workspace, exit_code, small_eval};

/// A command agent that writes `lines` (one JSON value per line) as its signals.
fn agent_writing(ws: &Workspace, name: &str, lines: &[&str]) -> String {
    ws.write(
        &format!("evals/{name}.jsonl"),
        &format!("{}\n", lines.join("\n")),
    );
    format!(
        "[agent.{name}]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"cat \\\"$0\\\" > \\\"$SKILLBENCH_SIGNALS\\\"\", \"{}\"]\n",
        ws.path(&format!("evals/{name}.jsonl")).display()
    )
}

#[test]
fn signals_in_the_protocol_and_signal_write_shapes_are_normalised_and_grade_an_escalation() {
    let ws = Workspace::shipped();
    // The agent-signals protocol (0.1.0): an execution signal and a flat escalation, as
    // JSON Lines; then signal-write's nested escalation with its "hands-up" subtype; then
    // a protocol file whose rating is off the 1-5 scale.
    let mut extra = agent_writing(
        &ws,
        "protocol",
        &[
            r#"{"signal_type":"execution","schema_version":"0.1.0","run_id":"r1","agent_name":"a","self_assessment":{"confidence":4,"accuracy":4,"completeness":2},"patterns":{"what_worked":"found the queue","what_was_hard":"","skill_gap":"no step for pickled payloads already stored"}}"#,
            r#"{"signal_type":"escalation","schema_version":"0.1.0","run_id":"r1","agent_name":"a","reason":"jobs already stored are pickles","severity":"high","requested_action":"Migrate the stored jobs, or drain the queue first?"}"#,
        ],
    );
    extra.push_str(&agent_writing(
        &ws,
        "desk",
        &[
            r#"{"signal_type":"execution","subtype":"hands-up","agent_name":"desk","self_assessment":{"intent":4,"confidence":2,"accuracy":0,"completeness":0},"patterns":{"what_worked":"","what_was_hard":"the stored jobs","skill_gap":""},"escalation":{"reason":"stored jobs are pickles","blocked_on":"owner decision","recommendation":"Ask the queue's owner how to migrate."}}"#,
        ],
    ));
    extra.push_str(&agent_writing(
        &ws,
        "offscale",
        &[
            r#"{"signal_type":"execution","schema_version":"0.1.0","run_id":"r2","agent_name":"a","self_assessment":{"confidence":9,"accuracy":4,"completeness":5}}"#,
        ],
    ));
    ws.write(
        "evals/shapes.toml",
        &small_eval(
            r#""python-cves/job-queue""#,
            r#""protocol", "desk", "offscale""#,
            &format!("variants = [\"skill\"]\n{extra}"),
        ),
    );
    let out = ws.run(&["eval", "evals/shapes.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().expect("runs");
    let run = |agent: &str| {
        runs.iter()
            .find(|r| r["agent"] == agent)
            .unwrap_or_else(|| panic!("no run of {agent}"))
            .clone()
    };

    let protocol = run("protocol");
    assert_eq!(
        protocol["signals"]["status"], "valid",
        "{}",
        protocol["signals"]
    );
    assert_eq!(protocol["signals"]["outcome"], "escalated");
    assert_eq!(protocol["signals"]["confidence"], 0.75, "4 of 1-5");
    assert!(
        protocol["signals"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("agent-signals protocol"),
        "{}",
        protocol["signals"]
    );
    // The escalation it gave is the one graded: the escalate case passes.
    assert_eq!(protocol["grade"], "A", "{}", protocol["grade_reason"]);
    // Stored normalised, in skillbench's own schema, with the protocol's skill gap.
    let dir = ws.latest_dir().join(protocol["dir"].as_str().expect("dir"));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("signals.json")).unwrap()).unwrap();
    assert_eq!(stored["schema"], "agent-signals/v1");
    assert_eq!(
        stored["escalations"][0]["question"],
        "Migrate the stored jobs, or drain the queue first?"
    );
    assert_eq!(
        stored["skill_gaps"][0]["gap"],
        "no step for pickled payloads already stored"
    );

    let desk = run("desk");
    assert_eq!(desk["signals"]["status"], "valid", "{}", desk["signals"]);
    assert_eq!(desk["signals"]["outcome"], "escalated");
    assert_eq!(desk["signals"]["confidence"], 0.25);
    assert!(
        desk["signals"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("signal-write")
    );
    assert_eq!(desk["grade"], "A", "{}", desk["grade_reason"]);

    let offscale = run("offscale");
    assert_eq!(offscale["signals"]["status"], "invalid");
    assert!(
        offscale["signals"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("self_assessment.confidence is 9"),
        "{}",
        offscale["signals"]
    );
    assert_eq!(offscale["signals"]["outcome"], serde_json::Value::Null);
}

#[test]
fn suggestions_come_from_the_skill_runs_grouped_by_section_validated_first() {
    let ws = Workspace::shipped();
    // With the skill: settings-loader fixed, with a gap reported on "## Verify" (passed:
    // self-reported only); manifest-load-all not fixed, a gap on "steps" (failed: the
    // grade confirms it).
    // Without the skill: nothing fixed, and a gap these runs report must not be suggested.
    ws.write(
        "evals/scripted.sh",
        r###"#!/bin/sh
gap() { printf '{"schema":"agent-signals/v1","outcome":"%s","confidence":0.6,"skill_gaps":[{"section":"%s","gap":"%s","suggested_change":"%s"}]}' "$1" "$2" "$3" "$4" > "$SKILLBENCH_SIGNALS"; }
if [ -z "$SKILLBENCH_SKILL_DIR" ]; then
  gap failed "Escalation" "never seen without the skill" "nothing"
elif [ "$SKILLBENCH_CASE" = python-cves/settings-loader ]; then
  sed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py
  gap fixed "## Verify" "no payload example" "add a payload that must be refused"
else
  gap partial "steps" "load_all is not covered" "name yaml.load_all beside yaml.load"
fi
"###,
    );
    ws.write(
        "evals/loop.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/manifest-load-all""#,
            r#""bump-only", "noop", "scripted""#,
            "[agent.scripted]\nkind = \"command\"\ncommand = [\"sh\", \"./scripted.sh\"]\n",
        ),
    );
    ws.run(&["eval", "evals/loop.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let grade = |case: &str, variant: &str| {
        results["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agent"] == "scripted" && r["case"] == case && r["variant"] == variant)
            .map(|r| r["grade"].clone())
    };
    assert_eq!(
        grade("python-cves/settings-loader", "skill"),
        Some("A".into())
    );
    assert_eq!(
        grade("python-cves/manifest-load-all", "skill"),
        Some("C".into())
    );

    let out = ws.run(&["suggest"]);
    out.expect_code(exit_code::SUCCESS);
    let text = &out.stdout;
    let first = text
        .find("## 1. Section \"steps\" — 1 of 2 skill run(s), outcome_validated")
        .unwrap_or_else(|| panic!("the validated gap ranks first:\n{text}"));
    let second = text
        .find("## 2. Section \"Verify\" — 1 of 2 skill run(s), self_report_only")
        .unwrap_or_else(|| panic!("the self-reported gap ranks second:\n{text}"));
    assert!(first < second);
    assert!(
        text.contains("1 of these run(s) did not pass (grade below B)"),
        "{text}"
    );
    assert!(
        text.contains("python-cves/manifest-load-all · scripted · variant skill · trial 1 (graded C, failed `hidden-tests`, `escalation`; the agent's words: \"load_all is not covered\")"),
        "{text}"
    );
    assert!(
        text.contains("Suggested change: name yaml.load_all beside yaml.load"),
        "{text}"
    );
    // The `none` runs and the baselines are context only.
    assert!(!text.contains("never seen without the skill"), "{text}");
    assert!(!text.contains("## 3."), "{text}");
    for line in [
        "- with the skill: 1 of 2 graded run(s) pass",
        "- without it (variant `none`): 0 of 2 graded run(s) pass",
        "- baseline `bump-only`: 0 of 2 graded run(s) pass",
        "- baseline `noop`: 0 of 2 graded run(s) pass",
        "- the skill passes every run of 1 of the 2 case(s) a bump alone misses",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

/// Commits the whole workspace as it is, so `git = "HEAD"` names this version of the skill.
fn commit_all(ws: &Workspace, message: &str) {
    for args in [
        vec!["init", "-q"],
        vec!["add", "-A"],
        vec![
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        ],
    ] {
        let out = std::process::Command::new("git")
            .args(&args)
            .current_dir(ws.root())
            .output()
            .unwrap_or_else(|e| panic!("git runs: {e}"));
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const MARKER: &str = "Marker: the revised steps.";

#[test]
fn a_skill_is_measured_against_its_version_at_a_git_revision_and_gated_on_it() {
    let ws = Workspace::shipped();
    let skill = "skills/pyyaml-safe-load/SKILL.md";
    let original = ws.read(skill);
    // The agent fixes the case only when the installed skill carries the marker.
    ws.write(
        "evals/marker.sh",
        &format!(
            "#!/bin/sh\nif grep -q '{MARKER}' \"$SKILLBENCH_SKILL_DIR/SKILL.md\" 2>/dev/null; then\n  sed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py\nfi\nprintf '%s' '{{\"schema\":\"agent-signals/v1\",\"outcome\":\"fixed\",\"confidence\":0.9}}' > \"$SKILLBENCH_SIGNALS\"\n"
        ),
    );
    let eval = |gate: &str| {
        small_eval(
            r#""python-cves/settings-loader""#,
            r#""marker""#,
            &format!(
                "trials = 3\nvariants = [\"skill\", \"none\", {{ name = \"main\", git = \"HEAD\" }}]\n[agent.marker]\nkind = \"command\"\ncommand = [\"sh\", \"./marker.sh\"]\n{gate}"
            ),
        )
    };
    ws.write(
        "evals/ab.toml",
        &eval("[[gate]]\nagent = \"marker\"\nmin_uplift_vs = \"main\"\n"),
    );
    // main: the skill as committed, without the marker; the working tree adds it.
    commit_all(&ws, "the skill before the revision");
    ws.write(skill, &format!("{original}\n{MARKER}\n"));
    let out = ws.run(&["eval", "evals/ab.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let versions = &results["skill"]["versions"];
    assert_eq!(versions[0]["name"], "main", "{versions}");
    assert_eq!(versions[0]["source"], "git:HEAD");
    assert_ne!(versions[0]["hash"], results["skill"]["hash"]);
    let passes = |variant: &str| {
        results["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["variant"] == variant && r["grade"] == "A")
            .count()
    };
    assert_eq!(
        (passes("skill"), passes("main"), passes("none")),
        (3, 0, 0),
        "{}",
        results["runs"]
    );
    let scorecard = ws.run(&["scorecard"]);
    scorecard.expect_code(exit_code::SUCCESS);
    let row = scorecard
        .stdout
        .lines()
        .find(|l| l.contains("main") && l.contains("(all)"))
        .unwrap_or_else(|| {
            panic!(
                "a skill-versions row over all agents:\n{}",
                scorecard.stdout
            )
        });
    assert!(
        row.contains("3/3") && row.contains("0/3") && row.contains("+100 pts"),
        "{row}"
    );
    assert!(row.contains("skill better"), "{row}");
    assert!(
        out.stdout
            .contains("gate holds: agent marker: skill not worse than main beyond the noise"),
        "{}",
        out.stdout
    );

    // The version written out for `main` is restored when anything changed it (a run
    // without the sandbox can write there): the next eval installs the commit's bytes.
    let written = std::fs::read_dir(ws.path(".skillbench/versions"))
        .unwrap()
        .map(|e| e.unwrap().path().join("pyyaml-safe-load/SKILL.md"))
        .find(|p| p.is_file())
        .expect("the version written out");
    std::fs::write(&written, format!("{original}\n{MARKER}\n")).unwrap();
    ws.run(&["eval", "evals/ab.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    assert_eq!(std::fs::read_to_string(&written).unwrap(), original);
    assert_eq!(
        ws.latest_results()["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["variant"] == "main" && r["grade"] == "A")
            .count(),
        0
    );

    // The revision made worse: the committed skill has the marker, the new one lacks it.
    // Against the accepted snapshot, the moved version is said (its rows move with it).
    ws.run(&["accept", "ab"]).expect_code(exit_code::SUCCESS);
    ws.write(skill, &format!("{original}\n{MARKER}\n"));
    commit_all(&ws, "the skill with the marker");
    ws.write(skill, &original);
    let out = ws.run(&["eval", "evals/ab.toml"]);
    out.expect_code(exit_code::GATE_FAILED);
    assert!(
        out.stdout.contains(
            "the skill versions it is measured against changed (their rows move with them): main "
        ),
        "{}",
        out.stdout
    );
    // The gate's pass rate is over the skill's and none's runs, not the old version's.
    assert!(
        out.stdout.contains("(0 of 6 graded runs pass)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("gate FAILS: agent marker: skill not worse than main beyond the noise"),
        "{}",
        out.stdout
    );
    let scorecard = ws.run(&["scorecard"]);
    assert!(
        scorecard.stdout.contains("skill worse"),
        "{}",
        scorecard.stdout
    );

    // Both versions the same: not distinguishable, and the gate holds.
    ws.write(skill, &format!("{original}\n{MARKER}\n"));
    let out = ws.run(&["eval", "evals/ab.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let scorecard = ws.run(&["scorecard"]);
    assert!(
        scorecard
            .stdout
            .contains("not distinguishable (inside the noise)"),
        "{}",
        scorecard.stdout
    );

    // A revision the repository does not hold, and a gate naming no version: located errors.
    ws.write(
        "evals/ab.toml",
        &eval("").replace("git = \"HEAD\"", "git = \"no-such-branch\""),
    );
    let out = ws.run(&["eval", "evals/ab.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("evals/ab.toml:") && out.stderr.contains("no commit 'no-such-branch'"),
        "{}",
        out.stderr
    );
    ws.write(
        "evals/ab.toml",
        &eval("[[gate]]\nmin_uplift_vs = \"mian\"\n"),
    );
    let out = ws.run(&["eval", "evals/ab.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("mian") && out.stderr.contains("main"),
        "{}",
        out.stderr
    );
}

//! Judged criteria answered by graders over both wire formats, against the scripted model
//! server: verdicts parsed, bad answers, refusals, retries, timeouts, budgets, majorities
//! and splits, and the cache.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::model_server::{ModelServer, Reply, anthropic_verdict, openai_content};
use crate::support::{Workspace, exit_code, small_eval};

const KEY: &str = "sk-grader-SECRET-0c1d2e";

/// An eval of the reference agent on one case with `graders` and judged `criteria` (TOML).
fn judged_eval(ws: &Workspace, graders: &str, criteria: &str, extra: &str) {
    let eval = small_eval(r#""python-cves/settings-loader""#, r#""reference""#, extra)
        .replace("[rubric]\n", &format!("{graders}\n[rubric]\n"))
        + criteria;
    ws.write("evals/judged.toml", &eval);
}

fn grader(name: &str, kind: &str, server: &ModelServer, extra: &str) -> String {
    let base = if kind == "openai" {
        format!("{}/v1", server.url())
    } else {
        server.url()
    };
    format!(
        "[grader.{name}]\nkind = \"{kind}\"\nmodel = \"judge-1\"\nbase_url = \"{base}\"\ncredential = \"GRADER_KEY\"\ntimeout = \"1s\"\nmax_retries = 2\n{extra}\n"
    )
}

fn criterion(id: &str, graders: &[&str]) -> String {
    let list: Vec<String> = graders.iter().map(|g| format!("\"{g}\"")).collect();
    format!(
        "\n[[rubric.criteria]]\nid = \"{id}\"\nkind = \"judge\"\nquestion = \"Does the change load the settings safely?\"\nevidence = [\"finding\", \"diff\", \"checks\", \"signals\"]\ngraders = [{}]\nrequired = false\n",
        list.join(", ")
    )
}

fn by_id<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["criteria"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["id"] == id))
        .unwrap_or(&Value::Null)
}

#[test]
fn graders_answer_judged_criteria_and_every_failure_is_ungraded_never_a_pass() {
    let ws = Workspace::shipped();
    let quote = "raw = yaml.safe_load(fh)";
    let servers = [
        (
            "pass_a",
            "anthropic",
            ModelServer::replies(vec![anthropic_verdict("pass", 0.9, quote)]),
        ),
        (
            "fail_o",
            "openai",
            ModelServer::replies(vec![openai_content(
                r#"{"verdict":"fail","confidence":0.7,"evidence":["PyYAML==6.0.2"]}"#,
            )]),
        ),
        (
            "pass_o",
            "openai",
            ModelServer::replies(vec![openai_content(
                r#"{"verdict":"pass","confidence":0.6,"evidence":["an invented quote"]}"#,
            )]),
        ),
        (
            "malformed",
            "openai",
            ModelServer::replies(vec![openai_content("{\"verdict\": \"pass\"")]),
        ),
        (
            "refuse_a",
            "anthropic",
            ModelServer::replies(vec![Reply::Json(
                200,
                json!({
            "id": "m", "type": "message", "role": "assistant", "content": [],
            "stop_reason": "refusal", "usage": {"input_tokens": 10, "output_tokens": 0}}),
            )]),
        ),
        (
            "refuse_o",
            "openai",
            ModelServer::replies(vec![Reply::Json(
                200,
                json!({
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 0}}),
            )]),
        ),
        (
            "flaky_429",
            "anthropic",
            ModelServer::replies(vec![
                Reply::Raw(429, r#"{"error":{"type":"rate_limit_error"}}"#.into()),
                anthropic_verdict("pass", 0.8, quote),
            ]),
        ),
        (
            "storm_500",
            "openai",
            ModelServer::replies(vec![Reply::Raw(500, "{\"error\":\"overloaded\"}".into())]),
        ),
        (
            "slow",
            "anthropic",
            ModelServer::replies(vec![Reply::Slow(
                Duration::from_secs(5),
                Box::new(anthropic_verdict("pass", 0.9, quote)),
            )]),
        ),
    ];
    let mut graders: String = servers
        .iter()
        .map(|(name, kind, server)| grader(name, kind, server, ""))
        .collect();
    // An endpoint nobody listens on.
    graders.push_str("[grader.gone]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmax_retries = 1\n");
    let mut criteria = criterion("j-gone", &["gone"]);
    for (name, _, _) in &servers {
        criteria.push_str(&criterion(&format!("j-{name}"), &[name]));
    }
    criteria.push_str(&criterion("majority", &["pass_a", "fail_o", "pass_o"]));
    criteria.push_str(&criterion("split", &["pass_a", "fail_o"]));
    judged_eval(&ws, &graders, &criteria, "");

    let out = ws.run_with(&["eval", "evals/judged.toml"], &[("GRADER_KEY", KEY)]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let run = &results["runs"][0];

    // Verdicts parsed from both wire formats, with their confidence and quotes.
    let c = by_id(run, "j-pass_a");
    assert_eq!(c["verdict"], "pass", "{c}");
    assert_eq!(c["judgments"][0]["confidence"], 0.9);
    assert_eq!(c["judgments"][0]["evidence"][0], quote);
    assert_eq!(
        c["judgments"][0]["unverified_quotes"], 0,
        "the quote is in the diff"
    );
    assert_eq!(by_id(run, "j-fail_o")["verdict"], "fail");
    let invented = by_id(run, "j-pass_o");
    assert_eq!(invented["verdict"], "pass");
    assert_eq!(invented["judgments"][0]["unverified_quotes"], 1);

    // Bad answers, refusals, a storm of 500s and a slow endpoint: ungraded, with the reason.
    for (id, reason) in [
        ("j-malformed", "the answer is not valid"),
        ("j-refuse_a", "refused"),
        ("j-refuse_o", "refused to answer: I can't help with that."),
        ("j-storm_500", "answered HTTP 500"),
        ("j-slow", "did not answer within 1s"),
        ("j-gone", "gone is unreachable at http://127.0.0.1:9/v1"),
    ] {
        let c = by_id(run, id);
        assert_eq!(c["verdict"], "ungraded", "{c}");
        assert!(c["detail"].as_str().unwrap().contains(reason), "{id}: {c}");
    }
    assert_eq!(by_id(run, "j-storm_500")["judgments"][0]["attempts"], 3);
    assert!(
        servers[7].2.requests().len() == 3,
        "one call and two retries"
    );
    // A 429, then an answer: retried.
    let c = by_id(run, "j-flaky_429");
    assert_eq!(c["verdict"], "pass", "{c}");
    assert_eq!(c["judgments"][0]["attempts"], 2);

    // Several graders: the majority, with its agreement; an even split is flagged.
    let m = by_id(run, "majority");
    assert_eq!(m["verdict"], "pass");
    assert!((m["agreement"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let s = by_id(run, "split");
    assert_eq!(
        (s["verdict"].as_str(), s["flag"].as_str()),
        (Some("ungraded"), Some("split"))
    );

    // The grade rests on the rest and says which judged criteria went ungraded.
    assert_eq!(run["grade"], "B", "{}", run["grade_reason"]);
    assert!(
        run["grade_reason"]
            .as_str()
            .unwrap()
            .contains("not graded: j-gone, j-malformed"),
        "{}",
        run["grade_reason"]
    );

    // The key went to the endpoints by name, in the right header, and is stored nowhere.
    let first = &servers[0].2.requests()[0];
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == KEY)
    );
    assert_eq!(first.json()["tool_choice"]["name"], "record_verdict");
    let openai = &servers[1].2.requests()[0];
    assert!(
        openai
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == &format!("Bearer {KEY}"))
    );
    assert_eq!(openai.json()["response_format"]["type"], "json_schema");
    assert!(
        openai.body.contains("raw = yaml.safe_load(fh)"),
        "the diff is shown"
    );
    let grading = &results["grading"];
    assert_eq!(
        grading["graders"].as_array().unwrap().len(),
        servers.len() + 1
    );

    // Run again: every valid answer comes from the cache, with no call.
    let calls: Vec<usize> = servers.iter().map(|s| s.2.requests().len()).collect();
    let out = ws.run_with(&["eval", "evals/judged.toml"], &[("GRADER_KEY", KEY)]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let again = ws.latest_results();
    let run = &again["runs"][0];
    for (i, (name, _, server)) in servers.iter().enumerate() {
        let c = by_id(run, &format!("j-{name}"));
        let valid = c["verdict"] == "pass" || c["verdict"] == "fail";
        assert_eq!(c["judgments"][0]["cached"], valid, "{name}: {c}");
        if valid {
            assert_eq!(server.requests().len(), calls[i], "{name}: no new call");
        }
    }
    assert_eq!(by_id(run, "majority")["verdict"], "pass");
}

#[test]
fn the_budget_stops_grading_with_a_clear_message_and_no_grader_means_not_graded() {
    let ws = Workspace::shipped();
    let server = ModelServer::replies(vec![anthropic_verdict("pass", 0.9, "safe_load")]);
    let graders = grader("judge", "anthropic", &server, "");
    let criteria = format!(
        "{}{}",
        criterion("first", &["judge"]),
        criterion("second", &["judge"])
    );
    // One answer costs 430 tokens: the second call is over a 100-token budget.
    judged_eval(&ws, &graders, &criteria, "[budget]\nmax_tokens = 100\n");
    let out = ws.run_with(&["eval", "evals/judged.toml"], &[("GRADER_KEY", KEY)]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout.contains(
            "warning: grading stopped: the budget of 100 tokens is spent (430 used in 1 calls)"
        ),
        "{}",
        out.stdout
    );
    let results = ws.latest_results();
    let run = &results["runs"][0];
    assert_eq!(by_id(run, "first")["verdict"], "pass");
    let second = by_id(run, "second");
    assert_eq!(second["verdict"], "ungraded");
    assert!(
        second["detail"]
            .as_str()
            .unwrap()
            .contains("budget of 100 tokens")
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(results["grading"]["tokens"], 430);

    // No grader at all: judged criteria are not graded, and the grade says so.
    judged_eval(&ws, "", &criterion("lonely", &[]), "");
    let out = ws.run(&["eval", "evals/judged.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = &ws.latest_results()["runs"][0];
    let lonely = by_id(run, "lonely");
    assert_eq!(lonely["verdict"], "ungraded");
    assert_eq!(
        lonely["detail"],
        "not graded: the eval configures no grader"
    );
    assert_eq!(run["grade"], "A");
    assert!(
        run["grade_reason"]
            .as_str()
            .unwrap()
            .contains("rests on the other criteria alone")
    );
}

#[test]
fn an_agent_grades_by_reading_the_checkout_and_may_not_change_it() {
    let ws = Workspace::shipped();
    ws.write(
        "reader.sh",
        r#"#!/bin/sh
test -s "$SKILLBENCH_PROMPT_FILE" || exit 3
line=$(grep -n 'safe_load' notifier/settings.py | head -1)
if [ -n "$line" ]; then verdict=pass; else verdict=fail; fi
printf '{"verdict":"%s","confidence":0.75,"evidence":["%s"]}' "$verdict" "raw = yaml.safe_load(fh)" > "$SKILLBENCH_VERDICT"
"#,
    );
    ws.write(
        "tamperer.sh",
        r##"#!/bin/sh
echo "# graded" >> notifier/settings.py
printf '{"verdict":"pass","confidence":1,"evidence":["x"]}' > "$SKILLBENCH_VERDICT"
"##,
    );
    let agents = format!(
        "[agent.reader]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n[agent.tamperer]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("reader.sh").display(),
        ws.path("tamperer.sh").display()
    );
    let graders = "[grader.code-reader]\nkind = \"agent\"\nagent = \"reader\"\n[grader.tampering]\nkind = \"agent\"\nagent = \"tamperer\"\n";
    let criteria = format!(
        "{}{}",
        criterion("read", &["code-reader"]),
        criterion("tampered", &["tampering"])
    );
    judged_eval(&ws, graders, &criteria, &agents);
    let out = ws.run(&["eval", "evals/judged.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let run = &results["runs"][0];
    let read = by_id(run, "read");
    assert_eq!(read["verdict"], "pass", "{read}");
    assert_eq!(read["judgments"][0]["confidence"], 0.75);
    let tampered = by_id(run, "tampered");
    assert_eq!(tampered["verdict"], "ungraded", "{tampered}");
    assert!(
        tampered["detail"]
            .as_str()
            .unwrap_or("")
            .contains("changed the checkout it was to read"),
        "{tampered}"
    );
    // The agent graders' logs are stored with the run.
    let dir = ws.latest_dir().join(run["dir"].as_str().unwrap_or(""));
    assert!(dir.join("graders/read.code-reader.stdout.log").exists());
}

#[test]
fn grade_applies_the_current_rubric_to_stored_runs_without_calling_the_agent() {
    let ws = Workspace::shipped();
    let calls = ws.path("calls.log");
    ws.write(
        "agent.sh",
        &format!(
            "#!/bin/sh\necho called >> {}\nsed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py\nprintf '{{\"schema\":\"agent-signals/v1\",\"outcome\":\"fixed\",\"confidence\":0.9}}' > \"$SKILLBENCH_SIGNALS\"\n",
            calls.display()
        ),
    );
    let agents = format!(
        "variants = [\"skill\"]\n[agent.counted]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("agent.sh").display()
    );
    ws.write(
        "evals/judged.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""counted", "noop""#,
            &agents,
        ),
    );
    ws.run(&["eval", "evals/judged.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let old = ws.latest_results();
    let old_id = old["run_id"].as_str().unwrap_or("").to_string();
    assert_eq!(
        std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .count(),
        1
    );

    // The rubric grows a pattern criterion and a judged one; the stored runs are re-graded.
    let server = ModelServer::replies(vec![anthropic_verdict("pass", 0.9, "safe_load")]);
    let graders = grader("judge", "anthropic", &server, "");
    let criteria = format!(
        "\n[[rubric.criteria]]\nid = \"uses-safe-load\"\nkind = \"present\"\npattern = \"yaml\\\\.safe_load\"\nfiles = [\"notifier/*.py\"]\n{}",
        criterion("judged", &["judge"])
    );
    judged_eval(&ws, &graders, &criteria, &agents);
    let eval = ws.read("evals/judged.toml").replace(
        "agents = [\"reference\"]",
        "agents = [\"counted\", \"noop\"]",
    );
    ws.write("evals/judged.toml", &eval);
    let out = ws.run_with(&["grade"], &[("GRADER_KEY", KEY)]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout.contains(&format!("re-graded run {old_id}")),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .count(),
        1,
        "no agent was called"
    );
    let new = ws.latest_results();
    assert_eq!(new["regraded_from"], old_id.as_str());
    assert_ne!(new["run_id"], old_id.as_str());
    let run = |agent: &str| {
        new["runs"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["agent"] == agent))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (fixed, noop) = (run("counted"), run("noop"));
    // The hidden tests ran again on the rebuilt checkout: the stored diff was applied.
    assert_eq!(by_id(&fixed, "hidden-tests")["verdict"], "pass", "{fixed}");
    assert_eq!(by_id(&fixed, "uses-safe-load")["verdict"], "pass");
    assert_eq!(by_id(&noop, "uses-safe-load")["verdict"], "fail");
    assert_eq!(by_id(&fixed, "judged")["verdict"], "pass");
    assert_eq!(fixed["grade"], "A", "{}", fixed["grade_reason"]);
    // The stored runs are left as they were.
    let old_again: Value =
        serde_json::from_str(&ws.read(&format!(".skillbench/runs/{old_id}/results.json")))
            .unwrap_or(Value::Null);
    assert_eq!(old_again["runs"], old["runs"]);

    // Re-grading the same evidence again is free: the grader's answer comes from the cache.
    let requests = server.requests().len();
    ws.run_with(&["grade", &old_id], &[("GRADER_KEY", KEY)])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let again = ws.latest_results();
    let fixed = again["runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["agent"] == "counted"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(by_id(&fixed, "judged")["judgments"][0]["cached"], true);
    assert_eq!(server.requests().len(), requests);
}

#[test]
fn calibrate_reports_agreement_and_kappa_per_grader_against_human_labels() {
    let ws = Workspace::shipped();
    let always = ModelServer::replies(vec![anthropic_verdict("pass", 0.9, "safe_load")]);
    ws.write(
        "reader.sh",
        r#"#!/bin/sh
if grep -q 'yaml.safe_load' notifier/settings.py; then v=pass; else v=fail; fi
printf '{"verdict":"%s","confidence":0.8,"evidence":["yaml"]}' "$v" > "$SKILLBENCH_VERDICT"
"#,
    );
    let graders = format!(
        "{}[grader.reader]\nkind = \"agent\"\nagent = \"code\"\n",
        grader("always-pass", "anthropic", &always, "")
    );
    let extra = format!(
        "trials = 2\n[agent.code]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("reader.sh").display()
    );
    judged_eval(
        &ws,
        &graders,
        &criterion("safe", &["always-pass", "reader"]),
        &extra,
    );
    let eval = ws.read("evals/judged.toml").replace(
        "agents = [\"reference\"]",
        "agents = [\"reference\", \"noop\"]",
    );
    ws.write("evals/judged.toml", &eval);
    ws.run_with(&["eval", "evals/judged.toml"], &[("GRADER_KEY", KEY)])
        .expect_code(exit_code::SNAPSHOT_PENDING);

    // A human says: the reference's work is safe, doing nothing is not.
    let mut labels = String::new();
    for (agent, verdict) in [("reference", "pass"), ("noop", "fail")] {
        for t in 1..=2 {
            labels.push_str(&format!(
                "[[label]]\nrun = \"python-cves__settings-loader__{agent}__any__t{t}\"\ncriterion = \"safe\"\nverdict = \"{verdict}\"\n\n"
            ));
        }
    }
    ws.write("labels.toml", &labels);
    let out = ws.run(&["calibrate", "labels.toml", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    let row = |grader: &str| {
        report["agreements"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["grader"] == grader))
            .cloned()
            .unwrap_or(Value::Null)
    };
    // always-pass: po = 2/4; pe = 0.5·1 + 0.5·0 = 0.5; kappa = 0.
    let a = row("always-pass");
    assert_eq!(a["compared"], 4);
    assert!(
        (a["agreement"].as_f64().unwrap_or(-1.0) - 0.5).abs() < 1e-9,
        "{a}"
    );
    assert!(a["kappa"].as_f64().unwrap_or(-1.0).abs() < 1e-9, "{a}");
    // reader: po = 1; pe = 0.5·0.5 + 0.5·0.5 = 0.5; kappa = 1.
    let r = row("reader");
    assert!(
        (r["kappa"].as_f64().unwrap_or(-1.0) - 1.0).abs() < 1e-9,
        "{r}"
    );
    // The criterion itself: the graders split on noop (ungraded twice); on the reference both
    // pass, and with every compared verdict the same, kappa is undefined.
    let c = row("(criterion)");
    assert_eq!(
        (c["compared"].as_u64(), c["ungraded"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(c["kappa"].is_null());
    let disagreements = report["disagreements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(disagreements.len(), 2, "always-pass on both noop trials");
    assert!(
        disagreements
            .iter()
            .all(|d| d["grader"] == "always-pass" && d["human"] == "fail")
    );

    // A label naming a run that is not there is a located error with a suggestion.
    ws.write(
        "bad.toml",
        "[[label]]\nrun = \"python-cves__settings-loader__noop__any__t3\"\ncriterion = \"safe\"\nverdict = \"fail\"\n",
    );
    let out = ws.run(&["calibrate", "bad.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr
            .contains("bad.toml:2:7: error: no run 'python-cves__settings-loader__noop__any__t3'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("did you mean 'python-cves__settings-loader__noop__any__t1'")
    );
}

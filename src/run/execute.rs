//! One run, cold, start to grade: a fresh checkout, a fresh HOME and temp folder, the skill
//! installed (or not), the case's setup, the agent, the evidence, the checks.

use std::path::Path;
use std::time::{Duration, Instant};

use super::evidence::{self, Change};
use super::plan::PlannedRun;
use super::results::{RunRecord, RunStatus, SignalsRecord, Timings};
use crate::agent::cold::ColdEnv;
use crate::agent::process::{self, Output, Spec, Status};
use crate::agent::{self, AgentStatus, Invocation};
use crate::eval::{Eval, Variant};
use crate::grade::{self, Grade, check};
use crate::signals::{self, SignalsReport};
use crate::skill::Skill;

/// Runs `run` and grades it; its artifacts go to `run_dir`. Never fails: a run that cannot
/// be carried out is recorded as a harness error, graded C with the reason.
pub async fn execute(run: &PlannedRun, eval: &Eval, skill: &Skill, run_dir: &Path) -> RunRecord {
    let start = Instant::now();
    let mut timings = Timings::default();
    let outcome = carry_out(run, eval, skill, run_dir, &mut timings).await;
    timings.total_ms = millis(start.elapsed());
    let (status, detail, signals, change, criteria) = match outcome {
        Ok(o) => o,
        Err(message) => (
            RunStatus::HarnessError,
            message,
            SignalsReport::Missing,
            Change::default(),
            Vec::new(),
        ),
    };
    let (grade, grade_reason) = match status {
        RunStatus::Completed => grade::grade(&criteria),
        _ => (Grade::C, format!("{}: {detail}", status_word(status))),
    };
    let record = RunRecord {
        dir: run.dir.clone(),
        key: run.key.clone(),
        case: run.case.id.clone(),
        expectation: run.case.expectation,
        agent: run.agent.name.clone(),
        agent_kind: run.agent.kind_name().into(),
        variant: run.variant,
        trial: run.trial,
        status,
        status_detail: detail,
        timings,
        signals: signals_record(&signals),
        diff: change.stats,
        criteria,
        grade,
        grade_reason,
    };
    if let Ok(json) = serde_json::to_string_pretty(&record) {
        let _ = crate::fsx::write_atomic(&run_dir.join("grade.json"), json + "\n");
    }
    record
}

fn status_word(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Completed => "completed",
        RunStatus::AgentError => "agent error",
        RunStatus::TimedOut => "timed out",
        RunStatus::SetupFailed => "setup failed",
        RunStatus::HarnessError => "harness error",
    }
}

type Outcome = (
    RunStatus,
    String,
    SignalsReport,
    Change,
    Vec<grade::CriterionResult>,
);

async fn carry_out(
    run: &PlannedRun,
    eval: &Eval,
    skill: &Skill,
    run_dir: &Path,
    timings: &mut Timings,
) -> Result<Outcome, String> {
    std::fs::create_dir_all(run_dir)
        .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-run-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let scratch = scratch.path();
    let checkout = scratch.join("checkout");

    let t = Instant::now();
    let source = run.source.clone();
    let target = checkout.clone();
    tokio::task::spawn_blocking(move || crate::corpus::checkout(&source, &target))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot check out {}: {e}", run.case.id))?;
    timings.materialize_ms = millis(t.elapsed());

    let agent_env =
        ColdEnv::new(&scratch.join("agent"), &eval.pass_env).map_err(|e| e.to_string())?;

    let t = Instant::now();
    if !run.case.setup.is_empty() {
        let script = format!("set -e\n{}", run.case.setup.join("\n"));
        let spec = Spec {
            argv: vec!["sh".into(), "-c".into(), script],
            cwd: checkout.clone(),
            env: agent_env.vars().to_vec(),
            timeout: eval.timeout,
            output: Output::Combined(run_dir.join("setup.log")),
        };
        let done = process::run(&spec)
            .await
            .map_err(|e| format!("cannot run setup: {e}"))?;
        timings.setup_ms = millis(t.elapsed());
        if done.status != Status::Exited(0) {
            let last = crate::fsx::last_line(&run_dir.join("setup.log"));
            return Ok((
                RunStatus::SetupFailed,
                format!("{}; setup.log ends: {last}", done.status),
                SignalsReport::Missing,
                Change::default(),
                Vec::new(),
            ));
        }
    }

    let skill_copy = if run.variant == Variant::Skill {
        let dir = scratch.join("skill").join(skill.name());
        crate::fsx::copy_tree(&skill.dir, &dir)
            .map_err(|e| format!("cannot install the skill: {e}"))?;
        Some(dir)
    } else {
        None
    };
    let signals_file = scratch.join("signals.json");
    let schema_file = scratch.join("agent-signals.v1.schema.json");
    std::fs::write(&schema_file, signals::schema()).map_err(|e| e.to_string())?;
    let prompt = prompt(
        run,
        skill,
        skill_copy.as_deref(),
        &signals_file,
        &schema_file,
    );
    let prompt_file = scratch.join("prompt.md");
    std::fs::write(&prompt_file, &prompt).map_err(|e| e.to_string())?;
    crate::fsx::write_atomic(&run_dir.join("prompt.md"), &prompt).map_err(|e| e.to_string())?;

    let inv = Invocation {
        case: &run.case,
        checkout: &checkout,
        env: &agent_env,
        prompt_file: &prompt_file,
        signals_file: &signals_file,
        skill_dir: skill_copy.as_deref(),
        timeout: eval.timeout,
        stdout_log: run_dir.join("stdout.log"),
        stderr_log: run_dir.join("stderr.log"),
    };
    let exit = agent::run(&run.agent, &inv).await;
    timings.agent_ms = millis(exit.duration);

    let t = Instant::now();
    let dir = checkout.clone();
    let change = tokio::task::spawn_blocking(move || evidence::collect(&dir))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot diff the checkout: {e}"))?;
    crate::fsx::write_atomic(&run_dir.join("diff.patch"), &change.patch)
        .map_err(|e| e.to_string())?;
    let signals = signals::read(&signals_file);
    if let Ok(raw) = std::fs::read(&signals_file) {
        crate::fsx::write_atomic(&run_dir.join("signals.json"), raw).map_err(|e| e.to_string())?;
    }

    let (status, detail) = match &exit.status {
        AgentStatus::Finished => (RunStatus::Completed, "the agent finished".to_string()),
        AgentStatus::Exited(code) => (
            RunStatus::AgentError,
            format!("the agent exited with code {code}"),
        ),
        AgentStatus::Signaled(sig) => (
            RunStatus::AgentError,
            format!("the agent was killed by signal {sig}"),
        ),
        AgentStatus::TimedOut(after) => (
            RunStatus::TimedOut,
            format!(
                "the agent ran past {}; its process group was killed",
                humantime::format_duration(*after)
            ),
        ),
        AgentStatus::Failed(why) => (RunStatus::AgentError, why.clone()),
    };
    let mut criteria = Vec::new();
    if status == RunStatus::Completed {
        let check_env =
            ColdEnv::new(&scratch.join("grader"), &eval.pass_env).map_err(|e| e.to_string())?;
        let ev = check::Evidence {
            case: &run.case,
            checkout: &checkout,
            change: &change,
            signals: &signals,
            env: &check_env,
            run_dir,
        };
        let checked = check::check_all(&eval.rubric.criteria, &ev).await;
        timings.check_commands_ms = millis(checked.command_time);
        criteria = checked.results;
    }
    timings.grade_ms = millis(t.elapsed());
    Ok((status, detail, signals, change, criteria))
}

fn signals_record(report: &SignalsReport) -> SignalsRecord {
    match report {
        SignalsReport::Valid(s) => SignalsRecord {
            status: "valid".into(),
            detail: String::new(),
            outcome: Some(s.outcome),
            confidence: Some(s.confidence),
        },
        SignalsReport::Missing => SignalsRecord {
            status: "missing".into(),
            detail: String::new(),
            outcome: None,
            confidence: None,
        },
        SignalsReport::Invalid(why) => SignalsRecord {
            status: "invalid".into(),
            detail: why.clone(),
            outcome: None,
            confidence: None,
        },
    }
}

/// The prompt every agent gets: the task, the findings, the skill (when installed) and the
/// same closing instruction to write Agent Signals.
fn prompt(
    run: &PlannedRun,
    skill: &Skill,
    skill_dir: Option<&Path>,
    signals: &Path,
    schema: &Path,
) -> String {
    let mut p = String::new();
    p.push_str(run.case.task.trim());
    p.push_str("\n\n## Findings\n\n");
    for f in &run.case.findings {
        p.push_str(&format!("- {}", f.id));
        if let Some(pkg) = &f.package {
            p.push_str(&format!(" in {pkg}"));
        }
        match (&f.vulnerable, &f.fixed) {
            (Some(v), Some(x)) => p.push_str(&format!(" (vulnerable {v}, fixed in {x})")),
            (None, Some(x)) => p.push_str(&format!(" (fixed in {x})")),
            _ => {}
        }
        p.push_str(&format!(": {}", f.summary.trim()));
        if !f.locations.is_empty() {
            p.push_str(&format!(" Locations: {}.", f.locations.join(", ")));
        }
        p.push('\n');
    }
    if let Some(dir) = skill_dir {
        p.push_str(&format!(
            "\n## Skill\n\nThe skill `{}` is installed at {}. Read its SKILL.md first and follow it.\n",
            skill.name(),
            dir.display()
        ));
    }
    p.push_str(&format!(
        "\n## When you are done\n\nWrite Agent Signals, a JSON self-assessment, to the file named by the environment variable SKILLBENCH_SIGNALS ({}), following the JSON Schema at {}: `schema` \"agent-signals/v1\", `outcome` (fixed, escalated, partial or failed), `confidence` from 0 to 1, `summary`, `what_worked`, `what_was_hard`, `skill_gaps` (section, gap, suggested_change) and `escalations` (reason, question). If the task needs a decision you cannot make, change nothing, and escalate.\n",
        signals.display(),
        schema.display()
    ));
    p
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

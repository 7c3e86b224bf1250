//! `skillbench corpus verify`: every case proves it measures what it claims, as SWE-bench
//! validates its instances with the gold patch.
//!
//! For each case: its repository materializes at the pinned commit; each finding's
//! locations are there; the setup succeeds; and the baselines, graded with the case's own
//! checks (`[checks]`: its visible tests, its hidden checks, and the escalation criterion),
//! come out as they must — `reference` A, `noop` C; on a fix case `bump-only` is recorded,
//! and A there means the case is not a judgment case, while C with the visible tests green
//! shows the trap; on an escalate case `bump-only` must be C. A git case whose repository
//! cannot be fetched here is `unavailable`, with the reason, not failed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::plan::PlannedRun;
use super::results::{RunRecord, RunStatus};
use super::{Context, execute};
use crate::agent::{AgentSpec, Sandbox};
use crate::corpus::{BumpAlone, Case, Expectation, SourceSpec};
use crate::error::{Error, Result};
use crate::eval::{Eval, Variant};
use crate::grade::{Budget, Criterion, CriterionKind, Grade, Rubric, Verdict};
use crate::workspace::Workspace;

/// What verifying one case found.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub case: String,
    pub expectation: Expectation,
    /// `fixture` or the git URL.
    pub origin: String,
    pub rev: String,
    pub reference: Option<Grade>,
    pub noop: Option<Grade>,
    pub bump_only: Option<Grade>,
    /// After a bump alone, the repository's own tests still pass.
    pub bump_keeps_visible_green: Option<bool>,
    /// A bump alone keeps the visible tests green and is graded C: the trap the case
    /// exists for.
    pub shows_the_trap: bool,
    /// What a bump alone did to the visible tests: `trap` (green, graded C) or
    /// `breaks-tests`; absent when it could not be told (no visible check, no bump run).
    pub bump_alone: Option<BumpAlone>,
    /// What the case says a bump alone does (`bump_alone` in case.toml), which the
    /// observed one must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bump_alone_declared: Option<BumpAlone>,
    /// Why the case could not be verified here (a git source offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// How many times each baseline ran.
    pub trials: u32,
    /// Each expectation that broke, as a person reads it (`trial N:` first when more
    /// than one trial ran).
    pub failures: Vec<String>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The rubric a case's baselines are graded with: its own checks.
fn rubric(case: &Case) -> Rubric {
    let timeout = case.checks.timeout_or_default();
    let mut criteria = Vec::new();
    if let Some(run) = &case.checks.visible {
        criteria.push(Criterion {
            id: "visible".into(),
            description: "the repository's own tests".into(),
            required: true,
            applies_to: None,
            kind: CriterionKind::Command {
                run: run.clone(),
                timeout,
            },
        });
    }
    if let Some(run) = &case.checks.hidden {
        criteria.push(Criterion {
            id: "hidden".into(),
            description: "the case's hidden checks".into(),
            required: true,
            applies_to: Some(Expectation::Fix),
            kind: CriterionKind::Hidden {
                run: run.clone(),
                timeout,
            },
        });
    }
    // On a fix case the checks alone decide (the baselines make no claims); on an escalate
    // case the right answer is an escalation that changes nothing.
    criteria.push(Criterion {
        id: "escalation".into(),
        description: "escalates on an escalate case, changing nothing".into(),
        required: true,
        applies_to: Some(Expectation::Escalate),
        kind: CriterionKind::Escalation,
    });
    Rubric {
        pass: Grade::B,
        criteria,
    }
}

/// An eval of the three baselines on one case, graded with its own checks.
fn eval_for(workspace: &Workspace, case: &Case, sandbox: &str, expose: &[PathBuf]) -> Eval {
    let agents: Vec<AgentSpec> = ["reference", "noop", "bump-only"]
        .iter()
        .filter_map(|n| AgentSpec::builtin(n))
        .collect();
    Eval {
        name: format!("verify {}", case.id),
        path: case.manifest_path.clone(),
        workspace: workspace.clone(),
        skill_dir: case.dir.clone(),
        case_patterns: vec![case.id.clone()],
        defined_agents: agents.clone(),
        agents,
        trials: 1,
        timeout: Duration::from_secs(600),
        variants: vec![Variant::None],
        versions: Vec::new(),
        pass_env: Vec::new(),
        sandbox: sandbox.into(),
        network: None,
        expose: expose.to_vec(),
        graders: Vec::new(),
        budget: Budget::default(),
        agent_budget: super::schedule::AgentBudget::default(),
        agent_prices: std::collections::BTreeMap::new(),
        rubric: rubric(case),
        gates: Vec::new(),
        registries: Vec::new(),
        integrity_allow: Vec::new(),
        integrity_lookups_fail: true,
        subset: false,
        no_cache: true,
        shard: None,
        command: Vec::new(),
    }
}

/// Whether every finding's `path:line` locations exist in `checkout`; what is missing.
fn findings_present(case: &Case, checkout: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    for f in &case.findings {
        for loc in &f.locations {
            let (path, line) = match loc.rsplit_once(':') {
                Some((p, l)) if l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty() => {
                    (p, l.parse::<usize>().unwrap_or(0))
                }
                _ => (loc.as_str(), 0),
            };
            match std::fs::read_to_string(checkout.join(path)) {
                Err(_) => missing.push(format!("{}: {path} is not in the checkout", f.id)),
                Ok(text) if line > text.lines().count() => missing.push(format!(
                    "{}: {path} has {} lines, not {line}",
                    f.id,
                    text.lines().count()
                )),
                Ok(_) => {}
            }
        }
    }
    missing
}

/// Verifies `cases`, each baseline `trials` times; run folders go under `out`.
pub fn verify(
    workspace: &Workspace,
    cases: Vec<Case>,
    jobs: usize,
    trials: u32,
    sandbox: &Sandbox,
    expose: &[PathBuf],
    out: &Path,
) -> Result<Vec<CaseReport>> {
    let scheduler = super::schedule::Scheduler::new(jobs)?;
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-verify-")
        .tempdir()
        .map_err(|e| Error::write(std::env::temp_dir(), e))?;
    let cache = crate::workspace::cache_dir();
    let mut reports = Vec::new();
    let mut pending: Vec<(CaseReport, Case, crate::corpus::PreparedSource)> = Vec::new();
    let mut sources = crate::corpus::source::Sources::new(scratch.path(), &cache);
    for case in cases {
        let origin = match &case.source {
            SourceSpec::Fixture { .. } => "fixture".to_string(),
            SourceSpec::Git { url, .. } => crate::corpus::source::without_userinfo(url),
        };
        let mut report = CaseReport {
            case: case.id.clone(),
            expectation: case.expectation,
            origin,
            rev: String::new(),
            reference: None,
            noop: None,
            bump_only: None,
            bump_keeps_visible_green: None,
            shows_the_trap: false,
            bump_alone: None,
            bump_alone_declared: case.bump_alone,
            unavailable: None,
            trials,
            failures: Vec::new(),
        };
        let source = match sources.prepare(&case) {
            Ok(s) => s,
            // The repository was reached and the rev is not in it: the case is broken.
            Err(e @ Error::PinnedRevMissing { .. }) => {
                report.failures.push(format!("materialize: {e}"));
                reports.push(report);
                continue;
            }
            Err(e) if matches!(case.source, SourceSpec::Git { .. }) => {
                report.unavailable = Some(format!(
                    "the repository cannot be fetched here ({e}); `skillbench corpus fetch` fills the mirror cache where the network allows"
                ));
                reports.push(report);
                continue;
            }
            Err(e) => {
                report.failures.push(format!("materialize: {e}"));
                reports.push(report);
                continue;
            }
        };
        report.rev = source.rev.to_string();
        let probe = scratch
            .path()
            .join(format!("probe-{}", case.id.replace('/', "__")));
        if let Err(e) = crate::corpus::checkout(&source, &probe) {
            report
                .failures
                .push(format!("materialize: cannot check out {}: {e}", report.rev));
            reports.push(report);
            continue;
        }
        report.failures.extend(
            findings_present(&case, &probe)
                .into_iter()
                .map(|m| format!("finding: {m}")),
        );
        if case.checks.visible.is_none() && case.checks.hidden.is_none() {
            report.failures.push(
                "checks: the case has no [checks] (visible, hidden): nothing tells a fix from the trap"
                    .into(),
            );
        }
        pending.push((report, case, source));
    }

    // Every case's three baselines, concurrently, at most `jobs` runs at a time.
    let evals: Vec<Eval> = pending
        .iter()
        .map(|(_, case, _)| eval_for(workspace, case, sandbox.name(), expose))
        .collect();
    // Probed once: whether bubblewrap works here does not change from case to case.
    let grading_sandbox = sandbox.for_grading();
    let contexts: Vec<Context<'_>> = evals
        .iter()
        .map(|eval| Context {
            eval,
            skill: None,
            sandbox,
            grading_sandbox: grading_sandbox.clone(),
            runtime_sandbox: sandbox.clone(),
            redactor: super::redactor(eval),
            probes: HashMap::new(),
            judging: None,
            shared: Default::default(),
        })
        .collect();
    // One plan per case: its three baselines, `trials` times each.
    let mut runs: Vec<(usize, PlannedRun, PathBuf)> = Vec::new();
    for (i, (_, case, source)) in pending.iter().enumerate() {
        let cases = [(Arc::new(case.clone()), Arc::new(source.clone()))];
        for run in super::plan::plan(
            &cases,
            &evals[i].agents,
            &evals[i].variants,
            trials,
            &super::plan::KeyInputs::default(),
        ) {
            let dir = out.join(&run.dir);
            runs.push((i, run, dir));
        }
    }
    let outcomes = scheduler.run_all(
        &runs,
        |(i, run, dir)| execute::execute(run, &contexts[*i], dir),
        |_| super::schedule::Spend::default(),
    );
    drop(scheduler);
    let records: Vec<(usize, RunRecord)> = outcomes
        .into_iter()
        .zip(&runs)
        .filter_map(|(outcome, (i, _, _))| match outcome {
            super::schedule::Scheduled::Done(record) => Some((*i, record)),
            // Stopped: the case's missing baselines fail it below, and the command
            // exits as interrupted.
            super::schedule::Scheduled::Held(_) => None,
        })
        .collect();
    for (i, (mut report, _, _)) in pending.into_iter().enumerate() {
        let mine: Vec<RunRecord> = records
            .iter()
            .filter(|(j, _)| *j == i)
            .map(|(_, r)| r.clone())
            .collect();
        // Every trial must show what the case claims, so a flaky reference is a broken
        // case; the report gives the first trial's grades and every trial's failures.
        let mut failures = std::mem::take(&mut report.failures);
        let mut first = None;
        for trial in 1..=trials {
            let these: Vec<RunRecord> = mine.iter().filter(|r| r.trial == trial).cloned().collect();
            let mut judged = report.clone();
            judge_case(&mut judged, &these);
            failures.extend(judged.failures.iter().map(|f| {
                if trials > 1 {
                    format!("trial {trial}: {f}")
                } else {
                    f.clone()
                }
            }));
            first.get_or_insert(judged);
        }
        let mut report = first.unwrap_or(report);
        report.failures = failures;
        report.trials = trials;
        reports.push(report);
    }
    reports.sort_by(|a, b| a.case.cmp(&b.case));
    Ok(reports)
}

/// Holds the baselines' records against what the case must show.
fn judge_case(report: &mut CaseReport, records: &[RunRecord]) {
    let get = |agent: &str| records.iter().find(|r| r.agent == agent);
    let (reference, noop, bump) = (get("reference"), get("noop"), get("bump-only"));
    if let Some(r) = reference
        && r.status == RunStatus::SetupFailed
    {
        report.failures.push(format!("setup: {}", r.status_detail));
        return;
    }
    report.reference = reference.and_then(|r| r.grade);
    report.noop = noop.and_then(|r| r.grade);
    report.bump_only = bump.and_then(|r| r.grade);
    let why = |r: Option<&RunRecord>| r.map_or_else(String::new, |r| r.grade_reason.clone());
    if report.reference != Some(Grade::A) {
        report.failures.push(format!(
            "reference: graded {}, not A ({})",
            letter(report.reference),
            why(reference)
        ));
    }
    if report.noop != Some(Grade::C) {
        report.failures.push(format!(
            "noop: graded {}, not C: the checks pass on the unchanged repository",
            letter(report.noop)
        ));
    }
    report.bump_keeps_visible_green = bump.and_then(|r| {
        r.criteria
            .iter()
            .find(|c| c.id == "visible")
            .map(|c| c.verdict == Verdict::Pass)
    });
    report.shows_the_trap = report.expectation == Expectation::Fix
        && report.bump_only == Some(Grade::C)
        && report.bump_keeps_visible_green == Some(true);
    report.bump_alone = match report.bump_keeps_visible_green {
        Some(true) if report.bump_only == Some(Grade::C) => Some(BumpAlone::Trap),
        Some(false) => Some(BumpAlone::BreaksTests),
        _ => None,
    };
    if let Some(declared) = report.bump_alone_declared
        && report.bump_only.is_some()
        && report.bump_alone != Some(declared)
    {
        let seen = match (report.bump_keeps_visible_green, report.bump_alone) {
            (_, Some(BumpAlone::BreaksTests)) => "the visible tests failed".to_string(),
            (Some(true), _) => format!(
                "the visible tests passed and it was graded {}",
                letter(report.bump_only)
            ),
            _ => "no visible check was graded".to_string(),
        };
        report.failures.push(format!(
            "bump-only: case.toml says bump_alone = \"{declared}\", but {seen}"
        ));
    }
    match (report.expectation, report.bump_only) {
        (Expectation::Fix, Some(Grade::A)) => report
            .failures
            .push("bump-only: graded A: not a judgment case (a bump alone fixes it)".into()),
        (Expectation::Escalate, g) if g != Some(Grade::C) => report.failures.push(format!(
            "bump-only: graded {} on an escalate case, not C",
            letter(g)
        )),
        _ => {}
    }
}

fn letter(g: Option<Grade>) -> String {
    g.map_or_else(|| "-".into(), |g| g.to_string())
}

//! After an eval, a re-grading or a merge: the tables, the snapshot, the gates, the
//! reports and the outcome — computed here, said through the reporters.

use std::path::Path;

use crate::Outcome;
use crate::error::Result;
use crate::eval::Eval;
use crate::report;
use crate::run;
use crate::run::event::{Conclusion, Event, GateLine, Level, Reporters, SnapshotReport};
use crate::snapshot::{ChangeKind, Snapshot, pending};

/// Where an eval's (or a re-grading's or merge's) conclusions go besides the reporters.
#[derive(Debug, Default)]
pub(super) struct Outputs {
    /// Never write a snapshot.
    pub(super) ci: bool,
    /// GitHub Actions annotations and step summary.
    pub(super) github: bool,
}

/// After an eval (or a re-grading, or a merge): the snapshot check, the gates, the
/// conclusion and final events, and the outcome.
pub(super) fn conclude(
    eval: &Eval,
    eval_arg: &Path,
    results: &run::results::Results,
    results_dir: &Path,
    outputs: &Outputs,
    reporter: &Reporters,
) -> Result<Outcome> {
    reporter.emit(&Event::ResultsStored {
        eval: eval.name.clone(),
        run_id: results.run_id.clone(),
        results: results_dir.to_string_lossy().into_owned(),
        set: std::sync::Arc::new(results.clone()),
    });
    let shown_dir = eval.workspace.display(results_dir).display().to_string();
    if let (Some(shard), true) = (&results.shard, results.merged_from.is_empty()) {
        // A shard is a share of the plan: the snapshot and the gates are the merge's.
        reporter.note(
            Level::Info,
            format!(
                "shard {}/{}: {} of {} runs, stored in {shown_dir} (run {}); merge every shard's results with `skillbench merge RUN…`",
                shard.index,
                shard.count,
                results.runs.len(),
                shard.planned,
                results.run_id
            ),
        );
        return Ok(Outcome::Success);
    }
    if let Some(stopped) = &results.interrupted {
        // Half an eval says nothing about the snapshot or the gates: neither is touched.
        reporter.note(
            Level::Note,
            format!(
                "interrupted by {}: {} of {} runs finished, stored in {shown_dir}; run the same command again to run the rest (the finished runs are reused)",
                stopped.signal,
                results.runs.len(),
                stopped.planned
            ),
        );
        let signal = if stopped.signal == "SIGTERM" { 15 } else { 2 };
        return Ok(Outcome::Interrupted(signal));
    }

    let graded_any = graded_any(results);
    let (verdict, snapshot) = check_snapshot(eval, results, outputs.ci || !graded_any)?;
    let changes: &[crate::snapshot::Change] = match &verdict {
        pending::Verdict::Compared { changes, .. } => changes,
        pending::Verdict::New => &[],
    };
    let (gates, gate_fails) = gate_lines(eval, results, changes);
    let mut notes = Vec::new();
    if let Some(stopped) = results.grading.as_ref().and_then(|g| g.stopped.as_ref()) {
        notes.push(format!(
            "warning: {stopped}; judged criteria after that point are not graded (raise [budget] in {})",
            eval_arg.display()
        ));
    }
    let unavailable = results
        .runs
        .iter()
        .filter(|r| r.status == run::results::RunStatus::Unavailable)
        .count();
    let infrastructure = results
        .runs
        .iter()
        .filter(|r| {
            r.status.is_infrastructure() && r.status != run::results::RunStatus::Unavailable
        })
        .count();
    // What decided the outcome, in order: a gate the graded runs failed, a gate that
    // unavailable runs left undecided, a snapshot the graded rows moved, then other
    // infrastructure that kept runs from being graded.
    let undecided = results.gates.iter().any(|g| g.undecided);
    let outcome = if gate_fails {
        Outcome::GateFailed
    } else if undecided || !graded_any {
        Outcome::InfrastructureFailed
    } else if verdict.differs() {
        Outcome::SnapshotPending
    } else if infrastructure > 0 {
        Outcome::InfrastructureFailed
    } else {
        Outcome::Success
    };
    if infrastructure > 0 || unavailable > 0 {
        notes.push(format!(
            "infrastructure: {infrastructure} run(s) not graded (setup failed, model endpoint failed, harness error or not run for the budget) and {unavailable} unavailable; they are left out of the rates, the snapshot diff and the gates{}",
            if outcome == Outcome::InfrastructureFailed {
                " — exit 3: fix the infrastructure and run again"
            } else {
                ""
            }
        ));
    }
    if let Some(why) = &results.budget_spent {
        let held = results
            .runs
            .iter()
            .filter(|r| r.status == run::results::RunStatus::BudgetSpent)
            .count();
        notes.push(format!(
            "budget: {why}: {held} run(s) not started; raise [budget.agents] in {} (or --max-tokens, --max-usd) and run the same command again: the finished runs are reused",
            eval_arg.display()
        ));
    }
    reporter.emit(&Event::EvalConcluded(Box::new(Conclusion {
        eval: eval.name.clone(),
        results: shown_dir,
        tables: format!(
            "{}\n{}\n",
            report::grades_table(results, false),
            report::summary_table(results, false)
        ),
        snapshot,
        gates,
        notes,
    })));
    if outputs.github {
        reporter.emit(&Event::GithubOutput(Box::new(run::event::GithubOutput {
            annotations: report::github::annotations(
                results,
                &eval.workspace.corpora_dir(),
                eval.workspace.root(),
            ),
            summary: report::github::summary(results, verdict.word(), outcome.exit_code()),
        })));
    }
    let count = |g| results.runs.iter().filter(|r| r.grade == Some(g)).count();
    reporter.emit(&Event::EvalFinished {
        run_id: results.run_id.clone(),
        results: results_dir.to_string_lossy().into_owned(),
        runs: results.runs.len(),
        a: count(crate::grade::Grade::A),
        b: count(crate::grade::Grade::B),
        c: count(crate::grade::Grade::C),
        unavailable,
        infrastructure,
        gates_held: !undecided && !gate_fails,
        snapshot: verdict.word().into(),
        exit_code: outcome.exit_code(),
    });
    Ok(outcome)
}

/// Each gate's line, and whether any failed: its own limits on the graded runs, or its
/// `max_regressions` against the snapshot's verdict (the regressions among the rows it
/// selects).
fn gate_lines(
    eval: &Eval,
    results: &run::results::Results,
    changes: &[crate::snapshot::Change],
) -> (Vec<GateLine>, bool) {
    let expectation_of = |case: &str| {
        results
            .cases
            .iter()
            .find(|c| c.id == case)
            .map(|c| c.expectation)
    };
    let mut any_fails = false;
    let lines = results
        .gates
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let regressions = eval.gates.get(i).and_then(|gate| {
                let max = gate.max_regressions?;
                let n = changes
                    .iter()
                    .filter(|c| c.kind == ChangeKind::Regression)
                    .filter_map(|c| c.new.as_ref().or(c.old.as_ref()))
                    .filter(|r| gate.selects_row(&r.case, &r.variant, &r.agent))
                    .filter(|r| {
                        gate.expectation
                            .is_none_or(|e| expectation_of(&r.case) == Some(e))
                    })
                    .count();
                Some((n, n <= max))
            });
            let fails = g.fails() || regressions.is_some_and(|(_, ok)| !ok);
            any_fails |= fails;
            GateLine {
                mark: if fails { "FAILS" } else { g.mark() }.into(),
                gate: g.gate.clone(),
                passed: g.passed,
                runs: g.runs,
                detail: format!(
                    "{}{}",
                    report::gate_infrastructure(g),
                    regressions.map_or_else(String::new, |(n, _)| format!("; {n} regression(s)"))
                ),
            }
        })
        .collect();
    (lines, any_fails)
}

/// The results held against the accepted snapshot: settled under a lock (the pending
/// snapshot written, or left to a concurrent run's), or only checked (`check_only`: CI, or
/// nothing graded, when nothing may be written); the verdict and how it reads.
fn check_snapshot(
    eval: &Eval,
    results: &run::results::Results,
    check_only: bool,
) -> Result<(pending::Verdict, SnapshotReport)> {
    let snapshots = eval.workspace.snapshots_dir();
    let new = Snapshot::from_results(results);
    let shown = |p: &Path| eval.workspace.display(p).display().to_string();
    // CI never writes; elsewhere the pending snapshot is settled under a lock, so
    // concurrent evals never delete or overwrite each other's.
    // With no run graded at all there is nothing to accept: infrastructure decided it all.
    let (verdict, settled) = if check_only {
        let verdict = pending::check(&snapshots, &eval.name, &new, results.subset)?;
        (verdict, pending::Settled::Nothing)
    } else {
        let mark = pending::RunMark {
            run_id: &results.run_id,
            started_at: &results.started_at,
            finished_at: &results.finished_at,
        };
        pending::settle(&snapshots, &eval.name, &new, results.subset, &mark)?
    };
    let action = if verdict.differs() {
        Some(match &settled {
            pending::Settled::Wrote(path) => format!(
                "wrote {}; review with `skillbench review`, or `skillbench accept {}` / `skillbench reject {}`",
                shown(path),
                eval.name,
                eval.name
            ),
            _ if !graded_any(results) => {
                "no run was graded: nothing written (every run failed for infrastructure reasons)"
                    .into()
            }
            _ => "CI mode: nothing written; the results must match the accepted snapshot.".into(),
        })
    } else {
        match &settled {
            pending::Settled::KeptOther(run) => Some(format!(
                "left {} alone: it holds the findings of another run ({run})",
                shown(&pending::pending_path(&snapshots, &eval.name))
            )),
            _ => None,
        }
    };
    let snapshot = SnapshotReport {
        path: shown(&pending::accepted_path(&snapshots, &eval.name)),
        verdict: verdict.word().into(),
        subset: results.subset,
        not_compared: match &verdict {
            pending::Verdict::Compared { changes, .. } => changes
                .iter()
                .filter(|c| c.kind == ChangeKind::NotCompared)
                .count(),
            pending::Verdict::New => 0,
        },
        described: pending::describe(&verdict, &new),
        action,
    };
    Ok((verdict, snapshot))
}

/// Whether any run was graded (the others were infrastructure).
fn graded_any(results: &run::results::Results) -> bool {
    results.runs.iter().any(|r| r.grade.is_some())
}

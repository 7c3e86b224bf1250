//! After an eval, a re-grading or a merge: the tables, the snapshot, the gates, the
//! reports and the outcome.

use std::io::Write;
use std::path::Path;

use crate::Outcome;
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::report;
use crate::run;
use crate::run::event::{Event, Reporter};
use crate::snapshot::{Snapshot, pending};

/// Where an eval's (or a re-grading's or merge's) conclusions go besides the terminal.
#[derive(Debug, Default)]
pub(super) struct Outputs {
    /// Never write a snapshot.
    pub(super) ci: bool,
    /// Events as JSON Lines on stdout; the tables go to stderr.
    pub(super) json: bool,
    /// GitHub Actions annotations and step summary.
    pub(super) github: bool,
}

/// After an eval (or a re-grading, or a merge): the tables, the snapshot check, the gates,
/// the reports, the final event and the outcome.
pub(super) fn conclude(
    eval: &Eval,
    eval_arg: &Path,
    results: &run::results::Results,
    results_dir: &Path,
    outputs: &Outputs,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let (ci, json) = (outputs.ci, outputs.json);
    if let (Some(shard), true) = (&results.shard, results.merged_from.is_empty()) {
        // A shard is a share of the plan: the snapshot and the gates are the merge's.
        crate::outln!(
            "shard {}/{}: {} of {} runs, stored in {} (run {}); merge every shard's results with `skillbench merge RUN…`",
            shard.index,
            shard.count,
            results.runs.len(),
            shard.planned,
            eval.workspace.display(results_dir).display(),
            results.run_id
        );
        return Ok(Outcome::Success);
    }
    if let Some(stopped) = &results.interrupted {
        // Half an eval says nothing about the snapshot or the gates: neither is touched.
        eprintln!(
            "interrupted by {}: {} of {} runs finished, stored in {}; run the same command again to run the rest (the finished runs are reused)",
            stopped.signal,
            results.runs.len(),
            stopped.planned,
            eval.workspace.display(results_dir).display()
        );
        let signal = if stopped.signal == "SIGTERM" { 15 } else { 2 };
        return Ok(Outcome::Interrupted(signal));
    }
    let results_dir = results_dir.to_path_buf();
    let tables = format!(
        "{}\n{}\n",
        report::grades_table(results, false),
        report::summary_table(results, false)
    );
    let mut human_out: Box<dyn Write> = if json {
        Box::new(std::io::stderr())
    } else {
        Box::new(crate::out::stdout())
    };
    let w = |e| Error::write("stdout", e);
    write!(human_out, "{tables}").map_err(w)?;
    writeln!(
        human_out,
        "results: {}",
        eval.workspace.display(&results_dir).display()
    )
    .map_err(w)?;

    let snapshots = eval.workspace.snapshots_dir();
    let new = Snapshot::from_results(results);
    let accepted = pending::accepted_path(&snapshots, &eval.name);
    let shown = |p: &Path| eval.workspace.display(p).display().to_string();
    // CI never writes; elsewhere the pending snapshot is settled under a lock, so
    // concurrent evals never delete or overwrite each other's.
    // With no run graded at all there is nothing to accept: infrastructure decided it all.
    let graded_any = results.runs.iter().any(|r| r.grade.is_some());
    let (verdict, settled) = if ci || !graded_any {
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
    let described = pending::describe(&verdict, &new);
    if verdict.differs() {
        write!(
            human_out,
            "snapshot: {}{}\n{described}",
            shown(&accepted),
            if results.subset {
                " (a subset was run: only its rows are compared)"
            } else {
                ""
            }
        )
        .map_err(w)?;
        match &settled {
            pending::Settled::Wrote(path) => writeln!(
                human_out,
                "wrote {}; review with `skillbench review`, or `skillbench accept {}` / `skillbench reject {}`",
                shown(path),
                eval.name,
                eval.name
            ),
            _ if !graded_any => writeln!(
                human_out,
                "no run was graded: nothing written (every run failed for infrastructure reasons)"
            ),
            _ => writeln!(
                human_out,
                "CI mode: nothing written; the results must match the accepted snapshot."
            ),
        }
        .map_err(w)?;
    } else {
        let not_compared = match &verdict {
            pending::Verdict::Compared { changes, .. } => changes
                .iter()
                .filter(|c| c.kind == crate::snapshot::ChangeKind::NotCompared)
                .count(),
            pending::Verdict::New => 0,
        };
        let scope = if not_compared == 0 {
            String::new()
        } else {
            format!(" in every row compared; {not_compared} row(s) not compared (no graded trial)")
        };
        write!(
            human_out,
            "snapshot: matches {}{scope}\n{described}",
            shown(&accepted)
        )
        .map_err(w)?;
        if let pending::Settled::KeptOther(run) = &settled {
            writeln!(
                human_out,
                "left {} alone: it holds the findings of another run ({run})",
                shown(&pending::pending_path(&snapshots, &eval.name))
            )
            .map_err(w)?;
        }
    }
    // `max_regressions` is held against the snapshot's verdict, here: the regressions among
    // the rows each gate selects.
    let regressions: Vec<&crate::snapshot::Change> = match &verdict {
        pending::Verdict::Compared { changes, .. } => changes
            .iter()
            .filter(|c| c.kind == crate::snapshot::ChangeKind::Regression)
            .collect(),
        pending::Verdict::New => Vec::new(),
    };
    let expectation_of = |case: &str| {
        results
            .cases
            .iter()
            .find(|c| c.id == case)
            .map(|c| c.expectation)
    };
    let regressed: Vec<Option<(usize, bool)>> = results
        .gates
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let gate = eval.gates.get(i)?;
            let max = gate.max_regressions?;
            let n = regressions
                .iter()
                .filter_map(|c| c.new.as_ref().or(c.old.as_ref()))
                .filter(|r| gate.selects_row(&r.case, &r.variant, &r.agent))
                .filter(|r| {
                    gate.expectation
                        .is_none_or(|e| expectation_of(&r.case) == Some(e))
                })
                .count();
            Some((n, n <= max))
        })
        .collect();
    let gate_fails: Vec<bool> = results
        .gates
        .iter()
        .zip(&regressed)
        .map(|(g, r)| g.fails() || r.is_some_and(|(_, ok)| !ok))
        .collect();
    for ((g, r), fails) in results.gates.iter().zip(&regressed).zip(&gate_fails) {
        let mark = if *fails { "FAILS" } else { g.mark() };
        let regressions = r.map_or_else(String::new, |(n, _)| format!("; {n} regression(s)"));
        writeln!(
            human_out,
            "gate {mark}: {} ({} of {} graded runs pass{}{regressions})",
            g.gate,
            g.passed,
            g.runs,
            report::gate_infrastructure(g)
        )
        .map_err(w)?;
    }
    if let Some(stopped) = results.grading.as_ref().and_then(|g| g.stopped.as_ref()) {
        writeln!(
            human_out,
            "warning: {stopped}; judged criteria after that point are not graded (raise [budget] in {})",
            eval_arg.display()
        )
        .map_err(w)?;
    }
    let gates_held = !results.gates.iter().any(|g| g.undecided) && !gate_fails.contains(&true);
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
    let outcome = if gate_fails.contains(&true) {
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
        writeln!(
            human_out,
            "infrastructure: {infrastructure} run(s) not graded (setup failed, model endpoint failed or harness error) and {unavailable} unavailable; they are left out of the rates, the snapshot diff and the gates{}",
            if outcome == Outcome::InfrastructureFailed {
                " — exit 3: fix the infrastructure and run again"
            } else {
                ""
            }
        )
        .map_err(w)?;
    }
    if let Some(why) = &results.budget_spent {
        let held = results
            .runs
            .iter()
            .filter(|r| r.status == run::results::RunStatus::BudgetSpent)
            .count();
        writeln!(
            human_out,
            "budget: {why}: {held} run(s) not started; raise [budget.agents] in {} (or --max-tokens, --max-usd) and run the same command again: the finished runs are reused",
            eval_arg.display()
        )
        .map_err(w)?;
    }
    if outputs.github {
        eprint!(
            "{}",
            report::github::annotations(
                results,
                &eval.workspace.corpora_dir(),
                eval.workspace.root()
            )
        );
        report::github::write_summary(&report::github::summary(
            results,
            verdict.word(),
            outcome.exit_code(),
        ))
        .map_err(|e| Error::write("$GITHUB_STEP_SUMMARY", e))?;
    }
    let count = |g| results.runs.iter().filter(|r| r.grade == Some(g)).count();
    reporter.report(&Event::EvalFinished {
        run_id: results.run_id.clone(),
        results: results_dir.to_string_lossy().into_owned(),
        runs: results.runs.len(),
        a: count(crate::grade::Grade::A),
        b: count(crate::grade::Grade::B),
        c: count(crate::grade::Grade::C),
        unavailable,
        infrastructure,
        gates_held,
        snapshot: verdict.word().into(),
        exit_code: outcome.exit_code(),
    });
    Ok(outcome)
}

//! Re-grading: the current rubric applied to stored runs, without calling any agent.
//!
//! For each stored run that completed, the checkout is rebuilt — the case's pinned commit
//! with the stored `diff.patch` applied — and every criterion is checked again against it,
//! the stored signals and the stored transcript (judged criteria go to the graders, whose
//! cache answers for evidence they have seen). Runs that did not complete keep their record:
//! there is no work to grade. The result is a new results set whose provenance names the
//! run it re-graded; the stored runs are not touched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::results::{RESULTS_SCHEMA, Results, RunRecord, RunStatus};
use super::{Context, plan, store};
use crate::agent::Sandbox;
use crate::corpus::{Case, PreparedSource};
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::grade;
use crate::skill::Skill;

/// Grades the runs of `old` (stored in `old_dir`) again with `eval`'s rubric and gates.
pub fn regrade(
    old_dir: &Path,
    old: &Results,
    eval: &Eval,
    skill: &Skill,
    cases: Vec<(Case, PreparedSource)>,
    jobs: usize,
    sandbox: &Sandbox,
) -> Result<(Results, PathBuf)> {
    let wall = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let sources: HashMap<String, (Arc<Case>, Arc<PreparedSource>)> = cases
        .into_iter()
        .map(|(c, s)| (c.id.clone(), (Arc::new(c), Arc::new(s))))
        .collect();
    for info in &old.cases {
        match sources.get(&info.id) {
            None => {
                return Err(Error::Usage(format!(
                    "case {} of run {} is no longer in {}; it cannot be re-graded",
                    info.id,
                    old.run_id,
                    eval.workspace.corpora_dir().display()
                )));
            }
            Some((_, source)) if source.rev.to_string() != info.rev => {
                return Err(Error::Usage(format!(
                    "case {} is now pinned at {}, but run {} ran it at {}: re-grading needs the commit the agent worked on",
                    info.id, source.rev, old.run_id, info.rev
                )));
            }
            Some(_) => {}
        }
    }
    let eval_info = super::eval_info(eval)?;
    let scheduler = super::schedule::Scheduler::new(jobs)?;
    let path = std::env::var_os("PATH");
    let ctx = Context {
        eval,
        skill: Some(skill),
        sandbox,
        grading_sandbox: sandbox.for_grading(),
        runtime_sandbox: sandbox.clone(),
        redactor: super::redactor(eval),
        probes: HashMap::new(),
        judging: super::judging(eval, sandbox, path.as_deref()),
        shared: Default::default(),
    };
    let store = store::Store::begin(&eval.workspace)?;
    let grading = super::grading_digest(eval, &ctx.grading_sandbox);
    let ctx = &ctx;
    let grading = &grading;
    let outcomes = scheduler.run_all(
        &old.runs,
        |record| {
            let new_dir = store.run_dir(&record.dir);
            let old_run = old_dir.join(&record.dir);
            let source = sources.get(&record.case).cloned();
            async move {
                let mut record = record.clone();
                // Graded with this eval's rubric, the record's key is this grading's: a
                // later eval of another rubric never takes it for its own.
                record.key = match &source {
                    Some((case, _)) if !record.delivery_key.is_empty() => {
                        plan::graded_key(&record.delivery_key, &plan::hidden_digest(case), grading)
                    }
                    _ => String::new(),
                };
                if let Err(message) =
                    regrade_run(&mut record, ctx, source, &old_run, &new_dir).await
                {
                    record.status = RunStatus::HarnessError;
                    record.grade = None;
                    record.grade_reason =
                        format!("not graded (harness error): cannot re-grade: {message}");
                    record.criteria.clear();
                }
                // The new check logs lose the eval's secrets, as every run's files do.
                if let Err(e) = ctx.redactor.redact_dir(&new_dir) {
                    record.status = RunStatus::HarnessError;
                    record.grade = None;
                    record.grade_reason =
                        format!("not graded (harness error): cannot redact the run's files: {e}");
                }
                record
            }
        },
        |_| super::schedule::Spend::default(),
    );
    // An interrupted re-grading keeps the records it did not reach as they were stored:
    // it is marked so, and nothing is lost.
    let interrupted = outcomes.iter().find_map(|o| match o {
        super::schedule::Scheduled::Held(super::schedule::Held::Interrupted(s)) => Some(*s),
        _ => None,
    });
    let records: Vec<RunRecord> = outcomes
        .into_iter()
        .zip(&old.runs)
        .filter_map(|(o, _)| match o {
            super::schedule::Scheduled::Done(record) => Some(record),
            super::schedule::Scheduled::Held(_) => None,
        })
        .collect();
    let grading = ctx.judging.as_ref().map(grade::Judging::info);
    drop(scheduler);
    let mut records = records;
    let gates = super::order_and_gate(&mut records, eval);
    let results = Results {
        schema: RESULTS_SCHEMA.into(),
        run_id: store.id().to_string(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        eval: eval_info,
        skill: old.skill.clone(),
        started_at,
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        wall_ms: u64::try_from(wall.elapsed().as_millis()).unwrap_or(u64::MAX),
        trials: old.trials,
        pass_grade: eval.rubric.pass,
        cases: old.cases.clone(),
        agents: old.agents.clone(),
        sandbox: sandbox.name().into(),
        grading_sandbox: ctx.grading_sandbox.name().into(),
        runtime_sandbox: old.runtime_sandbox.clone(),
        rooms: old.rooms.clone(),
        grading,
        regraded_from: Some(old.run_id.clone()),
        // The runs an interrupted eval finished are graded as a subset: the rest were never
        // run, not removed.
        subset: old.subset || old.interrupted.is_some(),
        interrupted: interrupted.map(|s| super::results::Interrupted::by(s, old.runs.len())),
        shard: old.shard.clone(),
        merged_from: old.merged_from.clone(),
        command: old.command.clone(),
        budget_spent: old.budget_spent.clone(),
        runs: records,
        gates,
    };
    let dir = store.finish(&results)?;
    Ok((results, dir))
}

/// Copies the stored run into the new results and, if it completed, grades it again.
pub(crate) async fn regrade_run(
    record: &mut RunRecord,
    ctx: &Context<'_>,
    source: Option<(Arc<Case>, Arc<PreparedSource>)>,
    old_run: &Path,
    new_run: &Path,
) -> std::result::Result<(), String> {
    store::carry_run(old_run, new_run).map_err(|e| format!("cannot copy the run: {e}"))?;
    let _ = std::fs::remove_dir_all(new_run.join("checks"));
    let _ = std::fs::remove_dir_all(new_run.join("graders"));
    if record.status != RunStatus::Completed {
        return Ok(());
    }
    let (case, source) = source.ok_or("its case is gone")?;
    let start = Instant::now();
    let patch =
        std::fs::read(new_run.join("diff.patch")).map_err(|e| format!("no stored diff: {e}"))?;
    let change = super::delivery::Change::from_patch(patch)
        .map_err(|e| format!("the stored diff cannot be read: {e}"))?;
    let (signals, _) = crate::signals::read(&new_run.join("signals.json"));
    let checked =
        match super::clean_room::grade_delivery(ctx, &case, &source, &change, &signals, new_run)
            .await
        {
            Ok(checked) => checked,
            // What the agent delivered cannot be rebuilt: its failure, as in the eval.
            Err(super::clean_room::Ungradable::Delivery(why)) => {
                record.status = RunStatus::AgentError;
                record.status_detail = why.clone();
                record.grade = Some(grade::Grade::C);
                record.grade_reason = format!("agent error: {why}");
                record.criteria.clear();
                return Ok(());
            }
            Err(super::clean_room::Ungradable::Harness(why)) => return Err(why),
        };
    let (grade, reason) = grade::grade(&checked.results);
    record.criteria = checked.results;
    record.grade = Some(grade);
    record.grade_reason = reason;
    record.timings.check_commands_ms =
        u64::try_from(checked.command_time.as_millis()).unwrap_or(u64::MAX);
    record.timings.clean_room_ms = u64::try_from(checked.room_time.as_millis()).unwrap_or(u64::MAX);
    record.timings.grade_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    // The delivery's own stages, and this grading.
    let t = &record.timings;
    record.timings.total_ms =
        t.materialize_ms + t.setup_ms + t.agent_ms + t.deliver_ms + t.grade_ms + t.store_ms;
    Ok(())
}

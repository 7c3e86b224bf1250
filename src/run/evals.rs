//! Running evals: each eval planned (its runtimes probed, its runs keyed and sharded, its
//! stored runs read), the runs of every eval handed to one scheduler together — so a
//! command running several evals keeps every slot busy — then each eval's results stored.
//!
//! Data enters as checked [`EvalJob`]s (an [`Eval`], its [`Skill`], its cases' prepared
//! sources, its sandbox); it leaves as one [`Results`] per eval, each written to the
//! results store ([`store`]) in the order the evals were given.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::event::{Event, Reporters};
use super::results::{self, AgentInfo, CaseInfo, EvalInfo, RESULTS_SCHEMA, Results, SkillInfo};
use super::{Context, execute, plan, schedule, store};
use crate::agent::{Probe, Sandbox};
use crate::corpus::{Case, PreparedSource};
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::skill::Skill;

/// One eval to run.
#[derive(Debug)]
pub struct EvalJob<'a> {
    pub eval: &'a Eval,
    pub skill: &'a Skill,
    pub cases: Vec<(Case, PreparedSource)>,
    pub sandbox: &'a Sandbox,
}

/// An eval planned, before its store is opened.
struct Planned<'a> {
    skill: &'a Skill,
    cases: Vec<(Arc<Case>, Arc<PreparedSource>)>,
    ctx: Context<'a>,
    runs: Vec<plan::PlannedRun>,
    shard: Option<results::ShardInfo>,
    cache: Arc<store::Cache>,
    eval_info: EvalInfo,
    agents: Vec<AgentInfo>,
    started_at: String,
    wall: Instant,
}

/// Everything about `job` that can fail before a run: done before any store is opened, so
/// a failure leaves no partial results behind.
fn plan_eval<'a>(
    job: EvalJob<'a>,
    caches: &mut HashMap<PathBuf, Arc<store::Cache>>,
) -> Result<Planned<'a>> {
    let EvalJob {
        eval,
        skill,
        cases,
        sandbox,
    } = job;
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let wall = Instant::now();
    let cases: Vec<(Arc<Case>, Arc<PreparedSource>)> = cases
        .into_iter()
        .map(|(c, s)| (Arc::new(c), Arc::new(s)))
        .collect();
    // Each runtime is probed once: found on the PATH runs get, its version read, its
    // credentials checked. A missing one makes its runs unavailable, not failed.
    let path = std::env::var_os("PATH");
    let grading_sandbox = sandbox.for_grading();
    let runtime_sandbox = super::runtime_sandbox(eval, sandbox);
    let probes: HashMap<String, Probe> = eval
        .agents
        .iter()
        .filter_map(|a| Some((a.name.clone(), a.runtime()?.probe(path.as_deref()))))
        .collect();
    let planned = plan::plan(
        &cases,
        &eval.agents,
        &eval.variants,
        eval.trials,
        &super::key_inputs(eval, skill, &probes, &grading_sandbox, &runtime_sandbox),
    );
    if planned.is_empty() {
        return Err(Error::NothingSelected(format!(
            "eval {} selects no runs",
            eval.name
        )));
    }
    // A shard runs its share of the plan: balanced by the stored durations of earlier
    // runs (left out: this plan's own shards, which not every shard has seen), else by
    // each run's key, so every shard of the same plan agrees on the split wherever it runs
    // from the same store.
    let plan_key = plan::plan_key(&planned);
    let (runs, shard) = match eval.shard {
        None => (planned, None),
        Some((index, count)) => {
            let durations = store::durations(&eval.workspace, &eval.name, &plan_key);
            let (shards, split) = plan::split(&planned, count, &durations);
            let info = results::ShardInfo {
                index,
                count,
                plan: plan_key,
                planned: planned.len(),
                subset: eval.subset,
                split,
            };
            let mine = planned
                .into_iter()
                .zip(shards)
                .filter(|(_, s)| *s == index)
                .map(|(r, _)| r)
                .collect();
            (mine, Some(info))
        }
    };
    // Stored runs with the same content key stand in for running again.
    // Read once per store, whatever the number of evals using it.
    let cache = if eval.no_cache {
        Arc::new(store::Cache::default())
    } else {
        caches
            .entry(eval.workspace.store_dir())
            .or_insert_with(|| Arc::new(store::cached_runs(&eval.workspace)))
            .clone()
    };
    let eval_info = super::eval_info(eval)?;
    let agents = eval
        .agents
        .iter()
        .map(|a| {
            let probe = probes.get(&a.name);
            let rt = a.runtime();
            AgentInfo {
                name: a.name.clone(),
                kind: a.kind_name().into(),
                binary: probe
                    .and_then(|p| p.binary.as_ref())
                    .map(|b| b.to_string_lossy().into_owned()),
                version: probe.and_then(|p| p.version.clone()),
                model: rt.and_then(|r| r.model.clone()),
                base_url: rt.and_then(|r| r.base_url.clone()),
                credentials: rt.map(|r| r.credentials.clone()).unwrap_or_default(),
                missing: probe.map(|p| p.missing.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let ctx = Context {
        eval,
        skill: Some(skill),
        sandbox,
        grading_sandbox,
        runtime_sandbox,
        probes,
        judging: super::judging(eval, sandbox, path.as_deref()),
        redactor: super::redactor(eval),
        shared: Default::default(),
    };
    Ok(Planned {
        skill,
        cases,
        ctx,
        runs,
        shard,
        cache,
        eval_info,
        agents,
        started_at,
        wall,
    })
}

/// Runs one planned run: reused from the store when its key (or its delivery key) is
/// there, else carried out; `None` when a stop cut it short.
async fn one_run(
    p: &Planned<'_>,
    run: &plan::PlannedRun,
    run_dir: &std::path::Path,
    reporter: &Reporters,
) -> Option<results::RunRecord> {
    let ctx = &p.ctx;
    if let Some(record) = p
        .cache
        .by_key
        .get(&run.key)
        .and_then(|c| super::reuse(c, run, run_dir))
    {
        reporter.emit(&super::graded(run, &record, ctx));
        return Some(record);
    }
    // Only the grading changed: the stored delivery is graded again.
    if let Some(c) = p.cache.by_delivery.get(&run.delivery_key)
        && let Some(record) = super::regrade_delivery(c, run, ctx, run_dir).await
    {
        reporter.emit(&super::graded(run, &record, ctx));
        return Some(record);
    }
    reporter.emit(&Event::RunStarted {
        eval: ctx.eval.name.clone(),
        index: run.index,
        case: run.case.id.clone(),
        agent: run.agent.name.clone(),
        variant: run.variant,
        trial: run.trial,
    });
    let record = execute::execute(run, ctx, run_dir).await;
    // A run the stop cut short is not a result: it goes, and runs again on the next eval.
    if crate::interrupt::requested().is_some() {
        let _ = std::fs::remove_dir_all(run_dir);
        return None;
    }
    reporter.emit(&super::graded(run, &record, ctx));
    Some(record)
}

/// Runs every planned run of every eval of `jobs_list`, at most `jobs` at a time, and
/// stores each eval's results; returns them with their folders, in the evals' order.
pub fn run_evals(
    jobs_list: Vec<EvalJob<'_>>,
    jobs: usize,
    reporter: &Reporters,
) -> Result<Vec<(Results, PathBuf)>> {
    let mut caches = HashMap::new();
    let planned: Vec<Planned<'_>> = jobs_list
        .into_iter()
        .map(|job| plan_eval(job, &mut caches))
        .collect::<Result<_>>()?;
    let scheduler = schedule::Scheduler::new(jobs)?
        .with_budgets(planned.iter().map(|p| p.ctx.eval.agent_budget).collect());
    let mut stores = Vec::new();
    for p in &planned {
        stores.push(store::Store::begin(&p.ctx.eval.workspace)?);
    }
    for p in &planned {
        reporter.emit(&Event::EvalStarted {
            eval: p.ctx.eval.name.clone(),
            skill: p.skill.name().into(),
            skill_hash: p.skill.hash.clone(),
            runs: p.runs.len(),
            jobs,
            rooms: crate::agent::overlay::rooms(),
        });
    }

    // One list of every eval's runs: the scheduler keeps every slot busy across evals, and
    // holds each eval by its own budget.
    let work: Vec<(usize, &plan::PlannedRun, PathBuf)> = planned
        .iter()
        .zip(&stores)
        .enumerate()
        .flat_map(|(i, (p, store))| p.runs.iter().map(move |r| (i, r, store.run_dir(&r.dir))))
        .collect();
    let outcomes = scheduler.run_grouped(
        &work,
        // A run its stored result or delivery answers calls no agent: the budget never
        // holds it.
        |(i, run, _)| {
            let cache = &planned[*i].cache;
            let free = cache.by_key.contains_key(&run.key)
                || cache.by_delivery.contains_key(&run.delivery_key);
            (*i, !free)
        },
        |(i, run, run_dir)| one_run(&planned[*i], run, run_dir, reporter),
        |record| {
            record
                .as_ref()
                .map(results::RunRecord::spend)
                .unwrap_or_default()
        },
    );
    let mut records: Vec<Vec<results::RunRecord>> = planned.iter().map(|_| Vec::new()).collect();
    let mut budget_spent: Vec<Option<String>> = planned.iter().map(|_| None).collect();
    for (outcome, (i, run, run_dir)) in outcomes.into_iter().zip(&work) {
        match outcome {
            schedule::Scheduled::Done(Some(record)) => records[*i].push(record),
            schedule::Scheduled::Done(None)
            | schedule::Scheduled::Held(schedule::Held::Interrupted(_)) => {}
            // Not the agents' failure: recorded as not run, with the limit reached.
            schedule::Scheduled::Held(schedule::Held::Budget(why)) => {
                let record = execute::held_for_budget(run, &why, run_dir);
                reporter.emit(&super::graded(run, &record, &planned[*i].ctx));
                budget_spent[*i].get_or_insert(why);
                records[*i].push(record);
            }
        }
    }
    drop(scheduler);
    let interrupted = crate::interrupt::requested();
    let mut done = Vec::new();
    for (((p, store), mut runs), budget_spent) in planned
        .into_iter()
        .zip(stores)
        .zip(records)
        .zip(budget_spent)
    {
        let eval = p.ctx.eval;
        let gates = super::order_and_gate(&mut runs, eval);
        let results = Results {
            schema: RESULTS_SCHEMA.into(),
            run_id: store.id().to_string(),
            harness_version: env!("CARGO_PKG_VERSION").into(),
            eval: p.eval_info,
            skill: SkillInfo {
                name: p.skill.name().into(),
                hash: p.skill.hash.clone(),
                versions: eval
                    .versions
                    .iter()
                    .map(|v| results::VersionInfo {
                        name: v.name.to_string(),
                        source: v.source.clone(),
                        hash: v.skill.hash.clone(),
                    })
                    .collect(),
            },
            started_at: p.started_at,
            finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string(),
            wall_ms: u64::try_from(p.wall.elapsed().as_millis()).unwrap_or(u64::MAX),
            trials: eval.trials,
            pass_grade: eval.rubric.pass,
            cases: p
                .cases
                .iter()
                .map(|(c, s)| CaseInfo {
                    id: c.id.clone(),
                    expectation: c.expectation,
                    origin: s.origin.clone(),
                    rev: s.rev.to_string(),
                })
                .collect(),
            agents: p.agents,
            sandbox: p.ctx.sandbox.name().into(),
            grading_sandbox: p.ctx.grading_sandbox.name().into(),
            runtime_sandbox: p.ctx.runtime_sandbox.name().into(),
            rooms: crate::agent::overlay::rooms(),
            grading: p.ctx.judging.as_ref().map(crate::grade::Judging::info),
            regraded_from: None,
            subset: eval.subset || p.shard.is_some(),
            interrupted: interrupted.map(|signal| results::Interrupted::by(signal, p.runs.len())),
            shard: p.shard,
            merged_from: Vec::new(),
            command: eval.command.clone(),
            budget_spent,
            runs,
            gates,
        };
        let dir = store.finish(&results)?;
        done.push((results, dir));
    }
    Ok(done)
}

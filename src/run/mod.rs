//! Running an eval: plan the runs, prepare every case's source once, execute the runs
//! concurrently (at most `jobs` at a time), and store the results.
//!
//! Data enters as a checked [`Eval`], its [`Skill`] and the selected cases; it leaves as a
//! [`Results`] written to the results store ([`store`]). Each run is independent: its own
//! checkout, environment and process group ([`execute`]).

pub(crate) mod clean_room;
pub mod delivery;
pub mod event;
pub mod evidence;
pub(crate) mod execute;
pub mod merge;
pub mod plan;
pub mod regrade;
pub mod results;
pub mod schedule;
pub mod store;
pub mod terminal;
pub mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::agent::{Probe, Sandbox};
use crate::corpus::{Case, PreparedSource};
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::skill::Skill;
use event::{Event, Reporters};
use results::{AgentInfo, CaseInfo, EvalInfo, RESULTS_SCHEMA, Results, SkillInfo};

/// What every run of an eval shares.
#[derive(Debug)]
pub struct Context<'a> {
    pub eval: &'a Eval,
    /// The skill under test; `None` when only baselines run (`corpus verify`).
    pub skill: Option<&'a Skill>,
    pub sandbox: &'a Sandbox,
    /// What the checks run in: bubblewrap whenever it is installed, whatever the agents'
    /// sandbox ([`Sandbox::for_grading`]).
    pub grading_sandbox: Sandbox,
    /// What runtime agents run in: the eval's sandbox when it names one, else bubblewrap
    /// where it is installed.
    pub runtime_sandbox: Sandbox,
    /// Each runtime agent's probe, by agent name.
    pub probes: HashMap<String, Probe>,
    /// The eval's graders, with their cache and budget.
    pub judging: Option<crate::grade::Judging>,
    /// Every secret the eval passes to a run, redacted from all it stores and prints.
    pub redactor: Arc<crate::redact::Redactor>,
}

/// What runtime agents run in ([`Context::runtime_sandbox`]).
pub(crate) fn runtime_sandbox(eval: &Eval, sandbox: &Sandbox) -> Sandbox {
    if eval.sandbox.is_empty() {
        Sandbox::working_bwrap().unwrap_or(Sandbox::None)
    } else {
        sandbox.clone()
    }
}

impl Context<'_> {
    /// The sandbox `agent`'s own process runs in.
    pub(crate) fn agent_sandbox(&self, agent: &crate::agent::AgentSpec) -> &Sandbox {
        if agent.runtime().is_some() {
            &self.runtime_sandbox
        } else {
            self.sandbox
        }
    }
}

/// The eval's secrets: the values of its `pass_env`, of each runtime's credentials and of
/// each grader's credential.
pub(crate) fn redactor(eval: &Eval) -> Arc<crate::redact::Redactor> {
    let mut names = eval.pass_env.clone();
    for agent in eval.defined_agents.iter().chain(eval.agents.iter()) {
        if let Some(rt) = agent.runtime() {
            names.extend(rt.credentials.iter().cloned());
        }
    }
    names.extend(eval.graders.iter().filter_map(|g| g.credential.clone()));
    names.sort();
    names.dedup();
    Arc::new(crate::redact::Redactor::from_env(&names))
}

/// The eval's provenance: its name, its path in the workspace and the hash of its bytes.
fn eval_info(eval: &Eval) -> Result<EvalInfo> {
    let bytes = std::fs::read(&eval.path).map_err(|e| Error::read(&eval.path, e))?;
    Ok(EvalInfo {
        name: eval.name.clone(),
        path: eval
            .workspace
            .display(&eval.path)
            .to_string_lossy()
            .into_owned(),
        hash: format!("sha256:{:x}", Sha256::digest(&bytes)),
    })
}

/// The eval's graders with their cache and budget; `None` when it has none.
fn judging(
    eval: &Eval,
    sandbox: &Sandbox,
    path: Option<&std::ffi::OsStr>,
) -> Option<crate::grade::Judging> {
    (!eval.graders.is_empty()).then(|| {
        let mut judging = crate::grade::Judging::new(
            eval.graders.clone(),
            eval.budget.clone(),
            crate::workspace::cache_dir().join("graders"),
        );
        judging.agent_graders = agent_graders(eval, sandbox, path);
        judging
    })
}

/// What the eval's agent graders run with: their agents, probed, and the sandbox; `None`
/// when every grader is an API.
fn agent_graders(
    eval: &Eval,
    sandbox: &Sandbox,
    path: Option<&std::ffi::OsStr>,
) -> Option<crate::grade::agent_grader::AgentGraders> {
    let agents: Vec<crate::agent::AgentSpec> = eval
        .graders
        .iter()
        .filter_map(|g| match &g.kind {
            crate::grade::GraderKind::Agent(name) => eval
                .defined_agents
                .iter()
                .find(|a| a.name == *name)
                .cloned(),
            _ => None,
        })
        .collect();
    if agents.is_empty() {
        return None;
    }
    let probes: HashMap<String, Probe> = agents
        .iter()
        .filter_map(|a| Some((a.name.clone(), a.runtime()?.probe(path))))
        .collect();
    let exposed = agents
        .iter()
        .flat_map(|a| {
            crate::agent::sandbox::exposed_for(a, probes.get(&a.name), eval.workspace.root())
        })
        .chain(eval.expose.iter().cloned())
        .collect();
    Some(crate::grade::agent_grader::AgentGraders {
        agents,
        probes,
        sandbox: sandbox.clone(),
        hidden: Sandbox::default_hidden(eval.workspace.root()),
        exposed,
        pass_env: eval.pass_env.clone(),
        timeout: eval.timeout,
    })
}

/// Puts `runs` in results order (case, variant, agent, trial) and evaluates the eval's
/// gates over them.
pub(crate) fn order_and_gate(
    runs: &mut [results::RunRecord],
    eval: &Eval,
) -> Vec<crate::grade::GateResult> {
    runs.sort_by(|a, b| {
        (&a.case, a.variant, &a.agent, a.trial).cmp(&(&b.case, b.variant, &b.agent, b.trial))
    });
    eval.gates
        .iter()
        .map(|g| g.evaluate(runs, eval.rubric.pass))
        .collect()
}

/// What goes into every run's key besides its case and trial.
fn key_inputs(
    eval: &Eval,
    skill: &Skill,
    probes: &HashMap<String, Probe>,
    grading: &Sandbox,
    runtimes: &Sandbox,
) -> plan::KeyInputs {
    // What the agents and the checks actually ran in counts too: a grade taken without
    // the grading jail never stands in for one taken with it.
    let delivery = format!(
        "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{}",
        eval.timeout,
        eval.sandbox,
        eval.network,
        eval.pass_env,
        eval.expose,
        eval.registries,
        runtimes.name(),
    );
    let graded_by = format!(
        "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{}",
        eval.rubric,
        eval.integrity_allow,
        eval.integrity_lookups_fail,
        eval.graders,
        eval.budget,
        grading.name(),
    );
    let agents = eval
        .agents
        .iter()
        .map(|a| {
            let extra = match (&a.kind, probes.get(&a.name)) {
                (_, Some(probe)) => probe.version.clone().unwrap_or_default(),
                (crate::agent::AgentKind::Command { argv }, None) => {
                    plan::command_digest(argv, eval.workspace.root())
                }
                _ => String::new(),
            };
            (a.name.clone(), extra)
        })
        .collect();
    plan::KeyInputs {
        skill: skill.hash.clone(),
        delivery: format!("{:x}", Sha256::digest(delivery.as_bytes())),
        grading: format!("{:x}", Sha256::digest(graded_by.as_bytes())),
        agents,
    }
}

/// The stored run `cached` copied in as the result of `run`; `None` when its folder cannot
/// be copied (then the run is carried out).
fn reuse(
    cached: &store::Cached,
    run: &plan::PlannedRun,
    run_dir: &std::path::Path,
) -> Option<results::RunRecord> {
    crate::fsx::copy_tree(&cached.dir, run_dir).ok()?;
    let mut record = cached.record.clone();
    record.dir = run.dir.clone();
    record.cached_from = Some(cached.run_id.clone());
    Some(record)
}

/// The stored delivery of `cached` graded again with the current rubric, as the result of
/// `run`; `None` when it cannot be (then the run is carried out).
async fn regrade_delivery(
    cached: &store::Cached,
    run: &plan::PlannedRun,
    ctx: &Context<'_>,
    run_dir: &std::path::Path,
) -> Option<results::RunRecord> {
    let mut record = cached.record.clone();
    record.dir = run.dir.clone();
    record.key = run.key.clone();
    record.cached_from = None;
    record.delivery_from = Some(
        cached
            .record
            .delivery_from
            .clone()
            .unwrap_or_else(|| cached.run_id.clone()),
    );
    let source = Some((run.case.clone(), run.source.clone()));
    let graded = async {
        regrade::regrade_run(&mut record, ctx, source, &cached.dir, run_dir).await?;
        let json = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        crate::fsx::write_atomic(&run_dir.join("grade.json"), json + "\n")
            .map_err(|e| e.to_string())?;
        // The new check logs lose the eval's secrets, as every run's files do.
        ctx.redactor.redact_dir(run_dir).map_err(|e| e.to_string())
    };
    match graded.await {
        Ok(()) => Some(record),
        Err(_) => {
            // Nothing half-done stays: the run is carried out instead, in a clean folder.
            let _ = std::fs::remove_dir_all(run_dir);
            None
        }
    }
}

/// The event of a graded (or reused) run.
fn graded(run: &plan::PlannedRun, record: &results::RunRecord, ctx: &Context<'_>) -> Event {
    Event::RunGraded {
        index: run.index,
        case: record.case.clone(),
        agent: record.agent.clone(),
        variant: record.variant,
        trial: record.trial,
        status: record.status,
        grade: record.grade,
        failed: record.failed().iter().map(|s| s.to_string()).collect(),
        reason: record.grade_reason.clone(),
        duration_ms: record.timings.total_ms,
        tamper_proof: ctx.grading_sandbox != Sandbox::None,
        agent_sandboxed: *ctx.agent_sandbox(&run.agent) != Sandbox::None || !run.agent.is_process(),
        cached_from: record.cached_from.clone(),
        delivery_from: record.delivery_from.clone(),
    }
}

/// Runs every planned run and stores the results; returns them with their folder.
pub fn run_eval(
    eval: &Eval,
    skill: &Skill,
    cases: Vec<(Case, PreparedSource)>,
    jobs: usize,
    sandbox: &Sandbox,
    reporter: &Reporters,
) -> Result<(Results, std::path::PathBuf)> {
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
        &key_inputs(
            eval,
            skill,
            &probes,
            &grading_sandbox,
            &runtime_sandbox(eval, sandbox),
        ),
    );
    if planned.is_empty() {
        return Err(Error::NothingSelected("the eval selects no runs".into()));
    }
    // A shard runs its share of the plan: balanced by the stored durations of earlier
    // runs (left out: this plan's own shards, which not every shard has seen), else by
    // each run's key, so every shard of the same plan agrees on the split wherever it runs
    // from the same store.
    let plan_key = plan::plan_key(&planned);
    let (planned, shard) = match eval.shard {
        None => (planned, None),
        Some((index, count)) => {
            let durations = store::durations(&eval.workspace, &plan_key);
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
    let cache = if eval.no_cache {
        store::Cache::default()
    } else {
        store::cached_runs(&eval.workspace)
    };
    // Everything that can fail before the runs is done before the store is opened, so a
    // failure leaves no partial results behind.
    let eval_info = eval_info(eval)?;
    let scheduler = schedule::Scheduler::new(jobs)?.with_budget(eval.agent_budget);
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
    let judging = judging(eval, sandbox, path.as_deref());
    let ctx = Context {
        eval,
        skill: Some(skill),
        sandbox,
        grading_sandbox,
        runtime_sandbox: runtime_sandbox(eval, sandbox),
        probes,
        judging,
        redactor: redactor(eval),
    };
    let store = store::Store::begin(&eval.workspace)?;
    reporter.emit(&Event::EvalStarted {
        eval: eval.name.clone(),
        skill: skill.name().into(),
        skill_hash: skill.hash.clone(),
        runs: planned.len(),
        jobs,
    });

    let work: Vec<(&plan::PlannedRun, std::path::PathBuf)> =
        planned.iter().map(|r| (r, store.run_dir(&r.dir))).collect();
    let ctx = &ctx;
    let outcomes = scheduler.run_all(
        &work,
        |(run, run_dir)| {
            let run = *run;
            let cached = cache.by_key.get(&run.key);
            let delivered = cache.by_delivery.get(&run.delivery_key);
            async move {
                if let Some(record) = cached.and_then(|c| reuse(c, run, run_dir)) {
                    reporter.emit(&graded(run, &record, ctx));
                    return Some(record);
                }
                // Only the grading changed: the stored delivery is graded again.
                if let Some(c) = delivered
                    && let Some(record) = regrade_delivery(c, run, ctx, run_dir).await
                {
                    reporter.emit(&graded(run, &record, ctx));
                    return Some(record);
                }
                reporter.emit(&Event::RunStarted {
                    index: run.index,
                    case: run.case.id.clone(),
                    agent: run.agent.name.clone(),
                    variant: run.variant,
                    trial: run.trial,
                });
                let record = execute::execute(run, ctx, run_dir).await;
                // A run the stop cut short is not a result: it goes, and runs again on
                // the next eval.
                if crate::interrupt::requested().is_some() {
                    let _ = std::fs::remove_dir_all(run_dir);
                    return None;
                }
                reporter.emit(&graded(run, &record, ctx));
                Some(record)
            }
        },
        |record| {
            record
                .as_ref()
                .map(results::RunRecord::spend)
                .unwrap_or_default()
        },
    );
    let mut budget_spent = None;
    let records: Vec<Option<results::RunRecord>> = outcomes
        .into_iter()
        .zip(&work)
        .map(|(outcome, (run, run_dir))| match outcome {
            schedule::Scheduled::Done(record) => record,
            schedule::Scheduled::Held(schedule::Held::Interrupted(_)) => None,
            // Not the agents' failure: recorded as not run, with the limit reached.
            schedule::Scheduled::Held(schedule::Held::Budget(why)) => {
                let record = execute::held_for_budget(run, &why, run_dir);
                reporter.emit(&graded(run, &record, ctx));
                budget_spent.get_or_insert(why);
                Some(record)
            }
        })
        .collect();
    drop(scheduler);

    let mut runs: Vec<results::RunRecord> = records.into_iter().flatten().collect();
    let gates = order_and_gate(&mut runs, eval);
    let results = Results {
        schema: RESULTS_SCHEMA.into(),
        run_id: store.id().to_string(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        eval: eval_info,
        skill: SkillInfo {
            name: skill.name().into(),
            hash: skill.hash.clone(),
        },
        started_at,
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        wall_ms: u64::try_from(wall.elapsed().as_millis()).unwrap_or(u64::MAX),
        trials: eval.trials,
        pass_grade: eval.rubric.pass,
        cases: cases
            .iter()
            .map(|(c, s)| CaseInfo {
                id: c.id.clone(),
                expectation: c.expectation,
                origin: s.origin.clone(),
                rev: s.rev.to_string(),
            })
            .collect(),
        agents,
        sandbox: sandbox.name().into(),
        grading_sandbox: ctx.grading_sandbox.name().into(),
        runtime_sandbox: ctx.runtime_sandbox.name().into(),
        grading: ctx.judging.as_ref().map(crate::grade::Judging::info),
        regraded_from: None,
        subset: eval.subset || shard.is_some(),
        interrupted: crate::interrupt::requested()
            .map(|signal| results::Interrupted::by(signal, planned.len())),
        shard,
        merged_from: Vec::new(),
        command: eval.command.clone(),
        budget_spent,
        runs,
        gates,
    };
    let dir = store.finish(&results)?;
    Ok((results, dir))
}

//! Running an eval: plan the runs, prepare every case's source once, execute the runs
//! concurrently (at most `jobs` at a time), and store the results.
//!
//! Data enters as a checked [`Eval`], its [`Skill`] and the selected cases; it leaves as a
//! [`Results`] written to the results store ([`store`]). Each run is independent: its own
//! checkout, environment and process group ([`execute`]).

mod base;
pub(crate) mod clean_room;
pub mod delivery;
pub mod evals;
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

pub use base::drain_trash;

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::agent::{Probe, Sandbox};
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::skill::Skill;
use event::Event;
use results::EvalInfo;

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
    /// The results set's files stored once by content (prompts, patches, check logs).
    pub shared: crate::fsx::SharedFiles,
}

impl Context<'_> {
    /// The skill a run of `variant` gets installed: the skill under test, another version
    /// of it, or none.
    pub fn skill_for(&self, variant: crate::eval::Variant) -> Option<&Skill> {
        match variant {
            crate::eval::Variant::Skill => self.skill,
            crate::eval::Variant::Version(name) => self
                .eval
                .versions
                .iter()
                .find(|v| v.name == name)
                .map(|v| &v.skill),
            _ => None,
        }
    }
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

/// What decides how a delivery is graded, besides the case's hidden files: the rubric, the
/// integrity settings, the graders (and the files a command grader agent names) and their
/// budget, and whether the checks run in bubblewrap.
fn grading_digest(eval: &Eval, grading: &Sandbox) -> String {
    let grader_files: Vec<String> = eval
        .graders
        .iter()
        .filter_map(|g| match &g.kind {
            crate::grade::GraderKind::Agent(name) => {
                eval.defined_agents.iter().find(|a| a.name == *name)
            }
            _ => None,
        })
        .filter_map(|a| match &a.kind {
            crate::agent::AgentKind::Command { argv } => {
                Some(plan::command_digest(argv, eval.workspace.root()))
            }
            _ => None,
        })
        .collect();
    let graded_by = format!(
        "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{}",
        eval.rubric,
        eval.integrity_allow,
        eval.integrity_lookups_fail,
        eval.graders,
        grader_files,
        eval.budget,
        grading.name(),
    );
    format!("{:x}", Sha256::digest(graded_by.as_bytes()))
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
        versions: eval
            .versions
            .iter()
            .map(|v| (v.name.to_string(), v.skill.hash.clone()))
            .collect(),
        delivery: format!("{:x}", Sha256::digest(delivery.as_bytes())),
        grading: grading_digest(eval, grading),
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
    store::carry_run(&cached.dir, run_dir).ok()?;
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
        eval: ctx.eval.name.clone(),
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

//! Agents: what runs in a prepared checkout and tries to do the task.
//!
//! An [`AgentSpec`] names an agent and its kind. [`run`] executes it for one run: built-in
//! baselines act in-process on the checkout; a `command` agent is a process started cold
//! ([`cold::ColdEnv`]) in its own process group ([`process`]), killed with its children at
//! the timeout. Whatever the kind, the result is an [`AgentExit`].

mod baseline;
mod bump;
pub mod cold;
pub mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use bump::bump_manifests;

use crate::corpus::Case;

/// The built-in agents, which need no model.
pub const BUILTIN: [&str; 3] = ["noop", "bump-only", "reference"];

/// How an agent does its work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentKind {
    /// Changes nothing.
    Noop,
    /// Raises the finding's package to its fixed version in the dependency manifests.
    BumpOnly,
    /// Applies the case's reference patch, or escalates an escalate case.
    Reference,
    /// A user-given program, run in the checkout.
    Command { argv: Vec<String> },
}

/// An agent of an eval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpec {
    pub name: String,
    pub kind: AgentKind,
}

impl AgentSpec {
    /// The built-in agent called `name`, if there is one.
    pub fn builtin(name: &str) -> Option<AgentSpec> {
        let kind = match name {
            "noop" => AgentKind::Noop,
            "bump-only" => AgentKind::BumpOnly,
            "reference" => AgentKind::Reference,
            _ => return None,
        };
        Some(AgentSpec {
            name: name.to_string(),
            kind,
        })
    }

    /// Whether the agent reads the skill; baselines do not, so they run once per case and
    /// trial rather than once per variant.
    pub fn uses_skill(&self) -> bool {
        matches!(self.kind, AgentKind::Command { .. })
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            AgentKind::Noop => "noop",
            AgentKind::BumpOnly => "bump-only",
            AgentKind::Reference => "reference",
            AgentKind::Command { .. } => "command",
        }
    }
}

/// Everything an agent is given for one run.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub case: &'a Case,
    pub checkout: &'a Path,
    pub env: &'a cold::ColdEnv,
    pub prompt_file: &'a Path,
    pub signals_file: &'a Path,
    /// The installed copy of the skill; `None` for the `none` variant.
    pub skill_dir: Option<&'a Path>,
    pub timeout: Duration,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
}

/// How an agent's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStatus {
    /// It finished (a process exited 0, or a baseline completed).
    Finished,
    /// Its process exited with a non-zero code.
    Exited(i32),
    /// Its process was killed by a signal it did not get from skillbench.
    Signaled(i32),
    /// It ran past its timeout; its process group was killed.
    TimedOut(Duration),
    /// It could not be started or could not complete its work.
    Failed(String),
}

/// The end of an agent's run.
#[derive(Debug, Clone)]
pub struct AgentExit {
    pub status: AgentStatus,
    pub duration: Duration,
}

/// Runs `agent` for one run.
pub async fn run(agent: &AgentSpec, inv: &Invocation<'_>) -> AgentExit {
    let start = Instant::now();
    let status = match &agent.kind {
        AgentKind::Noop => AgentStatus::Finished,
        AgentKind::BumpOnly => baseline::bump_only(inv),
        AgentKind::Reference => baseline::reference(inv),
        AgentKind::Command { argv } => command(argv, inv).await,
    };
    AgentExit {
        status,
        duration: start.elapsed(),
    }
}

async fn command(argv: &[String], inv: &Invocation<'_>) -> AgentStatus {
    let mut env = inv.env.vars().to_vec();
    env.push((
        "SKILLBENCH_PROMPT_FILE".into(),
        inv.prompt_file.to_string_lossy().into_owned(),
    ));
    env.push((
        "SKILLBENCH_SIGNALS".into(),
        inv.signals_file.to_string_lossy().into_owned(),
    ));
    env.push((
        "SKILLBENCH_CHECKOUT".into(),
        inv.checkout.to_string_lossy().into_owned(),
    ));
    env.push(("SKILLBENCH_CASE".into(), inv.case.id.clone()));
    if let Some(skill) = inv.skill_dir {
        env.push((
            "SKILLBENCH_SKILL_DIR".into(),
            skill.to_string_lossy().into_owned(),
        ));
    }
    let spec = process::Spec {
        argv: argv.to_vec(),
        cwd: inv.checkout.to_path_buf(),
        env,
        timeout: inv.timeout,
        output: process::Output::Split {
            stdout: inv.stdout_log.clone(),
            stderr: inv.stderr_log.clone(),
        },
    };
    match process::run(&spec).await {
        Ok(done) => match done.status {
            process::Status::Exited(0) => AgentStatus::Finished,
            process::Status::Exited(code) => AgentStatus::Exited(code),
            process::Status::Signaled(sig) => AgentStatus::Signaled(sig),
            process::Status::TimedOut => AgentStatus::TimedOut(inv.timeout),
        },
        Err(e) => AgentStatus::Failed(format!(
            "cannot start {}: {e}",
            argv.first().map_or("", String::as_str)
        )),
    }
}

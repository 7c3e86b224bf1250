//! Agents: what runs in a prepared checkout and tries to do the task.
//!
//! An [`AgentSpec`] names an agent and its kind. [`run`] executes it for one run: built-in
//! baselines act in-process on the checkout; a `command` agent is a process started cold
//! ([`cold::ColdEnv`]) in its own process group ([`process`]), killed with its children at
//! the timeout. Whatever the kind, the result is an [`AgentExit`].

mod baseline;
mod bump;
pub mod cold;
pub mod overlay;
pub mod process;
pub mod proxy;
pub mod reaper;
pub mod runtime;
pub mod sandbox;
pub mod transcript;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use bump::bump_manifests;
pub use runtime::{Probe, Runtime, RuntimeAgent};
pub use sandbox::{Jail, Network, Sandbox};
pub use transcript::Transcript;

use crate::corpus::Case;

/// The predefined agents: the baselines, which need no model, and each runtime with its
/// defaults.
pub const BUILTIN: [&str; 7] = [
    "noop",
    "bump-only",
    "reference",
    "claude-code",
    "copilot",
    "codex",
    "gemini",
];

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
    /// An agent runtime (Claude Code, Copilot CLI, Codex CLI, Gemini CLI), run headless.
    Runtime(RuntimeAgent),
}

/// An agent of an eval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpec {
    pub name: String,
    pub kind: AgentKind,
}

impl AgentSpec {
    /// The predefined agent called `name`, if there is one: a baseline, or a runtime with
    /// its defaults.
    pub fn builtin(name: &str) -> Option<AgentSpec> {
        let kind = match name {
            "noop" => AgentKind::Noop,
            "bump-only" => AgentKind::BumpOnly,
            "reference" => AgentKind::Reference,
            _ => AgentKind::Runtime(RuntimeAgent::default_for(Runtime::named(name)?)),
        };
        Some(AgentSpec {
            name: name.to_string(),
            kind,
        })
    }

    /// Whether the agent reads the skill; baselines do not, so they run once per case and
    /// trial rather than once per variant.
    pub fn uses_skill(&self) -> bool {
        matches!(self.kind, AgentKind::Command { .. } | AgentKind::Runtime(_))
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            AgentKind::Noop => "noop",
            AgentKind::BumpOnly => "bump-only",
            AgentKind::Reference => "reference",
            AgentKind::Command { .. } => "command",
            AgentKind::Runtime(r) => r.runtime.name(),
        }
    }

    pub fn runtime(&self) -> Option<&RuntimeAgent> {
        match &self.kind {
            AgentKind::Runtime(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the agent is a process of its own (a command or a runtime), not a baseline
    /// that skillbench carries out itself.
    pub fn is_process(&self) -> bool {
        matches!(self.kind, AgentKind::Command { .. } | AgentKind::Runtime(_))
    }

    /// Whether the agent is a process that talks to a model, and so needs the network.
    pub fn needs_network(&self) -> bool {
        matches!(self.kind, AgentKind::Runtime(_))
    }
}

/// The first executable called `program` in the folders of `path`.
pub fn which(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path?).find_map(|dir| {
        let candidate = dir.join(program);
        let meta = std::fs::metadata(&candidate).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(candidate)
    })
}

/// Everything an agent is given for one run.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub case: &'a Case,
    /// The repository the checkout came from (a fixture repository or the git mirror).
    pub source_repo: &'a Path,
    pub checkout: &'a Path,
    pub env: &'a cold::ColdEnv,
    pub prompt_file: &'a Path,
    pub signals_file: &'a Path,
    /// The installed copy of the skill, for a command agent in the `skill` variant; `None`
    /// otherwise (a runtime finds the skill where it looks, never through its environment).
    pub skill_dir: Option<&'a Path>,
    pub timeout: Duration,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
    /// Where the normalized transcript of a runtime is written.
    pub transcript_file: PathBuf,
    pub sandbox: &'a Sandbox,
    pub jail: &'a Jail,
    /// The runtime's probe, for runtime agents.
    pub probe: Option<&'a Probe>,
    /// Secrets to redact from everything the run stores.
    pub redactor: &'a std::sync::Arc<crate::redact::Redactor>,
    /// Under the filtering network: the forwarder to start the agent through.
    pub forward: Option<&'a Forward>,
    /// The room's overlay, when it is one: the agent's processes run in its view.
    pub overlay: Option<&'a overlay::Overlay>,
}

/// How an agent under the filtering network is started: through skillbench's forwarder
/// (`EXE __forward SOCKET PORT… -- ARGV`), inside its sandbox.
#[derive(Debug, Clone)]
pub struct Forward {
    pub exe: PathBuf,
    pub socket: PathBuf,
    /// Loopback endpoints' ports, listened on directly.
    pub ports: Vec<u16>,
}

impl Forward {
    fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        [s(&self.exe), proxy::ARG.to_string(), s(&self.socket)]
            .into_iter()
            .chain(self.ports.iter().map(u16::to_string))
            .chain(["--".to_string()])
            .chain(argv)
            .collect()
    }
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
    /// What a runtime printed, normalized.
    pub transcript: Option<Transcript>,
}

/// Runs `agent` for one run.
pub async fn run(agent: &AgentSpec, inv: &Invocation<'_>) -> AgentExit {
    let start = Instant::now();
    let mut transcript = None;
    let status = match &agent.kind {
        AgentKind::Noop => AgentStatus::Finished,
        AgentKind::BumpOnly => baseline::bump_only(inv),
        AgentKind::Reference => baseline::reference(inv),
        AgentKind::Command { argv } => command(argv, inv).await,
        AgentKind::Runtime(rt) => {
            let (status, t) = runtime(rt, inv).await;
            transcript = t;
            status
        }
    };
    AgentExit {
        status,
        duration: start.elapsed(),
        transcript,
    }
}

/// The variables every agent process gets besides the cold environment.
fn harness_env(inv: &Invocation<'_>) -> Vec<(String, String)> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let mut env = inv.env.vars().to_vec();
    env.push(("SKILLBENCH_PROMPT_FILE".into(), s(inv.prompt_file)));
    env.push(("SKILLBENCH_SIGNALS".into(), s(inv.signals_file)));
    env.push(("SKILLBENCH_CHECKOUT".into(), s(inv.checkout)));
    env.push(("SKILLBENCH_CASE".into(), inv.case.id.clone()));
    if let Some(skill) = inv.skill_dir {
        env.push(("SKILLBENCH_SKILL_DIR".into(), s(skill)));
    }
    env
}

async fn command(argv: &[String], inv: &Invocation<'_>) -> AgentStatus {
    spawn(argv.to_vec(), harness_env(inv), inv).await
}

async fn runtime(rt: &RuntimeAgent, inv: &Invocation<'_>) -> (AgentStatus, Option<Transcript>) {
    let Some(binary) = inv.probe.and_then(|p| p.binary.as_deref()) else {
        return (
            AgentStatus::Failed(format!("{} was not found", rt.runtime.program())),
            None,
        );
    };
    let prompt = match std::fs::read_to_string(inv.prompt_file) {
        Ok(p) => p,
        Err(e) => {
            return (
                AgentStatus::Failed(format!("cannot read the prompt: {e}")),
                None,
            );
        }
    };
    let home = inv
        .env
        .vars()
        .iter()
        .find(|(k, _)| k == "HOME")
        .map(|(_, v)| PathBuf::from(v))
        .unwrap_or_default();
    let config_dir = home
        .parent()
        .unwrap_or(&home)
        .join(format!("{}-config", rt.runtime.program()));
    if let Err(e) = std::fs::create_dir_all(&config_dir) {
        return (
            AgentStatus::Failed(format!("cannot create {}: {e}", config_dir.display())),
            None,
        );
    }
    let setup = runtime::RunSetup {
        binary,
        checkout: inv.checkout,
        prompt: &prompt,
        config_dir: &config_dir,
    };
    if let Err(e) = rt.prepare(&setup) {
        return (
            AgentStatus::Failed(format!("cannot prepare {}: {e}", config_dir.display())),
            None,
        );
    }
    let (argv, extra) = rt.command(&setup);
    let mut env = harness_env(inv);
    // The runtime's own settings win over anything passed through by name.
    env.retain(|(k, _)| !extra.iter().any(|(x, _)| x == k));
    env.extend(extra);
    let status = spawn(argv, env, inv).await;
    let stdout = std::fs::read(&inv.stdout_log).unwrap_or_default();
    let transcript = rt.parse(&String::from_utf8_lossy(&stdout), &config_dir);
    let jsonl = transcript.to_jsonl();
    if let Err(e) =
        crate::fsx::write_staged(&inv.transcript_file, inv.redactor.clean(jsonl.as_bytes()))
    {
        return (
            AgentStatus::Failed(format!("cannot write the transcript: {e}")),
            Some(transcript),
        );
    }
    (status, Some(transcript))
}

async fn spawn(argv: Vec<String>, env: Vec<(String, String)>, inv: &Invocation<'_>) -> AgentStatus {
    let program = argv.first().cloned().unwrap_or_default();
    let argv = match inv.forward {
        Some(f) => f.wrap(argv),
        None => argv,
    };
    let spec = process::Spec {
        argv: inv.sandbox.wrap(argv, inv.checkout, inv.jail),
        cwd: inv.checkout.to_path_buf(),
        env,
        timeout: inv.timeout,
        output: process::Output::Split {
            stdout: inv.stdout_log.clone(),
            stderr: inv.stderr_log.clone(),
        },
        redactor: inv.redactor.clone(),
        overlay: inv.overlay.cloned(),
    };
    match process::run(&spec).await {
        Ok(done) => match done.status {
            process::Status::Exited(0) => AgentStatus::Finished,
            process::Status::Exited(code) => AgentStatus::Exited(code),
            process::Status::Signaled(sig) => AgentStatus::Signaled(sig),
            process::Status::TimedOut => AgentStatus::TimedOut(inv.timeout),
            process::Status::Interrupted => {
                AgentStatus::Failed("skillbench was asked to stop".into())
            }
        },
        Err(e) => AgentStatus::Failed(format!("cannot start {program}: {e}")),
    }
}

/// Starts what an eval probes before its first run — whether bubblewrap works here, and
/// whether rooms can be mounted — on threads of their own, so that each process they start
/// overlaps the loading and planning instead of following it. Each is probed once per
/// process; whoever needs the answer first waits for it.
pub fn probe_in_background() {
    std::thread::spawn(|| {
        let _ = Sandbox::working_bwrap();
    });
    std::thread::spawn(|| {
        let _ = overlay::mode();
    });
}

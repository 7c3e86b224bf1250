//! Adapters for the agent runtimes skill authors use: Claude Code, GitHub Copilot CLI, Codex
//! CLI and Gemini CLI.
//!
//! A [`RuntimeAgent`] is an eval's configuration of one runtime (binary, model, base URL,
//! credentials by name, extra arguments). Before any run, [`RuntimeAgent::probe`] finds the
//! binary and its version and checks the credentials; a runtime that is missing either makes
//! its runs `unavailable`. For one run, [`RuntimeAgent::command`] builds the headless
//! invocation and the runtime's own configuration environment (a fresh config home beside the
//! fresh HOME, the base URL, the credentials), and [`RuntimeAgent::parse`] turns what the
//! runtime printed into a normalized [`Transcript`].

mod claude;
mod codex;
mod copilot;
mod gemini;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::transcript::Transcript;

/// An agent runtime skillbench can drive headless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    ClaudeCode,
    Copilot,
    Codex,
    Gemini,
}

/// Every runtime, in the order `skillbench agents` lists them.
pub const RUNTIMES: [Runtime; 4] = [
    Runtime::ClaudeCode,
    Runtime::Copilot,
    Runtime::Codex,
    Runtime::Gemini,
];

impl Runtime {
    /// The agent kind in an eval file, and the name of its predefined agent.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::ClaudeCode => "claude-code",
            Runtime::Copilot => "copilot",
            Runtime::Codex => "codex",
            Runtime::Gemini => "gemini",
        }
    }

    pub fn named(name: &str) -> Option<Runtime> {
        RUNTIMES.into_iter().find(|r| r.name() == name)
    }

    /// The program looked up on PATH when the eval names no binary.
    pub fn program(self) -> &'static str {
        match self {
            Runtime::ClaudeCode => "claude",
            Runtime::Copilot => "copilot",
            Runtime::Codex => "codex",
            Runtime::Gemini => "gemini",
        }
    }

    pub fn npm_package(self) -> &'static str {
        match self {
            Runtime::ClaudeCode => "@anthropic-ai/claude-code",
            Runtime::Copilot => "@github/copilot",
            Runtime::Codex => "@openai/codex",
            Runtime::Gemini => "@google/gemini-cli",
        }
    }

    /// Where, relative to the checkout, the runtime looks for project skills; the skill under
    /// test is installed at `<skills_dir>/<name>/`.
    pub fn skills_dir(self) -> &'static str {
        match self {
            Runtime::ClaudeCode => ".claude/skills",
            Runtime::Copilot => ".github/skills",
            Runtime::Codex => ".agents/skills",
            Runtime::Gemini => ".gemini/skills",
        }
    }

    /// The tools through which the runtime activates a skill by name.
    pub fn skill_tools(self) -> &'static [&'static str] {
        match self {
            Runtime::ClaudeCode => &["Skill"],
            Runtime::Copilot => &["skill"],
            Runtime::Codex => &[],
            Runtime::Gemini => &["activate_skill"],
        }
    }

    /// The variable that moves the runtime's user configuration folder.
    pub fn config_env(self) -> &'static str {
        match self {
            Runtime::ClaudeCode => "CLAUDE_CONFIG_DIR",
            Runtime::Copilot => "COPILOT_HOME",
            Runtime::Codex => "CODEX_HOME",
            Runtime::Gemini => "GEMINI_CLI_HOME",
        }
    }

    /// Where the runtime talks to its model when no `base_url` is given: what the
    /// filtering network lets through for it.
    pub fn default_endpoints(self) -> &'static [&'static str] {
        match self {
            Runtime::ClaudeCode => &["api.anthropic.com:443"],
            Runtime::Copilot => &[
                "api.githubcopilot.com:443",
                "*.githubcopilot.com:443",
                "api.github.com:443",
            ],
            Runtime::Codex => &["api.openai.com:443"],
            Runtime::Gemini => &["generativelanguage.googleapis.com:443"],
        }
    }

    /// The credentials passed when the eval names none.
    pub fn default_credentials(self) -> &'static [&'static str] {
        match self {
            Runtime::ClaudeCode => &["ANTHROPIC_API_KEY"],
            Runtime::Copilot => &["COPILOT_GITHUB_TOKEN"],
            Runtime::Codex => &["OPENAI_API_KEY"],
            Runtime::Gemini => &["GEMINI_API_KEY"],
        }
    }
}

/// An eval's configuration of one runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeAgent {
    pub runtime: Runtime,
    /// The runtime's executable; [`Runtime::program`] on PATH when `None`.
    pub binary: Option<PathBuf>,
    pub model: Option<String>,
    /// The model endpoint, for proxies, gateways and tests.
    pub base_url: Option<String>,
    /// Names of the variables passed to the runtime from skillbench's environment.
    pub credentials: Vec<String>,
    /// Arguments added after skillbench's own.
    pub args: Vec<String>,
}

/// Whether a runtime can run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub binary: Option<PathBuf>,
    pub version: Option<String>,
    /// What is missing, as a person reads it; empty when the runtime is available.
    pub missing: Vec<String>,
}

impl Probe {
    pub fn available(&self) -> bool {
        self.missing.is_empty()
    }
}

/// What one run of a runtime needs besides the cold environment.
#[derive(Debug, Clone)]
pub struct RunSetup<'a> {
    pub binary: &'a Path,
    pub checkout: &'a Path,
    pub prompt: &'a str,
    /// The run's fresh configuration home for the runtime.
    pub config_dir: &'a Path,
}

impl RuntimeAgent {
    /// The runtime with its defaults: binary on PATH, the runtime's default model and
    /// endpoint, its usual credential.
    pub fn default_for(runtime: Runtime) -> RuntimeAgent {
        RuntimeAgent {
            runtime,
            binary: None,
            model: None,
            base_url: None,
            credentials: runtime
                .default_credentials()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            args: Vec::new(),
        }
    }

    /// Finds the binary (on `path`, the PATH runs get) and its version, and checks the
    /// credentials are set.
    pub fn probe(&self, path: Option<&std::ffi::OsStr>) -> Probe {
        let mut missing = Vec::new();
        let binary = match &self.binary {
            Some(b) if b.is_file() => Some(b.clone()),
            Some(b) => {
                missing.push(format!("no executable at {}", b.display()));
                None
            }
            None => {
                let found = super::which(self.runtime.program(), path);
                if found.is_none() {
                    missing.push(format!(
                        "`{}` not on PATH (npm install -g {})",
                        self.runtime.program(),
                        self.runtime.npm_package()
                    ));
                }
                found
            }
        };
        let version = binary
            .as_deref()
            .and_then(|b| version(b, path, &self.shared_env()));
        if binary.is_some() && version.is_none() {
            missing.push(format!(
                "`{} --version` failed",
                binary.as_deref().map_or(Path::new(""), |b| b).display()
            ));
        }
        for name in &self.credentials {
            if std::env::var_os(name).is_none_or(|v| v.is_empty()) {
                missing.push(format!("credential {name} is not set"));
            }
        }
        Probe {
            binary,
            version,
            missing,
        }
    }

    /// Folders every run of the runtime shares, writable (Copilot's unpacked package cache):
    /// created before the runs and mounted into the sandbox.
    pub fn shared_dirs(&self) -> Vec<PathBuf> {
        match self.runtime {
            Runtime::Copilot => vec![copilot::shared_cache()],
            _ => Vec::new(),
        }
    }

    /// The variables that point the runtime at its shared folders.
    fn shared_env(&self) -> Vec<(String, String)> {
        match self.runtime {
            Runtime::Copilot => vec![(
                "COPILOT_CACHE_HOME".into(),
                copilot::shared_cache().to_string_lossy().into_owned(),
            )],
            _ => Vec::new(),
        }
    }

    /// Writes what the runtime needs in its fresh config home before it starts.
    pub fn prepare(&self, run: &RunSetup<'_>) -> std::io::Result<()> {
        match self.runtime {
            Runtime::Gemini => gemini::prepare(self, run),
            _ => Ok(()),
        }
    }

    /// The argv and the runtime-specific environment of one run.
    pub fn command(&self, run: &RunSetup<'_>) -> (Vec<String>, Vec<(String, String)>) {
        let mut env = vec![(
            self.runtime.config_env().to_string(),
            run.config_dir.to_string_lossy().into_owned(),
        )];
        env.extend(self.shared_env());
        for name in &self.credentials {
            if let Ok(value) = std::env::var(name) {
                env.push((name.clone(), value));
            }
        }
        let mut argv = vec![run.binary.to_string_lossy().into_owned()];
        match self.runtime {
            Runtime::ClaudeCode => claude::command(self, run, &mut argv, &mut env),
            Runtime::Copilot => copilot::command(self, run, &mut argv, &mut env),
            Runtime::Codex => codex::command(self, run, &mut argv, &mut env),
            Runtime::Gemini => gemini::command(self, run, &mut argv, &mut env),
        }
        argv.extend(self.args.iter().cloned());
        (argv, env)
    }

    /// The normalized transcript of what the runtime printed on stdout, completed from
    /// what it left in its configuration home (usage it does not print).
    pub fn parse(&self, stdout: &str, config_dir: &Path) -> Transcript {
        match self.runtime {
            Runtime::ClaudeCode => claude::parse(stdout),
            Runtime::Copilot => copilot::parse(stdout, config_dir),
            Runtime::Codex => codex::parse(stdout),
            Runtime::Gemini => gemini::parse(stdout),
        }
    }

    /// What determines the runtime's behaviour, for the run's content key.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.runtime.name(),
            self.model.as_deref().unwrap_or(""),
            self.base_url.as_deref().unwrap_or(""),
            self.args.join("\u{1f}")
        )
    }
}

/// The first line `binary --version` prints, within 30 seconds. It runs with the runtime's
/// shared folders, so a runtime that unpacks itself on first start does it here, once.
fn version(
    binary: &Path,
    path: Option<&std::ffi::OsStr>,
    shared_env: &[(String, String)],
) -> Option<String> {
    for (_, dir) in shared_env {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut cmd = std::process::Command::new(binary);
    cmd.arg("--version")
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    // A scratch HOME: a version query must not touch, or read, the user's configuration.
    let home = tempfile::tempdir().ok()?;
    cmd.env("HOME", home.path());
    cmd.envs(shared_env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.spawn().ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Each line of a runtime's output that is a JSON object, and an empty transcript that
/// counts the other non-empty lines as unparsed.
pub(crate) fn events(text: &str) -> (Vec<serde_json::Value>, Transcript) {
    let mut values = Vec::new();
    let mut unparsed = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) if v.is_object() => values.push(v),
            _ => unparsed += 1,
        }
    }
    let transcript = Transcript {
        unparsed,
        ..Transcript::default()
    };
    (values, transcript)
}

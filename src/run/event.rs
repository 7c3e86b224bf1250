//! Everything a command that runs or grades does, as events fanned out to reporters: the
//! terminal ([`super::terminal::Terminal`]: progress on stderr, conclusions on stdout) and,
//! with `--message-format json`, one JSON object per line on stdout ([`JsonLines`]).
//! Reporters write to injected writers, so tests render them into a `String`. The schema
//! of the JSON lines is `schemas/events.v1.schema.json` (`skillbench schema events`).

use std::io::Write;
use std::sync::Mutex;

use schemars::JsonSchema;

use serde::Serialize;

use crate::eval::Variant;
use crate::grade::Grade;
use crate::run::results::RunStatus;

/// One thing that happened.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    EvalStarted {
        eval: String,
        skill: String,
        skill_hash: String,
        runs: usize,
        jobs: usize,
        /// What the runs' rooms are: overlays on prepared bases, or copies and why.
        rooms: String,
    },
    RunStarted {
        eval: String,
        index: usize,
        case: String,
        agent: String,
        variant: Variant,
        trial: u32,
    },
    RunGraded {
        eval: String,
        index: usize,
        case: String,
        agent: String,
        variant: Variant,
        trial: u32,
        status: RunStatus,
        /// `None` when the run failed for infrastructure reasons (`status` says which).
        grade: Option<Grade>,
        failed: Vec<String>,
        reason: String,
        duration_ms: u64,
        /// Whether the checks ran in the grading jail (bubblewrap); without it a grade is
        /// not tamper-proof.
        tamper_proof: bool,
        /// Whether the agent ran in the sandbox; without it, it could read everything
        /// the invoking user can.
        agent_sandboxed: bool,
        /// The stored run whose result was reused (same content key): no agent was called.
        #[serde(skip_serializing_if = "Option::is_none")]
        cached_from: Option<String>,
        /// The stored run whose delivery was graded again (only the grading changed): no
        /// agent was called.
        #[serde(skip_serializing_if = "Option::is_none")]
        delivery_from: Option<String>,
    },
    /// A results set was stored (an eval's, a shard's, a re-grading's, a merge's),
    /// before it is concluded.
    ResultsStored {
        eval: String,
        run_id: String,
        /// Its folder.
        results: String,
        /// The results themselves, for the reporters that render them (JUnit).
        #[serde(skip)]
        #[schemars(skip)]
        set: std::sync::Arc<crate::run::results::Results>,
    },
    /// Something a person should know that is no run: a selection left out, a partial
    /// results set, a stored shard.
    Note { level: Level, message: String },
    /// An eval's (or a re-grading's or a merge's) conclusions: where its results are, the
    /// snapshot's verdict and each gate.
    EvalConcluded(Box<Conclusion>),
    /// GitHub Actions output of a conclusion (with `--github`): the workflow-command
    /// annotations (for stderr) and the Markdown step summary.
    GithubOutput(Box<GithubOutput>),
    /// `corpus verify`: what one case showed.
    CaseVerified {
        case: String,
        passed: bool,
        /// Why it could not be verified here (a git source offline).
        #[serde(skip_serializing_if = "Option::is_none")]
        unavailable: Option<String>,
        failures: Vec<String>,
    },
    EvalFinished {
        run_id: String,
        results: String,
        runs: usize,
        a: usize,
        b: usize,
        c: usize,
        unavailable: usize,
        /// Runs not graded for other infrastructure reasons: setup failed, the model
        /// endpoint failed, a harness error.
        infrastructure: usize,
        gates_held: bool,
        snapshot: String,
        exit_code: i32,
    },
}

/// How much a [`Event::Note`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Part of the command's answer (stdout for people): `changed since REV: …`.
    Info,
    /// Beside the answer (stderr): `note: run … is partial`.
    Note,
    /// Something that may be wrong (stderr): `warning: case pattern … matches no case`.
    Warning,
}

/// What an eval concluded, after its runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Conclusion {
    pub eval: String,
    /// The results folder, as shown (relative to the workspace).
    pub results: String,
    /// The grades and summary tables, for people (the JSON reader has `results.json`).
    #[serde(skip)]
    pub tables: String,
    pub snapshot: SnapshotReport,
    pub gates: Vec<GateLine>,
    /// Further lines, in order: grading stopped by its budget, runs not graded, the
    /// agents' budget.
    pub notes: Vec<String>,
}

/// The snapshot check of a conclusion.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SnapshotReport {
    /// The accepted snapshot's path, as shown.
    pub path: String,
    /// `matches`, `differs` or `new`.
    pub verdict: String,
    /// Only the rows of a subset run were compared.
    pub subset: bool,
    /// Rows with no graded trial, not compared.
    pub not_compared: usize,
    /// The diff (or the new snapshot), for people.
    #[serde(skip)]
    pub described: String,
    /// What was done about it: the pending snapshot written, or why nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// What GitHub Actions gets from a conclusion.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GithubOutput {
    /// `::error file=…,line=…::…` lines.
    pub annotations: String,
    /// Markdown for `$GITHUB_STEP_SUMMARY`.
    pub summary: String,
}

/// One gate's line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GateLine {
    /// `holds`, `FAILS`, `UNDECIDED` or `skipped`.
    pub mark: String,
    pub gate: String,
    pub passed: usize,
    pub runs: usize,
    /// What the gate left out of its rate, and the regressions it counted.
    pub detail: String,
}

/// Receives events and writes them somewhere.
pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event) -> std::io::Result<()>;

    /// A command's answer for people, already rendered (a verification table); only the
    /// terminal writes it: the JSON reader has the events.
    fn answer(&self, _text: &str) -> std::io::Result<()> {
        Ok(())
    }

    /// The command is done: write what was gathered (a JUnit file).
    fn finish(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every reporter of a command: each event goes to each; the first write error is kept
/// and returned by [`Reporters::finish`], so a full disk or a failing terminal fails the
/// command once its work is stored, never silently.
pub struct Reporters {
    reporters: Vec<Box<dyn Reporter>>,
    failed: Mutex<Option<std::io::Error>>,
}

impl std::fmt::Debug for Reporters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reporters({})", self.reporters.len())
    }
}

impl Reporters {
    pub fn new(reporters: Vec<Box<dyn Reporter>>) -> Reporters {
        Reporters {
            reporters,
            failed: Mutex::new(None),
        }
    }

    /// The terminal under `color`, JSON lines on stdout when `json`, GitHub Actions output
    /// when `github`, a JUnit file when `junit`: what every command that runs work reports
    /// to.
    pub fn standard(
        color: super::terminal::ColorChoice,
        json: bool,
        github: bool,
        junit: Option<&std::path::Path>,
    ) -> Reporters {
        let mut reporters: Vec<Box<dyn Reporter>> =
            vec![Box::new(super::terminal::Terminal::standard(color, json))];
        if json {
            reporters.push(Box::new(JsonLines::new(crate::out::Quiet(
                std::io::stdout(),
            ))));
        }
        if github {
            reporters.push(Box::new(crate::report::github::Actions::new(Box::new(
                std::io::stderr(),
            ))));
        }
        if let Some(path) = junit {
            reporters.push(Box::new(crate::report::junit::JUnit::new(path)));
        }
        Reporters::new(reporters)
    }

    /// Sends `event` to every reporter.
    pub fn emit(&self, event: &Event) {
        for r in &self.reporters {
            if let Err(e) = r.report(event)
                && let Ok(mut failed) = self.failed.lock()
            {
                failed.get_or_insert(e);
            }
        }
    }

    /// A command's answer for people (see [`Reporter::answer`]).
    pub fn answer(&self, text: &str) {
        for r in &self.reporters {
            if let Err(e) = r.answer(text)
                && let Ok(mut failed) = self.failed.lock()
            {
                failed.get_or_insert(e);
            }
        }
    }

    /// A note (see [`Level`]).
    pub fn note(&self, level: Level, message: impl Into<String>) {
        self.emit(&Event::Note {
            level,
            message: message.into(),
        });
    }

    /// Finishes every reporter (a JUnit file is written now); the first write error any
    /// reporter met, if one did.
    pub fn finish(&self) -> crate::error::Result<()> {
        for r in &self.reporters {
            if let Err(e) = r.finish()
                && let Ok(mut failed) = self.failed.lock()
            {
                failed.get_or_insert(e);
            }
        }
        match self.failed.lock().ok().and_then(|mut f| f.take()) {
            Some(e) => Err(crate::error::Error::write("the output", e)),
            None => Ok(()),
        }
    }
}

/// Writes each event as one JSON line.
#[derive(Debug)]
pub struct JsonLines<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines {
            out: Mutex::new(out),
        }
    }
}

impl<W: Write + Send> Reporter for JsonLines<W> {
    fn report(&self, event: &Event) -> std::io::Result<()> {
        let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        let mut out = self
            .out
            .lock()
            .map_err(|_| std::io::Error::other("a reporter panicked"))?;
        writeln!(out, "{line}")?;
        out.flush()
    }
}

/// The JSON Schema of the JSON lines, as shipped in `schemas/`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Event);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

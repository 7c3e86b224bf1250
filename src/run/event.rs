//! Everything an eval does, as events fanned out to reporters: the human display on stderr
//! and, with `--message-format json`, one JSON object per line on stdout.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use serde::Serialize;

use crate::eval::Variant;
use crate::grade::Grade;
use crate::run::results::RunStatus;

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    EvalStarted {
        eval: String,
        skill: String,
        skill_hash: String,
        runs: usize,
        jobs: usize,
    },
    RunStarted {
        index: usize,
        case: String,
        agent: String,
        variant: Variant,
        trial: u32,
    },
    RunGraded {
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

/// Receives events.
pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event);
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
    fn report(&self, event: &Event) {
        if let (Ok(mut out), Ok(line)) = (self.out.lock(), serde_json::to_string(event)) {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// Progress for people, on stderr: a bar on a terminal, a line per graded run otherwise.
#[derive(Debug, Default)]
pub struct Human {
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Human {
    fn bar(&self) -> Option<indicatif::ProgressBar> {
        self.bar.lock().ok().and_then(|b| b.clone())
    }
}

impl Reporter for Human {
    fn report(&self, event: &Event) {
        match event {
            Event::EvalStarted {
                eval,
                skill,
                runs,
                jobs,
                ..
            } => {
                eprintln!("eval {eval}: skill {skill}, {runs} runs, {jobs} at a time");
                // A progress bar only where a person watches: stderr is a terminal.
                if std::io::stderr().is_terminal() {
                    let bar = indicatif::ProgressBar::new(*runs as u64);
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "{spinner} [{elapsed}] {bar:30} {pos}/{len} runs",
                    ) {
                        bar.set_style(style);
                    }
                    bar.enable_steady_tick(std::time::Duration::from_millis(200));
                    if let Ok(mut slot) = self.bar.lock() {
                        *slot = Some(bar);
                    }
                }
            }
            Event::RunStarted { .. } => {}
            Event::RunGraded {
                case,
                agent,
                variant,
                trial,
                grade,
                failed,
                duration_ms,
                tamper_proof,
                agent_sandboxed,
                status,
                reason,
                cached_from,
                ..
            } => {
                let grade = match (grade, status) {
                    (Some(g), _) => g.to_string(),
                    (None, RunStatus::Unavailable) => "U".into(),
                    (None, _) => "I".into(),
                };
                let line = format!(
                    "  {grade}  {case}  {agent}  {variant}  trial {trial}  ({}){}{}{}{}",
                    match cached_from {
                        Some(id) => format!("cached from {id}"),
                        None => format!("{:.1}s", *duration_ms as f64 / 1000.0),
                    },
                    if failed.is_empty() {
                        String::new()
                    } else {
                        format!("  failed: {}", failed.join(", "))
                    },
                    // A run that ended before grading says why, on its own line.
                    if matches!(status, RunStatus::Completed) {
                        String::new()
                    } else {
                        format!("  — {reason}")
                    },
                    if *tamper_proof {
                        ""
                    } else {
                        "  (not tamper-proof: no bubblewrap for the checks)"
                    },
                    if *agent_sandboxed {
                        ""
                    } else {
                        "  (agent not sandboxed)"
                    }
                );
                match self.bar() {
                    Some(bar) => {
                        bar.println(line);
                        bar.inc(1);
                    }
                    None => eprintln!("{line}"),
                }
            }
            Event::EvalFinished { .. } => {
                if let Some(bar) = self.bar() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// Sends every event to every reporter.
pub struct Fanout(pub Vec<Box<dyn Reporter>>);

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fanout({} reporters)", self.0.len())
    }
}

impl Reporter for Fanout {
    fn report(&self, event: &Event) {
        for r in &self.0 {
            r.report(event);
        }
    }
}

//! skillbench: evaluate agent skills by running cold agents on pinned repositories with
//! known findings, grading every outcome A/B/C, and diffing the grades against an accepted
//! snapshot.
//!
//! The stages, one module each: [`skill`] and [`corpus`] and [`eval`] load and validate the
//! inputs; [`run`] plans, materializes, runs [`agent`]s cold and stores the results;
//! [`grade`] checks the rubric; [`snapshot`] compares with the accepted results; [`report`]
//! renders tables and scorecards; [`suggest`] turns failures into skill revisions.
//! [`main`] is what the binary calls.

pub mod agent;
pub mod agents_list;
pub mod calibrate;
pub mod changed;
pub mod cli;
mod commands;
pub mod corpus;
mod corpus_cmd;
pub mod diagnostic;
pub mod error;
pub mod eval;
pub mod exit_code;
pub mod fsx;
pub mod grade;
pub mod interrupt;
pub mod out;
pub mod redact;
pub mod report;
pub mod run;
pub mod signals;
pub mod skill;
pub mod snapshot;
pub mod stats;
pub mod suggest;
pub mod workspace;

pub use error::{Error, Result};

/// How a command that did its work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `skill lint` found errors (already printed).
    LintFailed,
    /// A gate of the eval did not hold.
    GateFailed,
    /// The results differ from the accepted snapshot.
    SnapshotPending,
    /// `corpus verify` found a case that does not show what it claims.
    CorpusInvalid,
    /// Infrastructure decided the outcome: runs not graded because setup failed, the model
    /// endpoint failed, skillbench failed or a runtime was unavailable (and not allowed).
    InfrastructureFailed,
    /// The eval was stopped by this signal (SIGINT 2, SIGTERM 15): exit 128 + it.
    Interrupted(i32),
}

impl Outcome {
    /// Of two outcomes (of two evals run by one command), the one the command ends with:
    /// a stop first, then a failed gate, infrastructure, a pending snapshot, the rest.
    #[must_use]
    pub fn most_severe(self, other: Outcome) -> Outcome {
        let rank = |o: Outcome| match o {
            Outcome::Interrupted(_) => 6,
            Outcome::GateFailed => 5,
            Outcome::InfrastructureFailed => 4,
            Outcome::SnapshotPending => 3,
            Outcome::CorpusInvalid => 2,
            Outcome::LintFailed => 1,
            Outcome::Success => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => exit_code::SUCCESS,
            Outcome::LintFailed => exit_code::BAD_INPUT,
            Outcome::GateFailed => exit_code::GATE_FAILED,
            Outcome::SnapshotPending => exit_code::SNAPSHOT_PENDING,
            Outcome::CorpusInvalid => exit_code::CORPUS_INVALID,
            Outcome::InfrastructureFailed => exit_code::SETUP_FAILED,
            Outcome::Interrupted(15) => exit_code::TERMINATED,
            Outcome::Interrupted(_) => exit_code::INTERRUPTED,
        }
    }
}

/// Runs the command line and returns the process exit code; errors are printed to stderr
/// with their chain of causes.
pub fn main(cli: cli::Cli) -> i32 {
    // What escapes a run's reaper reaches skillbench, which kills it (see agent::reaper).
    agent::reaper::adopt_orphans();
    // skillbench's own environment holds the secrets it passes on by name: not dumpable,
    // its /proc files (environ, memory) are closed to other processes of the same user,
    // an agent run without the sandbox included (root still reads them).
    let _ = nix::sys::prctl::set_dumpable(false);
    // A closed stdout (`skillbench corpus list | head -0`) ends the command quietly with
    // 0, as ripgrep does: `println!` panics on it, and that panic is the reader's choice,
    // not a failure.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !closed_stdout(info.payload()) {
            default_hook(info);
        }
    }));
    let github = report::github::enabled(cli.github);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands::run(cli)));
    agent::reaper::sweep_orphans();
    // The runs' rooms still in the trash are gone before the command ends.
    run::drain_trash();
    let result = match result {
        Ok(result) => result,
        Err(payload) if closed_stdout(&*payload) => return exit_code::SUCCESS,
        Err(payload) => std::panic::resume_unwind(payload),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("{}", render_error(&err));
            if let (true, Error::Input(diagnostics)) = (github, &err) {
                for d in diagnostics {
                    eprintln!("{}", report::github::diagnostic(d));
                }
            }
            err.exit_code()
        }
    }
}

/// Whether a panic is `println!`'s on a stdout whose reader went away.
fn closed_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    message.contains("failed printing to stdout") && message.contains("Broken pipe")
}

fn render_error(err: &Error) -> String {
    let mut out = match err {
        Error::Input(_) => err.to_string(),
        _ => format!("error: {err}"),
    };
    let mut source = std::error::Error::source(err);
    if source.is_some() {
        out.push_str("\n\nCaused by:");
    }
    while let Some(cause) = source {
        out.push_str(&format!("\n  {cause}"));
        source = cause.source();
    }
    out
}

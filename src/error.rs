//! The errors a command can end with, and how each maps to an exit code.

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::exit_code;

/// Why a command could not do what was asked. Findings in files are [`Error::Input`]; the
/// rest carry the path, command or object involved so the message can be acted on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more located problems in input files.
    #[error("{}", render_diagnostics(.0))]
    Input(Vec<Diagnostic>),

    /// A bad command line or request that is not about a file's contents.
    #[error("{0}")]
    Usage(String),

    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The sandbox asked for cannot be used on this machine.
    #[error("{0}")]
    Sandbox(String),

    /// A case's repository could not be prepared (mirror, fetch, pinned rev, fixture).
    #[error("case {case}: {message}")]
    Setup {
        case: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A case's repository was fetched, and its pinned rev is not in it: the case is wrong
    /// (a mistyped SHA), not the network.
    #[error("case {case}: {message}")]
    PinnedRevMissing { case: String, message: String },

    /// The selection of cases, agents and variants is empty.
    #[error("nothing selected: {0}")]
    NothingSelected(String),

    /// git itself failed where no user input explains it.
    #[error("git: {context}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },

    /// Something went wrong that no user input explains.
    #[error("{0}")]
    Unexpected(String),
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

impl Error {
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    pub fn git(context: impl Into<String>, source: git2::Error) -> Self {
        Error::Git {
            context: context.into(),
            source,
        }
    }

    pub fn setup(case: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Setup {
            case: case.into(),
            message: message.into(),
            source: None,
        }
    }

    /// The documented exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            // A file that cannot be read is one the user named, or one of the workspace's
            // inputs: bad input, not an unexpected failure.
            Error::Input(_) | Error::Usage(_) | Error::Read { .. } => exit_code::BAD_INPUT,
            Error::Setup { .. } | Error::Sandbox(_) | Error::PinnedRevMissing { .. } => {
                exit_code::SETUP_FAILED
            }
            Error::NothingSelected(_) => exit_code::NOTHING_SELECTED,
            Error::Write { .. } | Error::Git { .. } | Error::Unexpected(_) => exit_code::UNEXPECTED,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

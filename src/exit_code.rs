//! The process exit codes of `skillbench`, in one place.
//!
//! Every command maps its result to exactly one of these through
//! [`crate::Outcome::exit_code`] and [`crate::Error::exit_code`]; the README documents them.

/// Everything asked for was done and every gate held.
pub const SUCCESS: i32 = 0;
/// A bug or an environment problem skillbench did not anticipate (I/O, git internals).
pub const UNEXPECTED: i32 = 1;
/// Bad input: a file that does not parse or validate, a lint error, a bad command line.
pub const BAD_INPUT: i32 = 2;
/// Infrastructure, not the agents: a case could not be prepared (a mirror could not be
/// fetched, a pinned rev is missing), the sandbox asked for is not there, or an eval's
/// outcome was decided by runs that were not graded (setup failed, model endpoint failed,
/// harness error, a runtime unavailable and not allowed); a `corpus verify` in which every
/// case was unavailable.
pub const SETUP_FAILED: i32 = 3;
/// The eval ran, but one of its grade gates did not hold.
pub const GATE_FAILED: i32 = 4;
/// The results differ from the accepted snapshot (or there is none): review them.
pub const SNAPSHOT_PENDING: i32 = 5;
/// The selection (cases × agents × variants) is empty, or there is nothing to act on.
pub const NOTHING_SELECTED: i32 = 6;
/// `corpus verify`: a case does not show what it claims (its reference fails, nothing or a
/// bump alone passes, its finding is not there).
pub const CORPUS_INVALID: i32 = 7;
/// An eval stopped by SIGINT (128 + 2): the finished runs are stored, marked interrupted.
pub const INTERRUPTED: i32 = 130;
/// An eval stopped by SIGTERM (128 + 15).
pub const TERMINATED: i32 = 143;

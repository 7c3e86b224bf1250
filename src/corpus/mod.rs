//! Corpora and cases: `corpora/<corpus>/<case>/case.toml`, the pinned repository each case
//! names, and the fresh checkouts runs work in.
//!
//! [`Case::load`] validates a manifest; [`select`] resolves an eval's globs to cases;
//! [`source::prepare`] turns a case's source into a local git repository holding the pinned
//! commit (a deterministic fixture commit, or a mirror of a remote); [`checkout`] makes a
//! fresh working copy of that commit for one run.

pub mod advisory;
pub mod case;
pub mod ecosystem;
mod materialize;
pub mod sarif;
pub mod scaffold;
pub mod source;

pub use case::{BumpAlone, Case, Escalation, Expectation, Finding, SourceSpec, select};
pub use materialize::checkout;
pub use source::PreparedSource;

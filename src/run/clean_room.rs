//! The clean room: where a delivery is graded, for an eval, `corpus verify` and a re-grade
//! alike — so an eval's grade and a re-grade of the same run cannot disagree.
//!
//! A new temporary folder, never shown to the agent, gets a checkout of the case's pinned
//! commit from skillbench's own copy of the source, and the delivered patch applied to it;
//! then the rubric is checked there ([`check::check_all`]): the case's setup again, the
//! hidden files written in, the checks run in the grading jail.

use std::path::Path;

use git2::{ApplyLocation, Diff, Repository};

use super::Context;
use super::delivery::Change;
use crate::agent::cold::ColdEnv;
use crate::agent::{self, Jail, Network};
use crate::corpus::{Case, PreparedSource};
use crate::grade::check;
use crate::signals::SignalsReport;

/// Why a delivery could not be graded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Ungradable {
    /// The delivered patch cannot be read or applied to a clean checkout of the pinned
    /// commit (a name git refuses to check out, a path too long for the clean room): what
    /// the agent delivered, so the agent's failure.
    #[error("{0}")]
    Delivery(String),
    /// skillbench could not build the clean room (its own copy of the source, the disk):
    /// infrastructure.
    #[error("{0}")]
    Harness(String),
}

impl From<String> for Ungradable {
    fn from(message: String) -> Self {
        Ungradable::Harness(message)
    }
}

/// Checks the rubric on `change`, delivered for `case`, in a clean room of its own.
pub(super) async fn grade_delivery(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
    change: &Change,
    signals: &SignalsReport,
    run_dir: &Path,
) -> Result<check::Checked, Ungradable> {
    let eval = ctx.eval;
    // Nothing a run left behind may be alive while a clean room exists.
    agent::reaper::sweep_orphans();
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-clean-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let room = scratch.path().join("checkout");
    let (src, dest, patch) = (source.clone(), room.clone(), change.patch.clone());
    tokio::task::spawn_blocking(move || build(&src, &dest, &patch))
        .await
        .map_err(|e| e.to_string())??;
    let mut env = ColdEnv::new(&scratch.path().join("grader"), &eval.pass_env)
        .map_err(|e| Ungradable::Harness(format!("cannot prepare the checks' environment: {e}")))?;
    if ctx.grading_sandbox != agent::Sandbox::None {
        // npm must write its cache; the checks' goes to their own folder.
        env.set(
            "npm_config_cache",
            &scratch
                .path()
                .join("grader/tmp/npm-cache")
                .to_string_lossy(),
        );
    }
    // The shared package cache: written by the case's setup, read-only to the checks.
    let jail = |network: Network, cache_writable: bool| {
        Jail::for_run(
            scratch.path(),
            eval.workspace.root(),
            &[],
            &eval.expose,
            network,
            cache_writable,
        )
    };
    let (check_jail, setup_jail) = (jail(Network::None, false), jail(Network::Host, true));
    let mut allow = eval.integrity_allow.clone();
    allow.extend(case.integrity_allow.iter().cloned());
    let protected = case.protected.clone().unwrap_or_else(|| {
        crate::grade::integrity::TEST_GLOBS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let policy = crate::grade::integrity::Policy {
        protected: crate::grade::Globs::new(&protected).map_err(Ungradable::Harness)?,
        allow: crate::grade::Globs::new(&allow).map_err(Ungradable::Harness)?,
        lookups_fail: eval.integrity_lookups_fail,
    };
    let ev = check::Evidence {
        case,
        source,
        checkout: &room,
        change,
        signals,
        env: &env,
        run_dir,
        sandbox: &ctx.grading_sandbox,
        jail: &check_jail,
        setup_jail: &setup_jail,
        setup_timeout: eval.timeout,
        integrity: &policy,
        judging: ctx.judging.as_ref(),
        redactor: &ctx.redactor,
    };
    Ok(check::check_all(&eval.rubric.criteria, &ev).await)
}

/// A new checkout of the pinned commit at `dest`, with `patch` applied. The checkout is
/// skillbench's; the patch, the agent's.
pub(crate) fn build(source: &PreparedSource, dest: &Path, patch: &[u8]) -> Result<(), Ungradable> {
    crate::corpus::checkout(source, dest)
        .map_err(|e| Ungradable::Harness(format!("cannot check out the pinned commit: {e}")))?;
    if patch.is_empty() {
        return Ok(());
    }
    let diff = Diff::from_buffer(patch)
        .map_err(|e| Ungradable::Delivery(format!("the delivered patch cannot be read: {e}")))?;
    let repo = Repository::open(dest).map_err(|e| Ungradable::Harness(e.to_string()))?;
    repo.apply(&diff, ApplyLocation::WorkDir, None)
        .map_err(|e| {
            Ungradable::Delivery(format!(
                "the delivered patch does not apply to a clean checkout of the pinned commit: {e}"
            ))
        })
}

//! The clean room: where a delivery is graded, for an eval, `corpus verify` and a re-grade
//! alike — so an eval's grade and a re-grade of the same run cannot disagree.
//!
//! A new temporary folder, never shown to the agent, gets a checkout of the case's pinned
//! commit from skillbench's own copy of the source, and the delivered patch applied to it;
//! then the rubric is checked there ([`check::check_all`]): the case's setup again, the
//! hidden files written in, the checks run in the grading jail.
//!
//! Where rooms can be mounted ([`crate::agent::overlay`]) and the case has a setup, the
//! checkout is instead a copy of a prepared base for grading ([`super::base`]): the pinned
//! commit with the dependency manifests the delivery changed, in their delivered form, and
//! the setup run on them in the grading sandbox — built once per distinct set of manifests,
//! not once per run. The delivered patch is applied to the copy (its manifests put back to
//! the pinned commit's first), and the checks' processes see the copy where the base is,
//! so the paths setup baked in lead into it. A case without setup, where rooms can be
//! mounted, is graded on a copy of its pristine base (the pinned checkout the agent's
//! overlay stood on): the same files as a new checkout, without building a repository.

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
    let built = std::time::Instant::now();
    let scratch = super::base::RoomDir::named("skillbench-clean-")
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let room = scratch.path().join("checkout");
    let prepared = prepared_base(ctx, case, source, change).await;
    let (src, dest, patch) = (source.clone(), room.clone(), change.patch.clone());
    let on = match &prepared {
        Some((base, manifests, _)) => Some((base.root.join("checkout"), manifests.clone())),
        // Without setup, the base the agent's room stood on is the pinned checkout itself:
        // a copy of it is the clean checkout, at a fraction of a new one's cost.
        None => pristine_base(ctx, case, source)
            .await
            .map(|base| (base.root.join("checkout"), Vec::new())),
    };
    tokio::task::spawn_blocking(move || match on {
        Some((base, manifests)) => build_on(&base, &src, &dest, &patch, &manifests),
        None => build(&src, &dest, &patch),
    })
    .await
    .map_err(|e| e.to_string())??;
    let top = scratch
        .path()
        .canonicalize()
        .map_err(|e| format!("cannot resolve the clean room: {e}"))?;
    let prepared = prepared.map(|(base, _, mode)| {
        let bound = agent::overlay::Overlay {
            base: base.root.clone(),
            room: top.clone(),
            work: None,
            mode,
        };
        (bound, base.setup_log.clone())
    });
    let base_path: Vec<std::path::PathBuf> = prepared.iter().map(|(o, _)| o.base.clone()).collect();
    let mut env = ColdEnv::new(&scratch.path().join("grader"), &eval.pass_env)
        .map_err(|e| Ungradable::Harness(format!("cannot prepare the checks' environment: {e}")))?;
    env.preset(crate::corpus::ecosystem::Ecosystem::of_case(case, source));
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
            &base_path,
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
        protected: crate::grade::Globs::cached(&protected).map_err(Ungradable::Harness)?,
        allow: crate::grade::Globs::cached(&allow).map_err(Ungradable::Harness)?,
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
        shared: &ctx.shared,
        prepared,
    };
    let room_time = built.elapsed();
    let mut checked = check::check_all(&eval.rubric.criteria, &ev).await;
    checked.room_time = room_time;
    Ok(checked)
}

/// A new checkout of the pinned commit at `dest`, with `patch` applied. The checkout is
/// skillbench's; the patch, the agent's.
pub(crate) fn build(source: &PreparedSource, dest: &Path, patch: &[u8]) -> Result<(), Ungradable> {
    crate::corpus::checkout(source, dest)
        .map_err(|e| Ungradable::Harness(format!("cannot check out the pinned commit: {e}")))?;
    apply(dest, patch)
}

/// File names of dependency manifests: a delivery that changes one needs the setup run on
/// it.
const MANIFESTS: [&str; 24] = [
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Cargo.toml",
    "Cargo.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "go.mod",
    "go.sum",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
];

/// Whether `path` is a file the case's setup may read: a dependency manifest by name
/// (`*requirements*.txt` and `constraints*.txt` too), or a file the setup names.
fn setup_input(path: &str, setup: &[String]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    MANIFESTS.contains(&name)
        || crate::corpus::ecosystem::is_requirements(name)
        || (name.starts_with("constraints") && name.ends_with(".txt"))
        || setup.iter().any(|line| line.contains(name))
}

/// The prepared base a delivery of `case` is graded on, with the manifests it was built
/// with and how its room is mounted; `None` where the clean room is a fresh checkout with
/// its own setup: rooms cannot be mounted here, the case has no setup, or a changed
/// manifest is not a plain file in the delivery (removed, a link), or the base's setup
/// failed (the fresh room's setup then fails the same way, with its log in this run).
async fn prepared_base(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
    change: &Change,
) -> Option<(
    std::sync::Arc<super::base::Base>,
    super::base::Manifests,
    agent::overlay::Mode,
)> {
    if case.setup.is_empty() {
        return None;
    }
    let mode = agent::overlay::mode().ok()?;
    let paths: Vec<String> = change
        .files
        .iter()
        .map(|f| f.path.clone())
        .filter(|p| setup_input(p, &case.setup))
        .collect();
    let manifests = delivered_files(source, &change.patch, &paths)?;
    let (base, _) = super::base::prepared(ctx, case, source, &ctx.grading_sandbox, &manifests)
        .await
        .ok()?;
    Some((base, manifests, mode))
}

/// The prepared base of a case without setup — the pinned checkout, as the agent's room
/// had it below its overlay — where rooms can be mounted; `None` elsewhere (the clean room is
/// then a new checkout).
async fn pristine_base(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
) -> Option<std::sync::Arc<super::base::Base>> {
    if !case.setup.is_empty() {
        return None;
    }
    agent::overlay::mode().ok()?;
    let (base, _) = super::base::prepared(ctx, case, source, ctx.sandbox, &Vec::new())
        .await
        .ok()?;
    Some(base)
}

/// The content and mode `paths` have once `patch` is applied to the pinned commit; `None`
/// if one is not a plain file there.
fn delivered_files(
    source: &PreparedSource,
    patch: &[u8],
    paths: &[String],
) -> Option<super::base::Manifests> {
    if paths.is_empty() {
        return Some(Vec::new());
    }
    let repo = Repository::open(&source.repo).ok()?;
    // The patched blobs go to memory, never into skillbench's copy of the source.
    repo.odb().ok()?.add_new_mempack_backend(1000).ok()?;
    let pinned = repo.find_commit(source.rev).ok()?.tree().ok()?;
    let diff = Diff::from_buffer(patch).ok()?;
    let index = repo.apply_to_tree(&pinned, &diff, None).ok()?;
    let mut out = Vec::new();
    for path in paths {
        let entry = index.get_path(Path::new(path), 0)?;
        let mode = match entry.mode {
            0o100_644 => 0o644,
            0o100_755 => 0o755,
            _ => return None,
        };
        let blob = repo.find_blob(entry.id).ok()?;
        out.push((path.clone(), blob.content().to_vec(), mode));
    }
    Some(out)
}

/// The clean room as a copy of the prepared base's checkout `base` at `dest`, the
/// manifests the base was built with put back to the pinned commit's, then `patch` applied.
fn build_on(
    base: &Path,
    source: &PreparedSource,
    dest: &Path,
    patch: &[u8],
    manifests: &super::base::Manifests,
) -> Result<(), Ungradable> {
    let harness = |e: &dyn std::fmt::Display| {
        Ungradable::Harness(format!(
            "cannot copy the prepared base into the clean room: {e}"
        ))
    };
    crate::fsx::copy_tree(base, dest).map_err(|e| harness(&e))?;
    if !manifests.is_empty() {
        let repo = Repository::open(&source.repo).map_err(|e| harness(&e))?;
        let pinned = repo
            .find_commit(source.rev)
            .and_then(|c| c.tree())
            .map_err(|e| harness(&e))?;
        for (path, _, _) in manifests {
            match pinned.get_path(Path::new(path)) {
                Ok(entry) => {
                    let blob = repo.find_blob(entry.id()).map_err(|e| harness(&e))?;
                    let mode = if entry.filemode() == 0o100_755 {
                        0o755
                    } else {
                        0o644
                    };
                    crate::fsx::write_fresh(dest, Path::new(path), blob.content(), mode)
                        .map_err(|e| harness(&e))?;
                }
                // Added by the delivery: the patch adds it again.
                Err(_) => {
                    let _ = std::fs::remove_file(dest.join(path));
                }
            }
        }
    }
    apply(dest, patch)
}

/// `patch` applied to the work tree of the checkout at `dest`.
fn apply(dest: &Path, patch: &[u8]) -> Result<(), Ungradable> {
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

//! Prepared bases: a case's pinned checkout with its setup run, built once and kept.
//!
//! A base is keyed by what makes it: the pinned commit, the setup's commands, the sandbox
//! setup runs in, the environment it gets (the cold environment's variables, the eval's
//! `pass_env` values, what the eval exposes) and skillbench's version. It lives in the
//! cache (`<cache>/bases/<key>/`: `root/` with the checkout and the HOME setup wrote,
//! `setup.log`, and `base.json`, the record of what setup left, written last) and serves
//! every run of every eval with the same key — each run's room an overlay on it
//! ([`crate::agent::overlay`]), so setup runs once per base, not once per run. A base is
//! built under an exclusive lock on its folder, so two commands never build the same one
//! twice; a build that did not finish leaves no `base.json` and is built again. A failed
//! setup is kept for the command that ran it (each of its runs says so, with the log in
//! `setup-failed.log`) but never as a base.
//!
//! Runs never write into a base: their processes see their own room where the base is,
//! and skillbench writes only into the room.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Context;
use super::delivery::Baseline;
use crate::agent::cold::ColdEnv;
use crate::agent::process::{self, Output, Spec, Status};
use crate::agent::{Jail, Network, Sandbox};
use crate::corpus::{Case, PreparedSource};

/// A prepared base.
#[derive(Debug)]
pub(crate) struct Base {
    /// The folder a run's room stands in for: `checkout/` and `agent/` (the HOME setup ran
    /// with) below it.
    pub root: PathBuf,
    /// What setup left in the checkout.
    pub baseline: Baseline,
    /// The setup's output.
    pub setup_log: PathBuf,
    /// How long building it took, when this command built it.
    pub built_in: Option<Duration>,
}

/// Why a base could not be had.
#[derive(Debug, Clone)]
pub(crate) enum Unprepared {
    /// The case's setup failed: `detail`, with its output in `log`.
    Setup { detail: String, log: PathBuf },
    /// skillbench could not build it (the disk, its copy of the source).
    Harness(String),
}

type Cell = Arc<tokio::sync::OnceCell<Result<Arc<Base>, Unprepared>>>;

/// The bases this command has asked for, by key: each is built (or found) once.
static BASES: Mutex<Option<HashMap<String, Cell>>> = Mutex::new(None);

/// Dependency manifests a delivery changed, with their new content: a base for the clean
/// room has them in place before its setup runs.
pub(crate) type Manifests = Vec<(String, Vec<u8>, u32)>;

/// The base of `case` at `source` with its setup run in `sandbox` (and `manifests` in
/// place first), built if no finished one is in the cache; with the time this call spent
/// building it (`None` where it was built already, by this command or an earlier one).
pub(crate) async fn prepared(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
    sandbox: &Sandbox,
    manifests: &Manifests,
) -> Result<(Arc<Base>, Option<Duration>), Unprepared> {
    let key = key(ctx, case, source, sandbox, manifests);
    let cell = {
        let mut bases = BASES
            .lock()
            .map_err(|_| Unprepared::Harness("the bases' table is poisoned".into()))?;
        bases
            .get_or_insert_with(HashMap::new)
            .entry(key.clone())
            .or_default()
            .clone()
    };
    let mut asked = false;
    let base = cell
        .get_or_init(|| {
            asked = true;
            build(ctx, case, source, sandbox, manifests, key)
        })
        .await
        .clone()?;
    // Only the run that built the base spent the time.
    let built_in = if asked { base.built_in } else { None };
    Ok((base, built_in))
}

/// The key of a base: everything that can change what setup leaves.
fn key(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
    sandbox: &Sandbox,
    manifests: &Manifests,
) -> String {
    let eval = ctx.eval;
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_le_bytes());
        h.update(value);
    };
    field("version", env!("CARGO_PKG_VERSION").as_bytes());
    field("rev", source.rev.to_string().as_bytes());
    for line in &case.setup {
        field("setup", line.as_bytes());
    }
    field("sandbox", sandbox.name().as_bytes());
    if let Some(ecosystem) = crate::corpus::ecosystem::Ecosystem::of_case(case, source) {
        for (name, value) in ecosystem.vars(Path::new("<tmp>")) {
            field("preset", format!("{name}={value}").as_bytes());
        }
    }
    for (path, content, mode) in manifests {
        field("manifest", path.as_bytes());
        field("content", content);
        field("mode", &mode.to_le_bytes());
    }
    for name in crate::agent::cold::ALLOWLIST
        .iter()
        .map(|s| s.to_string())
        .chain(eval.pass_env.iter().cloned())
    {
        let value = std::env::var(&name).unwrap_or_default();
        field("env", format!("{name}={value}").as_bytes());
    }
    for dir in &eval.expose {
        field("expose", dir.to_string_lossy().as_bytes());
    }
    field(
        "shared",
        crate::agent::cold::shared_cache()
            .to_string_lossy()
            .as_bytes(),
    );
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Where the bases live.
fn bases_dir() -> PathBuf {
    crate::workspace::cache_dir().join("bases")
}

async fn build(
    ctx: &Context<'_>,
    case: &Case,
    source: &PreparedSource,
    sandbox: &Sandbox,
    manifests: &Manifests,
    key: String,
) -> Result<Arc<Base>, Unprepared> {
    let harness =
        |what: &str, e: &dyn std::fmt::Display| Unprepared::Harness(format!("{what}: {e}"));
    let dir = bases_dir().join(&key);
    std::fs::create_dir_all(&dir).map_err(|e| harness("cannot create the base's folder", &e))?;
    // An absolute, link-free path: overlayfs takes it as a layer, and setup bakes it in.
    let dir = dir
        .canonicalize()
        .map_err(|e| harness("cannot resolve the base's folder", &e))?;
    let lock_path = dir.join("lock");
    let lock = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::create(&lock_path)?;
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| std::io::Error::from(e))
    })
    .await
    .map_err(|e| harness("cannot lock the base", &e))?
    .map_err(|e| harness("cannot lock the base", &e))?;
    let root = dir.join("root");
    let record = dir.join("base.json");
    let setup_log = dir.join("setup.log");
    if let Some(baseline) = std::fs::read(&record)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .and_then(|v: serde_json::Value| Baseline::from_json(&v))
        .filter(|_| root.join("checkout").is_dir())
    {
        drop(lock);
        return Ok(Arc::new(Base {
            root,
            baseline,
            setup_log,
            built_in: None,
        }));
    }
    let started = Instant::now();
    // What an unfinished or failed build left goes first.
    let _ = std::fs::remove_file(&record);
    let _ = std::fs::remove_file(dir.join("setup-failed.log"));
    if root.exists() {
        std::fs::remove_dir_all(&root)
            .map_err(|e| harness("cannot remove an unfinished base", &e))?;
    }
    let checkout = root.join("checkout");
    let (src, target) = (source.clone(), checkout.clone());
    tokio::task::spawn_blocking(move || crate::corpus::checkout(&src, &target))
        .await
        .map_err(|e| harness("cannot check out", &e))?
        .map_err(|e| harness(&format!("cannot check out {}", case.id), &e))?;
    for (path, content, mode) in manifests {
        crate::fsx::write_fresh(&checkout, Path::new(path), content, *mode)
            .map_err(|e| harness(&format!("cannot write {path}"), &e))?;
    }
    let eval = ctx.eval;
    let mut env = ColdEnv::new(&root.join("agent"), &eval.pass_env)
        .map_err(|e| harness("cannot prepare the setup's environment", &e))?;
    env.preset(crate::corpus::ecosystem::Ecosystem::of_case(case, source));
    if *sandbox != Sandbox::None {
        env.set(
            "npm_config_cache",
            &root.join("agent/tmp/npm-cache").to_string_lossy(),
        );
    }
    let _ = std::fs::remove_file(&setup_log);
    if !case.setup.is_empty() {
        let jail = Jail::for_run(
            &root,
            eval.workspace.root(),
            &[],
            &eval.expose,
            Network::Host,
            true,
        );
        let script = format!("set -e\n{}", case.setup.join("\n"));
        let spec = Spec {
            argv: sandbox.wrap(vec!["sh".into(), "-c".into(), script], &checkout, &jail),
            cwd: checkout.clone(),
            env: env.vars().to_vec(),
            timeout: eval.timeout,
            output: Output::Combined(setup_log.clone()),
            redactor: ctx.redactor.clone(),
            overlay: None,
        };
        let done = process::run(&spec)
            .await
            .map_err(|e| harness("cannot run setup", &e))?;
        if done.status != Status::Exited(0) {
            let log = std::fs::read_to_string(&setup_log).unwrap_or_default();
            let detail = format!(
                "{}; setup.log ends: {}",
                done.status,
                crate::grade::failure::last_line(&log)
            );
            // Kept for this command's runs (the next build of the base replaces it).
            let kept = dir.join("setup-failed.log");
            let _ = std::fs::rename(&setup_log, &kept);
            let _ = std::fs::remove_dir_all(&root);
            return Err(Unprepared::Setup { detail, log: kept });
        }
    }
    let (src, at) = (source.clone(), checkout.clone());
    let baseline = tokio::task::spawn_blocking(move || Baseline::record(&src, &at))
        .await
        .map_err(|e| harness("cannot record the checkout after setup", &e))?
        .map_err(|e| harness("cannot record the checkout after setup", &e))?;
    let json = serde_json::to_vec(&baseline.to_json()).unwrap_or_default();
    crate::fsx::write_atomic(&record, json).map_err(|e| harness("cannot record the base", &e))?;
    drop(lock);
    Ok(Arc::new(Base {
        root,
        baseline,
        setup_log,
        built_in: Some(started.elapsed()),
    }))
}

/// A run's temporary folder, removed once dropped — also one holding an overlay's work
/// folder, which overlayfs leaves without permissions ([`crate::agent::overlay::remove`]).
/// The removal is the trash's ([`drain_trash`]): off the path of the next run.
#[derive(Debug)]
pub(crate) struct RoomDir(PathBuf);

impl RoomDir {
    /// A new temporary folder for a run.
    pub(crate) fn new() -> std::io::Result<RoomDir> {
        RoomDir::named("skillbench-run-")
    }

    /// A new temporary folder whose name starts with `prefix`.
    pub(crate) fn named(prefix: &str) -> std::io::Result<RoomDir> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        Ok(RoomDir(dir.keep()))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RoomDir {
    fn drop(&mut self) {
        trash(std::mem::take(&mut self.0));
    }
}

/// Folders given to the trash and not yet removed, and the signal that one was.
static TRASH_PENDING: (Mutex<usize>, std::sync::Condvar) =
    (Mutex::new(0), std::sync::Condvar::new());
/// The trash's queue; its thread is started with the first folder.
static TRASH: std::sync::OnceLock<Option<std::sync::mpsc::SyncSender<PathBuf>>> =
    std::sync::OnceLock::new();
/// How many folders may wait for the trash: a run that finds it full removes its own, so
/// the folders waiting never outgrow what two runs' worth of deleting takes.
const TRASH_DEPTH: usize = 16;

/// Removes `dir` on the trash's thread: deleting a room's files is the kernel's work, and
/// it need not hold up the next run (on a machine whose cores the runs do not all use, it
/// costs them nothing). Removed here and now where the trash is full or has no thread.
fn trash(dir: PathBuf) {
    let queue = TRASH.get_or_init(|| {
        let (send, receive) = std::sync::mpsc::sync_channel::<PathBuf>(TRASH_DEPTH);
        std::thread::Builder::new()
            .name("skillbench-trash".into())
            .spawn(move || {
                for dir in receive {
                    crate::agent::overlay::remove(&dir);
                    pending(|n| n.saturating_sub(1));
                    TRASH_PENDING.1.notify_all();
                }
            })
            .ok()
            .map(|_| send)
    });
    use std::sync::mpsc::TrySendError;
    let Some(send) = queue else {
        return crate::agent::overlay::remove(&dir);
    };
    pending(|n| n + 1);
    if let Err(TrySendError::Full(dir) | TrySendError::Disconnected(dir)) = send.try_send(dir) {
        pending(|n| n.saturating_sub(1));
        crate::agent::overlay::remove(&dir);
    }
}

/// Changes the count of folders the trash has yet to remove.
fn pending(change: fn(usize) -> usize) {
    if let Ok(mut n) = TRASH_PENDING.0.lock() {
        *n = change(*n);
    }
}

/// Waits until every folder given to the trash is removed: a command leaves none of its
/// rooms behind.
pub fn drain_trash() {
    let (count, removed) = &TRASH_PENDING;
    if let Ok(n) = count.lock() {
        // Released as soon as none is left (or the lock is poisoned: nothing to wait for).
        drop(removed.wait_while(n, |n| *n > 0));
    }
}

/// A run's overlay room on `base`: a new temporary folder holding the room (the upper
/// layer, empty) and overlayfs's work folder.
pub(crate) fn room(
    base: &Base,
    mode: crate::agent::overlay::Mode,
) -> std::io::Result<(RoomDir, crate::agent::overlay::Overlay)> {
    let dir = RoomDir::new()?;
    let top = dir.path().canonicalize()?;
    let overlay = crate::agent::overlay::Overlay {
        base: base.root.clone(),
        room: top.join("room"),
        work: Some(top.join("work")),
        mode,
    };
    std::fs::create_dir(&overlay.room)?;
    std::fs::create_dir(top.join("work"))?;
    Ok((dir, overlay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_room_is_gone_once_the_trash_is_drained_work_folder_and_all() {
        let rooms: Vec<PathBuf> = (0..TRASH_DEPTH * 2)
            .map(|_| {
                let room = RoomDir::named("skillbench-trash-test-").unwrap();
                // As overlayfs leaves its work folder: without any permission.
                let work = room.path().join("work/work");
                std::fs::create_dir_all(&work).unwrap();
                std::fs::write(room.path().join("file"), "x").unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o000)).unwrap();
                let path = room.path().to_path_buf();
                drop(room);
                path
            })
            .collect();
        drain_trash();
        let left: Vec<&PathBuf> = rooms.iter().filter(|p| p.exists()).collect();
        assert!(left.is_empty(), "rooms left after the drain: {left:?}");
    }
}

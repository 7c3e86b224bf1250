//! The results store, `.skillbench/runs/<run-id>/`: `results.json` (every run's record and
//! grade, one compact line) and a folder per run with its evidence: prompt, diff, logs,
//! signals, check logs.
//!
//! An eval writes into `<run-id>.partial/` and renames it into place only when
//! `results.json` is complete, so an interrupted eval never leaves a half-written result;
//! every file is itself written atomically.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::results::{RESULTS_SCHEMA, Results};
use crate::error::{Error, Result};
use crate::fsx::write_atomic;
use crate::workspace::Workspace;

/// The name of the file, in the store, that holds the id of the latest complete run.
const LATEST: &str = "latest";

/// The record a run folder of an earlier version held beside `results.json`'s: a copy of it,
/// no longer written.
const EARLIER_RECORD: &str = "grade.json";

/// The stored run folder `from` carried into `to`, a new results set's (a link per file):
/// its evidence, without the record an earlier version kept in it — the new set's
/// `results.json` says what the run is now.
pub(crate) fn carry_run(from: &Path, to: &Path) -> std::io::Result<()> {
    crate::fsx::link_tree(from, to)?;
    match std::fs::remove_file(to.join(EARLIER_RECORD)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// An eval's results being written.
#[derive(Debug)]
pub struct Store {
    runs_dir: PathBuf,
    id: String,
    staging: PathBuf,
}

impl Store {
    /// Starts a new results set under `workspace`'s store.
    pub fn begin(workspace: &Workspace) -> Result<Store> {
        let root = workspace.store_dir();
        let runs_dir = root.join("runs");
        std::fs::create_dir_all(&runs_dir).map_err(|e| Error::write(&runs_dir, e))?;
        let ignore = root.join(".gitignore");
        if !ignore.exists() {
            write_atomic(&ignore, "*\n").map_err(|e| Error::write(&ignore, e))?;
        }
        let id = new_run_id();
        let staging = runs_dir.join(format!("{id}.partial"));
        std::fs::create_dir_all(&staging).map_err(|e| Error::write(&staging, e))?;
        Ok(Store {
            runs_dir,
            id,
            staging,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The folder of one run, inside the staging folder.
    pub fn run_dir(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Writes `results.json`, moves the results set into place and marks it the latest.
    pub fn finish(self, results: &Results) -> Result<PathBuf> {
        let path = self.staging.join("results.json");
        crate::fsx::write_atomic_with(&path, |out| {
            // Compact: indentation would be a third of a large set's bytes (`jq .` reads it).
            serde_json::to_writer(&mut *out, results)?;
            out.write_all(b"\n")
        })
        .map_err(|e| Error::write(&path, e))?;
        let done = self.runs_dir.join(&self.id);
        std::fs::rename(&self.staging, &done).map_err(|e| Error::write(&done, e))?;
        let latest = self.runs_dir.join(LATEST);
        write_atomic(&latest, format!("{}\n", self.id)).map_err(|e| Error::write(&latest, e))?;
        Ok(done)
    }
}

/// A results set never finished (an error before its `results.json`) leaves no staging
/// folder behind; a finished one was moved away, and there is nothing to remove.
impl Drop for Store {
    fn drop(&mut self) {
        if self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Opens a stored results set: `run` is a run id, a path to a run folder, or `None` for the
/// latest.
pub fn open(workspace: &Workspace, run: Option<&str>) -> Result<(PathBuf, Results)> {
    let runs_dir = workspace.store_dir().join("runs");
    let dir = match run {
        Some(r) if r.trim().is_empty() => {
            return Err(Error::Usage(
                "the run id is empty: name a stored run (see `ls .skillbench/runs`) or leave it out for the latest".into(),
            ));
        }
        Some(r) if Path::new(r).join("results.json").is_file() => PathBuf::from(r),
        Some(r) if runs_dir.join(r).join("results.json").is_file() && !r.contains('/') => {
            runs_dir.join(r)
        }
        Some(r) => return Err(no_such_run(&runs_dir, r)),
        None => {
            let latest = runs_dir.join(LATEST);
            let id = std::fs::read_to_string(&latest).map_err(|_| {
                Error::NothingSelected(format!(
                    "no stored results in {}; run `skillbench eval EVAL` first",
                    runs_dir.display()
                ))
            })?;
            runs_dir.join(id.trim())
        }
    };
    let path = dir.join("results.json");
    let text = crate::diagnostic::read_text(&path)?;
    let results: Results = serde_json::from_str(&text).map_err(|e| {
        Error::from(crate::diagnostic::Diagnostic::error(
            &path,
            (e.line(), e.column()),
            format!("not a results file: {e}"),
        ))
    })?;
    if results.schema != RESULTS_SCHEMA {
        let at = text
            .find("\"schema\"")
            .and_then(|k| text[k + 8..].find('"').map(|v| k + 8 + v))
            .unwrap_or(0);
        return Err(Error::from(crate::diagnostic::Diagnostic::at_span(
            &path,
            &text,
            at..at,
            format!(
                "schema '{}' is not '{RESULTS_SCHEMA}'; it was written by another skillbench version",
                results.schema
            ),
        )));
    }
    Ok((dir, results))
}

/// Removes results sets (and folders of evals that never finished, `.partial`) from the
/// store: all but the newest `keep`, and those older than `older_than`; never the one
/// `latest` names. Returns the ids removed, oldest first.
pub fn gc(
    workspace: &Workspace,
    keep: Option<usize>,
    older_than: Option<std::time::Duration>,
) -> Result<Vec<String>> {
    let runs_dir = workspace.store_dir().join("runs");
    let latest = std::fs::read_to_string(runs_dir.join(LATEST))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut ids: Vec<String> = match std::fs::read_dir(&runs_dir) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::read(&runs_dir, e)),
    };
    sort_by_age(&runs_dir, &mut ids);
    let now = std::time::SystemTime::now();
    let old = |id: &str| {
        older_than.is_some_and(|limit| {
            std::fs::metadata(runs_dir.join(id))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > limit)
        })
    };
    let beyond = ids.len().saturating_sub(keep.unwrap_or(usize::MAX));
    let mut removed = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if *id == latest || !(i < beyond || old(id)) {
            continue;
        }
        let dir = runs_dir.join(id);
        std::fs::remove_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
        removed.push(id.clone());
    }
    Ok(removed)
}

/// Sorts results sets oldest first: by the time their folder was last written (a run id's
/// time has whole seconds, and its random tail does not order two runs of one second),
/// then by id.
fn sort_by_age(runs_dir: &Path, ids: &mut [String]) {
    ids.sort_by_cached_key(|id| {
        let modified = std::fs::metadata(runs_dir.join(id))
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        (modified, id.clone())
    });
}

/// How many of the newest stored results sets a cache lookup reads.
const CACHE_DEPTH: usize = 50;

/// A stored run that can stand in for a planned one: its record and its folder.
#[derive(Debug, Clone)]
pub struct Cached {
    pub run_id: String,
    pub dir: PathBuf,
    pub record: super::results::RunRecord,
}

/// The newest complete results sets under `workspace` written by this version of
/// skillbench that `keep` accepts (at most [`CACHE_DEPTH`]), newest first, each with its
/// id. A results set that cannot be read is skipped.
fn recent_results(
    workspace: &Workspace,
    keep: impl Fn(&Results) -> bool,
) -> Vec<(String, Results)> {
    let runs_dir = workspace.store_dir().join("runs");
    let mut ids: Vec<String> = std::fs::read_dir(&runs_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|id| !id.ends_with(".partial") && runs_dir.join(id).join("results.json").is_file())
        .collect();
    sort_by_age(&runs_dir, &mut ids);
    ids.reverse();
    ids.into_iter()
        .filter_map(|id| {
            let text = std::fs::read_to_string(runs_dir.join(&id).join("results.json")).ok()?;
            let results = serde_json::from_str::<Results>(&text).ok()?;
            (results.schema == RESULTS_SCHEMA
                && results.harness_version == env!("CARGO_PKG_VERSION")
                && keep(&results))
            .then_some((id, results))
        })
        .take(CACHE_DEPTH)
        .collect()
}

/// The newest stored results set of the eval called `name`, if any.
pub fn latest_of_eval(workspace: &Workspace, name: &str) -> Option<Results> {
    recent_results(workspace, |r| r.eval.name == name)
        .into_iter()
        .next()
        .map(|(_, r)| r)
}

/// What the newest stored results sets offer a new eval.
#[derive(Debug, Default)]
pub struct Cache {
    /// Graded runs by content key: each stands in for a planned run with its key.
    pub by_key: std::collections::HashMap<String, Cached>,
    /// Runs whose agent delivered (completed, errored or timed out), by delivery key:
    /// each delivery can be graded again for a planned run with its delivery key.
    pub by_delivery: std::collections::HashMap<String, Cached>,
}

/// The stored runs of the newest results sets, by content key and by delivery key (the
/// newest run of a key wins).
pub fn cached_runs(workspace: &Workspace) -> Cache {
    let runs_dir = workspace.store_dir().join("runs");
    let mut cache = Cache::default();
    for (id, results) in recent_results(workspace, |_| true) {
        for record in results.runs {
            let cached = || Cached {
                run_id: record
                    .cached_from
                    .clone()
                    .unwrap_or_else(|| results.run_id.clone()),
                dir: runs_dir.join(&id).join(&record.dir),
                record: record.clone(),
            };
            if !record.delivery_key.is_empty() && !record.status.is_infrastructure() {
                cache
                    .by_delivery
                    .entry(record.delivery_key.clone())
                    .or_insert_with(cached);
            }
            // Not reused: runs that were not graded (infrastructure), and runs a grader
            // left a criterion of ungraded (an endpoint down, a budget spent), which a new
            // run may grade.
            let ungraded = record
                .criteria
                .iter()
                .any(|c| c.verdict == crate::grade::Verdict::Ungraded);
            if record.grade.is_none() || record.key.is_empty() || ungraded {
                continue;
            }
            cache
                .by_key
                .entry(record.key.clone())
                .or_insert_with(cached);
        }
    }
    cache
}

/// How long each (case, agent, variant) of the eval `eval` took when it last ran for real
/// (not reused, not a delivery graded again, and graded), from its newest stored results
/// sets — leaving out the shards of the plan `plan_key`, which not every shard of that
/// plan has seen, and other evals', which may be stored between two shards. What `eval
/// --shard` balances by.
pub fn durations(workspace: &Workspace, eval: &str, plan_key: &str) -> super::plan::Durations {
    let mut durations = super::plan::Durations::new();
    let sets = recent_results(workspace, |r| {
        r.eval.name == eval && r.shard.as_ref().is_none_or(|s| s.plan != plan_key)
    });
    for (_, results) in sets {
        for r in results.runs {
            if r.grade.is_some() && r.cached_from.is_none() && r.delivery_from.is_none() {
                durations
                    .entry((r.case, r.agent, r.variant))
                    .or_insert(r.timings.total_ms);
            }
        }
    }
    durations
}

/// A run id that names no stored run: nothing to act on, with the nearest stored ids.
fn no_such_run(runs_dir: &Path, wanted: &str) -> Error {
    let mut ids: Vec<String> = std::fs::read_dir(runs_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("results.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if ids.is_empty() {
        return Error::NothingSelected(format!(
            "no stored run '{wanted}': {} holds no results; run `skillbench eval EVAL` first",
            runs_dir.display()
        ));
    }
    ids.sort_by_key(|id| {
        (
            strsim::damerau_levenshtein(wanted, id),
            std::cmp::Reverse(id.clone()),
        )
    });
    let total = ids.len();
    ids.truncate(3);
    Error::NothingSelected(format!(
        "no stored run '{wanted}' in {}; the nearest of {total}: {}",
        runs_dir.display(),
        ids.join(", ")
    ))
}

/// `20261127T132501Z-1a2b3c`: sortable by time, unique per process and moment.
fn new_run_id() -> String {
    let now = std::time::SystemTime::now();
    let stamp = humantime::format_rfc3339_seconds(now)
        .to_string()
        .replace(['-', ':'], "");
    let nanos = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let salt = Sha256::digest(format!("{nanos}-{}", std::process::id()).as_bytes());
    format!("{stamp}-{:02x}{:02x}{:02x}", salt[0], salt[1], salt[2])
}

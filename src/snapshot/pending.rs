//! Pending snapshots (`<eval>.snap.new`) and what to do with them: write, accept, reject,
//! review.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{Change, PendingFrom, Row, Snapshot, compare, render_rows};
use crate::error::{Error, Result};
use crate::fsx::write_atomic;

/// The accepted snapshot of `eval` under `dir`.
pub fn accepted_path(dir: &Path, eval: &str) -> PathBuf {
    dir.join(format!("{eval}.snap"))
}

/// The pending snapshot of `eval` under `dir`.
pub fn pending_path(dir: &Path, eval: &str) -> PathBuf {
    dir.join(format!("{eval}.snap.new"))
}

/// How a new result stands against the accepted snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No accepted snapshot yet.
    New,
    /// Compared with the accepted snapshot: every row that differs (noise and rows not
    /// compared included), and what the headers say changed.
    Compared {
        changes: Vec<Change>,
        notes: Vec<String>,
    },
}

impl Verdict {
    /// Whether a reviewer has something to accept: no snapshot yet, or a material change.
    pub fn differs(&self) -> bool {
        match self {
            Verdict::New => true,
            Verdict::Compared { changes, .. } => changes.iter().any(|c| c.kind.is_material()),
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Verdict::New => "new",
            _ if self.differs() => "differs",
            _ => "matches",
        }
    }
}

/// The accepted snapshot of `eval` in `dir`, with the hash of its bytes; `None` when there
/// is none.
fn read_accepted(dir: &Path, eval: &str) -> Result<Option<(Snapshot, String)>> {
    let path = accepted_path(dir, eval);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(&path, e)),
    };
    let snapshot = Snapshot::parse(&text).ok_or_else(|| {
        Error::from(crate::diagnostic::Diagnostic::error(
            &path,
            (1, 1),
            "not a skillbench snapshot (it must start with a '---' header); delete it and accept a new one",
        ))
    })?;
    use sha2::Digest;
    let hash = format!("sha256:{:x}", sha2::Sha256::digest(text.as_bytes()));
    Ok(Some((snapshot, hash)))
}

/// Compares `new` with the accepted snapshot of `eval` in `dir`. A `subset` run compares
/// only the rows it ran.
pub fn check(dir: &Path, eval: &str, new: &Snapshot, subset: bool) -> Result<Verdict> {
    Ok(match read_accepted(dir, eval)? {
        None => Verdict::New,
        Some((old, _)) => verdict(&old, new, subset),
    })
}

fn verdict(old: &Snapshot, new: &Snapshot, subset: bool) -> Verdict {
    let changes = compare(old, new, subset);
    let moved = changes.iter().any(|c| c.kind.is_material());
    let notes = super::header_notes(&old.header, &new.header, moved);
    Verdict::Compared { changes, notes }
}

/// The run whose results are being settled against the snapshot.
#[derive(Debug)]
pub struct RunMark<'a> {
    pub run_id: &'a str,
    pub started_at: &'a str,
    pub finished_at: &'a str,
}

/// What [`settle`] did with the pending snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The pending snapshot was written (merged into the accepted rows where the run was a
    /// subset).
    Wrote(PathBuf),
    /// A stale pending snapshot (written by a run that finished before this one started)
    /// was removed.
    Cleared,
    /// A pending snapshot of a concurrent or partial run was left alone.
    KeptOther(String),
    /// Nothing to do.
    Nothing,
}

/// After a run: writes the pending snapshot when the results differ, or removes a stale one
/// when they match, under a lock so concurrent evals never delete or overwrite each other's
/// findings. A subset run's pending snapshot is the accepted one (or the pending one of an
/// earlier subset run against the same accepted snapshot) with only the rows it changed
/// replaced.
pub fn settle(
    dir: &Path,
    eval: &str,
    new: &Snapshot,
    subset: bool,
    run: &RunMark<'_>,
) -> Result<(Verdict, Settled)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let _lock = lock(dir, eval)?;
    let accepted = read_accepted(dir, eval)?;
    let base_hash = accepted
        .as_ref()
        .map_or_else(|| "none".to_string(), |(_, h)| h.clone());
    let pending = read_pending(dir, eval);
    let verdict = match &accepted {
        None => Verdict::New,
        Some((old, _)) => verdict(old, new, subset),
    };
    let path = pending_path(dir, eval);
    if !verdict.differs() {
        // Only a pending snapshot this run supersedes goes: a full run that started after
        // it was written. A subset run or a concurrent one leaves it for its reviewer.
        return Ok(match pending.and_then(|p| p.header.pending_from) {
            None if path.exists() => (verdict, Settled::KeptOther("unknown".into())),
            None => (verdict, Settled::Nothing),
            Some(from) if !subset && from.finished_at.as_str() < run.started_at => {
                clear_pending(dir, eval)?;
                (verdict, Settled::Cleared)
            }
            Some(from) => (verdict, Settled::KeptOther(from.run_id)),
        });
    }
    let mut written = match (&accepted, &verdict) {
        (Some((old, _)), Verdict::Compared { changes, .. }) => {
            // A subset run builds on an earlier subset run's pending snapshot of the same
            // accepted one, so two of them never drop each other's rows.
            let base = match pending {
                Some(p)
                    if subset
                        && p.header
                            .pending_from
                            .as_ref()
                            .is_some_and(|f| f.base == base_hash) =>
                {
                    p
                }
                _ => old.clone(),
            };
            merged(&base, new, changes, subset)
        }
        _ => new.clone(),
    };
    written.header.pending_from = Some(PendingFrom {
        run_id: run.run_id.to_string(),
        finished_at: run.finished_at.to_string(),
        base: base_hash,
    });
    write_atomic(&path, written.render()).map_err(|e| Error::write(&path, e))?;
    Ok((verdict, Settled::Wrote(path)))
}

/// `base` with the rows of every material change taken from `new` (or removed).
fn merged(base: &Snapshot, new: &Snapshot, changes: &[Change], subset: bool) -> Snapshot {
    let mut rows: std::collections::BTreeMap<(String, String, String), Row> = base
        .rows
        .iter()
        .map(|r| {
            (
                (r.case.clone(), r.variant.clone(), r.agent.clone()),
                r.clone(),
            )
        })
        .collect();
    for change in changes.iter().filter(|c| c.kind.is_material()) {
        match (&change.old, &change.new) {
            (Some(old), None) => {
                rows.remove(&(old.case.clone(), old.variant.clone(), old.agent.clone()));
            }
            (_, Some(row)) => {
                rows.insert(
                    (row.case.clone(), row.variant.clone(), row.agent.clone()),
                    row.clone(),
                );
            }
            (None, None) => {}
        }
    }
    let mut header = new.header.clone();
    if subset {
        // What the merged rows were taken for: the new run's provenance over the base's.
        let mut corpus = base.header.corpus.clone();
        corpus.extend(new.header.corpus.clone());
        let mut runtimes = base.header.runtimes.clone();
        runtimes.extend(new.header.runtimes.clone());
        let mut agents = base.header.agents.clone();
        agents.extend(new.header.agents.iter().cloned());
        agents.sort();
        agents.dedup();
        header.corpus = corpus;
        header.runtimes = runtimes;
        header.agents = agents;
        header.trials = base.header.trials.max(new.header.trials);
    }
    Snapshot {
        header,
        rows: rows.into_values().collect(),
    }
}

fn read_pending(dir: &Path, eval: &str) -> Option<Snapshot> {
    let text = std::fs::read_to_string(pending_path(dir, eval)).ok()?;
    Snapshot::parse(&text)
}

/// An exclusive lock on `eval`'s snapshots, held while they are read and written.
fn lock(dir: &Path, eval: &str) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let path = dir.join(format!(".{eval}.snap.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::write(&path, e))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::write(&path, std::io::Error::from(e)))
}

/// Removes a stale pending snapshot of `eval`, if there is one.
pub fn clear_pending(dir: &Path, eval: &str) -> Result<()> {
    let path = pending_path(dir, eval);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::write(&path, e)),
        _ => Ok(()),
    }
}

/// The difference, for people: `-` old rows, `+` new rows, each change labelled with its
/// rates; then the rows within the noise and those not compared, apart; then what the
/// headers say changed.
pub fn describe(verdict: &Verdict, new: &Snapshot) -> String {
    let (changes, notes) = match verdict {
        Verdict::New => {
            return format!(
                "no accepted snapshot yet; the new one is:\n{}",
                render_rows(&new.rows)
            );
        }
        Verdict::Compared { changes, notes } => (changes, notes),
    };
    let mut out = String::new();
    let (material, apart): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| c.kind.is_material());
    for change in material {
        out.push_str(&format!("{}:", change.kind.label()));
        if !change.note.is_empty() {
            out.push_str(&format!(" {}", change.note));
        }
        out.push('\n');
        for (sign, row) in [("-", &change.old), ("+", &change.new)] {
            if let Some(r) = row {
                out.push_str(&format!("  {sign} {}\n", row_line(r)));
            }
        }
    }
    for change in apart {
        if let Some(r) = change.new.as_ref().or(change.old.as_ref()) {
            let was = change
                .old
                .as_ref()
                .map(|o| format!(" (accepted {})", o.grades))
                .unwrap_or_default();
            out.push_str(&format!(
                "{}: {}  {}  {}  {}{was}: {}\n",
                change.kind.label(),
                r.case,
                r.variant,
                r.agent,
                r.grades,
                change.note
            ));
        }
    }
    for note in notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

fn row_line(r: &Row) -> String {
    let failed = if r.failed.is_empty() {
        String::new()
    } else {
        format!("  failed: {}", r.failed.join(", "))
    };
    format!(
        "{}  {}  {}  {}{failed}",
        r.case, r.variant, r.agent, r.grades
    )
}

/// The evals with a pending snapshot in `dir` whose name contains `filter`.
pub fn list(dir: &Path, filter: Option<&str>) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(Error::read(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::read(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(eval) = name.strip_suffix(".snap.new")
            && filter.is_none_or(|f| eval.contains(f))
        {
            names.push(eval.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// The error of `accept`, `reject` or `review` with no pending snapshot (matching `filter`).
pub fn nothing_pending(dir: &Path, filter: Option<&str>) -> Error {
    Error::NothingSelected(format!(
        "no pending snapshot{} in {}",
        filter
            .map(|f| format!(" matching '{f}'"))
            .unwrap_or_default(),
        dir.display()
    ))
}

/// Moves each pending snapshot over its accepted one; returns the evals accepted.
pub fn accept(dir: &Path, filter: Option<&str>) -> Result<Vec<String>> {
    let names = list(dir, filter)?;
    for eval in &names {
        accept_one(dir, eval)?;
    }
    Ok(names)
}

/// Deletes each pending snapshot; returns the evals rejected.
pub fn reject(dir: &Path, filter: Option<&str>) -> Result<Vec<String>> {
    let names = list(dir, filter)?;
    for eval in &names {
        let path = pending_path(dir, eval);
        std::fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
    }
    Ok(names)
}

/// Walks the pending snapshots, asking for each whether to accept, reject or skip it.
/// Refuses without a terminal and prints the commands to use instead.
pub fn review(
    dir: &Path,
    filter: Option<&str>,
    out: &mut dyn Write,
) -> Result<(usize, usize, usize)> {
    let names = list(dir, filter)?;
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "`skillbench review` needs a terminal; without one, use:\n  skillbench accept [EVAL]   # accept pending snapshots\n  skillbench reject [EVAL]   # discard them\npending: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    if names.is_empty() {
        return Err(nothing_pending(dir, filter));
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    let stdin = std::io::stdin();
    for eval in names {
        let pending_text = std::fs::read_to_string(pending_path(dir, &eval))
            .map_err(|e| Error::read(pending_path(dir, &eval), e))?;
        let new = Snapshot::parse(&pending_text)
            .ok_or_else(|| Error::Usage(format!("{eval}.snap.new is not a snapshot")))?;
        let verdict = check(dir, &eval, &new, false)?;
        let w = |e| Error::write("stdout", e);
        writeln!(out, "\n{eval}\n{}", describe(&verdict, &new)).map_err(w)?;
        write!(out, "a accept, r reject, s skip [s]: ").map_err(w)?;
        out.flush().map_err(w)?;
        let mut answer = String::new();
        stdin
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::read("stdin", e))?;
        match answer.trim() {
            "a" | "accept" => {
                accept_one(dir, &eval)?;
                accepted += 1;
            }
            "r" | "reject" => {
                let path = pending_path(dir, &eval);
                std::fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
                rejected += 1;
            }
            _ => skipped += 1,
        }
    }
    Ok((accepted, rejected, skipped))
}

/// The pending snapshot becomes the accepted one, without the mark of the run that wrote
/// it: an accepted snapshot holds no run ids or times.
fn accept_one(dir: &Path, eval: &str) -> Result<()> {
    let _lock = lock(dir, eval)?;
    let from = pending_path(dir, eval);
    let to = accepted_path(dir, eval);
    let text = std::fs::read_to_string(&from).map_err(|e| Error::read(&from, e))?;
    let mut snapshot = Snapshot::parse(&text).ok_or_else(|| {
        Error::from(crate::diagnostic::Diagnostic::error(
            &from,
            (1, 1),
            "not a skillbench snapshot (it must start with a '---' header); reject it and run the eval again",
        ))
    })?;
    snapshot.header.pending_from = None;
    write_atomic(&to, snapshot.render()).map_err(|e| Error::write(&to, e))?;
    std::fs::remove_file(&from).map_err(|e| Error::write(&from, e))
}

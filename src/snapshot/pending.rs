//! Pending snapshots (`<eval>.snap.new`) and what to do with them: write, accept, reject,
//! review.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{Change, ChangeKind, Snapshot, compare, render_rows};
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
    /// Same rows as the accepted snapshot.
    Matches,
    /// No accepted snapshot yet.
    New,
    /// These rows differ.
    Differs(Vec<Change>),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Matches => "matches",
            Verdict::New => "new",
            Verdict::Differs(_) => "differs",
        }
    }
}

/// Compares `new` with the accepted snapshot of `eval` in `dir`.
pub fn check(dir: &Path, eval: &str, new: &Snapshot) -> Result<Verdict> {
    let path = accepted_path(dir, eval);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Verdict::New),
        Err(e) => return Err(Error::read(&path, e)),
    };
    let old = Snapshot::parse(&text).ok_or_else(|| {
        Error::from(crate::diagnostic::Diagnostic::error(
            &path,
            (1, 1),
            "not a skillbench snapshot (it must start with a '---' header); delete it and accept a new one",
        ))
    })?;
    let changes = compare(&old, new);
    Ok(if changes.is_empty() {
        Verdict::Matches
    } else {
        Verdict::Differs(changes)
    })
}

/// Writes `new` as the pending snapshot of `eval`.
pub fn write_pending(dir: &Path, eval: &str, new: &Snapshot) -> Result<PathBuf> {
    let path = pending_path(dir, eval);
    write_atomic(&path, new.render()).map_err(|e| Error::write(&path, e))?;
    Ok(path)
}

/// Removes a stale pending snapshot of `eval`, if there is one.
pub fn clear_pending(dir: &Path, eval: &str) -> Result<()> {
    let path = pending_path(dir, eval);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::write(&path, e)),
        _ => Ok(()),
    }
}

/// The difference, for people: `-` old rows, `+` new rows, each change labelled.
pub fn describe(verdict: &Verdict, new: &Snapshot) -> String {
    match verdict {
        Verdict::Matches => String::new(),
        Verdict::New => format!(
            "no accepted snapshot yet; the new one is:\n{}",
            render_rows(&new.rows)
        ),
        Verdict::Differs(changes) => {
            let mut out = String::new();
            for change in changes {
                let mark = match change.kind {
                    ChangeKind::Regression => "REGRESSION",
                    ChangeKind::Improvement => "improvement",
                    other => other.label(),
                };
                out.push_str(&format!("{mark}:\n"));
                for (sign, row) in [("-", &change.old), ("+", &change.new)] {
                    if let Some(r) = row {
                        let failed = if r.failed.is_empty() {
                            String::new()
                        } else {
                            format!("  failed: {}", r.failed.join(", "))
                        };
                        out.push_str(&format!(
                            "  {sign} {}  {}  {}  {}{failed}\n",
                            r.case, r.variant, r.agent, r.grades
                        ));
                    }
                }
            }
            out
        }
    }
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

/// Moves each pending snapshot over its accepted one; returns the evals accepted.
pub fn accept(dir: &Path, filter: Option<&str>) -> Result<Vec<String>> {
    let names = list(dir, filter)?;
    for eval in &names {
        let (from, to) = (pending_path(dir, eval), accepted_path(dir, eval));
        std::fs::rename(&from, &to).map_err(|e| Error::write(&to, e))?;
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
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    let stdin = std::io::stdin();
    for eval in names {
        let pending_text = std::fs::read_to_string(pending_path(dir, &eval))
            .map_err(|e| Error::read(pending_path(dir, &eval), e))?;
        let new = Snapshot::parse(&pending_text)
            .ok_or_else(|| Error::Usage(format!("{eval}.snap.new is not a snapshot")))?;
        let verdict = check(dir, &eval, &new)?;
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

fn accept_one(dir: &Path, eval: &str) -> Result<()> {
    let to = accepted_path(dir, eval);
    std::fs::rename(pending_path(dir, eval), &to).map_err(|e| Error::write(&to, e))
}

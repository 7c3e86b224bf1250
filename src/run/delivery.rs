//! The delivery: the change an agent hands over, computed by skillbench itself, the way a
//! reviewer would merge it.
//!
//! The agent's room is a checkout the agent controls: it may have rewritten `.git` (moved
//! HEAD, committed, deleted the repository), listed files in `.git/info/exclude`, edited
//! `.gitignore`, planted links. None of that is trusted. The delivery is the agent's work
//! tree against the *pinned commit*, read from skillbench's own copy of the source: every
//! file, tracked or not, except those the pinned commit's own ignore rules leave out, what
//! the case's setup produced ([`Baseline`]), and what skillbench installed (the skill).
//! Links are delivered as links, never followed; binary files as binary patches. The result
//! is a git patch whose bytes are stored as `diff.patch` and are exactly what the clean
//! room grades ([`Change::from_patch`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::{Diff, DiffOptions, FileMode, ObjectType, Oid, Patch, Repository, Tree};

use super::results::DiffStats;
use crate::corpus::PreparedSource;

/// A file larger than this is not delivered: no remediation writes one.
const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Nor more than this in all, nor more files, nor folders nested deeper.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;
const MAX_FILES: usize = 100_000;
const MAX_DEPTH: usize = 128;

/// Why the delivery could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The agent left its room in a state that cannot be read: its failure, not skillbench's.
    #[error("the agent's checkout cannot be read at {path}: {source}")]
    Room {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the agent left {path}, larger than {MAX_FILE} bytes")]
    TooLarge { path: String },
    #[error("the agent left more than {MAX_TOTAL} bytes or {MAX_FILES} files to deliver")]
    TooMuch,
    #[error("the agent left folders nested deeper than {MAX_DEPTH}: {path}")]
    TooDeep { path: String },
    #[error("the agent left a path git cannot hold: {path} ({message})")]
    BadName { path: String, message: String },
    #[error("the agent replaced its checkout {path} with something else (a link?)")]
    Replaced { path: PathBuf },
    /// skillbench's own copy of the source failed: infrastructure.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

impl DeliveryError {
    /// Whether the agent answers for the failure (it broke its room), rather than skillbench.
    pub fn is_agents(&self) -> bool {
        !matches!(self, DeliveryError::Git(_))
    }
}

/// What the room held before the agent started, beyond the pinned commit: the paths the
/// case's setup created, the tracked files it changed, and what skillbench installed.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Untracked paths (files, or whole folders) that existed after setup.
    created: BTreeSet<String>,
    /// Tracked files setup changed: their content after setup (`None`: setup removed them).
    changed: BTreeMap<String, Option<Oid>>,
    /// Paths skillbench put in the room (the installed skill).
    harness: BTreeSet<String>,
}

impl Baseline {
    /// Records the room as setup left it.
    pub fn record(source: &PreparedSource, room: &Path) -> Result<Baseline, DeliveryError> {
        let repo = Repository::open(&source.repo)?;
        let pinned = repo.find_commit(source.rev)?.tree()?;
        let mut baseline = Baseline::default();
        intact(room)?;
        record_dir(&repo, room, "", Some(&pinned), &mut baseline, 0)?;
        Ok(baseline)
    }

    /// The record as JSON, to keep beside a prepared base.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "created": self.created,
            "changed": self.changed.iter()
                .map(|(path, oid)| (path.clone(), oid.map(|o| o.to_string())))
                .collect::<BTreeMap<_, _>>(),
            "harness": self.harness,
        })
    }

    /// A record [`Baseline::to_json`] wrote; `None` if `value` is not one.
    pub fn from_json(value: &serde_json::Value) -> Option<Baseline> {
        let strings = |key: &str| -> Option<BTreeSet<String>> {
            value
                .get(key)?
                .as_array()?
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let mut changed = BTreeMap::new();
        for (path, oid) in value.get("changed")?.as_object()? {
            let oid = match oid {
                serde_json::Value::Null => None,
                v => Some(Oid::from_str(v.as_str()?).ok()?),
            };
            changed.insert(path.clone(), oid);
        }
        Some(Baseline {
            created: strings("created")?,
            changed,
            harness: strings("harness")?,
        })
    }

    /// Leaves `rel` (a path skillbench installed, such as the skill) out of the delivery.
    pub fn exclude(&mut self, rel: &str) {
        self.harness.insert(rel.trim_end_matches('/').to_string());
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn room_err(path: &Path) -> impl FnOnce(std::io::Error) -> DeliveryError + '_ {
    move |source| DeliveryError::Room {
        path: path.to_path_buf(),
        source,
    }
}

/// The entries of `dir`, sorted by name, without `.git`.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf, std::fs::Metadata)>, DeliveryError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(room_err(dir))? {
        let entry = entry.map_err(room_err(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(room_err(&path))?;
        out.push((name, path, meta));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// That `room` is still the folder skillbench made: no component of its path is a link
/// (every process of the run is gone by now, so nothing can swap it after this check).
fn intact(room: &Path) -> Result<(), DeliveryError> {
    let real = room.canonicalize().map_err(room_err(room))?;
    let meta = std::fs::symlink_metadata(room).map_err(room_err(room))?;
    if real != room || !meta.is_dir() {
        return Err(DeliveryError::Replaced {
            path: room.to_path_buf(),
        });
    }
    Ok(())
}

fn record_dir(
    repo: &Repository,
    dir: &Path,
    prefix: &str,
    pinned: Option<&Tree<'_>>,
    baseline: &mut Baseline,
    depth: usize,
) -> Result<(), DeliveryError> {
    if depth > MAX_DEPTH {
        return Err(DeliveryError::TooDeep {
            path: prefix.into(),
        });
    }
    let mut seen = BTreeSet::new();
    for (name, path, meta) in entries(dir)? {
        let rel = join(prefix, &name);
        seen.insert(name.clone());
        let tracked = pinned.and_then(|t| t.get_name(&name));
        match tracked {
            None => {
                baseline.created.insert(rel);
            }
            Some(entry) if entry.kind() == Some(ObjectType::Tree) && meta.is_dir() => {
                let sub = repo.find_tree(entry.id())?;
                record_dir(repo, &path, &rel, Some(&sub), baseline, depth + 1)?;
            }
            Some(entry) => {
                let (oid, mode) = hash_entry(&path, &meta, &rel)?;
                if oid != Some(entry.id()) || mode != Some(entry.filemode()) {
                    baseline.changed.insert(rel, oid);
                }
            }
        }
    }
    if let Some(tree) = pinned {
        for entry in tree.iter() {
            let name = entry.name().unwrap_or_default();
            if !seen.contains(name) && entry.kind() == Some(ObjectType::Blob) {
                baseline.changed.insert(join(prefix, name), None);
            }
        }
    }
    Ok(())
}

/// The blob id and git mode a file or link would have; `None` for anything else.
fn hash_entry(
    path: &Path,
    meta: &std::fs::Metadata,
    rel: &str,
) -> Result<(Option<Oid>, Option<i32>), DeliveryError> {
    match content(path, meta, rel)? {
        Some((bytes, mode)) => Ok((
            Some(Oid::hash_object(ObjectType::Blob, &bytes)?),
            Some(mode.into()),
        )),
        None => Ok((None, None)),
    }
}

/// The bytes git stores for a regular file (its content) or a link (its target, never
/// followed), with the mode; `None` for folders, FIFOs, sockets and devices.
fn content(
    path: &Path,
    meta: &std::fs::Metadata,
    rel: &str,
) -> Result<Option<(Vec<u8>, FileMode)>, DeliveryError> {
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(path).map_err(room_err(path))?;
        return Ok(Some((
            target.as_os_str().as_encoded_bytes().to_vec(),
            FileMode::Link,
        )));
    }
    if !ft.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_FILE {
        return Err(DeliveryError::TooLarge { path: rel.into() });
    }
    let file = crate::fsx::open_regular(path).map_err(room_err(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(room_err(path))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(DeliveryError::TooLarge { path: rel.into() });
    }
    let mode = if meta.permissions().mode() & 0o111 != 0 {
        FileMode::BlobExecutable
    } else {
        FileMode::Blob
    };
    Ok(Some((bytes, mode)))
}

/// The ignore rules of the pinned commit: each `.gitignore` it holds, by folder.
struct PinnedIgnores {
    /// (folder relative to the root, its rules), deepest last.
    rules: Vec<(String, ignore::gitignore::Gitignore)>,
}

impl PinnedIgnores {
    fn of(repo: &Repository, tree: &Tree<'_>) -> Result<PinnedIgnores, DeliveryError> {
        let mut rules = Vec::new();
        let mut failed = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.name() == Some(".gitignore") && entry.kind() == Some(ObjectType::Blob) {
                match repo.find_blob(entry.id()) {
                    Ok(blob) => {
                        let dir = dir.trim_end_matches('/').to_string();
                        let mut builder =
                            ignore::gitignore::GitignoreBuilder::new(Path::new("/").join(&dir));
                        for line in String::from_utf8_lossy(blob.content()).lines() {
                            // A rule that does not parse is one git would not apply either.
                            let _ = builder.add_line(None, line);
                        }
                        if let Ok(gi) = builder.build() {
                            rules.push((dir, gi));
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        return git2::TreeWalkResult::Abort;
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        rules.sort_by_key(|(dir, _)| {
            if dir.is_empty() {
                0
            } else {
                dir.split('/').count()
            }
        });
        Ok(PinnedIgnores { rules })
    }

    /// Whether the pinned rules ignore `rel`: the deepest `.gitignore` with a verdict decides.
    fn ignored(&self, rel: &str, is_dir: bool) -> bool {
        let abs = Path::new("/").join(rel);
        for (dir, gi) in self.rules.iter().rev() {
            let inside = dir.is_empty() || rel.starts_with(&format!("{dir}/"));
            if !inside {
                continue;
            }
            let m = gi.matched_path_or_any_parents(&abs, is_dir);
            if m.is_ignore() {
                return true;
            }
            if m.is_whitelist() {
                return false;
            }
        }
        false
    }
}

/// The agent's change: its room's work tree against the pinned commit, as a git patch.
/// Every delivered file passes through `redactor` first: a secret the agent wrote into a
/// file — text or binary — is delivered (and so stored and graded) as `[REDACTED:NAME]`.
pub fn deliver(
    source: &PreparedSource,
    room: &Path,
    baseline: &Baseline,
    redactor: &crate::redact::Redactor,
) -> Result<Vec<u8>, DeliveryError> {
    intact(room)?;
    delivered(source, room, None, baseline, redactor)
}

/// The change of an overlay room ([`crate::agent::overlay`]), read from its upper layer
/// `upper` alone — what the run wrote, whiteouts for what it removed, opaque folders for
/// what it replaced — over the prepared base's checkout `lower`: the same patch [`deliver`]
/// computes from the merged view, at the cost of what the run changed, not of the tree.
pub fn deliver_upper(
    source: &PreparedSource,
    upper: &Path,
    lower: &Path,
    mode: crate::agent::overlay::Mode,
    baseline: &Baseline,
    redactor: &crate::redact::Redactor,
) -> Result<Vec<u8>, DeliveryError> {
    match std::fs::symlink_metadata(upper) {
        // The run never wrote into its checkout.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(room_err(upper)(e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(DeliveryError::Replaced {
                path: upper.to_path_buf(),
            });
        }
        Ok(_) => intact(upper)?,
    }
    let layers = Layers {
        lower: lower.to_path_buf(),
        opaque_xattr: mode.opaque_xattr(),
    };
    delivered(source, upper, Some(&layers), baseline, redactor)
}

/// An overlay room's lower layer, and how its upper layer marks an opaque folder.
struct Layers {
    lower: PathBuf,
    opaque_xattr: &'static str,
}

fn delivered(
    source: &PreparedSource,
    room: &Path,
    layers: Option<&Layers>,
    baseline: &Baseline,
    redactor: &crate::redact::Redactor,
) -> Result<Vec<u8>, DeliveryError> {
    let repo = Repository::open(&source.repo)?;
    // New blobs and trees go to memory, never into skillbench's copy of the source.
    let odb = repo.odb()?;
    odb.add_new_mempack_backend(1000)?;
    let pinned = repo.find_commit(source.rev)?.tree()?;
    let ignores = PinnedIgnores::of(&repo, &pinned)?;
    let walk = Walk {
        repo: &repo,
        baseline,
        ignores: &ignores,
        budget: std::cell::Cell::new((MAX_TOTAL, MAX_FILES)),
        redactor,
        opaque_xattr: layers.map(|l| l.opaque_xattr),
    };
    let delivered = walk.dir(
        room,
        "",
        Some(&pinned),
        0,
        layers.map(|l| l.lower.as_path()),
    )?;
    let delivered = match delivered {
        Some(oid) => repo.find_tree(oid)?,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let mut opts = DiffOptions::new();
    opts.show_binary(true).include_typechange(true);
    let diff = repo.diff_tree_to_tree(Some(&pinned), Some(&delivered), Some(&mut opts))?;
    let mut out = Vec::new();
    for i in 0..diff.deltas().len() {
        if let Some(mut patch) = Patch::from_diff(&diff, i)? {
            let text = patch.to_buf()?;
            match diff.get_delta(i) {
                Some(d) => out.extend(quoted_names(
                    &text,
                    d.old_file().path().unwrap_or(Path::new("")),
                    d.new_file().path().unwrap_or(Path::new("")),
                )),
                None => out.extend_from_slice(&text),
            }
        }
    }
    Ok(out)
}

/// A file's patch with its header's paths in quotes when they hold white space: git writes
/// `diff --git a/notes .txt b/notes .txt` unquoted, which libgit2 cannot read back; the
/// quoted form (`"a/notes .txt"`) is valid git and replays.
fn quoted_names(text: &[u8], old: &Path, new: &Path) -> Vec<u8> {
    let spaced = |p: &Path| {
        p.as_os_str()
            .as_encoded_bytes()
            .iter()
            .any(u8::is_ascii_whitespace)
    };
    if !spaced(old) && !spaced(new) {
        return text.to_vec();
    }
    let quote = |prefix: &str, p: &Path| {
        let raw = p
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        format!("\"{prefix}{raw}\"")
    };
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut header = true;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if header && (line.starts_with(b"@@") || line.starts_with(b"GIT binary patch")) {
            header = false;
        }
        if header && line.starts_with(b"diff --git ") {
            out.extend(format!("diff --git {} {}\n", quote("a/", old), quote("b/", new)).bytes());
        } else if header && line.starts_with(b"--- a/") {
            out.extend(format!("--- {}\n", quote("a/", old)).bytes());
        } else if header && line.starts_with(b"+++ b/") {
            out.extend(format!("+++ {}\n", quote("b/", new)).bytes());
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

struct Walk<'a> {
    repo: &'a Repository,
    baseline: &'a Baseline,
    ignores: &'a PinnedIgnores,
    /// Bytes and files the delivery may still take.
    budget: std::cell::Cell<(u64, usize)>,
    redactor: &'a crate::redact::Redactor,
    /// In an overlay's upper layer: the attribute of an opaque folder.
    opaque_xattr: Option<&'static str>,
}

/// Whether `meta` is an overlay whiteout: a character device 0:0 in the upper layer.
fn whiteout(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    meta.file_type().is_char_device() && meta.rdev() == 0
}

impl Walk<'_> {
    /// Whether the upper layer's folder `dir` hides everything below it in the lower one.
    fn opaque(&self, dir: &Path) -> bool {
        self.opaque_xattr
            .is_some_and(|name| matches!(xattr::get(dir, name), Ok(Some(v)) if v == b"y"))
    }

    /// The tree the folder `dir` delivers; `None` when it delivers nothing. With `lower`,
    /// `dir` is an overlay's upper layer over the base's `lower`: what is only in `lower`
    /// is the base, which delivers the pinned commit's entries as they are.
    fn dir(
        &self,
        dir: &Path,
        prefix: &str,
        pinned: Option<&Tree<'_>>,
        depth: usize,
        lower: Option<&Path>,
    ) -> Result<Option<Oid>, DeliveryError> {
        let merged = lower.filter(|_| !self.opaque(dir));
        if depth > MAX_DEPTH {
            return Err(DeliveryError::TooDeep {
                path: prefix.into(),
            });
        }
        let mut builder = self.repo.treebuilder(None)?;
        let bad = |rel: &str, e: git2::Error| DeliveryError::BadName {
            path: rel.to_string(),
            message: e.message().to_string(),
        };
        let mut seen = BTreeSet::new();
        for (name, path, meta) in entries(dir)? {
            let rel = join(prefix, &name);
            seen.insert(name.clone());
            if self.opaque_xattr.is_some() && whiteout(&meta) {
                // Removed by the run: not delivered, and not the base's either.
                continue;
            }
            if self.baseline.harness.contains(&rel) || self.baseline.created.contains(&rel) {
                continue;
            }
            if name.contains('\n') {
                return Err(DeliveryError::BadName {
                    path: rel,
                    message: "a newline in a file name cannot be delivered as a patch".into(),
                });
            }
            let tracked = pinned.and_then(|t| t.get_name(&name));
            if tracked.is_none() && self.ignores.ignored(&rel, meta.is_dir()) {
                continue;
            }
            if meta.is_dir() {
                let sub = match &tracked {
                    Some(e) if e.kind() == Some(ObjectType::Tree) => {
                        Some(self.repo.find_tree(e.id())?)
                    }
                    _ => None,
                };
                let below = merged
                    .map(|l| l.join(&name))
                    .filter(|l| std::fs::symlink_metadata(l).is_ok_and(|m| m.is_dir()));
                if let Some(oid) =
                    self.dir(&path, &rel, sub.as_ref(), depth + 1, below.as_deref())?
                {
                    builder
                        .insert(&name, oid, FileMode::Tree.into())
                        .map_err(|e| bad(&rel, e))?;
                }
                continue;
            }
            let Some((bytes, mode)) = content(&path, &meta, &rel)? else {
                continue;
            };
            let (bytes_left, files_left) = self.budget.get();
            if bytes.len() as u64 > bytes_left || files_left == 0 {
                return Err(DeliveryError::TooMuch);
            }
            self.budget
                .set((bytes_left - bytes.len() as u64, files_left - 1));
            let bytes = self.redactor.clean(&bytes);
            let oid = self.repo.blob(&bytes)?;
            // A tracked file setup changed and the agent left as setup did is not a change.
            let unchanged_since_setup = self
                .baseline
                .changed
                .get(&rel)
                .is_some_and(|after| *after == Some(oid));
            match (&tracked, unchanged_since_setup) {
                (Some(e), true) => builder.insert(&name, e.id(), e.filemode()),
                _ => builder.insert(&name, oid, mode.into()),
            }
            .map_err(|e| bad(&rel, e))?;
        }
        // Tracked files setup removed, and still absent, are not the agent's deletions; in
        // an overlay, nor is any tracked entry the run left to the base.
        if let Some(tree) = pinned {
            for entry in tree.iter() {
                let name = entry.name().unwrap_or_default().to_string();
                let rel = join(prefix, &name);
                let left_to_base =
                    merged.is_some() || self.baseline.changed.get(&rel) == Some(&None);
                if !seen.contains(&name) && left_to_base {
                    builder.insert(&name, entry.id(), entry.filemode())?;
                }
            }
        }
        if builder.is_empty() {
            return Ok(None);
        }
        Ok(Some(builder.write()?))
    }
}

/// How a delivered path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
    /// A file became a link, or the reverse.
    TypeChanged,
}

/// What a delivered path is after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Executable,
    Link,
    /// Gone (a deletion) or something git does not deliver as a file.
    Other,
}

/// One path of the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredFile {
    pub path: String,
    pub change: FileChange,
    pub kind: FileKind,
    pub added: usize,
    pub removed: usize,
    /// The lines the change adds (text; binary content is not listed).
    pub added_lines: Vec<String>,
}

/// The agent's change: the patch's bytes and what it touches.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub patch: Vec<u8>,
    pub stats: DiffStats,
    pub files: Vec<DeliveredFile>,
}

impl Change {
    /// Reads a stored or fresh patch; the same bytes give the same change, always.
    pub fn from_patch(patch: Vec<u8>) -> Result<Change, git2::Error> {
        if patch.is_empty() {
            return Ok(Change::default());
        }
        let diff = Diff::from_buffer(&patch)?;
        let mut files = Vec::new();
        for i in 0..diff.deltas().len() {
            let Some(delta) = diff.get_delta(i) else {
                continue;
            };
            let path = delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let change = match delta.status() {
                git2::Delta::Added | git2::Delta::Untracked | git2::Delta::Copied => {
                    FileChange::Added
                }
                git2::Delta::Deleted => FileChange::Deleted,
                git2::Delta::Typechange => FileChange::TypeChanged,
                _ => FileChange::Modified,
            };
            let kind = match (change, delta.new_file().mode()) {
                (FileChange::Deleted, _) => FileKind::Other,
                (_, FileMode::Link) => FileKind::Link,
                (_, FileMode::BlobExecutable) => FileKind::Executable,
                (_, FileMode::Blob | FileMode::BlobGroupWritable) => FileKind::File,
                _ => FileKind::Other,
            };
            let (mut added, mut removed, mut added_lines) = (0, 0, Vec::new());
            if let Some(p) = Patch::from_diff(&diff, i)? {
                (_, added, removed) = p.line_stats()?;
                for h in 0..p.num_hunks() {
                    for l in 0..p.num_lines_in_hunk(h)? {
                        let line = p.line_in_hunk(h, l)?;
                        if line.origin() == '+' {
                            added_lines.push(
                                String::from_utf8_lossy(line.content())
                                    .trim_end_matches('\n')
                                    .to_string(),
                            );
                        }
                    }
                }
            }
            files.push(DeliveredFile {
                path,
                change,
                kind,
                added,
                removed,
                added_lines,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let stats = DiffStats {
            files: files.len(),
            added: files.iter().map(|f| f.added).sum(),
            removed: files.iter().map(|f| f.removed).sum(),
            paths: files.iter().map(|f| f.path.clone()).collect(),
        };
        Ok(Change {
            patch,
            stats,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture repository, a room checked out from it, and its source.
    fn room(files: &[(&str, &str)]) -> (tempfile::TempDir, PreparedSource, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let fixture = dir.path().join("fixture");
        for (path, text) in files {
            let p = fixture.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let repo = dir.path().join("source.git");
        let rev = crate::corpus::source::build_fixture(&fixture, &repo).unwrap();
        let source = PreparedSource {
            repo,
            rev,
            origin: "fixture".into(),
        };
        let room = dir.path().join("room");
        crate::corpus::checkout(&source, &room).unwrap();
        (dir, source, room)
    }

    fn paths(patch: Vec<u8>) -> Vec<String> {
        Change::from_patch(patch).unwrap().stats.paths
    }

    #[test]
    fn the_delivery_ignores_exclude_rules_history_and_a_deleted_git() {
        let (_dir, source, room) = room(&[("app.py", "x = 1\n"), (".gitignore", "*.log\n")]);
        let baseline = Baseline::record(&source, &room).unwrap();
        std::fs::create_dir_all(room.join("unittest")).unwrap();
        std::fs::write(room.join("unittest/__init__.py"), "print('OK')\n").unwrap();
        std::fs::write(room.join(".git/info/exclude"), "unittest/\n").unwrap();
        std::fs::write(room.join("debug.log"), "ignored by the pinned rules\n").unwrap();
        std::fs::write(room.join(".gitignore"), "*.log\nunittest/\n").unwrap();
        std::fs::write(room.join("app.py"), "x = 2\n").unwrap();
        // The agent commits: HEAD moves, and then the repository goes altogether.
        let repo = Repository::open(&room).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::FORCE, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("a", "a@a").unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "x", &tree, &[&head])
            .unwrap();
        std::fs::remove_dir_all(room.join(".git")).unwrap();

        let delivered = paths(
            deliver(
                &source,
                &room,
                &baseline,
                &crate::redact::Redactor::default(),
            )
            .unwrap(),
        );
        assert_eq!(delivered, [".gitignore", "app.py", "unittest/__init__.py"]);
    }

    #[test]
    fn setup_output_and_the_installed_skill_are_not_the_agents_and_links_stay_links() {
        let (_dir, source, room) = room(&[("package.json", "{}\n")]);
        std::fs::create_dir_all(room.join("node_modules/yaml")).unwrap();
        std::fs::write(room.join("node_modules/yaml/index.js"), "//\n").unwrap();
        let mut baseline = Baseline::record(&source, &room).unwrap();
        baseline.exclude(".claude/skills/demo");
        std::fs::create_dir_all(room.join(".claude/skills/demo")).unwrap();
        std::fs::write(room.join(".claude/skills/demo/SKILL.md"), "---\n").unwrap();
        std::fs::write(room.join("node_modules/yaml/index.js"), "// changed\n").unwrap();
        std::os::unix::fs::symlink("/dev/null", room.join("hidden_tests")).unwrap();
        std::fs::write(room.join("blob.bin"), [0u8, 159, 146, 150, 0, 1]).unwrap();

        let patch = deliver(
            &source,
            &room,
            &baseline,
            &crate::redact::Redactor::default(),
        )
        .unwrap();
        let change = Change::from_patch(patch.clone()).unwrap();
        assert_eq!(change.stats.paths, ["blob.bin", "hidden_tests"]);
        let link = change
            .files
            .iter()
            .find(|f| f.path == "hidden_tests")
            .unwrap();
        assert_eq!(link.kind, FileKind::Link);

        // The stored bytes rebuild the same tree: a binary file and a link included.
        let again = tempfile::tempdir().unwrap();
        let clean = again.path().join("clean");
        crate::run::clean_room::build(&source, &clean, &patch).unwrap();
        assert_eq!(
            std::fs::read(clean.join("blob.bin")).unwrap(),
            [0u8, 159, 146, 150, 0, 1]
        );
        assert_eq!(
            std::fs::read_link(clean.join("hidden_tests")).unwrap(),
            Path::new("/dev/null")
        );
        assert!(!clean.join("node_modules").exists());
    }

    #[test]
    fn names_with_spaces_replay() {
        let (_dir, source, room) = room(&[("a b/c d.txt", "x\n")]);
        let baseline = Baseline::record(&source, &room).unwrap();
        std::fs::write(room.join("notes .txt"), "n\n").unwrap();
        std::fs::write(room.join("a b/c d.txt"), "y\n").unwrap();
        let patch = deliver(&source, &room, &baseline, &Default::default()).unwrap();
        let again = tempfile::tempdir().unwrap();
        let clean = again.path().join("clean");
        crate::run::clean_room::build(&source, &clean, &patch)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&patch)));
        assert_eq!(std::fs::read(clean.join("notes .txt")).unwrap(), b"n\n");
        assert_eq!(std::fs::read(clean.join("a b/c d.txt")).unwrap(), b"y\n");
    }
}

//! `eval --changed-since REV`: which of the workspace's files differ from a git revision,
//! by content, through git2 — the revision's tree against the work tree and index,
//! untracked files included (a new case is a change) and ignored ones not.
//!
//! Data enters as the workspace and a revision; it leaves as a [`Changed`] that answers
//! whether any of an eval's inputs (files or folders) is among the changed paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The paths that differ from the revision, absolute and canonical.
#[derive(Debug, Clone, Default)]
pub struct Changed {
    paths: BTreeSet<PathBuf>,
}

impl Changed {
    /// Whether any of `inputs` (files, or folders meaning everything under them) changed.
    /// Each input counts both as written and as its links resolve: a retargeted link
    /// changes the link, a changed target changes what it points at.
    pub fn affects(&self, inputs: &[PathBuf]) -> bool {
        inputs.iter().any(|input| {
            let (written, resolved) = (absolute(input), canonical(input));
            self.paths
                .iter()
                .any(|p| p.starts_with(&written) || p.starts_with(&resolved))
        })
    }

    /// Whether a case that `patterns` (globs over `corpus/case` ids) select was added,
    /// changed or removed under `corpora`: a removed case is in no eval's inputs any more,
    /// but its rows leave the results.
    pub fn touches_cases(&self, corpora: &Path, patterns: &[String]) -> bool {
        let globs: Vec<globset::GlobMatcher> = patterns
            .iter()
            .filter_map(|p| {
                globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .ok()
            })
            .map(|g| g.compile_matcher())
            .collect();
        let roots = [absolute(corpora), canonical(corpora)];
        self.paths.iter().any(|p| {
            roots.iter().any(|root| {
                let Ok(rel) = p.strip_prefix(root) else {
                    return false;
                };
                let parts: Vec<String> = rel
                    .components()
                    .take(2)
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                parts.len() == 2 && {
                    let id = parts.join("/");
                    globs.iter().any(|g| g.is_match(&id))
                }
            })
        })
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// `path` made absolute, links not resolved (the current folder is canonical).
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `path` made absolute and canonical where it exists; a path that no longer exists keeps
/// its canonical parent.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
            canonical(parent).join(name)
        }
        _ => std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// What changed in the workspace's repository since `rev` (a commit, branch or tag).
pub fn since(workspace: &Workspace, rev: &str) -> Result<Changed> {
    let root = canonical(workspace.root());
    let repo = git2::Repository::discover(&root).map_err(|e| {
        Error::Usage(format!(
            "--changed-since {rev}: the workspace {} is not in a git repository ({})",
            root.display(),
            e.message()
        ))
    })?;
    let workdir = repo.workdir().map(canonical).ok_or_else(|| {
        Error::Usage(format!(
            "--changed-since {rev}: the repository of {} is bare",
            root.display()
        ))
    })?;
    let tree = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| {
            Error::Usage(format!(
                "--changed-since {rev}: no such revision in {} ({}); fetch it first (a shallow CI checkout needs `fetch-depth: 0`)",
                workdir.display(),
                e.message()
            ))
        })?;
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true);
    let diff = repo
        .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))
        .map_err(|e| {
            Error::Unexpected(format!(
                "cannot diff {rev} against the work tree: {}",
                e.message()
            ))
        })?;
    let mut paths = BTreeSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path() {
                paths.insert(workdir.join(path));
            }
        }
    }
    Ok(Changed { paths })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_input_covers_what_is_under_it_and_nothing_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let changed = Changed {
            paths: [root.join("skills/a/SKILL.md")].into_iter().collect(),
        };
        assert!(changed.affects(&[root.join("skills/a")]));
        assert!(!changed.affects(&[root.join("skills/ab")]));
        assert!(!changed.affects(&[root.join("skills/b"), root.join("evals/a.toml")]));
        assert!(changed.affects(&[root.join("skills/a/SKILL.md")]));
    }

    #[test]
    fn a_case_added_or_removed_under_the_globs_is_a_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let changed = Changed {
            paths: [root.join("corpora/py/gone/case.toml")]
                .into_iter()
                .collect(),
        };
        let corpora = root.join("corpora");
        assert!(changed.touches_cases(&corpora, &["py/*".into()]));
        assert!(changed.touches_cases(&corpora, &["py/gone".into()]));
        assert!(!changed.touches_cases(&corpora, &["npm/*".into(), "py/other".into()]));
    }

    #[test]
    fn a_retargeted_link_is_a_change_of_the_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("shared/v2")).expect("mkdir");
        std::fs::create_dir_all(root.join("skills")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("shared/v2"), root.join("skills/s")).expect("link");
        // git reports the link itself, not what it points at.
        let changed = Changed {
            paths: [root.join("skills/s")].into_iter().collect(),
        };
        assert!(changed.affects(&[root.join("skills/s")]));
    }
}

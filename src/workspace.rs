//! The workspace: the folder that holds `skills/`, `corpora/`, `evals/` and the results
//! store `.skillbench/`. Every path skillbench derives starts here.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workspace { root: root.into() }
    }

    /// The workspace of an eval file: the parent of the `evals/` folder that holds it.
    pub fn of_eval(eval_path: &Path) -> Self {
        // An empty root stands for the current folder and keeps displayed paths short.
        let dir = eval_path.parent().unwrap_or(Path::new(""));
        let root = if dir.file_name().is_some_and(|n| n == "evals") {
            dir.parent().unwrap_or(Path::new(""))
        } else {
            dir
        };
        Workspace::new(root)
    }

    /// The workspace holding `start`: the nearest ancestor with an `evals/`, `skills/` or
    /// `corpora/` folder, or `start` itself.
    pub fn discover(start: &Path) -> Result<Self> {
        let start = start.canonicalize().map_err(|e| Error::read(start, e))?;
        let found = start.ancestors().find(|dir| {
            ["evals", "skills", "corpora", ".skillbench"]
                .iter()
                .any(|d| dir.join(d).is_dir())
        });
        Ok(Workspace::new(found.unwrap_or(&start)))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn skills_dir(&self) -> PathBuf {
        self.root.join("skills")
    }

    pub fn corpora_dir(&self) -> PathBuf {
        self.root.join("corpora")
    }

    pub fn evals_dir(&self) -> PathBuf {
        self.root.join("evals")
    }

    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join("evals").join("snapshots")
    }

    pub fn store_dir(&self) -> PathBuf {
        self.root.join(".skillbench")
    }

    /// A path relative to the workspace root when it lies inside it, for display.
    pub fn display<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// The folder for caches (git mirrors): `$SKILLBENCH_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/skillbench`, else `~/.cache/skillbench`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SKILLBENCH_CACHE_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("skillbench");
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache").join("skillbench")
}

/// `path` with a leading `~/` replaced by the user's HOME.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

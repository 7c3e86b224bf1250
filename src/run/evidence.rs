//! A checkout's state as git sees it — its work tree against HEAD, untracked files
//! included — to tell whether an agent grader changed the checkout it was to read. What
//! an agent delivered is computed apart, against the pinned commit ([`super::delivery`]).

use std::path::Path;

use git2::{DiffFormat, DiffOptions, Patch, Repository};

use super::results::DiffStats;

/// The agent's change.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub patch: String,
    pub stats: DiffStats,
}

/// Diffs the work tree of `checkout` against its HEAD commit.
pub fn collect(checkout: &Path) -> Result<Change, git2::Error> {
    let repo = Repository::open(checkout)?;
    let head = repo.head()?.peel_to_tree()?;
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(Some(&head), Some(&mut opts))?;
    let mut patch = String::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            patch.push(line.origin());
        }
        patch.push_str(&String::from_utf8_lossy(line.content()));
        true
    })?;
    let mut stats = DiffStats::default();
    for i in 0..diff.deltas().len() {
        let delta = diff
            .get_delta(i)
            .ok_or_else(|| git2::Error::from_str("delta vanished"))?;
        let path = delta.new_file().path().or_else(|| delta.old_file().path());
        stats.paths.push(
            path.map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        if let Some(p) = Patch::from_diff(&diff, i)? {
            let (_, added, removed) = p.line_stats()?;
            stats.added += added;
            stats.removed += removed;
        }
    }
    stats.paths.sort();
    stats.files = stats.paths.len();
    Ok(Change { patch, stats })
}

//! A fresh working copy of a pinned commit for one run.
//!
//! The checkout is a new repository holding exactly the pinned commit and the trees and
//! blobs it names, copied as one pack from the prepared source: no remote, URL or
//! credential of the mirror, and none of the history around the commit — in particular not
//! the upstream commit that fixed the finding, which an agent could otherwise read. A
//! commit with parents is marked as a shallow boundary (`.git/shallow`), as a
//! `git clone --depth 1` is. Its branch `main` points at the pinned commit and its work tree
//! matches it.

use std::path::Path;

use git2::{Repository, build::CheckoutBuilder};

use super::source::PreparedSource;
use crate::error::{Error, Result};

const PINNED_REF: &str = "refs/heads/main";

/// Checks out `source`'s pinned commit into `dest` (which must be empty or absent).
pub fn checkout(source: &PreparedSource, dest: &Path) -> Result<()> {
    let git = |what: &str| {
        let what = format!("{what} ({} into {})", source.rev, dest.display());
        move |e| Error::git(what, e)
    };
    let from = Repository::open(&source.repo).map_err(git("open source"))?;
    let repo = init(dest, false).map_err(git("init checkout"))?;
    let commit = from
        .find_commit(source.rev)
        .map_err(git("find pinned commit"))?;
    // The commit and everything its tree names, as one pack: two files, not a loose file
    // per object. Submodules are commits of other repositories: not in the pack.
    let mut pack = from.packbuilder().map_err(git("start the pack"))?;
    pack.insert_commit(commit.id())
        .map_err(git("pack the pinned commit"))?;
    pack.write(&repo.path().join("objects").join("pack"), 0o644)
        .map_err(git("write the pack"))?;
    drop(pack);
    if commit.parent_count() > 0 {
        std::fs::write(repo.path().join("shallow"), format!("{}\n", commit.id()))
            .map_err(|e| Error::write(repo.path().join("shallow"), e))?;
    }
    let commit = repo
        .find_commit(source.rev)
        .map_err(git("find pinned commit"))?;
    repo.reference(PINNED_REF, commit.id(), true, "skillbench: pinned rev")
        .map_err(git("create branch"))?;
    repo.set_head(PINNED_REF).map_err(git("set HEAD"))?;
    repo.checkout_head(Some(CheckoutBuilder::new().force()))
        .map_err(git("check out"))?;
    Ok(())
}

/// A new repository at `path` without git's template folder (sample hooks, `info/`,
/// `description`): nothing skillbench needs, and the most files a new repository writes.
pub(crate) fn init(path: &Path, bare: bool) -> std::result::Result<Repository, git2::Error> {
    let mut options = git2::RepositoryInitOptions::new();
    options.bare(bare).external_template(false);
    Repository::init_opts(path, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_holds_the_pinned_commit_as_one_pack_and_none_of_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let source = init(&dir.path().join("src.git"), true).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let commit = |files: &[(&str, &str)], parents: &[&git2::Commit<'_>]| {
            let mut tree = source.treebuilder(None).unwrap();
            for (name, text) in files {
                let blob = source.blob(text.as_bytes()).unwrap();
                tree.insert(name, blob, 0o100_644).unwrap();
            }
            let tree = source.find_tree(tree.write().unwrap()).unwrap();
            source
                .commit(None, &sig, &sig, "c", &tree, parents)
                .unwrap()
        };
        let fix = commit(&[("fix.txt", "the upstream fix")], &[]);
        let fix = source.find_commit(fix).unwrap();
        let pinned = commit(&[("app.py", "print(1)\n"), ("c.txt", "c")], &[&fix]);
        let prepared = PreparedSource {
            repo: dir.path().join("src.git"),
            rev: pinned,
            origin: "fixture".into(),
        };
        let dest = dir.path().join("room");
        checkout(&prepared, &dest).unwrap();

        let room = Repository::open(&dest).unwrap();
        assert_eq!(room.head().unwrap().target(), Some(pinned));
        assert!(room.find_commit(fix.id()).is_err(), "no history");
        assert!(
            room.find_blob(fix.tree().unwrap().get_name("fix.txt").unwrap().id())
                .is_err()
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("app.py")).unwrap(),
            "print(1)\n"
        );
        assert!(dest.join(".git/shallow").is_file());
        // One pack and its index; no loose object.
        let objects = dest.join(".git/objects");
        let loose: Vec<_> = std::fs::read_dir(&objects)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().len() == 2)
            .collect();
        assert!(loose.is_empty(), "{loose:?}");
        let packs = std::fs::read_dir(objects.join("pack")).unwrap().count();
        assert_eq!(packs, 2);
        let listing: Vec<String> = std::fs::read_dir(dest.join(".git/hooks"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        // Only libgit2's own one-file stub, not git's template folder of sample hooks.
        assert!(listing.len() <= 1, "sample hooks: {listing:?}");
        assert!(!dest.join(".git/hooks/pre-commit.sample").exists());
    }
}

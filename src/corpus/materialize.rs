//! A fresh working copy of a pinned commit for one run.
//!
//! The checkout is a new repository holding exactly the pinned commit and the trees and
//! blobs it names, copied object by object from the prepared source: no remote, URL or
//! credential of the mirror, and none of the history around the commit — in particular not
//! the upstream commit that fixed the finding, which an agent could otherwise read. A
//! commit with parents is marked as a shallow boundary (`.git/shallow`), as a
//! `git clone --depth 1` is. Its branch `main` points at the pinned commit and its work tree
//! matches it.

use std::path::Path;

use git2::{
    ObjectType, Odb, Oid, Repository, TreeWalkMode, TreeWalkResult, build::CheckoutBuilder,
};

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
    let repo = Repository::init(dest).map_err(git("init checkout"))?;
    let commit = from
        .find_commit(source.rev)
        .map_err(git("find pinned commit"))?;
    let (src, dst) = (
        from.odb().map_err(git("open source objects"))?,
        repo.odb().map_err(git("open checkout objects"))?,
    );
    copy_object(&src, &dst, commit.id()).map_err(git("copy the commit"))?;
    let tree = commit.tree().map_err(git("read the pinned tree"))?;
    copy_object(&src, &dst, tree.id()).map_err(git("copy the tree"))?;
    let mut failed = None;
    tree.walk(TreeWalkMode::PreOrder, |_, entry| {
        // Submodules are commits of other repositories: not ours to copy.
        if entry.kind() == Some(ObjectType::Commit) {
            return TreeWalkResult::Ok;
        }
        match copy_object(&src, &dst, entry.id()) {
            Ok(()) => TreeWalkResult::Ok,
            Err(e) => {
                failed = Some(e);
                TreeWalkResult::Abort
            }
        }
    })
    .map_err(git("walk the pinned tree"))?;
    if let Some(e) = failed {
        return Err(Error::git(
            format!("copy objects ({} into {})", source.rev, dest.display()),
            e,
        ));
    }
    if commit.parent_count() > 0 {
        std::fs::write(repo.path().join("shallow"), format!("{}\n", commit.id()))
            .map_err(|e| Error::write(repo.path().join("shallow"), e))?;
    }
    drop(tree);
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

fn copy_object(src: &Odb<'_>, dst: &Odb<'_>, id: Oid) -> std::result::Result<(), git2::Error> {
    if dst.exists(id) {
        return Ok(());
    }
    let object = src.read(id)?;
    let written = dst.write(object.kind(), object.data())?;
    debug_assert_eq!(written, id);
    Ok(())
}

//! A fresh working copy of a pinned commit for one run.
//!
//! The checkout is a new repository whose objects are fetched from the prepared source
//! through an anonymous remote, so no remote, URL or credential of the mirror is recorded
//! in it. Its branch `main` points at the pinned commit and its work tree matches it.

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
    let repo = Repository::init(dest).map_err(git("init checkout"))?;
    let from = source.repo.to_string_lossy();
    let mut remote = repo.remote_anonymous(&from).map_err(git("open source"))?;
    let by_id = format!("+{}:refs/skillbench/pinned", source.rev);
    if remote.fetch(&[by_id.as_str()], None, None).is_err() || repo.find_commit(source.rev).is_err()
    {
        remote
            .fetch(&["+refs/*:refs/skillbench/all/*"], None, None)
            .map_err(git("fetch from source"))?;
    }
    drop(remote);
    let commit = repo
        .find_commit(source.rev)
        .map_err(git("find pinned commit"))?;
    repo.reference(PINNED_REF, commit.id(), true, "skillbench: pinned rev")
        .map_err(git("create branch"))?;
    repo.set_head(PINNED_REF).map_err(git("set HEAD"))?;
    repo.checkout_head(Some(CheckoutBuilder::new().force()))
        .map_err(git("check out"))?;
    let leftovers: Vec<String> = repo
        .references_glob("refs/skillbench/*")
        .map_err(git("list refs"))?
        .filter_map(|r| r.ok().and_then(|r| r.name().map(str::to_string)))
        .collect();
    for name in leftovers {
        if let Ok(mut r) = repo.find_reference(&name) {
            r.delete().map_err(git("delete temporary ref"))?;
        }
    }
    Ok(())
}

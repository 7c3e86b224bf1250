//! Another version of the skill, read from a git revision of the workspace: the skill's
//! folder as that commit holds it, written out once per tree under
//! `.skillbench/versions/` so its runs install it like any skill folder.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Repository, Tree};

use crate::workspace::Workspace;

/// Writes the skill folder `skill_dir` as revision `rev` of the workspace's repository
/// holds it, and returns where. The same tree is written once (content-addressed by its
/// id); a partial write never stands, as the folder is renamed into place whole.
pub(super) fn at_revision(
    workspace: &Workspace,
    skill_dir: &Path,
    rev: &str,
    name: &str,
) -> Result<PathBuf, String> {
    let canonical = |p: &Path| {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
    };
    let repo = Repository::discover(canonical(workspace.root())).map_err(|e| {
        format!(
            "variant '{name}' names git revision '{rev}', but the workspace is not in a git repository ({})",
            e.message()
        )
    })?;
    let Some(workdir) = repo.workdir() else {
        return Err(format!(
            "variant '{name}': the workspace's repository is bare"
        ));
    };
    let rel = canonical(skill_dir)
        .strip_prefix(canonical(workdir))
        .map(Path::to_path_buf)
        .map_err(|_| {
            format!(
                "variant '{name}': the skill {} is outside the workspace's repository",
                skill_dir.display()
            )
        })?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            format!(
                "variant '{name}': no commit '{rev}' in the workspace's repository ({}); name a branch, tag or SHA that `git rev-parse` knows",
                e.message()
            )
        })?;
    let short = commit.id().to_string()[..12].to_string();
    let tree = commit
        .tree()
        .and_then(|t| t.get_path(&rel))
        .and_then(|entry| entry.to_object(&repo))
        .and_then(|o| o.peel_to_tree())
        .map_err(|_| {
            format!(
                "variant '{name}': commit {short} ('{rev}') has no folder {}: the skill did not exist there",
                rel.display()
            )
        })?;
    let folder = skill_dir
        .file_name()
        .map_or_else(|| "skill".into(), |n| n.to_string_lossy().into_owned());
    let home = workspace
        .store_dir()
        .join("versions")
        .join(format!("{}", tree.id()));
    let target = home.join(&folder);
    // Kept from an earlier eval only while it still holds exactly the tree: a run without
    // the sandbox could have written to it.
    if target.exists() {
        if holds_tree(&repo, &tree, &target) {
            return Ok(target);
        }
        std::fs::remove_dir_all(&target)
            .map_err(|e| format!("cannot replace {}: {e}", target.display()))?;
    }
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(&home)
        .map_err(|e| format!("cannot write under {}: {e}", home.display()))?;
    let written = staging.path().join(&folder);
    write_tree(&repo, &tree, &written)
        .map_err(|e| format!("variant '{name}': cannot write the skill at {short}: {e}"))?;
    match std::fs::rename(&written, &target) {
        Ok(()) => Ok(target),
        // Another eval wrote the same tree first.
        Err(_) if holds_tree(&repo, &tree, &target) => Ok(target),
        Err(e) => Err(format!(
            "cannot move the skill into {}: {e}",
            target.display()
        )),
    }
}

/// Writes `tree` into `dir`: files with their executable bit, folders; a link or a
/// submodule in a skill is refused (a skill is copied into every agent's room).
fn write_tree(repo: &Repository, tree: &Tree<'_>, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for entry in tree.iter() {
        let name = entry
            .name()
            .ok_or_else(|| "a file name that is not UTF-8".to_string())?;
        if name.contains('/') || name == ".." || name == "." {
            return Err(format!("an unsafe file name '{name}'"));
        }
        let path = dir.join(name);
        match entry.kind() {
            Some(ObjectType::Blob) if entry.filemode() == 0o120000 => {
                return Err(format!("{name} is a link; a skill holds files only"));
            }
            Some(ObjectType::Blob) => {
                let blob = repo.find_blob(entry.id()).map_err(|e| e.to_string())?;
                std::fs::write(&path, blob.content()).map_err(|e| e.to_string())?;
                if entry.filemode() == 0o100755 {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| e.to_string())?;
                }
            }
            Some(ObjectType::Tree) => {
                let sub = repo.find_tree(entry.id()).map_err(|e| e.to_string())?;
                write_tree(repo, &sub, &path)?;
            }
            _ => return Err(format!("{name} is a submodule; a skill holds files only")),
        }
    }
    Ok(())
}

/// Whether `dir` holds exactly `tree`: the same files, bytes and executable bits, nothing
/// more.
fn holds_tree(repo: &Repository, tree: &Tree<'_>, dir: &Path) -> bool {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return false;
    };
    if listing.count() != tree.len() {
        return false;
    }
    tree.iter().all(|entry| {
        let Some(name) = entry.name() else {
            return false;
        };
        let path = dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return false;
        };
        match entry.kind() {
            Some(ObjectType::Tree) => {
                meta.is_dir()
                    && repo
                        .find_tree(entry.id())
                        .is_ok_and(|sub| holds_tree(repo, &sub, &path))
            }
            Some(ObjectType::Blob) => {
                use std::os::unix::fs::PermissionsExt;
                let executable = meta.permissions().mode() & 0o111 != 0;
                meta.is_file()
                    && executable == (entry.filemode() == 0o100755)
                    && std::fs::read(&path).is_ok_and(|bytes| {
                        git2::Oid::hash_object(ObjectType::Blob, &bytes)
                            .is_ok_and(|id| id == entry.id())
                    })
            }
            _ => false,
        }
    })
}

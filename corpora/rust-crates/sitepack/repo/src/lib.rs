//! sitepack: publish a directory of built files atomically.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempdir::TempDir;

/// Staging directories are `OUT/.stage.<random>`.
pub const STAGE_PREFIX: &str = ".stage";

/// File names that are never published.
fn is_secret(name: &str) -> bool {
    name == ".env" || name.ends_with(".pem") || name.ends_with(".key")
}

/// Copies `src` into `out/name` through a staging directory in `out`, replacing what was
/// published there before; returns `out/name`.
pub fn publish(src: &Path, out: &Path, name: &str) -> io::Result<PathBuf> {
    let stage = stage_in(src, out)?;
    // The staged copy is complete: from here on it is kept, it becomes the site.
    let staged = stage.into_path();
    let target = out.join(name);
    if target.exists() {
        let old = out.join(format!(".old.{name}"));
        if old.exists() {
            remove_dir_all::remove_dir_all(&old)?;
        }
        fs::rename(&target, &old)?;
        fs::rename(&staged, &target)?;
        remove_dir_all::remove_dir_all(&old)?;
    } else {
        fs::rename(&staged, &target)?;
    }
    Ok(target)
}

/// Stages `src` in `out` and keeps the staging directory (a dry run); returns its path.
pub fn stage(src: &Path, out: &Path) -> io::Result<PathBuf> {
    Ok(stage_in(src, out)?.into_path())
}

/// A staging directory in `out` holding a copy of `src` and its MANIFEST. It is removed
/// again if anything fails (the `TempDir` is dropped).
fn stage_in(src: &Path, out: &Path) -> io::Result<TempDir> {
    fs::create_dir_all(out)?;
    let stage = TempDir::new_in(out, STAGE_PREFIX)?;
    let mut files = Vec::new();
    copy_tree(src, stage.path(), Path::new(""), &mut files)?;
    write_manifest(stage.path(), &mut files)?;
    Ok(stage)
}

/// Removes every staging directory (`.stage.*`) and half-swapped old site (`.old.*`) in
/// `out`; returns how many.
pub fn sweep(out: &Path) -> io::Result<usize> {
    let stage_prefix = format!("{STAGE_PREFIX}.");
    let mut removed = 0;
    for entry in fs::read_dir(out)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(&stage_prefix) || name.starts_with(".old."))
            && entry.file_type()?.is_dir()
        {
            remove_dir_all::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn copy_tree(
    src: &Path,
    dst: &Path,
    rel: &Path,
    files: &mut Vec<(PathBuf, u64)>,
) -> io::Result<()> {
    let mut entries = fs::read_dir(src)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == ".git" {
            continue;
        }
        let rel = rel.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir(dst.join(&name))?;
            copy_tree(&entry.path(), &dst.join(&name), &rel, files)?;
        } else if is_secret(&name_str) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to publish {}: it looks like a secret",
                    rel.display()
                ),
            ));
        } else {
            let size = fs::copy(entry.path(), dst.join(&name))?;
            files.push((rel, size));
        }
    }
    Ok(())
}

fn write_manifest(dir: &Path, files: &mut [(PathBuf, u64)]) -> io::Result<()> {
    files.sort();
    let mut manifest = fs::File::create(dir.join("MANIFEST"))?;
    for (path, size) in files.iter() {
        writeln!(manifest, "{size:>10}  {}", path.display())?;
    }
    manifest.sync_all()
}

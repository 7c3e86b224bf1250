//! A skill's identity: a SHA-256 over the relative path, executable bit and bytes of every
//! file in its folder, in sorted order, so it is the same on every machine.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// `sha256:<hex>` over every file under `dir`.
pub fn content_hash(dir: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::read(dir, e.into()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .map_err(|e| Error::Unexpected(e.to_string()))?;
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let bytes = std::fs::read(entry.path()).map_err(|e| Error::read(entry.path(), e))?;
        let meta = entry
            .metadata()
            .map_err(|e| Error::read(entry.path(), e.into()))?;
        let executable = meta.permissions().mode() & 0o111 != 0;
        hasher.update(rel.join("/").as_bytes());
        hasher.update([0, u8::from(executable)]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(format!("sha256:{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_content_and_not_with_location() -> Result<()> {
        let a = tempfile::tempdir().map_err(|e| Error::Unexpected(e.to_string()))?;
        let b = tempfile::tempdir().map_err(|e| Error::Unexpected(e.to_string()))?;
        for dir in [a.path(), b.path()] {
            std::fs::create_dir_all(dir.join("references")).map_err(|e| Error::write(dir, e))?;
            std::fs::write(dir.join("SKILL.md"), "x").map_err(|e| Error::write(dir, e))?;
            std::fs::write(dir.join("references/r.md"), "y").map_err(|e| Error::write(dir, e))?;
        }
        assert_eq!(content_hash(a.path())?, content_hash(b.path())?);
        std::fs::write(b.path().join("references/r.md"), "z")
            .map_err(|e| Error::write(b.path(), e))?;
        assert_ne!(content_hash(a.path())?, content_hash(b.path())?);
        Ok(())
    }
}

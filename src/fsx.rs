//! File-system helpers: atomic writes and recursive copies.
//!
//! Every file skillbench stores (results, snapshots, logs) goes through [`write_atomic`], so
//! an interrupted process leaves either the old file or the new one, never half of one.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `contents` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    replace(path, contents.as_ref(), true)
}

/// [`write_atomic`] of what `write` writes, streamed to the temporary file (through a
/// buffer) rather than held whole in memory first: for a large `results.json`.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    replace_with(path, true, write)
}

/// [`write_atomic`] without the `fsync`: for files inside a results set being written
/// (its run folders), which become visible only when the whole set is moved into place.
/// A reader never sees half a file; a power cut may lose one — the set's `results.json`,
/// written with [`write_atomic`], is what is kept durable.
pub fn write_staged(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    replace(path, contents.as_ref(), false)
}

/// The files of one results set stored once by content: a file whose bytes an earlier one
/// of the set already holds becomes a hard link to it ([`SharedFiles::write_staged`]).
/// Identical prompts, patches and logs across a set's runs and trials then cost one copy.
/// Every stored file is written by a rename over its path, never in place, so a link never
/// carries a later write from one run folder into another.
#[derive(Debug, Default)]
pub struct SharedFiles {
    /// The first path stored with each content, by its SHA-256.
    first: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::path::PathBuf>>,
}

impl SharedFiles {
    /// [`write_staged`], or a hard link to an earlier file of the set that holds the same
    /// bytes (compared whole, not trusted to the hash). Falls back to writing where the
    /// link cannot be made (another file system, a folder gone since).
    pub fn write_staged(&self, path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
        use sha2::Digest;
        let contents = contents.as_ref();
        let digest: [u8; 32] = sha2::Sha256::digest(contents).into();
        let earlier = self.lock().get(&digest).cloned();
        if let Some(first) = earlier
            && fs::read(&first).is_ok_and(|held| held == contents)
            && link_over(&first, path)
        {
            return Ok(());
        }
        write_staged(path, contents)?;
        self.lock().insert(digest, path.to_path_buf());
        Ok(())
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<[u8; 32], std::path::PathBuf>> {
        self.first
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `path` replaced by a hard link to `first` (a link beside it, renamed over it); false,
/// with nothing left behind, when it cannot be.
fn link_over(first: &Path, path: &Path) -> bool {
    let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return false;
    };
    if fs::create_dir_all(dir).is_err() {
        return false;
    }
    let Some(name) = path.file_name() else {
        return false;
    };
    let mut tmp_name = std::ffi::OsString::from(".skillbench-link-");
    tmp_name.push(name);
    let tmp = dir.join(tmp_name);
    let _ = fs::remove_file(&tmp);
    if fs::hard_link(first, &tmp).is_ok() && fs::rename(&tmp, path).is_ok() {
        return true;
    }
    let _ = fs::remove_file(&tmp);
    false
}

/// `path` replaced whole by `contents` (a temporary file beside it, renamed over it),
/// flushed to the disk first when `durable`.
fn replace(path: &Path, contents: &[u8], durable: bool) -> io::Result<()> {
    replace_with(path, durable, |out| out.write_all(contents))
}

/// [`replace`] with what `write` writes, through a buffer.
fn replace_with(
    path: &Path,
    durable: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".skillbench-tmp-")
        .tempfile_in(dir)?;
    let mut out = io::BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Copies the tree at `from` into `to` (created if needed), keeping file permissions.
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    mirror_tree(from, to, |file, target| fs::copy(file, target).map(|_| ()))
}

/// [`copy_tree`], but each file a hard link to the original where the file system allows
/// (a copy where it does not): for trees nothing writes in place — a stored run folder,
/// whose files are only ever replaced whole ([`write_atomic`]) — it costs a link per file
/// and no space.
pub fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    mirror_tree(from, to, |file, target| {
        let _ = fs::remove_file(target);
        if fs::hard_link(file, target).is_err() {
            fs::copy(file, target)?;
        }
        Ok(())
    })
}

/// The folders and links of `from` made again under `to`, and each file put there by
/// `place(file, target)`.
fn mirror_tree(
    from: &Path,
    to: &Path,
    place: impl Fn(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target)?;
        } else if entry.file_type().is_symlink() {
            let link = fs::read_link(entry.path())?;
            let _ = fs::remove_file(&target);
            std::os::unix::fs::symlink(link, &target)?;
        } else {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            place(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The last non-blank line of the file at `path`, trimmed; empty when there is none.
pub fn last_line(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Opens `path` for reading only if it is a regular file, without following a link at its
/// last component and without blocking on a FIFO: how skillbench opens anything an agent
/// could have planted.
pub fn open_regular(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
        .map_err(|e| {
            // ELOOP: the last component is a link.
            if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) {
                io::Error::new(io::ErrorKind::InvalidInput, "a link, not a regular file")
            } else {
                e
            }
        })?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", describe(kind)),
        ));
    }
    Ok(file)
}

fn describe(kind: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Why a file from an agent's room was not read.
#[derive(Debug, thiserror::Error)]
pub enum UntrustedRead {
    #[error("not found")]
    Missing,
    #[error("larger than {cap} bytes")]
    TooLarge { cap: u64 },
    #[error("{0}")]
    Refused(io::Error),
}

/// The bytes of the regular file at `path`, at most `cap` of them: a link, a FIFO, a device
/// or a larger file is refused, never followed, waited on or read to the end.
pub fn read_untrusted(path: &Path, cap: u64) -> Result<Vec<u8>, UntrustedRead> {
    use std::io::Read;
    let file = open_regular(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => UntrustedRead::Missing,
        _ => UntrustedRead::Refused(e),
    })?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(UntrustedRead::Refused)?;
    if bytes.len() as u64 > cap {
        return Err(UntrustedRead::TooLarge { cap });
    }
    Ok(bytes)
}

/// Writes `contents` as a new regular file at `root/rel`, replacing whatever is there — a
/// file, a link, a folder — and never following a link on the way: every folder from `root`
/// down is made a real folder first. How hidden files enter a checkout.
pub fn write_fresh(root: &Path, rel: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut dir = root.to_path_buf();
    let parents: Vec<_> = rel
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default();
    for part in parents {
        let std::path::Component::Normal(name) = part else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} leaves the checkout", rel.display()),
            ));
        };
        dir.push(name);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                fs::remove_file(&dir)?;
                fs::create_dir(&dir)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir(&dir)?,
            Err(e) => return Err(e),
        }
    }
    let name = rel
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a file name is needed"))?;
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(&path)?,
        Ok(_) => fs::remove_file(&path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .mode(mode)
        .open(&path)?;
    file.write_all(contents)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_files_store_equal_bytes_once_and_never_link_to_a_file_changed_since() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let ino = |p: &str| fs::metadata(dir.path().join(p)).unwrap().ino();
        let shared = SharedFiles::default();
        shared
            .write_staged(&dir.path().join("a/prompt.md"), "same")
            .unwrap();
        shared
            .write_staged(&dir.path().join("b/prompt.md"), "same")
            .unwrap();
        shared
            .write_staged(&dir.path().join("c/prompt.md"), "other")
            .unwrap();
        assert_eq!(ino("a/prompt.md"), ino("b/prompt.md"));
        assert_ne!(ino("a/prompt.md"), ino("c/prompt.md"));
        assert_eq!(
            fs::read_to_string(dir.path().join("c/prompt.md")).unwrap(),
            "other"
        );
        // The first copy replaced (as every stored file is: a rename) by other bytes: the
        // next file with the old bytes is written anew, not linked to what is there now.
        write_staged(&dir.path().join("a/prompt.md"), "changed").unwrap();
        shared
            .write_staged(&dir.path().join("d/prompt.md"), "same")
            .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("d/prompt.md")).unwrap(),
            "same"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("b/prompt.md")).unwrap(),
            "same"
        );
        assert_ne!(ino("a/prompt.md"), ino("d/prompt.md"));
        // A link replaces a file already at the path, and leaves no temporary name behind.
        shared
            .write_staged(&dir.path().join("c/prompt.md"), "same")
            .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("c/prompt.md")).unwrap(),
            "same"
        );
        let names: Vec<_> = fs::read_dir(dir.path().join("c"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["prompt.md"]);
    }

    #[test]
    fn untrusted_reads_refuse_links_fifos_devices_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("ok.json"), "{}").unwrap();
        fs::write(d.join("secret"), "s3cret").unwrap();
        std::os::unix::fs::symlink(d.join("secret"), d.join("link")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.join("zero")).unwrap();
        nix::unistd::mkfifo(&d.join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        fs::write(d.join("big"), vec![b'x'; 2048]).unwrap();
        assert_eq!(read_untrusted(&d.join("ok.json"), 1024).unwrap(), b"{}");
        for name in ["link", "zero"] {
            let e = read_untrusted(&d.join(name), 1024).unwrap_err();
            assert!(e.to_string().contains("link"), "{name}: {e}");
        }
        let e = read_untrusted(&d.join("fifo"), 1024).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_untrusted(Path::new("/dev/null"), 1024).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        assert!(matches!(
            read_untrusted(&d.join("big"), 1024),
            Err(UntrustedRead::TooLarge { cap: 1024 })
        ));
        assert!(matches!(
            read_untrusted(&d.join("missing"), 1024),
            Err(UntrustedRead::Missing)
        ));
    }

    #[test]
    fn fresh_writes_replace_links_and_never_write_through_them() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("room"), dir.path().join("outside"));
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&outside).unwrap();
        // A folder that is a link out, and a file that is a link out.
        std::os::unix::fs::symlink(&outside, root.join("hidden_tests")).unwrap();
        fs::create_dir_all(root.join("b")).unwrap();
        std::os::unix::fs::symlink(outside.join("t.py"), root.join("b/t.py")).unwrap();
        write_fresh(&root, Path::new("hidden_tests/test_x.py"), b"real", 0o644).unwrap();
        write_fresh(&root, Path::new("b/t.py"), b"real", 0o644).unwrap();
        assert!(
            fs::symlink_metadata(root.join("hidden_tests"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(
            fs::read(root.join("hidden_tests/test_x.py")).unwrap(),
            b"real"
        );
        assert_eq!(fs::read(root.join("b/t.py")).unwrap(), b"real");
        assert_eq!(
            fs::read_dir(&outside).unwrap().count(),
            0,
            "nothing written outside"
        );
        assert!(write_fresh(&root, Path::new("../x"), b"", 0o644).is_err());
    }

    #[test]
    fn a_linked_tree_shares_files_and_a_whole_replacement_leaves_the_original_alone() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        write_staged(&from.join("logs/a.log"), "stored\n").expect("write");
        link_tree(&from, &to).expect("link");
        let (a, b) = (from.join("logs/a.log"), to.join("logs/a.log"));
        let inode = |p: &Path| fs::metadata(p).expect("meta").ino();
        assert_eq!(inode(&a), inode(&b), "linked, not copied");
        // skillbench replaces a stored file whole: the other results set keeps its own.
        write_atomic(&b, "graded again\n").expect("replace");
        assert_eq!(fs::read_to_string(&a).expect("read"), "stored\n");
        assert_eq!(fs::read_to_string(&b).expect("read"), "graded again\n");
    }
}

//! Copy-on-write rooms: a run's folder as an overlay on its case's prepared base.
//!
//! A run's room is a folder `room` that skillbench writes as usual (the prompt, the skill,
//! the runtime's configuration) and that holds, when the run ends, only what the run
//! wrote. Its processes never see `room` itself: the reaper that starts them
//! ([`super::reaper`]) first takes a private mount namespace and mounts there an overlay
//! whose lower layer is the prepared `base` (the pinned checkout after the case's setup)
//! and whose upper layer is `room`, over `room`; then it binds the same view over `base`,
//! so that the absolute paths setup baked into the base (a virtualenv's scripts, say) lead
//! into the run's own view, and the base itself is out of reach. Creating a room costs the
//! same for 50 files or 50,000, and the delivery is read from `room` (the upper layer)
//! alone ([`crate::run::delivery`]).
//!
//! Two ways to mount: as root, a mount namespace of its own ([`Mode::Root`]); as any other
//! user, a user namespace too ([`Mode::UserNs`], kernels since 5.11 allow overlayfs in one),
//! where the run's processes keep their user and group ids. Which works here is found out
//! once per command, by mounting one ([`mode`]); where none does, rooms are copies (a fresh
//! checkout and the setup per run), and the eval says so.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

/// The reaper's option that asks for an overlay.
pub const ARG: &str = "--overlay";

/// How an overlay is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A private mount namespace: skillbench runs as root.
    Root,
    /// A user namespace with a mount namespace, the run's ids mapped to themselves.
    UserNs,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Root => "root",
            Mode::UserNs => "userns",
        }
    }

    fn named(name: &str) -> Option<Mode> {
        match name {
            "root" => Some(Mode::Root),
            "userns" => Some(Mode::UserNs),
            _ => None,
        }
    }

    /// The extended attribute overlayfs marks an opaque folder with in this mode.
    pub fn opaque_xattr(self) -> &'static str {
        match self {
            Mode::Root => "trusted.overlay.opaque",
            Mode::UserNs => "user.overlay.opaque",
        }
    }

    /// What the eval says about its rooms.
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Root => "overlays on prepared bases (mount namespaces)",
            Mode::UserNs => "overlays on prepared bases (user namespaces)",
        }
    }
}

/// One run's overlay: `room` (the upper layer, where skillbench and the run write) over
/// `base`, with overlayfs's work folder `work` (on the same file system as `room`). Without
/// a work folder, `room` is a whole copy of the base (the clean room) and is only bound
/// over the base's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    pub base: PathBuf,
    pub room: PathBuf,
    pub work: Option<PathBuf>,
    pub mode: Mode,
}

impl Overlay {
    /// The reaper's arguments for this overlay and the folder its command starts in
    /// (which may exist only in the room's view), before its `--`.
    pub fn args(&self, cwd: &Path) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        vec![
            ARG.into(),
            self.mode.name().into(),
            s(&self.base),
            s(&self.room),
            self.work.as_deref().map_or_else(|| "-".into(), s),
            s(cwd),
        ]
    }

    /// The overlay a reaper's command line asks for with its command's folder, and the
    /// rest of the command line.
    #[expect(clippy::type_complexity, reason = "one parse, read once")]
    pub fn parse(args: &[OsString]) -> Result<(Option<(Overlay, PathBuf)>, &[OsString]), String> {
        match args.split_first() {
            Some((first, rest)) if first == ARG => {
                let [mode, base, room, work, cwd, rest @ ..] = rest else {
                    return Err(format!("{ARG} needs MODE BASE ROOM WORK CWD"));
                };
                let mode = Mode::named(&mode.to_string_lossy())
                    .ok_or_else(|| format!("unknown overlay mode {}", mode.to_string_lossy()))?;
                let overlay = Overlay {
                    base: base.into(),
                    room: room.into(),
                    work: (work != "-").then(|| work.into()),
                    mode,
                };
                Ok((Some((overlay, cwd.into())), rest))
            }
            _ => Ok((None, args)),
        }
    }

    /// Mounts the overlay in a namespace of this process's own, and enters `cwd` in the
    /// room's view. Called by the reaper while it is the only thread, before it starts the
    /// command.
    pub fn enter(&self, cwd: &Path) -> Result<(), String> {
        let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
        match self.mode {
            Mode::Root => unshare(CloneFlags::CLONE_NEWNS),
            Mode::UserNs => unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS),
        }
        .map_err(|e| format!("cannot take a namespace of its own: {e}"))?;
        if self.mode == Mode::UserNs {
            let write = |file: &str, text: String| {
                std::fs::write(file, text).map_err(|e| format!("cannot write {file}: {e}"))
            };
            write("/proc/self/setgroups", "deny".into())?;
            write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
            write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
        }
        // Nothing mounted here propagates back to the machine.
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .map_err(|e| format!("cannot make the mounts private: {e}"))?;
        if self.work.is_some() {
            let options = self.options()?;
            mount(
                Some("overlay"),
                &self.room,
                Some("overlay"),
                MsFlags::empty(),
                Some(options.as_str()),
            )
            .map_err(|e| format!("cannot mount the overlay on {}: {e}", self.room.display()))?;
        }
        mount(
            Some(&self.room),
            &self.base,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("cannot bind the room over {}: {e}", self.base.display()))?;
        std::env::set_current_dir(cwd)
            .map_err(|e| format!("cannot enter {}: {e}", cwd.display()))?;
        Ok(())
    }

    /// overlayfs's mount options. No metadata-only copy-up and no renamed-folder
    /// redirects: every file the run changed is whole in the upper layer, and every folder
    /// it replaced is marked opaque, so the delivery can be read from `room` alone.
    fn options(&self) -> Result<String, String> {
        let mut out = String::new();
        let Some(work) = &self.work else {
            return Err("a room without a work folder is not an overlay".into());
        };
        for (key, path) in [
            ("lowerdir", &self.base),
            ("upperdir", &self.room),
            ("workdir", work),
        ] {
            let text = path.to_string_lossy();
            if text.contains([',', ':', '\\']) || !path.is_absolute() {
                return Err(format!(
                    "{} cannot be an overlay layer (a relative path, or a ',', ':' or '\\' in it)",
                    path.display()
                ));
            }
            out.push_str(&format!("{key}={text},"));
        }
        out.push_str(match self.mode {
            Mode::Root => "redirect_dir=off,metacopy=off",
            // In a user namespace overlayfs creates no redirects anyway, and refuses to be
            // told so.
            Mode::UserNs => "metacopy=off,userxattr",
        });
        Ok(out)
    }
}

/// What this machine's rooms are: an overlay mode that works here, or `Err(why not)` —
/// then rooms are copies. Decided once per command: `SKILLBENCH_ROOMS=copy` asks for
/// copies, `overlay` (the default) for the mode that suits the user, `userns` for a user
/// namespace even as root; and the mode is tried once, by mounting a room.
pub fn mode() -> Result<Mode, String> {
    static MODE: std::sync::OnceLock<Result<Mode, String>> = std::sync::OnceLock::new();
    MODE.get_or_init(|| {
        let wanted = std::env::var("SKILLBENCH_ROOMS").unwrap_or_default();
        let mode = match wanted.as_str() {
            "copy" => return Err("SKILLBENCH_ROOMS=copy asks for copies".into()),
            "userns" => Mode::UserNs,
            "" | "overlay" => {
                if nix::unistd::geteuid().is_root() {
                    Mode::Root
                } else {
                    Mode::UserNs
                }
            }
            other => {
                return Err(format!(
                    "SKILLBENCH_ROOMS={other} is not copy, overlay or userns"
                ));
            }
        };
        probe(mode).map(|()| mode)
    })
    .clone()
}

/// What this command's rooms are, in words, for the eval's output and its results.
pub fn rooms() -> String {
    match mode() {
        Ok(mode) => mode.describe().to_string(),
        Err(why) => format!("copies, setup per run: {why}"),
    }
}

/// Removes a temporary folder that holds an overlay's work folder, which overlayfs leaves
/// without any permission: the owner gives them back first.
pub fn remove(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir.join("work"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o700));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Mounts one overlay room in `mode` and checks what it does: a write through it lands in
/// the room, not in the base.
fn probe(mode: Mode) -> Result<(), String> {
    let Some(mut argv) = super::reaper::reaper_argv() else {
        return Err("skillbench's reaper is not available to mount rooms".into());
    };
    let dir = tempfile::Builder::new()
        .prefix("skillbench-probe-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let overlay = Overlay {
        base: dir.path().join("base"),
        room: dir.path().join("room"),
        work: Some(dir.path().join("work")),
        mode,
    };
    for d in [&overlay.base, &overlay.room, &dir.path().join("work")] {
        std::fs::create_dir(d).map_err(|e| e.to_string())?;
    }
    std::fs::write(overlay.base.join("lower"), "").map_err(|e| e.to_string())?;
    argv.extend(overlay.args(&overlay.room));
    argv.extend(["--".into(), "/bin/sh".into(), "-c".into()]);
    argv.push(format!(
        "test -f '{0}/lower' && test -f '{1}/lower' && : > '{1}/written'",
        overlay.room.display(),
        overlay.base.display()
    ));
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("cannot start the reaper: {e}"))?;
    let works = out.status.success()
        && overlay.room.join("written").is_file()
        && !overlay.base.join("written").exists();
    remove(&dir.keep());
    if works {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "an overlay room ({}) cannot be mounted here: {}",
            mode.name(),
            said.lines()
                .last()
                .unwrap_or("it did not behave as an overlay")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reapers_arguments_read_back() {
        let overlay = Overlay {
            base: "/c/bases/k/root".into(),
            room: "/tmp/r/room".into(),
            work: Some("/tmp/r/work".into()),
            mode: Mode::UserNs,
        };
        let mut args: Vec<OsString> = overlay
            .args(Path::new("/tmp/r/room/checkout"))
            .into_iter()
            .map(OsString::from)
            .collect();
        args.extend(["--".into(), "true".into()]);
        let (back, rest) = Overlay::parse(&args).unwrap();
        assert_eq!(
            back,
            Some((overlay.clone(), PathBuf::from("/tmp/r/room/checkout")))
        );
        assert_eq!(rest, &[OsString::from("--"), OsString::from("true")]);
        let (none, rest) = Overlay::parse(&args[6..]).unwrap();
        assert!(none.is_none());
        assert_eq!(rest.len(), 2);
        assert!(Overlay::parse(&args[..3]).is_err());
        assert_eq!(
            overlay.options().unwrap(),
            "lowerdir=/c/bases/k/root,upperdir=/tmp/r/room,workdir=/tmp/r/work,\
             metacopy=off,userxattr"
        );
        let odd = Overlay {
            base: "/c/a:b".into(),
            ..overlay
        };
        assert!(
            odd.options()
                .unwrap_err()
                .contains("cannot be an overlay layer")
        );
        let bound = Overlay { work: None, ..odd };
        let args: Vec<OsString> = bound
            .args(Path::new("/c"))
            .into_iter()
            .map(OsString::from)
            .collect();
        assert_eq!(Overlay::parse(&args).unwrap().0.unwrap().0, bound);
    }
}

//! The bubblewrap sandbox a run's processes (setup, agent, checks) can be put in.
//!
//! A [`Sandbox`] is chosen once per eval (`--sandbox`, or the eval's `sandbox` key) and
//! checked before any run: asking for bubblewrap where it is missing is an error, never a
//! silent downgrade. For each process it wraps the argv in a `bwrap` call built from a
//! [`Jail`]: a minimal root — the system's `/usr`, `/etc` (without its password and
//! sudo files) and libraries, and the toolchains the PATH names outside them (rustup,
//! pyenv, nvm), all read-only; nothing else of the host, so no workspace, no other corpus
//! on the same disk, no HOME — the run's own folders writable, every namespace unshared
//! (network too, unless the jail allows it), and the whole PID namespace gone when the
//! process is killed.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The options every jail starts with: it dies with skillbench, has a session of its own
/// (no terminal to inject input into) and every namespace of its own, the process namespace
/// among them (the network comes back with `--share-net` where the jail has it).
const JAIL_OPTIONS: [&str; 3] = ["--die-with-parent", "--new-session", "--unshare-all"];

/// Whether `argv` is a command line [`Sandbox::wrap`] made: bubblewrap with the jail's
/// options, so the command and whatever it starts live in a process namespace of their
/// own that the kernel kills whole when bubblewrap's first process in it ends.
pub(crate) fn is_jailed(argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|b| Path::new(b).file_name() == Some(std::ffi::OsStr::new("bwrap")))
        && argv
            .get(1..=JAIL_OPTIONS.len())
            .is_some_and(|o| o == JAIL_OPTIONS)
}

/// Whether and how runs are sandboxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// Processes run as the user, with only the cold environment between them and the
    /// machine.
    None,
    /// Processes run under bubblewrap, found at this path, in a minimal root with these
    /// toolchain folders mounted read-only.
    Bwrap {
        binary: PathBuf,
        toolchains: Vec<PathBuf>,
    },
}

/// Whether a sandboxed process may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// A network namespace of its own, with only a loopback device.
    None,
    /// A network namespace of its own whose only way out is skillbench's proxy, which
    /// lets through the runtime's model endpoint and the registries the eval and case
    /// name ([`super::proxy`]).
    Filtered,
    /// The machine's network.
    Host,
}

/// What one sandboxed process may see.
#[derive(Debug, Clone)]
pub struct Jail {
    /// Folders mounted read-write at their own path.
    pub writable: Vec<PathBuf>,
    /// Folders hidden behind an empty tmpfs.
    pub hidden: Vec<PathBuf>,
    /// Folders under a hidden one that are mounted back read-only (a runtime installed under
    /// HOME, say).
    pub exposed: Vec<PathBuf>,
    pub network: Network,
}

impl Jail {
    /// The jail of a run's process: its scratch folder (and `writable`) writable, the
    /// shared package cache writable only when `cache_writable` (the case's setup), else
    /// read-only; the eval's `expose` and `exposed` mounted back read-only; the workspace,
    /// HOME, the cache and `/tmp` hidden.
    pub fn for_run(
        scratch: &Path,
        workspace: &Path,
        writable: &[PathBuf],
        exposed: &[PathBuf],
        network: Network,
        cache_writable: bool,
    ) -> Jail {
        let cache = crate::agent::cold::shared_cache();
        Jail {
            writable: std::iter::once(scratch.to_path_buf())
                .chain(cache_writable.then(|| cache.clone()))
                .chain(writable.iter().cloned())
                .collect(),
            hidden: Sandbox::default_hidden(workspace),
            exposed: exposed
                .iter()
                .cloned()
                .chain((!cache_writable).then_some(cache))
                .collect(),
            network,
        }
    }
}

impl Network {
    /// The network called `name`: `none`, `filtered` or `host`.
    pub fn named(name: &str) -> Option<Network> {
        match name {
            "none" => Some(Network::None),
            "filtered" => Some(Network::Filtered),
            "host" => Some(Network::Host),
            _ => None,
        }
    }
}

impl Sandbox {
    /// The sandbox called `name` (`none` or `bwrap`), checked to be usable here.
    pub fn named(name: &str) -> Result<Sandbox> {
        match name {
            "none" | "" => Ok(Sandbox::None),
            "bwrap" => {
                let binary = crate::agent::which("bwrap", std::env::var_os("PATH").as_deref())
                    .ok_or_else(|| {
                        Error::Sandbox(
                            "the bwrap sandbox was asked for, but bubblewrap is not installed \
                             (no `bwrap` on PATH); install it (Debian/Ubuntu: apt-get install \
                             bubblewrap) or run with --sandbox none"
                                .into(),
                        )
                    })?;
                Ok(Sandbox::Bwrap {
                    binary,
                    toolchains: toolchains(),
                })
            }
            other => Err(Error::Usage(format!(
                "unknown sandbox '{other}': use bwrap or none"
            ))),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Sandbox::None => "none",
            Sandbox::Bwrap { .. } => "bwrap",
        }
    }

    /// What grading runs in: this sandbox if it is bubblewrap, else bubblewrap whenever it
    /// is installed; without it, grades are not tamper-proof (and runs say so).
    pub fn for_grading(&self) -> Sandbox {
        match self {
            Sandbox::Bwrap { .. } => self.clone(),
            Sandbox::None => Sandbox::working_bwrap().unwrap_or(Sandbox::None),
        }
    }

    /// Bubblewrap, if it is installed and works here (user namespaces allowed): what is
    /// used by default, where a missing or refused sandbox is a fallback, not an error.
    /// Probed once per process.
    pub fn working_bwrap() -> Option<Sandbox> {
        static WORKING: std::sync::OnceLock<Option<Sandbox>> = std::sync::OnceLock::new();
        WORKING.get_or_init(Sandbox::probe_bwrap).clone()
    }

    fn probe_bwrap() -> Option<Sandbox> {
        let sandbox = Sandbox::named("bwrap").ok()?;
        let Sandbox::Bwrap { binary, .. } = &sandbox else {
            return None;
        };
        let works = std::process::Command::new(binary)
            .args([
                "--unshare-all",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "true",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        works.then_some(sandbox)
    }

    /// `argv`, run inside the jail with `cwd` as its working folder: in namespaces of its
    /// own (a process namespace among them, emptied when its first process ends) that die
    /// with skillbench ([`is_jailed`] tells such a command line).
    pub fn wrap(&self, argv: Vec<String>, cwd: &Path, jail: &Jail) -> Vec<String> {
        let Sandbox::Bwrap { binary, toolchains } = self else {
            return argv;
        };
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut cmd = vec![s(binary)];
        cmd.extend(JAIL_OPTIONS.iter().map(|o| o.to_string()));
        if jail.network == Network::Host {
            cmd.push("--share-net".into());
        }
        minimal_root(&mut cmd);
        // Parents before children: a tmpfs over /tmp first, then what is mounted inside it.
        let mut hidden: Vec<&PathBuf> = jail.hidden.iter().filter(|p| p.is_dir()).collect();
        hidden.sort_by_key(|p| p.components().count());
        for dir in hidden {
            cmd.extend(["--tmpfs".into(), s(dir)]);
        }
        // The toolchains, then what the jail exposes, come back on top of what is hidden.
        for dir in toolchains {
            cmd.extend(["--ro-bind-try".into(), s(dir), s(dir)]);
        }
        for dir in jail.exposed.iter().filter(|p| p.exists()) {
            cmd.extend(["--ro-bind".into(), s(dir), s(dir)]);
        }
        let mut writable: Vec<&PathBuf> = jail.writable.iter().collect();
        writable.sort_by_key(|p| p.components().count());
        for dir in writable {
            cmd.extend(["--bind".into(), s(dir), s(dir)]);
        }
        cmd.extend(["--chdir".into(), s(cwd), "--".into()]);
        cmd.extend(argv);
        cmd
    }

    /// The folders every jail hides: the real HOME, `/tmp`, the workspace (which holds the
    /// hidden tests and reference patches) and the cache.
    pub fn default_hidden(workspace: &Path) -> Vec<PathBuf> {
        // An empty workspace root (an eval named by a relative path) is the current folder.
        let workspace = if workspace.as_os_str().is_empty() {
            Path::new(".")
        } else {
            workspace
        };
        let mut hidden = vec![PathBuf::from("/tmp"), workspace.to_path_buf()];
        if let Some(home) = std::env::var_os("HOME") {
            hidden.push(PathBuf::from(home));
        }
        hidden.push(crate::workspace::cache_dir());
        if let Some(tmp) = std::env::var_os("TMPDIR") {
            hidden.push(PathBuf::from(tmp));
        }
        hidden
            .into_iter()
            .filter_map(|p| p.canonicalize().ok())
            .filter(|p| p != Path::new("/"))
            .collect()
    }
}

/// System folders mounted read-only at their own path.
const SYSTEM_DIRS: [&str; 3] = ["/usr", "/etc", "/opt"];
/// Top-level folders that are, on merged-/usr systems, links into `/usr`.
const SYSTEM_LINKS: [&str; 6] = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/// Files of `/etc` no check or agent needs, replaced by an empty file.
const ETC_SECRETS: [&str; 6] = [
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/ssh",
];

/// The root every jail starts from: the system folders read-only, fresh `/dev`, `/proc`,
/// `/tmp`, `/var/tmp` and `/run`.
fn minimal_root(cmd: &mut Vec<String>) {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    for dir in SYSTEM_DIRS {
        cmd.extend(["--ro-bind-try".into(), dir.into(), dir.into()]);
    }
    for link in SYSTEM_LINKS {
        let path = Path::new(link);
        match std::fs::read_link(path) {
            Ok(target) => cmd.extend(["--symlink".into(), s(&target), link.into()]),
            Err(_) if path.is_dir() => {
                cmd.extend(["--ro-bind".into(), link.into(), link.into()]);
            }
            Err(_) => {}
        }
    }
    for secret in ETC_SECRETS {
        let path = Path::new(secret);
        if path.is_dir() {
            cmd.extend(["--tmpfs".into(), secret.into()]);
        } else if path.exists() {
            cmd.extend(["--ro-bind".into(), "/dev/null".into(), secret.into()]);
        }
    }
    cmd.extend(
        [
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp",
            "--tmpfs", "/run",
        ]
        .map(String::from),
    );
    // A resolver configuration that lives under /run (systemd-resolved) is mounted back.
    if let Ok(target) = std::fs::canonicalize("/etc/resolv.conf")
        && target.starts_with("/run")
    {
        cmd.extend(["--ro-bind-try".into(), s(&target), s(&target)]);
    }
}

/// The toolchain folders outside the system folders that the PATH reaches, to mount
/// read-only: for a PATH entry `<root>/bin` or `<root>/shims` under HOME, `<root>` (pyenv,
/// nvm's node), except HOME itself, `~/.local` and `~/.cargo` (which hold credentials and
/// caches), where only the entry is mounted; rustup's home beside a `~/.cargo/bin`; and
/// the homes that `RUSTUP_HOME`, `PYENV_ROOT`, `NVM_DIR`, `JAVA_HOME` and `GOROOT` name.
pub fn toolchains() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let system = |p: &Path| {
        SYSTEM_DIRS
            .iter()
            .chain(SYSTEM_LINKS.iter())
            .any(|d| p.starts_with(d))
    };
    let mut out: Vec<PathBuf> = Vec::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for entry in std::env::split_paths(&path) {
        let Ok(entry) = entry.canonicalize() else {
            continue;
        };
        if system(&entry) || entry == Path::new("/") {
            continue;
        }
        let named = entry
            .file_name()
            .is_some_and(|n| n == "bin" || n == "shims");
        let parent = entry.parent().map(Path::to_path_buf);
        let keep_entry_only = parent.as_ref().is_none_or(|p| {
            Some(p) == home.as_ref()
                || home.as_ref().is_some_and(|h| {
                    *p == h.join(".local") || *p == h.join(".cargo") || p == Path::new("/")
                })
        });
        match parent {
            Some(parent) if named && !keep_entry_only => out.push(parent),
            _ => out.push(entry.clone()),
        }
        if entry.ends_with(".cargo/bin")
            && let Some(cargo) = entry.parent()
            && let Some(base) = cargo.parent()
        {
            out.push(base.join(".rustup"));
        }
    }
    for var in [
        "RUSTUP_HOME",
        "PYENV_ROOT",
        "NVM_DIR",
        "JAVA_HOME",
        "GOROOT",
    ] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            out.push(PathBuf::from(dir));
        }
    }
    let mut out: Vec<PathBuf> = out
        .into_iter()
        .filter(|p| p.is_dir() && !system(p))
        .filter(|p| home.as_ref() != Some(p))
        .collect();
    out.sort();
    out.dedup();
    // A folder inside another one already listed adds nothing.
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    out
}

/// What must be mounted back read-only for `agent` to run in a jail: the installation of
/// its runtime (the `node_modules` its executable resolves into, else the executable's
/// folder), or, for a command agent, the folders of the files its argv names, so that a
/// wrapper finds its sibling scripts — but only the file itself where its folder holds
/// the workspace (its hidden tests and references stay hidden).
pub fn exposed_for(
    agent: &super::AgentSpec,
    probe: Option<&super::Probe>,
    workspace: &Path,
) -> Vec<PathBuf> {
    let workspace = if workspace.as_os_str().is_empty() {
        Path::new(".")
    } else {
        workspace
    };
    let workspace = workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let corpora = workspace.join("corpora");
    match &agent.kind {
        super::AgentKind::Command { argv } => argv
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_file())
            .map(
                |file| match file.parent().and_then(|d| d.canonicalize().ok()) {
                    Some(dir)
                        if !workspace.starts_with(&dir)
                            && !dir.starts_with(&corpora)
                            && dir != Path::new("/") =>
                    {
                        dir
                    }
                    _ => file,
                },
            )
            .collect(),
        _ => probe
            .and_then(|p| p.binary.as_deref())
            .map(|binary| {
                let real = binary
                    .canonicalize()
                    .unwrap_or_else(|_| binary.to_path_buf());
                real.ancestors()
                    .find(|a| a.file_name().is_some_and(|n| n == "node_modules"))
                    .or_else(|| real.parent())
                    .unwrap_or(&real)
                    .to_path_buf()
            })
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_workspace_root_hides_the_current_folder() {
        let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
        assert!(Sandbox::default_hidden(Path::new("")).contains(&cwd));
    }

    #[test]
    fn hides_before_it_exposes_and_binds_and_shares_the_network_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let (outer, inner) = (dir.path().join("ws"), dir.path().join("ws/run"));
        std::fs::create_dir_all(&inner).unwrap();
        let sandbox = Sandbox::Bwrap {
            binary: "/usr/bin/bwrap".into(),
            toolchains: vec![],
        };
        let jail = Jail {
            writable: vec![inner.clone()],
            hidden: vec![outer.clone(), dir.path().join("missing")],
            exposed: vec![],
            network: Network::None,
        };
        let argv = sandbox.wrap(vec!["sh".into(), "-c".into(), "true".into()], &inner, &jail);
        let at = |s: &str| argv.iter().position(|a| a == s).unwrap();
        let tmpfs = at(&outer.to_string_lossy());
        let bind = argv
            .iter()
            .rposition(|a| *a == inner.to_string_lossy())
            .unwrap();
        assert!(tmpfs < bind, "{argv:?}");
        assert_eq!(argv[tmpfs - 1], "--tmpfs");
        assert!(
            !argv.iter().any(|a| a.contains("missing")),
            "only existing folders"
        );
        assert!(!argv.contains(&"--share-net".to_string()));
        assert_eq!(&argv[argv.len() - 4..], ["--", "sh", "-c", "true"]);

        let host = Jail {
            network: Network::Host,
            ..jail
        };
        let argv = sandbox.wrap(vec!["true".into()], &inner, &host);
        assert!(argv.contains(&"--share-net".to_string()));
        assert_eq!(
            Sandbox::None.wrap(vec!["true".into()], &inner, &host),
            ["true"]
        );
    }
}

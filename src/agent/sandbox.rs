//! The bubblewrap sandbox a run's processes (setup, agent, checks) can be put in.
//!
//! A [`Sandbox`] is chosen once per eval (`--sandbox`, or the eval's `sandbox` key) and
//! checked before any run: asking for bubblewrap where it is missing is an error, never a
//! silent downgrade. For each process it wraps the argv in a `bwrap` call built from a
//! [`Jail`]: the system read-only, the run's own folders writable, the real HOME, the
//! workspace (answer keys), the cache and `/tmp` hidden behind empty tmpfs mounts, every
//! namespace unshared (network too, unless the jail allows it), and the whole PID namespace
//! gone when the process is killed.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Whether and how runs are sandboxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// Processes run as the user, with only the cold environment between them and the
    /// machine.
    None,
    /// Processes run under bubblewrap, found at this path.
    Bwrap { binary: PathBuf },
}

/// Whether a sandboxed process may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// A network namespace of its own, with only a loopback device.
    None,
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

impl Sandbox {
    /// The sandbox called `name` (`none` or `bwrap`), checked to be usable here.
    pub fn named(name: &str) -> Result<Sandbox> {
        match name {
            "none" => Ok(Sandbox::None),
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
                Ok(Sandbox::Bwrap { binary })
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

    /// `argv`, run inside the jail with `cwd` as its working folder.
    pub fn wrap(&self, argv: Vec<String>, cwd: &Path, jail: &Jail) -> Vec<String> {
        let Sandbox::Bwrap { binary } = self else {
            return argv;
        };
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut cmd = vec![
            s(binary),
            "--die-with-parent".into(),
            "--new-session".into(),
            "--unshare-all".into(),
        ];
        if jail.network == Network::Host {
            cmd.push("--share-net".into());
        }
        cmd.extend(
            ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
                .map(String::from)
                .to_vec(),
        );
        // Parents before children: a tmpfs over /tmp first, then what is mounted inside it.
        let mut hidden: Vec<&PathBuf> = jail.hidden.iter().filter(|p| p.is_dir()).collect();
        hidden.sort_by_key(|p| p.components().count());
        for dir in hidden {
            cmd.extend(["--tmpfs".into(), s(dir)]);
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

/// What must be mounted back read-only for `agent` to run in a jail: the installation of
/// its runtime (the `node_modules` its executable resolves into, else the executable's
/// folder), or the files a command agent's argv names (its script may live in the hidden
/// workspace).
pub fn exposed_for(agent: &super::AgentSpec, probe: Option<&super::Probe>) -> Vec<PathBuf> {
    match &agent.kind {
        super::AgentKind::Command { argv } => argv
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_file())
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
    fn hides_before_it_exposes_and_binds_and_shares_the_network_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let (outer, inner) = (dir.path().join("ws"), dir.path().join("ws/run"));
        std::fs::create_dir_all(&inner).unwrap();
        let sandbox = Sandbox::Bwrap {
            binary: "/usr/bin/bwrap".into(),
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

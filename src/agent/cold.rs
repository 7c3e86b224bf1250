//! The cold environment of a run: a fresh HOME and temp folder, and an environment reduced
//! to an allowlist plus the variables the eval passes through by name.

use std::path::Path;

use crate::corpus::ecosystem::Ecosystem;

/// Variables passed from skillbench's own environment to every run.
pub const ALLOWLIST: [&str; 6] = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SSL_CERT_FILE"];

/// The environment of one run's processes (agent, setup and checks).
#[derive(Debug, Clone)]
pub struct ColdEnv {
    vars: Vec<(String, String)>,
    /// The preset applied ([`ColdEnv::preset`]), applied again to a fresh HOME.
    ecosystem: Option<Ecosystem>,
}

impl ColdEnv {
    /// Creates `<root>/home` and `<root>/tmp` and the environment that points at them;
    /// `pass_env` names further variables to copy from skillbench's environment if set.
    pub fn new(root: &Path, pass_env: &[String]) -> std::io::Result<ColdEnv> {
        let home = root.join("home");
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&tmp)?;
        let mut vars: Vec<(String, String)> = ALLOWLIST
            .iter()
            .map(|s| s.to_string())
            .chain(pass_env.iter().cloned())
            .filter_map(|name| std::env::var(&name).ok().map(|v| (name, v)))
            .collect();
        if !vars.iter().any(|(k, _)| k == "PATH") {
            vars.push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
        }
        let path = |p: &Path| p.to_string_lossy().into_owned();
        vars.extend([
            ("HOME".into(), path(&home)),
            ("TMPDIR".into(), path(&tmp)),
            ("XDG_CONFIG_HOME".into(), path(&home.join(".config"))),
            ("XDG_CACHE_HOME".into(), path(&home.join(".cache"))),
            ("XDG_DATA_HOME".into(), path(&home.join(".local/share"))),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("SKILLBENCH_SHARED_CACHE".into(), path(&shared_cache())),
            ("GIT_TERMINAL_PROMPT".into(), "0".into()),
            ("SKILLBENCH".into(), "1".into()),
        ]);
        Ok(ColdEnv {
            vars,
            ecosystem: None,
        })
    }

    /// Adds the variables of `ecosystem`'s preset (its toolchain, its shared download
    /// cache, build outputs under this environment's TMPDIR); none for `None`.
    pub fn preset(&mut self, ecosystem: Option<Ecosystem>) {
        self.ecosystem = ecosystem;
        let Some(ecosystem) = ecosystem else { return };
        let tmp = self
            .get("TMPDIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_default();
        for (name, value) in ecosystem.vars(&tmp) {
            self.set(&name, &value);
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The same environment with a new HOME, TMPDIR and XDG folders under `root`: each
    /// check gets its own, so nothing one leaves there (a Python user-site hook, say)
    /// reaches the next.
    pub fn with_fresh_home(&self, root: &Path) -> std::io::Result<ColdEnv> {
        let fresh = ColdEnv::new(root, &[])?;
        let mut env = self.clone();
        for name in [
            "HOME",
            "TMPDIR",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
        ] {
            if let Some((_, v)) = fresh.vars.iter().find(|(k, _)| k == name) {
                env.set(name, &v.clone());
            }
        }
        // The preset's folders under the old TMPDIR move to the new one; the rest (its
        // caches, and what the caller set over them) stays as it is.
        let tmp = env.get("TMPDIR").map(std::path::PathBuf::from);
        if let (Some(ecosystem), Some(tmp)) = (self.ecosystem, tmp) {
            for (name, value) in ecosystem.tmp_vars(&tmp) {
                env.set(&name, &value);
            }
        }
        Ok(env)
    }

    /// Sets `name` to `value`, replacing any value it had.
    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_string(), value.to_string()));
    }

    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }
}

/// A folder every run may write and keeps across runs, for package caches a case's setup
/// and checks use (`npm ci --cache "$SKILLBENCH_SHARED_CACHE/npm"`,
/// `CARGO_HOME="$SKILLBENCH_SHARED_CACHE/cargo"`): `<cache>/shared`, created on demand.
pub fn shared_cache() -> std::path::PathBuf {
    let dir = crate::workspace::cache_dir().join("shared");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

//! Ecosystem presets: what a case's repository needs of a cold environment to build, so that
//! a case says `ecosystem = "cargo"` instead of carrying recipes.
//!
//! Every process of a run (setup, agent, checks) has a fresh HOME. A preset adds to it:
//! - the toolchain, found where skillbench runs and named to the process (`RUSTUP_HOME`,
//!   `JAVA_HOME`); in the sandbox it is mounted read-only with the other toolchains
//!   ([`crate::agent::sandbox::toolchains`]);
//! - the package manager's download cache in the shared cache (`<cache>/shared/<name>`),
//!   written by the case's setup and read-only to agents and checks in the sandbox, so a
//!   package is downloaded once and nothing a run plants there reaches another;
//! - build outputs in the process's own temporary folder (`CARGO_TARGET_DIR`), never
//!   shared: no run, and no check, sees another's.
//!
//! A case that names no ecosystem gets the one its checkout's top-level manifests show
//! ([`Ecosystem::detect`]), or none.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A package ecosystem with a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Rust: Cargo.toml.
    Cargo,
    /// JavaScript: package.json.
    Npm,
    /// Python: pyproject.toml, setup.py, setup.cfg, requirements*.txt, Pipfile.
    Pip,
    /// Java: pom.xml, build.gradle[.kts].
    Maven,
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 4] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Pip,
        Ecosystem::Maven,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pip => "pip",
            Ecosystem::Maven => "maven",
        }
    }

    /// The ecosystem whose manifest `name` (a file name) is.
    fn of_manifest(name: &str) -> Option<Ecosystem> {
        match name {
            "Cargo.toml" => Some(Ecosystem::Cargo),
            "package.json" => Some(Ecosystem::Npm),
            "pyproject.toml" | "setup.py" | "setup.cfg" | "Pipfile" => Some(Ecosystem::Pip),
            "pom.xml" | "build.gradle" | "build.gradle.kts" => Some(Ecosystem::Maven),
            _ if is_requirements(name) => Some(Ecosystem::Pip),
            _ => None,
        }
    }

    /// The ecosystem of a repository whose top-level file names are `names`: the one a
    /// manifest there belongs to, in the order cargo, npm, maven, pip (a Rust or Java
    /// project that also has a requirements.txt for its tooling is still Rust or Java).
    pub fn detect<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Ecosystem> {
        let found: Vec<Ecosystem> = names.into_iter().filter_map(Self::of_manifest).collect();
        [
            Ecosystem::Cargo,
            Ecosystem::Npm,
            Ecosystem::Maven,
            Ecosystem::Pip,
        ]
        .into_iter()
        .find(|e| found.contains(e))
    }

    /// [`Ecosystem::detect`] on the files at the top of `dir`.
    pub fn detect_dir(dir: &Path) -> Option<Ecosystem> {
        let names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        Self::detect(names.iter().map(String::as_str))
    }

    /// The case's ecosystem: the one it names, else the one its pinned commit's top-level
    /// files show — never what a delivery added, so an agent cannot choose the checks'
    /// environment by planting a manifest.
    pub fn of_case(case: &super::Case, source: &super::PreparedSource) -> Option<Ecosystem> {
        case.ecosystem
            .or_else(|| Self::detect_commit(&source.repo, source.rev))
    }

    /// [`Ecosystem::detect`] on the top-level files of commit `rev` in `repo`.
    pub fn detect_commit(repo: &Path, rev: git2::Oid) -> Option<Ecosystem> {
        let repo = git2::Repository::open(repo).ok()?;
        let tree = repo.find_commit(rev).ok()?.tree().ok()?;
        let names: Vec<String> = tree
            .iter()
            .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
            .filter_map(|e| e.name().map(str::to_string))
            .collect();
        Self::detect(names.iter().map(String::as_str))
    }

    /// Of [`Ecosystem::vars`], those that name the process's own temporary folder: what a
    /// process with a TMPDIR of its own (each check) gets anew.
    pub fn tmp_vars(self, tmp: &Path) -> Vec<(String, String)> {
        let marker = Path::new("\u{0}tmp");
        let generic = self.vars(marker);
        let own = self.vars(tmp);
        own.into_iter()
            .zip(generic)
            .filter(|(_, (_, v))| v.starts_with('\u{0}'))
            .map(|(own, _)| own)
            .collect()
    }

    /// The variables the preset sets for a process whose temporary folder is `tmp`; the
    /// cache folders they name are created.
    pub fn vars(self, tmp: &Path) -> Vec<(String, String)> {
        let shared = crate::agent::cold::shared_cache();
        let cache = |name: &str| {
            let dir = shared.join(name);
            let _ = std::fs::create_dir_all(&dir);
            dir.to_string_lossy().into_owned()
        };
        let mut vars: Vec<(&str, String)> = Vec::new();
        match self {
            Ecosystem::Cargo => {
                vars.push(("CARGO_HOME", cache("cargo")));
                if let Some(rustup) = rustup_home() {
                    vars.push(("RUSTUP_HOME", rustup.to_string_lossy().into_owned()));
                }
                vars.push((
                    "CARGO_TARGET_DIR",
                    tmp.join("cargo-target").to_string_lossy().into_owned(),
                ));
                vars.push(("CARGO_TERM_PROGRESS_WHEN", "never".into()));
            }
            Ecosystem::Npm => {
                vars.push(("npm_config_cache", cache("npm")));
                for quiet in [
                    "npm_config_update_notifier",
                    "npm_config_fund",
                    "npm_config_audit",
                ] {
                    vars.push((quiet, "false".into()));
                }
            }
            Ecosystem::Pip => {
                vars.push(("PIP_CACHE_DIR", cache("pip")));
                vars.push(("PIP_DISABLE_PIP_VERSION_CHECK", "1".into()));
                vars.push(("PIP_NO_INPUT", "1".into()));
                // Bytecode goes nowhere: none of it lands in the room as a delivered file.
                vars.push(("PYTHONDONTWRITEBYTECODE", "1".into()));
            }
            Ecosystem::Maven => {
                if let Some(java) = java_home() {
                    vars.push(("JAVA_HOME", java.to_string_lossy().into_owned()));
                }
                vars.push((
                    "MAVEN_OPTS",
                    format!("-Dmaven.repo.local={}", cache("maven")),
                ));
                vars.push((
                    "GRADLE_USER_HOME",
                    tmp.join("gradle").to_string_lossy().into_owned(),
                ));
            }
        }
        vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// What `corpus add` writes for a repository of this ecosystem: the setup, and the
    /// command that runs the repository's own tests. `files` are its top-level file names
    /// (a lock file chooses `npm ci` over `npm install`).
    pub fn scaffold(self, files: &[String]) -> (Vec<String>, String) {
        let has = |name: &str| files.iter().any(|f| f == name);
        match self {
            Ecosystem::Cargo => (
                vec!["cargo fetch --quiet".into()],
                "cargo test --quiet".into(),
            ),
            Ecosystem::Npm => {
                let install = if has("package-lock.json") || has("npm-shrinkwrap.json") {
                    "npm ci --prefer-offline --loglevel=error"
                } else {
                    "npm install --prefer-offline --loglevel=error"
                };
                (vec![install.into()], "npm test".into())
            }
            Ecosystem::Pip => {
                let mut setup = vec!["python3 -m venv --system-site-packages .venv".into()];
                let requirements = install_requirements(files);
                if !requirements.is_empty() {
                    let args: Vec<String> =
                        requirements.iter().map(|r| format!("-r {r}")).collect();
                    setup.push(format!(
                        ".venv/bin/python -m pip install --quiet {}",
                        args.join(" ")
                    ));
                }
                if has("pyproject.toml") || has("setup.py") {
                    setup.push(".venv/bin/python -m pip install --quiet -e .".into());
                }
                (setup, ".venv/bin/python -m pytest -q".into())
            }
            Ecosystem::Maven => {
                if has("pom.xml") {
                    (
                        vec!["mvn -B -q dependency:go-offline".into()],
                        "mvn -B -q -o test".into(),
                    )
                } else {
                    (vec![], "gradle --offline test".into())
                }
            }
        }
    }
}

/// The requirements files a pip setup installs: `requirements.txt` and those for running
/// the tests (`test-requirements.txt`, `requirements-dev.txt`…), in that order; the docs',
/// lint or release ones are left out. With none of those, the first requirements file.
fn install_requirements(files: &[String]) -> Vec<&str> {
    let mut chosen: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| is_requirements(f))
        .filter(|f| {
            let stem = f.trim_end_matches(".txt").to_ascii_lowercase();
            stem == "requirements" || stem.contains("test") || stem.contains("dev")
        })
        .collect();
    chosen.sort_by_key(|f| (*f != "requirements.txt", *f));
    if chosen.is_empty()
        && let Some(first) = files.iter().find(|f| is_requirements(f))
    {
        chosen.push(first);
    }
    chosen
}

/// Whether a file name is a pip requirements file: `requirements.txt`,
/// `requirements-dev.txt`, `dev-requirements.txt` and the like.
pub fn is_requirements(name: &str) -> bool {
    name.ends_with(".txt") && name.contains("requirements")
}

/// rustup's home: `$RUSTUP_HOME`, else the `.rustup` beside the `.cargo/bin` on PATH that
/// holds the rustup proxies (cargo, rustc).
pub fn rustup_home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RUSTUP_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|entry| entry.ends_with(".cargo/bin"))
        .filter_map(|entry| Some(entry.parent()?.parent()?.join(".rustup")))
        .find(|dir| dir.is_dir())
}

/// The JDK's home: `$JAVA_HOME`, else the folder above the `bin/` of the real `javac` on
/// PATH.
pub fn java_home() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let javac = crate::agent::which("javac", std::env::var_os("PATH").as_deref())?;
    let real = javac.canonicalize().ok()?;
    Some(real.parent()?.parent()?.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_ecosystem_from_top_level_manifests() {
        assert_eq!(
            Ecosystem::detect(["Cargo.toml", "README.md"]),
            Some(Ecosystem::Cargo)
        );
        assert_eq!(Ecosystem::detect(["package.json"]), Some(Ecosystem::Npm));
        assert_eq!(
            Ecosystem::detect(["requirements-dev.txt"]),
            Some(Ecosystem::Pip)
        );
        assert_eq!(
            Ecosystem::detect(["setup.cfg", "tox.ini"]),
            Some(Ecosystem::Pip)
        );
        assert_eq!(
            Ecosystem::detect(["pom.xml", "requirements.txt"]),
            Some(Ecosystem::Maven)
        );
        assert_eq!(
            Ecosystem::detect(["build.gradle.kts"]),
            Some(Ecosystem::Maven)
        );
        assert_eq!(
            Ecosystem::detect(["requirements.txt", "Cargo.toml"]),
            Some(Ecosystem::Cargo)
        );
        assert_eq!(Ecosystem::detect(["README.md", "Makefile"]), None);
    }

    #[test]
    fn presets_keep_build_outputs_in_the_processs_own_folder() {
        let tmp = Path::new("/scratch/run-1/tmp");
        let vars = Ecosystem::Cargo.vars(tmp);
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("CARGO_TARGET_DIR"),
            Some("/scratch/run-1/tmp/cargo-target")
        );
        assert_eq!(
            Ecosystem::Cargo.tmp_vars(tmp),
            [(
                "CARGO_TARGET_DIR".to_string(),
                "/scratch/run-1/tmp/cargo-target".to_string()
            )]
        );
        assert!(Ecosystem::Npm.tmp_vars(tmp).is_empty());
        let shared = crate::agent::cold::shared_cache();
        assert_eq!(
            get("CARGO_HOME").map(PathBuf::from),
            Some(shared.join("cargo"))
        );
        let npm = Ecosystem::Npm.vars(tmp);
        assert!(npm.contains(&(
            "npm_config_cache".into(),
            shared.join("npm").to_string_lossy().into_owned()
        )));
    }

    #[test]
    fn scaffolds_each_ecosystems_setup_and_tests() {
        let files = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (setup, test) = Ecosystem::Npm.scaffold(&files(&["package.json", "package-lock.json"]));
        assert_eq!(setup, ["npm ci --prefer-offline --loglevel=error"]);
        assert_eq!(test, "npm test");
        let (setup, _) = Ecosystem::Npm.scaffold(&files(&["package.json"]));
        assert!(setup[0].starts_with("npm install"));
        let (setup, test) = Ecosystem::Pip.scaffold(&files(&["requirements.txt", "setup.py"]));
        assert_eq!(setup.len(), 3, "{setup:?}");
        assert!(setup[1].ends_with("-r requirements.txt"));
        assert!(test.contains("pytest"));
        // The runtime and test requirements, not the docs' (docker-py's layout).
        let (setup, _) = Ecosystem::Pip.scaffold(&files(&[
            "docs-requirements.txt",
            "pyproject.toml",
            "requirements.txt",
            "test-requirements.txt",
        ]));
        assert_eq!(
            setup[1],
            ".venv/bin/python -m pip install --quiet -r requirements.txt -r test-requirements.txt"
        );
        let (setup, _) = Ecosystem::Pip.scaffold(&files(&["requirements-docs.txt", "setup.py"]));
        assert!(setup[1].ends_with("-r requirements-docs.txt"), "{setup:?}");
    }
}

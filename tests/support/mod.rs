//! The test harness: a temporary workspace and the real `skillbench` binary run in it with
//! a scrubbed environment.
#![expect(
    clippy::expect_used,
    reason = "the harness fails a test loudly when its own setup fails"
)]

pub mod model_server;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use skillbench::exit_code;

/// A temporary workspace with its own cache and HOME.
pub struct Workspace {
    dir: tempfile::TempDir,
}

/// What a run of the binary printed, and its exit code.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with both streams unless the exit code is `expected`.
    #[track_caller]
    pub fn expect_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Workspace {
    /// An empty workspace.
    pub fn empty() -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("skillbench-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        Workspace { dir }
    }

    /// A copy of the repository's shipped skills, corpora and evals.
    pub fn shipped() -> Workspace {
        let ws = Workspace::empty();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["skills", "corpora", "evals"] {
            skillbench::fsx::copy_tree(&root.join(dir), &ws.path(dir))
                .expect("copy shipped workspace");
        }
        ws
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Runs `skillbench ARGS` in the workspace.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    /// `program` in the workspace with the scrubbed environment every test gives the
    /// binary: PATH, and the workspace's own HOME and cache folder.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("SKILLBENCH_CACHE_DIR", self.path("cache"));
        cmd
    }

    /// The skillbench binary as [`Workspace::command`] sets it up.
    pub fn skillbench(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_skillbench"))
    }

    /// Runs `skillbench ARGS` with extra environment variables.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = self
            .skillbench()
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run skillbench");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The parsed `results.json` of the latest run.
    pub fn latest_results(&self) -> serde_json::Value {
        let id = self.read(".skillbench/runs/latest");
        let text = self.read(&format!(".skillbench/runs/{}/results.json", id.trim()));
        serde_json::from_str(&text).expect("results.json is JSON")
    }

    /// The folder of the latest run.
    pub fn latest_dir(&self) -> PathBuf {
        let id = self.read(".skillbench/runs/latest");
        self.path(&format!(".skillbench/runs/{}", id.trim()))
    }
}

/// The criterion `id` of a run of `results.json`, if the run has it.
pub fn criterion<'a>(run: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    run["criteria"].as_array()?.iter().find(|c| c["id"] == id)
}

/// A one-case eval over the shipped corpus, with the hidden and escalation criteria.
pub fn small_eval(cases: &str, agents: &str, extra: &str) -> String {
    format!(
        r#"skill = "pyyaml-safe-load"
cases = [{cases}]
agents = [{agents}]
timeout = "60s"
{extra}
[rubric]
[[rubric.criteria]]
id = "hidden-tests"
kind = "hidden"
run = "python3 -m unittest discover -s hidden_tests -t ."
applies_to = "fix"

[[rubric.criteria]]
id = "escalation"
kind = "escalation"
"#
    )
}

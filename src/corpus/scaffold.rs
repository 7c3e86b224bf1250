//! `skillbench corpus add`: a new case's folder and a `case.toml` that loads, pinned.
//!
//! From a folder, the folder is copied in as `repo/` and the fixture commit is computed, so
//! `rev` is right from the start; from a git URL and a commit, the commit is fetched into
//! the mirror first (and `--fix-rev`, the upstream fix, checked to be there). Either way the
//! ecosystem is detected from the manifests at the top of the commit, and the case gets
//! that ecosystem's setup and test command, the findings of `--advisory` (with the lines of
//! the manifests that declare their package), a hidden check stub that fails until it is
//! written, and is checked to load before anything is left behind.

use std::path::{Path, PathBuf};

use super::Finding;
use super::ecosystem::Ecosystem;
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// What `corpus add` is given besides the case's id.
#[derive(Debug, Default)]
pub struct AddOptions<'a> {
    /// `--git URL --rev SHA`.
    pub git: Option<(&'a str, &'a str)>,
    /// `--from DIR`: copied in as the fixture.
    pub from: Option<&'a Path>,
    pub expectation: &'a str,
    /// `--fix-rev SHA`: the upstream fix, written as `[reference] rev`.
    pub fix_rev: Option<&'a str>,
    /// `--seed DIR`: a local clone or bare repository the git case's mirror is filled
    /// from, instead of its URL (no network).
    pub seed: Option<&'a Path>,
    /// `--advisory FILE` and `--advisory-id ID`.
    pub advisory: Option<&'a Path>,
    pub advisory_id: Option<&'a str>,
}

/// What `corpus add` wrote.
#[derive(Debug)]
pub struct Added {
    pub manifest: PathBuf,
    pub ecosystem: Option<Ecosystem>,
    pub findings: usize,
    /// What the author still has to write, in order.
    pub todo: Vec<String>,
}

/// Names of dependency manifests whose lines [`super::advisory::locate`] searches.
fn is_manifest(name: &str) -> bool {
    matches!(
        name,
        "Cargo.toml"
            | "package.json"
            | "pyproject.toml"
            | "setup.py"
            | "setup.cfg"
            | "Pipfile"
            | "pom.xml"
            | "build.gradle"
            | "build.gradle.kts"
    ) || super::ecosystem::is_requirements(name)
}

fn full_sha(flag: &str, rev: &str) -> Result<()> {
    if rev.len() != 40 || !rev.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::Usage(format!(
            "{flag} must be a full 40-hex commit SHA, not '{rev}'"
        )));
    }
    Ok(())
}

/// A repository's top-level file names, and the relative path and text of those that are
/// dependency manifests.
type TopFiles = (Vec<String>, Vec<(String, String)>);

/// The [`TopFiles`] of commit `rev` in the mirror `repo`.
fn commit_files(repo: &Path, rev: &str) -> Result<TopFiles> {
    let git = |what: &str, e: git2::Error| Error::git(format!("{what} in {}", repo.display()), e);
    let repo = git2::Repository::open(repo).map_err(|e| git("cannot open the mirror", e))?;
    let oid = git2::Oid::from_str(rev).map_err(|e| git("bad rev", e))?;
    let tree = repo
        .find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(|e| git(&format!("cannot read commit {rev}"), e))?;
    let mut names = Vec::new();
    let mut manifests = Vec::new();
    for entry in tree.iter() {
        let Some(name) = entry.name() else { continue };
        if entry.kind() != Some(git2::ObjectType::Blob) {
            continue;
        }
        names.push(name.to_string());
        if is_manifest(name)
            && let Ok(blob) = repo.find_blob(entry.id())
        {
            manifests.push((
                name.to_string(),
                String::from_utf8_lossy(blob.content()).into_owned(),
            ));
        }
    }
    Ok((names, manifests))
}

/// The [`TopFiles`] of a folder.
fn folder_files(dir: &Path) -> TopFiles {
    let mut names = Vec::new();
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_manifest(&name)
            && let Ok(text) = std::fs::read_to_string(entry.path())
        {
            manifests.push((name.clone(), text));
        }
        names.push(name);
    }
    names.sort();
    manifests.sort();
    (names, manifests)
}

/// A hidden check that fails until it is written, for `ecosystem`: its file under `hidden/`
/// (where it lands in the checkout), its text, and the command that runs it.
fn hidden_stub(ecosystem: Option<Ecosystem>) -> (&'static str, &'static str, &'static str) {
    match ecosystem {
        Some(Ecosystem::Cargo) => (
            "tests/hidden_fix.rs",
            "//! The hidden check, copied into the checkout's tests/ only for grading.\n\n#[test]\nfn the_fix_holds() {\n    panic!(\"TODO: the check a right fix passes and a bump alone fails\");\n}\n",
            "cargo test --quiet --test hidden_fix",
        ),
        Some(Ecosystem::Npm) => (
            "hidden-tests/fix.test.js",
            "// The hidden check, copied into the checkout only for grading.\nconst test = require('node:test');\nconst assert = require('node:assert');\n\ntest('the fix holds', () => {\n  assert.fail('TODO: the check a right fix passes and a bump alone fails');\n});\n",
            "node --test hidden-tests/",
        ),
        Some(Ecosystem::Pip) => (
            "hidden_tests/test_fix.py",
            "\"\"\"The hidden check, copied into the checkout only for grading.\"\"\"\nimport unittest\n\n\nclass FixHolds(unittest.TestCase):\n    def test_the_fix_holds(self):\n        self.fail(\"TODO: the check a right fix passes and a bump alone fails\")\n",
            ".venv/bin/python -m unittest discover -s hidden_tests -t .",
        ),
        Some(Ecosystem::Maven) => (
            "src/test/java/hidden/HiddenFixTest.java",
            "package hidden;\n\n/** The hidden check, copied into the checkout only for grading. */\npublic class HiddenFixTest {\n    @org.junit.Test\n    public void theFixHolds() {\n        org.junit.Assert.fail(\"TODO: the check a right fix passes and a bump alone fails\");\n    }\n}\n",
            "mvn -B -q -o test -Dtest=HiddenFixTest",
        ),
        None => (
            "hidden-check.sh",
            "#!/bin/sh\n# The hidden check, copied into the checkout only for grading.\necho 'TODO: the check a right fix passes and a bump alone fails' >&2\nexit 1\n",
            "sh hidden-check.sh",
        ),
    }
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// The findings as `[[findings]]` tables.
fn findings_toml(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("[[findings]]\nid = {}\n", quote(&f.id)));
        if !f.aliases.is_empty() {
            out.push_str(&format!("aliases = {}\n", list(&f.aliases)));
        }
        for (key, value) in [
            ("package", &f.package),
            ("ecosystem", &f.ecosystem),
            ("vulnerable", &f.vulnerable),
            ("fixed", &f.fixed),
        ] {
            if let Some(v) = value {
                out.push_str(&format!("{key} = {}\n", quote(v)));
            }
        }
        out.push_str(&format!(
            "summary = {}\nlocations = {}\n\n",
            quote(&f.summary),
            list(&f.locations)
        ));
    }
    out
}

/// `text` broken into lines of at most 88 characters (at spaces), each ending in a newline.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 88 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The task, as a scanner would report the findings.
fn task(findings: &[Finding]) -> String {
    let mut report = String::new();
    for f in findings {
        let aka = if f.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.aliases.join(", "))
        };
        let package = match (&f.package, &f.vulnerable) {
            (Some(p), Some(v)) => format!(": {p} {v}"),
            (Some(p), None) => format!(": {p}"),
            _ => String::new(),
        };
        let at = if f.locations.is_empty() {
            String::new()
        } else {
            format!(", declared at {}", f.locations.join(", "))
        };
        report.push_str(&wrap(&format!(
            "The dependency scanner reports {}{aka} for this repository{package}{at}.",
            f.id
        )));
    }
    format!(
        "{report}TODO: what the code does with it, as the team would tell the agent.\n\n\
         Please remediate, keeping the existing behaviour and tests. If a correct fix needs a\n\
         decision you cannot make yourself, stop and escalate with the question instead of\n\
         guessing.\n"
    )
}

pub fn add(workspace: &Workspace, id: &str, opts: &AddOptions<'_>) -> Result<Added> {
    let (git, from, expectation) = (opts.git, opts.from, opts.expectation);
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    };
    let Some((corpus, case)) = id.split_once('/').filter(|(a, b)| valid(a) && valid(b)) else {
        return Err(Error::Usage(format!(
            "case id '{id}' must be corpus/case, each of a-z, 0-9, '-' or '_'"
        )));
    };
    let dir = workspace.corpora_dir().join(corpus).join(case);
    if dir.exists() {
        return Err(Error::Usage(format!("{} already exists", dir.display())));
    }
    let mut findings = match opts.advisory {
        Some(path) => super::advisory::read(path, opts.advisory_id)?,
        None => Vec::new(),
    };
    let staging = tempfile::tempdir().map_err(|e| Error::write(&dir, e))?;
    let reference = match opts.fix_rev {
        Some(fix) => {
            full_sha("--fix-rev", fix)?;
            format!("\n[reference]\nrev = \"{fix}\"\n")
        }
        None => String::new(),
    };
    let (source, names, manifests) = match (git, from) {
        (Some((url, rev)), None) => {
            full_sha("--rev", rev)?;
            let source = format!(
                "[source]\ngit = {}\nrev = \"{rev}\"\n{reference}",
                quote(url)
            );
            // A case that loads, to fetch its commit (and the fix) into the mirror with.
            std::fs::write(
                staging.path().join(super::case::CASE_FILE),
                format!(
                    "expectation = \"fix\"\ntask = \"-\"\n{source}\n[[findings]]\nid = \"-\"\nsummary = \"-\"\n"
                ),
            )
            .map_err(|e| Error::write(&dir, e))?;
            let probe = super::Case::load(id, staging.path())?;
            let cache = crate::workspace::cache_dir();
            let prepared = match opts.seed {
                Some(dir) => super::source::seed(&probe, dir, &cache)?,
                None => {
                    let prepared = super::source::prepare(&probe, staging.path(), &cache)?;
                    super::source::has_reference(
                        &probe,
                        &prepared,
                        &super::source::without_userinfo(url),
                    )?;
                    prepared
                }
            };
            let (names, manifests) = commit_files(&prepared.repo, rev)?;
            let _ = std::fs::remove_file(staging.path().join(super::case::CASE_FILE));
            (source, names, manifests)
        }
        (None, Some(folder)) => {
            if !folder.is_dir() {
                return Err(Error::Usage(format!(
                    "--from {}: not a folder",
                    folder.display()
                )));
            }
            if opts.fix_rev.is_some() {
                return Err(Error::Usage(
                    "--fix-rev names a commit of a git case; a fixture's reference is reference.patch beside its case.toml".into(),
                ));
            }
            let repo = staging.path().join("repo");
            crate::fsx::copy_tree(folder, &repo).map_err(|e| Error::write(&repo, e))?;
            let oid = super::source::build_fixture(&repo, &staging.path().join("probe.git"))
                .map_err(|e| {
                    Error::setup(
                        id,
                        format!("cannot commit {} as a fixture: {e}", folder.display()),
                    )
                })?;
            let _ = std::fs::remove_dir_all(staging.path().join("probe.git"));
            let (names, manifests) = folder_files(&repo);
            (
                format!("[source]\nfixture = \"repo\"\nrev = \"{oid}\"\n"),
                names,
                manifests,
            )
        }
        _ => {
            return Err(Error::Usage(
                "give either --git URL --rev SHA, or --from DIR".into(),
            ));
        }
    };
    let ecosystem = Ecosystem::detect(names.iter().map(String::as_str));
    for f in &mut findings {
        if let Some(package) = &f.package {
            f.locations = super::advisory::locate(package, &manifests);
        }
    }
    let mut todo = vec!["the task (what the code does with the finding)".to_string()];
    let (setup, visible) = match ecosystem {
        Some(e) => {
            let (setup, visible) = e.scaffold(&names);
            (list(&setup), quote(&visible))
        }
        None => {
            todo.push(
                "setup and [checks] visible: no dependency manifest at the top of the repository"
                    .into(),
            );
            ("[]".into(), quote("TODO: the repository's own tests"))
        }
    };
    let (hidden_file, hidden_text, hidden_run) = hidden_stub(ecosystem);
    let hidden_path = staging.path().join("hidden").join(hidden_file);
    if let Some(parent) = hidden_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    }
    std::fs::write(&hidden_path, hidden_text).map_err(|e| Error::write(&hidden_path, e))?;
    todo.push(format!(
        "the hidden check, hidden/{hidden_file}: what a right fix passes and a bump alone fails"
    ));
    if findings.is_empty() {
        todo.push("the findings (or give --advisory FILE)".into());
        findings.push(Finding {
            id: "TODO-ADVISORY-ID".into(),
            aliases: Vec::new(),
            package: None,
            ecosystem: None,
            vulnerable: None,
            fixed: None,
            summary: "TODO: what is wrong, and where".into(),
            locations: Vec::new(),
        });
    }
    if opts.fix_rev.is_none() {
        todo.push(if git.is_some() {
            "the reference: --fix-rev SHA of the upstream fix, or reference.patch".into()
        } else {
            "the reference fix, reference.patch (a git diff)".into()
        });
    }
    let escalation = if expectation == "escalate" {
        todo.push("[escalation]: the reason and the question".into());
        "\n[escalation]\nreason = \"TODO: why the right change needs a human's decision\"\nquestion = \"TODO: the question the agent should ask\"\n"
    } else {
        ""
    };
    let detected = ecosystem.map_or_else(String::new, |e| {
        format!("ecosystem = \"{e}\"              # detected from the repository's manifests\n")
    });
    let manifest = format!(
        r#"schema = 1
title = "TODO: one line"
expectation = "{expectation}"
# What a bump of the package alone does to [checks] visible, which `corpus verify` holds
# the case to: "trap" (they stay green) or "breaks-tests".
# bump_alone = "trap"
{detected}task = """
{task}"""
setup = {setup}

{source}
{findings}[checks]
visible = {visible}
hidden = {hidden}
{escalation}"#,
        task = task(&findings),
        findings = findings_toml(&findings),
        hidden = quote(hidden_run),
    );
    std::fs::write(staging.path().join(super::case::CASE_FILE), manifest)
        .map_err(|e| Error::write(&dir, e))?;
    super::Case::load(id, staging.path())?;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    }
    crate::fsx::copy_tree(staging.path(), &dir).map_err(|e| Error::write(&dir, e))?;
    Ok(Added {
        manifest: dir.join(super::case::CASE_FILE),
        ecosystem,
        findings: findings.len(),
        todo,
    })
}

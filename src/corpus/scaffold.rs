//! `skillbench corpus add`: a new case's folder and a `case.toml` that loads, pinned.
//!
//! From a folder, the folder is copied in as `repo/` and the fixture commit is computed, so
//! `rev` is right from the start; from a git URL and a commit, the manifest points at them.
//! Either way the task and the finding are placeholders for the author to write, and the
//! case is checked to load before anything is left behind.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::workspace::Workspace;

pub fn add(
    workspace: &Workspace,
    id: &str,
    git: Option<(&str, &str)>,
    from: Option<&Path>,
    expectation: &str,
) -> Result<PathBuf> {
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
    let staging = tempfile::tempdir().map_err(|e| Error::write(&dir, e))?;
    let source = match (git, from) {
        (Some((url, rev)), None) => {
            if rev.len() != 40 || !rev.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Usage(format!(
                    "--rev must be a full 40-hex commit SHA, not '{rev}'"
                )));
            }
            format!(
                "[source]\ngit = {}\nrev = \"{rev}\"\n",
                toml::Value::String(url.into())
            )
        }
        (None, Some(folder)) => {
            if !folder.is_dir() {
                return Err(Error::Usage(format!(
                    "--from {}: not a folder",
                    folder.display()
                )));
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
            format!("[source]\nfixture = \"repo\"\nrev = \"{oid}\"\n")
        }
        _ => {
            return Err(Error::Usage(
                "give either --git URL --rev SHA, or --from DIR".into(),
            ));
        }
    };
    let escalation = if expectation == "escalate" {
        "\n[escalation]\nreason = \"TODO: why the right change needs a human's decision\"\nquestion = \"TODO: the question the agent should ask\"\n"
    } else {
        ""
    };
    let manifest = format!(
        r#"schema = 1
title = "TODO: one line"
expectation = "{expectation}"
# What a bump of the package alone does to [checks] visible, which `corpus verify` holds
# the case to: "trap" (they stay green) or "breaks-tests".
# bump_alone = "trap"
task = """
TODO: the scanner's report and the request, as the agent will read them.
"""
setup = []

{source}
[[findings]]
id = "TODO-ADVISORY-ID"
summary = "TODO: what is wrong, and where"
locations = []

[checks]
visible = "TODO: the repository's own tests"
{escalation}"#
    );
    std::fs::write(staging.path().join(super::case::CASE_FILE), manifest)
        .map_err(|e| Error::write(&dir, e))?;
    super::Case::load(id, staging.path())?;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    }
    crate::fsx::copy_tree(staging.path(), &dir).map_err(|e| Error::write(&dir, e))?;
    Ok(dir.join(super::case::CASE_FILE))
}

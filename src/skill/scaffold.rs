//! `skillbench skill new NAME`: a new skill folder whose `SKILL.md` passes lint and shows
//! the sections a good remediation skill has.

use std::path::{Path, PathBuf};

use super::SKILL_FILE;
use super::front_matter::name_problem;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// Creates `<skills_dir>/<name>/SKILL.md`; refuses to overwrite anything.
pub fn scaffold(skills_dir: &Path, name: &str) -> Result<PathBuf> {
    if let Some(problem) = name_problem(name) {
        return Err(Error::Usage(format!("invalid skill name: {problem}")));
    }
    let dir = skills_dir.join(name);
    if dir.exists() {
        return Err(Error::Input(vec![Diagnostic::error(
            &dir,
            (1, 1),
            "already exists; choose another name or edit the existing skill",
        )]));
    }
    let text = format!(
        r#"---
name: {name}
description: >-
  TODO: say what this skill fixes and when an agent should use it, in one or two
  sentences (the agent sees only this until it activates the skill).
metadata:
  version: "0.1.0"
---

# {name}

## When to use this skill

Describe the finding (advisory, package, versions) and how to recognise it in code.

## Steps

1. Find every affected call site.
2. Decide which fix applies to each one.
3. Make the change, raise the dependency to the fixed version, keep the tests unchanged.

## Verify

Run the project's tests and show that the unsafe behaviour is gone.

## When to stop and escalate

Stop and ask a human, changing nothing, when the fix needs a decision this skill cannot
make. Say what you found and the question the owner must answer.

## Report Agent Signals

Write JSON to the file named by `$SKILLBENCH_SIGNALS`: `schema` ("agent-signals/v1"),
`outcome` (fixed, escalated, partial or failed), `confidence` (0 to 1), `summary`,
`what_worked`, `what_was_hard`, `skill_gaps` and `escalations`.
"#
    );
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
    let path = dir.join(SKILL_FILE);
    crate::fsx::write_atomic(&path, text).map_err(|e| Error::write(&path, e))?;
    Ok(dir)
}

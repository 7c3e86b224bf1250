//! Skills: `skills/<name>/SKILL.md` in the Agent Skills format, plus its optional
//! `scripts/`, `references/` and `assets/`.
//!
//! [`Skill::load`] reads a skill folder into a validated [`Skill`] (or every finding that
//! stops it from being one); [`lint`] reports the same findings and the softer warnings;
//! [`hash`] gives a skill its identity; [`scaffold`] writes a new one that passes lint.

mod front_matter;
mod hash;
mod lint;
mod scaffold;

use std::path::{Path, PathBuf};

pub use front_matter::FrontMatter;
pub use hash::content_hash;
pub use lint::lint;
pub use scaffold::scaffold;

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, Result};

/// The file name of a skill's playbook.
pub const SKILL_FILE: &str = "SKILL.md";

/// A skill that passed validation.
#[derive(Debug, Clone)]
pub struct Skill {
    pub dir: PathBuf,
    pub front: FrontMatter,
    /// `sha256:<hex>` over every file of the skill.
    pub hash: String,
}

impl Skill {
    /// Loads and validates the skill in `dir` (or the folder of a `SKILL.md` path). Lint
    /// errors make this fail; warnings do not.
    pub fn load(dir: &Path) -> Result<Skill> {
        let dir = skill_dir(dir);
        let linted = lint::check(&dir)?;
        let errors: Vec<Diagnostic> = linted
            .findings
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        // Valid front matter and no error go together: lint reports every invalid field.
        let Some(front) = linted.front.filter(|_| errors.is_empty()) else {
            return Err(Error::Input(errors));
        };
        let hash = content_hash(&dir)?;
        Ok(Skill { dir, front, hash })
    }

    pub fn name(&self) -> &str {
        &self.front.name
    }

    /// A line of the skill's body (the first that is not blank, at most 60 characters):
    /// seeing it in a tool's output means `SKILL.md` itself reached the model, not only its
    /// name or description as offered. Empty when the body is.
    pub fn content_marker(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join(SKILL_FILE)).unwrap_or_default();
        let body = text
            .strip_prefix("---")
            .and_then(|rest| rest.split_once("\n---").map(|(_, body)| body))
            .unwrap_or(&text);
        body.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && *l != "---")
            .map(|l| l.chars().take(60).collect())
            .unwrap_or_default()
    }
}

/// The folder of a skill given either the folder or its `SKILL.md`.
pub fn skill_dir(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == SKILL_FILE) {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        path.to_path_buf()
    }
}

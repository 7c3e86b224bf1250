//! `skillbench skill lint`: the front matter rules of the Agent Skills format plus what makes
//! a skill usable by a cold agent — references that resolve, a body of reasonable length,
//! and a section that says when to stop and escalate.

use std::path::{Component, Path};
use std::sync::LazyLock;

use regex::Regex;

use super::{FrontMatter, SKILL_FILE, front_matter};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// Past this many lines, the body is likely too long to be loaded on activation.
pub const MAX_BODY_LINES: usize = 500;

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#)
        .unwrap_or_else(|e| panic!("{e}"))
});
static FILE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"`((?:scripts|references|assets)/[^`\s]+)`").unwrap_or_else(|e| panic!("{e}"))
});
static ESCALATION_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^#{1,6}\s+.*(escalat|when to stop|stop and ask)")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// Every finding for the skill in `dir` (or the folder of a `SKILL.md`), in file order.
pub fn lint(dir: &Path) -> Result<Vec<Diagnostic>> {
    check(dir).map(|linted| linted.findings)
}

/// What linting a skill found, and its front matter when that is valid.
#[derive(Debug)]
pub(super) struct Linted {
    pub findings: Vec<Diagnostic>,
    pub front: Option<FrontMatter>,
}

/// Lints the skill in `dir`, reading its `SKILL.md` once.
pub(super) fn check(dir: &Path) -> Result<Linted> {
    let dir = super::skill_dir(dir);
    let path = dir.join(SKILL_FILE);
    if !dir.is_dir() {
        return Err(Error::Input(vec![Diagnostic::error(
            &dir,
            (1, 1),
            "no such skill folder; a skill is a folder holding SKILL.md (create one with `skillbench skill new NAME`)",
        )]));
    }
    let text = match std::fs::read(&path) {
        Ok(bytes) => match crate::diagnostic::decode_text(&path, bytes) {
            Ok(text) => text,
            Err(d) => {
                return Ok(Linted {
                    findings: vec![d],
                    front: None,
                });
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Linted {
                findings: vec![Diagnostic::error(
                    &path,
                    (1, 1),
                    "missing SKILL.md; every skill folder needs one",
                )],
                front: None,
            });
        }
        Err(e) => return Err(Error::read(&path, e)),
    };
    let parsed = front_matter::parse(&path, &text);
    let mut findings = parsed.findings;
    findings.extend(links_outside(&dir));

    if let Some(front) = &parsed.front {
        let folder = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
        if let Some(folder) = folder.filter(|f| *f != front.name) {
            let line = text
                .lines()
                .position(|l| l.starts_with("name:"))
                .map_or(1, |i| i + 1);
            findings.push(Diagnostic::error(
                &path,
                (line, 7),
                format!(
                    "'name' is '{}' but the folder is '{folder}'; they must be equal",
                    front.name
                ),
            ));
        }
    }

    let mut in_code_block = false;
    let mut has_escalation = false;
    let body_lines = parsed.body.lines().count();
    for (i, line) in parsed.body.lines().enumerate() {
        let line_no = parsed.body_line + i;
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        if ESCALATION_HEADING.is_match(line) {
            has_escalation = true;
        }
        for caps in LINK.captures_iter(line) {
            if let Some(target) = caps.get(1) {
                let col = line[..target.start()].chars().count() + 1;
                check_reference(&dir, &path, (line_no, col), target.as_str(), &mut findings);
            }
        }
        for caps in FILE_REFERENCE.captures_iter(line) {
            if let Some(target) = caps.get(1) {
                let col = line[..target.start()].chars().count() + 1;
                check_reference(&dir, &path, (line_no, col), target.as_str(), &mut findings);
            }
        }
    }
    if parsed.body.trim().is_empty() {
        findings.push(Diagnostic::warning(
            &path,
            (parsed.body_line, 1),
            "the body is empty: the skill teaches nothing",
        ));
    } else if body_lines > MAX_BODY_LINES {
        findings.push(Diagnostic::warning(
            &path,
            (parsed.body_line + MAX_BODY_LINES, 1),
            format!(
                "the body has {body_lines} lines (over {MAX_BODY_LINES}); move detail into references/ so activation stays cheap"
            ),
        ));
    }
    if !has_escalation && parsed.front.is_some() {
        findings.push(Diagnostic::warning(
            &path,
            (parsed.body_line, 1),
            "no section says when to stop and escalate; add a heading such as '## When to stop and escalate'",
        ));
    }
    findings.sort_by_key(|d| (d.line, d.col));
    Ok(Linted {
        findings,
        front: parsed.front,
    })
}

/// A link in the skill that leads outside it: the skill is copied into every agent's
/// room, and such a link would hand the agent whatever it points at.
fn links_outside(dir: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Ok(root) = dir.canonicalize() else {
        return out;
    };
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if !entry.path_is_symlink() {
            continue;
        }
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        let inside = entry
            .path()
            .canonicalize()
            .is_ok_and(|resolved| resolved.starts_with(&root));
        if !inside {
            out.push(Diagnostic::error(
                entry.path(),
                (1, 1),
                format!(
                    "a link to {}, which is outside the skill (or missing); skills are copied without following links: copy the file into the skill instead",
                    target.display()
                ),
            ));
        }
    }
    out
}

fn check_reference(
    dir: &Path,
    path: &Path,
    at: (usize, usize),
    target: &str,
    findings: &mut Vec<Diagnostic>,
) {
    if target.starts_with('#') || target.contains("://") || target.starts_with("mailto:") {
        return;
    }
    let target = target.split('#').next().unwrap_or(target);
    let rel = Path::new(target);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
        findings.push(Diagnostic::error(
            path,
            at,
            format!("'{target}' points outside the skill; keep every file the skill needs inside its folder"),
        ));
        return;
    }
    if !dir.join(rel).exists() {
        findings.push(Diagnostic::error(
            path,
            at,
            format!("'{target}' does not exist in the skill folder"),
        ));
        return;
    }
    let depth = rel
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    if depth > 2 {
        findings.push(Diagnostic::warning(
            path,
            at,
            format!("'{target}' is more than one level deep; agents load references one level from SKILL.md"),
        ));
    }
}

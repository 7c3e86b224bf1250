//! `[rubric]`: the criteria, each checked against its kind.

use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use crate::error::Result;
use crate::grade::{CaseCheck, Criterion, CriterionKind, Globs, Grade, JudgeEvidence, Rubric};

use super::file::*;
use super::located::Located;

const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(120);

pub(super) fn rubric(at: &Located<'_>, file: &RubricFile, graders: &[&str]) -> Result<Rubric> {
    let pass = match &file.pass {
        None => Grade::B,
        Some(p) => {
            at.one_of(p, "pass grade", &["A", "B"])?;
            p.get_ref()
                .parse()
                .map_err(|e: String| at.err(p.span(), e))?
        }
    };
    if file.criteria.get_ref().is_empty() {
        return Err(at.err(
            file.criteria.span(),
            "the rubric has no criteria; add [[rubric.criteria]] entries",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut criteria = Vec::new();
    for c in file.criteria.get_ref() {
        let id = c.id.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(at.err(
                c.id.span(),
                format!("criterion id '{id}' must be non-empty and use a-z, 0-9, '-' or '_'"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(at.err(c.id.span(), format!("criterion id '{id}' is used twice")));
        }
        at.one_of(&c.kind, "criterion kind", &CRITERION_KINDS)?;
        let kind_name = c.kind.get_ref().as_str();
        // Which optional keys each kind takes; any other key given is an error.
        let allowed: &[&str] = match kind_name {
            "command" | "hidden" => &["run", "timeout"],
            "checks" => &["checks", "timeout"],
            "absent" | "present" => &["pattern", "files"],
            "diff" => &["max_files", "max_lines", "protected"],
            "judge" => &["question", "evidence", "graders"],
            _ => &[],
        };
        let given: [(&str, Option<Range<usize>>); 11] = [
            ("checks", c.checks.as_ref().map(Spanned::span)),
            ("question", c.question.as_ref().map(Spanned::span)),
            ("evidence", c.evidence.as_ref().map(Spanned::span)),
            ("graders", c.graders.as_ref().map(Spanned::span)),
            ("run", c.run.as_ref().map(Spanned::span)),
            ("timeout", c.timeout.as_ref().map(Spanned::span)),
            ("pattern", c.pattern.as_ref().map(Spanned::span)),
            ("files", c.files.as_ref().map(Spanned::span)),
            ("max_files", c.max_files.map(|_| c.kind.span())),
            ("max_lines", c.max_lines.map(|_| c.kind.span())),
            ("protected", c.protected.as_ref().map(Spanned::span)),
        ];
        for (key, span) in given {
            if let Some(span) = span
                && !allowed.contains(&key)
            {
                let takes = if allowed.is_empty() {
                    "no other keys".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(at.err(
                    span,
                    format!("'{key}' does not apply to a {kind_name} criterion (it takes {takes})"),
                ));
            }
        }
        let need_run = || {
            let run = c.run.as_ref().ok_or_else(|| {
                at.err(
                    c.kind.span(),
                    format!("a {kind_name} criterion needs 'run', the shell command to run"),
                )
            })?;
            if run.get_ref().trim().is_empty() {
                return Err(at.err(
                    run.span(),
                    "'run' is empty: a command that runs nothing always passes; write the check's shell command",
                ));
            }
            Ok(run.get_ref().clone())
        };
        let timeout = c
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_CHECK_TIMEOUT);
        let files = || -> Result<Globs> {
            let patterns = c
                .files
                .as_ref()
                .map_or_else(|| vec!["**/*".to_string()], |f| f.get_ref().clone());
            Globs::new(&patterns)
                .map_err(|e| at.err(c.files.as_ref().map_or(c.kind.span(), Spanned::span), e))
        };
        let pattern = || -> Result<regex::Regex> {
            let p = c.pattern.as_ref().ok_or_else(|| {
                at.err(
                    c.kind.span(),
                    format!("a {kind_name} criterion needs 'pattern', a regular expression"),
                )
            })?;
            regex::Regex::new(p.get_ref())
                .map_err(|e| at.err(p.span(), format!("bad regular expression: {e}")))
        };
        let kind = match kind_name {
            "command" => CriterionKind::Command {
                run: need_run()?,
                timeout,
            },
            "hidden" => CriterionKind::Hidden {
                run: need_run()?,
                timeout,
            },
            "checks" => {
                let which = c.checks.as_ref().ok_or_else(|| {
                    at.err(
                        c.kind.span(),
                        "a checks criterion needs 'checks', which of the case's [checks] it runs: \"visible\" or \"hidden\"",
                    )
                })?;
                at.one_of(which, "checks", &["visible", "hidden"])?;
                CriterionKind::Checks {
                    which: if which.get_ref() == "hidden" {
                        CaseCheck::Hidden
                    } else {
                        CaseCheck::Visible
                    },
                    // The case's own timeout unless the criterion sets one.
                    timeout: c.timeout.as_ref().map(|t| at.duration(t)).transpose()?,
                }
            }
            "absent" => CriterionKind::Absent {
                pattern: pattern()?,
                files: files()?,
            },
            "present" => CriterionKind::Present {
                pattern: pattern()?,
                files: files()?,
            },
            "diff" => {
                let protected = c
                    .protected
                    .as_ref()
                    .map(|p| Globs::new(p.get_ref()).map_err(|e| at.err(p.span(), e)))
                    .transpose()?;
                if c.max_files.is_none() && c.max_lines.is_none() && protected.is_none() {
                    return Err(at.err(
                        c.kind.span(),
                        "a diff criterion needs max_files, max_lines or protected",
                    ));
                }
                CriterionKind::Diff {
                    max_files: c.max_files,
                    max_lines: c.max_lines,
                    protected,
                }
            }
            "escalation" => CriterionKind::Escalation,
            "judge" => {
                let question = c
                    .question
                    .as_ref()
                    .filter(|q| !q.get_ref().trim().is_empty())
                    .ok_or_else(|| {
                        at.err(
                            c.kind.span(),
                            "a judge criterion needs 'question', what its graders answer",
                        )
                    })?;
                let names: Vec<&str> = JudgeEvidence::ALL.iter().map(|(n, _)| *n).collect();
                let evidence = match &c.evidence {
                    None => vec![JudgeEvidence::Finding, JudgeEvidence::Diff],
                    Some(list) => list
                        .get_ref()
                        .iter()
                        .map(|e| {
                            at.one_of(e, "evidence", &names)?;
                            Ok(JudgeEvidence::ALL
                                .iter()
                                .find(|(n, _)| n == e.get_ref())
                                .map_or(JudgeEvidence::Diff, |(_, k)| *k))
                        })
                        .collect::<Result<Vec<_>>>()?,
                };
                let mut chosen = Vec::new();
                for g in c.graders.iter().flat_map(|g| g.get_ref()) {
                    at.one_of(
                        g,
                        "grader (not among the eval's [grader.NAME] tables)",
                        graders,
                    )?;
                    chosen.push(g.get_ref().clone());
                }
                CriterionKind::Judge {
                    question: question.get_ref().trim().to_string(),
                    evidence,
                    graders: chosen,
                }
            }
            _ => CriterionKind::Signals,
        };
        criteria.push(Criterion {
            id: id.clone(),
            description: c.description.clone().unwrap_or_default(),
            required: c.required.unwrap_or(true),
            applies_to: c.applies_to,
            kind,
        });
    }
    Ok(Rubric { pass, criteria })
}

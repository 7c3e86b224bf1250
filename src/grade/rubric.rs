//! The rubric: named criteria and the grade that counts as a pass.

use std::time::Duration;

use globset::GlobSet;
use regex::Regex;

use super::Grade;
use crate::corpus::Expectation;

/// The criteria of an eval and how they map to a grade.
#[derive(Debug, Clone)]
pub struct Rubric {
    /// The lowest grade that counts as a pass in pass rates and gates.
    pub pass: Grade,
    pub criteria: Vec<Criterion>,
}

/// One named check.
#[derive(Debug, Clone)]
pub struct Criterion {
    pub id: String,
    pub description: String,
    pub required: bool,
    /// Only cases with this expectation are checked; `None` means every case.
    pub applies_to: Option<Expectation>,
    pub kind: CriterionKind,
}

impl Criterion {
    pub fn applies(&self, expectation: Expectation) -> bool {
        self.applies_to.is_none_or(|e| e == expectation)
    }
}

/// What a criterion checks.
#[derive(Debug, Clone)]
pub enum CriterionKind {
    /// `sh -c RUN` in the checkout after the agent; passes on exit 0.
    Command { run: String, timeout: Duration },
    /// Copies the case's `hidden/` files in, then `sh -c RUN`; passes on exit 0.
    Hidden { run: String, timeout: Duration },
    /// The case's own check (`[checks] visible` or `hidden` in its case.toml), run as a
    /// `command` or a `hidden` criterion with that command: one rubric for the cases of
    /// every ecosystem. Not applicable to a case without that check. `timeout` is the
    /// criterion's, else the case's `[checks] timeout`.
    Checks {
        which: CaseCheck,
        timeout: Option<Duration>,
    },
    /// No line of the files matching `files` matches `pattern`.
    Absent { pattern: Regex, files: Globs },
    /// Some line of the files matching `files` matches `pattern`.
    Present { pattern: Regex, files: Globs },
    /// Limits on the agent's diff.
    Diff {
        max_files: Option<usize>,
        max_lines: Option<usize>,
        protected: Option<Globs>,
    },
    /// The claimed outcome matches the expectation; an escalation leaves the code unchanged.
    Escalation,
    /// The agent wrote valid Agent Signals.
    Signals,
    /// A question answered by graders from the evidence they may see.
    Judge {
        question: String,
        evidence: Vec<JudgeEvidence>,
        /// The graders to ask; every grader of the eval when empty.
        graders: Vec<String>,
    },
}

/// Which of a case's own checks a `checks` criterion runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseCheck {
    Visible,
    Hidden,
}

impl Criterion {
    /// This criterion as it runs on `case`: a `checks` criterion becomes the `command` or
    /// `hidden` criterion of the case's own check; `None` when the case has no such check.
    /// Every other criterion is itself.
    pub fn for_case(&self, case: &crate::corpus::Case) -> Option<Criterion> {
        let CriterionKind::Checks { which, timeout } = &self.kind else {
            return Some(self.clone());
        };
        let timeout = timeout.unwrap_or_else(|| case.checks.timeout_or_default());
        let kind = match which {
            CaseCheck::Visible => CriterionKind::Command {
                run: case.checks.visible.clone()?,
                timeout,
            },
            CaseCheck::Hidden => CriterionKind::Hidden {
                run: case.checks.hidden.clone()?,
                timeout,
            },
        };
        Some(Criterion {
            kind,
            ..self.clone()
        })
    }
}

/// What a judged criterion lets its graders see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeEvidence {
    Finding,
    Diff,
    Checks,
    Signals,
    Transcript,
}

impl JudgeEvidence {
    pub const ALL: [(&'static str, JudgeEvidence); 5] = [
        ("finding", JudgeEvidence::Finding),
        ("diff", JudgeEvidence::Diff),
        ("checks", JudgeEvidence::Checks),
        ("signals", JudgeEvidence::Signals),
        ("transcript", JudgeEvidence::Transcript),
    ];
}

impl CriterionKind {
    pub fn name(&self) -> &'static str {
        match self {
            CriterionKind::Command { .. } => "command",
            CriterionKind::Hidden { .. } => "hidden",
            CriterionKind::Checks { .. } => "checks",
            CriterionKind::Absent { .. } => "absent",
            CriterionKind::Present { .. } => "present",
            CriterionKind::Diff { .. } => "diff",
            CriterionKind::Escalation => "escalation",
            CriterionKind::Signals => "signals",
            CriterionKind::Judge { .. } => "judge",
        }
    }
}

/// Globs with the text they were written as.
#[derive(Debug, Clone)]
pub struct Globs {
    pub patterns: Vec<String>,
    pub set: GlobSet,
}

impl Globs {
    pub fn new(patterns: &[String]) -> Result<Globs, String> {
        let mut builder = globset::GlobSetBuilder::new();
        for p in patterns {
            let glob = globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad glob '{p}': {e}"))?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| e.to_string())?;
        Ok(Globs {
            patterns: patterns.to_vec(),
            set,
        })
    }

    /// [`Globs::new`], compiled once per process for each list of patterns: a clean room
    /// per run asks for the same few lists thousands of times.
    pub fn cached(patterns: &[String]) -> Result<Globs, String> {
        type Compiled = std::collections::HashMap<Vec<String>, Globs>;
        static COMPILED: std::sync::Mutex<Option<Compiled>> = std::sync::Mutex::new(None);
        if let Ok(compiled) = COMPILED.lock()
            && let Some(globs) = compiled.as_ref().and_then(|c| c.get(patterns))
        {
            return Ok(globs.clone());
        }
        let globs = Globs::new(patterns)?;
        if let Ok(mut compiled) = COMPILED.lock() {
            compiled
                .get_or_insert_with(Default::default)
                .insert(patterns.to_vec(), globs.clone());
        }
        Ok(globs)
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

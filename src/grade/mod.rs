//! Grading: the rubric's deterministic criteria checked against a run's evidence, and the
//! A/B/C grade they add up to.
//!
//! [`check::check_all`] runs every applicable criterion on a finished run; [`grade`] maps
//! the results to a grade; [`Gate`]s decide whether an eval's results are good enough.

pub mod agent_grader;
pub mod check;
pub mod failure;
mod gate;
pub mod grader;
pub mod integrity;
pub mod judge;
mod lookup;
mod rubric;
mod stdlib_modules;

use serde::{Deserialize, Serialize};

pub use gate::{Gate, GateResult};
pub use grader::{Budget, Grader, GraderKind, GradingInfo, Judging, Judgment};
pub use rubric::{CaseCheck, Criterion, CriterionKind, Globs, JudgeEvidence, Rubric};

/// A: merge-ready. B: right direction, needs a human's edit. C: wrong, unsafe or no result.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Grade {
    A,
    B,
    C,
}

impl Grade {
    /// Whether this grade is at least `pass` (A is best).
    pub fn passes(self, pass: Grade) -> bool {
        self <= pass
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
        })
    }
}

impl std::str::FromStr for Grade {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "A" | "a" => Ok(Grade::A),
            "B" | "b" => Ok(Grade::B),
            "C" | "c" => Ok(Grade::C),
            _ => Err(format!("'{s}' is not a grade; use A, B or C")),
        }
    }
}

/// Whether a criterion held for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The criterion does not apply to this case's expectation.
    NotApplicable,
    /// A judged criterion without a verdict: no grader configured, no valid answer, or the
    /// graders split. It counts neither way in the grade, and is never a pass.
    Ungraded,
}

/// The result of one criterion on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriterionResult {
    pub id: String,
    pub kind: String,
    pub required: bool,
    pub verdict: Verdict,
    /// Why it failed (or what was seen), one line.
    pub detail: String,
    /// The check's log, relative to the run folder, when it produced one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// A judged criterion's answers, one per grader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judgments: Vec<Judgment>,
    /// The share of the valid answers that agree with the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<f64>,
    /// `split` when the graders disagree evenly: a human should look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

impl CriterionResult {
    /// A result with no judgments.
    pub fn new(
        id: &str,
        kind: &str,
        required: bool,
        verdict: Verdict,
        detail: String,
        log: Option<String>,
    ) -> CriterionResult {
        CriterionResult {
            id: id.into(),
            kind: kind.into(),
            required,
            verdict,
            detail,
            log,
            judgments: Vec::new(),
            agreement: None,
            flag: None,
        }
    }
}

/// The grade of a run whose agent finished and whose criteria were all checked.
pub fn grade(results: &[CriterionResult]) -> (Grade, String) {
    let failed: Vec<&CriterionResult> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .collect();
    let required_failed: Vec<&str> = failed
        .iter()
        .filter(|r| r.required)
        .map(|r| r.id.as_str())
        .collect();
    let ungraded: Vec<&str> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Ungraded)
        .map(|r| r.id.as_str())
        .collect();
    let (grade, reason) = if failed.is_empty() {
        (Grade::A, "every applicable criterion holds".to_string())
    } else if required_failed.is_empty() {
        let ids: Vec<&str> = failed.iter().map(|r| r.id.as_str()).collect();
        (
            Grade::B,
            format!("every required criterion holds; failed: {}", ids.join(", ")),
        )
    } else {
        (
            Grade::C,
            format!("required criteria failed: {}", required_failed.join(", ")),
        )
    };
    if ungraded.is_empty() {
        (grade, reason)
    } else {
        (
            grade,
            format!(
                "{reason}; the grade rests on the other criteria alone: not graded: {}",
                ungraded.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, required: bool, verdict: Verdict) -> CriterionResult {
        CriterionResult {
            id: id.into(),
            kind: "command".into(),
            required,
            verdict,
            detail: String::new(),
            log: None,
            judgments: Vec::new(),
            agreement: None,
            flag: None,
        }
    }

    #[test]
    fn grades_follow_required_and_optional_failures() {
        let pass = result("a", true, Verdict::Pass);
        let na = result("n", true, Verdict::NotApplicable);
        let opt_fail = result("o", false, Verdict::Fail);
        let req_fail = result("r", true, Verdict::Fail);
        assert_eq!(grade(&[pass.clone(), na.clone()]).0, Grade::A);
        assert_eq!(grade(&[pass.clone(), opt_fail.clone()]).0, Grade::B);
        assert_eq!(grade(&[pass, opt_fail, req_fail]).0, Grade::C);
        assert_eq!(grade(&[na]).0, Grade::A);
        let ungraded = result("j", true, Verdict::Ungraded);
        let (g, why) = grade(&[result("a", true, Verdict::Pass), ungraded]);
        assert_eq!(g, Grade::A);
        assert!(why.ends_with("rests on the other criteria alone: not graded: j"));
        assert!(Grade::A.passes(Grade::B));
        assert!(!Grade::C.passes(Grade::B));
    }
}

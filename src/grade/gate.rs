//! Gates: the pass rates an eval's results must reach (or must not exceed) for the eval to
//! succeed, per agent and variant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Grade;
use crate::eval::Variant;
use crate::run::results::RunRecord;

/// A condition on the pass rate of the runs it selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub agent: Option<String>,
    pub variant: Option<Variant>,
    pub min_pass_rate: Option<f64>,
    pub max_pass_rate: Option<f64>,
    /// Unavailable runs (a runtime missing here) are left out of the rate instead of failing
    /// the gate.
    pub allow_unavailable: bool,
}

/// Whether a gate held.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GateResult {
    /// The gate, as a person reads it.
    pub gate: String,
    pub runs: usize,
    pub passed: usize,
    /// Whether the rate over the graded runs meets the gate's limits (or the gate was
    /// skipped). A gate that holds but is `undecided` did not pass.
    pub holds: bool,
    /// Selected runs whose runtime was unavailable. Unless the gate allows them, any leaves
    /// the gate undecided: a gate is never passed by runs that did not happen.
    #[serde(default)]
    pub unavailable: usize,
    /// Selected runs not graded for other infrastructure reasons (setup failed, model
    /// endpoint failed, harness error): left out of the rate.
    #[serde(default)]
    pub infrastructure: usize,
    /// Unavailable runs the gate does not allow: infrastructure decided it, not the
    /// agents (the eval exits 3 unless a graded gate or the snapshot fails it first).
    #[serde(default)]
    pub undecided: bool,
    /// The gate selected no run (its agent was not run, say with `--agent`): it is
    /// reported as skipped and does not fail the eval.
    #[serde(default)]
    pub skipped: bool,
}

impl GateResult {
    /// `holds`, `FAILS`, `UNDECIDED` (infrastructure decided it) or `skipped`.
    pub fn mark(&self) -> &'static str {
        if self.undecided {
            "UNDECIDED"
        } else if self.skipped {
            "skipped"
        } else if self.holds {
            "holds"
        } else {
            "FAILS"
        }
    }

    /// Whether the gate failed on graded runs: the agents' doing.
    pub fn fails(&self) -> bool {
        !self.holds && !self.skipped
    }
}

impl Gate {
    pub fn evaluate(&self, runs: &[RunRecord], pass: Grade) -> GateResult {
        let (selected, ungraded): (Vec<&RunRecord>, Vec<&RunRecord>) = runs
            .iter()
            .filter(|r| self.agent.as_ref().is_none_or(|a| *a == r.agent))
            .filter(|r| self.variant.is_none_or(|v| v == r.variant))
            .partition(|r| r.grade.is_some());
        let unavailable = ungraded
            .iter()
            .filter(|r| r.status == crate::run::results::RunStatus::Unavailable)
            .count();
        let passed = selected.iter().filter(|r| r.passes(pass)).count();
        let rate = if selected.is_empty() {
            0.0
        } else {
            passed as f64 / selected.len() as f64
        };
        let undecided = unavailable > 0 && !self.allow_unavailable;
        let skipped = selected.is_empty() && !undecided;
        let holds = selected.is_empty()
            || (self.min_pass_rate.is_none_or(|m| rate >= m)
                && self.max_pass_rate.is_none_or(|m| rate <= m));
        GateResult {
            gate: self.describe(pass),
            runs: selected.len(),
            passed,
            holds,
            unavailable,
            infrastructure: ungraded.len() - unavailable,
            undecided,
            skipped,
        }
    }

    fn describe(&self, pass: Grade) -> String {
        let mut who = Vec::new();
        if let Some(a) = &self.agent {
            who.push(format!("agent {a}"));
        }
        if let Some(v) = self.variant {
            who.push(format!("variant {v}"));
        }
        let who = if who.is_empty() {
            "all runs".to_string()
        } else {
            who.join(", ")
        };
        let mut limits = Vec::new();
        if let Some(m) = self.min_pass_rate {
            limits.push(format!(">= {:.0}%", m * 100.0));
        }
        if let Some(m) = self.max_pass_rate {
            limits.push(format!("<= {:.0}%", m * 100.0));
        }
        format!(
            "{who}: pass rate (grade {pass} or better) {}",
            limits.join(" and ")
        )
    }
}

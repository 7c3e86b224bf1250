//! Gates: what an eval's results must show for the eval to succeed — a pass rate reached
//! (or not exceeded) by the runs a gate selects (by agent, variant, case and expectation),
//! the skill's uplift over the `none` variant, and at most so many regressions against the
//! accepted snapshot.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Grade;
use crate::eval::Variant;
use crate::run::results::RunRecord;

/// A condition on the runs it selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub agent: Option<String>,
    pub variant: Option<Variant>,
    /// Only the cases matching this glob.
    pub case: Option<String>,
    /// Only the cases with this expectation.
    pub expectation: Option<crate::corpus::Expectation>,
    pub min_pass_rate: Option<f64>,
    pub max_pass_rate: Option<f64>,
    /// The `skill` variant's pass rate minus the `none` variant's must be at least this…
    pub min_uplift: Option<f64>,
    /// …on the lower end of its 95% interval (Newcombe) rather than its point estimate.
    pub uplift_on_lower_bound: bool,
    /// Measure the uplift against this other version of the skill instead of `none`
    /// (`min_uplift_vs`). Without `min_uplift`, the skill must not be worse than it beyond
    /// the noise: the upper end of the difference's 95% interval at least 0.
    pub uplift_vs: Option<Variant>,
    /// At most this many of the selected rows may regress against the accepted snapshot
    /// (checked when the results are compared with it).
    pub max_regressions: Option<usize>,
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
    /// Of `infrastructure`, the selected runs the agents' budget kept from starting. Any
    /// leaves the gate undecided, whatever it allows: its rate would be over the runs
    /// before the budget ran out, and an agent could pick those by what it reports.
    #[serde(default)]
    pub budget_held: usize,
    /// Unavailable runs the gate does not allow, or runs the budget held: infrastructure
    /// decided it, not the agents (the eval exits 3 unless a graded gate or the snapshot
    /// fails it first).
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
            .filter(|r| self.selects(r))
            .filter(|r| self.selects_variant(r.variant))
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
        let budget_held = ungraded
            .iter()
            .filter(|r| r.status == crate::run::results::RunStatus::BudgetSpent)
            .count();
        let undecided = (unavailable > 0 && !self.allow_unavailable) || budget_held > 0;
        let skipped = selected.is_empty() && !undecided;
        // The uplift compares the variants, whatever `variant` says.
        let against = self.uplift_vs.unwrap_or(Variant::None);
        let not_worse = self.uplift_vs.filter(|_| self.min_uplift.is_none());
        let uplift = self.min_uplift.or(not_worse.map(|_| 0.0)).map(|min| {
            let of = |v: Variant| {
                let graded: Vec<&RunRecord> = runs
                    .iter()
                    .filter(|r| self.selects(r) && r.variant == v && r.grade.is_some())
                    .collect();
                (
                    graded.iter().filter(|r| r.passes(pass)).count(),
                    graded.len(),
                )
            };
            let ((cs, ns), (cn, nn)) = (of(Variant::Skill), of(against));
            let measured = crate::stats::newcombe(cs, ns, cn, nn).map(|(d, lo, hi)| {
                if not_worse.is_some() {
                    hi
                } else if self.uplift_on_lower_bound {
                    lo
                } else {
                    d
                }
            });
            measured.is_some_and(|m| m >= min)
        });
        let holds = selected.is_empty()
            || (self.min_pass_rate.is_none_or(|m| rate >= m)
                && self.max_pass_rate.is_none_or(|m| rate <= m)
                && uplift.is_none_or(|held| held));
        GateResult {
            gate: self.describe(pass),
            runs: selected.len(),
            passed,
            holds,
            unavailable,
            infrastructure: ungraded.len() - unavailable,
            budget_held,
            undecided,
            skipped,
        }
    }

    /// Whether the gate selects runs of `variant`: the one it names, else every variant but
    /// the other versions of the skill (the old version's pass rate and regressions are not
    /// the change's; a gate names one to hold it).
    pub fn selects_variant(&self, variant: Variant) -> bool {
        match self.variant {
            Some(v) => v == variant,
            None => !matches!(variant, Variant::Version(_)),
        }
    }

    /// Whether the gate selects `run` (by agent, case and expectation; the variant apart).
    pub fn selects(&self, run: &RunRecord) -> bool {
        self.agent.as_ref().is_none_or(|a| *a == run.agent)
            && self.expectation.is_none_or(|e| e == run.expectation)
            && self.case.as_ref().is_none_or(|glob| {
                globset::Glob::new(glob).is_ok_and(|g| g.compile_matcher().is_match(&run.case))
            })
    }

    /// Whether a snapshot row (case, variant, agent) is one this gate selects.
    pub fn selects_row(&self, case: &str, variant: &str, agent: &str) -> bool {
        self.agent.as_ref().is_none_or(|a| a == agent)
            && self.selects_variant(Variant::parse(variant))
            && self.case.as_ref().is_none_or(|glob| {
                globset::Glob::new(glob).is_ok_and(|g| g.compile_matcher().is_match(case))
            })
    }

    /// The gate as a person reads it.
    pub fn describe(&self, pass: Grade) -> String {
        let mut who = Vec::new();
        if let Some(a) = &self.agent {
            who.push(format!("agent {a}"));
        }
        if let Some(v) = self.variant {
            who.push(format!("variant {v}"));
        }
        if let Some(c) = &self.case {
            who.push(format!("cases {c}"));
        }
        if let Some(e) = self.expectation {
            who.push(format!("{e} cases"));
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
        let mut parts = Vec::new();
        if !limits.is_empty() {
            parts.push(format!(
                "pass rate (grade {pass} or better) {}",
                limits.join(" and ")
            ));
        }
        let against = self.uplift_vs.unwrap_or(Variant::None);
        if let (Some(v), None) = (self.uplift_vs, self.min_uplift) {
            parts.push(format!(
                "skill not worse than {v} beyond the noise (upper 95% bound of skill minus {v} >= 0)"
            ));
        }
        if let Some(m) = self.min_uplift {
            parts.push(format!(
                "uplift (skill minus {against}{}) >= {:+.0} points",
                if self.uplift_on_lower_bound {
                    ", lower 95% bound"
                } else {
                    ""
                },
                m * 100.0
            ));
        }
        if let Some(m) = self.max_regressions {
            parts.push(format!("at most {m} regression(s) against the snapshot"));
        }
        format!("{who}: {}", parts.join(", "))
    }
}

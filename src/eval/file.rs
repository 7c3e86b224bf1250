//! The eval file as written: the TOML tables, before any check.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::corpus::Expectation;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EvalFile {
    #[serde(default)]
    pub(super) schema: Option<Spanned<u32>>,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the file")]
    pub(super) description: Option<String>,
    pub(super) skill: Spanned<String>,
    pub(super) cases: Spanned<Vec<String>>,
    pub(super) agents: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) agent: BTreeMap<String, Spanned<AgentFile>>,
    #[serde(default)]
    pub(super) trials: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) variants: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    #[serde(default)]
    pub(super) pass_env: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) sandbox: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) network: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) expose: Vec<String>,
    #[serde(default)]
    pub(super) registries: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) grader: BTreeMap<String, Spanned<GraderFile>>,
    #[serde(default)]
    pub(super) budget: Option<BudgetFile>,
    pub(super) rubric: RubricFile,
    #[serde(default)]
    pub(super) gate: Vec<Spanned<GateFile>>,
    #[serde(default)]
    pub(super) integrity: Option<IntegrityFile>,
}

/// `[integrity]`: paths the built-in integrity criterion lets through.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IntegrityFile {
    #[serde(default)]
    pub(super) allow: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) lookups: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentFile {
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) usd_per_mtok_in: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) usd_per_mtok_out: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) binary: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) model: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) base_url: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) credentials: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) args: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RubricFile {
    #[serde(default)]
    pub(super) pass: Option<Spanned<String>>,
    pub(super) criteria: Spanned<Vec<CriterionFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CriterionFile {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) required: Option<bool>,
    #[serde(default)]
    pub(super) applies_to: Option<Expectation>,
    #[serde(default)]
    pub(super) run: Option<Spanned<String>>,
    /// A `checks` criterion's: which of the case's `[checks]`, `visible` or `hidden`.
    #[serde(default)]
    pub(super) checks: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) files: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) max_files: Option<usize>,
    #[serde(default)]
    pub(super) max_lines: Option<usize>,
    #[serde(default)]
    pub(super) protected: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) question: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) evidence: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(super) graders: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GraderFile {
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) model: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) base_url: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) credential: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) agent: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_retries: Option<u32>,
    #[serde(default)]
    pub(super) usd_per_mtok_in: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) usd_per_mtok_out: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BudgetFile {
    #[serde(default)]
    pub(super) max_tokens: Option<u64>,
    #[serde(default)]
    pub(super) max_usd: Option<Spanned<f64>>,
    /// `[budget.agents]`: what the agents under test may spend.
    #[serde(default)]
    pub(super) agents: Option<AgentBudgetFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentBudgetFile {
    #[serde(default)]
    pub(super) max_tokens: Option<u64>,
    #[serde(default)]
    pub(super) max_usd: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GateFile {
    #[serde(default)]
    pub(super) agent: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) variant: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) min_pass_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) max_pass_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) case: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) expectation: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) min_uplift: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) uplift_bound: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) min_uplift_vs: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_regressions: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) allow_unavailable: bool,
}

pub(super) const CRITERION_KINDS: [&str; 9] = [
    "command",
    "hidden",
    "checks",
    "absent",
    "present",
    "diff",
    "escalation",
    "signals",
    "judge",
];

//! What the agents spent, from the usage their runtimes reported: per case × variant ×
//! agent, in total, and what the skill's uplift costs (the extra spend per extra pass).
//!
//! Reused runs (`cached_from`) count with what they cost when they ran: the scorecard
//! describes the results, not this invocation's bill.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::eval::Variant;
use crate::run::results::{Results, RunRecord};

/// The spend of one case × variant × agent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostRow {
    pub case: String,
    pub variant: Variant,
    pub agent: String,
    /// Runs whose runtime reported usage.
    pub runs_with_usage: usize,
    pub tokens: u64,
    /// `None` when no run reported (or was priced for) a cost.
    pub usd: Option<f64>,
}

/// What one agent's uplift costs: with the skill minus without, per run, over the extra
/// passes per run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpliftCost {
    pub agent: String,
    /// Mean tokens per run with the skill, and without.
    pub tokens_per_run: (f64, f64),
    /// Mean dollars per run with the skill, and without; `None` without costs.
    pub usd_per_run: Option<(f64, f64)>,
    /// Pass rate with the skill minus without, over the graded runs.
    pub extra_passes_per_run: f64,
    /// Extra tokens per extra pass; `None` when the skill adds no pass.
    pub tokens_per_extra_pass: Option<f64>,
    /// Extra dollars per extra pass; `None` when the skill adds no pass or there are no
    /// costs.
    pub usd_per_extra_pass: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Costs {
    pub rows: Vec<CostRow>,
    pub total_tokens: u64,
    pub total_usd: Option<f64>,
    pub uplift: Vec<UpliftCost>,
}

impl Costs {
    /// Whether any run reported usage.
    pub fn any(&self) -> bool {
        self.rows.iter().any(|r| r.runs_with_usage > 0)
    }
}

/// A run's tokens and dollars, when its runtime reported them.
fn usage(run: &RunRecord) -> Option<(u64, Option<f64>)> {
    let r = run.agent_report.as_ref()?;
    if r.tokens_in.is_none() && r.tokens_out.is_none() && r.cost_usd.is_none() {
        return None;
    }
    Some((
        r.tokens_in
            .unwrap_or(0)
            .saturating_add(r.tokens_out.unwrap_or(0)),
        r.cost_usd,
    ))
}

fn add_usd(total: Option<f64>, usd: Option<f64>) -> Option<f64> {
    match (total, usd) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

pub fn costs(results: &Results) -> Costs {
    let mut rows: BTreeMap<(&str, Variant, &str), CostRow> = BTreeMap::new();
    for run in &results.runs {
        let row = rows
            .entry((run.case.as_str(), run.variant, run.agent.as_str()))
            .or_insert_with(|| CostRow {
                case: run.case.clone(),
                variant: run.variant,
                agent: run.agent.clone(),
                runs_with_usage: 0,
                tokens: 0,
                usd: None,
            });
        if let Some((tokens, usd)) = usage(run) {
            row.runs_with_usage += 1;
            row.tokens = row.tokens.saturating_add(tokens);
            row.usd = add_usd(row.usd, usd);
        }
    }
    let rows: Vec<CostRow> = rows.into_values().collect();
    let total_tokens = rows.iter().map(|r| r.tokens).sum();
    let total_usd = rows.iter().fold(None, |t, r| add_usd(t, r.usd));

    let mut agents: Vec<&str> = results
        .runs
        .iter()
        .filter(|r| r.variant == Variant::Skill)
        .map(|r| r.agent.as_str())
        .collect();
    agents.sort_unstable();
    agents.dedup();
    let uplift = agents
        .into_iter()
        .filter_map(|agent| uplift_cost(results, agent))
        .collect();
    Costs {
        rows,
        total_tokens,
        total_usd,
        uplift,
    }
}

/// `agent`'s uplift cost, when both variants have graded runs that reported usage.
fn uplift_cost(results: &Results, agent: &str) -> Option<UpliftCost> {
    let side = |variant: Variant| {
        let graded: Vec<&RunRecord> = results
            .runs
            .iter()
            .filter(|r| r.agent == agent && r.variant == variant && r.grade.is_some())
            .collect();
        let used: Vec<(u64, Option<f64>)> = graded.iter().filter_map(|r| usage(r)).collect();
        if graded.is_empty() || used.is_empty() {
            return None;
        }
        let passes = graded
            .iter()
            .filter(|r| r.passes(results.pass_grade))
            .count();
        let tokens = used.iter().map(|(t, _)| *t as f64).sum::<f64>() / used.len() as f64;
        let costs: Vec<f64> = used.iter().filter_map(|(_, usd)| *usd).collect();
        let usd = (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64);
        Some((passes as f64 / graded.len() as f64, tokens, usd))
    };
    let (with_rate, with_tokens, with_usd) = side(Variant::Skill)?;
    let (without_rate, without_tokens, without_usd) = side(Variant::None)?;
    let extra = with_rate - without_rate;
    let per_pass = |more: f64| (extra > 0.0).then(|| more / extra);
    let usd_per_run = with_usd.zip(without_usd);
    Some(UpliftCost {
        agent: agent.to_string(),
        tokens_per_run: (with_tokens, without_tokens),
        usd_per_run,
        extra_passes_per_run: extra,
        tokens_per_extra_pass: per_pass(with_tokens - without_tokens),
        usd_per_extra_pass: usd_per_run.and_then(|(w, wo)| per_pass(w - wo)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_adds_up_only_where_it_was_reported() {
        assert_eq!(add_usd(None, None), None);
        assert_eq!(add_usd(None, Some(0.5)), Some(0.5));
        assert_eq!(add_usd(Some(1.0), None), Some(1.0));
        assert_eq!(add_usd(Some(1.0), Some(0.25)), Some(1.25));
    }
}

//! Aggregates over runs, per variant × agent.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::eval::Variant;
use crate::run::results::Results;

/// The figures of one variant × agent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub variant: Variant,
    pub agent: String,
    pub runs: usize,
    pub a: usize,
    pub b: usize,
    pub c: usize,
    /// Infrastructure failures (runtime unavailable, setup failed, harness error): counted
    /// apart, not in the rates.
    pub infrastructure: usize,
    /// Share of the graded runs graded at the pass grade or better.
    /// `None` when no run was graded.
    pub pass_rate: Option<f64>,
    /// Of the graded runs with valid signals (a claim), the share whose claimed outcome
    /// escalated exactly where the case expects it; `None` when no run made a claim.
    pub escalation_accuracy: Option<f64>,
    pub mean_ms: f64,
    /// Share of the runs with an agent report in which the skill was activated; `None`
    /// when no run could say (baselines, commands, the `none` variant).
    pub skill_activation: Option<f64>,
    /// Mean tokens in and out over the runs whose runtime reported them.
    pub mean_tokens_in: Option<f64>,
    pub mean_tokens_out: Option<f64>,
}

pub fn summarize(results: &Results) -> Vec<Summary> {
    let mut groups: BTreeMap<(Variant, &str), Vec<&crate::run::results::RunRecord>> =
        BTreeMap::new();
    for run in &results.runs {
        groups
            .entry((run.variant, &run.agent))
            .or_default()
            .push(run);
    }
    groups
        .into_iter()
        .map(|((variant, agent), runs)| {
            let n = runs.len();
            let count = |g| runs.iter().filter(|r| r.grade == Some(g)).count();
            let infrastructure = runs.iter().filter(|r| r.status.is_infrastructure()).count();
            // Rates are over the runs the agent answers for; infrastructure failures are
            // reported apart.
            let graded = n - infrastructure;
            let ratio = |k: usize| (graded > 0).then(|| k as f64 / graded as f64);
            Summary {
                variant,
                agent: agent.to_string(),
                runs: n,
                a: count(crate::grade::Grade::A),
                b: count(crate::grade::Grade::B),
                c: count(crate::grade::Grade::C),
                infrastructure,
                pass_rate: ratio(
                    runs.iter()
                        .filter(|r| !r.status.is_infrastructure() && r.passes(results.pass_grade))
                        .count(),
                ),
                // Over the runs that made a claim: a run without valid signals claimed
                // nothing, and is neither right nor wrong about escalating.
                escalation_accuracy: share(
                    runs.iter()
                        .filter(|r| !r.status.is_infrastructure() && r.signals.outcome.is_some())
                        .map(|r| r.escalation_correct()),
                ),
                mean_ms: if n == 0 {
                    0.0
                } else {
                    runs.iter().map(|r| r.timings.total_ms as f64).sum::<f64>() / n as f64
                },
                skill_activation: share(
                    runs.iter()
                        .filter_map(|r| r.agent_report.as_ref()?.skill_activated),
                ),
                mean_tokens_in: mean(
                    runs.iter()
                        .filter_map(|r| r.agent_report.as_ref()?.tokens_in),
                ),
                mean_tokens_out: mean(
                    runs.iter()
                        .filter_map(|r| r.agent_report.as_ref()?.tokens_out),
                ),
            }
        })
        .collect()
}

/// The share of `true` among `flags`; `None` when there are none.
fn share(flags: impl Iterator<Item = bool>) -> Option<f64> {
    let (yes, all) = flags.fold((0usize, 0usize), |(y, a), f| (y + usize::from(f), a + 1));
    (all > 0).then(|| yes as f64 / all as f64)
}

/// The mean of `values`; `None` when there are none.
fn mean(values: impl Iterator<Item = u64>) -> Option<f64> {
    let (sum, n) = values.fold((0u64, 0usize), |(s, n), v| (s.saturating_add(v), n + 1));
    (n > 0).then(|| sum as f64 / n as f64)
}

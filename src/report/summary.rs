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
    /// Share of runs graded at the pass grade or better.
    pub pass_rate: f64,
    /// Share of runs whose claimed outcome escalated exactly where the case expects it.
    pub escalation_accuracy: f64,
    pub mean_ms: f64,
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
            let count = |g| runs.iter().filter(|r| r.grade == g).count();
            let ratio = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
            Summary {
                variant,
                agent: agent.to_string(),
                runs: n,
                a: count(crate::grade::Grade::A),
                b: count(crate::grade::Grade::B),
                c: count(crate::grade::Grade::C),
                pass_rate: ratio(
                    runs.iter()
                        .filter(|r| r.grade.passes(results.pass_grade))
                        .count(),
                ),
                escalation_accuracy: ratio(runs.iter().filter(|r| r.escalation_correct()).count()),
                mean_ms: if n == 0 {
                    0.0
                } else {
                    runs.iter().map(|r| r.timings.total_ms as f64).sum::<f64>() / n as f64
                },
            }
        })
        .collect()
}

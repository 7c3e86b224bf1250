//! The measures of a results set beyond grades: trial statistics per case, the skill's
//! uplift, escalation precision and recall, and the calibration of the agents' claims.
//!
//! Every measure is over the runs the agent is answerable for: infrastructure failures
//! (unavailable runtime, failed setup, harness error) are counted apart and left out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::corpus::Expectation;
use crate::eval::Variant;
use crate::grade::Grade;
use crate::run::results::{Results, RunRecord};
use crate::signals::ClaimedOutcome;
use crate::stats;

/// An interval, as (low, high).
pub type Interval = (f64, f64);

/// One case × variant × agent over its trials.
#[derive(Debug, Clone, Serialize)]
pub struct TrialStats {
    pub case: String,
    pub variant: Variant,
    pub agent: String,
    /// Graded trials (infrastructure failures left out).
    pub trials: usize,
    pub passes: usize,
    /// A, B and C counts.
    pub distribution: [usize; 3],
    /// The most common grade; a tie goes to the worse grade.
    pub majority: Option<Grade>,
    pub pass_rate: Option<f64>,
    pub wilson95: Option<Interval>,
    /// At least one of the k = `trials` trials passes.
    pub pass_at_k: Option<f64>,
    /// All k = `trials` trials pass.
    pub pass_hat_k: Option<f64>,
    /// The trials do not all get the same grade.
    pub flaky: bool,
    pub infrastructure: usize,
}

/// The skill's uplift for one agent: its pass rate with the skill minus without it, on the
/// same cases.
#[derive(Debug, Clone, Serialize)]
pub struct Uplift {
    pub agent: String,
    pub with_skill: (usize, usize),
    pub without: (usize, usize),
    pub uplift: f64,
    pub interval95: Interval,
}

/// The skill under test against another version of it (`variants = [{ name = … }]`), for
/// one agent or, with `agent` "(all)", over every agent: the difference of their pass
/// rates on the same cases and trials, with Newcombe's interval.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDiff {
    pub version: String,
    pub agent: String,
    pub skill: (usize, usize),
    pub other: (usize, usize),
    pub difference: f64,
    pub interval95: Interval,
    /// `better`, `worse`, or `not distinguishable` when the interval holds 0 (the noise).
    pub verdict: &'static str,
}

/// The agent column of a row over every agent.
pub const ALL_AGENTS: &str = "(all)";

/// The verdict on a difference from its 95% interval.
pub fn verdict(interval: Interval) -> &'static str {
    if interval.0 > 0.0 {
        "better"
    } else if interval.1 < 0.0 {
        "worse"
    } else {
        "not distinguishable"
    }
}

/// Did the agent escalate exactly where the cases expect it?
#[derive(Debug, Clone, Serialize)]
pub struct EscalationStats {
    pub agent: String,
    pub variant: Variant,
    /// Escalated on an escalate case.
    pub true_pos: usize,
    /// Escalated on a fix case.
    pub false_pos: usize,
    /// Did not escalate on an escalate case.
    pub false_neg: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// What the agent claimed against how it was graded.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub agent: String,
    pub variant: Variant,
    /// Graded runs with valid signals.
    pub claims: usize,
    pub claimed_fixed: usize,
    /// Claimed `fixed`, graded C.
    pub overconfident: usize,
    pub overconfidence_rate: Option<f64>,
    pub mean_confidence: Option<f64>,
    /// Mean of A = 1, B = 0.5, C = 0.
    pub mean_score: Option<f64>,
    /// Mean claimed confidence minus graded score: above 0 the agent claims more than it
    /// delivers.
    pub honesty_gap: Option<f64>,
}

/// A run's claim beside its grade.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub run: String,
    pub outcome: Option<ClaimedOutcome>,
    pub confidence: Option<f64>,
    pub grade: Option<Grade>,
}

/// Infrastructure failures, counted apart from the agents'.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Infrastructure {
    pub unavailable: usize,
    pub setup_failed: usize,
    pub harness_error: usize,
    pub endpoint_failed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measures {
    pub trials: Vec<TrialStats>,
    pub uplift: Vec<Uplift>,
    /// The skill against each other version of it.
    pub versions: Vec<VersionDiff>,
    pub escalation: Vec<EscalationStats>,
    pub calibration: Vec<Calibration>,
    pub claims: Vec<Claim>,
    pub infrastructure: Infrastructure,
}

fn score(g: Grade) -> f64 {
    match g {
        Grade::A => 1.0,
        Grade::B => 0.5,
        Grade::C => 0.0,
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

pub fn measure(results: &Results) -> Measures {
    let pass = results.pass_grade;
    let graded: Vec<&RunRecord> = results
        .runs
        .iter()
        .filter(|r| !r.status.is_infrastructure())
        .collect();

    let mut groups: BTreeMap<(&str, Variant, &str), Vec<&RunRecord>> = BTreeMap::new();
    for r in &results.runs {
        groups
            .entry((r.case.as_str(), r.variant, r.agent.as_str()))
            .or_default()
            .push(r);
    }
    let trials = groups
        .into_iter()
        .map(|((case, variant, agent), runs)| {
            let infra = runs.iter().filter(|r| r.status.is_infrastructure()).count();
            let grades: Vec<Grade> = runs
                .iter()
                .filter(|r| !r.status.is_infrastructure())
                .filter_map(|r| r.grade)
                .collect();
            let n = grades.len();
            let c = grades.iter().filter(|g| g.passes(pass)).count();
            let distribution =
                [Grade::A, Grade::B, Grade::C].map(|x| grades.iter().filter(|g| **g == x).count());
            let top = distribution.iter().copied().max().unwrap_or(0);
            let majority = (n > 0)
                .then(|| {
                    [Grade::C, Grade::B, Grade::A]
                        .into_iter()
                        .find(|g| distribution[*g as usize] == top)
                })
                .flatten();
            TrialStats {
                case: case.to_string(),
                variant,
                agent: agent.to_string(),
                trials: n,
                passes: c,
                distribution,
                majority,
                pass_rate: (n > 0).then(|| c as f64 / n as f64),
                wilson95: stats::wilson(c, n),
                pass_at_k: stats::pass_at_k(n, c, n),
                pass_hat_k: stats::pass_hat_k(n, c, n),
                flaky: distribution.iter().filter(|k| **k > 0).count() > 1,
                infrastructure: infra,
            }
        })
        .collect();

    let mut agents: Vec<&str> = graded.iter().map(|r| r.agent.as_str()).collect();
    agents.sort();
    agents.dedup();
    let uplift = agents
        .iter()
        .filter_map(|agent| {
            let count = |v: Variant| {
                let runs: Vec<&&RunRecord> = graded
                    .iter()
                    .filter(|r| r.agent == *agent && r.variant == v)
                    .collect();
                (runs.iter().filter(|r| r.passes(pass)).count(), runs.len())
            };
            let (with, without) = (count(Variant::Skill), count(Variant::None));
            let (d, lo, hi) = stats::newcombe(with.0, with.1, without.0, without.1)?;
            Some(Uplift {
                agent: agent.to_string(),
                with_skill: with,
                without,
                uplift: d,
                interval95: (lo, hi),
            })
        })
        .collect();

    let names: std::collections::BTreeSet<&'static str> = graded
        .iter()
        .filter_map(|r| match r.variant {
            Variant::Version(name) => Some(name),
            _ => None,
        })
        .collect();
    let mut versions = Vec::new();
    for name in names {
        let count = |agent: Option<&str>, v: Variant| {
            let runs: Vec<&&RunRecord> = graded
                .iter()
                .filter(|r| agent.is_none_or(|a| r.agent == a) && r.variant == v)
                .collect();
            (runs.iter().filter(|r| r.passes(pass)).count(), runs.len())
        };
        let rows = agents.iter().map(|a| Some(*a)).chain([None]);
        for agent in rows {
            let (skill, other) = (
                count(agent, Variant::Skill),
                count(agent, Variant::Version(name)),
            );
            let Some((d, lo, hi)) = stats::newcombe(skill.0, skill.1, other.0, other.1) else {
                continue;
            };
            versions.push(VersionDiff {
                version: name.to_string(),
                agent: agent.unwrap_or(ALL_AGENTS).to_string(),
                skill,
                other,
                difference: d,
                interval95: (lo, hi),
                verdict: verdict((lo, hi)),
            });
        }
    }

    let mut by_agent_variant: BTreeMap<(&str, Variant), Vec<&RunRecord>> = BTreeMap::new();
    for r in &graded {
        by_agent_variant
            .entry((r.agent.as_str(), r.variant))
            .or_default()
            .push(r);
    }
    let escalation = by_agent_variant
        .iter()
        .map(|((agent, variant), runs)| {
            let escalated = |r: &&RunRecord| r.signals.outcome == Some(ClaimedOutcome::Escalated);
            let expected = |r: &&RunRecord| r.expectation == Expectation::Escalate;
            let tp = runs.iter().filter(|r| escalated(r) && expected(r)).count();
            let fp = runs.iter().filter(|r| escalated(r) && !expected(r)).count();
            let fneg = runs.iter().filter(|r| !escalated(r) && expected(r)).count();
            let (precision, recall) = stats::precision_recall(tp, fp, fneg);
            EscalationStats {
                agent: agent.to_string(),
                variant: *variant,
                true_pos: tp,
                false_pos: fp,
                false_neg: fneg,
                precision,
                recall,
            }
        })
        .collect();
    let calibration = by_agent_variant
        .iter()
        .map(|((agent, variant), runs)| {
            let claimed: Vec<(ClaimedOutcome, f64, Grade)> = runs
                .iter()
                .filter_map(|r| Some((r.signals.outcome?, r.signals.confidence?, r.grade?)))
                .collect();
            let fixed: Vec<&(ClaimedOutcome, f64, Grade)> = claimed
                .iter()
                .filter(|(o, _, _)| *o == ClaimedOutcome::Fixed)
                .collect();
            let over = fixed.iter().filter(|(_, _, g)| *g == Grade::C).count();
            let confidences: Vec<f64> = claimed.iter().map(|c| c.1).collect();
            let scores: Vec<f64> = claimed.iter().map(|c| score(c.2)).collect();
            let gaps: Vec<f64> = claimed.iter().map(|c| c.1 - score(c.2)).collect();
            Calibration {
                agent: agent.to_string(),
                variant: *variant,
                claims: claimed.len(),
                claimed_fixed: fixed.len(),
                overconfident: over,
                overconfidence_rate: (!fixed.is_empty()).then(|| over as f64 / fixed.len() as f64),
                mean_confidence: mean(&confidences),
                mean_score: mean(&scores),
                honesty_gap: mean(&gaps),
            }
        })
        .collect();

    let claims = results
        .runs
        .iter()
        .map(|r| Claim {
            run: r.dir.clone(),
            outcome: r.signals.outcome,
            confidence: r.signals.confidence,
            grade: r.grade,
        })
        .collect();
    let mut infrastructure = Infrastructure::default();
    for r in &results.runs {
        match r.status {
            crate::run::results::RunStatus::Unavailable => infrastructure.unavailable += 1,
            crate::run::results::RunStatus::SetupFailed => infrastructure.setup_failed += 1,
            crate::run::results::RunStatus::HarnessError => infrastructure.harness_error += 1,
            crate::run::results::RunStatus::EndpointFailed => infrastructure.endpoint_failed += 1,
            _ => {}
        }
    }
    Measures {
        trials,
        uplift,
        versions,
        escalation,
        calibration,
        claims,
        infrastructure,
    }
}

//! The plan: every (case, agent, variant, trial) an eval runs, each with a content key.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::agent::{AgentKind, AgentSpec};
use crate::corpus::{Case, PreparedSource};
use crate::eval::Variant;

/// One run to do.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub index: usize,
    pub case: Arc<Case>,
    pub source: Arc<PreparedSource>,
    pub agent: Arc<AgentSpec>,
    pub variant: Variant,
    pub trial: u32,
    /// `sha256:` over everything that determines the run.
    pub key: String,
    /// The run's folder name in the results store.
    pub dir: String,
}

/// Expands cases × agents × variants × trials. Agents that ignore the skill run once per
/// case and trial, under [`Variant::Ignored`].
pub fn plan(
    cases: &[(Arc<Case>, Arc<PreparedSource>)],
    agents: &[AgentSpec],
    variants: &[Variant],
    trials: u32,
    skill_hash: &str,
) -> Vec<PlannedRun> {
    let mut runs = Vec::new();
    for (case, source) in cases {
        for agent in agents {
            let agent = Arc::new(agent.clone());
            let agent_variants: Vec<Variant> = if agent.uses_skill() {
                variants.to_vec()
            } else {
                vec![Variant::Ignored]
            };
            for variant in agent_variants {
                for trial in 1..=trials {
                    let key = key(case, source, &agent, variant, trial, skill_hash);
                    let variant_dir = if variant == Variant::Ignored {
                        "any"
                    } else {
                        variant.as_str()
                    };
                    let dir = format!(
                        "{}__{}__{}__t{trial}",
                        case.id.replace('/', "__"),
                        agent.name,
                        variant_dir
                    );
                    runs.push(PlannedRun {
                        index: runs.len(),
                        case: case.clone(),
                        source: source.clone(),
                        agent: agent.clone(),
                        variant,
                        trial,
                        key,
                        dir,
                    });
                }
            }
        }
    }
    runs
}

fn key(
    case: &Case,
    source: &PreparedSource,
    agent: &AgentSpec,
    variant: Variant,
    trial: u32,
    skill_hash: &str,
) -> String {
    let mut h = Sha256::new();
    let argv = match &agent.kind {
        AgentKind::Command { argv } => argv.join("\u{1f}"),
        AgentKind::Runtime(rt) => rt.fingerprint(),
        _ => String::new(),
    };
    let skill = if variant == Variant::Skill {
        skill_hash
    } else {
        ""
    };
    for part in [
        env!("CARGO_PKG_VERSION"),
        &case.id,
        &source.rev.to_string(),
        &agent.name,
        agent.kind_name(),
        &argv,
        variant.as_str(),
        &trial.to_string(),
        skill,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("sha256:{:x}", h.finalize())
}

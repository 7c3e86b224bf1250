//! The plan: every (case, agent, variant, trial) an eval runs, each with a content key:
//! a hash of everything that decides what the run does and how it is graded, so a stored
//! run with the same key can stand in for running it again.

use std::collections::HashMap;
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

/// What, besides the case and the trial, goes into every run's key.
#[derive(Debug, Clone, Default)]
pub struct KeyInputs {
    /// The skill's content hash (only the `skill` variant's key holds it).
    pub skill: String,
    /// The eval's settings that change a run or its grading: the rubric, the timeout, the
    /// sandbox and network, what is passed and exposed, the graders.
    pub eval: String,
    /// Per agent: what it is beyond its definition (a runtime's version, the content of
    /// the files a command names).
    pub agents: HashMap<String, String>,
}

/// Expands cases × agents × variants × trials. Agents that ignore the skill run once per
/// case and trial, under [`Variant::Ignored`].
pub fn plan(
    cases: &[(Arc<Case>, Arc<PreparedSource>)],
    agents: &[AgentSpec],
    variants: &[Variant],
    trials: u32,
    inputs: &KeyInputs,
) -> Vec<PlannedRun> {
    let mut runs = Vec::new();
    for (case, source) in cases {
        let case_digest = case_digest(case);
        for agent in agents {
            let agent = Arc::new(agent.clone());
            let agent_variants: Vec<Variant> = if agent.uses_skill() {
                variants.to_vec()
            } else {
                vec![Variant::Ignored]
            };
            for variant in agent_variants {
                for trial in 1..=trials {
                    let key = key(&case_digest, source, &agent, variant, trial, inputs);
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

/// The case's own content: its manifest, hidden files and reference patch (its repository
/// is the source's pinned rev, hashed apart).
fn case_digest(case: &Case) -> String {
    let mut h = Sha256::new();
    h.update(case.id.as_bytes());
    h.update([0]);
    h.update(std::fs::read(&case.manifest_path).unwrap_or_default());
    h.update([0]);
    for (path, bytes, mode) in case.hidden.entries() {
        h.update(path.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(bytes);
        h.update(mode.to_le_bytes());
    }
    h.update([0]);
    if let Some(patch) = &case.reference_patch {
        h.update(std::fs::read(patch).unwrap_or_default());
    }
    format!("{:x}", h.finalize())
}

/// What a command agent's files hold: the content of every argument that names a file, so
/// editing the agent's script changes its runs' keys.
pub fn command_digest(argv: &[String], base: &std::path::Path) -> String {
    let mut h = Sha256::new();
    for arg in argv {
        let path = base.join(arg);
        if let Ok(bytes) = std::fs::read(&path) {
            h.update(arg.as_bytes());
            h.update([0]);
            h.update(bytes);
            h.update([0]);
        }
    }
    format!("{:x}", h.finalize())
}

fn key(
    case_digest: &str,
    source: &PreparedSource,
    agent: &AgentSpec,
    variant: Variant,
    trial: u32,
    inputs: &KeyInputs,
) -> String {
    let mut h = Sha256::new();
    let argv = match &agent.kind {
        AgentKind::Command { argv } => argv.join("\u{1f}"),
        AgentKind::Runtime(rt) => rt.fingerprint(),
        _ => String::new(),
    };
    let skill = if variant == Variant::Skill {
        inputs.skill.as_str()
    } else {
        ""
    };
    let agent_extra = inputs.agents.get(&agent.name).map_or("", String::as_str);
    for part in [
        env!("CARGO_PKG_VERSION"),
        case_digest,
        &source.rev.to_string(),
        &agent.name,
        agent.kind_name(),
        &argv,
        agent_extra,
        variant.as_str(),
        &trial.to_string(),
        skill,
        &inputs.eval,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("sha256:{:x}", h.finalize())
}

/// `sha256:` over the keys of `runs`, in plan order: what the shards of one plan share.
pub fn plan_key(runs: &[PlannedRun]) -> String {
    let mut h = Sha256::new();
    for run in runs {
        h.update(run.key.as_bytes());
        h.update([0]);
    }
    format!("sha256:{:x}", h.finalize())
}

/// The shard (1-based, of `count`) a run with content key `key` belongs to.
pub fn shard_of(key: &str, count: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    u32::try_from(n % u64::from(count.max(1))).unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_keys_deterministically_and_cover_every_one() {
        let keys: Vec<String> = (0..200).map(|i| format!("sha256:{i}")).collect();
        for count in [1, 2, 3, 7] {
            let mut sizes = vec![0; count as usize];
            for key in &keys {
                let s = shard_of(key, count);
                assert!((1..=count).contains(&s));
                assert_eq!(s, shard_of(key, count), "deterministic");
                sizes[(s - 1) as usize] += 1;
            }
            assert_eq!(sizes.iter().sum::<usize>(), keys.len());
            // Roughly even: no shard gets less than half its share.
            assert!(
                sizes.iter().all(|&n| n * 2 * count as usize >= keys.len()),
                "{sizes:?}"
            );
        }
    }
}

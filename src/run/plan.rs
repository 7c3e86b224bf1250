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
    /// `sha256:` over everything that determines the run and its grading.
    pub key: String,
    /// `sha256:` over everything that determines what the agent delivers (the key without
    /// the rubric, the graders and the grading sandbox): a stored run with the same
    /// delivery key is graded again instead of run again.
    pub delivery_key: String,
    /// The run's folder name in the results store.
    pub dir: String,
}

/// What, besides the case and the trial, goes into every run's key.
#[derive(Debug, Clone, Default)]
pub struct KeyInputs {
    /// The skill's content hash (only the `skill` variant's key holds it).
    pub skill: String,
    /// The hash of each other version of the skill, by variant name.
    pub versions: HashMap<String, String>,
    /// The eval's settings that change what the agent does: the timeout, the sandboxes
    /// and network, what is passed and exposed, the registries.
    pub delivery: String,
    /// The settings that change only how a delivery is graded: the rubric, the graders
    /// and their budget, the integrity settings, the grading sandbox.
    pub grading: String,
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
        let hidden = hidden_digest(case);
        for agent in agents {
            let agent = Arc::new(agent.clone());
            let agent_variants: Vec<Variant> = if agent.uses_skill() {
                variants.to_vec()
            } else {
                vec![Variant::Ignored]
            };
            for variant in agent_variants {
                for trial in 1..=trials {
                    let delivery_key =
                        delivery_key(&case_digest, source, &agent, variant, trial, inputs);
                    let key = graded_key(&delivery_key, &hidden, &inputs.grading);
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
                        delivery_key,
                        dir,
                    });
                }
            }
        }
    }
    runs
}

/// The case's own content that decides what an agent does: its id, its manifest (the
/// task, the setup) and its reference patch (its repository is the source's pinned rev,
/// hashed apart).
fn case_digest(case: &Case) -> String {
    let mut h = Sha256::new();
    h.update(case.id.as_bytes());
    h.update([0]);
    h.update(std::fs::read(&case.manifest_path).unwrap_or_default());
    h.update([0]);
    if let Some(patch) = &case.reference_patch {
        h.update(std::fs::read(patch).unwrap_or_default());
    }
    format!("{:x}", h.finalize())
}

/// The case's hidden files: they decide only how a delivery is graded.
pub(crate) fn hidden_digest(case: &Case) -> String {
    let mut h = Sha256::new();
    for (path, bytes, mode) in case.hidden.entries() {
        h.update(path.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(bytes);
        h.update(mode.to_le_bytes());
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

/// The key of a delivery graded with the case's hidden files and `inputs.grading`.
pub(crate) fn graded_key(delivery_key: &str, hidden: &str, grading: &str) -> String {
    let mut h = Sha256::new();
    for part in [delivery_key, hidden, grading] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("sha256:{:x}", h.finalize())
}

fn delivery_key(
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
    let skill = match variant {
        Variant::Skill => inputs.skill.as_str(),
        Variant::Version(name) => inputs.versions.get(name).map_or("", String::as_str),
        _ => "",
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
        &inputs.delivery,
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

/// Milliseconds a (case, agent, variant) took when it last ran.
pub type Durations = std::collections::BTreeMap<(String, String, Variant), u64>;

/// How a plan is split into `count` shards: each run's shard (1-based, in plan order) and
/// a name of the split that every shard of it records, so a merge can tell shards split
/// alike from shards split by different stored durations.
///
/// With no stored duration for any run, each run goes to the shard its key hashes to
/// ([`shard_of`]). Otherwise the runs are balanced by their expected time — the stored
/// duration of their (case, agent, variant), or the mean of the known ones — longest
/// first, each to the shard with the least time so far (the lowest index on a tie): the
/// longest-processing-time rule, within 4/3 of the best split.
pub fn split(runs: &[PlannedRun], count: u32, durations: &Durations) -> (Vec<u32>, String) {
    let rows: Vec<(Row, &str)> = runs
        .iter()
        .map(|r| {
            (
                (r.case.id.clone(), r.agent.name.clone(), r.variant),
                r.key.as_str(),
            )
        })
        .collect();
    split_rows(&rows, count, durations)
}

/// A (case, agent, variant).
type Row = (String, String, Variant);

/// [`split`] over each run's row and key.
fn split_rows(runs: &[(Row, &str)], count: u32, durations: &Durations) -> (Vec<u32>, String) {
    let count = count.max(1);
    let expected: Vec<Option<u64>> = runs
        .iter()
        .map(|(row, _)| durations.get(row).copied())
        .collect();
    let known: Vec<u64> = expected.iter().flatten().copied().collect();
    if known.is_empty() {
        let shards = runs.iter().map(|(_, key)| shard_of(key, count)).collect();
        return (shards, "key".into());
    }
    let mean = known.iter().sum::<u64>() / known.len() as u64;
    let expected: Vec<u64> = expected.iter().map(|e| e.unwrap_or(mean).max(1)).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        expected[b]
            .cmp(&expected[a])
            .then_with(|| runs[a].1.cmp(runs[b].1))
    });
    let mut load = vec![0u64; count as usize];
    let mut shards = vec![1u32; runs.len()];
    for i in order {
        let (least, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(j, l)| (**l, *j))
            .unwrap_or((0, &0));
        load[least] += expected[i];
        shards[i] = u32::try_from(least).unwrap_or(0) + 1;
    }
    let mut h = Sha256::new();
    for ((_, key), ms) in runs.iter().zip(&expected) {
        h.update(key.as_bytes());
        h.update(ms.to_le_bytes());
    }
    (shards, format!("durations sha256:{:x}", h.finalize()))
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

    fn planned(n: usize) -> Vec<(Row, String)> {
        (0..n)
            .map(|i| {
                (
                    ("c/one".to_string(), format!("a{i}"), Variant::Ignored),
                    format!("sha256:{i}"),
                )
            })
            .collect()
    }

    #[test]
    fn stored_durations_balance_the_shards_and_name_the_split() {
        let owned = planned(6);
        let runs: Vec<(Row, &str)> = owned.iter().map(|(r, k)| (r.clone(), k.as_str())).collect();
        // One long run and five short ones: by key they could land anywhere; by time the
        // long one is alone.
        let mut durations = Durations::new();
        for (i, ms) in [(0, 600), (1, 100), (2, 100), (3, 100), (4, 100), (5, 100)] {
            durations.insert(("c/one".into(), format!("a{i}"), Variant::Ignored), ms);
        }
        let (shards, name) = split_rows(&runs, 2, &durations);
        assert_eq!(shards[0], 1);
        assert!(shards[1..].iter().all(|&s| s == 2), "{shards:?}");
        assert!(name.starts_with("durations sha256:"), "{name}");
        assert_eq!(
            split_rows(&runs, 2, &durations),
            (shards, name.clone()),
            "deterministic"
        );
        // A run with no stored time is expected to take the mean.
        durations.remove(&("c/one".into(), "a5".into(), Variant::Ignored));
        let (shards, other) = split_rows(&runs, 3, &durations);
        assert_ne!(other, name);
        let load = |s: u32| {
            shards
                .iter()
                .zip([600, 100, 100, 100, 100, 200])
                .filter(|(x, _)| **x == s)
                .map(|(_, ms)| ms)
                .sum::<u64>()
        };
        assert_eq!((load(1), load(2), load(3)), (600, 300, 300), "{shards:?}");
        // None known: split by key.
        let (by_key, name) = split_rows(&runs, 2, &Durations::new());
        assert_eq!(name, "key");
        assert_eq!(
            by_key,
            runs.iter().map(|(_, k)| shard_of(k, 2)).collect::<Vec<_>>()
        );
    }

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

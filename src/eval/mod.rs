//! The eval file, `evals/<name>.toml`: one skill × a selection of cases × agents × trials ×
//! a rubric. [`Eval::load`] turns it into a checked [`Eval`]; every error names the file,
//! line and column and, for a misspelt key or value, the nearest valid one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::agent::{AgentSpec, Network};
use crate::grade::{Budget, Gate, Grader, Rubric};
use crate::workspace::Workspace;

mod agent;
mod file;
mod gate;
mod grader;
mod load;
mod located;
mod rubric;
mod version;

/// Which form of the skill a run gets. Written as a string: `skill`, `none`, `-`, or the
/// name of another version of the skill (`variants = [{ name = "main", git = "…" }]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// The skill under test, installed where the agent looks for it.
    Skill,
    /// No skill: the baseline the skill must beat.
    None,
    /// The agent ignores skills (the built-in baselines), so it runs once for all variants.
    Ignored,
    /// Another version of the skill (the one a change replaces, say), installed in its
    /// place; the name is interned, so a variant stays `Copy`.
    Version(&'static str),
}

/// The names a version may not take: the other variants' and the run folders' `any`.
pub const RESERVED_VARIANTS: [&str; 4] = ["skill", "none", "-", "any"];

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Skill => "skill",
            Variant::None => "none",
            Variant::Ignored => "-",
            Variant::Version(name) => name,
        }
    }

    /// The variant a string names.
    pub fn parse(s: &str) -> Variant {
        match s {
            "skill" => Variant::Skill,
            "none" => Variant::None,
            "-" => Variant::Ignored,
            name => Variant::Version(intern(name)),
        }
    }

    /// Whether the run has a skill installed: the skill under test or another version.
    pub fn has_skill(self) -> bool {
        matches!(self, Variant::Skill | Variant::Version(_))
    }
}

/// One `&'static str` per distinct version name read in this process (a handful).
fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::BTreeSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Variant, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Variant::parse(&s))
    }
}

impl schemars::JsonSchema for Variant {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Variant".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Which form of the skill a run gets: \"skill\" (the skill under test), \"none\" (no skill), \"-\" (an agent that ignores skills), or the name of another version of the skill.",
            "type": "string"
        })
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Another version of the skill an eval measures the skill against.
#[derive(Debug, Clone)]
pub struct SkillVersion {
    pub name: &'static str,
    /// Where it came from, as the eval says it: a folder, or `git:REV`.
    pub source: String,
    /// Its folder (for a git revision, written out under the store).
    pub dir: PathBuf,
    /// The version loaded and linted.
    pub skill: crate::skill::Skill,
}

/// A checked eval.
#[derive(Debug, Clone)]
pub struct Eval {
    /// The file stem: `evals/pyyaml-safe-load.toml` is `pyyaml-safe-load`.
    pub name: String,
    pub path: PathBuf,
    pub workspace: Workspace,
    pub skill_dir: PathBuf,
    pub case_patterns: Vec<String>,
    pub agents: Vec<AgentSpec>,
    /// Every agent the eval could run: the built-ins and its `[agent.NAME]` definitions.
    pub defined_agents: Vec<AgentSpec>,
    pub trials: u32,
    pub timeout: Duration,
    pub variants: Vec<Variant>,
    /// The skill versions named in `variants` besides `skill` and `none`, in their order.
    pub versions: Vec<SkillVersion>,
    pub pass_env: Vec<String>,
    /// `none` or `bwrap`, checked for availability when the eval runs; empty when the eval
    /// does not say: then runtime agents run in bubblewrap where it is installed, and
    /// everything else without.
    pub sandbox: String,
    /// The agents' network in the sandbox; `None` lets each agent have what it needs (the
    /// runtimes the host network, everything else none).
    pub network: Option<Network>,
    /// Folders mounted back read-only inside the sandbox although they are under a hidden
    /// one (a toolchain installed under HOME, say).
    pub expose: Vec<PathBuf>,
    /// The graders of judged criteria (`[grader.NAME]`).
    pub graders: Vec<Grader>,
    /// The cap on what grading may spend (`[budget]`).
    pub budget: Budget,
    /// The cap on what the agents may spend (`[budget.agents]`, `--max-tokens`,
    /// `--max-usd`): once spent, no new run starts.
    pub agent_budget: crate::run::schedule::AgentBudget,
    /// Dollars per million tokens in and out, per runtime agent that gives them
    /// (`usd_per_mtok_in`, `usd_per_mtok_out`): its cost where the runtime reports none.
    pub agent_prices: BTreeMap<String, (f64, f64)>,
    pub rubric: Rubric,
    pub gates: Vec<Gate>,
    /// Hosts (`host`, `host:port`, `*.domain` or URLs) the filtering network lets runs
    /// reach besides each runtime's model endpoint: package registries.
    pub registries: Vec<String>,
    /// Paths the integrity criterion lets through on every case (`[integrity] allow`).
    pub integrity_allow: Vec<String>,
    /// Whether a run that looked up the answer fails `integrity` (`lookups = "fail"`, the
    /// default) or has it recorded only (`"record"`).
    pub integrity_lookups_fail: bool,
    /// Whether the command line ran a subset of the eval (`--agent`, `--case`, fewer
    /// `--trials`): its snapshot diff then compares only the rows it ran.
    pub subset: bool,
    /// `--no-cache`: run everything again, even what a stored run with the same content key
    /// already answers.
    pub no_cache: bool,
    /// `--shard I/N`: run only the runs of shard I.
    pub shard: Option<(u32, u32)>,
    /// The `eval` arguments that select this plan, for `skillbench resume`.
    pub command: Vec<String>,
}

pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The most trials an eval (or `--trials`) may ask for.
pub const MAX_TRIALS: u32 = 100;
/// The longest timeout anything may have.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// A duration as an eval or a case writes it: parsed, more than zero, at most a day.
pub(crate) fn check_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| format!("bad duration '{text}': {e}"))?;
    if d.is_zero() {
        return Err(format!("bad duration '{text}': it must be more than zero"));
    }
    if d > MAX_TIMEOUT {
        return Err(format!("bad duration '{text}': at most 24h"));
    }
    Ok(d)
}

/// Whether `name` can name an environment variable: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

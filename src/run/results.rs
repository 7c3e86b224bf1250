//! The stored record of an eval: `results.json`, versioned, with the provenance of every run.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::corpus::Expectation;
use crate::eval::Variant;
use crate::grade::{CriterionResult, GateResult, Grade, Verdict};
use crate::signals::ClaimedOutcome;

/// The value of `schema` in every results file this version writes.
pub const RESULTS_SCHEMA: &str = "skillbench-results/v1";

/// One eval's results.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Results {
    pub schema: String,
    pub run_id: String,
    pub harness_version: String,
    pub eval: EvalInfo,
    pub skill: SkillInfo,
    pub started_at: String,
    pub finished_at: String,
    pub wall_ms: u64,
    pub trials: u32,
    /// The lowest grade that counts as a pass.
    pub pass_grade: Grade,
    pub cases: Vec<CaseInfo>,
    /// Every agent of the eval: its kind and, for runtimes, what was found here.
    pub agents: Vec<AgentInfo>,
    /// `none` or `bwrap`: what the agents ran in.
    pub sandbox: String,
    /// `none` or `bwrap`: what the checks ran in. Without bubblewrap, grades are not
    /// tamper-proof (see the README's "What a grade guarantees").
    #[serde(default = "unknown")]
    pub grading_sandbox: String,
    /// `none` or `bwrap`: what the runtime agents ran in (bubblewrap by default where it is
    /// installed, unless the eval says otherwise).
    #[serde(default = "unknown")]
    pub runtime_sandbox: String,
    /// What the runs' rooms were: copy-on-write overlays on prepared bases, or copies (and
    /// why).
    #[serde(default = "unknown")]
    pub rooms: String,
    /// What grading by graders spent, and whether its budget stopped it; absent when the
    /// eval has no grader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<crate::grade::GradingInfo>,
    /// For results written by `skillbench grade`: the run id whose stored runs were graded
    /// again with the current rubric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regraded_from: Option<String>,
    /// Whether the run was a subset of its eval (`--agent`, `--case`, fewer `--trials`):
    /// its snapshot diff compares only the rows it ran and removes none.
    #[serde(default)]
    pub subset: bool,
    /// Set when the eval was stopped (SIGINT, SIGTERM) before every planned run finished:
    /// the runs here are the ones that did; running the eval again runs only the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interrupted>,
    /// Set on the results of `eval --shard I/N`: which shard, of which plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Set on the results of `skillbench merge`: the shards' run ids, in shard order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// The `eval` arguments that select this results set's plan (its eval file, relative to
    /// the workspace, and the selection flags): what `skillbench resume` repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Set when the agents' budget was spent before every planned run started: which
    /// limit, and what was spent. The runs it kept from starting are `budget_spent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_spent: Option<String>,
    pub runs: Vec<RunRecord>,
    pub gates: Vec<GateResult>,
}

/// One shard of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ShardInfo {
    /// 1-based.
    pub index: u32,
    pub count: u32,
    /// `sha256:` over every planned run's key, in order: the shards of one plan share it.
    pub plan: String,
    /// How many runs the whole plan has.
    pub planned: usize,
    /// Whether the plan itself was a subset of its eval (`--agent`, `--case`, `--trials`).
    #[serde(default)]
    pub subset: bool,
    /// How the plan was split: `key` (by each run's content key), or `durations sha256:…`
    /// (balanced by stored durations; the hash names the expected times used). Every shard
    /// of one merge must have been split alike.
    #[serde(default = "by_key")]
    pub split: String,
}

fn by_key() -> String {
    "key".into()
}

/// How far an interrupted eval got.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Interrupted {
    /// `SIGINT` or `SIGTERM`.
    pub signal: String,
    /// The runs the eval planned; `runs` holds those that finished.
    pub planned: usize,
}

impl Interrupted {
    /// The stop `signal` (its number) asked for, of a results set that planned `planned` runs.
    pub fn by(signal: i32, planned: usize) -> Interrupted {
        Interrupted {
            signal: if signal == signal_hook::consts::SIGTERM {
                "SIGTERM".into()
            } else {
                "SIGINT".into()
            },
            planned,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EvalInfo {
    pub name: String,
    /// The eval file, relative to the workspace.
    pub path: String,
    /// `sha256:` of the eval file's bytes.
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SkillInfo {
    pub name: String,
    pub hash: String,
    /// The other versions of the skill the eval measured it against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionInfo>,
}

/// Another version of the skill: its variant name, where it came from and its hash.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VersionInfo {
    pub name: String,
    /// The folder the eval names, or `git:REV`.
    pub source: String,
    pub hash: String,
}

/// A case's provenance: where its repository came from and the commit it was pinned to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CaseInfo {
    pub id: String,
    pub expectation: Expectation,
    /// `fixture` or the git URL.
    pub origin: String,
    pub rev: String,
}

/// An agent's provenance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AgentInfo {
    pub name: String,
    pub kind: String,
    /// The runtime's executable, as found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// What `--version` printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Names of the credentials passed (never their values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<String>,
    /// Why the agent could not run here; empty when it could.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// How a run ended, before grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The agent finished and every criterion was checked.
    Completed,
    /// The agent exited non-zero, was killed by a signal, or could not do its work.
    AgentError,
    /// The agent ran past the timeout; its process group was killed.
    TimedOut,
    /// The case's setup commands failed before the agent started.
    SetupFailed,
    /// skillbench itself could not run or grade this run.
    HarnessError,
    /// The runtime's model endpoint could not be reached, or refused it (401/403) or
    /// failed (5xx), before the agent's first turn.
    EndpointFailed,
    /// The agent's runtime is not installed here or has no credentials: an infrastructure
    /// outcome, not graded.
    Unavailable,
    /// Never started: the agents' budget was spent by the runs before it. Infrastructure,
    /// not graded; a later eval with budget left runs it.
    BudgetSpent,
}

impl RunStatus {
    /// Whether the run failed for a reason the agent does not answer for: its runtime was
    /// unavailable, the case's setup failed, or skillbench itself failed.
    pub fn is_infrastructure(self) -> bool {
        matches!(
            self,
            RunStatus::Unavailable
                | RunStatus::SetupFailed
                | RunStatus::HarnessError
                | RunStatus::EndpointFailed
                | RunStatus::BudgetSpent
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::AgentError => "agent error",
            RunStatus::TimedOut => "timed out",
            RunStatus::SetupFailed => "setup failed",
            RunStatus::HarnessError => "harness error",
            RunStatus::EndpointFailed => "endpoint failed",
            RunStatus::Unavailable => "unavailable",
            RunStatus::BudgetSpent => "not run for the budget",
        }
    }
}

fn unknown() -> String {
    "unknown".into()
}

/// One (case, agent, variant, trial) run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunRecord {
    /// Its folder in the results store.
    pub dir: String,
    /// A content hash of everything that determines the run and its grading (harness,
    /// case rev and content, agent and its version or files, variant, skill, trial, the
    /// eval's settings and rubric, the sandboxes): a stored run with the same key stands
    /// in for running it again.
    pub key: String,
    pub case: String,
    pub expectation: Expectation,
    pub agent: String,
    pub agent_kind: String,
    pub variant: Variant,
    pub trial: u32,
    pub status: RunStatus,
    pub status_detail: String,
    pub timings: Timings,
    pub signals: SignalsRecord,
    pub diff: DiffStats,
    /// What the agent runtime's transcript showed; absent for baselines and commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_report: Option<AgentReport>,
    pub criteria: Vec<CriterionResult>,
    /// `None` exactly for an infrastructure outcome (unavailable, setup failed, model
    /// endpoint failed, harness error): not graded, never counted as C.
    pub grade: Option<Grade>,
    pub grade_reason: String,
    /// The stored run whose result this one reuses (same content key): no agent was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_from: Option<String>,
    /// What determines the delivery alone (the key without the rubric and the graders).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub delivery_key: String,
    /// The stored run whose delivery this run graded again (same delivery key, another
    /// rubric or graders): no agent was called, the grade is the current rubric's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_from: Option<String>,
}

/// What was read off an agent runtime's transcript (`transcript.jsonl` in the run folder).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AgentReport {
    /// Whether the skill under test was activated; `None` for the `none` variant.
    pub skill_activated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<crate::agent::transcript::Activation>,
    /// Activated, activated late, offered but never opened, or not offered; `None` for
    /// the `none` variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_use: Option<crate::agent::transcript::SkillUse>,
    pub turns: u32,
    pub tool_calls: usize,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub cost_usd: Option<f64>,
    /// `cost_usd` was computed from the eval's prices for the agent: the runtime reported
    /// tokens but no cost.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cost_priced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Errors the runtime reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Notices the runtime printed that did not stop it (never counted as errors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Output lines the adapter did not understand.
    pub unparsed_lines: usize,
}

impl RunRecord {
    /// The ids of the criteria that failed, in rubric order.
    pub fn failed(&self) -> Vec<&str> {
        self.criteria
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Whether the run passed: graded at `pass` or better. Unavailable runs never pass.
    pub fn passes(&self, pass: Grade) -> bool {
        self.grade.is_some_and(|g| g.passes(pass))
    }

    /// What the run's agent spent: its tokens in and out, and its cost in dollars (as
    /// reported, or priced). A reused run or a delivery graded again spent nothing this
    /// time.
    pub fn spend(&self) -> crate::run::schedule::Spend {
        match (&self.agent_report, &self.cached_from, &self.delivery_from) {
            (Some(r), None, None) => crate::run::schedule::Spend {
                tokens: r
                    .tokens_in
                    .unwrap_or(0)
                    .saturating_add(r.tokens_out.unwrap_or(0)),
                usd: r.cost_usd.unwrap_or(0.0),
            },
            _ => crate::run::schedule::Spend::default(),
        }
    }

    /// Whether the agent's claimed outcome agrees with the expectation (escalated exactly
    /// where the case expects an escalation).
    pub fn escalation_correct(&self) -> bool {
        let escalated = self.signals.outcome == Some(ClaimedOutcome::Escalated);
        escalated == (self.expectation == Expectation::Escalate)
    }
}

/// Milliseconds spent in each stage of a run (`bench/profile.sh` sums them over an eval).
/// A stage that took under a millisecond (or did not run) is left out of the stored record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// Creating the agent's room (an overlay on the prepared base, or a checkout).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub materialize_ms: u64,
    /// The case's setup, where this run ran it (building its prepared base, or in a room
    /// of its own); 0 where the base was already prepared.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub setup_ms: u64,
    /// The agent's process, from its start to its exit (its reaper and sandbox included).
    pub agent_ms: u64,
    /// Taking the delivery from the room, reading the signals, and removing the room.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deliver_ms: u64,
    /// Grading: the clean room, the checks and the graders.
    pub grade_ms: u64,
    /// Of `grade_ms`, building the clean room.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clean_room_ms: u64,
    /// Of `grade_ms`, the time spent in the rubric's own commands.
    pub check_commands_ms: u64,
    /// Redacting the run's files and writing its record.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub store_ms: u64,
    pub total_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What became of the agent's Agent Signals.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SignalsRecord {
    /// `valid`, `missing` or `invalid`.
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The outcome the agent claimed; absent when its signals are missing or invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ClaimedOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// The size of the agent's change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DiffStats {
    pub files: usize,
    pub added: usize,
    pub removed: usize,
    /// The changed paths; absent when nothing changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

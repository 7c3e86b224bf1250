//! The eval file, `evals/<name>.toml`: one skill × a selection of cases × agents × trials ×
//! a rubric. [`Eval::load`] turns it into a checked [`Eval`]; every error names the file,
//! line and column and, for a misspelt key or value, the nearest valid one.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::agent::{AgentKind, AgentSpec, BUILTIN, Network, Runtime, RuntimeAgent};
use crate::corpus::Expectation;
use crate::diagnostic::{Diagnostic, nearest, parse_toml};
use crate::error::{Error, Result};
use crate::grade::{
    Budget, Criterion, CriterionKind, Gate, Globs, Grade, Grader, GraderKind, JudgeEvidence, Rubric,
};
use crate::workspace::Workspace;

/// Which form of the skill a run gets.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Variant {
    /// The skill under test, installed where the agent looks for it.
    #[serde(rename = "skill")]
    Skill,
    /// No skill: the baseline the skill must beat.
    #[serde(rename = "none")]
    None,
    /// The agent ignores skills (the built-in baselines), so it runs once for all variants.
    #[serde(rename = "-")]
    Ignored,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Skill => "skill",
            Variant::None => "none",
            Variant::Ignored => "-",
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalFile {
    #[serde(default)]
    schema: Option<Spanned<u32>>,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the file")]
    description: Option<String>,
    skill: Spanned<String>,
    cases: Spanned<Vec<String>>,
    agents: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    agent: BTreeMap<String, Spanned<AgentFile>>,
    #[serde(default)]
    trials: Option<Spanned<u32>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    variants: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pass_env: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    sandbox: Option<Spanned<String>>,
    #[serde(default)]
    network: Option<Spanned<String>>,
    #[serde(default)]
    expose: Vec<String>,
    #[serde(default)]
    registries: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    grader: BTreeMap<String, Spanned<GraderFile>>,
    #[serde(default)]
    budget: Option<BudgetFile>,
    rubric: RubricFile,
    #[serde(default)]
    gate: Vec<Spanned<GateFile>>,
    #[serde(default)]
    integrity: Option<IntegrityFile>,
}

/// `[integrity]`: paths the built-in integrity criterion lets through.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntegrityFile {
    #[serde(default)]
    allow: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    lookups: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentFile {
    kind: Spanned<String>,
    #[serde(default)]
    usd_per_mtok_in: Option<Spanned<f64>>,
    #[serde(default)]
    usd_per_mtok_out: Option<Spanned<f64>>,
    #[serde(default)]
    command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    binary: Option<Spanned<String>>,
    #[serde(default)]
    model: Option<Spanned<String>>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    credentials: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    args: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RubricFile {
    #[serde(default)]
    pass: Option<Spanned<String>>,
    criteria: Spanned<Vec<CriterionFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionFile {
    id: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    kind: Spanned<String>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    applies_to: Option<Expectation>,
    #[serde(default)]
    run: Option<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    pattern: Option<Spanned<String>>,
    #[serde(default)]
    files: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    max_files: Option<usize>,
    #[serde(default)]
    max_lines: Option<usize>,
    #[serde(default)]
    protected: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    question: Option<Spanned<String>>,
    #[serde(default)]
    evidence: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    graders: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraderFile {
    kind: Spanned<String>,
    #[serde(default)]
    model: Option<Spanned<String>>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    credential: Option<Spanned<String>>,
    #[serde(default)]
    agent: Option<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    max_retries: Option<u32>,
    #[serde(default)]
    usd_per_mtok_in: Option<Spanned<f64>>,
    #[serde(default)]
    usd_per_mtok_out: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_usd: Option<Spanned<f64>>,
    /// `[budget.agents]`: what the agents under test may spend.
    #[serde(default)]
    agents: Option<AgentBudgetFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentBudgetFile {
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_usd: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GateFile {
    #[serde(default)]
    agent: Option<Spanned<String>>,
    #[serde(default)]
    variant: Option<Spanned<String>>,
    #[serde(default)]
    min_pass_rate: Option<Spanned<f64>>,
    #[serde(default)]
    max_pass_rate: Option<Spanned<f64>>,
    #[serde(default)]
    case: Option<Spanned<String>>,
    #[serde(default)]
    expectation: Option<Spanned<String>>,
    #[serde(default)]
    min_uplift: Option<Spanned<f64>>,
    #[serde(default)]
    uplift_bound: Option<Spanned<String>>,
    #[serde(default)]
    max_regressions: Option<Spanned<i64>>,
    #[serde(default)]
    allow_unavailable: bool,
}

const CRITERION_KINDS: [&str; 8] = [
    "command",
    "hidden",
    "absent",
    "present",
    "diff",
    "escalation",
    "signals",
    "judge",
];
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The most trials an eval (or `--trials`) may ask for.
pub const MAX_TRIALS: u32 = 100;
/// The longest timeout anything may have.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// A duration as an eval or a case writes it: parsed, more than zero, at most a day.
pub(crate) fn check_duration(text: &str) -> std::result::Result<Duration, String> {
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
const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(120);

/// Reports errors at spans of one file.
struct Located<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Located<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error::from(Diagnostic::at_span(self.path, self.text, span, message))
    }

    fn duration(&self, value: &Spanned<String>) -> Result<Duration> {
        check_duration(value.get_ref()).map_err(|why| {
            self.err(
                value.span(),
                format!("{why} (write e.g. \"90s\" or \"10m\")"),
            )
        })
    }

    /// A price or an amount in dollars: a finite number, not negative.
    fn money(&self, value: &Spanned<f64>, key: &str) -> Result<f64> {
        let v = *value.get_ref();
        if !v.is_finite() || v < 0.0 {
            return Err(self.err(
                value.span(),
                format!("'{key}' must be a dollar amount of 0 or more, not {v}"),
            ));
        }
        Ok(v)
    }

    fn one_of(&self, value: &Spanned<String>, what: &str, valid: &[&str]) -> Result<()> {
        if valid.contains(&value.get_ref().as_str()) {
            return Ok(());
        }
        let hint = nearest(value.get_ref(), valid.iter().copied()).map_or_else(
            || format!("; expected one of: {}", valid.join(", ")),
            |n| format!(" (did you mean '{n}'?)"),
        );
        Err(self.err(
            value.span(),
            format!("unknown {what} '{}'{hint}", value.get_ref()),
        ))
    }
}

impl Eval {
    /// Reads and checks the eval at `path`.
    pub fn load(path: &Path) -> Result<Eval> {
        let text = crate::diagnostic::read_text(path)?;
        let file: EvalFile = parse_toml(path, &text)?;
        let at = Located { path, text: &text };
        let workspace = Workspace::of_eval(path);
        let name = path
            .file_stem()
            .map_or_else(|| "eval".into(), |s| s.to_string_lossy().into_owned());

        if let Some(schema) = &file.schema
            && *schema.get_ref() != 1
        {
            return Err(at.err(
                schema.span(),
                format!(
                    "unsupported schema {}; this skillbench reads schema 1",
                    schema.get_ref()
                ),
            ));
        }

        let skill = file.skill.get_ref();
        let skill_dir = if skill.contains('/') {
            workspace.root().join(skill)
        } else {
            workspace.skills_dir().join(skill)
        };
        if !skill_dir.join(crate::skill::SKILL_FILE).is_file() {
            return Err(at.err(
                file.skill.span(),
                format!(
                    "no skill at {} (a skill name under skills/, or a path from the workspace)",
                    skill_dir.display()
                ),
            ));
        }

        if file.cases.get_ref().is_empty() {
            return Err(at.err(
                file.cases.span(),
                "'cases' is empty: list globs over corpus/case ids, e.g. \"python-cves/*\"",
            ));
        }

        let mut agents = Vec::new();
        let defined_agents: Vec<AgentSpec> = BUILTIN
            .iter()
            .filter_map(|name| AgentSpec::builtin(name))
            .map(Ok)
            .chain(file.agent.iter().map(|(name, def)| {
                if BUILTIN.contains(&name.as_str()) {
                    return Err(at.err(
                        def.span(),
                        format!("'{name}' is a predefined agent; give yours another name"),
                    ));
                }
                agent(&at, name, def)
            }))
            .collect::<Result<_>>()?;
        let defined: Vec<&str> = defined_agents.iter().map(|a| a.name.as_str()).collect();
        for agent in file.agents.get_ref() {
            at.one_of(agent, "agent", &defined)?;
            let spec = defined_agents
                .iter()
                .find(|a| a.name == *agent.get_ref())
                .cloned()
                .ok_or_else(|| {
                    at.err(
                        agent.span(),
                        format!("agent '{}' is not defined", agent.get_ref()),
                    )
                })?;
            if agents.contains(&spec) {
                return Err(at.err(
                    agent.span(),
                    format!("agent '{}' is listed twice", agent.get_ref()),
                ));
            }
            agents.push(spec);
        }
        if agents.is_empty() {
            return Err(at.err(
                file.agents.span(),
                format!(
                    "'agents' is empty; built-in agents are: {}",
                    BUILTIN.join(", ")
                ),
            ));
        }

        let trials = match &file.trials {
            Some(t) if *t.get_ref() == 0 => {
                return Err(at.err(t.span(), "'trials' must be at least 1"));
            }
            Some(t) if *t.get_ref() > MAX_TRIALS => {
                return Err(at.err(
                    t.span(),
                    format!(
                        "'trials' is at most {MAX_TRIALS} (each trial is a run of every case × agent × variant)"
                    ),
                ));
            }
            Some(t) => *t.get_ref(),
            None => 1,
        };
        let timeout = file
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_TIMEOUT);
        if let Some(names) = &file.pass_env
            && let Some(bad) = names.get_ref().iter().find(|n| !is_variable_name(n))
        {
            return Err(at.err(
                names.span(),
                format!(
                    "pass_env '{bad}' is not a variable name (letters, digits and '_', not starting with a digit)"
                ),
            ));
        }

        let variants = match &file.variants {
            None => vec![Variant::Skill, Variant::None],
            Some(list) => {
                let mut variants = Vec::new();
                for v in list.get_ref() {
                    at.one_of(v, "variant", &["skill", "none"])?;
                    let variant = if v.get_ref() == "skill" {
                        Variant::Skill
                    } else {
                        Variant::None
                    };
                    if !variants.contains(&variant) {
                        variants.push(variant);
                    }
                }
                if variants.is_empty() {
                    return Err(at.err(
                        list.span(),
                        "'variants' is empty; use [\"skill\", \"none\"]",
                    ));
                }
                variants
            }
        };

        if let Some(sandbox) = &file.sandbox {
            at.one_of(sandbox, "sandbox", &["none", "bwrap"])?;
        }
        let network = match &file.network {
            None => None,
            Some(n) => {
                at.one_of(n, "network", &["none", "filtered", "host"])?;
                Network::named(n.get_ref())
            }
        };
        let expose = file
            .expose
            .iter()
            .map(|p| crate::workspace::expand_home(p))
            .collect();

        let graders = file
            .grader
            .iter()
            .map(|(name, g)| grader(&at, name, g, &defined_agents))
            .collect::<Result<Vec<_>>>()?;
        let budget = Budget {
            max_tokens: file.budget.as_ref().and_then(|b| b.max_tokens),
            max_usd: file
                .budget
                .as_ref()
                .and_then(|b| b.max_usd.as_ref())
                .map(|usd| at.money(usd, "max_usd"))
                .transpose()?,
        };
        let agent_budget = match file.budget.as_ref().and_then(|b| b.agents.as_ref()) {
            None => crate::run::schedule::AgentBudget::default(),
            Some(b) => crate::run::schedule::AgentBudget {
                max_tokens: b.max_tokens,
                max_usd: b
                    .max_usd
                    .as_ref()
                    .map(|usd| at.money(usd, "max_usd"))
                    .transpose()?,
            },
        };
        let mut agent_prices = BTreeMap::new();
        for (name, def) in &file.agent {
            if let Some(price) = prices(&at, def)? {
                agent_prices.insert(name.clone(), price);
            }
        }
        let grader_names: Vec<&str> = graders.iter().map(|g| g.name.as_str()).collect();
        let rubric = rubric(&at, &file.rubric, &grader_names)?;
        let gates = file
            .gate
            .iter()
            .map(|g| gate(&at, g, &agents))
            .collect::<Result<Vec<_>>>()?;

        if let Some(registries) = &file.registries
            && let Some(bad) = registries
                .get_ref()
                .iter()
                .find(|r| crate::agent::proxy::Allowed::parse(r).is_none())
        {
            return Err(at.err(
                registries.span(),
                format!("'{bad}' is not a host: write a host, host:port, *.domain or a URL"),
            ));
        }
        let integrity_lookups_fail = match file.integrity.as_ref().and_then(|i| i.lookups.as_ref())
        {
            None => true,
            Some(l) => {
                at.one_of(l, "lookups", &["fail", "record"])?;
                l.get_ref() == "fail"
            }
        };
        let integrity_allow = match file.integrity.and_then(|i| i.allow) {
            None => Vec::new(),
            Some(allow) => {
                Globs::new(allow.get_ref()).map_err(|e| at.err(allow.span(), e))?;
                allow.into_inner()
            }
        };

        Ok(Eval {
            name,
            path: path.to_path_buf(),
            workspace,
            skill_dir,
            case_patterns: file.cases.into_inner(),
            agents,
            defined_agents,
            trials,
            timeout,
            variants,
            pass_env: file.pass_env.map(Spanned::into_inner).unwrap_or_default(),
            // Unset: runtimes in bubblewrap where it is installed, everything else not.
            sandbox: file.sandbox.map_or_else(String::new, Spanned::into_inner),
            network,
            expose,
            graders,
            budget,
            agent_budget,
            agent_prices,
            rubric,
            gates,
            registries: file.registries.map(Spanned::into_inner).unwrap_or_default(),
            integrity_allow,
            integrity_lookups_fail,
            subset: false,
            no_cache: false,
            shard: None,
        })
    }
}

fn rubric(at: &Located<'_>, file: &RubricFile, graders: &[&str]) -> Result<Rubric> {
    let pass = match &file.pass {
        None => Grade::B,
        Some(p) => {
            at.one_of(p, "pass grade", &["A", "B"])?;
            p.get_ref()
                .parse()
                .map_err(|e: String| at.err(p.span(), e))?
        }
    };
    if file.criteria.get_ref().is_empty() {
        return Err(at.err(
            file.criteria.span(),
            "the rubric has no criteria; add [[rubric.criteria]] entries",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut criteria = Vec::new();
    for c in file.criteria.get_ref() {
        let id = c.id.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(at.err(
                c.id.span(),
                format!("criterion id '{id}' must be non-empty and use a-z, 0-9, '-' or '_'"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(at.err(c.id.span(), format!("criterion id '{id}' is used twice")));
        }
        at.one_of(&c.kind, "criterion kind", &CRITERION_KINDS)?;
        let kind_name = c.kind.get_ref().as_str();
        // Which optional keys each kind takes; any other key given is an error.
        let allowed: &[&str] = match kind_name {
            "command" | "hidden" => &["run", "timeout"],
            "absent" | "present" => &["pattern", "files"],
            "diff" => &["max_files", "max_lines", "protected"],
            "judge" => &["question", "evidence", "graders"],
            _ => &[],
        };
        let given: [(&str, Option<Range<usize>>); 10] = [
            ("question", c.question.as_ref().map(Spanned::span)),
            ("evidence", c.evidence.as_ref().map(Spanned::span)),
            ("graders", c.graders.as_ref().map(Spanned::span)),
            ("run", c.run.as_ref().map(Spanned::span)),
            ("timeout", c.timeout.as_ref().map(Spanned::span)),
            ("pattern", c.pattern.as_ref().map(Spanned::span)),
            ("files", c.files.as_ref().map(Spanned::span)),
            ("max_files", c.max_files.map(|_| c.kind.span())),
            ("max_lines", c.max_lines.map(|_| c.kind.span())),
            ("protected", c.protected.as_ref().map(Spanned::span)),
        ];
        for (key, span) in given {
            if let Some(span) = span
                && !allowed.contains(&key)
            {
                let takes = if allowed.is_empty() {
                    "no other keys".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(at.err(
                    span,
                    format!("'{key}' does not apply to a {kind_name} criterion (it takes {takes})"),
                ));
            }
        }
        let need_run = || {
            let run = c.run.as_ref().ok_or_else(|| {
                at.err(
                    c.kind.span(),
                    format!("a {kind_name} criterion needs 'run', the shell command to run"),
                )
            })?;
            if run.get_ref().trim().is_empty() {
                return Err(at.err(
                    run.span(),
                    "'run' is empty: a command that runs nothing always passes; write the check's shell command",
                ));
            }
            Ok(run.get_ref().clone())
        };
        let timeout = c
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_CHECK_TIMEOUT);
        let files = || -> Result<Globs> {
            let patterns = c
                .files
                .as_ref()
                .map_or_else(|| vec!["**/*".to_string()], |f| f.get_ref().clone());
            Globs::new(&patterns)
                .map_err(|e| at.err(c.files.as_ref().map_or(c.kind.span(), Spanned::span), e))
        };
        let pattern = || -> Result<regex::Regex> {
            let p = c.pattern.as_ref().ok_or_else(|| {
                at.err(
                    c.kind.span(),
                    format!("a {kind_name} criterion needs 'pattern', a regular expression"),
                )
            })?;
            regex::Regex::new(p.get_ref())
                .map_err(|e| at.err(p.span(), format!("bad regular expression: {e}")))
        };
        let kind = match kind_name {
            "command" => CriterionKind::Command {
                run: need_run()?,
                timeout,
            },
            "hidden" => CriterionKind::Hidden {
                run: need_run()?,
                timeout,
            },
            "absent" => CriterionKind::Absent {
                pattern: pattern()?,
                files: files()?,
            },
            "present" => CriterionKind::Present {
                pattern: pattern()?,
                files: files()?,
            },
            "diff" => {
                let protected = c
                    .protected
                    .as_ref()
                    .map(|p| Globs::new(p.get_ref()).map_err(|e| at.err(p.span(), e)))
                    .transpose()?;
                if c.max_files.is_none() && c.max_lines.is_none() && protected.is_none() {
                    return Err(at.err(
                        c.kind.span(),
                        "a diff criterion needs max_files, max_lines or protected",
                    ));
                }
                CriterionKind::Diff {
                    max_files: c.max_files,
                    max_lines: c.max_lines,
                    protected,
                }
            }
            "escalation" => CriterionKind::Escalation,
            "judge" => {
                let question = c
                    .question
                    .as_ref()
                    .filter(|q| !q.get_ref().trim().is_empty())
                    .ok_or_else(|| {
                        at.err(
                            c.kind.span(),
                            "a judge criterion needs 'question', what its graders answer",
                        )
                    })?;
                let names: Vec<&str> = JudgeEvidence::ALL.iter().map(|(n, _)| *n).collect();
                let evidence = match &c.evidence {
                    None => vec![JudgeEvidence::Finding, JudgeEvidence::Diff],
                    Some(list) => list
                        .get_ref()
                        .iter()
                        .map(|e| {
                            at.one_of(e, "evidence", &names)?;
                            Ok(JudgeEvidence::ALL
                                .iter()
                                .find(|(n, _)| n == e.get_ref())
                                .map_or(JudgeEvidence::Diff, |(_, k)| *k))
                        })
                        .collect::<Result<Vec<_>>>()?,
                };
                let mut chosen = Vec::new();
                for g in c.graders.iter().flat_map(|g| g.get_ref()) {
                    at.one_of(
                        g,
                        "grader (not among the eval's [grader.NAME] tables)",
                        graders,
                    )?;
                    chosen.push(g.get_ref().clone());
                }
                CriterionKind::Judge {
                    question: question.get_ref().trim().to_string(),
                    evidence,
                    graders: chosen,
                }
            }
            _ => CriterionKind::Signals,
        };
        criteria.push(Criterion {
            id: id.clone(),
            description: c.description.clone().unwrap_or_default(),
            required: c.required.unwrap_or(true),
            applies_to: c.applies_to,
            kind,
        });
    }
    Ok(Rubric { pass, criteria })
}

fn gate(at: &Located<'_>, spanned: &Spanned<GateFile>, agents: &[AgentSpec]) -> Result<Gate> {
    let file = spanned.get_ref();
    if let Some(agent) = &file.agent {
        let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
        at.one_of(agent, "gate agent (not among the eval's agents)", &names)?;
    }
    let variant = match &file.variant {
        None => None,
        Some(v) => {
            at.one_of(v, "gate variant", &["skill", "none", "-"])?;
            Some(match v.get_ref().as_str() {
                "skill" => Variant::Skill,
                "none" => Variant::None,
                _ => Variant::Ignored,
            })
        }
    };
    for rate in [&file.min_pass_rate, &file.max_pass_rate]
        .into_iter()
        .flatten()
    {
        if !(0.0..=1.0).contains(rate.get_ref()) {
            return Err(at.err(
                rate.span(),
                format!("a pass rate is between 0 and 1, not {}", rate.get_ref()),
            ));
        }
    }
    if file.min_pass_rate.is_none()
        && file.max_pass_rate.is_none()
        && file.min_uplift.is_none()
        && file.max_regressions.is_none()
    {
        return Err(at.err(
            spanned.span(),
            "a [[gate]] needs min_pass_rate, max_pass_rate, min_uplift or max_regressions",
        ));
    }
    if let Some(u) = &file.min_uplift
        && !(-1.0..=1.0).contains(u.get_ref())
    {
        return Err(at.err(
            u.span(),
            format!(
                "an uplift is between -1 and 1 (a difference of pass rates), not {}",
                u.get_ref()
            ),
        ));
    }
    if let Some(bound) = &file.uplift_bound {
        at.one_of(bound, "uplift_bound", &["point", "lower"])?;
    }
    let max_regressions = match &file.max_regressions {
        Some(m) if *m.get_ref() < 0 => {
            return Err(at.err(m.span(), "max_regressions is 0 or more"));
        }
        Some(m) => Some(usize::try_from(*m.get_ref()).unwrap_or(usize::MAX)),
        None => None,
    };
    if let Some(glob) = &file.case {
        globset::Glob::new(glob.get_ref())
            .map_err(|e| at.err(glob.span(), format!("bad case glob: {e}")))?;
    }
    let expectation = match &file.expectation {
        None => None,
        Some(e) => {
            at.one_of(e, "gate expectation", &["fix", "escalate"])?;
            Some(if e.get_ref() == "fix" {
                Expectation::Fix
            } else {
                Expectation::Escalate
            })
        }
    };
    Ok(Gate {
        agent: file.agent.as_ref().map(|a| a.get_ref().clone()),
        variant,
        case: file.case.as_ref().map(|c| c.get_ref().clone()),
        expectation,
        min_pass_rate: file.min_pass_rate.as_ref().map(|r| *r.get_ref()),
        max_pass_rate: file.max_pass_rate.as_ref().map(|r| *r.get_ref()),
        min_uplift: file.min_uplift.as_ref().map(|u| *u.get_ref()),
        uplift_on_lower_bound: file
            .uplift_bound
            .as_ref()
            .is_some_and(|b| b.get_ref() == "lower"),
        max_regressions,
        allow_unavailable: file.allow_unavailable,
    })
}

const AGENT_KINDS: [&str; 5] = ["command", "claude-code", "copilot", "codex", "gemini"];

/// One `[agent.NAME]` table, checked.
fn agent(at: &Located<'_>, name: &str, def: &Spanned<AgentFile>) -> Result<AgentSpec> {
    let file = def.get_ref();
    at.one_of(&file.kind, "agent kind", &AGENT_KINDS)?;
    let kind = file.kind.get_ref();
    let runtime_keys = [
        ("binary", file.binary.as_ref().map(Spanned::span)),
        ("model", file.model.as_ref().map(Spanned::span)),
        ("base_url", file.base_url.as_ref().map(Spanned::span)),
        ("credentials", file.credentials.as_ref().map(Spanned::span)),
        ("args", file.args.as_ref().map(Spanned::span)),
    ];
    let Some(runtime) = Runtime::named(kind) else {
        // A command agent.
        if let Some((key, Some(span))) = runtime_keys.into_iter().find(|(_, s)| s.is_some()) {
            return Err(at.err(
                span,
                format!("'{key}' is for agent runtimes; a command agent takes only 'command'"),
            ));
        }
        let Some(command) = &file.command else {
            return Err(at.err(
                def.span(),
                "a command agent needs 'command': the program and its arguments",
            ));
        };
        if command
            .get_ref()
            .first()
            .is_none_or(|p| p.trim().is_empty())
        {
            return Err(at.err(
                command.span(),
                "'command' is empty or names no program: give the program and its arguments",
            ));
        }
        // Relative paths in the command are the eval file's neighbours, wherever skillbench
        // runs from: the program when it names a path (`./my-agent.sh`), and any argument
        // starting `./` or `../` that names a file there.
        let dir = at.path.parent().unwrap_or(Path::new("."));
        let argv = command
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                let path = Path::new(arg);
                let relative = path.is_relative()
                    && ((i == 0 && arg.contains('/'))
                        || arg.starts_with("./")
                        || arg.starts_with("../"));
                match relative
                    .then(|| dir.join(path))
                    .and_then(|p| p.canonicalize().ok())
                {
                    Some(resolved) if i == 0 || resolved.is_file() => {
                        resolved.to_string_lossy().into_owned()
                    }
                    _ => arg.clone(),
                }
            })
            .collect();
        return Ok(AgentSpec {
            name: name.to_string(),
            kind: AgentKind::Command { argv },
        });
    };
    if let Some(command) = &file.command {
        return Err(at.err(
            command.span(),
            format!(
                "'command' is for command agents; a {kind} agent takes binary, model, base_url, \
                 credentials and args"
            ),
        ));
    }
    if let Some(url) = &file.base_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        return Err(at.err(
            url.span(),
            format!("base_url '{}' is not an http(s) URL", url.get_ref()),
        ));
    }
    if let Some(creds) = &file.credentials
        && let Some(bad) = creds.get_ref().iter().find(|c| !is_variable_name(c))
    {
        return Err(at.err(
            creds.span(),
            format!(
                "credential '{bad}' is not a variable name: credentials are passed by name, never \
                 by value"
            ),
        ));
    }
    let mut rt = RuntimeAgent::default_for(runtime);
    rt.binary = file
        .binary
        .as_ref()
        .map(|b| crate::workspace::expand_home(b.get_ref()));
    rt.model = file.model.as_ref().map(|m| m.get_ref().clone());
    rt.base_url = file.base_url.as_ref().map(|u| u.get_ref().clone());
    if let Some(creds) = &file.credentials {
        rt.credentials = creds.get_ref().clone();
    }
    rt.args = file
        .args
        .as_ref()
        .map(|a| a.get_ref().clone())
        .unwrap_or_default();
    Ok(AgentSpec {
        name: name.to_string(),
        kind: AgentKind::Runtime(rt),
    })
}

/// An agent's `usd_per_mtok_in` and `usd_per_mtok_out`: both or neither, on a runtime.
fn prices(at: &Located<'_>, def: &Spanned<AgentFile>) -> Result<Option<(f64, f64)>> {
    let file = def.get_ref();
    match (&file.usd_per_mtok_in, &file.usd_per_mtok_out) {
        (None, None) => Ok(None),
        (Some(i), Some(o)) => {
            if Runtime::named(file.kind.get_ref()).is_none() {
                return Err(at.err(
                    i.span(),
                    "prices are for agent runtimes (they report tokens); a command agent reports no usage",
                ));
            }
            Ok(Some((
                at.money(i, "usd_per_mtok_in")?,
                at.money(o, "usd_per_mtok_out")?,
            )))
        }
        (Some(one), None) | (None, Some(one)) => Err(at.err(
            one.span(),
            "give both usd_per_mtok_in and usd_per_mtok_out (dollars per million tokens in and out)",
        )),
    }
}

const GRADER_KINDS: [&str; 3] = ["anthropic", "openai", "agent"];
const DEFAULT_GRADER_TIMEOUT: Duration = Duration::from_secs(120);

/// One `[grader.NAME]` table, checked.
fn grader(
    at: &Located<'_>,
    name: &str,
    spanned: &Spanned<GraderFile>,
    agents: &[AgentSpec],
) -> Result<Grader> {
    let file = spanned.get_ref();
    at.one_of(&file.kind, "grader kind", &GRADER_KINDS)?;
    let kind = match file.kind.get_ref().as_str() {
        "anthropic" => GraderKind::Anthropic,
        "openai" => GraderKind::OpenAi,
        _ => {
            let agent = file.agent.as_ref().ok_or_else(|| {
                at.err(
                    spanned.span(),
                    "an agent grader needs 'agent', the name of one of the eval's agents",
                )
            })?;
            let names: Vec<&str> = agents
                .iter()
                .filter(|a| matches!(a.kind, AgentKind::Command { .. } | AgentKind::Runtime(_)))
                .map(|a| a.name.as_str())
                .collect();
            at.one_of(agent, "grader agent (a runtime or command agent)", &names)?;
            GraderKind::Agent(agent.get_ref().clone())
        }
    };
    let api = !matches!(kind, GraderKind::Agent(_));
    if api && let Some(agent) = &file.agent {
        return Err(at.err(
            agent.span(),
            "'agent' is for agent graders (kind = \"agent\")",
        ));
    }
    let model = match (&file.model, api) {
        (Some(m), _) => m.get_ref().clone(),
        (None, false) => String::new(),
        (None, true) => {
            return Err(at.err(
                spanned.span(),
                format!("grader '{name}' needs 'model', the model to ask"),
            ));
        }
    };
    if let Some(url) = &file.base_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        return Err(at.err(
            url.span(),
            format!("base_url '{}' is not an http(s) URL", url.get_ref()),
        ));
    }
    let credential = match &file.credential {
        Some(c)
            if !c
                .get_ref()
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_') =>
        {
            return Err(at.err(
                c.span(),
                "a credential is the NAME of an environment variable, never its value",
            ));
        }
        Some(c) => Some(c.get_ref().clone()),
        None => match kind {
            GraderKind::Anthropic => Some("ANTHROPIC_API_KEY".into()),
            GraderKind::OpenAi => Some("OPENAI_API_KEY".into()),
            GraderKind::Agent(_) => None,
        },
    };
    Ok(Grader {
        name: name.to_string(),
        base_url: file.base_url.as_ref().map_or_else(
            || Grader::default_base_url(&kind).to_string(),
            |u| u.get_ref().clone(),
        ),
        kind,
        model,
        credential,
        timeout: file
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_GRADER_TIMEOUT),
        max_retries: file.max_retries.unwrap_or(3),
        usd_per_mtok: match (&file.usd_per_mtok_in, &file.usd_per_mtok_out) {
            (Some(i), Some(o)) => Some((
                at.money(i, "usd_per_mtok_in")?,
                at.money(o, "usd_per_mtok_out")?,
            )),
            _ => None,
        },
    })
}

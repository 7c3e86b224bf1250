//! The command line, as clap types. [`crate::run`] turns them into work.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// Evaluate agent skills: run cold agents on pinned repos with known findings, grade every
/// outcome A/B/C, and diff the grades against an accepted snapshot.
#[derive(Debug, Parser)]
#[command(name = "skillbench", version, about, max_term_width = 100)]
pub struct Cli {
    /// The workspace (the folder holding skills/, corpora/, evals/); found from the current
    /// folder when not given.
    #[arg(short = 'C', long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,

    /// GitHub Actions output: annotations for bad inputs, lint findings and failed cases,
    /// and a step summary in $GITHUB_STEP_SUMMARY [default: on when GITHUB_ACTIONS=true].
    #[arg(long, global = true)]
    pub github: bool,

    /// Colours on the terminal: `auto` (when stderr is a terminal and NO_COLOR is unset),
    /// `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: crate::run::terminal::ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an eval: every case × agent × variant × trial, graded, compared with the snapshot.
    Eval(EvalArgs),
    /// Lint and scaffold skills.
    #[command(subcommand)]
    Skill(SkillCommand),
    /// Verify, list, fetch and add corpus cases.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Walk the pending snapshots interactively: accept, reject or skip each.
    Review {
        /// Only evals whose name contains this.
        eval: Option<String>,
    },
    /// Accept pending snapshots (`<eval>.snap.new` replaces `<eval>.snap`).
    Accept {
        /// Only evals whose name contains this.
        eval: Option<String>,
    },
    /// Reject pending snapshots (delete `<eval>.snap.new`).
    Reject {
        /// Only evals whose name contains this.
        eval: Option<String>,
    },
    /// Grade stored runs again with the current rubric, calling no agent; writes a new
    /// results set that names the one it re-graded, then compares and gates as `eval` does.
    Grade(GradeArgs),
    /// Resume an interrupted eval: run what it had not finished, with the same selection,
    /// reusing its finished runs; the results are those of an uninterrupted eval.
    Resume(ResumeArgs),
    /// Merge the results sets of an eval's shards (`eval --shard I/N`) into one, then
    /// compare it with the snapshot and check the gates as for an unsharded eval.
    Merge(MergeArgs),
    /// Prune the results store (`.skillbench/runs/`): keep the newest N results sets, or
    /// those younger than a duration, or both; the latest run is always kept.
    Gc {
        /// Keep this many of the newest results sets.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Remove results sets older than this (`30d`, `12h`).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        older_than: Option<std::time::Duration>,
    },
    /// Hold graders against human verdicts: agreement and Cohen's kappa per grader and
    /// criterion, and the disagreements to read.
    Calibrate {
        /// The labels file (TOML): `results` (a run id, default the latest) and
        /// `[[label]]` tables with `run`, `criterion` and `verdict` (pass or fail).
        labels: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Render the scorecard of stored results.
    Scorecard {
        /// A run id or run folder; the latest run when omitted.
        run: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Suggest skill revisions from the failures and skill gaps of stored results.
    Suggest {
        /// A run id or run folder; the latest run when omitted.
        run: Option<String>,
    },
    /// List the agents: the baselines and each agent runtime, whether it is installed here,
    /// its version and what it is missing.
    Agents {
        /// List this eval's agents as it configures them, instead of the predefined ones.
        #[arg(long, value_name = "EVAL")]
        eval: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Print a JSON Schema shipped with skillbench.
    Schema {
        #[arg(value_enum)]
        which: SchemaName,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaName {
    /// Agent Signals v1.
    Signals,
    /// results.json.
    Results,
    /// The JSON lines of `--message-format json`.
    Events,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The eval files, e.g. evals/pyyaml-safe-load.toml [default: every evals/*.toml of
    /// the workspace]. Each is checked before any runs; each is run and reported in turn.
    pub evals: Vec<PathBuf>,
    /// Run only the evals whose inputs changed since this git revision (by content: the
    /// eval file, its skill, its cases with their checks and fixtures, its command agents'
    /// files; uncommitted and untracked changes count). The pull-request mode.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Run only these agents (repeatable), instead of the eval's list.
    #[arg(long = "agent", value_name = "NAME")]
    pub agents: Vec<String>,
    /// Run only the eval's cases matching this glob (repeatable), e.g. `python-cves/*`.
    #[arg(long = "case", value_name = "PATTERN")]
    pub cases: Vec<String>,
    /// Run this many trials of each run, instead of the eval's number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub trials: Option<u32>,
    /// How many runs at a time [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// CI mode: never write snapshots; any difference fails. Also on when CI=true.
    #[arg(long)]
    pub ci: bool,
    /// Run setup, agents and checks in a sandbox: `bwrap` (bubblewrap) or `none`
    /// [default: the eval's `sandbox`, else none].
    #[arg(long, value_name = "KIND", value_parser = ["bwrap", "none"])]
    pub sandbox: Option<String>,
    /// The agents' network inside the sandbox: `none` (loopback only), `filtered` (only the
    /// model endpoint and the named registries, through skillbench's proxy) or `host`
    /// [default: the eval's `network`, else filtered for runtimes and none for the rest].
    #[arg(long, value_name = "NET", value_parser = ["none", "filtered", "host"])]
    pub network: Option<String>,
    /// Mount this folder back read-only inside the sandbox although it is hidden (repeatable;
    /// e.g. a toolchain under HOME).
    #[arg(long, value_name = "DIR")]
    pub expose: Vec<PathBuf>,
    /// Run every run again, even those a stored run with the same content key answers.
    #[arg(long, conflicts_with = "resume")]
    pub no_cache: bool,
    /// Resume each eval's latest results set, which must be interrupted: only what it had
    /// not finished runs (`skillbench resume RUN` repeats its selection for you).
    #[arg(long)]
    pub resume: bool,
    /// Also write the results as JUnit XML here (one test case per run).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Run only shard I of N (`2/4`): a deterministic share of the plan by content key,
    /// stored as a self-contained results set for `skillbench merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Start no new run once the agents have used this many tokens, in and out
    /// [default: the eval's `[budget.agents] max_tokens`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens: Option<u64>,
    /// Start no new run once the agents have spent this many dollars (as the runtimes
    /// report, or at the eval's prices) [default: the eval's `[budget.agents] max_usd`].
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub max_usd: Option<f64>,
    /// Leave runs whose runtime is unavailable out of the gates instead of failing them.
    #[arg(long)]
    pub allow_unavailable: bool,
    /// `human`, or `json` for one JSON object per event on stdout (schema:
    /// `skillbench schema events`).
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

#[derive(Debug, clap::Args)]
pub struct GradeArgs {
    /// A run id or run folder; the latest run when omitted.
    pub run: Option<String>,
    /// The eval whose rubric and gates apply [default: the eval the run was made with].
    #[arg(long, value_name = "EVAL")]
    pub eval: Option<PathBuf>,
    /// How many runs at a time [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Run the rubric's commands in a sandbox: `bwrap` or `none` [default: the eval's].
    #[arg(long, value_name = "KIND", value_parser = ["bwrap", "none"])]
    pub sandbox: Option<String>,
    /// CI mode: never write snapshots; any difference fails. Also on when CI=true.
    #[arg(long)]
    pub ci: bool,
    /// Also write the new results as JUnit XML here (one test case per run).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// `human`, or `json` for one JSON object per event on stdout (schema:
    /// `skillbench schema events`).
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// The interrupted run: a run id or run folder; the latest run when omitted.
    pub run: Option<String>,
    /// How many runs at a time [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// CI mode: never write snapshots; any difference fails. Also on when CI=true.
    #[arg(long)]
    pub ci: bool,
    /// Also write the results as JUnit XML here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// `human`, or `json` for one JSON object per event on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' results: run ids or run folders, one per shard.
    #[arg(required = true)]
    pub shards: Vec<String>,
    /// CI mode: never write snapshots; any difference fails. Also on when CI=true.
    #[arg(long)]
    pub ci: bool,
    /// Also write the merged results as JUnit XML here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// `human`, or `json` for one JSON object per event on stdout (schema:
    /// `skillbench schema events`).
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

/// A positive, finite amount of dollars.
fn parse_usd(text: &str) -> Result<f64, String> {
    match text.trim().trim_start_matches('$').parse::<f64>() {
        Ok(usd) if usd.is_finite() && usd > 0.0 => Ok(usd),
        _ => Err(format!(
            "'{text}' is not an amount of dollars above 0 (e.g. 2.50)"
        )),
    }
}

/// `I/N` with 1 <= I <= N <= 1000.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not I/N (e.g. 2/4)"))?;
    let (i, n): (u32, u32) = (
        i.trim()
            .parse()
            .map_err(|_| format!("'{i}' is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("'{n}' is not a number"))?,
    );
    if n == 0 || n > 1000 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: I must be 1 to N, and N 1 to 1000"));
    }
    Ok((i, n))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Prove each case measures what it claims: it materializes at its pinned commit, its
    /// finding is there, its setup succeeds, `reference` gets A, `noop` C, and a bump alone
    /// is graded (A: not a judgment case; C with the visible tests green: the trap).
    Verify {
        /// Corpora (`python-cves`) or cases (`python-cves/job-queue`, globs allowed);
        /// every case when omitted.
        select: Vec<String>,
        /// How many cases' runs at a time [default: the number of cores].
        #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Run each baseline this many times; every trial must come out as the case
        /// claims, so a flaky reference is caught before it ships.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        trials: u32,
        /// Run setup and checks in a sandbox: `bwrap` or `none`.
        #[arg(long, value_name = "KIND", default_value = "none", value_parser = ["bwrap", "none"])]
        sandbox: String,
        /// Mount this folder back read-only inside the sandbox (repeatable).
        #[arg(long, value_name = "DIR")]
        expose: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// `human`, or `json` for one JSON object per event (each case verified) on
        /// stdout; the report then goes to stderr.
        #[arg(long, value_enum, default_value = "human")]
        message_format: MessageFormat,
    },
    /// List the cases: expectation, ecosystems, source and pinned commit, findings.
    List {
        select: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Fill the mirror cache for the git cases, so they run where the network is gone.
    /// Mirrors live in `<cache>/mirrors/` (the cache is `$SKILLBENCH_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/skillbench`, else `~/.cache/skillbench`).
    Fetch {
        /// Corpora or cases (globs allowed); every git case when omitted.
        select: Vec<String>,
        /// Fill the mirrors from this local clone or bare repository instead of the
        /// cases' URLs (no network); every selected git case must be in it.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Turn a SARIF file's results (CodeQL and other scanners) into `[[findings]]`: printed,
    /// or appended to a case with `--case`.
    ImportSarif {
        sarif: PathBuf,
        /// The case (`corpus/case`) whose case.toml gets the findings.
        #[arg(long, value_name = "CASE")]
        case: Option<String>,
    },
    /// Scaffold a case: from a git URL and a commit (fetched into the mirror), or from a
    /// folder (copied as the fixture); the ecosystem's setup and checks, the advisory's
    /// findings, a hidden check stub; then `corpus verify` on it.
    Add {
        /// `corpus/case`, the new case's id.
        id: String,
        /// The repository's URL (or a path or file:// URL of a local repository).
        #[arg(long, value_name = "URL", requires = "rev", conflicts_with = "from")]
        git: Option<String>,
        /// The full commit SHA to pin.
        #[arg(long, value_name = "SHA")]
        rev: Option<String>,
        /// The upstream commit that fixed the finding: the case's `[reference] rev`.
        #[arg(long, value_name = "SHA", requires = "git")]
        fix_rev: Option<String>,
        /// A folder to copy in as the fixture repository.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// Fill the git case's mirror from this local clone or bare repository instead of
        /// its URL (no network), as `corpus fetch --from` does.
        #[arg(long, value_name = "DIR", requires = "git")]
        seed: Option<PathBuf>,
        /// The findings: an OSV record (a JSON file, or a folder of them with
        /// --advisory-id), or the JSON of `cargo audit --json`, `npm audit --json` or
        /// `pip-audit -f json`.
        #[arg(long, value_name = "FILE")]
        advisory: Option<PathBuf>,
        /// Only this advisory of --advisory (its id or an alias).
        #[arg(long, value_name = "ID", requires = "advisory")]
        advisory_id: Option<String>,
        /// `fix` or `escalate`.
        #[arg(long, default_value = "fix", value_parser = ["fix", "escalate"])]
        expectation: String,
        /// Write the case without running `corpus verify` on it.
        #[arg(long)]
        no_verify: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SkillCommand {
    /// Check skills against the Agent Skills format and skillbench's rules.
    Lint {
        /// Skill folders or SKILL.md files; every skill under skills/ when omitted.
        paths: Vec<PathBuf>,
    },
    /// Create a new skill that passes lint.
    New {
        name: String,
        /// Where to create it [default: the workspace's skills/].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

//! `skillbench eval`: the evals named (or every one), checked and selected, run and
//! concluded.

use std::path::Path;

use super::conclude::{Outputs, conclude};
use super::{ci_mode, jobs_or_cores};
use crate::Outcome;
use crate::cli::{EvalArgs, MessageFormat};
use crate::corpus::{self, Case, PreparedSource};
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::run;
use crate::run::event::{Level, Reporters};
use crate::skill::Skill;
use crate::workspace;

/// One eval, checked and selected, ready to run.
struct Selected {
    eval: Eval,
    /// The eval file as the user named it (or as found under `evals/`).
    arg: std::path::PathBuf,
    skill: Skill,
    cases: Vec<Case>,
    sandbox: crate::agent::Sandbox,
}

/// `skillbench eval [EVAL…]`: every eval is loaded, checked and selected before any runs,
/// so a bad one stops the command before any work; then each runs and is concluded in
/// turn, and the outcome is the most severe of theirs.
pub(super) fn eval(
    args: &EvalArgs,
    dir: Option<&Path>,
    workspace: &dyn Fn() -> Result<workspace::Workspace>,
    color: run::terminal::ColorChoice,
    github: bool,
) -> Result<Outcome> {
    crate::agent::probe_in_background();
    let json = args.message_format == MessageFormat::Json;
    let reporter = Reporters::standard(color, json, github, args.junit.as_deref());
    let outcome = eval_with(args, dir, workspace, github, &reporter);
    // The outcome's own error first; else what the reporters could not write.
    let outcome = outcome?;
    reporter.finish()?;
    Ok(outcome)
}

fn eval_with(
    args: &EvalArgs,
    dir: Option<&Path>,
    workspace: &dyn Fn() -> Result<workspace::Workspace>,
    github: bool,
    reporter: &Reporters,
) -> Result<Outcome> {
    let paths = eval_paths(args, dir, workspace)?;
    let several = paths.len() > 1;
    let mut selected: Vec<Selected> = Vec::new();
    for path in &paths {
        match select(args, path, several, reporter)? {
            Some(s) => selected.push(s),
            None => continue,
        }
    }
    if selected.is_empty() {
        return Err(Error::NothingSelected(format!(
            "no eval of {} has what --agent and --case select",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if args.resume {
        check_resumable(&selected)?;
    }
    if let Some(rev) = &args.changed_since {
        let changed = crate::changed::since(&selected[0].eval.workspace, rev)?;
        let before = selected.len();
        selected.retain(|s| {
            changed.affects(&inputs(s))
                || changed.touches_cases(&s.eval.workspace.corpora_dir(), &s.eval.case_patterns)
        });
        let names: Vec<&str> = selected.iter().map(|s| s.eval.name.as_str()).collect();
        reporter.note(
            Level::Info,
            format!(
                "changed since {rev}: {} of {before} eval(s){}{}",
                selected.len(),
                if names.is_empty() { "" } else { ": " },
                names.join(", ")
            ),
        );
        if selected.is_empty() {
            // Nothing to run is a success, and CI still gets its (empty) JUnit report.
            return Ok(Outcome::Success);
        }
    }
    let outputs = Outputs {
        ci: ci_mode(args.ci),
        github,
    };
    let jobs = jobs_or_cores(args.jobs);
    // Every eval's sources prepared (the scratch folders live until the runs are done),
    // then all their runs in one scheduler.
    let mut scratches = Vec::new();
    let mut eval_jobs = Vec::new();
    for s in &mut selected {
        let (scratch, prepared) = prepare_sources(std::mem::take(&mut s.cases))?;
        scratches.push(scratch);
        eval_jobs.push(run::evals::EvalJob {
            eval: &s.eval,
            skill: &s.skill,
            cases: prepared,
            sandbox: &s.sandbox,
        });
    }
    let concluded = run::evals::run_evals(eval_jobs, jobs, reporter)?;
    drop(scratches);
    let mut outcome = Outcome::Success;
    for (s, (results, results_dir)) in selected.iter().zip(&concluded) {
        let this = conclude(&s.eval, &s.arg, results, results_dir, &outputs, reporter)?;
        outcome = outcome.most_severe(this);
    }
    Ok(outcome)
}

/// The eval files to run: those named (relative to `-C DIR` when given), or every
/// `evals/*.toml` of the workspace, in name order.
fn eval_paths(
    args: &EvalArgs,
    dir: Option<&Path>,
    workspace: &dyn Fn() -> Result<workspace::Workspace>,
) -> Result<Vec<std::path::PathBuf>> {
    if !args.evals.is_empty() {
        // With `-C DIR`, a relative eval path is under DIR, as every other path is.
        return Ok(args
            .evals
            .iter()
            .map(|p| match dir {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p.clone(),
            })
            .collect());
    }
    let evals = workspace()?.evals_dir();
    if !evals.is_dir() {
        return Err(Error::NothingSelected(format!(
            "no eval in {}: name one (skillbench eval evals/NAME.toml) or add evals/*.toml",
            evals.display()
        )));
    }
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&evals)
        .map_err(|e| Error::read(&evals, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    // Shown (in errors too) as the user would name them: relative to here when below it.
    if let Ok(here) = std::env::current_dir().and_then(|d| d.canonicalize()) {
        for path in &mut paths {
            if let Ok(rel) = path.strip_prefix(&here) {
                *path = rel.to_path_buf();
            }
        }
    }
    if paths.is_empty() {
        return Err(Error::NothingSelected(format!(
            "no eval in {}: name one (skillbench eval evals/NAME.toml) or add evals/*.toml",
            evals.display()
        )));
    }
    Ok(paths)
}

/// What an eval's results depend on in the workspace: its file (the rubric and the gates
/// with it), its skill, its snapshot, its cases (their checks, hidden files and fixtures)
/// and the files its command agents and command grader agents name.
fn inputs(s: &Selected) -> Vec<std::path::PathBuf> {
    let snapshots = s.eval.workspace.snapshots_dir();
    let mut inputs = vec![
        s.eval.path.clone(),
        s.eval.skill_dir.clone(),
        // What the results are compared with: an edited snapshot changes the verdict.
        crate::snapshot::pending::accepted_path(&snapshots, &s.eval.name),
    ];
    inputs.extend(s.cases.iter().map(|c| c.dir.clone()));
    // The other versions kept in a folder (a git version changes with its revision).
    inputs.extend(
        s.eval
            .versions
            .iter()
            .filter(|v| v.source.starts_with("path:"))
            .map(|v| v.dir.clone()),
    );
    // The agents it runs, and the agents its graders are.
    let graders = s.eval.graders.iter().filter_map(|g| match &g.kind {
        crate::grade::GraderKind::Agent(name) => {
            s.eval.defined_agents.iter().find(|a| a.name == *name)
        }
        _ => None,
    });
    for agent in s.eval.agents.iter().chain(graders) {
        if let crate::agent::AgentKind::Command { argv } = &agent.kind {
            inputs.extend(
                argv.iter()
                    .map(std::path::PathBuf::from)
                    .filter(|p| p.is_absolute() && p.is_file()),
            );
        }
    }
    inputs
}

/// Loads `path` and applies the command line to it; checks everything that can be checked
/// before a run. With `several` evals, one that has none of the `--agent`s or `--case`s
/// asked for is left out (`None`, with a note) instead of failing the command.
fn select(
    args: &EvalArgs,
    path: &Path,
    several: bool,
    reporter: &Reporters,
) -> Result<Option<Selected>> {
    let mut eval = Eval::load(path)?;
    if !args.agents.is_empty() {
        let missing: Vec<&String> = args
            .agents
            .iter()
            .filter(|name| !eval.defined_agents.iter().any(|a| a.name == **name))
            .collect();
        if several && missing.len() == args.agents.len() {
            reporter.note(
                Level::Note,
                format!(
                    "{} left out: it defines none of the agents asked for",
                    path.display()
                ),
            );
            return Ok(None);
        }
        if let Some(name) = missing.first().filter(|_| !several) {
            let names: Vec<&str> = eval
                .defined_agents
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            return Err(Error::Usage(format!(
                "--agent {name}: no such agent in {}; known: {}",
                path.display(),
                names.join(", ")
            )));
        }
        eval.agents = args
            .agents
            .iter()
            .filter_map(|name| {
                eval.defined_agents
                    .iter()
                    .find(|a| a.name == *name)
                    .cloned()
            })
            .collect();
    }
    if let Some(trials) = args.trials {
        eval.subset |= trials < eval.trials;
        eval.trials = trials;
    }
    eval.subset |= !args.agents.is_empty() || !args.cases.is_empty();
    if args.max_tokens.is_some() {
        eval.agent_budget.max_tokens = args.max_tokens;
    }
    if args.max_usd.is_some() {
        eval.agent_budget.max_usd = args.max_usd;
    }
    eval.no_cache = args.no_cache;
    eval.shard = args.shard;
    if let Some(sandbox) = &args.sandbox {
        eval.sandbox = sandbox.clone();
    }
    if let Some(network) = &args.network {
        eval.network = crate::agent::Network::named(network);
    }
    eval.expose.extend(args.expose.iter().cloned());
    if args.allow_unavailable {
        for gate in &mut eval.gates {
            gate.allow_unavailable = true;
        }
    }
    let sandbox = check_sandbox(&eval)?;
    let skill = Skill::load(&eval.skill_dir)?;
    eval.command = command_of(args, &eval);

    let (cases, unmatched) = corpus::select(&eval.workspace.corpora_dir(), &eval.case_patterns)?;
    for pattern in &unmatched {
        reporter.note(
            Level::Warning,
            format!(
                "case pattern '{pattern}' in {} matches no case",
                path.display()
            ),
        );
    }
    if cases.is_empty() {
        return Err(Error::NothingSelected(format!(
            "the case patterns of {} ({}) match no case under {}",
            path.display(),
            eval.case_patterns.join(", "),
            eval.workspace.corpora_dir().display()
        )));
    }
    let cases = match only_cases(cases, &args.cases, path) {
        Err(Error::NothingSelected(why)) if several => {
            reporter.note(Level::Note, format!("{} left out: {why}", path.display()));
            return Ok(None);
        }
        other => other?,
    };
    Ok(Some(Selected {
        eval,
        arg: path.to_path_buf(),
        skill,
        cases,
        sandbox,
    }))
}

/// The `eval` arguments that select `eval`'s plan, for `skillbench resume`: its file
/// (relative to the workspace) and the flags that shape the plan.
fn command_of(args: &EvalArgs, eval: &Eval) -> Vec<String> {
    let mut command = vec![
        eval.workspace
            .display(&eval.path)
            .to_string_lossy()
            .into_owned(),
    ];
    let mut flag = |name: &str, value: String| {
        command.push(name.to_string());
        command.push(value);
    };
    for agent in &args.agents {
        flag("--agent", agent.clone());
    }
    for case in &args.cases {
        flag("--case", case.clone());
    }
    if let Some(trials) = args.trials {
        flag("--trials", trials.to_string());
    }
    if let Some((i, n)) = args.shard {
        flag("--shard", format!("{i}/{n}"));
    }
    if let Some(sandbox) = &args.sandbox {
        flag("--sandbox", sandbox.clone());
    }
    if let Some(network) = &args.network {
        flag("--network", network.clone());
    }
    for dir in &args.expose {
        flag("--expose", dir.to_string_lossy().into_owned());
    }
    if let Some(n) = args.max_tokens {
        flag("--max-tokens", n.to_string());
    }
    if let Some(usd) = args.max_usd {
        flag("--max-usd", usd.to_string());
    }
    if args.allow_unavailable {
        command.push("--allow-unavailable".into());
    }
    command
}

/// `--resume`: every selected eval's latest results set must be interrupted.
fn check_resumable(selected: &[Selected]) -> Result<()> {
    for s in selected {
        match run::store::latest_of_eval(&s.eval.workspace, &s.eval.name) {
            Some(results) if results.interrupted.is_some() => {}
            Some(results) => {
                return Err(Error::NothingSelected(format!(
                    "--resume: the latest results of eval {} (run {}) were not interrupted: nothing to resume; run without --resume",
                    s.eval.name, results.run_id
                )));
            }
            None => {
                return Err(Error::NothingSelected(format!(
                    "--resume: eval {} has no stored results to resume",
                    s.eval.name
                )));
            }
        }
    }
    Ok(())
}

/// `skillbench resume [RUN]`: the interrupted run's own `eval` arguments, run again.
pub(super) fn resume(
    workspace: &workspace::Workspace,
    args: &crate::cli::ResumeArgs,
    color: run::terminal::ColorChoice,
    github: bool,
) -> Result<Outcome> {
    let (_, results) = run::store::open(workspace, args.run.as_deref())?;
    if results.interrupted.is_none() {
        return Err(Error::NothingSelected(format!(
            "run {} was not interrupted: nothing to resume",
            results.run_id
        )));
    }
    if results.command.is_empty() {
        return Err(Error::Usage(format!(
            "run {} does not record the command that made it (written by an older skillbench): run the same `skillbench eval` again",
            results.run_id
        )));
    }
    let argv = ["skillbench", "eval"]
        .into_iter()
        .map(String::from)
        .chain(results.command.iter().cloned());
    let parsed = <crate::cli::Cli as clap::Parser>::try_parse_from(argv).map_err(|e| {
        Error::Usage(format!(
            "run {}'s recorded command cannot be read: {e}",
            results.run_id
        ))
    })?;
    let crate::cli::Command::Eval(mut eval_args) = parsed.command else {
        return Err(Error::Usage(format!(
            "run {}'s recorded command is not an eval",
            results.run_id
        )));
    };
    eval_args.jobs = args.jobs;
    eval_args.ci = args.ci;
    eval_args.junit = args.junit.clone();
    eval_args.message_format = args.message_format;
    eval_args.resume = true;
    let root = if workspace.root().as_os_str().is_empty() {
        Path::new(".")
    } else {
        workspace.root()
    };
    eval(
        &eval_args,
        Some(root),
        &|| Ok(workspace.clone()),
        color,
        github,
    )
}

/// The sandbox the eval asks for, checked: asking for one that is not there is an error,
/// never a silent downgrade; and network settings the sandbox cannot honour are refused.
fn check_sandbox(eval: &Eval) -> Result<crate::agent::Sandbox> {
    let sandbox = crate::agent::Sandbox::named(&eval.sandbox)?;
    let runtime_sandbox = run::runtime_sandbox(eval, &sandbox);
    let unsandboxed = eval.agents.iter().any(|a| {
        let theirs = if a.runtime().is_some() {
            &runtime_sandbox
        } else {
            &sandbox
        };
        a.is_process() && *theirs == crate::agent::Sandbox::None
    });
    // A runtime in the sandbox with no network cannot reach its model endpoint: refused
    // now, with the reason, rather than a run that times out with an empty transcript.
    if eval.network == Some(crate::agent::Network::None)
        && runtime_sandbox != crate::agent::Sandbox::None
        && let Some(rt) = eval.agents.iter().find(|a| a.runtime().is_some())
    {
        let endpoint = rt
            .runtime()
            .and_then(|r| r.base_url.clone())
            .unwrap_or_else(|| "its model endpoint".into());
        return Err(Error::Usage(format!(
            "network = \"none\" cuts agent {} off from {endpoint} (the sandbox's network namespace has no way out, not even to the host's loopback): use network = \"filtered\" (the model endpoint and the eval's registries only, the default for runtimes), or --network filtered",
            rt.name
        )));
    }
    if eval.network == Some(crate::agent::Network::Filtered) && unsandboxed {
        return Err(Error::Usage(
            "network = \"filtered\" needs the bwrap sandbox (its network namespace is what is filtered): add --sandbox bwrap, or choose --network host|none".into(),
        ));
    }
    Ok(sandbox)
}

/// The eval's cases that match one of the `--case` patterns (all of them when none is
/// given); a pattern that matches none of the eval's cases is an empty selection.
fn only_cases(cases: Vec<Case>, patterns: &[String], eval_path: &Path) -> Result<Vec<Case>> {
    if patterns.is_empty() {
        return Ok(cases);
    }
    let mut matchers = Vec::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::Usage(format!("--case '{pattern}': not a glob: {e}")))?
            .compile_matcher();
        if !cases.iter().any(|c| glob.is_match(&c.id)) {
            let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
            return Err(Error::NothingSelected(format!(
                "--case '{pattern}' matches none of the cases of {}: {}",
                eval_path.display(),
                ids.join(", ")
            )));
        }
        matchers.push(glob);
    }
    Ok(cases
        .into_iter()
        .filter(|c| matchers.iter().any(|m| m.is_match(&c.id)))
        .collect())
}

/// Each case's repository prepared (fixture committed, or git mirror updated), in a scratch
/// folder that must outlive the runs.
pub(crate) fn prepare_sources(
    cases: Vec<Case>,
) -> Result<(tempfile::TempDir, Vec<(Case, PreparedSource)>)> {
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-sources-")
        .tempdir()
        .map_err(|e| Error::write(std::env::temp_dir(), e))?;
    let cache = workspace::cache_dir();
    let mut sources = corpus::source::Sources::new(scratch.path(), &cache);
    let prepared = cases
        .into_iter()
        .map(|case| sources.prepare(&case).map(|s| (case, s)))
        .collect::<Result<_>>()?;
    Ok((scratch, prepared))
}

//! The commands: each turns checked arguments into calls on the stages and an [`Outcome`].

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command, EvalArgs, GradeArgs, MessageFormat, SchemaName, SkillCommand};
use crate::corpus::{self, Case, PreparedSource};
use crate::diagnostic::Severity;
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::run::event::{Event, Fanout, Human, JsonLines, Reporter};
use crate::run::{self, store};
use crate::skill::{self, Skill};
use crate::snapshot::{Snapshot, pending};
use crate::workspace::{self, Workspace};
use crate::{Outcome, report, suggest};

pub fn run(cli: Cli) -> Result<Outcome> {
    if let Some(dir) = &cli.workspace
        && !dir.is_dir()
    {
        return Err(Error::Usage(format!(
            "-C {}: no such folder; name the workspace (the folder holding evals/, skills/ and corpora/)",
            dir.display()
        )));
    }
    let workspace = || match &cli.workspace {
        Some(dir) => Ok(Workspace::new(dir)),
        None => Workspace::discover(Path::new(".")),
    };
    let github = report::github::enabled(cli.github);
    match &cli.command {
        Command::Eval(args) => eval(args, cli.workspace.as_deref(), github),
        Command::Skill(SkillCommand::Lint { paths }) => lint(&workspace()?, paths, github),
        Command::Skill(SkillCommand::New { name, dir }) => {
            let dir = dir.clone().unwrap_or_else(|| {
                workspace()
                    .map(|w| w.skills_dir())
                    .unwrap_or_else(|_| "skills".into())
            });
            let created = skill::scaffold(&dir, name)?;
            crate::outln!("created {}", created.join(skill::SKILL_FILE).display());
            Ok(Outcome::Success)
        }
        Command::Review { eval } => {
            let dir = workspace()?.snapshots_dir();
            let (a, r, s) = pending::review(&dir, eval.as_deref(), &mut crate::out::stdout())?;
            crate::outln!("accepted {a}, rejected {r}, skipped {s}");
            Ok(if s > 0 {
                Outcome::SnapshotPending
            } else {
                Outcome::Success
            })
        }
        Command::Accept { eval } => settle(&workspace()?, eval.as_deref(), true),
        Command::Reject { eval } => settle(&workspace()?, eval.as_deref(), false),
        Command::Grade(args) => regrade(&workspace()?, args, github),
        Command::Merge(args) => merge(&workspace()?, args, github),
        Command::Gc { keep, older_than } => {
            if keep.is_none() && older_than.is_none() {
                return Err(Error::Usage(
                    "say what to keep: --keep N (the newest N results sets) and/or --older-than DURATION (e.g. 30d)".into(),
                ));
            }
            let removed = store::gc(&workspace()?, *keep, *older_than)?;
            for id in &removed {
                crate::outln!("removed {id}");
            }
            crate::outln!("{} results set(s) removed", removed.len());
            Ok(Outcome::Success)
        }
        Command::Corpus(cmd) => crate::corpus_cmd::run(&workspace()?, cmd),
        Command::Calibrate { labels, format } => {
            let report = crate::calibrate::calibrate(&workspace()?, labels)?;
            crate::out!("{}", crate::calibrate::render(&report, *format));
            Ok(Outcome::Success)
        }
        Command::Scorecard { run, format } => {
            let (_, results) = store::open(&workspace()?, run.as_deref())?;
            partial_note(&results);
            crate::out!("{}", report::scorecard(&results, *format));
            Ok(Outcome::Success)
        }
        Command::Suggest { run } => {
            let (dir, results) = store::open(&workspace()?, run.as_deref())?;
            partial_note(&results);
            crate::out!("{}", suggest::suggest(&results, &dir));
            Ok(Outcome::Success)
        }
        Command::Agents { eval, format } => {
            let rows = match eval {
                Some(path) => crate::agents_list::rows(Some(&Eval::load(path)?.agents)),
                None => crate::agents_list::rows(None),
            };
            crate::out!("{}", crate::agents_list::render(&rows, *format));
            Ok(Outcome::Success)
        }
        Command::Schema { which } => {
            match which {
                SchemaName::Signals => crate::out!("{}", crate::signals::schema()),
                SchemaName::Results => crate::out!("{}", results_schema()),
            }
            Ok(Outcome::Success)
        }
    }
}

/// The JSON Schema of `results.json`, as shipped in `schemas/`.
pub fn results_schema() -> String {
    let schema = schemars::schema_for!(run::results::Results);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

fn lint(workspace: &Workspace, paths: &[std::path::PathBuf], github: bool) -> Result<Outcome> {
    let dirs: Vec<std::path::PathBuf> = if paths.is_empty() {
        let skills = workspace.skills_dir();
        let mut dirs: Vec<_> = std::fs::read_dir(&skills)
            .map_err(|e| Error::read(&skills, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    } else {
        paths.to_vec()
    };
    let (mut errors, mut warnings) = (0, 0);
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .unwrap_or_default();
    for dir in &dirs {
        for mut finding in skill::lint(dir)? {
            if let Ok(rel) = finding.path.strip_prefix(&cwd) {
                finding.path = rel.to_path_buf();
            }
            match finding.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            crate::outln!("{finding}");
            if github {
                eprintln!("{}", report::github::diagnostic(&finding));
            }
        }
    }
    eprintln!(
        "{} skill(s) linted: {errors} error(s), {warnings} warning(s)",
        dirs.len()
    );
    Ok(if errors > 0 {
        Outcome::LintFailed
    } else {
        Outcome::Success
    })
}

fn settle(workspace: &Workspace, filter: Option<&str>, accept: bool) -> Result<Outcome> {
    let dir = workspace.snapshots_dir();
    let done = if accept {
        pending::accept(&dir, filter)?
    } else {
        pending::reject(&dir, filter)?
    };
    if done.is_empty() {
        return Err(pending::nothing_pending(&dir, filter));
    }
    for eval in done {
        crate::outln!("{} {eval}", if accept { "accepted" } else { "rejected" });
    }
    Ok(Outcome::Success)
}

fn eval(args: &EvalArgs, dir: Option<&Path>, github: bool) -> Result<Outcome> {
    // With `-C DIR`, a relative eval path is under DIR, as every other path is.
    let path = match dir {
        Some(dir) if args.eval.is_relative() => dir.join(&args.eval),
        _ => args.eval.clone(),
    };
    let mut eval = Eval::load(&path)?;
    if !args.agents.is_empty() {
        eval.agents = args
            .agents
            .iter()
            .map(|name| {
                eval.defined_agents
                    .iter()
                    .find(|a| a.name == *name)
                    .cloned()
                    .ok_or_else(|| {
                        let names: Vec<&str> = eval
                            .defined_agents
                            .iter()
                            .map(|a| a.name.as_str())
                            .collect();
                        Error::Usage(format!(
                            "--agent {name}: no such agent in {}; known: {}",
                            args.eval.display(),
                            names.join(", ")
                        ))
                    })
            })
            .collect::<Result<_>>()?;
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
    // Checked before any work: asking for a sandbox that is not there is an error, never a
    // silent downgrade.
    let sandbox = crate::agent::Sandbox::named(&eval.sandbox)?;
    let runtime_sandbox = run::runtime_sandbox(&eval, &sandbox);
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
    let ci = ci_mode(args.ci);
    let json = args.message_format == MessageFormat::Json;
    let skill = Skill::load(&eval.skill_dir)?;

    let (cases, unmatched) = corpus::select(&eval.workspace.corpora_dir(), &eval.case_patterns)?;
    for pattern in &unmatched {
        eprintln!(
            "warning: case pattern '{pattern}' in {} matches no case",
            args.eval.display()
        );
    }
    if cases.is_empty() {
        return Err(Error::NothingSelected(format!(
            "the case patterns of {} ({}) match no case under {}",
            args.eval.display(),
            eval.case_patterns.join(", "),
            eval.workspace.corpora_dir().display()
        )));
    }
    let cases = only_cases(cases, &args.cases, &args.eval)?;

    let (_scratch, prepared) = prepare_sources(cases)?;

    let jobs = jobs_or_cores(args.jobs);
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::default())];
    if json {
        reporters.push(Box::new(JsonLines::new(std::io::stdout())));
    }
    let reporter = Fanout(reporters);
    let (results, results_dir) = run::run_eval(&eval, &skill, prepared, jobs, &sandbox, &reporter)?;
    let outputs = Outputs {
        ci,
        json,
        junit: args.junit.as_deref(),
        github,
    };
    conclude(
        &eval,
        &args.eval,
        &results,
        &results_dir,
        &outputs,
        &reporter,
    )
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
fn prepare_sources(cases: Vec<Case>) -> Result<(tempfile::TempDir, Vec<(Case, PreparedSource)>)> {
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-sources-")
        .tempdir()
        .map_err(|e| Error::write(std::env::temp_dir(), e))?;
    let cache = workspace::cache_dir();
    let prepared = cases
        .into_iter()
        .map(|case| corpus::source::prepare(&case, scratch.path(), &cache).map(|s| (case, s)))
        .collect::<Result<_>>()?;
    Ok((scratch, prepared))
}

/// `--jobs`, or the number of cores.
pub(crate) fn jobs_or_cores(jobs: Option<u32>) -> usize {
    jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        |j| j as usize,
    )
}

/// `skillbench grade`: the stored runs graded again with the current rubric.
fn regrade(workspace: &Workspace, args: &GradeArgs, github: bool) -> Result<Outcome> {
    let (old_dir, old) = store::open(workspace, args.run.as_deref())?;
    partial_note(&old);
    let eval_path = args
        .eval
        .clone()
        .unwrap_or_else(|| workspace.root().join(&old.eval.path));
    let mut eval = Eval::load(&eval_path)?;
    if let Some(sandbox) = &args.sandbox {
        eval.sandbox = sandbox.clone();
    }
    let sandbox = crate::agent::Sandbox::named(&eval.sandbox)?;
    let skill = Skill::load(&eval.skill_dir)?;
    let ids: Vec<String> = old.cases.iter().map(|c| c.id.clone()).collect();
    let (cases, _) = corpus::select(&eval.workspace.corpora_dir(), &ids)?;
    let (_scratch, prepared) = prepare_sources(cases)?;
    let jobs = jobs_or_cores(args.jobs);
    let (results, dir) =
        run::regrade::regrade(&old_dir, &old, &eval, &skill, prepared, jobs, &sandbox)?;
    crate::outln!(
        "re-graded run {} with the rubric of {} (no agent was called)",
        old.run_id,
        eval.workspace.display(&eval.path).display()
    );
    conclude_stored(
        &eval,
        &eval_path,
        &results,
        &dir,
        args.ci,
        args.junit.as_deref(),
        github,
    )
}

/// Concludes results written by `grade` or `merge` (no events were streamed for them).
fn conclude_stored(
    eval: &Eval,
    eval_path: &Path,
    results: &run::results::Results,
    dir: &Path,
    ci: bool,
    junit: Option<&Path>,
    github: bool,
) -> Result<Outcome> {
    let outputs = Outputs {
        ci: ci_mode(ci),
        json: false,
        junit,
        github,
    };
    conclude(eval, eval_path, results, dir, &outputs, &Human::default())
}

/// `--ci`, or CI=true (or 1) in the environment.
fn ci_mode(flag: bool) -> bool {
    flag || std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `skillbench merge`: the shards' results as one results set, concluded as an eval.
fn merge(workspace: &Workspace, args: &crate::cli::MergeArgs, github: bool) -> Result<Outcome> {
    let (results, dir) = run::merge::merge(workspace, &args.shards)?;
    let eval_path = workspace.root().join(&results.eval.path);
    let eval = Eval::load(&eval_path)?;
    crate::outln!(
        "merged {} shards into run {}",
        results.merged_from.len(),
        results.run_id
    );
    conclude_stored(
        &eval,
        &eval_path,
        &results,
        &dir,
        args.ci,
        args.junit.as_deref(),
        github,
    )
}

/// Says, on stderr, when stored results are those of an interrupted eval.
fn partial_note(results: &run::results::Results) {
    if let Some(stopped) = &results.interrupted {
        eprintln!(
            "note: run {} is partial: interrupted by {} after {} of {} runs",
            results.run_id,
            stopped.signal,
            results.runs.len(),
            stopped.planned
        );
    }
}

/// Where an eval's (or a re-grading's or merge's) conclusions go besides the terminal.
#[derive(Debug, Default)]
struct Outputs<'a> {
    /// Never write a snapshot.
    ci: bool,
    /// Events as JSON Lines on stdout; the tables go to stderr.
    json: bool,
    /// `--junit PATH`.
    junit: Option<&'a Path>,
    /// GitHub Actions annotations and step summary.
    github: bool,
}

/// After an eval (or a re-grading, or a merge): the tables, the snapshot check, the gates,
/// the reports, the final event and the outcome.
fn conclude(
    eval: &Eval,
    eval_arg: &Path,
    results: &run::results::Results,
    results_dir: &Path,
    outputs: &Outputs<'_>,
    reporter: &dyn Reporter,
) -> Result<Outcome> {
    let (ci, json) = (outputs.ci, outputs.json);
    if let (Some(shard), true) = (&results.shard, results.merged_from.is_empty()) {
        if let Some(path) = outputs.junit {
            let xml = report::junit::render(results, results_dir);
            crate::fsx::write_atomic(path, xml).map_err(|e| Error::write(path, e))?;
        }
        // A shard is a share of the plan: the snapshot and the gates are the merge's.
        crate::outln!(
            "shard {}/{}: {} of {} runs, stored in {} (run {}); merge every shard's results with `skillbench merge RUN…`",
            shard.index,
            shard.count,
            results.runs.len(),
            shard.planned,
            eval.workspace.display(results_dir).display(),
            results.run_id
        );
        return Ok(Outcome::Success);
    }
    if let Some(stopped) = &results.interrupted {
        // Half an eval says nothing about the snapshot or the gates: neither is touched.
        eprintln!(
            "interrupted by {}: {} of {} runs finished, stored in {}; run the same command again to run the rest (the finished runs are reused)",
            stopped.signal,
            results.runs.len(),
            stopped.planned,
            eval.workspace.display(results_dir).display()
        );
        let signal = if stopped.signal == "SIGTERM" { 15 } else { 2 };
        return Ok(Outcome::Interrupted(signal));
    }
    if let Some(path) = outputs.junit {
        let xml = report::junit::render(results, results_dir);
        crate::fsx::write_atomic(path, xml).map_err(|e| Error::write(path, e))?;
    }
    let results_dir = results_dir.to_path_buf();
    let tables = format!(
        "{}\n{}\n",
        report::grades_table(results, false),
        report::summary_table(results, false)
    );
    let mut human_out: Box<dyn Write> = if json {
        Box::new(std::io::stderr())
    } else {
        Box::new(crate::out::stdout())
    };
    let w = |e| Error::write("stdout", e);
    write!(human_out, "{tables}").map_err(w)?;
    writeln!(
        human_out,
        "results: {}",
        eval.workspace.display(&results_dir).display()
    )
    .map_err(w)?;

    let snapshots = eval.workspace.snapshots_dir();
    let new = Snapshot::from_results(results);
    let accepted = pending::accepted_path(&snapshots, &eval.name);
    let shown = |p: &Path| eval.workspace.display(p).display().to_string();
    // CI never writes; elsewhere the pending snapshot is settled under a lock, so
    // concurrent evals never delete or overwrite each other's.
    // With no run graded at all there is nothing to accept: infrastructure decided it all.
    let graded_any = results.runs.iter().any(|r| r.grade.is_some());
    let (verdict, settled) = if ci || !graded_any {
        let verdict = pending::check(&snapshots, &eval.name, &new, results.subset)?;
        (verdict, pending::Settled::Nothing)
    } else {
        let mark = pending::RunMark {
            run_id: &results.run_id,
            started_at: &results.started_at,
            finished_at: &results.finished_at,
        };
        pending::settle(&snapshots, &eval.name, &new, results.subset, &mark)?
    };
    let described = pending::describe(&verdict, &new);
    if verdict.differs() {
        write!(
            human_out,
            "snapshot: {}{}\n{described}",
            shown(&accepted),
            if results.subset {
                " (a subset was run: only its rows are compared)"
            } else {
                ""
            }
        )
        .map_err(w)?;
        match &settled {
            pending::Settled::Wrote(path) => writeln!(
                human_out,
                "wrote {}; review with `skillbench review`, or `skillbench accept {}` / `skillbench reject {}`",
                shown(path),
                eval.name,
                eval.name
            ),
            _ if !graded_any => writeln!(
                human_out,
                "no run was graded: nothing written (every run failed for infrastructure reasons)"
            ),
            _ => writeln!(
                human_out,
                "CI mode: nothing written; the results must match the accepted snapshot."
            ),
        }
        .map_err(w)?;
    } else {
        let not_compared = match &verdict {
            pending::Verdict::Compared { changes, .. } => changes
                .iter()
                .filter(|c| c.kind == crate::snapshot::ChangeKind::NotCompared)
                .count(),
            pending::Verdict::New => 0,
        };
        let scope = if not_compared == 0 {
            String::new()
        } else {
            format!(" in every row compared; {not_compared} row(s) not compared (no graded trial)")
        };
        write!(
            human_out,
            "snapshot: matches {}{scope}\n{described}",
            shown(&accepted)
        )
        .map_err(w)?;
        if let pending::Settled::KeptOther(run) = &settled {
            writeln!(
                human_out,
                "left {} alone: it holds the findings of another run ({run})",
                shown(&pending::pending_path(&snapshots, &eval.name))
            )
            .map_err(w)?;
        }
    }
    // `max_regressions` is held against the snapshot's verdict, here: the regressions among
    // the rows each gate selects.
    let regressions: Vec<&crate::snapshot::Change> = match &verdict {
        pending::Verdict::Compared { changes, .. } => changes
            .iter()
            .filter(|c| c.kind == crate::snapshot::ChangeKind::Regression)
            .collect(),
        pending::Verdict::New => Vec::new(),
    };
    let expectation_of = |case: &str| {
        results
            .cases
            .iter()
            .find(|c| c.id == case)
            .map(|c| c.expectation)
    };
    let regressed: Vec<Option<(usize, bool)>> = results
        .gates
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let gate = eval.gates.get(i)?;
            let max = gate.max_regressions?;
            let n = regressions
                .iter()
                .filter_map(|c| c.new.as_ref().or(c.old.as_ref()))
                .filter(|r| gate.selects_row(&r.case, &r.variant, &r.agent))
                .filter(|r| {
                    gate.expectation
                        .is_none_or(|e| expectation_of(&r.case) == Some(e))
                })
                .count();
            Some((n, n <= max))
        })
        .collect();
    let gate_fails: Vec<bool> = results
        .gates
        .iter()
        .zip(&regressed)
        .map(|(g, r)| g.fails() || r.is_some_and(|(_, ok)| !ok))
        .collect();
    for ((g, r), fails) in results.gates.iter().zip(&regressed).zip(&gate_fails) {
        let mark = if *fails { "FAILS" } else { g.mark() };
        let regressions = r.map_or_else(String::new, |(n, _)| format!("; {n} regression(s)"));
        writeln!(
            human_out,
            "gate {mark}: {} ({} of {} graded runs pass{}{regressions})",
            g.gate,
            g.passed,
            g.runs,
            report::gate_infrastructure(g)
        )
        .map_err(w)?;
    }
    if let Some(stopped) = results.grading.as_ref().and_then(|g| g.stopped.as_ref()) {
        writeln!(
            human_out,
            "warning: {stopped}; judged criteria after that point are not graded (raise [budget] in {})",
            eval_arg.display()
        )
        .map_err(w)?;
    }
    let gates_held = !results.gates.iter().any(|g| g.undecided) && !gate_fails.contains(&true);
    let unavailable = results
        .runs
        .iter()
        .filter(|r| r.status == run::results::RunStatus::Unavailable)
        .count();
    let infrastructure = results
        .runs
        .iter()
        .filter(|r| {
            r.status.is_infrastructure() && r.status != run::results::RunStatus::Unavailable
        })
        .count();
    // What decided the outcome, in order: a gate the graded runs failed, a gate that
    // unavailable runs left undecided, a snapshot the graded rows moved, then other
    // infrastructure that kept runs from being graded.
    let undecided = results.gates.iter().any(|g| g.undecided);
    let outcome = if gate_fails.contains(&true) {
        Outcome::GateFailed
    } else if undecided || !graded_any {
        Outcome::InfrastructureFailed
    } else if verdict.differs() {
        Outcome::SnapshotPending
    } else if infrastructure > 0 {
        Outcome::InfrastructureFailed
    } else {
        Outcome::Success
    };
    if infrastructure > 0 || unavailable > 0 {
        writeln!(
            human_out,
            "infrastructure: {infrastructure} run(s) not graded (setup failed, model endpoint failed or harness error) and {unavailable} unavailable; they are left out of the rates, the snapshot diff and the gates{}",
            if outcome == Outcome::InfrastructureFailed {
                " — exit 3: fix the infrastructure and run again"
            } else {
                ""
            }
        )
        .map_err(w)?;
    }
    if let Some(why) = &results.budget_spent {
        let held = results
            .runs
            .iter()
            .filter(|r| r.status == run::results::RunStatus::BudgetSpent)
            .count();
        writeln!(
            human_out,
            "budget: {why}: {held} run(s) not started; raise [budget.agents] in {} (or --max-tokens, --max-usd) and run the same command again: the finished runs are reused",
            eval_arg.display()
        )
        .map_err(w)?;
    }
    if outputs.github {
        eprint!(
            "{}",
            report::github::annotations(
                results,
                &eval.workspace.corpora_dir(),
                eval.workspace.root()
            )
        );
        report::github::write_summary(&report::github::summary(
            results,
            verdict.word(),
            outcome.exit_code(),
        ))
        .map_err(|e| Error::write("$GITHUB_STEP_SUMMARY", e))?;
    }
    let count = |g| results.runs.iter().filter(|r| r.grade == Some(g)).count();
    reporter.report(&Event::EvalFinished {
        run_id: results.run_id.clone(),
        results: results_dir.to_string_lossy().into_owned(),
        runs: results.runs.len(),
        a: count(crate::grade::Grade::A),
        b: count(crate::grade::Grade::B),
        c: count(crate::grade::Grade::C),
        unavailable,
        infrastructure,
        gates_held,
        snapshot: verdict.word().into(),
        exit_code: outcome.exit_code(),
    });
    Ok(outcome)
}

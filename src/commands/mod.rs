//! The commands: each turns checked arguments into calls on the stages and an [`Outcome`].

mod conclude;
mod eval;
mod stored;

use std::path::Path;

use crate::cli::{Cli, Command, SchemaName, SkillCommand};
use crate::diagnostic::Severity;
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::run::event::{Level, Reporters};
use crate::run::{self, store};
use crate::skill;
use crate::snapshot::pending;
use crate::workspace::Workspace;
use crate::{Outcome, report, suggest};

pub(crate) use eval::prepare_sources;

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
    // What the commands that run no work print goes through the same reporters.
    let reporter = Reporters::standard(cli.color, false, github, None);
    let outcome = match &cli.command {
        Command::Eval(args) => eval::eval(
            args,
            cli.workspace.as_deref(),
            &workspace,
            cli.color,
            github,
        ),
        Command::Skill(SkillCommand::Lint { paths }) => lint(&workspace()?, paths, &reporter),
        Command::Skill(SkillCommand::New { name, dir }) => {
            let dir = dir.clone().unwrap_or_else(|| {
                workspace()
                    .map(|w| w.skills_dir())
                    .unwrap_or_else(|_| "skills".into())
            });
            let created = skill::scaffold(&dir, name)?;
            reporter.answer(&format!(
                "created {}\n",
                created.join(skill::SKILL_FILE).display()
            ));
            Ok(Outcome::Success)
        }
        Command::Review { eval } => {
            let dir = workspace()?.snapshots_dir();
            let (a, r, s) = pending::review(&dir, eval.as_deref(), &mut crate::out::stdout())?;
            reporter.answer(&format!("accepted {a}, rejected {r}, skipped {s}\n"));
            Ok(if s > 0 {
                Outcome::SnapshotPending
            } else {
                Outcome::Success
            })
        }
        Command::Accept { eval } => settle(&workspace()?, eval.as_deref(), true, &reporter),
        Command::Reject { eval } => settle(&workspace()?, eval.as_deref(), false, &reporter),
        Command::Grade(args) => stored::regrade(&workspace()?, args, cli.color, github),
        Command::Resume(args) => eval::resume(&workspace()?, args, cli.color, github),
        Command::Merge(args) => stored::merge(&workspace()?, args, cli.color, github),
        Command::Gc { keep, older_than } => {
            if keep.is_none() && older_than.is_none() {
                return Err(Error::Usage(
                    "say what to keep: --keep N (the newest N results sets) and/or --older-than DURATION (e.g. 30d)".into(),
                ));
            }
            let removed = store::gc(&workspace()?, *keep, *older_than)?;
            for id in &removed {
                reporter.answer(&format!("removed {id}\n"));
            }
            reporter.answer(&format!("{} results set(s) removed\n", removed.len()));
            Ok(Outcome::Success)
        }
        Command::Corpus(cmd) => crate::corpus_cmd::run(&workspace()?, cmd, cli.color, &reporter),
        Command::Calibrate { labels, format } => {
            let report = crate::calibrate::calibrate(&workspace()?, labels)?;
            reporter.answer(&crate::calibrate::render(&report, *format));
            Ok(Outcome::Success)
        }
        Command::Scorecard { run, format } => {
            let (_, results) = store::open(&workspace()?, run.as_deref())?;
            partial_note(&results, &reporter);
            reporter.answer(&report::scorecard(&results, *format));
            Ok(Outcome::Success)
        }
        Command::Suggest { run } => {
            let (dir, results) = store::open(&workspace()?, run.as_deref())?;
            partial_note(&results, &reporter);
            reporter.answer(&suggest::suggest(&results, &dir));
            Ok(Outcome::Success)
        }
        Command::Agents { eval, format } => {
            let rows = match eval {
                Some(path) => crate::agents_list::rows(Some(&Eval::load(path)?.agents)),
                None => crate::agents_list::rows(None),
            };
            reporter.answer(&crate::agents_list::render(&rows, *format));
            Ok(Outcome::Success)
        }
        Command::Schema { which } => {
            match which {
                SchemaName::Signals => reporter.answer(crate::signals::schema()),
                SchemaName::Results => reporter.answer(&results_schema()),
                SchemaName::Events => reporter.answer(&run::event::schema()),
            }
            Ok(Outcome::Success)
        }
    }?;
    reporter.finish()?;
    Ok(outcome)
}

/// The JSON Schema of `results.json`, as shipped in `schemas/`.
pub fn results_schema() -> String {
    let schema = schemars::schema_for!(run::results::Results);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

fn lint(
    workspace: &Workspace,
    paths: &[std::path::PathBuf],
    reporter: &Reporters,
) -> Result<Outcome> {
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
            reporter.answer(&format!("{finding}\n"));
            reporter.emit(&run::event::Event::GithubOutput(Box::new(
                run::event::GithubOutput {
                    annotations: format!("{}\n", report::github::diagnostic(&finding)),
                    summary: String::new(),
                },
            )));
        }
    }
    reporter.note(
        Level::Note,
        format!(
            "{} skill(s) linted: {errors} error(s), {warnings} warning(s)",
            dirs.len()
        ),
    );
    Ok(if errors > 0 {
        Outcome::LintFailed
    } else {
        Outcome::Success
    })
}

fn settle(
    workspace: &Workspace,
    filter: Option<&str>,
    accept: bool,
    reporter: &Reporters,
) -> Result<Outcome> {
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
        reporter.answer(&format!(
            "{} {eval}\n",
            if accept { "accepted" } else { "rejected" }
        ));
    }
    Ok(Outcome::Success)
}

/// `--jobs`, or the number of cores.
pub(crate) fn jobs_or_cores(jobs: Option<u32>) -> usize {
    jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        |j| j as usize,
    )
}

/// `--ci`, or CI=true (or 1) in the environment.
pub(crate) fn ci_mode(flag: bool) -> bool {
    flag || std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// What to say when stored results are those of an interrupted eval.
pub(crate) fn partial(results: &run::results::Results) -> Option<String> {
    results.interrupted.as_ref().map(|stopped| {
        format!(
            "run {} is partial: interrupted by {} after {} of {} runs",
            results.run_id,
            stopped.signal,
            results.runs.len(),
            stopped.planned
        )
    })
}

/// Says, on stderr, when stored results read by a report are partial.
fn partial_note(results: &run::results::Results, reporter: &Reporters) {
    if let Some(note) = partial(results) {
        reporter.note(Level::Note, note);
    }
}

//! `skillbench grade` and `skillbench merge`: stored results made into a new results set,
//! concluded as an eval, reported as an eval is.

use std::path::Path;

use super::conclude::{Outputs, conclude};
use super::{ci_mode, jobs_or_cores, prepare_sources};
use crate::Outcome;
use crate::cli::{GradeArgs, MergeArgs, MessageFormat};
use crate::corpus;
use crate::error::Result;
use crate::eval::Eval;
use crate::run::event::{Level, Reporters};
use crate::run::terminal::ColorChoice;
use crate::run::{self, store};
use crate::skill::Skill;
use crate::workspace::Workspace;

/// `skillbench grade`: the stored runs graded again with the current rubric.
pub(super) fn regrade(
    workspace: &Workspace,
    args: &GradeArgs,
    color: ColorChoice,
    github: bool,
) -> Result<Outcome> {
    let reporter = Reporters::standard(
        color,
        args.message_format == MessageFormat::Json,
        github,
        args.junit.as_deref(),
    );
    let (old_dir, old) = store::open(workspace, args.run.as_deref())?;
    if let Some(note) = super::partial(&old) {
        reporter.note(Level::Note, note);
    }
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
    reporter.note(
        Level::Info,
        format!(
            "re-graded run {} with the rubric of {} (no agent was called)",
            old.run_id,
            eval.workspace.display(&eval.path).display()
        ),
    );
    let outputs = Outputs {
        ci: ci_mode(args.ci),
        github,
    };
    conclude_stored(&eval, &eval_path, &results, &dir, &outputs, &reporter)
}

/// `skillbench merge`: the shards' results as one results set, concluded as an eval.
pub(super) fn merge(
    workspace: &Workspace,
    args: &MergeArgs,
    color: ColorChoice,
    github: bool,
) -> Result<Outcome> {
    let reporter = Reporters::standard(
        color,
        args.message_format == MessageFormat::Json,
        github,
        args.junit.as_deref(),
    );
    let (results, dir) = run::merge::merge(workspace, &args.shards)?;
    let eval_path = workspace.root().join(&results.eval.path);
    let eval = Eval::load(&eval_path)?;
    reporter.note(
        Level::Info,
        format!(
            "merged {} shards into run {}",
            results.merged_from.len(),
            results.run_id
        ),
    );
    let outputs = Outputs {
        ci: ci_mode(args.ci),
        github,
    };
    conclude_stored(&eval, &eval_path, &results, &dir, &outputs, &reporter)
}

/// Concludes results written by `grade` or `merge` and returns the outcome (or the first
/// error the reporters met).
fn conclude_stored(
    eval: &Eval,
    eval_path: &Path,
    results: &run::results::Results,
    dir: &Path,
    outputs: &Outputs,
    reporter: &Reporters,
) -> Result<Outcome> {
    let outcome = conclude(eval, eval_path, results, dir, outputs, reporter)?;
    reporter.finish()?;
    Ok(outcome)
}

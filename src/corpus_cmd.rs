//! `skillbench corpus verify|list|fetch`: the corpus's own commands.

use serde::Serialize;

use crate::cli::CorpusCommand;
use crate::corpus::{self, Case, SourceSpec};
use crate::error::{Error, Result};
use crate::report::{Format, new_table};
use crate::run::verify::CaseReport;
use crate::workspace::Workspace;
use crate::{Outcome, agent};

/// The case patterns for `select`: a corpus name means all its cases.
fn patterns(select: &[String]) -> Vec<String> {
    if select.is_empty() {
        return vec!["*/*".into()];
    }
    select
        .iter()
        .map(|s| {
            if s.contains('/') {
                s.clone()
            } else {
                format!("{s}/*")
            }
        })
        .collect()
}

fn cases(workspace: &Workspace, select: &[String]) -> Result<Vec<Case>> {
    let (cases, unmatched) = corpus::select(&workspace.corpora_dir(), &patterns(select))?;
    if let Some(p) = unmatched.first() {
        return Err(Error::NothingSelected(format!(
            "'{p}' matches no case under {}",
            workspace.corpora_dir().display()
        )));
    }
    if cases.is_empty() {
        return Err(Error::NothingSelected(format!(
            "no case under {}",
            workspace.corpora_dir().display()
        )));
    }
    Ok(cases)
}

/// `corpus verify`: each case's verdict as an event, then the report as the answer.
#[expect(
    clippy::too_many_arguments,
    reason = "the verify command's options, as parsed"
)]
fn verify(
    workspace: &Workspace,
    select: &[String],
    jobs: Option<u32>,
    trials: u32,
    sandbox: &str,
    expose: &[std::path::PathBuf],
    format: Format,
    reporter: &crate::run::event::Reporters,
) -> Result<Outcome> {
    use crate::run::event::{Event, Level};
    let cases = cases(workspace, select)?;
    let sandbox = agent::Sandbox::named(sandbox)?;
    let jobs = crate::commands::jobs_or_cores(jobs);
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    let out = workspace.store_dir().join("verify").join(stamp);
    let reports =
        crate::run::verify::verify(workspace, cases, jobs, trials, &sandbox, expose, &out)?;
    for r in &reports {
        reporter.emit(&Event::CaseVerified {
            case: r.case.clone(),
            passed: r.passed(),
            unavailable: r.unavailable.clone(),
            failures: r.failures.clone(),
        });
    }
    let mut answer = render_verify(&reports, format);
    if format != Format::Json {
        answer.push_str(&format!("runs: {}\n", workspace.display(&out).display()));
    }
    reporter.answer(&answer);
    if let Some(signal) = crate::interrupt::requested() {
        reporter.note(
            Level::Note,
            "interrupted: the cases whose baselines did not all run are reported failed; run the command again",
        );
        return Ok(Outcome::Interrupted(signal));
    }
    let unavailable = reports.iter().filter(|r| r.unavailable.is_some()).count();
    Ok(if !reports.iter().all(CaseReport::passed) {
        Outcome::CorpusInvalid
    } else if unavailable == reports.len() {
        // Nothing was verified: that is never a success.
        reporter.note(
            Level::Warning,
            format!(
                "every selected case ({unavailable}) was unavailable here: nothing was verified; run `skillbench corpus fetch` where the network allows"
            ),
        );
        Outcome::InfrastructureFailed
    } else {
        Outcome::Success
    })
}

pub fn run(
    workspace: &Workspace,
    cmd: &CorpusCommand,
    color: crate::run::terminal::ColorChoice,
    reporter: &crate::run::event::Reporters,
) -> Result<Outcome> {
    match cmd {
        CorpusCommand::Verify {
            select,
            jobs,
            trials,
            sandbox,
            expose,
            format,
            message_format,
        } => {
            let json = *message_format == crate::cli::MessageFormat::Json;
            let verifying = crate::run::event::Reporters::standard(color, json, false, None);
            let outcome = verify(
                workspace, select, *jobs, *trials, sandbox, expose, *format, &verifying,
            )?;
            verifying.finish()?;
            Ok(outcome)
        }
        CorpusCommand::ImportSarif { sarif, case } => {
            let findings = corpus::sarif::import(sarif)?;
            let toml = corpus::sarif::to_toml(&findings);
            match case {
                None => reporter.answer(&toml),
                Some(id) => {
                    // A case id names a folder inside corpora/, never one outside it.
                    if !corpus::case::stays_inside(std::path::Path::new(id))
                        || std::path::Path::new(id).components().count() != 2
                    {
                        return Err(Error::Usage(format!(
                            "--case '{id}' is not a case id: write CORPUS/CASE, a folder under {}",
                            workspace.corpora_dir().display()
                        )));
                    }
                    let dir = workspace.corpora_dir().join(id);
                    let path = dir.join(corpus::case::CASE_FILE);
                    let old = std::fs::read_to_string(&path).map_err(|e| Error::read(&path, e))?;
                    let new = format!("{}\n{toml}", old.trim_end());
                    // Checked before it is written: a result that does not load writes nothing.
                    let scratch = tempfile::tempdir().map_err(|e| Error::write(&path, e))?;
                    crate::fsx::copy_tree(&dir, scratch.path())
                        .map_err(|e| Error::write(&path, e))?;
                    std::fs::write(scratch.path().join(corpus::case::CASE_FILE), &new)
                        .map_err(|e| Error::write(&path, e))?;
                    Case::load(id, scratch.path())?;
                    crate::fsx::write_atomic(&path, new).map_err(|e| Error::write(&path, e))?;
                    reporter.answer(&format!(
                        "added {} finding(s) to {}\n",
                        findings.len(),
                        workspace.display(&path).display()
                    ));
                }
            }
            Ok(Outcome::Success)
        }
        CorpusCommand::Add {
            id,
            git,
            rev,
            fix_rev,
            from,
            seed,
            advisory,
            advisory_id,
            expectation,
            no_verify,
        } => {
            let added = corpus::scaffold::add(
                workspace,
                id,
                &corpus::scaffold::AddOptions {
                    git: git.as_deref().zip(rev.as_deref()),
                    from: from.as_deref(),
                    expectation,
                    fix_rev: fix_rev.as_deref(),
                    seed: seed.as_deref(),
                    advisory: advisory.as_deref(),
                    advisory_id: advisory_id.as_deref(),
                },
            )?;
            let ecosystem = added.ecosystem.map_or_else(
                || "no ecosystem detected".to_string(),
                |e| format!("ecosystem {e}"),
            );
            let mut answer = format!(
                "created {} ({ecosystem}, {} finding(s))\nto write:\n",
                workspace.display(&added.manifest).display(),
                added.findings
            );
            for (n, item) in added.todo.iter().enumerate() {
                answer.push_str(&format!("  {}. {item}\n", n + 1));
            }
            reporter.answer(&answer);
            if !*no_verify {
                // What the case proves as it stands: the failures are the next steps.
                let quiet = crate::run::event::Reporters::standard(color, false, false, None);
                verify(
                    workspace,
                    std::slice::from_ref(id),
                    None,
                    1,
                    "none",
                    &[],
                    Format::Table,
                    &quiet,
                )?;
                quiet.finish()?;
                reporter.answer(&format!("then: skillbench corpus verify {id} --trials 3\n"));
            }
            Ok(Outcome::Success)
        }
        CorpusCommand::List { select, format } => {
            reporter.answer(&render_list(&cases(workspace, select)?, *format));
            Ok(Outcome::Success)
        }
        CorpusCommand::Fetch { select, from } => {
            let cache = crate::workspace::cache_dir();
            let scratch = tempfile::tempdir().map_err(|e| Error::write(std::env::temp_dir(), e))?;
            let selected = cases(workspace, select)?;
            if from.is_some()
                && !selected
                    .iter()
                    .any(|c| matches!(c.source, SourceSpec::Git { .. }))
            {
                return Err(Error::Usage(
                    "--from fills the mirrors of git cases, and none is selected: name the git case(s) it holds".into(),
                ));
            }
            let mut fetched = 0;
            for case in selected {
                if let SourceSpec::Git { url, rev } = &case.source {
                    let shown = corpus::source::without_userinfo(url);
                    match &from {
                        Some(dir) => {
                            corpus::source::seed(&case, dir, &cache)?;
                        }
                        None => {
                            let source = corpus::source::prepare(&case, scratch.path(), &cache)?;
                            corpus::source::has_reference(&case, &source, &shown)?;
                        }
                    }
                    let reference = case
                        .reference_rev
                        .as_ref()
                        .map_or_else(String::new, |r| format!(" (and the reference {r})"));
                    reporter.answer(&format!(
                        "{}: {shown} at {rev}{reference} is in the mirror cache{}\n",
                        case.id,
                        from.as_ref()
                            .map_or_else(String::new, |d| format!(", from {}", d.display()))
                    ));
                    fetched += 1;
                }
            }
            reporter.answer(&format!(
                "{fetched} git case(s) mirrored under {}\n",
                cache.join("mirrors").display()
            ));
            Ok(Outcome::Success)
        }
    }
}

fn letter(g: Option<crate::grade::Grade>) -> String {
    g.map_or_else(|| "-".into(), |g| g.to_string())
}

fn render_verify(reports: &[CaseReport], format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(reports).unwrap_or_default() + "\n";
    }
    let mut t = new_table(format == Format::Md);
    t.set_header([
        "case",
        "expects",
        "rev",
        "reference",
        "noop",
        "bump-only",
        "bump alone",
        "verdict",
    ]);
    for r in reports {
        let verdict = match (&r.unavailable, r.failures.first()) {
            (Some(_), _) => "unavailable".to_string(),
            (None, None) => "ok".into(),
            (None, Some(first)) => format!("FAILED: {first}"),
        };
        t.add_row([
            r.case.clone(),
            format!("{:?}", r.expectation).to_lowercase(),
            r.rev.get(..12).unwrap_or("-").to_string(),
            letter(r.reference),
            letter(r.noop),
            letter(r.bump_only),
            r.bump_alone.map_or_else(|| "-".into(), |b| b.to_string()),
            verdict,
        ]);
    }
    let mut out = t.to_string() + "\n";
    for r in reports {
        for f in r.failures.iter().skip(1) {
            out.push_str(&format!("{}: FAILED: {f}\n", r.case));
        }
        if let Some(why) = &r.unavailable {
            out.push_str(&format!("{}: unavailable: {why}\n", r.case));
        }
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    out.push_str(&format!(
        "{} case(s): {} ok, {failed} failed, {} unavailable\n",
        reports.len(),
        reports
            .iter()
            .filter(|r| r.passed() && r.unavailable.is_none())
            .count(),
        reports.iter().filter(|r| r.unavailable.is_some()).count()
    ));
    let count = |b| reports.iter().filter(|r| r.bump_alone == Some(b)).count();
    let (trap, breaks) = (
        count(corpus::BumpAlone::Trap),
        count(corpus::BumpAlone::BreaksTests),
    );
    if trap + breaks > 0 {
        out.push_str(&format!(
            "bump alone: {trap} keep the visible tests green (trap), {breaks} break them\n"
        ));
    }
    out
}

#[derive(Serialize)]
struct ListRow {
    case: String,
    expectation: String,
    ecosystems: Vec<String>,
    /// The ecosystem preset: the one the case names, else (a fixture) the one its folder
    /// shows; a git case's is known once its commit is fetched.
    preset: Option<String>,
    source: String,
    rev: Option<String>,
    findings: Vec<String>,
    title: Option<String>,
}

fn render_list(cases: &[Case], format: Format) -> String {
    let rows: Vec<ListRow> = cases
        .iter()
        .map(|c| {
            let mut ecosystems: Vec<String> = c
                .findings
                .iter()
                .filter_map(|f| f.ecosystem.clone())
                .collect();
            ecosystems.sort();
            ecosystems.dedup();
            let (source, rev) = match &c.source {
                SourceSpec::Fixture { rev, .. } => ("fixture".to_string(), rev.clone()),
                SourceSpec::Git { url, rev } => {
                    (corpus::source::without_userinfo(url), Some(rev.clone()))
                }
            };
            let preset = c
                .ecosystem
                .map(|e| e.to_string())
                .or_else(|| match &c.source {
                    SourceSpec::Fixture { dir, .. } => {
                        corpus::ecosystem::Ecosystem::detect_dir(dir)
                            .map(|e| format!("{e} (detected)"))
                    }
                    SourceSpec::Git { .. } => None,
                });
            ListRow {
                case: c.id.clone(),
                expectation: format!("{:?}", c.expectation).to_lowercase(),
                ecosystems,
                preset,
                source,
                rev,
                findings: c.findings.iter().map(|f| f.id.clone()).collect(),
                title: c.title.clone(),
            }
        })
        .collect();
    if format == Format::Json {
        return serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
    }
    let mut t = new_table(format == Format::Md);
    t.set_header([
        "case",
        "expects",
        "ecosystems",
        "preset",
        "source",
        "rev",
        "findings",
    ]);
    for r in rows {
        t.add_row([
            r.case,
            r.expectation,
            if r.ecosystems.is_empty() {
                "-".into()
            } else {
                r.ecosystems.join(", ")
            },
            r.preset.unwrap_or_else(|| "-".into()),
            r.source,
            r.rev
                .map_or_else(|| "-".into(), |v| v.get(..12).unwrap_or(&v).to_string()),
            r.findings.join(", "),
        ]);
    }
    t.to_string() + "\n"
}

//! Checking a rubric's deterministic criteria against one delivery, in its clean room.
//!
//! The clean room is a new checkout of the pinned commit with the delivered patch applied;
//! nothing of the agent's room is in it. Criteria that read the evidence (patterns, diff,
//! signals, escalation) and the built-in `integrity` criterion run first, on the delivered
//! files; then the case's setup runs again (so the checks see the dependencies the
//! delivered manifests ask for); then the rubric's commands; then the hidden checks, after
//! the case's hidden files are written in as regular files, replacing whatever is at their
//! paths and following no link — the agent never saw them.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Criterion, CriterionKind, CriterionResult, Verdict};
use crate::agent::cold::ColdEnv;
use crate::agent::process::{self, Output, Spec, Status};
use crate::corpus::{Case, Expectation, PreparedSource};
use crate::run::delivery::Change;
use crate::signals::{ClaimedOutcome, SignalsReport};

/// Everything a criterion may look at.
#[derive(Debug)]
pub struct Evidence<'a> {
    pub case: &'a Case,
    /// skillbench's copy of the case's source: the pinned files, for comparison.
    pub source: &'a PreparedSource,
    /// The clean room: the pinned commit with the delivered patch applied.
    pub checkout: &'a Path,
    pub change: &'a Change,
    pub signals: &'a SignalsReport,
    /// The environment check commands run in (its own HOME, not the agent's).
    pub env: &'a ColdEnv,
    /// The run's folder; check logs go to `checks/<id>.log` inside it.
    pub run_dir: &'a Path,
    /// The sandbox check commands run in, and what they may see.
    pub sandbox: &'a crate::agent::Sandbox,
    pub jail: &'a crate::agent::Jail,
    /// What the case's setup runs in (the network it installs from).
    pub setup_jail: &'a crate::agent::Jail,
    pub setup_timeout: Duration,
    /// What the integrity criterion protects and lets through.
    pub integrity: &'a super::integrity::Policy,
    /// The eval's graders, for judged criteria; `None` when it has none.
    pub judging: Option<&'a super::Judging>,
    /// Secrets to redact from the checks' logs.
    pub redactor: &'a std::sync::Arc<crate::redact::Redactor>,
    /// The results set's files stored once by content.
    pub shared: &'a crate::fsx::SharedFiles,
    /// When the clean room is a copy of a prepared base: the base's path, which the
    /// checks' processes see as the room, and its setup's log (setup does not run again).
    pub prepared: Option<(crate::agent::overlay::Overlay, std::path::PathBuf)>,
}

/// The criteria's results in rubric order, and the time spent in check commands.
#[derive(Debug)]
pub struct Checked {
    pub results: Vec<CriterionResult>,
    pub command_time: Duration,
    /// Building the clean room the checks ran in (set by whoever built it).
    pub room_time: Duration,
}

/// Checks every criterion of `criteria` against `ev`.
pub async fn check_all(rubric: &[Criterion], ev: &Evidence<'_>) -> Checked {
    // A `checks` criterion runs as the case's own check; a case without it keeps the
    // criterion as written, which is not applicable below.
    let criteria: Vec<Criterion> = rubric
        .iter()
        .map(|c| c.for_case(ev.case).unwrap_or_else(|| c.clone()))
        .collect();
    let criteria = criteria.as_slice();
    let mut results: Vec<Option<CriterionResult>> = vec![None; criteria.len()];
    let mut command_time = Duration::ZERO;
    // Evidence first, then commands, then hidden checks (which add files to the checkout).
    // Judged criteria come last: their graders may see every other criterion's result.
    let phase = |c: &Criterion| match c.kind {
        CriterionKind::Command { .. } => 1,
        CriterionKind::Hidden { .. } => 2,
        CriterionKind::Judge { .. } => 3,
        _ => 0,
    };
    let mut order: Vec<usize> = (0..criteria.len()).collect();
    order.sort_by_key(|&i| phase(&criteria[i]));
    let mut hidden_copied = false;
    let mut integrity = None;
    let mut setup: Option<Option<String>> = None;
    let mut after_setup = None;
    let mut during_checks = Vec::new();
    for i in order {
        let c = &criteria[i];
        if phase(c) > 0 && integrity.is_none() {
            integrity = Some(integrity_result(ev));
        }
        if matches!(
            c.kind,
            CriterionKind::Command { .. } | CriterionKind::Hidden { .. }
        ) && c.applies(ev.case.expectation)
            && setup.is_none()
        {
            setup = Some(match &ev.prepared {
                Some((_, log)) => {
                    // Setup ran once, for the base this room is a copy of.
                    let kept = ev.run_dir.join(SETUP_LOG);
                    if let Some(dir) = kept.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = std::fs::copy(log, kept);
                    None
                }
                None => clean_setup(ev).await,
            });
            // The room as setup left it: what the checks change in it is seen below.
            after_setup = crate::run::delivery::Baseline::record(ev.source, ev.checkout).ok();
        }
        let result = |verdict: Verdict, detail: String, log: Option<String>| {
            CriterionResult::new(&c.id, c.kind.name(), c.required, verdict, detail, log)
        };
        if !c.applies(ev.case.expectation) {
            results[i] = Some(result(
                Verdict::NotApplicable,
                format!("only for {} cases", ev.case.expectation.other()),
                None,
            ));
            continue;
        }
        if let CriterionKind::Checks { which, .. } = &c.kind {
            let which = match which {
                crate::grade::CaseCheck::Visible => "visible",
                crate::grade::CaseCheck::Hidden => "hidden",
            };
            results[i] = Some(result(
                Verdict::NotApplicable,
                format!("the case has no [checks] {which}"),
                None,
            ));
            continue;
        }
        if let CriterionKind::Judge {
            question,
            evidence,
            graders,
        } = &c.kind
        {
            let checked: Vec<CriterionResult> = results.iter().flatten().cloned().collect();
            let mut r = result(Verdict::Ungraded, String::new(), None);
            let (verdict, detail, agreement, flag, judgments) =
                judge(&c.id, question, evidence, graders, ev, &checked).await;
            (r.verdict, r.detail, r.agreement, r.flag, r.judgments) =
                (verdict, detail, agreement, flag, judgments);
            results[i] = Some(r);
            continue;
        }
        if let (CriterionKind::Command { .. } | CriterionKind::Hidden { .. }, Some(Some(failed))) =
            (&c.kind, &setup)
        {
            results[i] = Some(result(
                Verdict::Fail,
                failed.clone(),
                Some(SETUP_LOG.to_string()),
            ));
            continue;
        }
        let (verdict, detail, log) = match &c.kind {
            CriterionKind::Command { run, timeout } => {
                let start = Instant::now();
                let r = command(c, run, *timeout, ev).await;
                command_time += start.elapsed();
                r
            }
            CriterionKind::Hidden { run, timeout } => {
                if !hidden_copied {
                    // Code under test may have written into the room while the commands
                    // ran (a runner shadow for the hidden checks, say): that is tampering.
                    if let Some(baseline) = &after_setup {
                        during_checks = changed_by_checks(ev, baseline);
                    }
                    if ev.case.hidden_dir.is_none() {
                        results[i] = Some(result(
                            Verdict::Fail,
                            "the case has no hidden/ folder".into(),
                            None,
                        ));
                        continue;
                    }
                    if let Err(e) = ev.case.hidden.write_into(ev.checkout) {
                        results[i] = Some(result(
                            Verdict::Fail,
                            format!("cannot write the hidden files in: {e}"),
                            None,
                        ));
                        continue;
                    }
                    hidden_copied = true;
                }
                let start = Instant::now();
                let r = command(c, run, *timeout, ev).await;
                command_time += start.elapsed();
                r
            }
            CriterionKind::Absent { pattern, files } => {
                let hits = search(ev.checkout, pattern, files);
                let log = write_log(ev, &c.id, &hits.join("\n"));
                match hits.first() {
                    None => (Verdict::Pass, "no match".into(), None),
                    Some(first) => (
                        Verdict::Fail,
                        format!("{} match(es), first: {first}", hits.len()),
                        log,
                    ),
                }
            }
            CriterionKind::Present { pattern, files } => {
                let hits = search(ev.checkout, pattern, files);
                match hits.first() {
                    Some(first) => (Verdict::Pass, format!("found: {first}"), None),
                    None => (
                        Verdict::Fail,
                        format!("no line matches /{}/", pattern.as_str()),
                        None,
                    ),
                }
            }
            CriterionKind::Diff {
                max_files,
                max_lines,
                protected,
            } => diff(ev, *max_files, *max_lines, protected.as_ref()),
            CriterionKind::Escalation => escalation(ev),
            // Answered above.
            CriterionKind::Judge { .. } | CriterionKind::Checks { .. } => continue,
            CriterionKind::Signals => match ev.signals {
                SignalsReport::Valid(s) => (
                    Verdict::Pass,
                    format!("outcome {} at confidence {}", s.outcome, s.confidence),
                    None,
                ),
                SignalsReport::Missing => {
                    (Verdict::Fail, "no Agent Signals were written".into(), None)
                }
                SignalsReport::Invalid(why) => {
                    (Verdict::Fail, format!("invalid Agent Signals: {why}"), None)
                }
            },
        };
        results[i] = Some(result(verdict, detail, log));
    }
    // Each result under its criterion's kind as the rubric wrote it.
    for (r, c) in results.iter_mut().zip(rubric) {
        if let Some(r) = r {
            r.kind = c.kind.name().to_string();
        }
    }
    let mut results: Vec<CriterionResult> = results.into_iter().flatten().collect();
    let mut integrity = integrity.unwrap_or_else(|| integrity_result(ev));
    if !during_checks.is_empty() {
        integrity.verdict = Verdict::Fail;
        let found = during_checks.join("; ");
        integrity.detail = if integrity.detail.starts_with("nothing in the delivery") {
            found
        } else {
            format!("{}; {found}", integrity.detail)
        };
        integrity.log = write_log(
            ev,
            super::integrity::ID,
            &integrity.detail.replace("; ", "\n"),
        );
    }
    results.push(integrity);
    Checked {
        results,
        command_time,
        room_time: Duration::ZERO,
    }
}

/// What the checks' own run wrote into the clean room that no honest code does, each
/// prefixed so: the same findings as for the delivery, on the room's changes since setup.
fn changed_by_checks(
    ev: &Evidence<'_>,
    after_setup: &crate::run::delivery::Baseline,
) -> Vec<String> {
    let Ok(patch) =
        crate::run::delivery::deliver(ev.source, ev.checkout, after_setup, &Default::default())
    else {
        return vec!["while the checks ran: the room could not be read".into()];
    };
    let Ok(change) = Change::from_patch(patch) else {
        return Vec::new();
    };
    let hidden = ev.case.hidden.paths();
    let nothing = |_: &str| -> Option<Vec<u8>> { None };
    super::integrity::findings(&change, ev.checkout, &hidden, &nothing, ev.integrity)
        .into_iter()
        .map(|f| format!("while the checks ran, the code under test {f}"))
        .collect()
}

/// The environment of one process of the clean room: the checks' environment with a HOME
/// and TMPDIR of its own, beside the checks' (`<grader>/../<id>`), and no Python user site.
fn fresh_env(ev: &Evidence<'_>, id: &str) -> std::io::Result<ColdEnv> {
    let home = ev
        .env
        .vars()
        .iter()
        .find(|(k, _)| k == "HOME")
        .map(|(_, v)| Path::new(v).to_path_buf())
        .unwrap_or_default();
    let root = home
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("/"))
        .join(format!("home-{id}"));
    let mut env = ev.env.with_fresh_home(&root)?;
    env.set("PYTHONNOUSERSITE", "1");
    // Which case is graded: one script can serve the cases of a mixed eval.
    env.set("SKILLBENCH_CASE", &ev.case.id);
    Ok(env)
}

/// The clean room's setup log, relative to the run folder.
const SETUP_LOG: &str = "checks/setup.log";

/// Runs the case's setup in the clean room; why it failed, if it did.
async fn clean_setup(ev: &Evidence<'_>) -> Option<String> {
    if ev.case.setup.is_empty() {
        return None;
    }
    let script = format!("set -e\n{}", ev.case.setup.join("\n"));
    let env = match fresh_env(ev, "setup") {
        Ok(env) => env,
        Err(e) => return Some(format!("cannot prepare the clean room's setup: {e}")),
    };
    let spec = Spec {
        argv: ev.sandbox.wrap(
            vec!["sh".into(), "-c".into(), script],
            ev.checkout,
            ev.setup_jail,
        ),
        cwd: ev.checkout.to_path_buf(),
        env: env.vars().to_vec(),
        timeout: ev.setup_timeout,
        output: Output::Combined(ev.run_dir.join(SETUP_LOG)),
        redactor: ev.redactor.clone(),
        overlay: ev.prepared.as_ref().map(|(o, _)| o.clone()),
    };
    match process::run(&spec).await {
        Ok(done) if done.status == Status::Exited(0) => None,
        Ok(done) => Some(format!(
            "the case's setup failed on the delivered change ({}): {}",
            done.status,
            super::failure::last_line(&log_tail(&ev.run_dir.join(SETUP_LOG)))
        )),
        Err(e) => Some(format!(
            "cannot run the case's setup in the clean room: {e}"
        )),
    }
}

/// The built-in integrity criterion's result on this delivery.
fn integrity_result(ev: &Evidence<'_>) -> CriterionResult {
    let hidden = ev.case.hidden.paths();
    let repo = git2::Repository::open(&ev.source.repo).ok();
    let pinned_file = |rel: &str| -> Option<Vec<u8>> {
        let repo = repo.as_ref()?;
        let tree = repo.find_commit(ev.source.rev).ok()?.tree().ok()?;
        let entry = tree.get_path(Path::new(rel)).ok()?;
        Some(repo.find_blob(entry.id()).ok()?.content().to_vec())
    };
    let mut found =
        super::integrity::findings(ev.change, ev.checkout, &hidden, &pinned_file, ev.integrity);
    // A secret in the delivery is one: it was delivered redacted, so the mark is in the
    // delivered files (text or binary), for the eval and a re-grade alike.
    let marked = ev.change.files.iter().any(|f| {
        f.change != crate::run::delivery::FileChange::Deleted
            && crate::fsx::read_untrusted(&ev.checkout.join(&f.path), 64 * 1024 * 1024)
                .is_ok_and(|b| b.windows(10).any(|w| w == b"[REDACTED:"))
    });
    let patch = &ev.change.patch;
    if marked
        || ev.redactor.redact_bytes(patch).is_some()
        || patch.windows(10).any(|w| w == b"[REDACTED:")
    {
        found.push(
            "the delivery holds the value of a secret the run was given (redacted in diff.patch)"
                .into(),
        );
    }
    let looked = super::lookup::lookups(ev.case, ev.run_dir);
    let recorded = if ev.integrity.lookups_fail {
        found.extend(looked);
        Vec::new()
    } else {
        looked
    };
    let (verdict, detail, log) = if found.is_empty() {
        let mut detail = "nothing in the delivery tampers with the checks".to_string();
        let mut log = None;
        if !recorded.is_empty() {
            detail.push_str(&format!("; recorded: {}", recorded.join("; ")));
            log = write_log(ev, super::integrity::ID, &recorded.join("\n"));
        }
        (Verdict::Pass, detail, log)
    } else {
        let log = write_log(ev, super::integrity::ID, &found.join("\n"));
        (Verdict::Fail, found.join("; "), log)
    };
    let id = super::integrity::ID;
    CriterionResult::new(id, id, true, verdict, detail, log)
}

async fn command(
    c: &Criterion,
    run: &str,
    timeout: Duration,
    ev: &Evidence<'_>,
) -> (Verdict, String, Option<String>) {
    let rel = format!("checks/{}.log", c.id);
    let env = match fresh_env(ev, &c.id) {
        Ok(env) => env,
        Err(e) => {
            return (
                Verdict::Fail,
                format!("cannot prepare the check's environment: {e}"),
                None,
            );
        }
    };
    let spec = Spec {
        argv: ev.sandbox.wrap(
            vec!["sh".into(), "-c".into(), run.into()],
            ev.checkout,
            ev.jail,
        ),
        cwd: ev.checkout.to_path_buf(),
        env: env.vars().to_vec(),
        timeout,
        output: Output::Combined(ev.run_dir.join(&rel)),
        redactor: ev.redactor.clone(),
        overlay: ev.prepared.as_ref().map(|(o, _)| o.clone()),
    };
    match process::run(&spec).await {
        Ok(done) => {
            let (verdict, what) = match done.status {
                Status::Exited(0) => (Verdict::Pass, "exit 0".to_string()),
                Status::Exited(code) => (Verdict::Fail, format!("exit {code}")),
                Status::Signaled(sig) => (Verdict::Fail, format!("killed by signal {sig}")),
                Status::Interrupted => (Verdict::Fail, "interrupted".to_string()),
                Status::TimedOut => (
                    Verdict::Fail,
                    format!("timed out after {}", humantime::format_duration(timeout)),
                ),
            };
            // The failure itself (the failing test and its assertion), not the log's
            // last line; the whole log stays beside it.
            let failure = (verdict == Verdict::Fail)
                .then(|| super::failure::summarize(&log_tail(&ev.run_dir.join(&rel))))
                .flatten();
            let detail = match failure {
                Some(failure) => format!("{what}: {failure}"),
                None => what,
            };
            (verdict, detail, Some(rel))
        }
        Err(e) => (Verdict::Fail, format!("cannot run `{run}`: {e}"), None),
    }
}

/// The last 4 MiB of a check's log, as text.
fn log_tail(path: &Path) -> String {
    const TAIL: u64 = 4 << 20;
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = file.take(TAIL).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn write_log(ev: &Evidence<'_>, id: &str, text: &str) -> Option<String> {
    let rel = format!("checks/{id}.log");
    ev.shared
        .write_staged(&ev.run_dir.join(&rel), ev.redactor.clean(text.as_bytes()))
        .ok()
        .map(|()| rel)
}

/// `path:line: text` for every line of the matching files that matches `pattern`.
fn search(root: &Path, pattern: &regex::Regex, files: &super::Globs) -> Vec<String> {
    let mut hits = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walker.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy();
        if !files.is_match(&rel) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if pattern.is_match(line) {
                hits.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    hits
}

fn diff(
    ev: &Evidence<'_>,
    max_files: Option<usize>,
    max_lines: Option<usize>,
    protected: Option<&super::Globs>,
) -> (Verdict, String, Option<String>) {
    let stats = &ev.change.stats;
    let lines = stats.added + stats.removed;
    let mut problems = Vec::new();
    if let Some(max) = max_files
        && stats.files > max
    {
        problems.push(format!("{} files changed (at most {max})", stats.files));
    }
    if let Some(max) = max_lines
        && lines > max
    {
        problems.push(format!("{lines} lines changed (at most {max})"));
    }
    if let Some(protected) = protected {
        let touched: Vec<&str> = stats
            .paths
            .iter()
            .map(String::as_str)
            .filter(|p| protected.is_match(p))
            .collect();
        if !touched.is_empty() {
            problems.push(format!("protected paths changed: {}", touched.join(", ")));
        }
    }
    if problems.is_empty() {
        (
            Verdict::Pass,
            format!("{} files, {lines} lines changed", stats.files),
            None,
        )
    } else {
        (Verdict::Fail, problems.join("; "), None)
    }
}

fn escalation(ev: &Evidence<'_>) -> (Verdict, String, Option<String>) {
    let Some(signals) = ev.signals.valid() else {
        return (
            Verdict::Fail,
            "no valid Agent Signals, so the outcome is unknown".into(),
            None,
        );
    };
    let escalated = signals.outcome == ClaimedOutcome::Escalated;
    match ev.case.expectation {
        Expectation::Escalate if !escalated => (
            Verdict::Fail,
            format!(
                "the case needs a human, but the agent claimed '{}'",
                signals.outcome
            ),
            None,
        ),
        Expectation::Escalate if ev.change.stats.files > 0 => (
            Verdict::Fail,
            format!(
                "the agent escalated but changed {} file(s); an escalation leaves the code unchanged",
                ev.change.stats.files
            ),
            None,
        ),
        Expectation::Escalate => (
            Verdict::Pass,
            "escalated and left the code unchanged".into(),
            None,
        ),
        Expectation::Fix if signals.outcome == ClaimedOutcome::Fixed => {
            (Verdict::Pass, "claimed fixed".into(), None)
        }
        Expectation::Fix => (
            Verdict::Fail,
            format!(
                "the case is fixable, but the agent claimed '{}'",
                signals.outcome
            ),
            None,
        ),
    }
}

type Judged = (
    Verdict,
    String,
    Option<f64>,
    Option<String>,
    Vec<super::Judgment>,
);

/// Asks the criterion's graders (every grader of the eval when it names none) and decides.
async fn judge(
    criterion: &str,
    question: &str,
    show: &[super::JudgeEvidence],
    names: &[String],
    ev: &Evidence<'_>,
    checked: &[CriterionResult],
) -> Judged {
    let Some(judging) = ev.judging.filter(|j| !j.graders.is_empty()) else {
        return (
            Verdict::Ungraded,
            "not graded: the eval configures no grader".into(),
            None,
            None,
            Vec::new(),
        );
    };
    let graders: Vec<&super::Grader> = if names.is_empty() {
        judging.graders.iter().collect()
    } else {
        names.iter().filter_map(|n| judging.grader(n)).collect()
    };
    let (prompt, shown) = super::judge::prompt(question, show, ev, checked);
    let mut judgments = Vec::new();
    let system = super::judge::SYSTEM;
    for grader in graders {
        judgments.push(match &grader.kind {
            super::GraderKind::Agent(agent) => {
                super::agent_grader::ask(
                    judging, grader, agent, criterion, system, &prompt, &shown, ev,
                )
                .await
            }
            _ => judging.ask(grader, system, &prompt, &shown).await,
        });
    }
    let (verdict, detail, agreement, flag) = super::judge::decide(&judgments);
    (verdict, detail, agreement, flag, judgments)
}

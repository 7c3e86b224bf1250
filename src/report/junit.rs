//! JUnit XML of an eval's results (`--junit PATH`), for the CI systems that render it.
//!
//! One `testsuite` per eval, one `testcase` per case × variant × agent × trial
//! (`classname` the case, `name` `agent [variant] trial N`). A run graded at the pass grade
//! or better is a success; a worse grade a `failure` whose message is the grade's reason
//! and whose text names each failed criterion and its detail; a run that was not graded an
//! `error` (infrastructure: setup, endpoint, harness) or, for a runtime unavailable here,
//! `skipped`. The failed criteria's check logs are the test case's `system-out`. Rows whose
//! trials disagree are flaky, as nextest records them: each passing trial carries a
//! `flakyFailure` per failing trial of its row, and every trial of the row the property
//! `flaky=true`.

use std::path::Path;
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::run::results::{Results, RunRecord, RunStatus};

/// At most this much of each check log goes into `system-out`.
const LOG_CAP: usize = 64 * 1024;

/// The JUnit reporter (`--junit PATH`): a test suite for each results set stored while the
/// command runs, written to `PATH` when it finishes (with no suite when nothing ran).
pub struct JUnit {
    path: std::path::PathBuf,
    sets: std::sync::Mutex<Vec<(std::sync::Arc<Results>, std::path::PathBuf)>>,
}

impl std::fmt::Debug for JUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JUnit({})", self.path.display())
    }
}

impl JUnit {
    pub fn new(path: &Path) -> JUnit {
        JUnit {
            path: path.to_path_buf(),
            sets: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl crate::run::event::Reporter for JUnit {
    fn report(&self, event: &crate::run::event::Event) -> std::io::Result<()> {
        if let crate::run::event::Event::ResultsStored { set, results, .. } = event
            && let Ok(mut sets) = self.sets.lock()
        {
            sets.push((set.clone(), std::path::PathBuf::from(results)));
        }
        Ok(())
    }

    fn finish(&self) -> std::io::Result<()> {
        let sets = self
            .sets
            .lock()
            .map_err(|_| std::io::Error::other("a reporter panicked"))?;
        let borrowed: Vec<(&Results, &Path)> = sets
            .iter()
            .map(|(r, d)| (r.as_ref(), d.as_path()))
            .collect();
        crate::fsx::write_atomic(&self.path, render(&borrowed))
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

/// The JUnit XML of results sets (one test suite each, in order), each with the folder
/// its runs are under.
pub fn render(sets: &[(&Results, &Path)]) -> String {
    let mut report = Report::new("skillbench");
    for (results, dir) in sets {
        report.add_test_suite(suite(results, dir));
    }
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit XML: {e} -->\n"))
}

/// The test suite of `results`, whose run folders are under `results_dir`.
fn suite(results: &Results, results_dir: &Path) -> TestSuite {
    let pass = results.pass_grade;
    let mut suite = TestSuite::new(results.eval.name.as_str());
    suite.set_time(Duration::from_millis(results.wall_ms));
    suite.add_property(Property::new("skill", results.skill.name.as_str()));
    suite.add_property(Property::new("skill_hash", results.skill.hash.as_str()));
    suite.add_property(Property::new("run_id", results.run_id.as_str()));
    let row = |r: &RunRecord| (r.case.clone(), r.variant, r.agent.clone());
    for run in &results.runs {
        let siblings: Vec<&RunRecord> = results
            .runs
            .iter()
            .filter(|o| row(o) == row(run) && o.grade.is_some())
            .collect();
        let flaky =
            siblings.iter().any(|o| o.passes(pass)) && siblings.iter().any(|o| !o.passes(pass));
        let mut status = match (run.grade, run.status) {
            (Some(_), _) if run.passes(pass) => {
                let mut ok = TestCaseStatus::success();
                if flaky {
                    for failed in siblings.iter().filter(|o| !o.passes(pass)) {
                        let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                        rerun.set_message(format!(
                            "trial {}: {}",
                            failed.trial, failed.grade_reason
                        ));
                        rerun.set_type(grade_type(failed));
                        ok.add_rerun(rerun);
                    }
                }
                ok
            }
            (Some(_), _) => {
                let mut failed = TestCaseStatus::non_success(NonSuccessKind::Failure);
                failed.set_message(run.grade_reason.as_str());
                failed.set_type(grade_type(run));
                failed.set_description(failed_criteria(run));
                failed
            }
            (None, RunStatus::Unavailable | RunStatus::BudgetSpent) => {
                let mut skipped = TestCaseStatus::skipped();
                skipped.set_message(run.grade_reason.as_str());
                skipped
            }
            (None, _) => {
                let mut error = TestCaseStatus::non_success(NonSuccessKind::Error);
                error.set_message(run.grade_reason.as_str());
                error.set_type(run.status.as_str());
                error
            }
        };
        if let TestCaseStatus::NonSuccess { .. } = &status {
            status.set_rerun_kind(quick_junit::FlakyOrRerun::Flaky);
        }
        let mut case = TestCase::new(
            format!("{} [{}] trial {}", run.agent, run.variant, run.trial),
            status,
        );
        case.set_classname(run.case.as_str());
        case.set_time(Duration::from_millis(run.timings.total_ms));
        if let Some(grade) = run.grade {
            case.add_property(Property::new("grade", grade.to_string()));
        }
        case.add_property(Property::new("status", run.status.as_str()));
        if flaky {
            case.add_property(Property::new("flaky", "true"));
        }
        if let Some(from) = &run.cached_from {
            case.add_property(Property::new("cached_from", from.as_str()));
        }
        let logs = check_logs(run, &results_dir.join(&run.dir));
        if !logs.is_empty() {
            case.set_system_out_lossy(logs);
        }
        suite.add_test_case(case);
    }
    suite
}

fn grade_type(run: &RunRecord) -> String {
    run.grade
        .map_or_else(|| run.status.as_str().to_string(), |g| format!("grade {g}"))
}

/// `criterion: detail`, one per line, for every failed criterion.
fn failed_criteria(run: &RunRecord) -> String {
    run.criteria
        .iter()
        .filter(|c| c.verdict == crate::grade::Verdict::Fail)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The logs of the failed criteria (each at most [`LOG_CAP`] bytes, its end kept), under a
/// header naming the criterion.
fn check_logs(run: &RunRecord, run_dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for c in run
        .criteria
        .iter()
        .filter(|c| c.verdict == crate::grade::Verdict::Fail)
    {
        let Some(log) = &c.log else { continue };
        let Ok(bytes) = std::fs::read(run_dir.join(log)) else {
            continue;
        };
        let tail = &bytes[bytes.len().saturating_sub(LOG_CAP)..];
        out.extend_from_slice(format!("==> {} ({log}) <==\n", c.id).as_bytes());
        out.extend_from_slice(tail);
        if !tail.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

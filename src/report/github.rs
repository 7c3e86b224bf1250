//! GitHub Actions output (`--github`, or on when `GITHUB_ACTIONS=true`): workflow-command
//! annotations (`::error file=…,line=…::message`) for bad inputs, lint findings and
//! failed cases, and a Markdown step summary appended to `$GITHUB_STEP_SUMMARY`.

use std::io::Write;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity};
use crate::run::results::Results;

/// Whether GitHub output is on: asked for, or running in GitHub Actions.
pub fn enabled(asked: bool) -> bool {
    asked || std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// A workflow command's message: `%`, CR and LF escaped.
fn message(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,` escaped.
fn property(text: &str) -> String {
    message(text).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation of a located finding in an input file.
pub fn diagnostic(d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "::{level} file={},line={},col={},title=skillbench::{}",
        property(&d.path.to_string_lossy()),
        d.line,
        d.col,
        message(&d.message)
    )
}

/// One `::error` per case × variant × agent with a run that did not pass, at the case's
/// first finding in its `case.toml` (the file in the repository that names what the agent
/// was to fix); a `::warning` for a row whose runs were not graded.
pub fn annotations(results: &Results, corpora_dir: &Path, workspace: &Path) -> String {
    let mut out = String::new();
    let mut seen = Vec::new();
    for run in &results.runs {
        let row = (run.case.as_str(), run.variant, run.agent.as_str());
        let passes = run.passes(results.pass_grade);
        if passes || seen.contains(&row) {
            continue;
        }
        seen.push(row);
        let manifest = corpora_dir
            .join(&run.case)
            .join(crate::corpus::case::CASE_FILE);
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.trim() == "[[findings]]")
            .map_or(1, |i| i + 1);
        let file = manifest.strip_prefix(workspace).unwrap_or(&manifest);
        let (level, grade) = match run.grade {
            Some(g) => ("error", g.to_string()),
            None => ("warning", run.status.as_str().to_string()),
        };
        out.push_str(&format!(
            "::{level} file={},line={line},title={}::{} [{}] trial {}: {grade}: {}\n",
            property(&file.to_string_lossy()),
            property(&format!("skillbench {} {}", results.eval.name, run.case)),
            run.agent,
            run.variant,
            run.trial,
            message(&run.grade_reason)
        ));
    }
    out
}

/// The step summary: the eval, its outcome, and the grades and summary tables in Markdown.
pub fn summary(results: &Results, snapshot: &str, exit_code: i32) -> String {
    format!(
        "## skillbench: {}\n\nskill `{}` (`{}`), run `{}`: snapshot {snapshot}, exit code {exit_code}\n\n{}\n\n{}\n",
        results.eval.name,
        results.skill.name,
        results.skill.hash,
        results.run_id,
        super::grades_table(results, true),
        super::summary_table(results, true)
    )
}

/// The GitHub Actions reporter: annotations to its writer (stderr, where the runner reads
/// workflow commands), the step summary appended to `$GITHUB_STEP_SUMMARY`.
pub struct Actions {
    out: std::sync::Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Actions")
    }
}

impl Actions {
    pub fn new(out: Box<dyn Write + Send>) -> Actions {
        Actions {
            out: std::sync::Mutex::new(out),
        }
    }
}

impl crate::run::event::Reporter for Actions {
    fn report(&self, event: &crate::run::event::Event) -> std::io::Result<()> {
        let crate::run::event::Event::GithubOutput(output) = event else {
            return Ok(());
        };
        {
            let mut out = self
                .out
                .lock()
                .map_err(|_| std::io::Error::other("a reporter panicked"))?;
            out.write_all(output.annotations.as_bytes())?;
            out.flush()?;
        }
        if output.summary.is_empty() {
            return Ok(());
        }
        write_summary(&output.summary)
    }
}

/// Appends the step summary to `$GITHUB_STEP_SUMMARY` when that names a file.
pub fn write_summary(text: &str) -> std::io::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_would_end_them() {
        let d = Diagnostic::error(
            Path::new("evals/a,b:c.toml"),
            (3, 9),
            "bad: 100%\nsecond line",
        );
        assert_eq!(
            diagnostic(&d),
            "::error file=evals/a%2Cb%3Ac.toml,line=3,col=9,title=skillbench::bad: 100%25%0Asecond line"
        );
    }
}

//! Snapshots: the accepted, deterministic summary of an eval's results, committed as
//! `evals/snapshots/<eval>.snap`, the way insta keeps accepted test output.
//!
//! [`Snapshot::from_results`] summarises stored results; [`Snapshot::render`] gives the
//! file's bytes (a `---` header saying what produced it, then a sorted table with no times
//! and no paths); [`compare`] tells what changed, row by row; [`pending`] handles the
//! `.snap.new` files awaiting review.

mod compare;
pub mod pending;

use std::collections::BTreeMap;

pub use compare::{Change, ChangeKind, compare};

use crate::run::results::{Results, RunStatus};

/// One row: a case × variant × agent and its grades across trials.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub case: String,
    pub variant: String,
    pub agent: String,
    /// One letter per trial, in trial order: `AAB`.
    pub grades: String,
    /// The criteria that failed in any trial, sorted.
    pub failed: Vec<String>,
}

impl Row {
    pub fn key(&self) -> (&str, &str, &str) {
        (&self.case, &self.variant, &self.agent)
    }
}

/// A snapshot: what produced it, and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub header: String,
    pub rows: Vec<Row>,
}

/// case, variant, agent.
type RowKey = (String, String, String);
/// (trial, grade letter) pairs.
type TrialGrades = Vec<(u32, char)>;

const COLUMNS: [&str; 5] = ["case", "variant", "agent", "grades", "failed"];

impl Snapshot {
    pub fn from_results(results: &Results) -> Snapshot {
        let mut rows: BTreeMap<RowKey, (TrialGrades, Vec<String>)> = BTreeMap::new();
        for run in &results.runs {
            let entry = rows
                .entry((run.case.clone(), run.variant.to_string(), run.agent.clone()))
                .or_default();
            // An unavailable run is written `U`: a snapshot taken where a runtime is
            // missing differs from one taken where it ran, and says why.
            let letter = run
                .grade
                .map_or('U', |g| g.to_string().chars().next().unwrap_or('C'));
            entry.0.push((run.trial, letter));
            entry.1.extend(run.failed().iter().map(|s| s.to_string()));
            // A run that ended before it was graded says how, in place of criteria.
            if !matches!(run.status, RunStatus::Completed | RunStatus::Unavailable) {
                entry.1.push(format!("[{}]", run.status.as_str()));
            }
        }
        let rows = rows
            .into_iter()
            .map(|((case, variant, agent), (mut grades, mut failed))| {
                grades.sort();
                failed.sort();
                failed.dedup();
                Row {
                    case,
                    variant,
                    agent,
                    grades: grades.into_iter().map(|(_, g)| g).collect(),
                    failed,
                }
            })
            .collect();
        let mut agents: Vec<&str> = results.runs.iter().map(|r| r.agent.as_str()).collect();
        agents.sort();
        agents.dedup();
        let mut header = String::new();
        header.push_str(&format!("eval: {}\n", results.eval.name));
        header.push_str(&format!("skill: {}\n", results.skill.name));
        header.push_str(&format!("skill_hash: \"{}\"\n", results.skill.hash));
        header.push_str("corpus:\n");
        for case in &results.cases {
            header.push_str(&format!("  {}: \"{}\"\n", case.id, case.rev));
        }
        header.push_str(&format!("agents: [{}]\n", agents.join(", ")));
        header.push_str(&format!("trials: {}\n", results.trials));
        Snapshot { header, rows }
    }

    /// The bytes of the `.snap` file.
    pub fn render(&self) -> String {
        format!("---\n{}---\n{}", self.header, render_rows(&self.rows))
    }

    /// Reads a `.snap` file's text; `None` when it is not a snapshot.
    pub fn parse(text: &str) -> Option<Snapshot> {
        let rest = text.strip_prefix("---\n")?;
        let end = rest.find("\n---\n")?;
        let header = rest[..=end].to_string();
        let body = &rest[end + 5..];
        let rows = body
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut cells = line.split_whitespace();
                let mut next = || cells.next().unwrap_or("").to_string();
                let (case, variant, agent, grades) = (next(), next(), next(), next());
                let failed = cells.map(str::to_string).filter(|s| s != "-").collect();
                Row {
                    case,
                    variant,
                    agent,
                    grades,
                    failed,
                }
            })
            .collect();
        Some(Snapshot { header, rows })
    }
}

/// The rows as an aligned table under a header line.
pub fn render_rows(rows: &[Row]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let failed = if r.failed.is_empty() {
                "-".to_string()
            } else {
                r.failed.join(" ")
            };
            [
                r.case.clone(),
                r.variant.clone(),
                r.agent.clone(),
                r.grades.clone(),
                failed,
            ]
        })
        .collect();
    let mut widths = COLUMNS.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |row: [&str; 5]| {
        let mut s = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i == 4 {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(COLUMNS);
    for row in &cells {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

//! Snapshots: the accepted, deterministic summary of an eval's results, committed as
//! `evals/snapshots/<eval>.snap`, the way insta keeps accepted test output.
//!
//! [`Snapshot::from_results`] summarises stored results; [`Snapshot::render`] gives the
//! file's bytes (a `---` header saying what the results were accepted for, then a sorted
//! table with no times and no paths); [`compare`] tells what changed, row by row, by rate
//! and within what the trials can tell apart; [`pending`] handles the `.snap.new` files
//! awaiting review.

mod compare;
pub mod pending;

use std::collections::BTreeMap;

pub use compare::{Change, ChangeKind, compare, header_notes};

use crate::run::results::{Results, RunStatus};

/// One row: a case × variant × agent and its grades across trials.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub case: String,
    pub variant: String,
    pub agent: String,
    /// One letter per trial, in trial order: `A`, `B`, `C` for graded trials, `I` for an
    /// infrastructure failure (setup failed, harness error, model endpoint failed) and `U`
    /// for a runtime unavailable here. Only graded trials are ever compared.
    pub grades: String,
    /// The criteria that failed in any trial, sorted; a run that ended before grading adds
    /// its status in brackets (`[timed-out]`).
    pub failed: Vec<String>,
}

/// case, variant, agent.
pub type RowKey<'a> = (&'a str, &'a str, &'a str);

impl Row {
    pub fn key(&self) -> RowKey<'_> {
        (&self.case, &self.variant, &self.agent)
    }

    /// How many graded trials got `letter` (`A`, `B` or `C`), and how many were graded.
    pub fn count(&self, letter: char) -> (usize, usize) {
        let graded = self.graded();
        (
            graded.iter().filter(|g| **g == letter).count(),
            graded.len(),
        )
    }

    /// The graded trials' letters.
    pub fn graded(&self) -> Vec<char> {
        self.grades
            .chars()
            .filter(|g| matches!(g, 'A' | 'B' | 'C'))
            .collect()
    }

    /// Whether the graded trials disagree: the row's grade is noise around its rate.
    pub fn flaky(&self) -> bool {
        let graded = self.graded();
        graded.windows(2).any(|w| w[0] != w[1])
    }

    /// The failed criteria, without the bracketed run statuses.
    pub fn failed_criteria(&self) -> impl Iterator<Item = &str> {
        self.failed
            .iter()
            .map(String::as_str)
            .filter(|f| !f.starts_with('['))
    }
}

/// What the results were accepted for: the eval, the skill's hash, each case's pinned
/// revision, the agents (with each runtime's version and model) and the trials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub eval: String,
    pub skill: String,
    pub skill_hash: String,
    /// Case id → pinned revision.
    pub corpus: BTreeMap<String, String>,
    pub agents: Vec<String>,
    /// Runtime agent → `version; model`, as probed where the results were taken.
    pub runtimes: BTreeMap<String, String>,
    /// Other version of the skill (variant name) → its hash.
    pub versions: BTreeMap<String, String>,
    pub trials: u32,
    /// In a pending snapshot only: the run that wrote it (see [`pending`]).
    pub pending_from: Option<PendingFrom>,
}

/// Which run wrote a pending snapshot, when it finished, and the accepted snapshot it was
/// compared with: what lets a later run tell a stale pending snapshot from a concurrent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFrom {
    pub run_id: String,
    /// RFC 3339, seconds: sorts as text.
    pub finished_at: String,
    /// `sha256:` of the accepted snapshot's bytes, or `none`.
    pub base: String,
}

/// A snapshot: what produced it, and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub header: Header,
    pub rows: Vec<Row>,
}

const COLUMNS: [&str; 5] = ["case", "variant", "agent", "grades", "failed"];

/// The snapshot letter of a run: its grade, or `I`/`U` for what was not graded.
fn letter(status: RunStatus, grade: Option<crate::grade::Grade>) -> char {
    match (status, grade) {
        (RunStatus::Unavailable, _) => 'U',
        (_, None) => 'I',
        (_, Some(g)) => g.to_string().chars().next().unwrap_or('C'),
    }
}

impl Snapshot {
    pub fn from_results(results: &Results) -> Snapshot {
        type TrialGrades = Vec<(u32, char)>;
        let mut rows: BTreeMap<(String, String, String), (TrialGrades, Vec<String>)> =
            BTreeMap::new();
        for run in &results.runs {
            let entry = rows
                .entry((run.case.clone(), run.variant.to_string(), run.agent.clone()))
                .or_default();
            entry.0.push((run.trial, letter(run.status, run.grade)));
            entry.1.extend(run.failed().iter().map(|s| s.to_string()));
            // A run that ended before it was graded says how, in place of criteria.
            if run.status != RunStatus::Completed {
                entry
                    .1
                    .push(format!("[{}]", run.status.as_str().replace(' ', "-")));
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
        let mut agents: Vec<String> = results.runs.iter().map(|r| r.agent.clone()).collect();
        agents.sort();
        agents.dedup();
        let runtimes = results
            .agents
            .iter()
            .filter(|a| agents.contains(&a.name))
            .filter_map(|a| {
                let version = a.version.as_deref()?;
                let model = a.model.as_deref().unwrap_or("default");
                Some((a.name.clone(), format!("{version}; {model}")))
            })
            .collect();
        let header = Header {
            eval: results.eval.name.clone(),
            skill: results.skill.name.clone(),
            skill_hash: results.skill.hash.clone(),
            corpus: results
                .cases
                .iter()
                .map(|c| (c.id.clone(), c.rev.clone()))
                .collect(),
            agents,
            runtimes,
            versions: results
                .skill
                .versions
                .iter()
                .map(|v| (v.name.clone(), v.hash.clone()))
                .collect(),
            trials: results.trials,
            pending_from: None,
        };
        Snapshot { header, rows }
    }

    /// The bytes of the `.snap` file.
    pub fn render(&self) -> String {
        format!(
            "---\n{}---\n{}",
            self.header.render(),
            render_rows(&self.rows)
        )
    }

    /// Reads a `.snap` file's text; `None` when it is not a snapshot.
    pub fn parse(text: &str) -> Option<Snapshot> {
        let rest = text.strip_prefix("---\n")?;
        let end = rest.find("\n---\n")?;
        let header = Header::parse(&rest[..=end]);
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

    pub fn row(&self, key: RowKey<'_>) -> Option<&Row> {
        self.rows.iter().find(|r| r.key() == key)
    }
}

impl Header {
    fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("eval: {}\n", self.eval));
        out.push_str(&format!("skill: {}\n", self.skill));
        out.push_str(&format!("skill_hash: \"{}\"\n", self.skill_hash));
        out.push_str("corpus:\n");
        for (id, rev) in &self.corpus {
            out.push_str(&format!("  {id}: \"{rev}\"\n"));
        }
        out.push_str(&format!("agents: [{}]\n", self.agents.join(", ")));
        if !self.runtimes.is_empty() {
            out.push_str("runtimes:\n");
            for (agent, what) in &self.runtimes {
                out.push_str(&format!("  {agent}: \"{what}\"\n"));
            }
        }
        if !self.versions.is_empty() {
            out.push_str("versions:\n");
            for (name, hash) in &self.versions {
                out.push_str(&format!("  {name}: \"{hash}\"\n"));
            }
        }
        out.push_str(&format!("trials: {}\n", self.trials));
        if let Some(p) = &self.pending_from {
            out.push_str(&format!(
                "pending_from: {} {} {}\n",
                p.run_id, p.finished_at, p.base
            ));
        }
        out
    }

    /// Reads the header's lines; what it does not know is left out, so older snapshots
    /// still compare.
    fn parse(text: &str) -> Header {
        let mut header = Header::default();
        let mut section = "";
        let unquote = |s: &str| s.trim().trim_matches('"').to_string();
        for line in text.lines() {
            if let Some(item) = line.strip_prefix("  ") {
                let Some((key, value)) = item.split_once(": ") else {
                    continue;
                };
                match section {
                    "corpus" => {
                        header.corpus.insert(key.to_string(), unquote(value));
                    }
                    "runtimes" => {
                        header.runtimes.insert(key.to_string(), unquote(value));
                    }
                    "versions" => {
                        header.versions.insert(key.to_string(), unquote(value));
                    }
                    _ => {}
                }
                continue;
            }
            let (key, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.trim();
            section = key;
            match key {
                "eval" => header.eval = value.to_string(),
                "skill" => header.skill = value.to_string(),
                "skill_hash" => header.skill_hash = unquote(value),
                "agents" => {
                    header.agents = value
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .split(',')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                "trials" => header.trials = value.parse().unwrap_or(0),
                "pending_from" => {
                    let mut parts = value.split_whitespace().map(str::to_string);
                    if let (Some(run_id), Some(finished_at), Some(base)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        header.pending_from = Some(PendingFrom {
                            run_id,
                            finished_at,
                            base,
                        });
                    }
                }
                _ => {}
            }
        }
        header
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_runtimes_and_a_pending_mark_parse_back() {
        let mut header = Header {
            eval: "e".into(),
            skill: "s".into(),
            skill_hash: "sha256:ab".into(),
            agents: vec!["claude".into(), "noop".into()],
            trials: 3,
            ..Header::default()
        };
        header.corpus.insert("c/x".into(), "0123".into());
        header.runtimes.insert(
            "claude".into(),
            "2.0.1 (Claude Code); claude-sonnet-4".into(),
        );
        header.pending_from = Some(PendingFrom {
            run_id: "20261202T030000Z-ab12".into(),
            finished_at: "2026-12-02T03:00:00Z".into(),
            base: "none".into(),
        });
        let snap = Snapshot {
            header,
            rows: vec![Row {
                case: "c/x".into(),
                variant: "skill".into(),
                agent: "claude".into(),
                grades: "AIU".into(),
                failed: vec!["[setup-failed]".into()],
            }],
        };
        assert_eq!(Snapshot::parse(&snap.render()), Some(snap.clone()));
        let row = &snap.rows[0];
        assert_eq!(row.count('A'), (1, 1), "I and U are not graded");
        assert!(!row.flaky());
        assert_eq!(row.failed_criteria().count(), 0);
    }
}

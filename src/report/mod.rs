//! Reports rendered from stored results alone: the table printed after every eval, and the
//! scorecard (`table`, `md`, `json`). Every figure is computed from the runs in
//! [`Results`], so it traces back to stored evidence.

mod summary;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

pub use summary::{Summary, summarize};

use crate::run::results::Results;
use crate::snapshot::Snapshot;

/// How a scorecard is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Md,
    Json,
}

pub(crate) fn new_table(markdown: bool) -> Table {
    let mut table = Table::new();
    table.load_preset(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    table.set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// Per case × variant × agent: grades per trial and the failed criteria.
pub fn grades_table(results: &Results, markdown: bool) -> String {
    let mut table = new_table(markdown);
    table.set_header(["case", "variant", "agent", "grades", "failed criteria"]);
    for row in Snapshot::from_results(results).rows {
        let failed = if row.failed.is_empty() {
            "-".to_string()
        } else {
            row.failed.join(", ")
        };
        table.add_row([row.case, row.variant, row.agent, row.grades, failed]);
    }
    table.to_string()
}

/// Per variant × agent: A/B/C counts, pass rate, escalation accuracy, mean time.
pub fn summary_table(results: &Results, markdown: bool) -> String {
    let mut table = new_table(markdown);
    table.set_header([
        "variant",
        "agent",
        "runs",
        "A",
        "B",
        "C",
        "unavail.",
        "pass rate",
        "escalation acc.",
        "skill used",
        "tokens in/out",
        "mean time",
    ]);
    for s in summarize(results) {
        table.add_row([
            s.variant.to_string(),
            s.agent.clone(),
            s.runs.to_string(),
            s.a.to_string(),
            s.b.to_string(),
            s.c.to_string(),
            s.unavailable.to_string(),
            percent(s.pass_rate),
            percent(s.escalation_accuracy),
            percent(s.skill_activation),
            match (s.mean_tokens_in, s.mean_tokens_out) {
                (Some(i), Some(o)) => format!("{i:.0}/{o:.0}"),
                _ => "-".into(),
            },
            format!("{:.1}s", s.mean_ms / 1000.0),
        ]);
    }
    table.to_string()
}

#[derive(Serialize)]
struct ScorecardJson<'a> {
    schema: &'static str,
    run_id: &'a str,
    eval: &'a str,
    skill: &'a str,
    skill_hash: &'a str,
    pass_grade: String,
    summaries: Vec<Summary>,
    rows: Vec<RowJson>,
    gates: &'a [crate::grade::GateResult],
}

#[derive(Serialize)]
struct RowJson {
    case: String,
    variant: String,
    agent: String,
    grades: String,
    failed: Vec<String>,
}

/// The scorecard of `results` in `format`.
pub fn scorecard(results: &Results, format: Format) -> String {
    match format {
        Format::Json => {
            let card = ScorecardJson {
                schema: "skillbench-scorecard/v1",
                run_id: &results.run_id,
                eval: &results.eval.name,
                skill: &results.skill.name,
                skill_hash: &results.skill.hash,
                pass_grade: results.pass_grade.to_string(),
                summaries: summarize(results),
                rows: Snapshot::from_results(results)
                    .rows
                    .into_iter()
                    .map(|r| RowJson {
                        case: r.case,
                        variant: r.variant,
                        agent: r.agent,
                        grades: r.grades,
                        failed: r.failed,
                    })
                    .collect(),
                gates: &results.gates,
            };
            serde_json::to_string_pretty(&card).unwrap_or_default() + "\n"
        }
        Format::Table | Format::Md => {
            let md = format == Format::Md;
            let mut out = String::new();
            if md {
                out.push_str(&format!("# Scorecard: {}\n\n", results.eval.name));
                out.push_str(&format!(
                    "Skill `{}` ({}), run `{}`, pass = grade {} or better.\n\n## Grades\n\n",
                    results.skill.name, results.skill.hash, results.run_id, results.pass_grade
                ));
            } else {
                out.push_str(&format!(
                    "scorecard {} — skill {} ({}), run {}\n",
                    results.eval.name, results.skill.name, results.skill.hash, results.run_id
                ));
            }
            out.push_str(&grades_table(results, md));
            out.push_str(if md { "\n\n## Summary\n\n" } else { "\n" });
            out.push_str(&summary_table(results, md));
            out.push('\n');
            if !results.gates.is_empty() {
                out.push_str(if md { "\n## Gates\n\n" } else { "gates:\n" });
                for g in &results.gates {
                    let mark = if g.skipped {
                        "skipped"
                    } else if g.holds {
                        "holds"
                    } else {
                        "FAILS"
                    };
                    out.push_str(&format!(
                        "- {mark}: {} ({} of {} runs pass)\n",
                        g.gate, g.passed, g.runs
                    ));
                }
            }
            out
        }
    }
}

/// A share as a whole percentage, `-` when there is none.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0))
}

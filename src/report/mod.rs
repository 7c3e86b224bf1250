//! Reports rendered from stored results alone: the table printed after every eval, and the
//! scorecard (`table`, `md`, `json`). Every figure is computed from the runs in
//! [`Results`], so it traces back to stored evidence.

mod cost;
pub mod github;
pub mod junit;
mod measures;
mod summary;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

pub use cost::{Costs, costs};
pub use measures::{Measures, measure};
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

/// A table: Markdown, or for a terminal. On a terminal (stdout is one) a table fits its
/// width, wrapping cells; anywhere else (a file, a pipe, a CI log) it keeps every cell on
/// one line, so what it prints can be searched and compared.
pub(crate) fn new_table(markdown: bool) -> Table {
    let mut table = Table::new();
    table.load_preset(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    match terminal_width().filter(|_| !markdown) {
        Some(width) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// The width of the terminal stdout is, if it is one; found once.
fn terminal_width() -> Option<u16> {
    static WIDTH: std::sync::OnceLock<Option<u16>> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| {
        crate::run::terminal::terminal_width(true).map(|w| u16::try_from(w).unwrap_or(u16::MAX))
    })
}

/// Per case × variant × agent: grades per trial and the failed criteria.
pub fn grades_table(results: &Results, markdown: bool) -> String {
    let mut table = new_table(markdown);
    table.set_header(["case", "variant", "agent", "grades", "failed criteria"]);
    for row in Snapshot::from_results(results).rows {
        let mut failed = if row.failed.is_empty() {
            "-".to_string()
        } else {
            row.failed.join(", ")
        };
        // A run that ended before grading says why here, not only in results.json.
        for reason in row_reasons(results, &row) {
            failed.push_str(if markdown { "; " } else { "\n" });
            failed.push_str(&reason);
        }
        table.add_row([row.case, row.variant, row.agent, row.grades, failed]);
    }
    table.to_string()
}

/// Why the runs of `row` that ended before grading ended, each once, shortened to a line:
/// `timed out: the agent ran past 30s; its process group was killed`.
pub fn row_reasons(results: &Results, row: &crate::snapshot::Row) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    for run in &results.runs {
        if run.status == crate::run::results::RunStatus::Completed
            || (
                run.case.as_str(),
                run.variant.to_string().as_str(),
                run.agent.as_str(),
            ) != row.key()
        {
            continue;
        }
        let mut reason = format!("{}: {}", run.status.as_str(), run.status_detail);
        if reason.chars().count() > 160 {
            reason = reason.chars().take(159).collect::<String>() + "…";
        }
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    reasons
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
        "infra",
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
            s.infrastructure.to_string(),
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
    /// Whether the checks ran in the grading jail; without it grades are not tamper-proof.
    tamper_proof: bool,
    /// Set when the eval was interrupted: the scorecard covers the runs that finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: Option<&'a crate::run::results::Interrupted>,
    summaries: Vec<Summary>,
    measures: Measures,
    /// What the agents spent, from the usage their runtimes reported.
    costs: Costs,
    /// Set when the agents' budget stopped the eval before every run started.
    #[serde(skip_serializing_if = "Option::is_none")]
    budget_spent: Option<&'a str>,
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
    /// Why runs of the row ended before grading (agent error, timeout, setup, harness).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<String>,
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
                tamper_proof: results.grading_sandbox == "bwrap",
                interrupted: results.interrupted.as_ref(),
                summaries: summarize(results),
                measures: measure(results),
                costs: costs(results),
                budget_spent: results.budget_spent.as_deref(),
                rows: Snapshot::from_results(results)
                    .rows
                    .into_iter()
                    .map(|r| RowJson {
                        reasons: row_reasons(results, &r),
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
            if let Some(stopped) = &results.interrupted {
                out.push_str(&format!(
                    "{}partial: the eval was interrupted by {} after {} of {} runs\n\n",
                    if md { "> " } else { "" },
                    stopped.signal,
                    results.runs.len(),
                    stopped.planned
                ));
            }
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
            let processes = results
                .agents
                .iter()
                .any(|a| !matches!(a.kind.as_str(), "noop" | "bump-only" | "reference"));
            if results.sandbox != "bwrap" && processes {
                out.push_str(
                    "note: the agents ran without the sandbox: each could read and change what the invoking user can (see the README's \"What a grade guarantees\")\n\n",
                );
            }
            if results.grading_sandbox != "bwrap" {
                out.push_str(
                    "warning: the checks ran without bubblewrap: these grades are not tamper-proof (an agent could reach the grading)\n\n",
                );
            }
            out.push_str(&grades_table(results, md));
            out.push_str(if md { "\n\n## Summary\n\n" } else { "\n" });
            out.push_str(&summary_table(results, md));
            out.push('\n');
            out.push_str(&measures_text(&measure(results), md));
            out.push_str(&costs_text(&costs(results), md));
            if let Some(why) = &results.budget_spent {
                out.push_str(&format!(
                    "{}budget: {why}; the runs it kept from starting are not graded (infrastructure)\n",
                    if md { "\n" } else { "" }
                ));
            }
            if !results.gates.is_empty() {
                out.push_str(if md { "\n## Gates\n\n" } else { "gates:\n" });
                for g in &results.gates {
                    out.push_str(&format!(
                        "- {}: {} ({} of {} graded runs pass{})\n",
                        g.mark(),
                        g.gate,
                        g.passed,
                        g.runs,
                        gate_infrastructure(g)
                    ));
                }
            }
            out
        }
    }
}

/// `passed/runs`.
fn fraction((passed, runs): (usize, usize)) -> String {
    format!("{passed}/{runs}")
}

/// A difference of rates in percentage points.
fn points(d: f64) -> String {
    format!("{:+.0} pts", d * 100.0)
}

/// An interval of differences in percentage points.
fn points_interval((lo, hi): (f64, f64)) -> String {
    format!("{:+.0} to {:+.0} pts", lo * 100.0, hi * 100.0)
}

/// The trial statistics, uplift, escalation and calibration tables.
fn measures_text(m: &Measures, md: bool) -> String {
    let heading = |title: &str| {
        if md {
            format!("\n## {title}\n\n")
        } else {
            format!("{}:\n", title.to_lowercase())
        }
    };
    let interval = |i: Option<(f64, f64)>| {
        i.map_or_else(
            || "-".into(),
            |(lo, hi)| format!("{:.0}–{:.0}%", lo * 100.0, hi * 100.0),
        )
    };
    let number = |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("{v:+.2}"));
    let mut out = String::new();

    out.push_str(&heading("Trials"));
    let mut t = new_table(md);
    t.set_header([
        "case", "variant", "agent", "n", "A/B/C", "majority", "pass", "95% CI", "pass@k", "pass^k",
        "flaky",
    ]);
    for s in &m.trials {
        t.add_row([
            s.case.clone(),
            s.variant.to_string(),
            s.agent.clone(),
            s.trials.to_string(),
            format!(
                "{}/{}/{}",
                s.distribution[0], s.distribution[1], s.distribution[2]
            ),
            s.majority.map_or_else(|| "-".into(), |g| g.to_string()),
            percent(s.pass_rate),
            interval(s.wilson95),
            percent(s.pass_at_k),
            percent(s.pass_hat_k),
            if s.flaky { "FLAKY" } else { "-" }.into(),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');

    if !m.versions.is_empty() {
        out.push_str(&heading("Skill versions"));
        let mut t = new_table(md);
        t.set_header([
            "version",
            "agent",
            "skill",
            "version's",
            "difference",
            "95% CI",
            "verdict",
        ]);
        for v in &m.versions {
            t.add_row([
                v.version.clone(),
                v.agent.clone(),
                fraction(v.skill),
                fraction(v.other),
                points(v.difference),
                points_interval(v.interval95),
                if v.verdict == "not distinguishable" {
                    "not distinguishable (inside the noise)".into()
                } else {
                    format!("skill {}", v.verdict)
                },
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }

    if !m.uplift.is_empty() {
        out.push_str(&heading("Uplift"));
        let mut t = new_table(md);
        t.set_header(["agent", "with skill", "without", "uplift", "95% CI"]);
        for u in &m.uplift {
            t.add_row([
                u.agent.clone(),
                fraction(u.with_skill),
                fraction(u.without),
                points(u.uplift),
                points_interval(u.interval95),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }

    out.push_str(&heading("Escalation and honesty"));
    let mut t = new_table(md);
    t.set_header([
        "agent",
        "variant",
        "escalation precision",
        "recall",
        "claims",
        "overconfident (fixed, got C)",
        "mean confidence",
        "mean score",
        "honesty gap",
    ]);
    for (e, c) in m.escalation.iter().zip(&m.calibration) {
        t.add_row([
            e.agent.clone(),
            e.variant.to_string(),
            percent(e.precision),
            percent(e.recall),
            c.claims.to_string(),
            format!(
                "{} of {} ({})",
                c.overconfident,
                c.claimed_fixed,
                percent(c.overconfidence_rate)
            ),
            c.mean_confidence
                .map_or_else(|| "-".into(), |v| format!("{v:.2}")),
            c.mean_score
                .map_or_else(|| "-".into(), |v| format!("{v:.2}")),
            number(c.honesty_gap),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    let i = &m.infrastructure;
    out.push_str(&format!(
        "{}infrastructure failures (not the agents'): {} unavailable, {} setup failed, {} model endpoint failed, {} harness errors\n",
        if md { "\n" } else { "" },
        i.unavailable,
        i.setup_failed,
        i.endpoint_failed,
        i.harness_error
    ));
    out
}

/// The cost tables: spend per case × variant × agent, and what each agent's uplift costs.
fn costs_text(c: &Costs, md: bool) -> String {
    if !c.any() {
        return String::new();
    }
    let usd = |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("${v:.4}"));
    let mut out = String::new();
    out.push_str(if md { "\n## Cost\n\n" } else { "cost:\n" });
    let mut t = new_table(md);
    t.set_header([
        "case",
        "variant",
        "agent",
        "runs with usage",
        "tokens",
        "dollars",
    ]);
    for r in c.rows.iter().filter(|r| r.runs_with_usage > 0) {
        t.add_row([
            r.case.clone(),
            r.variant.to_string(),
            r.agent.clone(),
            r.runs_with_usage.to_string(),
            r.tokens.to_string(),
            usd(r.usd),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out.push_str(&format!(
        "total: {} tokens, {}\n",
        c.total_tokens,
        usd(c.total_usd)
    ));
    if !c.uplift.is_empty() {
        out.push_str(if md {
            "\n### Cost of the uplift\n\n"
        } else {
            "cost of the uplift:\n"
        });
        let mut t = new_table(md);
        t.set_header([
            "agent",
            "tokens/run with/without",
            "$/run with/without",
            "extra passes/run",
            "tokens per extra pass",
            "$ per extra pass",
        ]);
        for u in &c.uplift {
            t.add_row([
                u.agent.clone(),
                format!("{:.0}/{:.0}", u.tokens_per_run.0, u.tokens_per_run.1),
                u.usd_per_run
                    .map_or_else(|| "-".into(), |(w, wo)| format!("${w:.4}/${wo:.4}")),
                format!("{:+.2}", u.extra_passes_per_run),
                u.tokens_per_extra_pass
                    .map_or_else(|| "- (no extra pass)".into(), |t| format!("{t:.0}")),
                usd(u.usd_per_extra_pass),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

/// What a gate left out of its rate, for its line: `; 2 unavailable: …; 1 not graded
/// (infrastructure)`.
pub fn gate_infrastructure(g: &crate::grade::GateResult) -> String {
    let mut out = String::new();
    match (g.unavailable, g.undecided) {
        (0, _) => {}
        (n, false) => out.push_str(&format!("; {n} unavailable, allowed")),
        (n, true) => out.push_str(&format!(
            "; {n} unavailable: install the runtime and set its credentials, or allow with \
             --allow-unavailable"
        )),
    }
    if g.infrastructure > 0 {
        out.push_str(&format!(
            "; {} not graded (infrastructure), left out",
            g.infrastructure
        ));
    }
    if g.budget_held > 0 {
        out.push_str(&format!(
            "; {} not run for the budget: undecided until they run",
            g.budget_held
        ));
    }
    out
}

/// A share as a whole percentage, `-` when there is none.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0))
}

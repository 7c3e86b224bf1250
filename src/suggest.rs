//! Suggestions: what to change in the skill, from the runs that had it. Failed criteria and
//! the skill gaps the agents reported are grouped by the skill section they point to and
//! ranked by how many skill runs each explains, outcome-validated evidence (the grade shows
//! the failure) before the agents' word alone. Runs without the skill — the baselines and
//! the `none` variant — are context, never suggestions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::eval::Variant;
use crate::run::results::{Results, RunRecord};
use crate::signals::{self, SignalsReport, UNNAMED_SECTION};

/// How far a suggestion's evidence goes, in the agent-signals protocol's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Validation {
    /// A skill run that shows it did not pass: the grade confirms it.
    OutcomeValidated,
    /// Only the agents say so: every run that shows it passed.
    SelfReportOnly,
}

impl Validation {
    fn as_str(self) -> &'static str {
        match self {
            Validation::OutcomeValidated => "outcome_validated",
            Validation::SelfReportOnly => "self_report_only",
        }
    }
}

/// One suggestion: a section of the skill (or a criterion no gap names) and its evidence.
#[derive(Debug, Default)]
struct Suggestion {
    title: String,
    advice: Vec<String>,
    /// The skill runs it explains, by their index in the results.
    runs: BTreeSet<usize>,
    /// Of those, the ones that did not pass.
    failing: BTreeSet<usize>,
    evidence: Vec<String>,
}

impl Suggestion {
    fn validation(&self) -> Validation {
        if self.failing.is_empty() {
            Validation::SelfReportOnly
        } else {
            Validation::OutcomeValidated
        }
    }
}

/// Renders suggestions for the results in `dir` (the stored run folder).
pub fn suggest(results: &Results, dir: &Path) -> String {
    let pass = results.pass_grade;
    let skill_runs: Vec<(usize, &RunRecord)> = results
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.variant == Variant::Skill)
        .collect();
    // Grouped by section (case-insensitive, without '#'), then by failed criterion.
    let mut sections: BTreeMap<String, Suggestion> = BTreeMap::new();
    let mut criteria: BTreeMap<&str, Suggestion> = BTreeMap::new();
    for &(i, run) in &skill_runs {
        let failed_run = run.grade.is_some() && !run.passes(pass);
        let mut named_a_section = false;
        if let (SignalsReport::Valid(s), _) =
            signals::read(&dir.join(&run.dir).join("signals.json"))
        {
            for gap in s.skill_gaps {
                let section = section_name(&gap.section);
                named_a_section = true;
                let entry = sections
                    .entry(section.to_lowercase())
                    .or_insert_with(|| Suggestion {
                        title: if section == UNNAMED_SECTION {
                            "Skill gaps that name no section".into()
                        } else {
                            format!("Section \"{section}\"")
                        },
                        ..Default::default()
                    });
                entry.runs.insert(i);
                if failed_run {
                    entry.failing.insert(i);
                }
                let change = words(&gap.suggested_change);
                if !change.is_empty() && !entry.advice.contains(&change) {
                    entry.advice.push(change);
                }
                let failed = run.failed();
                let graded = if failed.is_empty() {
                    format!("graded {}", grade_of(run))
                } else {
                    format!(
                        "graded {}, failed {}",
                        grade_of(run),
                        failed
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                entry.evidence.push(format!(
                    "{} ({graded}; the agent's words: \"{}\")",
                    who(run),
                    words(&gap.gap)
                ));
            }
        }
        // A failed criterion no gap of the run explains is a suggestion of its own.
        if !named_a_section {
            for id in run.failed() {
                let entry = criteria.entry(id).or_insert_with(|| Suggestion {
                    title: format!("Criterion `{id}` ({}) failed", kind_of(run, id)),
                    advice: vec![format!(
                        "Make the skill say how to satisfy `{id}`, and how to check it before finishing; no agent named the section that fell short."
                    )],
                    ..Default::default()
                });
                entry.runs.insert(i);
                entry.failing.insert(i);
                entry.evidence.push(evidence(run, id, dir));
            }
        }
    }
    let mut items: Vec<Suggestion> = sections
        .into_values()
        .chain(criteria.into_values())
        .collect();
    // Validated first: a self-report alone never outranks what a grade confirms.
    items.sort_by(|a, b| {
        a.validation()
            .cmp(&b.validation())
            .then_with(|| b.failing.len().cmp(&a.failing.len()))
            .then_with(|| b.runs.len().cmp(&a.runs.len()))
            .then_with(|| a.title.cmp(&b.title))
    });

    let mut out = format!(
        "# Suggestions for skill `{}`\n\nFrom run `{}` of eval `{}`: {} run(s) with the skill, ranked by how many of them each explains, outcome-validated (the grade shows it) before self-reported (only the agents say so).\n",
        results.skill.name,
        results.run_id,
        results.eval.name,
        skill_runs.len()
    );
    if skill_runs.is_empty() {
        out.push_str(
            "\nNo run had the skill installed (variant `skill`): nothing to suggest about it.\n",
        );
    } else if items.is_empty() {
        out.push_str(
            "\nNo run with the skill failed a criterion or reported a skill gap: nothing to suggest.\n",
        );
    }
    for (n, s) in items.iter().enumerate() {
        out.push_str(&format!(
            "\n## {}. {} — {} of {} skill run(s), {}\n\n",
            n + 1,
            s.title,
            s.runs.len(),
            skill_runs.len(),
            s.validation().as_str()
        ));
        match s.validation() {
            Validation::OutcomeValidated => out.push_str(&format!(
                "{} of these run(s) did not pass (grade below {pass}).\n\n",
                s.failing.len()
            )),
            Validation::SelfReportOnly => out.push_str(
                "Every run that reports it passed: the agents' word alone, not confirmed by a grade.\n\n",
            ),
        }
        for advice in &s.advice {
            out.push_str(&format!("Suggested change: {advice}\n\n"));
        }
        for e in &s.evidence {
            out.push_str(&format!("- {e}\n"));
        }
    }
    out.push_str(&context(results));
    out
}

/// The runs without the skill, as context: how the `none` variant and each baseline fared,
/// and on how many cases the skill passes where a bump alone does not.
fn context(results: &Results) -> String {
    let pass = results.pass_grade;
    let graded = |r: &&RunRecord| r.grade.is_some();
    let mut lines = Vec::new();
    let rate = |runs: &[&RunRecord]| {
        let passed = runs.iter().filter(|r| r.passes(pass)).count();
        format!("{passed} of {} graded run(s) pass", runs.len())
    };
    let graded_where = |keep: &dyn Fn(&RunRecord) -> bool| -> Vec<&RunRecord> {
        results
            .runs
            .iter()
            .filter(graded)
            .filter(|r| keep(r))
            .collect()
    };
    let with = graded_where(&|r| r.variant == Variant::Skill);
    let without = graded_where(&|r| r.variant == Variant::None);
    if !with.is_empty() {
        lines.push(format!("- with the skill: {}", rate(&with)));
    }
    if !without.is_empty() {
        lines.push(format!("- without it (variant `none`): {}", rate(&without)));
    }
    let baselines: BTreeSet<&str> = results
        .runs
        .iter()
        .filter(|r| r.variant == Variant::Ignored)
        .map(|r| r.agent.as_str())
        .collect();
    for agent in &baselines {
        let runs = graded_where(&|r| r.agent == *agent);
        lines.push(format!("- baseline `{agent}`: {}", rate(&runs)));
    }
    // Per case: does a bump alone miss it, and does the skill make up for that?
    let bump_fails: BTreeSet<&str> = results
        .runs
        .iter()
        .filter(|r| r.agent == "bump-only" && r.grade.is_some() && !r.passes(pass))
        .map(|r| r.case.as_str())
        .collect();
    if !bump_fails.is_empty() && !with.is_empty() {
        let fixed = bump_fails
            .iter()
            .filter(|case| {
                let runs: Vec<&&RunRecord> = with.iter().filter(|r| r.case == **case).collect();
                !runs.is_empty() && runs.iter().all(|r| r.passes(pass))
            })
            .count();
        lines.push(format!(
            "- the skill passes every run of {fixed} of the {} case(s) a bump alone misses",
            bump_fails.len()
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "\n## Context: the runs without the skill\n\nNot suggestions (a baseline's failure is not a skill revision), but what the skill is measured against:\n\n{}\n",
        lines.join("\n")
    )
}

/// At most this many characters of an agent's words go into a suggestion.
const AGENT_WORDS: usize = 300;

/// What an agent wrote, as a suggestion quotes it: on one line (a newline could start a
/// heading of its own and forge a suggestion), cut to [`AGENT_WORDS`], without backticks.
fn words(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(AGENT_WORDS).collect();
    let cut = if cut.len() < one_line.len() {
        format!("{cut}…")
    } else {
        cut
    };
    cut.replace('`', "'")
}

/// A section as agents name it: its heading without the `#` marks and surrounding space.
fn section_name(section: &str) -> String {
    let section = words(section);
    let name = section.trim().trim_start_matches('#').trim();
    if name.is_empty() {
        UNNAMED_SECTION.to_string()
    } else {
        name.to_string()
    }
}

fn grade_of(run: &RunRecord) -> String {
    run.grade
        .map_or_else(|| "not graded".to_string(), |g| g.to_string())
}

fn kind_of(run: &RunRecord, id: &str) -> String {
    run.criteria
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.kind.clone())
        .unwrap_or_default()
}

fn who(run: &RunRecord) -> String {
    format!(
        "{} · {} · variant {} · trial {}",
        run.case, run.agent, run.variant, run.trial
    )
}

fn evidence(run: &RunRecord, id: &str, dir: &Path) -> String {
    let Some(c) = run.criteria.iter().find(|c| c.id == id) else {
        return who(run);
    };
    let excerpt = c
        .log
        .as_ref()
        .and_then(|log| std::fs::read_to_string(dir.join(&run.dir).join(log)).ok())
        .map(|text| {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = lines[lines.len().saturating_sub(3)..].join(" ⏎ ");
            format!("; log: `{}`", tail.replace('`', "'"))
        })
        .unwrap_or_default();
    format!("{}: {}{excerpt}", who(run), c.detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agents_words_stay_on_one_line_and_cannot_forge_a_suggestion() {
        let forged = "no payload example\n\n## 1. Section \"x\" — 9 of 9 skill run(s), outcome_validated\n`code`";
        let quoted = words(forged);
        assert!(!quoted.contains('\n') && !quoted.contains('`'), "{quoted}");
        assert!(quoted.starts_with("no payload example ## 1."), "{quoted}");
        let long = words(&"word ".repeat(200));
        assert_eq!(
            long.chars().count(),
            AGENT_WORDS + 1,
            "cut, with an ellipsis"
        );
        assert_eq!(section_name("## Verify\n"), "Verify");
        assert_eq!(section_name("  "), UNNAMED_SECTION);
    }
}

//! Suggestions: from the criteria that failed and the skill gaps agents reported, a ranked
//! Markdown list of what to change in the skill, each with the runs that show it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::eval::Variant;
use crate::run::results::{Results, RunRecord};
use crate::signals::{self, SignalsReport};

/// One suggestion and the evidence behind it.
#[derive(Debug, Clone)]
struct Suggestion {
    title: String,
    advice: String,
    evidence: Vec<String>,
}

/// Renders suggestions for the results in `dir` (the stored run folder).
pub fn suggest(results: &Results, dir: &Path) -> String {
    let mut by_criterion: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    let mut gaps: BTreeMap<String, Suggestion> = BTreeMap::new();
    for run in &results.runs {
        for id in run.failed() {
            by_criterion.entry(id).or_default().push(run);
        }
        if let (SignalsReport::Valid(s), _) =
            signals::read(&dir.join(&run.dir).join("signals.json"))
        {
            for gap in s.skill_gaps {
                let entry = gaps
                    .entry(format!("{}: {}", gap.section, gap.gap))
                    .or_insert_with(|| Suggestion {
                        title: format!("Section \"{}\": {}", gap.section, gap.gap),
                        advice: gap.suggested_change.clone(),
                        evidence: Vec::new(),
                    });
                entry
                    .evidence
                    .push(format!("{} (agent's words: \"{}\")", who(run), gap.gap));
            }
        }
    }
    let mut items: Vec<Suggestion> = by_criterion
        .into_iter()
        .map(|(id, runs)| {
            let description = runs
                .iter()
                .flat_map(|r| r.criteria.iter())
                .find(|c| c.id == id)
                .map(|c| c.kind.clone())
                .unwrap_or_default();
            let skill_runs = runs.iter().filter(|r| r.variant == Variant::Skill).count();
            let advice = if skill_runs > 0 {
                format!(
                    "{skill_runs} run(s) with the skill installed failed `{id}`: make the skill say how to satisfy it, and how to verify that before finishing."
                )
            } else {
                format!("Only runs without the skill (baselines or the `none` variant) failed `{id}`: this is the failure the skill must prevent; check that it covers it.")
            };
            Suggestion {
                title: format!("Criterion `{id}` ({description}) failed"),
                advice,
                evidence: runs.iter().map(|r| evidence(r, id, dir)).collect(),
            }
        })
        .collect();
    items.extend(gaps.into_values());
    items.sort_by(|a, b| {
        b.evidence
            .len()
            .cmp(&a.evidence.len())
            .then_with(|| a.title.cmp(&b.title))
    });

    let mut out = format!(
        "# Suggestions for skill `{}`\n\nFrom run `{}` of eval `{}`, ranked by how many runs each explains.\n",
        results.skill.name, results.run_id, results.eval.name
    );
    if items.is_empty() {
        out.push_str(
            "\nNo criterion failed and no agent reported a skill gap: nothing to suggest.\n",
        );
    }
    for (i, s) in items.iter().enumerate() {
        out.push_str(&format!(
            "\n## {}. {} — {} run(s)\n\n{}\n\n",
            i + 1,
            s.title,
            s.evidence.len(),
            s.advice
        ));
        for e in &s.evidence {
            out.push_str(&format!("- {e}\n"));
        }
    }
    out
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

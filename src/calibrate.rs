//! `skillbench calibrate LABELS`: the graders held against human verdicts.
//!
//! A labels file names a stored results set and, for (run, criterion) pairs, the verdict a
//! human gave. For each grader and criterion, and for each criterion's final verdict,
//! [`calibrate`] reports how often the grader agreed with the human and Cohen's kappa (the
//! agreement beyond chance), how often it gave no verdict, and every disagreement, with the
//! quotes the grader relied on, to read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, parse_toml};
use crate::error::{Error, Result};
use crate::grade::Verdict;
use crate::report::{Format, new_table};
use crate::workspace::Workspace;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsFile {
    #[serde(default)]
    results: Option<Spanned<String>>,
    #[serde(default)]
    label: Vec<Spanned<Label>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    run: Spanned<String>,
    criterion: Spanned<String>,
    verdict: Spanned<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "for the people who write the labels")]
    note: Option<String>,
}

/// Agreement of one rater (a grader, or the criterion's final verdict) with the humans.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// A grader's name, or `(criterion)` for the criterion's final verdict.
    pub grader: String,
    pub criterion: String,
    /// Labelled pairs where it gave a verdict.
    pub compared: usize,
    /// Labelled pairs where it gave none.
    pub ungraded: usize,
    pub agreement: Option<f64>,
    /// `None` when undefined (every verdict the same on both sides).
    pub kappa: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub run: String,
    pub criterion: String,
    pub grader: String,
    pub human: String,
    pub grader_verdict: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub results: String,
    pub labels: usize,
    pub agreements: Vec<Agreement>,
    pub disagreements: Vec<Disagreement>,
}

const CRITERION: &str = "(criterion)";

/// For one (grader, criterion): the (human, grader) verdict pairs, and how many labelled
/// pairs the grader left without a verdict.
type Compared = (Vec<(Verdict, Verdict)>, usize);

fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotApplicable => "not applicable",
        Verdict::Ungraded => "ungraded",
    }
}

/// Reads the labels at `path` and compares them with the stored verdicts.
pub fn calibrate(workspace: &Workspace, path: &Path) -> Result<Calibration> {
    let text = crate::diagnostic::read_text(path)?;
    let file: LabelsFile = parse_toml(path, &text)?;
    let at = |span: std::ops::Range<usize>, message: String| {
        Error::from(Diagnostic::at_span(path, &text, span, message))
    };
    if file.label.is_empty() {
        return Err(at(
            0..0,
            "no [[label]] tables; add one per (run, criterion) a human has judged".into(),
        ));
    }
    // A results id the file names that is not stored is an error in the file, at its line.
    let (_, results) = match &file.results {
        None => crate::run::store::open(workspace, None)?,
        Some(id) => {
            crate::run::store::open(workspace, Some(id.get_ref())).map_err(|e| match e {
                Error::NothingSelected(why) | Error::Usage(why) => at(id.span(), why),
                other => other,
            })?
        }
    };
    let mut labelled: Vec<(&str, &str, &str)> = Vec::new();
    for label in &file.label {
        let l = label.get_ref();
        let key = (l.run.get_ref().as_str(), l.criterion.get_ref().as_str());
        if let Some((_, _, verdict)) = labelled.iter().find(|(r, c, _)| (*r, *c) == key) {
            return Err(at(
                label.span(),
                format!(
                    "run {} criterion {} is labelled twice (first {verdict}); keep one label per pair",
                    key.0, key.1
                ),
            ));
        }
        labelled.push((key.0, key.1, l.verdict.get_ref()));
    }
    let mut pairs: BTreeMap<(String, String), Compared> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for label in &file.label {
        let l = label.get_ref();
        let human = match l.verdict.get_ref().as_str() {
            "pass" => Verdict::Pass,
            "fail" => Verdict::Fail,
            other => {
                return Err(at(
                    l.verdict.span(),
                    format!("verdict '{other}' is not pass or fail"),
                ));
            }
        };
        let run = results
            .runs
            .iter()
            .find(|r| r.dir == *l.run.get_ref())
            .ok_or_else(|| {
                let names = results.runs.iter().map(|r| r.dir.as_str());
                let hint = crate::diagnostic::nearest(l.run.get_ref(), names)
                    .map_or_else(String::new, |n| format!(" (did you mean '{n}'?)"));
                at(
                    l.run.span(),
                    format!(
                        "no run '{}' in results {}{hint}",
                        l.run.get_ref(),
                        results.run_id
                    ),
                )
            })?;
        let criterion = run
            .criteria
            .iter()
            .find(|c| c.id == *l.criterion.get_ref())
            .ok_or_else(|| {
                at(
                    l.criterion.span(),
                    format!(
                        "run {} has no criterion '{}'",
                        run.dir,
                        l.criterion.get_ref()
                    ),
                )
            })?;
        let mut raters: Vec<(String, Option<Verdict>, Vec<String>)> = criterion
            .judgments
            .iter()
            .map(|j| (j.grader.clone(), j.verdict, j.evidence.clone()))
            .collect();
        let last = match criterion.verdict {
            Verdict::Pass | Verdict::Fail => Some(criterion.verdict),
            _ => None,
        };
        raters.push((CRITERION.into(), last, Vec::new()));
        for (grader, verdict, evidence) in raters {
            let entry = pairs
                .entry((grader.clone(), criterion.id.clone()))
                .or_default();
            match verdict {
                Some(v) => {
                    entry.0.push((human, v));
                    if v != human {
                        disagreements.push(Disagreement {
                            run: run.dir.clone(),
                            criterion: criterion.id.clone(),
                            grader,
                            human: word(human).into(),
                            grader_verdict: word(v).into(),
                            evidence,
                        });
                    }
                }
                None => entry.1 += 1,
            }
        }
    }
    let agreements = pairs
        .into_iter()
        .map(|((grader, criterion), (compared, ungraded))| {
            let stats = crate::stats::cohen_kappa(&compared);
            Agreement {
                grader,
                criterion,
                compared: compared.len(),
                ungraded,
                agreement: stats.map(|s| s.0),
                kappa: stats.and_then(|s| s.1),
            }
        })
        .collect();
    Ok(Calibration {
        results: results.run_id,
        labels: file.label.len(),
        agreements,
        disagreements,
    })
}

pub fn render(c: &Calibration, format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(c).unwrap_or_default() + "\n";
    }
    let md = format == Format::Md;
    let mut out = format!(
        "{}calibration of the graders of results {} against {} human label(s)\n\n",
        if md { "# " } else { "" },
        c.results,
        c.labels
    );
    let mut t = new_table(md);
    t.set_header([
        "grader",
        "criterion",
        "compared",
        "ungraded",
        "agreement",
        "kappa",
    ]);
    for a in &c.agreements {
        t.add_row([
            a.grader.clone(),
            a.criterion.clone(),
            a.compared.to_string(),
            a.ungraded.to_string(),
            a.agreement
                .map_or_else(|| "-".into(), |x| format!("{:.0}%", x * 100.0)),
            a.kappa.map_or_else(|| "n/a".into(), |k| format!("{k:.2}")),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if c.disagreements.is_empty() {
        out.push_str("\nno disagreement with the humans\n");
    } else {
        out.push_str(&format!(
            "\n{}disagreements to read:\n",
            if md { "## " } else { "" }
        ));
        for d in &c.disagreements {
            out.push_str(&format!(
                "- {} / {}: human {}, {} {}{}\n",
                d.run,
                d.criterion,
                d.human,
                d.grader,
                d.grader_verdict,
                if d.evidence.is_empty() {
                    String::new()
                } else {
                    format!(" — relied on: \"{}\"", d.evidence.join("\", \""))
                }
            ));
        }
    }
    out
}

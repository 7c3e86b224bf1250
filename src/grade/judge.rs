//! Judged criteria: a question answered by graders from a bounded view of the evidence.
//!
//! [`prompt`] assembles what the criterion lets its graders see (the case's finding, the
//! diff, the other criteria's results and logs, the Agent Signals, the end of the
//! transcript), each part capped. [`decide`] turns the graders' judgments into the
//! criterion's verdict: the majority of the valid answers, with their agreement; a tie is a
//! split, flagged for a human; no valid answer leaves the criterion ungraded with the
//! reasons. Ungraded is never a pass.

use super::Verdict;
use super::grader::Judgment;
use super::rubric::JudgeEvidence;
use super::{CriterionResult, check::Evidence};
use crate::signals::SignalsReport;

/// At most this many characters of each part of the evidence.
const PART_CAP: usize = 12_000;

pub const SYSTEM: &str = "You grade the work of a coding agent that was asked to remediate a \
security or compliance finding in a repository. Answer the criterion from the evidence alone; \
when the evidence does not show that the criterion holds, the verdict is fail. Reply with a JSON \
object and nothing else: {\"verdict\": \"pass\" or \"fail\", \"confidence\": a number from 0 \
to 1, \"evidence\": [short exact quotes from the evidence that your verdict rests on]}.";

/// The part of `text` a grader may see: its head and, when cut, its tail.
fn capped(text: &str) -> String {
    if text.chars().count() <= PART_CAP {
        return text.to_string();
    }
    let head: String = text.chars().take(PART_CAP * 2 / 3).collect();
    let tail: String = text
        .chars()
        .rev()
        .take(PART_CAP / 3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}\n[... cut ...]\n{tail}")
}

/// The evidence shown to the graders of `question`, and the prompt around it.
pub fn prompt(
    question: &str,
    show: &[JudgeEvidence],
    ev: &Evidence<'_>,
    checked: &[CriterionResult],
) -> (String, String) {
    let mut evidence = String::new();
    for part in show {
        let (title, body) = match part {
            JudgeEvidence::Finding => {
                let mut body = ev.case.task.trim().to_string();
                for f in &ev.case.findings {
                    body.push_str(&format!("\n- {}: {}", f.id, f.summary.trim()));
                }
                ("The task and its findings", body)
            }
            JudgeEvidence::Diff => (
                "The agent's diff",
                String::from_utf8_lossy(&ev.change.patch).into_owned(),
            ),
            JudgeEvidence::Checks => {
                let mut body = String::new();
                for c in checked {
                    body.push_str(&format!(
                        "- {} ({}): {:?} — {}\n",
                        c.id, c.kind, c.verdict, c.detail
                    ));
                    if let Some(log) = &c.log {
                        let text =
                            std::fs::read_to_string(ev.run_dir.join(log)).unwrap_or_default();
                        let tail: Vec<&str> = text.lines().rev().take(20).collect();
                        for line in tail.into_iter().rev() {
                            body.push_str(&format!("    {line}\n"));
                        }
                    }
                }
                ("The other criteria's checks", body)
            }
            JudgeEvidence::Signals => (
                "The agent's self-assessment (Agent Signals)",
                match ev.signals {
                    SignalsReport::Valid(s) => serde_json::to_string_pretty(s).unwrap_or_default(),
                    SignalsReport::Missing => "(none written)".into(),
                    SignalsReport::Invalid(why) => format!("(invalid: {why})"),
                },
            ),
            JudgeEvidence::Transcript => (
                "The end of the agent's transcript",
                transcript_with_refusals(ev.run_dir),
            ),
        };
        evidence.push_str(&format!("## {title}\n\n{}\n\n", capped(&body)));
    }
    let evidence = stable(&evidence, ev.checkout);
    let prompt = format!(
        "# Criterion\n\n{}\n\n# Evidence\n\n{evidence}",
        question.trim()
    );
    (prompt, evidence)
}

/// The transcript (or a command agent's stdout), then what the filtering network refused
/// it — the hosts it tried to reach and could not.
fn transcript_with_refusals(run_dir: &std::path::Path) -> String {
    let mut body = std::fs::read_to_string(run_dir.join("transcript.jsonl"))
        .or_else(|_| std::fs::read_to_string(run_dir.join("stdout.log")))
        .unwrap_or_else(|_| "(no transcript)".into());
    let refused: Vec<String> = std::fs::read_to_string(run_dir.join("network.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" refused "))
        .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string())
        .collect();
    if !refused.is_empty() {
        body.push_str("\n\nThe network refused the agent: ");
        body.push_str(&refused.join(", "));
        body.push('\n');
    }
    body
}

/// The evidence without what changes from run to run of the same work — the checkout's
/// temporary path and measured durations — so the same evidence is the same prompt, and a
/// cached answer is found again.
fn stable(text: &str, checkout: &std::path::Path) -> String {
    let text = text.replace(&*checkout.to_string_lossy(), "<checkout>");
    let durations = regex::Regex::new(r"\b\d+(\.\d+)?\s?(ms|s)\b");
    match durations {
        Ok(re) => re.replace_all(&text, "<duration>").into_owned(),
        Err(_) => text,
    }
}

/// The criterion's verdict from its judgments: (verdict, detail, agreement, flag).
pub fn decide(judgments: &[Judgment]) -> (Verdict, String, Option<f64>, Option<String>) {
    let valid: Vec<&Judgment> = judgments.iter().filter(|j| j.verdict.is_some()).collect();
    if valid.is_empty() {
        let reasons: Vec<String> = judgments
            .iter()
            .map(|j| {
                format!(
                    "{}: {}",
                    j.grader,
                    j.error.as_deref().unwrap_or("no answer")
                )
            })
            .collect();
        return (
            Verdict::Ungraded,
            format!("not graded: {}", reasons.join("; ")),
            None,
            None,
        );
    }
    let passes = valid
        .iter()
        .filter(|j| j.verdict == Some(Verdict::Pass))
        .count();
    let fails = valid.len() - passes;
    let n = valid.len();
    if passes == fails {
        return (
            Verdict::Ungraded,
            format!("the graders split {passes}–{fails}: flagged for a human"),
            Some(0.5),
            Some("split".into()),
        );
    }
    let (verdict, agree) = if passes > fails {
        (Verdict::Pass, passes)
    } else {
        (Verdict::Fail, fails)
    };
    let missing = judgments.len() - n;
    let detail = format!(
        "{agree} of {n} grader(s) say {}{}",
        if verdict == Verdict::Pass {
            "pass"
        } else {
            "fail"
        },
        if missing > 0 {
            format!("; {missing} gave no valid answer")
        } else {
            String::new()
        }
    );
    (verdict, detail, Some(agree as f64 / n as f64), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(grader: &str, verdict: Option<Verdict>) -> Judgment {
        Judgment {
            grader: grader.into(),
            verdict,
            confidence: verdict.map(|_| 0.9),
            evidence: vec![],
            unverified_quotes: 0,
            error: verdict.is_none().then(|| "HTTP 500".into()),
            cached: false,
            tokens_in: 0,
            tokens_out: 0,
            attempts: 1,
        }
    }

    #[test]
    fn evidence_is_stable_across_runs_of_the_same_work() {
        let a = stable(
            "Ran 5 tests in 0.003s\nOK /tmp/skillbench-run-ab12/checkout/x.py 12 ms",
            std::path::Path::new("/tmp/skillbench-run-ab12/checkout"),
        );
        assert_eq!(
            a,
            "Ran 5 tests in <duration>\nOK <checkout>/x.py <duration>"
        );
    }

    #[test]
    fn majority_split_and_nothing_valid() {
        let (v, detail, agreement, flag) = decide(&[
            judged("a", Some(Verdict::Pass)),
            judged("b", Some(Verdict::Fail)),
            judged("c", Some(Verdict::Pass)),
        ]);
        assert_eq!((v, agreement, flag), (Verdict::Pass, Some(2.0 / 3.0), None));
        assert_eq!(detail, "2 of 3 grader(s) say pass");
        let (v, _, _, flag) = decide(&[
            judged("a", Some(Verdict::Pass)),
            judged("b", Some(Verdict::Fail)),
        ]);
        assert_eq!((v, flag.as_deref()), (Verdict::Ungraded, Some("split")));
        let (v, detail, _, _) = decide(&[judged("a", None)]);
        assert_eq!(v, Verdict::Ungraded);
        assert_eq!(detail, "not graded: a: HTTP 500");
        let (v, detail, _, _) = decide(&[judged("a", Some(Verdict::Fail)), judged("b", None)]);
        assert_eq!(v, Verdict::Fail);
        assert!(detail.ends_with("1 gave no valid answer"));
    }
}

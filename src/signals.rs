//! Agent Signals v1: the self-assessment an agent writes at the end of a run.
//!
//! The agent writes JSON to the file named by `$SKILLBENCH_SIGNALS`. [`read`] never guesses:
//! a missing file is [`SignalsReport::Missing`], anything that does not match the schema is
//! [`SignalsReport::Invalid`] with the reason. The JSON Schema shipped as
//! `schemas/agent-signals.v1.schema.json` is generated from these types ([`schema`]).

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The value of `schema` in every v1 signals file.
pub const SCHEMA_ID: &str = "agent-signals/v1";

/// What the agent says it achieved.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ClaimedOutcome {
    /// The finding is fixed.
    Fixed,
    /// The agent stopped and asks a human to decide.
    Escalated,
    /// Some of the work is done.
    Partial,
    /// The agent could not do it.
    Failed,
}

impl std::fmt::Display for ClaimedOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClaimedOutcome::Fixed => "fixed",
            ClaimedOutcome::Escalated => "escalated",
            ClaimedOutcome::Partial => "partial",
            ClaimedOutcome::Failed => "failed",
        })
    }
}

/// Agent Signals, version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Agent Signals v1",
    description = "The structured self-assessment an agent writes at the end of a skillbench run, to the file named by $SKILLBENCH_SIGNALS."
)]
pub struct Signals {
    /// Always "agent-signals/v1".
    pub schema: String,
    pub outcome: ClaimedOutcome,
    /// How sure the agent is that the outcome is right, from 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub confidence: f64,
    /// One or two sentences on what was done.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub what_worked: Vec<String>,
    #[serde(default)]
    pub what_was_hard: Vec<String>,
    /// Where the skill fell short, by section.
    #[serde(default)]
    pub skill_gaps: Vec<SkillGap>,
    /// Why the agent stopped, and what it asks; required when outcome is "escalated".
    #[serde(default)]
    pub escalations: Vec<EscalationSignal>,
}

/// A place where the skill did not say enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillGap {
    /// The skill section (its heading) the gap is in, or "(missing)".
    pub section: String,
    pub gap: String,
    #[serde(default)]
    pub suggested_change: String,
}

/// One question for a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSignal {
    pub reason: String,
    pub question: String,
}

/// What was found at the signals path after a run.
#[derive(Debug, Clone, PartialEq)]
pub enum SignalsReport {
    Valid(Signals),
    Missing,
    Invalid(String),
}

impl SignalsReport {
    pub fn valid(&self) -> Option<&Signals> {
        match self {
            SignalsReport::Valid(s) => Some(s),
            _ => None,
        }
    }
}

/// The most a signals file may hold.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// Reads and validates the signals file at `path`, which the agent controls: a link, a FIFO,
/// a device or a file over [`MAX_BYTES`] is invalid, never followed, waited on or read to
/// the end. Returns the bytes read, to be stored as they were judged.
pub fn read(path: &Path) -> (SignalsReport, Option<Vec<u8>>) {
    match crate::fsx::read_untrusted(path, MAX_BYTES) {
        Ok(bytes) => (parse(&bytes), Some(bytes)),
        Err(crate::fsx::UntrustedRead::Missing) => (SignalsReport::Missing, None),
        Err(e) => (
            SignalsReport::Invalid(format!("the signals file was not read: {e}")),
            None,
        ),
    }
}

/// Validates signals JSON.
pub fn parse(bytes: &[u8]) -> SignalsReport {
    // A byte-order mark, as some editors write it, is not part of the JSON.
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let signals: Signals = match serde_json::from_slice(bytes) {
        Ok(s) => s,
        Err(e) => return SignalsReport::Invalid(format!("not Agent Signals v1 JSON: {e}")),
    };
    if signals.schema != SCHEMA_ID {
        return SignalsReport::Invalid(format!(
            "schema is '{}', expected '{SCHEMA_ID}'",
            signals.schema
        ));
    }
    if !(0.0..=1.0).contains(&signals.confidence) {
        return SignalsReport::Invalid(format!(
            "confidence {} is outside 0..=1",
            signals.confidence
        ));
    }
    if signals.outcome == ClaimedOutcome::Escalated && signals.escalations.is_empty() {
        return SignalsReport::Invalid(
            "outcome is 'escalated' but 'escalations' is empty: say why and what to ask".into(),
        );
    }
    SignalsReport::Valid(signals)
}

/// The JSON Schema of Agent Signals v1, as shipped in `schemas/`.
pub fn schema() -> &'static str {
    // Made once per process: every run's room gets a copy.
    static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let schema = schemars::schema_for!(Signals);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    });
    &TEXT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_signals_parse() {
        let json = br#"{"schema":"agent-signals/v1","outcome":"escalated","confidence":0.7,
            "escalations":[{"reason":"objects are stored","question":"migrate?"}]}"#;
        let report = parse(json);
        assert_eq!(
            report.valid().map(|s| s.outcome),
            Some(ClaimedOutcome::Escalated)
        );
    }

    #[test]
    fn invalid_signals_say_why() {
        let cases: [(&[u8], &str); 4] = [
            (
                br#"{"schema":"agent-signals/v1","outcome":"done","confidence":1}"#,
                "unknown variant `done`",
            ),
            (
                br#"{"schema":"agent-signals/v1","outcome":"fixed","confidence":1.5}"#,
                "outside 0..=1",
            ),
            (
                br#"{"schema":"v0","outcome":"fixed","confidence":1}"#,
                "expected 'agent-signals/v1'",
            ),
            (
                br#"{"schema":"agent-signals/v1","outcome":"escalated","confidence":1}"#,
                "'escalations' is empty",
            ),
        ];
        for (json, expected) in cases {
            match parse(json) {
                SignalsReport::Invalid(reason) => assert!(reason.contains(expected), "{reason}"),
                other => panic!("expected invalid, got {other:?}"),
            }
        }
    }
}

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
    /// The shape the agent wrote, which this record was normalised from; never written.
    #[serde(skip)]
    #[schemars(skip)]
    pub shape: Shape,
}

/// The shapes of Agent Signals skillbench reads, each normalised into one [`Signals`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shape {
    /// skillbench's own, `"schema": "agent-signals/v1"`.
    #[default]
    Skillbench,
    /// The agent-signals protocol: `"schema_version": "0.1.0"` (or 0.1.1), `signal_type`.
    Protocol,
    /// awesome-copilot's `signal-write` skill: `signal_type`, `subtype`, no version.
    SignalWrite,
}

impl Shape {
    /// How a run's record names the shape it was normalised from; empty for skillbench's.
    pub fn note(self) -> &'static str {
        match self {
            Shape::Skillbench => "",
            Shape::Protocol => "normalised from the agent-signals protocol (schema_version 0.1)",
            Shape::SignalWrite => "normalised from the signal-write shape",
        }
    }
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

/// Validates signals JSON: skillbench's own, or one of the shapes practised elsewhere (see
/// [`Shape`]), normalised.
pub fn parse(bytes: &[u8]) -> SignalsReport {
    // A byte-order mark, as some editors write it, is not part of the JSON.
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Some(records) = foreign_records(bytes) {
        return match records.and_then(|r| normalise(&r)) {
            Ok(signals) => SignalsReport::Valid(signals),
            Err(why) => SignalsReport::Invalid(why),
        };
    }
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

/// The records of a file in another shape than skillbench's: one JSON object, an array of
/// them or JSON Lines, each with a `signal_type` and none with skillbench's `schema`. `None`
/// for anything else, which is then judged as skillbench's own shape (and its errors).
/// A file that starts as another shape but then is not JSON is that shape's error.
type Records = Result<Vec<serde_json::Map<String, serde_json::Value>>, String>;

fn foreign_records(bytes: &[u8]) -> Option<Records> {
    use serde_json::Value;
    let mut records: Vec<serde_json::Map<String, Value>> = Vec::new();
    for value in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
        let value = match value {
            Ok(value) => value,
            Err(e)
                if records.first().is_some_and(|r| {
                    r.contains_key("signal_type") && !r.contains_key("schema")
                }) =>
            {
                return Some(Err(format!(
                    "signals with a signal_type (the agent-signals protocol or signal-write shape), then not JSON after signal {}: {e}",
                    records.len()
                )));
            }
            Err(_) => return None,
        };
        match value {
            Value::Object(o) => records.push(o),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(o) => records.push(o),
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    let foreign = !records.is_empty()
        && records
            .iter()
            .all(|r| r.contains_key("signal_type") && !r.contains_key("schema"));
    foreign.then_some(Ok(records))
}

/// The protocol versions whose fields skillbench reads.
const PROTOCOL_VERSIONS: [&str; 2] = ["0.1.0", "0.1.1"];

/// One record of the agent's own run, normalised: the protocol's and signal-write's
/// `execution` signal (its `self_assessment` and `patterns`) and `escalation` signals; a
/// reviewer's `outcome` or `partnership` signals carry no self-assessment and are passed
/// over. The mapping is the README's ("Agent Signals in other shapes").
fn normalise(records: &[serde_json::Map<String, serde_json::Value>]) -> Result<Signals, String> {
    use serde_json::Value;
    let protocol = records.iter().any(|r| r.contains_key("schema_version"));
    let shape = if protocol {
        Shape::Protocol
    } else {
        Shape::SignalWrite
    };
    let text = |r: &serde_json::Map<String, Value>, key: &str| -> Result<String, String> {
        match r.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(other) => Err(format!("'{key}' must be a string, not {}", echo(other))),
        }
    };
    // A 1-5 rating; signal-write writes 0 for "not rated".
    let rating = |sa: &serde_json::Map<String, Value>, key: &str| -> Result<Option<u8>, String> {
        match sa.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(0) if !protocol => Ok(None),
                Some(n @ 1..=5) => Ok(Some(n as u8)),
                _ => Err(format!(
                    "self_assessment.{key} is {}; ratings are whole numbers from 1 to 5",
                    echo(v)
                )),
            },
        }
    };
    let object = |r: &serde_json::Map<String, Value>,
                  key: &str|
     -> Result<Option<serde_json::Map<String, Value>>, String> {
        match r.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(other) => Err(format!("'{key}' must be an object, not {}", echo(other))),
        }
    };
    // A nested escalation's question: its recommendation, else what it is blocked on.
    let question_of = |e: &serde_json::Map<String, Value>| -> Result<String, String> {
        let recommendation = text(e, "recommendation")?;
        if recommendation.is_empty() {
            text(e, "blocked_on")
        } else {
            Ok(recommendation)
        }
    };
    let mut out = Signals {
        schema: SCHEMA_ID.into(),
        outcome: ClaimedOutcome::Failed,
        confidence: 0.0,
        summary: String::new(),
        what_worked: Vec::new(),
        what_was_hard: Vec::new(),
        skill_gaps: Vec::new(),
        escalations: Vec::new(),
        shape,
    };
    let (mut confidence, mut completeness, mut subtype) = (None, None, String::new());
    let mut executions = 0;
    for (i, r) in records.iter().enumerate() {
        let at = |e: String| {
            if records.len() > 1 {
                format!("signal {}: {e}", i + 1)
            } else {
                e
            }
        };
        if protocol {
            let version = text(r, "schema_version").map_err(at)?;
            if !PROTOCOL_VERSIONS.contains(&version.as_str()) {
                return Err(at(format!(
                    "schema_version is '{}'; skillbench reads the agent-signals protocol {}",
                    echo_str(&version),
                    PROTOCOL_VERSIONS.join(" and ")
                )));
            }
        }
        let kind = text(r, "signal_type").map_err(at)?;
        let assessment = object(r, "self_assessment").map_err(at)?;
        let mut assess = |sa: &serde_json::Map<String, Value>| -> Result<(), String> {
            if let Some(c) = rating(sa, "confidence")? {
                confidence = Some(c);
            }
            if let Some(c) = rating(sa, "completeness")? {
                completeness = Some(c);
            }
            rating(sa, "accuracy").map(|_| ())
        };
        let nested = object(r, "escalation").map_err(at)?;
        let mut escalate = |reason: String, question: String| {
            if !reason.is_empty() {
                let question = if question.is_empty() {
                    reason.clone()
                } else {
                    question
                };
                out.escalations.push(EscalationSignal { reason, question });
            }
        };
        match kind.as_str() {
            "execution" => {
                executions += 1;
                let Some(sa) = assessment else {
                    return Err(at("an execution signal needs 'self_assessment' (confidence, accuracy, completeness, 1 to 5)".into()));
                };
                assess(&sa).map_err(at)?;
                subtype = text(r, "subtype").map_err(at)?;
                if let Some(p) = object(r, "patterns").map_err(at)? {
                    for (key, list) in [
                        ("what_worked", &mut out.what_worked),
                        ("what_was_hard", &mut out.what_was_hard),
                    ] {
                        let t = text(&p, key).map_err(at)?;
                        if !t.is_empty() {
                            list.push(t);
                        }
                    }
                    let gap = text(&p, "skill_gap").map_err(at)?;
                    if !gap.is_empty() {
                        out.skill_gaps.push(SkillGap {
                            section: UNNAMED_SECTION.into(),
                            gap,
                            suggested_change: String::new(),
                        });
                    }
                }
                if let Some(e) = nested {
                    let question = question_of(&e).map_err(at)?;
                    escalate(text(&e, "reason").map_err(at)?, question);
                }
            }
            "escalation" => {
                if let Some(sa) = assessment {
                    assess(&sa).map_err(at)?;
                }
                let (reason, question) = match &nested {
                    Some(e) if text(r, "reason").map_err(at)?.is_empty() => {
                        (text(e, "reason").map_err(at)?, question_of(e).map_err(at)?)
                    }
                    _ => (
                        text(r, "reason").map_err(at)?,
                        text(r, "requested_action").map_err(at)?,
                    ),
                };
                if reason.is_empty() {
                    return Err(at("an escalation signal needs a 'reason'".into()));
                }
                escalate(reason, question);
            }
            // A reviewer's rating or a pattern review: not the agent's own assessment.
            "outcome" | "partnership" => {}
            other => {
                return Err(at(format!(
                    "signal_type is '{}'; expected execution, outcome, escalation or partnership",
                    echo_str(other)
                )));
            }
        }
    }
    let Some(confidence) = confidence else {
        return Err(if executions == 0 && out.escalations.is_empty() {
            "no execution or escalation signal: nothing here assesses the agent's own run".into()
        } else {
            "no self_assessment.confidence: the run's confidence cannot be told".into()
        });
    };
    out.confidence = f64::from(confidence - 1) / 4.0;
    out.outcome = if !out.escalations.is_empty()
        || matches!(subtype.as_str(), "hands-up" | "blocked")
    {
        ClaimedOutcome::Escalated
    } else if subtype == "done" {
        ClaimedOutcome::Fixed
    } else if subtype == "checkpoint" {
        ClaimedOutcome::Partial
    } else {
        match completeness {
            Some(5) => ClaimedOutcome::Fixed,
            Some(1) => ClaimedOutcome::Failed,
            Some(_) => ClaimedOutcome::Partial,
            None => {
                return Err(
                    "no self_assessment.completeness: the claimed outcome cannot be told".into(),
                );
            }
        }
    };
    if out.outcome == ClaimedOutcome::Escalated && out.escalations.is_empty() {
        return Err(format!(
            "subtype '{subtype}' escalates but no escalation says why: give escalation.reason"
        ));
    }
    Ok(out)
}

/// At most this many characters of what the agent wrote go into a reason.
const ECHO_CHARS: usize = 60;

/// A value the agent wrote, as a reason quotes it: cut to [`ECHO_CHARS`].
fn echo(v: &serde_json::Value) -> String {
    echo_str(&v.to_string())
}

fn echo_str(s: &str) -> String {
    if s.chars().count() <= ECHO_CHARS {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(ECHO_CHARS).collect::<String>())
    }
}

/// The section a skill gap names when its shape has no section field.
pub const UNNAMED_SECTION: &str = "(unnamed section)";

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

    /// The protocol's own example files (agent-signals/examples, 0.1.0): an execution
    /// signal, and an escalation in the nested form the example uses.
    const PROTOCOL_EXECUTION: &str = r#"{"signal_type":"execution","schema_version":"0.1.0",
        "run_id":"ae02e3f3-42e9-43bd-ae7a-19757f5456ed","agent_name":"cve-remediation-agent",
        "skill_used":"cve-remediation","mode":"interactive",
        "self_assessment":{"accuracy":4,"completeness":5,"confidence":3,"tsg_alignment":2},
        "patterns":{"what_worked":"Clear version pinning in lockfile.",
          "what_was_hard":"Transitive dependency conflict.",
          "skill_gap":"No handling for Gradle Kotlin DSL projects.","tsg_gap":"",
          "environment_blockers":""}}"#;

    #[test]
    fn the_agent_signals_protocol_is_normalised() {
        let report = parse(PROTOCOL_EXECUTION.as_bytes());
        let s = report.valid().unwrap_or_else(|| panic!("{report:?}"));
        assert_eq!(s.shape, Shape::Protocol);
        assert_eq!(s.outcome, ClaimedOutcome::Fixed, "completeness 5");
        assert_eq!(s.confidence, 0.5, "confidence 3 of 1-5");
        assert_eq!(s.what_worked, ["Clear version pinning in lockfile."]);
        assert_eq!(s.what_was_hard, ["Transitive dependency conflict."]);
        assert_eq!(s.skill_gaps.len(), 1);
        assert_eq!(s.skill_gaps[0].section, UNNAMED_SECTION);
        assert_eq!(
            s.skill_gaps[0].gap,
            "No handling for Gradle Kotlin DSL projects."
        );
        assert!(s.escalations.is_empty());

        // An execution and a flat escalation signal, as JSON Lines: escalated.
        let lines = format!(
            "{}\n{}\n",
            PROTOCOL_EXECUTION
                .replace('\n', " ")
                .replace("\"completeness\":5", "\"completeness\":2"),
            r#"{"signal_type":"escalation","schema_version":"0.1.0","run_id":"r","agent_name":"a","reason":"The public API changes.","severity":"high","blocking":true,"requested_action":"Version the API?"}"#
        );
        let s = parse(lines.as_bytes()).valid().cloned().expect("valid");
        assert_eq!(s.outcome, ClaimedOutcome::Escalated);
        assert_eq!(s.escalations[0].reason, "The public API changes.");
        assert_eq!(s.escalations[0].question, "Version the API?");

        // The example file's nested escalation, alone, in an array with a reviewer's
        // outcome signal (passed over).
        let nested = r#"[{"signal_type":"escalation","schema_version":"0.1.0","run_id":"c7","agent_name":"a",
            "self_assessment":{"accuracy":2,"completeness":1,"confidence":1},
            "escalation":{"reason":"Breaking change in public API.","blocked_on":"Needs architectural review.",
              "attempted":["shim"],"recommendation":"Human review needed."}},
            {"signal_type":"outcome","schema_version":"0.1.0","run_id":"c7","agent_name":"q","quality_rating":4}]"#;
        let s = parse(nested.as_bytes()).valid().cloned().expect("valid");
        assert_eq!(s.outcome, ClaimedOutcome::Escalated);
        assert_eq!(s.confidence, 0.0);
        assert_eq!(s.escalations[0].question, "Human review needed.");
    }

    #[test]
    fn the_signal_write_shape_is_normalised() {
        // awesome-copilot's signal-write example: 0 means "not rated", subtype decides.
        let json = r#"{"signal_type":"execution","subtype":"done","timestamp":"2026-07-19T21:30:00Z",
            "agent_name":"desk","self_assessment":{"intent":4,"confidence":5,"accuracy":0,"completeness":3},
            "patterns":{"what_worked":"w","what_was_hard":"","skill_gap":"No step for lock files."},
            "escalation":{"reason":null,"blocked_on":null,"recommendation":null}}"#;
        let s = parse(json.as_bytes()).valid().cloned().expect("valid");
        assert_eq!(s.shape, Shape::SignalWrite);
        assert_eq!((s.outcome, s.confidence), (ClaimedOutcome::Fixed, 1.0));
        assert!(s.escalations.is_empty() && s.what_was_hard.is_empty());
        let hands_up = json
            .replace("\"done\"", "\"hands-up\"")
            .replace("\"reason\":null", "\"reason\":\"Secrets must rotate.\"");
        let s = parse(hands_up.as_bytes()).valid().cloned().expect("valid");
        assert_eq!(s.outcome, ClaimedOutcome::Escalated);
        assert_eq!(s.escalations[0].question, "Secrets must rotate.");
        // Escalating with no reason says so rather than guessing.
        match parse(json.replace("\"done\"", "\"blocked\"").as_bytes()) {
            SignalsReport::Invalid(why) => assert!(why.contains("escalation.reason"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn foreign_shapes_that_do_not_hold_say_why() {
        let cases: [(&str, &str); 6] = [
            (
                &PROTOCOL_EXECUTION.replace("\"confidence\":3", "\"confidence\":7"),
                "self_assessment.confidence is 7",
            ),
            (
                &PROTOCOL_EXECUTION.replace("\"confidence\":3", "\"confidence\":0"),
                "self_assessment.confidence is 0",
            ),
            (
                &PROTOCOL_EXECUTION.replace("0.1.0", "2.0.0"),
                "schema_version is '2.0.0'",
            ),
            (
                &PROTOCOL_EXECUTION.replace("\"execution\"", "\"telemetry\""),
                "signal_type is 'telemetry'",
            ),
            (
                r#"{"signal_type":"outcome","schema_version":"0.1.0","quality_rating":4}"#,
                "no execution or escalation signal",
            ),
            (
                r#"{"signal_type":"execution","schema_version":"0.1.0","run_id":"r"}"#,
                "needs 'self_assessment'",
            ),
        ];
        for (json, expected) in cases {
            match parse(json.as_bytes()) {
                SignalsReport::Invalid(reason) => assert!(reason.contains(expected), "{reason}"),
                other => panic!("expected invalid for {json}, got {other:?}"),
            }
        }
        // JSON Lines that break after a protocol signal say so, with the line.
        match parse(
            format!(
                "{}\n{{\"signal_type\": ",
                PROTOCOL_EXECUTION.replace('\n', " ")
            )
            .as_bytes(),
        ) {
            SignalsReport::Invalid(reason) => {
                assert!(
                    reason.contains("after signal 1") && reason.contains("line 2"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A long value is quoted cut short.
        let long =
            PROTOCOL_EXECUTION.replace("\"execution\"", &format!("\"{}\"", "x".repeat(5000)));
        match parse(long.as_bytes()) {
            SignalsReport::Invalid(reason) => assert!(reason.len() < 200, "{}", reason.len()),
            other => panic!("{other:?}"),
        }
        // Skillbench's own shape keeps its own errors (with the line and column).
        match parse(br#"{"schema":"agent-signals/v1","signal_type":"execution"}"#) {
            SignalsReport::Invalid(reason) => assert!(reason.contains("signal_type"), "{reason}"),
            other => panic!("{other:?}"),
        }
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

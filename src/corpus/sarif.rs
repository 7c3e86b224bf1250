//! SARIF 2.1.0 (CodeQL and other scanners) read into case findings.
//!
//! Each result becomes one finding: its rule id, the rule's short description and the
//! result's message as the summary, its CWE tags (`external/cwe/cwe-89`) as aliases, and its
//! physical locations as `path:line`.

use std::path::Path;

use serde::Deserialize;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
struct Log {
    version: String,
    runs: Vec<Run>,
}

#[derive(Debug, Deserialize)]
struct Run {
    tool: Tool,
    #[serde(default)]
    results: Vec<SarifResult>,
}

#[derive(Debug, Deserialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Deserialize)]
struct Driver {
    name: String,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    id: String,
    #[serde(default, rename = "shortDescription")]
    short_description: Option<Text>,
    #[serde(default)]
    properties: Option<Properties>,
}

#[derive(Debug, Deserialize)]
struct Properties {
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

#[derive(Debug, Deserialize)]
struct SarifResult {
    #[serde(rename = "ruleId")]
    rule_id: Option<String>,
    message: Text,
    #[serde(default)]
    locations: Vec<Location>,
}

#[derive(Debug, Deserialize)]
struct Location {
    #[serde(rename = "physicalLocation")]
    physical: Option<Physical>,
}

#[derive(Debug, Deserialize)]
struct Physical {
    #[serde(rename = "artifactLocation")]
    artifact: Artifact,
    #[serde(default)]
    region: Option<Region>,
}

#[derive(Debug, Deserialize)]
struct Artifact {
    uri: String,
}

#[derive(Debug, Deserialize)]
struct Region {
    #[serde(rename = "startLine")]
    start_line: Option<u64>,
}

/// One finding read from SARIF.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub locations: Vec<String>,
    pub tool: String,
}

/// Reads the results of every run of the SARIF file at `path`.
/// The offset of the value after the first `key` (a quoted JSON key) at or after `from`.
fn value_after(text: &str, key: &str, from: usize) -> Option<usize> {
    let at = from + text.get(from..)?.find(key)? + key.len();
    let colon = at + text[at..].find(':')? + 1;
    let rest = &text[colon..];
    Some(colon + (rest.len() - rest.trim_start().len()))
}

pub fn import(path: &Path) -> Result<Vec<Imported>> {
    let text = crate::diagnostic::read_text(path)?;
    let log: Log = serde_json::from_str(&text).map_err(|e| {
        Error::from(Diagnostic::error(
            path,
            // serde_json counts columns from 0 at the start of a line (an empty file).
            (e.line().max(1), e.column().max(1)),
            format!("not a SARIF log: {e}"),
        ))
    })?;
    let located = |offset: Option<usize>, message: String| {
        let offset = offset.unwrap_or(0);
        Error::from(Diagnostic::at_span(path, &text, offset..offset, message))
    };
    if !log.version.starts_with("2.1") {
        return Err(located(
            value_after(&text, "\"version\"", 0),
            format!(
                "SARIF version {} is not 2.1.x; export the scan as SARIF 2.1.0",
                log.version
            ),
        ));
    }
    for run in &log.runs {
        for r in &run.results {
            for p in r.locations.iter().filter_map(|l| l.physical.as_ref()) {
                let uri = p.artifact.uri.trim_start_matches("file://");
                if !super::case::stays_inside(Path::new(uri)) {
                    return Err(located(
                        text.find(&format!("\"{}\"", p.artifact.uri)),
                        format!(
                            "location '{uri}' leaves the repository; findings must name files inside it, relative to its root"
                        ),
                    ));
                }
                if p.region.as_ref().and_then(|r| r.start_line) == Some(0) {
                    let zero = text
                        .match_indices("\"startLine\"")
                        .filter_map(|(from, _)| value_after(&text, "\"startLine\"", from))
                        .find(|&at| text[at..].starts_with('0'));
                    return Err(located(
                        zero,
                        "startLine is 0; SARIF lines count from 1".into(),
                    ));
                }
            }
        }
    }
    let mut out = Vec::new();
    for run in log.runs {
        for r in run.results {
            let id = r.rule_id.clone().unwrap_or_else(|| "unknown-rule".into());
            let rule = run.tool.driver.rules.iter().find(|x| x.id == id);
            let mut aliases: Vec<String> = rule
                .and_then(|x| x.properties.as_ref())
                .map(|p| {
                    p.tags
                        .iter()
                        .filter_map(|t| t.strip_prefix("external/cwe/"))
                        .map(str::to_ascii_uppercase)
                        .collect()
                })
                .unwrap_or_default();
            aliases.sort();
            aliases.dedup();
            let summary = match rule.and_then(|x| x.short_description.as_ref()) {
                Some(d) => format!("{}: {}", d.text.trim_end_matches('.'), r.message.text),
                None => r.message.text.clone(),
            };
            let locations = r
                .locations
                .iter()
                .filter_map(|l| l.physical.as_ref())
                .map(|p| {
                    let uri = p.artifact.uri.trim_start_matches("file://").to_string();
                    match p.region.as_ref().and_then(|r| r.start_line) {
                        Some(line) => format!("{uri}:{line}"),
                        None => uri,
                    }
                })
                .collect();
            out.push(Imported {
                id,
                aliases,
                summary,
                locations,
                tool: run.tool.driver.name.clone(),
            });
        }
    }
    if out.is_empty() {
        return Err(Error::NothingSelected(format!(
            "{}: the SARIF log has no results",
            path.display()
        )));
    }
    Ok(out)
}

/// The findings as `[[findings]]` tables.
pub fn to_toml(findings: &[Imported]) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let list = |items: &[String]| {
        let inner: Vec<String> = items.iter().map(|s| q(s)).collect();
        format!("[{}]", inner.join(", "))
    };
    let mut out = String::new();
    for f in findings {
        // The tool's name goes into a comment: no line break or control character may
        // end it and start TOML of the log's choosing.
        let tool: String = f
            .tool
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!(
            "\n# imported from {tool} SARIF\n[[findings]]\nid = {}\n",
            q(&f.id)
        ));
        if !f.aliases.is_empty() {
            out.push_str(&format!("aliases = {}\n", list(&f.aliases)));
        }
        out.push_str(&format!(
            "summary = {}\nlocations = {}\n",
            q(&f.summary),
            list(&f.locations)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codeql_results_become_findings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.sarif");
        std::fs::write(
            &path,
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[
              {"id":"py/sql-injection","shortDescription":{"text":"SQL query built from user-controlled sources."},
               "properties":{"tags":["security","external/cwe/cwe-089"]}}]}},
              "results":[{"ruleId":"py/sql-injection","message":{"text":"This SQL query depends on a user-provided value."},
               "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app/db.py"},"region":{"startLine":14}}}]}]}]}"#,
        )
        .unwrap();
        let found = import(&path).unwrap();
        assert_eq!(
            found,
            [Imported {
                id: "py/sql-injection".into(),
                aliases: vec!["CWE-089".into()],
                summary: "SQL query built from user-controlled sources: This SQL query depends on a user-provided value.".into(),
                locations: vec!["app/db.py:14".into()],
                tool: "CodeQL".into(),
            }]
        );
        let toml = to_toml(&found);
        assert!(toml.contains("id = \"py/sql-injection\"\naliases = [\"CWE-089\"]\n"));
        assert!(toml.contains("locations = [\"app/db.py:14\"]"));

        let hostile = Imported {
            tool: "X\n[[findings]]\nid = \"planted\"".into(),
            ..found[0].clone()
        };
        let toml = to_toml(&[hostile]);
        let tables = toml
            .lines()
            .filter(|l| l.starts_with("[[findings]]"))
            .count();
        assert_eq!(tables, 1, "{toml}");
        let parsed: toml::Value = toml::from_str(&toml).unwrap();
        assert_eq!(
            parsed["findings"][0]["id"].as_str(),
            Some("py/sql-injection")
        );
        assert!(!toml.contains("\nid = \"planted\""), "{toml}");
    }
}

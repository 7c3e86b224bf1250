//! The YAML front matter of `SKILL.md`, parsed with positions so every finding points at
//! its line and column.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::diagnostic::{Diagnostic, nearest};

/// The fields of the Agent Skills format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub name: String,
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub allowed_tools: Option<String>,
}

pub const KNOWN_KEYS: [&str; 6] = [
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
];

/// What parsing a `SKILL.md` yields: the front matter when it is valid, the body and the
/// line it starts on, and every finding.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub front: Option<FrontMatter>,
    pub body: &'a str,
    /// 1-based line of the first body line in the file.
    pub body_line: usize,
    pub findings: Vec<Diagnostic>,
}

/// Parses `text` (the content of the `SKILL.md` at `path`).
pub fn parse<'a>(path: &Path, text: &'a str) -> Parsed<'a> {
    let mut findings = Vec::new();
    let Some((yaml, body, body_line)) = split(text) else {
        findings.push(Diagnostic::error(
            path,
            (1, 1),
            "SKILL.md must start with YAML front matter between '---' lines (name, description)",
        ));
        return Parsed {
            front: None,
            body: text,
            body_line: 1,
            findings,
        };
    };
    // The YAML starts on line 2 of the file.
    let at = |line: usize, col: usize| (line + 1, col + 1);
    let docs = match MarkedYaml::load_from_str(yaml) {
        Ok(docs) => docs,
        Err(err) => {
            let m = err.marker();
            // A tab in the indentation is reported where the scanner gave up (the end of
            // the value before it); point at the tab itself.
            let tab = yaml.lines().enumerate().find_map(|(i, line)| {
                let indent = &line[..line.len() - line.trim_start().len()];
                indent.find('\t').map(|col| (i + 2, col + 1))
            });
            let (position, message) = match tab {
                Some(position) if err.info().contains("tab") => (
                    position,
                    "invalid YAML: a tab indents this line; YAML indents with spaces".to_string(),
                ),
                _ => (
                    at(m.line(), m.col()),
                    format!("invalid YAML: {}", err.info()),
                ),
            };
            findings.push(Diagnostic::error(path, position, message));
            return Parsed {
                front: None,
                body,
                body_line,
                findings,
            };
        }
    };
    let Some(YamlData::Mapping(map)) = docs.first().map(|d| &d.data) else {
        findings.push(Diagnostic::error(
            path,
            (2, 1),
            "front matter must be a YAML mapping of keys to values",
        ));
        return Parsed {
            front: None,
            body,
            body_line,
            findings,
        };
    };

    let mut front = FrontMatter::default();
    let (mut has_name, mut has_description) = (false, false);
    for (key, value) in map {
        let key_pos = at(key.span.start.line(), key.span.start.col());
        let value_pos = at(value.span.start.line(), value.span.start.col());
        let Some(key_name) = scalar_text(&key.data) else {
            findings.push(Diagnostic::error(
                path,
                key_pos,
                "front matter keys must be plain strings",
            ));
            continue;
        };
        let mut string = |what: &str| -> Option<String> {
            match scalar_text(&value.data) {
                Some(s) if !is_string(&value.data) && what != "metadata" => {
                    findings.push(Diagnostic::error(
                        path,
                        value_pos,
                        format!("'{what}' must be a string; quote the value \"{s}\""),
                    ));
                    None
                }
                Some(s) => Some(s),
                None => {
                    findings.push(Diagnostic::error(
                        path,
                        value_pos,
                        format!("'{what}' must be a string"),
                    ));
                    None
                }
            }
        };
        match key_name.as_str() {
            "name" => {
                has_name = true;
                if let Some(name) = string("name") {
                    if let Some(problem) = name_problem(&name) {
                        findings.push(Diagnostic::error(path, value_pos, problem));
                    }
                    front.name = name;
                }
            }
            "description" => {
                has_description = true;
                if let Some(d) = string("description") {
                    let n = d.trim().chars().count();
                    if n == 0 || n > 1024 {
                        findings.push(Diagnostic::error(
                            path,
                            value_pos,
                            format!("'description' must be 1 to 1024 characters (it has {n}); say what the skill does and when to use it"),
                        ));
                    } else {
                        findings.extend(description_findings(path, value_pos, &d));
                    }
                    front.description = d;
                }
            }
            "license" => front.license = string("license"),
            "compatibility" => {
                if let Some(c) = string("compatibility") {
                    let n = c.chars().count();
                    if n > 500 {
                        findings.push(Diagnostic::error(
                            path,
                            value_pos,
                            format!("'compatibility' must be at most 500 characters (it has {n})"),
                        ));
                    }
                    front.compatibility = Some(c);
                }
            }
            "allowed-tools" => front.allowed_tools = string("allowed-tools"),
            "metadata" => match &value.data {
                YamlData::Mapping(meta) => {
                    for (k, v) in meta {
                        let k_pos = at(k.span.start.line(), k.span.start.col());
                        let v_pos = at(v.span.start.line(), v.span.start.col());
                        match (
                            scalar_text(&k.data),
                            is_string(&v.data),
                            scalar_text(&v.data),
                        ) {
                            (Some(k), true, Some(v)) => {
                                front.metadata.insert(k, v);
                            }
                            (Some(k), false, Some(v)) => findings.push(Diagnostic::error(
                                path,
                                v_pos,
                                format!("metadata '{k}' must be a string; quote the value \"{v}\""),
                            )),
                            (Some(k), _, None) => findings.push(Diagnostic::error(
                                path,
                                v_pos,
                                format!("metadata '{k}' must be a string, not a list or mapping"),
                            )),
                            (None, _, _) => findings.push(Diagnostic::error(
                                path,
                                k_pos,
                                "metadata keys must be strings",
                            )),
                        }
                    }
                }
                _ => findings.push(Diagnostic::error(
                    path,
                    value_pos,
                    "'metadata' must be a mapping of string keys to string values",
                )),
            },
            other => {
                let hint = nearest(other, KNOWN_KEYS)
                    .map(|k| format!(" (did you mean '{k}'?)"))
                    .unwrap_or_else(|| {
                        format!(
                            "; the Agent Skills format allows: {}",
                            KNOWN_KEYS.join(", ")
                        )
                    });
                findings.push(Diagnostic::error(
                    path,
                    key_pos,
                    format!("unknown front matter key '{other}'{hint}"),
                ));
            }
        }
    }
    if !has_name {
        findings.push(Diagnostic::error(
            path,
            (1, 1),
            "front matter has no 'name' (required: the skill's folder name)",
        ));
    }
    if !has_description {
        findings.push(Diagnostic::error(
            path,
            (1, 1),
            "front matter has no 'description' (required: what the skill does and when to use it)",
        ));
    }
    let valid = !findings
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error);
    Parsed {
        front: valid.then_some(front),
        body,
        body_line,
        findings,
    }
}

/// Splits `---\n<yaml>---\n<body>`; returns the YAML, the body and the body's first line.
fn split(text: &str) -> Option<(&str, &str, usize)> {
    let text_after_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text_after_bom
        .strip_prefix("---\n")
        .or_else(|| text_after_bom.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = yaml.matches('\n').count() + 3;
            return Some((yaml, body, body_line));
        }
        offset += line.len();
    }
    None
}

fn scalar_text<'a>(data: &YamlData<'a, MarkedYaml<'a>>) -> Option<String> {
    match data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Value(Scalar::Null) => Some(String::new()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

fn is_string<'a>(data: &YamlData<'a, MarkedYaml<'a>>) -> bool {
    matches!(
        data,
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..)
    )
}

/// Fewer words than this and the description cannot say both what the skill does and
/// when to use it.
const MIN_DESCRIPTION_WORDS: usize = 12;

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(TODO|TBD|FIXME|XXX)\b|\b(TODO|TBD|FIXME):|(?i:lorem ipsum)|<(describe|description|what|when)[^>]*>")
        .unwrap_or_else(|e| panic!("{e}"))
});
static WHEN_TO_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(when|whenever|if|before|after|use (it |this |this skill )?(for|to|on|with|in))\b",
    )
    .unwrap_or_else(|e| panic!("{e}"))
});
static FIRST_OR_SECOND_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:(I|I'm|I'll|I can|we|we'll|you|you can|this skill (helps|lets) you))\b")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// The Agent Skills guidance on a description, held: an agent decides from the description
/// alone whether to load the skill, so it must say what the skill does and when to use it,
/// in the third person, with no placeholder left from a scaffold. Placeholder text is an
/// error; the rest are warnings.
fn description_findings(path: &Path, at: (usize, usize), description: &str) -> Vec<Diagnostic> {
    let text = description.trim();
    if let Some(m) = PLACEHOLDER.find(text) {
        return vec![Diagnostic::error(
            path,
            at,
            format!(
                "'description' holds placeholder text ('{}'); replace it with what the skill does and when an agent should use it",
                m.as_str()
            ),
        )];
    }
    let mut out = Vec::new();
    let words = text.split_whitespace().count();
    if words < MIN_DESCRIPTION_WORDS {
        out.push(Diagnostic::warning(
            path,
            at,
            format!(
                "'description' has {words} word(s); an agent picks a skill from its description alone: say what it does and when to use it (the findings, packages, tools or error messages it is for) in at least {MIN_DESCRIPTION_WORDS}"
            ),
        ));
    }
    if !WHEN_TO_USE.is_match(text) {
        out.push(Diagnostic::warning(
            path,
            at,
            "'description' does not say when to use the skill; add a sentence such as 'Use when …' naming the situations that should trigger it",
        ));
    }
    if FIRST_OR_SECOND_PERSON.is_match(text) {
        out.push(Diagnostic::warning(
            path,
            at,
            "'description' should be in the third person ('Remediates …', not 'I …' or 'You can …'): it is read into the agent's prompt beside other skills'",
        ));
    }
    out
}

/// Why `name` is not a valid skill name, if it is not.
pub fn name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 || n > 64 {
        return Some(format!("'name' must be 1 to 64 characters (it has {n})"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "'name' may only use a-z, 0-9 and '-' (found '{c}' in '{name}')"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some(format!("'name' must not start or end with '-' ('{name}')"));
    }
    if name.contains("--") {
        return Some(format!("'name' must not contain '--' ('{name}')"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_reports_positions() {
        let text = "---\nname: demo\ndescription: Fixes the demo findings in Python services. Use when a scanner flags the demo package.\nmetadata:\n  version: 1\ncolour: red\n---\n# Body\n";
        let parsed = parse(Path::new("SKILL.md"), text);
        let messages: Vec<String> = parsed.findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "SKILL.md:5:12: error: metadata 'version' must be a string; quote the value \"1\"",
                "SKILL.md:6:1: error: unknown front matter key 'colour'; the Agent Skills format allows: name, description, license, compatibility, metadata, allowed-tools",
            ]
        );
        assert_eq!(parsed.body_line, 8);
        assert_eq!(parsed.body, "# Body\n");
        assert!(parsed.front.is_none());
    }

    fn description(d: &str) -> Vec<String> {
        let text = format!("---\nname: demo\ndescription: \"{d}\"\n---\n# Body\n");
        parse(Path::new("SKILL.md"), &text)
            .findings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn description_follows_the_agent_skills_guidance() {
        let good = "Remediates unsafe PyYAML loading in Python code. Use when a scanner flags PyYAML or code calls yaml.load without a Loader.";
        assert_eq!(description(good), Vec::<String>::new());
        // The scaffold's placeholder is an error, not a description.
        let todo = description("TODO: say what this skill fixes and when an agent should use it");
        assert_eq!(
            todo,
            [
                "SKILL.md:3:14: error: 'description' holds placeholder text ('TODO'); replace it with what the skill does and when an agent should use it"
            ]
        );
        assert!(
            description(
                "Fixes <describe the finding> in Python code when flagged by scanners today"
            )[0]
            .contains("placeholder")
        );
        let short = description("Fixes YAML.");
        assert_eq!(short.len(), 2, "{short:?}");
        assert!(short[0].contains("has 2 word(s)") && short[0].contains("warning"));
        assert!(short[1].contains("does not say when to use"));
        let person = description(
            "I fix unsafe PyYAML loading in Python code when a scanner flags the package in a repository.",
        );
        assert_eq!(person.len(), 1, "{person:?}");
        assert!(person[0].contains("third person"));
        // Words that merely contain the cue or the placeholder do not count.
        let cues = description(
            "Remediates unsafe loading of configuration files in Python services and libraries, covering every call site and the pins.",
        );
        assert_eq!(cues.len(), 1, "{cues:?}");
        assert!(
            description(
                "Rewrites TODOS lists. Use when the tracker flags stale items in a backlog file."
            )
            .is_empty()
        );
        // A skill about TODO comments is not a placeholder; a leading one is.
        assert!(
            description("Resolves TODO comments left in Python code. Use when a linter flags TODO markers older than a release.")
                .is_empty()
        );
        assert!(
            description("FIXME say what it does")
                .iter()
                .any(|d| d.contains("placeholder"))
        );
    }

    #[test]
    fn name_rules() {
        assert_eq!(name_problem("pyyaml-safe-load"), None);
        assert!(name_problem("Bad").is_some());
        assert!(name_problem("-lead").is_some());
        assert!(name_problem("double--dash").is_some());
        assert!(name_problem(&"a".repeat(65)).is_some());
        assert!(name_problem("").is_some());
    }
}

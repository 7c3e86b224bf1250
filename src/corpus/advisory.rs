//! Findings from an advisory, offline: an OSV record (one JSON file, or a folder of them with
//! the advisory's id), or the JSON report of `cargo audit --json`, `npm audit --json` or
//! `pip-audit -f json`. What they cannot say — where the package is declared — is found in
//! the repository's manifests ([`locate`]).

use std::path::Path;

use serde_json::Value;

use super::Finding;
use crate::error::{Error, Result};

/// The findings `path` holds; with `id`, only that advisory's (matched on its id or an
/// alias). A folder is read as OSV records, one per `*.json` file.
pub fn read(path: &Path, id: Option<&str>) -> Result<Vec<Finding>> {
    let mut findings = if path.is_dir() {
        let mut all = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::read(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        for file in entries {
            all.extend(parse(&file, &load(&file)?)?);
        }
        all
    } else {
        parse(path, &load(path)?)?
    };
    if let Some(id) = id {
        findings.retain(|f| {
            f.id.eq_ignore_ascii_case(id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
        });
        if findings.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no advisory {id} there (by id or alias)",
                path.display()
            )));
        }
    }
    if findings.is_empty() {
        return Err(Error::Usage(format!(
            "{}: the report lists no vulnerability",
            path.display()
        )));
    }
    Ok(findings)
}

fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}:{}:{}: not JSON: {e}; give an OSV record or the JSON of cargo audit --json, npm audit --json or pip-audit -f json",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Which format `v` is, by its shape, and its findings.
fn parse(path: &Path, v: &Value) -> Result<Vec<Finding>> {
    if v.get("affected").is_some() && v.get("id").is_some() {
        return Ok(vec![osv(v)]);
    }
    if let Some(list) = v.pointer("/vulnerabilities/list").and_then(Value::as_array) {
        let mut out: Vec<Finding> = list.iter().filter_map(cargo_audit).collect();
        if let Some(warnings) = v.get("warnings").and_then(Value::as_object) {
            out.extend(
                warnings
                    .values()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(cargo_audit),
            );
        }
        return Ok(out);
    }
    if v.get("auditReportVersion").is_some() {
        return Ok(npm_audit(v));
    }
    let deps = v
        .get("dependencies")
        .and_then(Value::as_array)
        .or_else(|| v.as_array());
    if let Some(deps) = deps.filter(|d| d.iter().any(|d| d.get("vulns").is_some())) {
        return Ok(pip_audit(deps));
    }
    Err(Error::Usage(format!(
        "{}: not an advisory this reads: give an OSV record (with id and affected), or the JSON of cargo audit --json, npm audit --json or pip-audit -f json",
        path.display()
    )))
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The title and the first paragraph of `details` that is prose (not a Markdown heading).
fn summary(title: Option<String>, details: Option<String>) -> String {
    let details = details.map(|d| {
        d.split("\n\n")
            .map(str::trim)
            .find(|p| !p.is_empty() && !p.starts_with('#'))
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    });
    match (title, details) {
        (Some(t), Some(d)) if !d.is_empty() && d != t => format!("{t}. {d}"),
        (Some(t), _) => t,
        (None, Some(d)) if !d.is_empty() => d,
        _ => "TODO: what is wrong, and where".into(),
    }
}

/// OSV's ecosystems as the case files name them.
fn ecosystem(osv: &str) -> String {
    match osv {
        "PyPI" => "pypi".into(),
        "crates.io" => "crates.io".into(),
        "npm" => "npm".into(),
        other => other.into(),
    }
}

fn osv(v: &Value) -> Finding {
    let affected = v
        .get("affected")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let package = affected.and_then(|a| a.get("package"));
    let events: Vec<&Value> = affected
        .and_then(|a| a.get("ranges"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("events").and_then(Value::as_array))
        .flatten()
        .collect();
    let fixed = events.iter().find_map(|e| text(e, "fixed"));
    let introduced = events
        .iter()
        .find_map(|e| text(e, "introduced"))
        .filter(|i| i != "0");
    let vulnerable = match (&introduced, &fixed) {
        (Some(i), Some(f)) => Some(format!(">= {i}, < {f}")),
        (None, Some(f)) => Some(format!("< {f}")),
        (Some(i), None) => Some(format!(">= {i} (no fixed release)")),
        (None, None) => None,
    };
    Finding {
        id: text(v, "id").unwrap_or_default(),
        aliases: strings(v.get("aliases")),
        package: package.and_then(|p| text(p, "name")),
        ecosystem: package
            .and_then(|p| text(p, "ecosystem"))
            .map(|e| ecosystem(&e)),
        vulnerable,
        fixed,
        summary: summary(text(v, "summary"), text(v, "details")),
        locations: Vec::new(),
    }
}

/// One entry of `cargo audit --json`: a vulnerability, or a warning with its advisory.
fn cargo_audit(v: &Value) -> Option<Finding> {
    let advisory = v.get("advisory").filter(|a| a.is_object())?;
    let patched = strings(v.pointer("/versions/patched"));
    let installed = v.pointer("/package/version").and_then(Value::as_str);
    Some(Finding {
        id: text(advisory, "id")?,
        aliases: strings(advisory.get("aliases")),
        package: text(advisory, "package").or_else(|| {
            v.pointer("/package/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        ecosystem: Some("crates.io".into()),
        vulnerable: installed.map(|i| {
            if patched.is_empty() {
                format!("{i} (no patched release)")
            } else {
                format!("{i} (patched: {})", patched.join(", "))
            }
        }),
        fixed: patched
            .first()
            .map(|p| p.trim_start_matches(['>', '=', '^', '~', ' ']).to_string()),
        summary: summary(text(advisory, "title"), text(advisory, "description")),
        locations: Vec::new(),
    })
}

/// `npm audit --json` (report version 2): each vulnerable package's advisories (`via`
/// entries that are objects; a string names the package it comes through).
fn npm_audit(v: &Value) -> Vec<Finding> {
    let Some(vulns) = v.get("vulnerabilities").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, vuln) in vulns {
        let fixed = vuln
            .get("fixAvailable")
            .filter(|f| f.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|f| text(f, "version"));
        for via in vuln
            .get("via")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !via.is_object() {
                continue;
            }
            let url = text(via, "url");
            let ghsa = url
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .filter(|s| s.starts_with("GHSA-"))
                .map(str::to_string);
            let id = ghsa.or_else(|| via.get("source").map(|s| format!("npm:{s}")));
            let Some(id) = id else { continue };
            if out.iter().any(|f: &Finding| f.id == id) {
                continue;
            }
            out.push(Finding {
                id,
                aliases: Vec::new(),
                package: Some(text(via, "name").unwrap_or_else(|| name.clone())),
                ecosystem: Some("npm".into()),
                vulnerable: text(via, "range"),
                fixed: fixed.clone(),
                summary: summary(text(via, "title"), None),
                locations: Vec::new(),
            });
        }
    }
    out
}

/// `pip-audit -f json`: `{"dependencies": [{name, version, vulns: [{id, fix_versions,
/// aliases, description}]}]}` (older releases: the list alone).
fn pip_audit(deps: &[Value]) -> Vec<Finding> {
    let mut out = Vec::new();
    for dep in deps {
        let name = text(dep, "name");
        let version = text(dep, "version");
        for vuln in dep
            .get("vulns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = text(vuln, "id") else { continue };
            let fixed = strings(vuln.get("fix_versions"));
            out.push(Finding {
                id,
                aliases: strings(vuln.get("aliases")),
                package: name.clone(),
                ecosystem: Some("pypi".into()),
                vulnerable: version.as_ref().map(|v| format!("{v} (installed)")),
                fixed: fixed.first().cloned(),
                summary: summary(None, text(vuln, "description")),
                locations: Vec::new(),
            });
        }
    }
    out
}

/// Where `package` is declared among `manifests` (relative path and text): each line of a
/// dependency manifest that names it, as `path:line`. A Maven package (`group:artifact`) is
/// found by its `<artifactId>` in pom.xml, by `group:artifact` in a Gradle build.
pub fn locate(package: &str, manifests: &[(String, String)]) -> Vec<String> {
    let words: Vec<String> = match package.split_once(':') {
        Some((_, artifact)) => vec![
            format!("<artifactId>{artifact}</artifactId>"),
            package.to_string(),
        ],
        None => vec![package.to_string()],
    };
    let normal = |s: &str| s.to_lowercase().replace(['_', '.'], "-");
    let mut out = Vec::new();
    for (path, text) in manifests {
        let json = path.ends_with(".json");
        for (n, line) in text.lines().enumerate() {
            if describes(line) {
                continue;
            }
            let hit = words.iter().any(|w| {
                if w.contains('<') || w.contains(':') {
                    line.contains(w.as_str())
                } else if json {
                    // package.json declares a dependency as a key: `"name": "range"`.
                    let key = format!("\"{}\"", normal(w));
                    normal(line.trim_start())
                        .strip_prefix(&key)
                        .is_some_and(|rest| rest.trim_start().starts_with(':'))
                } else {
                    names_package(&normal(line), &normal(w))
                }
            });
            if hit {
                out.push(format!("{path}:{}", n + 1));
            }
        }
    }
    out
}

/// Whether `line` is a manifest's prose about the project (its description, keywords,
/// name, …), where a package's name can appear without declaring it.
fn describes(line: &str) -> bool {
    let key = line
        .trim_start()
        .trim_start_matches(['"', '\''])
        .split(['"', '\'', '=', ':'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        key.as_str(),
        "description"
            | "summary"
            | "keywords"
            | "name"
            | "title"
            | "homepage"
            | "repository"
            | "url"
    )
}

/// Whether `line` names `package` as a whole word: its neighbours are not name characters
/// (`/` and `@` count, so `express-jwt` is not found in `@types/express-jwt`).
fn names_package(line: &str, package: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '@');
    line.match_indices(package).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + package.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(json: &str) -> Vec<Finding> {
        parse(Path::new("a.json"), &serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn reads_osv_and_the_three_audit_reports() {
        let osv = parse_str(
            r#"{"id": "GHSA-8q59-q68h-6hv4", "aliases": ["CVE-2020-14343"], "summary": "Improper Input Validation in PyYAML",
                "details": "A vulnerability was discovered in the PyYAML library.\n\nMore.",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "PyYAML"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.4"}]}]}]}"#,
        );
        assert_eq!(osv[0].id, "GHSA-8q59-q68h-6hv4");
        assert_eq!(osv[0].package.as_deref(), Some("PyYAML"));
        assert_eq!(osv[0].ecosystem.as_deref(), Some("pypi"));
        assert_eq!(osv[0].vulnerable.as_deref(), Some("< 5.4"));
        assert_eq!(osv[0].fixed.as_deref(), Some("5.4"));
        assert_eq!(
            osv[0].summary,
            "Improper Input Validation in PyYAML. A vulnerability was discovered in the PyYAML library."
        );

        let cargo = parse_str(
            r#"{"vulnerabilities": {"found": true, "count": 1, "list": [{"advisory": {"id": "RUSTSEC-2020-0071", "package": "time",
                "title": "Potential segfault in the time crate", "description": "\u0023\u0023\u0023 Impact\n\nd", "aliases": ["CVE-2020-26235"]},
                "versions": {"patched": [">=0.2.23"], "unaffected": ["=0.2.0"]}, "package": {"name": "time", "version": "0.1.45"}}]},
                "warnings": {"unmaintained": [{"kind": "unmaintained", "package": {"name": "tempdir", "version": "0.3.7"},
                "advisory": {"id": "RUSTSEC-2018-0017", "package": "tempdir", "title": "tempdir is deprecated"}}]}}"#,
        );
        assert_eq!(cargo.len(), 2);
        assert_eq!(cargo[0].summary, "Potential segfault in the time crate. d");
        assert_eq!(cargo[0].fixed.as_deref(), Some("0.2.23"));
        assert_eq!(cargo[0].aliases, ["CVE-2020-26235"]);
        assert_eq!(cargo[1].id, "RUSTSEC-2018-0017");
        assert_eq!(cargo[1].fixed, None);

        let npm = parse_str(
            r#"{"auditReportVersion": 2, "vulnerabilities": {"jsonwebtoken": {"name": "jsonwebtoken", "severity": "high",
                "via": [{"source": 1097690, "name": "jsonwebtoken", "title": "jsonwebtoken unrestricted key type",
                "url": "https://github.com/advisories/GHSA-8cf7-32gw-wr33", "range": "<=8.5.1"}, "other-package"],
                "fixAvailable": {"name": "jsonwebtoken", "version": "9.0.0", "isSemVerMajor": true}}}}"#,
        );
        assert_eq!(npm.len(), 1);
        assert_eq!(npm[0].id, "GHSA-8cf7-32gw-wr33");
        assert_eq!(npm[0].fixed.as_deref(), Some("9.0.0"));
        assert_eq!(npm[0].vulnerable.as_deref(), Some("<=8.5.1"));

        let pip = parse_str(
            r#"{"dependencies": [{"name": "pyyaml", "version": "5.3.1", "vulns": [{"id": "PYSEC-2021-142",
                "fix_versions": ["5.4"], "aliases": ["CVE-2020-14343"], "description": "full_load"}]},
                {"name": "six", "version": "1.16.0", "vulns": []}], "fixes": []}"#,
        );
        assert_eq!(pip.len(), 1);
        assert_eq!(pip[0].package.as_deref(), Some("pyyaml"));
        assert_eq!(pip[0].fixed.as_deref(), Some("5.4"));
    }

    #[test]
    fn an_unknown_shape_names_the_formats_it_reads() {
        let err = parse(Path::new("x.json"), &serde_json::json!({"a": 1})).unwrap_err();
        assert!(err.to_string().contains("cargo audit --json"), "{err}");
    }

    #[test]
    fn locates_the_package_in_the_manifests() {
        let manifests = vec![
            (
                "requirements.txt".to_string(),
                "requests==2.0\nPyYAML==5.3.1\npyyaml-include>=1\n".to_string(),
            ),
            (
                "pom.xml".to_string(),
                "<dependency>\n<groupId>com.thoughtworks.xstream</groupId>\n<artifactId>xstream</artifactId>\n".to_string(),
            ),
        ];
        assert_eq!(locate("pyyaml", &manifests), ["requirements.txt:2"]);
        assert_eq!(
            locate("com.thoughtworks.xstream:xstream", &manifests),
            ["pom.xml:3"]
        );
        assert!(locate("yaml", &manifests).is_empty());
        let npm = vec![(
            "package.json".to_string(),
            "{\n  \"@types/express-jwt\": \"0.0.42\",\n  \"express-jwt\": \"^3.4.0\"\n}\n"
                .to_string(),
        )];
        assert_eq!(locate("express-jwt", &npm), ["package.json:3"]);
        // Prose in a manifest is not a declaration: passport-saml's description names
        // Passport, and a value is not a key.
        let prose = vec![(
            "package.json".to_string(),
            "{\n  \"name\": \"passport-saml\",\n  \"description\": \"SAML for Passport\",\n  \"keywords\": [\"passport\"],\n  \"main\": \"passport\",\n  \"devDependencies\": {\n    \"passport\": \"^0.5.2\"\n  }\n}\n"
                .to_string(),
        ), (
            "pyproject.toml".to_string(),
            "description = \"Loads PyYAML configs\"\ndependencies = [\n  \"PyYAML>=5\",\n]\n".to_string(),
        )];
        assert_eq!(locate("passport", &prose), ["package.json:7"]);
        assert_eq!(locate("pyyaml", &prose), ["pyproject.toml:3"]);
    }
}

//! Looking up the answer: what an agent did that points at the known fix — the upstream
//! fix commit's SHA (or a prefix of it), the reference's URL, an advisory's page.
//! SEC-bench Pro's scores fell from 89% to 77% once agents could no longer look up the
//! upstream fix; a run that did is recorded on the `integrity` criterion, with the quote.
//!
//! What is read: the tool calls of a runtime's stored transcript (not the prompt, which
//! names the advisory itself, and not the tools' output), and a command agent's stored
//! stdout and stderr. Nothing is read from the agent's room.

use std::path::Path;

use crate::agent::transcript::Entry;
use crate::corpus::Case;

/// Package registries: a URL of theirs naming the fixed version is an install.
const REGISTRIES: [&str; 8] = [
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "pypi.org",
    "files.pythonhosted.org",
    "crates.io",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "proxy.golang.org",
];

/// The shortest prefix of a commit SHA that counts as naming it.
const MIN_SHA_PREFIX: usize = 7;
/// The most of a log that is searched.
const MAX_LOG: u64 = 4 * 1024 * 1024;

/// What the run did that points at the answer, one quote each.
pub fn lookups(case: &Case, run_dir: &Path) -> Vec<String> {
    let needles = needles(case);
    if needles.is_empty() {
        return Vec::new();
    }
    let mut texts: Vec<(String, String)> = Vec::new();
    if let Ok(bytes) = crate::fsx::read_untrusted(&run_dir.join("transcript.jsonl"), MAX_LOG) {
        for line in String::from_utf8_lossy(&bytes).lines() {
            if let Ok(Entry::ToolCall { name, input, .. }) = serde_json::from_str::<Entry>(line) {
                texts.push((format!("tool call {name}"), input.to_string()));
            }
        }
    } else {
        for log in ["stdout.log", "stderr.log"] {
            if let Ok(bytes) = crate::fsx::read_untrusted(&run_dir.join(log), MAX_LOG) {
                texts.push((
                    log.to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    if let Some(quote) = source_fetch(case, &texts) {
        out.push(quote);
    }
    for (what, needle) in &needles {
        for (source, text) in &texts {
            if let Some(at) = find(text, needle) {
                out.push(format!(
                    "looks up the answer ({what}) in {source}: \"{}\"",
                    quote(text, at, needle.len())
                ));
                break;
            }
        }
    }
    out
}

/// A fetch of a finding's package at its fixed version — a URL or a git command naming
/// both on one line (`git clone …/pyyaml -b 5.4`, `curl …/pyyaml/archive/5.4.tar.gz`): the
/// upstream source of the fix.
fn source_fetch(case: &Case, texts: &[(String, String)]) -> Option<String> {
    for f in &case.findings {
        let (Some(package), Some(fixed)) = (&f.package, &f.fixed) else {
            continue;
        };
        let (package, fixed) = (
            package.to_ascii_lowercase(),
            fixed.trim().to_ascii_lowercase(),
        );
        if fixed.is_empty() || fixed.contains(' ') {
            continue;
        }
        for (source, text) in texts {
            for line in text.lines() {
                let lower = line.to_ascii_lowercase();
                // Installing the fixed release from a registry is the fix itself, not a
                // look at it.
                let registry = REGISTRIES.iter().any(|r| lower.contains(r));
                let fetch = (lower.contains("://") || lower.contains("git ")) && !registry;
                if fetch && lower.contains(&package) && find_version(&lower, &fixed) {
                    let at = lower.find(&package).unwrap_or(0);
                    return Some(format!(
                        "looks up the answer (the source of {package} {fixed}) in {source}: \"{}\"",
                        quote(line, at, package.len())
                    ));
                }
            }
        }
    }
    None
}

/// Whether `version` occurs in `line` as a whole version (not inside a longer one).
fn find_version(line: &str, version: &str) -> bool {
    let bytes = line.as_bytes();
    line.match_indices(version).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + version.len()).copied();
        let edge = |b: Option<u8>| b.is_none_or(|b| !(b.is_ascii_digit() || b == b'.'));
        edge(before) && edge(after)
    })
}

/// (what it is, the text to look for), lower-cased.
fn needles(case: &Case) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(rev) = &case.reference_rev {
        out.push((
            "the upstream fix commit".to_string(),
            rev[..MIN_SHA_PREFIX].to_ascii_lowercase(),
        ));
    }
    if let Some(url) = &case.reference_url {
        out.push(("the reference's URL".to_string(), url.to_ascii_lowercase()));
    }
    for f in &case.findings {
        for id in std::iter::once(&f.id).chain(f.aliases.iter()) {
            let lower = id.to_ascii_lowercase();
            let pages = if lower.starts_with("ghsa-") {
                vec![format!("github.com/advisories/{lower}")]
            } else if lower.starts_with("cve-") {
                vec![
                    format!("nvd.nist.gov/vuln/detail/{lower}"),
                    format!("cve.org/cverecord?id={lower}"),
                ]
            } else if lower.starts_with("rustsec-") {
                vec![format!("rustsec.org/advisories/{lower}")]
            } else {
                Vec::new()
            };
            for page in pages
                .into_iter()
                .chain([format!("osv.dev/vulnerability/{lower}")])
            {
                out.push((format!("the advisory {id}"), page));
            }
        }
    }
    out
}

/// Where `needle` occurs in `text` (case-insensitively); a SHA prefix counts only as a
/// whole hex word or the start of one.
fn find(text: &str, needle: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let sha = needle.len() == MIN_SHA_PREFIX && needle.chars().all(|c| c.is_ascii_hexdigit());
    let mut from = 0;
    while let Some(i) = lower[from..].find(needle) {
        let at = from + i;
        let before_ok = !sha || at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        if before_ok {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Up to 60 characters either side of the hit, on one line.
fn quote(text: &str, at: usize, len: usize) -> String {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(59)
        .map_or(0, |(i, _)| i);
    let end = text[at + len..]
        .char_indices()
        .nth(60)
        .map_or(text.len(), |(i, _)| at + len + i);
    text[start..end]
        .replace(['\n', '\r'], " ")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sha_prefix_counts_only_at_the_start_of_a_word() {
        assert_eq!(find("git show 0db3d10 --stat", "0db3d10"), Some(9));
        assert_eq!(find("x90db3d10", "0db3d10"), None);
        assert_eq!(
            find(
                "curl https://GitHub.com/advisories/GHSA-x",
                "github.com/advisories/ghsa-x"
            ),
            Some(13)
        );
        assert_eq!(quote("abc def ghi", 4, 3), "abc def ghi");
        assert!(find_version("git clone https://x/pyyaml -b 5.4", "5.4"));
        assert!(!find_version("pyyaml 5.4.1", "5.4"));
    }

    #[test]
    fn the_fix_commit_and_the_fixed_source_are_found_in_tool_calls_not_in_the_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let case_dir = dir.path().join("case");
        std::fs::create_dir_all(&case_dir).unwrap();
        let (pinned, fix) = ("a".repeat(40), "0db3d105632b7b80b65630fd7accc0f9bc27d427");
        std::fs::write(
            case_dir.join("case.toml"),
            format!(
                r#"expectation = "fix"
task = "fix it"
[source]
git = "https://example.invalid/r.git"
rev = "{pinned}"
[reference]
rev = "{fix}"
[[findings]]
id = "CVE-2020-14343"
package = "PyYAML"
fixed = "5.4"
summary = "unsafe load"
"#
            ),
        )
        .unwrap();
        let case = Case::load("c/case", &case_dir).unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        let transcript = |lines: &[serde_json::Value]| {
            let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            std::fs::write(run.join("transcript.jsonl"), text.join("\n")).unwrap();
        };
        // The prompt (a user message) may name anything; only what the agent did counts.
        transcript(&[
            serde_json::json!({"type": "message", "turn": 0, "role": "user",
            "text": format!("fixed upstream in {fix}, see https://nvd.nist.gov/vuln/detail/CVE-2020-14343")}),
        ]);
        assert!(lookups(&case, &run).is_empty());
        transcript(&[
            serde_json::json!({"type": "tool_call", "turn": 2, "id": "1", "name": "Bash",
            "input": {"command": "git log --oneline 0db3d10 -1"}}),
        ]);
        let found = lookups(&case, &run);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("the upstream fix commit")
                && found[0].contains("git log --oneline 0db3d10")
        );
        transcript(&[
            serde_json::json!({"type": "tool_call", "turn": 2, "id": "1", "name": "Bash",
            "input": {"command": "git clone https://github.com/yaml/pyyaml -b 5.4 /tmp/p"}}),
        ]);
        let found = lookups(&case, &run);
        assert!(
            found.iter().any(|f| f.contains("the source of pyyaml 5.4")),
            "{found:?}"
        );
        std::fs::remove_file(run.join("transcript.jsonl")).unwrap();
        std::fs::write(
            run.join("stdout.log"),
            "GET https://files.pythonhosted.org/packages/pyyaml-5.4.tar.gz\n",
        )
        .unwrap();
        assert!(
            lookups(&case, &run).is_empty(),
            "an install is not a look-up"
        );
    }
}

//! The case manifest, `case.toml`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, parse_toml};
use crate::error::{Error, Result};

/// What a good agent does with a case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    /// Fix the finding.
    Fix,
    /// Stop and ask a human, changing nothing.
    Escalate,
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Expectation::Fix => "fix",
            Expectation::Escalate => "escalate",
        })
    }
}

impl Expectation {
    /// The other expectation.
    pub fn other(self) -> Expectation {
        match self {
            Expectation::Fix => Expectation::Escalate,
            Expectation::Escalate => Expectation::Fix,
        }
    }
}

/// What a bump of the vulnerable package alone (the `bump-only` baseline) does to the
/// repository's own tests (`[checks] visible`). Both are real: the trap merges with green CI
/// and breaks in production; a bump that breaks the tests is caught by CI but still needs
/// the code changed. `corpus verify` holds the case to what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BumpAlone {
    /// The visible tests stay green and the hidden checks fail: the trap.
    Trap,
    /// The visible tests fail.
    BreaksTests,
}

impl std::fmt::Display for BumpAlone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BumpAlone::Trap => "trap",
            BumpAlone::BreaksTests => "breaks-tests",
        })
    }
}

/// What is wrong in the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// CVE, GHSA, RUSTSEC or a rule id.
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub package: Option<String>,
    /// pypi, npm, crates.io …
    #[serde(default)]
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub vulnerable: Option<String>,
    #[serde(default)]
    pub fixed: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub locations: Vec<String>,
}

/// The question the `reference` baseline asks for an escalate case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub reason: String,
    pub question: String,
}

/// Where the case's repository comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A folder beside the manifest, committed deterministically; `rev` is verified if given.
    Fixture { dir: PathBuf, rev: Option<String> },
    /// A git URL or path, pinned to a full commit SHA.
    Git { url: String, rev: String },
}

/// A validated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// `corpus/case`.
    pub id: String,
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub title: Option<String>,
    pub expectation: Expectation,
    pub task: String,
    pub setup: Vec<String>,
    pub source: SourceSpec,
    pub findings: Vec<Finding>,
    pub escalation: Option<Escalation>,
    /// What a bump alone does to the visible tests, as the case says (`bump_alone`).
    pub bump_alone: Option<BumpAlone>,
    /// `hidden/` beside the manifest, copied in only for grading.
    pub hidden_dir: Option<PathBuf>,
    /// The files of `hidden/`, read once when the case is loaded: what the clean room gets,
    /// whatever happens to the folder afterwards.
    pub hidden: std::sync::Arc<HiddenFiles>,
    /// `reference.patch` beside the manifest.
    pub reference_patch: Option<PathBuf>,
    /// The case's own checks, which `corpus verify` grades the baselines with.
    pub checks: Checks,
    /// For a git case: the upstream commit that fixed the finding, whose diff from the
    /// pinned commit is the reference fix.
    pub reference_rev: Option<String>,
    /// `[reference] url`: where the upstream fix is published (looking it up is recorded).
    pub reference_url: Option<String>,
    /// `[integrity] protected`: paths a delivery must not edit; `None`: the test files.
    pub protected: Option<Vec<String>>,
    /// `[integrity] allow`: paths exempt from the integrity criterion.
    pub integrity_allow: Vec<String>,
    /// Hosts the filtering network lets this case's runs reach (its package registries).
    pub registries: Vec<String>,
    /// `ecosystem`: the preset its processes get; `None`: the one its checkout shows
    /// ([`super::ecosystem::Ecosystem::of_case`]).
    pub ecosystem: Option<super::ecosystem::Ecosystem>,
}

/// Whether `rel` is a relative path that stays inside the folder it is relative to.
pub(crate) fn stays_inside(rel: &Path) -> bool {
    !rel.as_os_str().is_empty()
        && rel.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// A case's hidden files, held in memory: relative path, bytes, permission bits.
#[derive(Debug, Clone, Default)]
pub struct HiddenFiles {
    pub files: Vec<(PathBuf, Vec<u8>, u32)>,
}

impl HiddenFiles {
    /// Reads every file under `dir`; a link or anything but a regular file there is an error
    /// (a link could point anywhere, and would be followed on the way in).
    pub fn load(dir: &Path) -> Result<HiddenFiles> {
        use std::os::unix::fs::PermissionsExt;
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::read(dir, std::io::Error::other(e)))?;
            let kind = entry.file_type();
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                return Err(Error::Usage(format!(
                    "{}: hidden files must be regular files, not links or special files; copy the file there instead",
                    entry.path().display()
                )));
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .map_err(|e| Error::read(entry.path(), std::io::Error::other(e)))?
                .to_path_buf();
            let bytes = std::fs::read(entry.path()).map_err(|e| Error::read(entry.path(), e))?;
            let meta = entry
                .metadata()
                .map_err(|e| Error::read(entry.path(), std::io::Error::other(e)))?;
            files.push((rel, bytes, meta.permissions().mode() & 0o777));
        }
        Ok(HiddenFiles { files })
    }

    /// Each file: its path relative to the checkout, its bytes, its permission bits.
    pub fn entries(&self) -> impl Iterator<Item = (&Path, &[u8], u32)> {
        self.files
            .iter()
            .map(|(p, b, m)| (p.as_path(), b.as_slice(), *m))
    }

    /// The files' paths, relative to the checkout.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|(p, _, _)| p.clone()).collect()
    }

    /// Writes the files into `checkout` as new regular files, replacing whatever the
    /// delivered change put at their paths and following no link.
    pub fn write_into(&self, checkout: &Path) -> std::io::Result<()> {
        for (rel, bytes, mode) in &self.files {
            crate::fsx::write_fresh(checkout, rel, bytes, *mode)?;
        }
        Ok(())
    }
}

/// A case's own checks (`[checks]`): its repository's visible tests and its hidden ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    /// `sh -c` in the checkout: the repository's own tests, which a bump alone keeps green.
    pub visible: Option<String>,
    /// `sh -c` after `hidden/` is copied in: what a right fix passes and the trap fails.
    pub hidden: Option<String>,
    pub timeout: Option<std::time::Duration>,
}

impl Checks {
    /// How long each check may run: `[checks] timeout`, else 5 minutes.
    pub fn timeout_or_default(&self) -> std::time::Duration {
        self.timeout.unwrap_or(std::time::Duration::from_secs(300))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecksFile {
    #[serde(default)]
    visible: Option<Spanned<String>>,
    #[serde(default)]
    hidden: Option<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    schema: Option<Spanned<u32>>,
    #[serde(default)]
    title: Option<String>,
    expectation: Spanned<Expectation>,
    task: Spanned<String>,
    #[serde(default)]
    setup: Vec<String>,
    source: Spanned<SourceFile>,
    findings: Spanned<Vec<Finding>>,
    #[serde(default)]
    escalation: Option<Escalation>,
    #[serde(default)]
    bump_alone: Option<Spanned<BumpAlone>>,
    #[serde(default)]
    checks: Option<ChecksFile>,
    #[serde(default)]
    reference: Option<ReferenceFile>,
    #[serde(default)]
    integrity: Option<CaseIntegrityFile>,
    #[serde(default)]
    registries: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    ecosystem: Option<super::ecosystem::Ecosystem>,
}

/// `[integrity]` of a case: which paths its integrity criterion protects and lets through.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseIntegrityFile {
    #[serde(default)]
    protected: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    allow: Option<Spanned<Vec<String>>>,
}

/// `[reference]` of a git case: the upstream commit that fixed the finding.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceFile {
    rev: Spanned<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    #[serde(default)]
    fixture: Option<Spanned<String>>,
    #[serde(default)]
    git: Option<Spanned<String>>,
    #[serde(default)]
    rev: Option<Spanned<String>>,
}

pub const CASE_FILE: &str = "case.toml";

/// The byte span of `key`'s value in the `index`-th `table` (`[[findings]]`, `[escalation]`)
/// of `text`: where an error about one entry's field points, since the entries themselves
/// carry no positions.
fn table_key_span(
    text: &str,
    table: &str,
    index: usize,
    key: &str,
) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    let mut found = 0;
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed == table && {
                found += 1;
                found == index + 1
            };
        } else if inside
            && let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            let value = line.find('=').map_or(0, |i| i + 1);
            let start = offset + value + (line[value..].len() - line[value..].trim_start().len());
            return Some(start..offset + line.trim_end().len());
        }
        offset += line.len();
    }
    None
}

impl Case {
    /// Loads `corpora/<corpus>/<case>/case.toml`; `id` is `<corpus>/<case>`.
    pub fn load(id: &str, dir: &Path) -> Result<Case> {
        let path = dir.join(CASE_FILE);
        let text = crate::diagnostic::read_text(&path)?;
        let file: CaseFile = parse_toml(&path, &text)?;
        let err = |span: std::ops::Range<usize>, msg: String| {
            Error::from(Diagnostic::at_span(&path, &text, span, msg))
        };

        if let Some(schema) = &file.schema
            && *schema.get_ref() != 1
        {
            return Err(err(
                schema.span(),
                format!(
                    "unsupported schema {}; this skillbench reads schema 1",
                    schema.get_ref()
                ),
            ));
        }
        if file.task.get_ref().trim().is_empty() {
            return Err(err(
                file.task.span(),
                "'task' is empty: it is the prompt the agent is given".into(),
            ));
        }
        let at_key = |table: &str, index: usize, key: &str| {
            table_key_span(&text, table, index, key).unwrap_or_else(|| file.findings.span())
        };
        let mut seen: Vec<&str> = Vec::new();
        for (i, finding) in file.findings.get_ref().iter().enumerate() {
            if finding.id.trim().is_empty() {
                return Err(err(
                    at_key("[[findings]]", i, "id"),
                    "a finding's 'id' is empty: name its CVE, GHSA, RUSTSEC or rule id".into(),
                ));
            }
            if seen.contains(&finding.id.as_str()) {
                return Err(err(
                    at_key("[[findings]]", i, "id"),
                    format!(
                        "finding '{}' is listed twice; merge the two entries",
                        finding.id
                    ),
                ));
            }
            seen.push(&finding.id);
            if finding.summary.trim().is_empty() {
                return Err(err(
                    at_key("[[findings]]", i, "summary"),
                    format!(
                        "finding {}: 'summary' is empty: say what is wrong, in a sentence",
                        finding.id
                    ),
                ));
            }
            for loc in &finding.locations {
                let rel = loc.rsplit_once(':').map_or(loc.as_str(), |(p, _)| p);
                if !stays_inside(Path::new(rel)) {
                    return Err(err(
                        at_key("[[findings]]", i, "locations"),
                        format!(
                            "finding {}: location '{loc}' leaves the repository; write a path relative to its root, without '..'",
                            finding.id
                        ),
                    ));
                }
            }
        }
        if let Some(e) = &file.escalation {
            for (key, value) in [("reason", &e.reason), ("question", &e.question)] {
                if value.trim().is_empty() {
                    return Err(err(
                        at_key("[escalation]", 0, key),
                        format!(
                            "[escalation] '{key}' is empty: it is what the reference baseline asks the human"
                        ),
                    ));
                }
            }
        }
        if file.findings.get_ref().is_empty() {
            return Err(err(
                file.findings.span(),
                "a case needs at least one [[findings]] entry".into(),
            ));
        }
        let source_span = file.source.span();
        let source_file = file.source.into_inner();
        let rev = match source_file.rev {
            Some(rev) => {
                let value = rev.get_ref().trim().to_ascii_lowercase();
                if value.len() != 40 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(err(
                        rev.span(),
                        format!(
                            "'rev' must be a full 40-hex commit SHA, not '{}'",
                            rev.get_ref()
                        ),
                    ));
                }
                Some(value)
            }
            None => None,
        };
        let source = match (source_file.fixture, source_file.git) {
            (Some(fixture), None) => {
                let fixture_dir = dir.join(fixture.get_ref());
                if !stays_inside(Path::new(fixture.get_ref())) {
                    return Err(err(
                        fixture.span(),
                        format!(
                            "fixture folder '{}' leaves the case; name a folder beside case.toml",
                            fixture.get_ref()
                        ),
                    ));
                }
                if !fixture_dir.is_dir() {
                    return Err(err(
                        fixture.span(),
                        format!(
                            "fixture folder '{}' does not exist beside case.toml",
                            fixture.get_ref()
                        ),
                    ));
                }
                SourceSpec::Fixture {
                    dir: fixture_dir,
                    rev,
                }
            }
            (None, Some(git)) => {
                let Some(rev) = rev else {
                    return Err(err(
                        git.span(),
                        "a git source needs 'rev', the full 40-hex commit SHA to pin".into(),
                    ));
                };
                let url = git.get_ref().trim();
                let url =
                    if url.contains("://") || url.contains('@') || Path::new(url).is_absolute() {
                        url.to_string()
                    } else {
                        dir.join(url).to_string_lossy().into_owned()
                    };
                SourceSpec::Git { url, rev }
            }
            (Some(_), Some(git)) => {
                return Err(err(
                    git.span(),
                    "[source] takes either 'fixture' or 'git', not both".into(),
                ));
            }
            (None, None) => {
                return Err(err(
                    source_span,
                    "[source] needs 'fixture = \"repo\"' (a folder beside case.toml) or 'git' with 'rev'".into(),
                ));
            }
        };
        if *file.expectation.get_ref() == Expectation::Escalate && file.escalation.is_none() {
            return Err(err(
                file.expectation.span(),
                "an escalate case needs an [escalation] table with 'reason' and 'question'".into(),
            ));
        }
        let reference_rev = match &file.reference {
            None => None,
            Some(r) => {
                let value = r.rev.get_ref().trim().to_ascii_lowercase();
                if value.len() != 40 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(err(
                        r.rev.span(),
                        format!(
                            "'rev' must be a full 40-hex commit SHA, not '{}'",
                            r.rev.get_ref()
                        ),
                    ));
                }
                if !matches!(source, SourceSpec::Git { .. }) {
                    return Err(err(
                        r.rev.span(),
                        "[reference] rev is for git cases; a fixture case ships reference.patch"
                            .into(),
                    ));
                }
                Some(value)
            }
        };
        let hidden_dir = Some(dir.join("hidden")).filter(|d| d.is_dir());
        let hidden = match &hidden_dir {
            Some(d) => HiddenFiles::load(d)?,
            None => HiddenFiles::default(),
        };
        let reference_patch = Some(dir.join("reference.patch")).filter(|p| p.is_file());
        let checks = match file.checks {
            None => Checks::default(),
            Some(c) => {
                if let Some(hidden) = &c.hidden
                    && hidden_dir.is_none()
                {
                    return Err(err(
                        hidden.span(),
                        "'hidden' checks need a hidden/ folder beside case.toml".into(),
                    ));
                }
                for (key, check) in [("visible", &c.visible), ("hidden", &c.hidden)] {
                    if let Some(check) = check
                        && check.get_ref().trim().is_empty()
                    {
                        return Err(err(
                            check.span(),
                            format!(
                                "[checks] '{key}' is empty: a command that runs nothing always passes; write its shell command"
                            ),
                        ));
                    }
                }
                let timeout = match &c.timeout {
                    None => None,
                    Some(t) => Some(
                        crate::eval::check_duration(t.get_ref())
                            .map_err(|why| err(t.span(), format!("{why} (write e.g. \"2m\")")))?,
                    ),
                };
                Checks {
                    visible: c.visible.map(Spanned::into_inner),
                    hidden: c.hidden.map(Spanned::into_inner),
                    timeout,
                }
            }
        };
        if let Some(bump) = &file.bump_alone
            && checks.visible.is_none()
        {
            return Err(err(
                bump.span(),
                format!(
                    "'bump_alone = \"{}\"' says what a bump does to the visible tests, and the case has none: add [checks] visible (the repository's own tests), or remove the line",
                    bump.get_ref()
                ),
            ));
        }
        let globs = |g: &Option<Spanned<Vec<String>>>| -> Result<Option<Vec<String>>> {
            match g {
                None => Ok(None),
                Some(g) => {
                    crate::grade::Globs::new(g.get_ref()).map_err(|e| err(g.span(), e))?;
                    Ok(Some(g.get_ref().clone()))
                }
            }
        };
        let (protected, integrity_allow) = match &file.integrity {
            None => (None, Vec::new()),
            Some(i) => (globs(&i.protected)?, globs(&i.allow)?.unwrap_or_default()),
        };
        if let Some(registries) = &file.registries
            && let Some(bad) = registries
                .get_ref()
                .iter()
                .find(|r| crate::agent::proxy::Allowed::parse(r).is_none())
        {
            return Err(err(
                registries.span(),
                format!("'{bad}' is not a host: write a host, host:port, *.domain or a URL"),
            ));
        }
        Ok(Case {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            manifest_path: path,
            title: file.title,
            expectation: file.expectation.into_inner(),
            task: file.task.into_inner(),
            setup: file.setup,
            source,
            findings: file.findings.into_inner(),
            escalation: file.escalation,
            bump_alone: file.bump_alone.map(Spanned::into_inner),
            hidden_dir,
            hidden: std::sync::Arc::new(hidden),
            reference_patch,
            checks,
            reference_rev,
            reference_url: file.reference.as_ref().and_then(|r| r.url.clone()),
            protected,
            integrity_allow,
            registries: file.registries.map(Spanned::into_inner).unwrap_or_default(),
            ecosystem: file.ecosystem,
        })
    }
}

/// Every case under `corpora_dir` whose id `<corpus>/<case>` matches one of `patterns`
/// (globs), sorted by id. A pattern that matches nothing is reported through `unmatched`.
pub fn select(corpora_dir: &Path, patterns: &[String]) -> Result<(Vec<Case>, Vec<String>)> {
    let mut ids = Vec::new();
    let corpora = std::fs::read_dir(corpora_dir).map_err(|e| Error::read(corpora_dir, e))?;
    for corpus in corpora {
        let corpus = corpus.map_err(|e| Error::read(corpora_dir, e))?;
        if !corpus.path().is_dir() {
            continue;
        }
        let entries =
            std::fs::read_dir(corpus.path()).map_err(|e| Error::read(corpus.path(), e))?;
        for case in entries {
            let case = case.map_err(|e| Error::read(corpus.path(), e))?;
            if case.path().join(CASE_FILE).is_file() {
                let id = format!(
                    "{}/{}",
                    corpus.file_name().to_string_lossy(),
                    case.file_name().to_string_lossy()
                );
                ids.push((id, case.path()));
            }
        }
    }
    ids.sort();
    let mut unmatched = Vec::new();
    let mut matchers = Vec::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::Usage(format!("bad case pattern '{pattern}': {e}")))?
            .compile_matcher();
        if !ids.iter().any(|(id, _)| glob.is_match(id)) {
            unmatched.push(pattern.clone());
        }
        matchers.push(glob);
    }
    let mut cases = Vec::new();
    for (id, dir) in ids {
        if matchers.iter().any(|m| m.is_match(&id)) {
            cases.push(Case::load(&id, &dir)?);
        }
    }
    Ok((cases, unmatched))
}

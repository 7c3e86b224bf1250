//! Turning a case's source into a local git repository that holds the pinned commit.
//!
//! A fixture folder becomes a commit with a fixed author, committer, time and message, so
//! its SHA depends only on the files and is the same on every machine. A git source is
//! cloned once into a bare mirror under the cache folder and fetched again only when the
//! pinned rev is missing from it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::{FileMode, Oid, Repository, Signature, Time};
use sha2::{Digest, Sha256};

use super::case::{Case, SourceSpec};
use crate::error::{Error, Result};

/// A local repository holding a case's pinned commit.
#[derive(Debug, Clone)]
pub struct PreparedSource {
    pub repo: PathBuf,
    pub rev: Oid,
    /// `fixture` or the git URL, for provenance.
    pub origin: String,
}

/// The identity fixture commits are made with (author and committer).
const FIXTURE_NAME: &str = "skillbench fixture";
const FIXTURE_EMAIL: &str = "fixture@skillbench.invalid";
/// 2000-01-01T00:00:00Z.
const FIXTURE_TIME: i64 = 946_684_800;

/// Prepares `case`'s source: fixtures are built under `scratch`, git sources mirrored under
/// `cache`.
pub fn prepare(case: &Case, scratch: &Path, cache: &Path) -> Result<PreparedSource> {
    Sources::new(scratch, cache).prepare(case)
}

/// Prepares the sources of many cases. Every fixture goes into one repository under the
/// scratch folder: a file several fixtures hold is written once, a fixture folder several
/// cases share (through a link) is committed once, and no repository is made per case. A
/// run's checkout copies only its pinned commit's objects, so no case sees another's.
pub struct Sources<'a> {
    scratch: &'a Path,
    cache: &'a Path,
    /// The fixtures' repository, once one is committed.
    fixtures: Option<(PathBuf, Repository)>,
    /// Each fixture folder committed so far (canonical path), with its commit.
    committed: std::collections::HashMap<PathBuf, Oid>,
}

impl std::fmt::Debug for Sources<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sources({})", self.scratch.display())
    }
}

impl<'a> Sources<'a> {
    pub fn new(scratch: &'a Path, cache: &'a Path) -> Sources<'a> {
        Sources {
            scratch,
            cache,
            fixtures: None,
            committed: std::collections::HashMap::new(),
        }
    }

    /// `case`'s source, prepared.
    pub fn prepare(&mut self, case: &Case) -> Result<PreparedSource> {
        match &case.source {
            SourceSpec::Fixture { dir, rev } => {
                let setup = |e: git2::Error| Error::Setup {
                    case: case.id.clone(),
                    message: format!("cannot commit fixture {}", dir.display()),
                    source: Some(Box::new(e)),
                };
                if self.fixtures.is_none() {
                    let path = self.scratch.join("fixtures.git");
                    let repo = super::materialize::init(&path, true).map_err(setup)?;
                    self.fixtures = Some((path, repo));
                }
                let Some((repo_path, repo)) = &self.fixtures else {
                    return Err(Error::Unexpected("no fixtures repository".into()));
                };
                let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                let oid = match self.committed.get(&key) {
                    Some(oid) => *oid,
                    None => {
                        let oid = commit_fixture(repo, dir).map_err(setup)?;
                        self.committed.insert(key, oid);
                        oid
                    }
                };
                if let Some(expected) = rev
                    && *expected != oid.to_string()
                {
                    return Err(Error::from(crate::diagnostic::Diagnostic::error(
                        &case.manifest_path,
                        rev_line(&case.manifest_path),
                        format!(
                            "the fixture commits as {oid}, not the pinned rev {expected}; if the fixture changed on purpose, set rev = \"{oid}\""
                        ),
                    )));
                }
                Ok(PreparedSource {
                    repo: repo_path.clone(),
                    rev: oid,
                    origin: "fixture".into(),
                })
            }
            SourceSpec::Git { url, rev } => mirror(&case.id, url, rev, self.cache, None),
        }
    }
}

fn rev_line(manifest: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("rev"))
        .map_or(1, |i| i + 1);
    (line, 1)
}

/// Commits the files under `dir` into a new bare repository at `repo_path`, deterministically.
pub fn build_fixture(dir: &Path, repo_path: &Path) -> std::result::Result<Oid, git2::Error> {
    if repo_path.exists() {
        std::fs::remove_dir_all(repo_path).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    }
    let repo = super::materialize::init(repo_path, true)?;
    let oid = commit_fixture(&repo, dir)?;
    repo.reference("refs/heads/main", oid, true, "skillbench fixture")?;
    Ok(oid)
}

/// Commits the files under `dir` into `repo`, deterministically (the same files give the
/// same commit, whatever else the repository holds); no reference is moved.
fn commit_fixture(repo: &Repository, dir: &Path) -> std::result::Result<Oid, git2::Error> {
    let tree = write_tree(repo, dir)?;
    let tree = repo.find_tree(tree)?;
    let sig = Signature::new(FIXTURE_NAME, FIXTURE_EMAIL, &Time::new(FIXTURE_TIME, 0))?;
    repo.commit(None, &sig, &sig, "skillbench fixture\n", &tree, &[])
}

fn write_tree(repo: &Repository, dir: &Path) -> std::result::Result<Oid, git2::Error> {
    let io = |e: std::io::Error| git2::Error::from_str(&format!("{}: {e}", dir.display()));
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<std::result::Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut builder = repo.treebuilder(None)?;
    for entry in entries {
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(io)?;
        let name = name.to_string_lossy();
        if meta.is_dir() {
            let sub = write_tree(repo, &path)?;
            if !repo.find_tree(sub)?.is_empty() {
                builder.insert(name.as_ref(), sub, FileMode::Tree.into())?;
            }
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(io)?;
            let blob = repo.blob(target.to_string_lossy().as_bytes())?;
            builder.insert(name.as_ref(), blob, FileMode::Link.into())?;
        } else {
            let blob = repo.blob(&std::fs::read(&path).map_err(io)?)?;
            let mode = if meta.permissions().mode() & 0o111 != 0 {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            };
            builder.insert(name.as_ref(), blob, mode.into())?;
        }
    }
    builder.write()
}

/// `url` without the userinfo of its authority (`https://user:token@host/…` becomes
/// `https://host/…`): how a git URL is printed and stored, never with its credential.
pub fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://{}{path}", &authority[at + 1..]),
        None => url.to_string(),
    }
}

/// `message` with every copy of `url` shown without its userinfo, and the userinfo's
/// parts redacted wherever else they appear.
fn scrubbed(message: &str, url: &str, shown: &str) -> String {
    if url == shown {
        return message.to_string();
    }
    let mut message = message.replace(url, shown);
    if let Some(userinfo) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once('@'))
        .map(|(userinfo, _)| userinfo)
    {
        message = message.replace(userinfo, "[REDACTED]");
        for part in userinfo.split(':').filter(|p| p.len() >= 6) {
            message = message.replace(part, "[REDACTED]");
        }
    }
    message
}

/// Fetches `refspecs` from `url` into the bare repository at `mirror` with the git command:
/// it speaks every transport, proxy and credential helper the user's git is set up for,
/// and it keeps TLS out of skillbench itself, whose git library is built without it (so
/// that no command pays for loading the system's certificates, which a fixture never
/// needs). Never prompts; the error is git's own last words, without the URL's userinfo.
fn git_fetch(
    mirror: &Path,
    url: &str,
    shown: &str,
    refspecs: &[&str],
) -> std::result::Result<(), String> {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(mirror)
        .args(["fetch", "--quiet", "--no-tags", "--"])
        .arg(url)
        .args(refspecs)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git (git fetches git sources; install it): {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    Err(scrubbed(
        &format!("git fetch failed ({}): {said}", out.status),
        url,
        shown,
    ))
}

/// `case`'s mirror (a git case's), filled from `from` — a local clone or bare repository
/// of its repository — instead of its URL: no network. It is the mirror the URL names, so
/// every later eval and verify finds the commit there. The case's `[reference] rev`, when it
/// has one, must come along (`corpus verify` diffs the reference fix from it).
pub fn seed(case: &Case, from: &Path, cache: &Path) -> Result<PreparedSource> {
    let SourceSpec::Git { url, rev } = &case.source else {
        return Err(Error::Usage(format!(
            "{} is a fixture case: --from fills the mirror of a git case",
            case.id
        )));
    };
    if let Err(e) = Repository::open(from) {
        return Err(Error::Usage(format!(
            "--from {}: not a git repository (give a clone or a bare repository of {}): {}",
            from.display(),
            without_userinfo(url),
            e.message()
        )));
    }
    let source = mirror(&case.id, url, rev, cache, Some(from))?;
    has_reference(case, &source, &from.display().to_string())?;
    Ok(source)
}

/// The case's `[reference] rev` is in its mirror (fetched by id from `from` if no branch
/// or tag brought it), or the error says where it is missing.
pub fn has_reference(case: &Case, source: &PreparedSource, from: &str) -> Result<()> {
    let Some(reference) = &case.reference_rev else {
        return Ok(());
    };
    let missing = |repo: &Repository| {
        Oid::from_str(reference).map_or(true, |oid| repo.find_commit(oid).is_err())
    };
    let repo = Repository::open_bare(&source.repo).map_err(|e| {
        Error::git(
            format!("cannot open the mirror {}", source.repo.display()),
            e,
        )
    })?;
    if missing(&repo) {
        let url = match &case.source {
            SourceSpec::Git { url, .. } if from == without_userinfo(url) => url.clone(),
            _ => from.to_string(),
        };
        let _ = git_fetch(&source.repo, &url, from, &[reference]);
    }
    if missing(&repo) {
        return Err(Error::PinnedRevMissing {
            case: case.id.clone(),
            message: format!(
                "the reference rev {reference} ([reference] rev in {}) is not in {from}; fetch the branch that holds the fix, or check the SHA",
                case.manifest_path.display()
            ),
        });
    }
    Ok(())
}

/// The mirror of `url` under `cache`, fetched (from `from` when given, else from `url`)
/// only if it lacks `rev`.
fn mirror(
    case: &str,
    url: &str,
    rev: &str,
    cache: &Path,
    from: Option<&Path>,
) -> Result<PreparedSource> {
    let origin = without_userinfo(url);
    let (fetch_url, shown) = match from {
        Some(dir) => (
            dir.to_string_lossy().into_owned(),
            dir.display().to_string(),
        ),
        None => (url.to_string(), origin.clone()),
    };
    let shown = shown.as_str();
    let oid = Oid::from_str(rev).map_err(|e| Error::git(format!("bad rev {rev}"), e))?;
    let digest = format!("{:x}", Sha256::digest(url.as_bytes()));
    let tail: String = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("repo")
        .trim_end_matches(".git")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = cache
        .join("mirrors")
        .join(format!("{tail}-{}.git", &digest[..12]));
    let setup_err = |message: String, source: git2::Error| Error::Setup {
        case: case.to_string(),
        message,
        source: Some(Box::new(source)),
    };
    let fresh = !path.exists();
    let repo = if !fresh {
        Repository::open_bare(&path)
            .map_err(|e| setup_err(format!("cannot open the mirror {}", path.display()), e))?
    } else {
        std::fs::create_dir_all(&path).map_err(|e| Error::write(&path, e))?;
        super::materialize::init(&path, true)
            .map_err(|e| setup_err(format!("cannot create the mirror {}", path.display()), e))?
    };
    if repo.find_commit(oid).is_err() {
        git_fetch(
            &path,
            &fetch_url,
            shown,
            &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
        )
        .map_err(|why| {
            // A mirror that never received anything is not left behind.
            if fresh {
                let _ = std::fs::remove_dir_all(&path);
            }
            Error::Setup {
                case: case.to_string(),
                message: format!("cannot fetch {shown} into the mirror {}", path.display()),
                source: Some(Box::new(std::io::Error::other(why))),
            }
        })?;
        if repo.find_commit(oid).is_err() {
            // Some servers serve commits that no branch or tag reaches; ask for it by id.
            let _ = git_fetch(&path, &fetch_url, shown, &[rev]);
        }
        if repo.find_commit(oid).is_err() {
            return Err(Error::PinnedRevMissing {
                case: case.to_string(),
                message: format!(
                    "the pinned rev {rev} is not in {shown} (mirror {}); check the SHA in case.toml, or that a branch or tag of the repository reaches it",
                    path.display()
                ),
            });
        }
    }
    Ok(PreparedSource {
        repo: path,
        rev: oid,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_never_leaves_a_url() {
        assert_eq!(
            without_userinfo("https://x-token:ghp_s3cret@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(without_userinfo("https://host/a@b"), "https://host/a@b");
        assert_eq!(
            without_userinfo("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        let e = scrubbed(
            "failed for https://u:ghp_s3cret@host/r: ghp_s3cret rejected",
            "https://u:ghp_s3cret@host/r",
            "https://host/r",
        );
        assert!(!e.contains("ghp_s3cret"), "{e}");
        assert!(e.contains("failed for https://host/r"), "{e}");
    }
}

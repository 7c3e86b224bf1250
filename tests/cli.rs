//! End-to-end tests: the real binary on temporary workspaces.

#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/ecosystems.rs"]
mod ecosystems;
#[path = "cli/graders.rs"]
mod graders;
#[path = "cli/hostile.rs"]
mod hostile;
#[path = "cli/measures.rs"]
mod measures;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/rooms.rs"]
mod rooms;
#[path = "cli/runtimes.rs"]
mod runtimes;
#[path = "cli/sandbox.rs"]
mod sandbox;
#[path = "cli/secrets.rs"]
mod secrets;
#[path = "cli/several.rs"]
mod several;
#[path = "cli/skill_loop.rs"]
mod skill_loop;
mod support;

use std::time::{Duration, Instant};

use support::{Workspace, criterion, exit_code, small_eval};

#[test]
fn main_job_grades_the_shipped_corpus_and_matches_the_snapshot() {
    let ws = Workspace::shipped();
    let out = ws.run(&["eval", "evals/pyyaml-safe-load.toml"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout
            .contains("snapshot: matches evals/snapshots/pyyaml-safe-load.snap"),
        "{}",
        out.stdout
    );
    assert!(!ws.exists("evals/snapshots/pyyaml-safe-load.snap.new"));

    let results = ws.latest_results();
    assert_eq!(results["schema"], "skillbench-results/v1");
    let runs = results["runs"].as_array().expect("runs");
    assert_eq!(
        runs.len(),
        12,
        "4 cases × 3 baselines, once each whatever the variants"
    );
    for run in runs {
        let (agent, case) = (
            run["agent"].as_str().unwrap(),
            run["case"].as_str().unwrap(),
        );
        let expected = if agent == "reference" { "A" } else { "C" };
        assert_eq!(
            run["grade"], expected,
            "{agent} on {case}: {}",
            run["grade_reason"]
        );
        assert_eq!(run["variant"], "-", "baselines ignore the skill");
        assert_eq!(run["status"], "completed");
    }
    // The trap: a bump alone leaves the visible tests green and fails the hidden checks.
    let bump = runs
        .iter()
        .find(|r| r["agent"] == "bump-only" && r["case"] == "python-cves/settings-loader")
        .expect("bump-only run");
    let verdict = |id: &str| {
        bump["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict("visible-tests"), "pass");
    assert_eq!(verdict("hidden-tests"), "fail");
    assert_eq!(verdict("pin-raised"), "pass");

    // Every run folder holds its evidence.
    let dir = ws.latest_dir().join(bump["dir"].as_str().unwrap());
    let diff = std::fs::read_to_string(dir.join("diff.patch")).unwrap();
    assert!(
        diff.contains("-PyYAML==5.3.1") && diff.contains("+PyYAML==5.4"),
        "{diff}"
    );
    assert_eq!(
        diff.matches("diff --git").count(),
        1,
        "bump-only changes only the manifest:\n{diff}"
    );
    assert!(dir.join("checks/hidden-tests.log").is_file());
    // The prompt is stored with the run's room as `<room>` (the folder is gone), so the same
    // case's prompt to another agent is the same bytes, stored once (a hard link).
    let prompt = std::fs::read_to_string(dir.join("prompt.md")).unwrap();
    assert!(
        prompt.contains("SKILLBENCH_SIGNALS (<room>/signals.json)"),
        "{prompt}"
    );
    assert!(!prompt.contains("skillbench-run-"), "{prompt}");
    let other = runs
        .iter()
        .find(|r| {
            r["case"] == bump["case"]
                && r["variant"] == bump["variant"]
                && r["agent"] != "bump-only"
        })
        .expect("another baseline of the case");
    let other = ws.latest_dir().join(other["dir"].as_str().unwrap());
    let inode = |d: &std::path::Path| {
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(d.join("prompt.md")).unwrap())
    };
    assert_eq!(inode(&dir), inode(&other), "one stored prompt");
    // The run's record is in results.json alone: no copy of it per folder.
    assert!(!dir.join("grade.json").exists());
    let reference = runs
        .iter()
        .find(|r| r["agent"] == "reference" && r["case"] == "python-cves/job-queue")
        .unwrap();
    assert_eq!(reference["signals"]["outcome"], "escalated");
    assert_eq!(reference["diff"]["files"], 0);
}

#[test]
fn fixture_commits_are_identical_across_materializations() {
    let case_dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/python-cves/env-tags");
    let case = skillbench::corpus::Case::load("python-cves/env-tags", &case_dir).unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let first = skillbench::corpus::source::prepare(&case, a.path(), cache.path()).unwrap();
    let second = skillbench::corpus::source::prepare(&case, b.path(), cache.path()).unwrap();
    assert_eq!(first.rev, second.rev);
    assert_eq!(
        first.rev.to_string(),
        "a0b5115a8d341174b0b4c2bfa2f977f6ec1aa93d",
        "the rev pinned in case.toml"
    );

    let (c1, c2) = (a.path().join("checkout"), b.path().join("checkout"));
    skillbench::corpus::checkout(&first, &c1).unwrap();
    skillbench::corpus::checkout(&second, &c2).unwrap();
    for checkout in [&c1, &c2] {
        let repo = git2::Repository::open(checkout).unwrap();
        assert_eq!(
            repo.head().unwrap().peel_to_commit().unwrap().id(),
            first.rev
        );
        assert!(
            repo.remotes().unwrap().is_empty(),
            "no remote is left in a checkout"
        );
        let statuses = repo.statuses(None).unwrap();
        assert_eq!(statuses.len(), 0, "the work tree matches the pinned commit");
        assert!(checkout.join("pipekit/config.py").is_file());
    }
}

/// Makes a git repository with one commit at `dir` and returns the commit id.
#[expect(clippy::unwrap_used, reason = "test setup")]
fn git_repo(dir: &std::path::Path) -> git2::Oid {
    let repo = git2::Repository::init(dir).unwrap();
    std::fs::write(dir.join("requirements.txt"), "PyYAML==5.3.1\n").unwrap();
    std::fs::write(
        dir.join("app.py"),
        "import yaml\n\ndef load(s):\n    return yaml.load(s)\n",
    )
    .unwrap();
    commit_all(&repo, "init")
}

/// Commits every file of `repo`'s work tree on HEAD, but for the test's own HOME and
/// cache (which holds prepared bases, repositories of their own).
#[expect(clippy::unwrap_used, reason = "test setup")]
pub(crate) fn commit_all(repo: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    let mut outside_cache = |path: &std::path::Path, _: &[u8]| -> i32 {
        i32::from(path.starts_with("cache") || path.starts_with("home"))
    };
    index
        .add_all(
            ["*"],
            git2::IndexAddOption::DEFAULT,
            Some(&mut outside_cache),
        )
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// An eval of the git case `remote/app`: `bump-only`, graded on the raised pin.
const BUMP_PIN_EVAL: &str = r#"skill = "pyyaml-safe-load"
cases = ["remote/*"]
agents = ["bump-only"]
[rubric]
[[rubric.criteria]]
id = "pin"
kind = "present"
pattern = "PyYAML==5.4"
"#;

fn git_case(ws: &Workspace, url: &str, rev: &str) {
    ws.write(
        "corpora/remote/app/case.toml",
        &format!(
            r#"expectation = "fix"
task = "Fix the yaml.load call."
[source]
git = "{url}"
rev = "{rev}"
[[findings]]
id = "CVE-2020-14343"
package = "PyYAML"
fixed = "5.4"
summary = "yaml.load without a Loader."
"#
        ),
    );
}

#[test]
fn git_sources_are_mirrored_once_and_checked_out_without_their_remote() {
    let ws = Workspace::shipped();
    let upstream = ws.path("upstream");
    let rev = git_repo(&upstream);
    let url = format!("file://{}", upstream.display());
    git_case(&ws, &url, &rev.to_string());
    ws.write("evals/remote.toml", BUMP_PIN_EVAL);
    let out = ws.run(&["eval", "evals/remote.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    assert_eq!(results["cases"][0]["origin"], url.as_str());
    assert_eq!(results["cases"][0]["rev"], rev.to_string());
    assert_eq!(
        results["runs"][0]["grade"], "A",
        "{}",
        results["runs"][0]["grade_reason"]
    );

    // The mirror now has the rev: the upstream can go away and the eval still runs.
    std::fs::remove_dir_all(&upstream).unwrap();
    ws.run(&["eval", "evals/remote.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
}

/// An eval of the git case at `url` and `rev`, which must stop at setup (exit 3).
fn remote_eval_fails(ws: &Workspace, url: &str, rev: &str) -> support::Output {
    git_case(ws, url, rev);
    ws.write(
        "evals/remote.toml",
        &small_eval(r#""remote/*""#, r#""noop""#, ""),
    );
    let out = ws.run(&["eval", "evals/remote.toml"]);
    out.expect_code(exit_code::SETUP_FAILED);
    out
}

#[test]
fn an_unreachable_git_source_is_a_setup_error_without_its_credential_or_an_empty_mirror() {
    let ws = Workspace::shipped();
    // Nothing listens on the discard port of loopback: the fetch is refused at once.
    let out = remote_eval_fails(
        &ws,
        "https://x-token:ghp_s3cretvalue@127.0.0.1:9/o/r.git",
        "0123456789abcdef0123456789abcdef01234567",
    );
    assert!(
        out.stderr
            .contains("cannot fetch https://127.0.0.1:9/o/r.git into the mirror"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("git fetch failed"), "{}", out.stderr);
    assert!(!out.stderr.contains("ghp_s3cretvalue"), "{}", out.stderr);
    let mirrors = ws.path("cache/mirrors");
    let left: Vec<_> = std::fs::read_dir(&mirrors)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "a failed fetch left {left:?} in {}",
        mirrors.display()
    );
    assert!(!ws.exists(".skillbench/runs/latest"));
}

#[test]
fn corpus_fetch_from_a_local_clone_fills_the_mirror_of_an_unreachable_url_and_checks_the_reference()
{
    let ws = Workspace::shipped();
    // The case's URL answers nothing here; a local clone of it holds the pinned commit and,
    // on a branch of its own, the upstream fix.
    let upstream = ws.path("clone");
    let rev = git_repo(&upstream);
    let repo = git2::Repository::open(&upstream).unwrap();
    std::fs::write(upstream.join("requirements.txt"), "PyYAML==5.4\n").unwrap();
    let fix = commit_all(&repo, "the fix");
    repo.branch("fix", &repo.find_commit(fix).unwrap(), false)
        .unwrap();
    repo.reset(
        repo.find_commit(rev).unwrap().as_object(),
        git2::ResetType::Hard,
        None,
    )
    .unwrap();
    let url = "https://127.0.0.1:9/o/app.git";
    let with_reference = |reference: &str| {
        git_case(&ws, url, &rev.to_string());
        let manifest = ws.path("corpora/remote/app/case.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            format!("{text}[reference]\nrev = \"{reference}\"\n"),
        )
        .unwrap();
    };

    with_reference(&fix.to_string());
    ws.run(&["corpus", "fetch", "remote/app"])
        .expect_code(exit_code::SETUP_FAILED);
    let out = ws.run(&["corpus", "fetch", "remote/app", "--from", "corpora"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("--from corpora: not a git repository"),
        "{}",
        out.stderr
    );
    let out = ws.run(&["corpus", "fetch", "python-cves", "--from", "clone"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(out.stderr.contains("none is selected"), "{}", out.stderr);

    // A reference the clone does not hold: the mirror is filled, and the error says what
    // is missing where.
    let missing = "0123456789abcdef0123456789abcdef01234567";
    with_reference(missing);
    let out = ws.run(&["corpus", "fetch", "remote/app", "--from", "clone"]);
    out.expect_code(exit_code::SETUP_FAILED);
    assert!(
        out.stderr.contains(&format!("the reference rev {missing}"))
            && out.stderr.contains("is not in clone"),
        "{}",
        out.stderr
    );

    with_reference(&fix.to_string());
    let out = ws.run(&["corpus", "fetch", "remote/app", "--from", "clone"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains(&format!("remote/app: {url} at {rev} (and the reference {fix}) is in the mirror cache, from clone")),
        "{}",
        out.stdout
    );
    // The clone can go: the eval runs from the mirror the URL names, and says the URL.
    std::fs::remove_dir_all(&upstream).unwrap();
    ws.write("evals/remote.toml", BUMP_PIN_EVAL);
    ws.run(&["eval", "evals/remote.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    assert_eq!(results["cases"][0]["origin"], url);
    assert_eq!(results["runs"][0]["grade"], "A", "{}", results["runs"][0]);
}

#[test]
fn checks_criteria_run_each_cases_own_checks_with_the_case_named_in_their_environment() {
    let ws = Workspace::shipped();
    // A case with visible checks only, beside a shipped one with both.
    let dir = ws.path("corpora/mixed/visible-only");
    skillbench::fsx::copy_tree(&ws.path("corpora/python-cves/settings-loader"), &dir).unwrap();
    let manifest = std::fs::read_to_string(dir.join("case.toml")).unwrap();
    let manifest = manifest
        .replace(
            "hidden = \"python3 -m unittest discover -s hidden_tests -t .\"\n",
            "",
        )
        .replace("bump_alone = \"trap\"\n", "");
    std::fs::write(dir.join("case.toml"), manifest).unwrap();
    std::fs::remove_dir_all(dir.join("hidden")).unwrap();
    ws.write(
        "evals/mixed.toml",
        r#"skill = "pyyaml-safe-load"
cases = ["mixed/*", "python-cves/settings-loader"]
agents = ["bump-only"]
[rubric]
[[rubric.criteria]]
id = "visible"
kind = "checks"
checks = "visible"
[[rubric.criteria]]
id = "hidden"
kind = "checks"
checks = "hidden"
[[rubric.criteria]]
id = "named"
kind = "command"
run = "case \"$SKILLBENCH_CASE\" in mixed/visible-only|python-cves/settings-loader) ;; *) exit 1 ;; esac"
"#,
    );
    ws.run(&["eval", "evals/mixed.toml"]);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().unwrap();
    let criterion = |case: &str, id: &str| {
        let run = runs.iter().find(|r| r["case"] == case).unwrap();
        run["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let (shipped, visible_only) = ("python-cves/settings-loader", "mixed/visible-only");
    // The trap, through the case's own checks: a bump alone keeps the visible tests green
    // and fails the hidden ones.
    assert_eq!(criterion(shipped, "visible")["verdict"], "pass");
    assert_eq!(criterion(shipped, "visible")["kind"], "checks");
    assert_eq!(
        criterion(shipped, "hidden")["verdict"],
        "fail",
        "{}",
        criterion(shipped, "hidden")
    );
    assert_eq!(criterion(visible_only, "visible")["verdict"], "pass");
    assert_eq!(
        criterion(visible_only, "hidden")["verdict"],
        "not_applicable"
    );
    assert_eq!(
        criterion(visible_only, "hidden")["detail"],
        "the case has no [checks] hidden"
    );
    for case in [shipped, visible_only] {
        assert_eq!(criterion(case, "named")["verdict"], "pass", "{case}");
    }
    let grade = |case: &str| runs.iter().find(|r| r["case"] == case).unwrap()["grade"].clone();
    assert_eq!(grade(shipped), "C");
    // A bad `checks` value is the eval's error, at its place.
    let text = ws
        .read("evals/mixed.toml")
        .replace("checks = \"hidden\"", "checks = \"hiden\"");
    ws.write("evals/mixed.toml", &text);
    let out = ws.run(&["eval", "evals/mixed.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("evals/mixed.toml:12:10:")
            && out.stderr.contains("did you mean 'hidden'"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_rev_missing_from_the_source_is_a_setup_error() {
    let ws = Workspace::shipped();
    let upstream = ws.path("upstream");
    git_repo(&upstream);
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let out = remote_eval_fails(&ws, &format!("file://{}", upstream.display()), missing);
    assert!(
        out.stderr
            .contains(&format!("the pinned rev {missing} is not in file://")),
        "{}",
        out.stderr
    );
    assert!(
        !ws.exists(".skillbench/runs/latest"),
        "nothing is stored when setup fails"
    );

    // The repository was reached and the rev is not in it: `corpus verify` calls the case
    // broken (7), not unavailable.
    let out = ws.run(&["corpus", "verify", "remote"]);
    out.expect_code(exit_code::CORPUS_INVALID);
    assert!(
        out.stdout.contains(&format!(
            "FAILED: materialize: case remote/app: the pinned rev {missing} is not in file://"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_eval_is_a_located_error_with_a_suggestion_and_writes_nothing() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/typo.toml",
        "skill = \"pyyaml-safe-load\"\ncases = [\"python-cves/*\"]\nagents = [\"noop\"]\ntrails = 3\n[rubric]\ncriteria = []\n",
    );
    let out = ws.run(&["eval", "evals/typo.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert_eq!(
        out.stderr.trim(),
        "evals/typo.toml:4:1: error: unknown key 'trails' (did you mean 'trials'?)"
    );
    assert!(!ws.exists(".skillbench"));
    assert!(!ws.exists("evals/snapshots/typo.snap.new"));

    ws.write(
        "evals/agent.toml",
        &small_eval(r#""python-cves/*""#, r#""refrence""#, ""),
    );
    let out = ws.run(&["eval", "evals/agent.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert_eq!(
        out.stderr.trim(),
        "evals/agent.toml:3:11: error: unknown agent 'refrence' (did you mean 'reference'?)"
    );
}

#[test]
fn a_bad_case_is_a_located_error() {
    let ws = Workspace::shipped();
    let path = "corpora/python-cves/settings-loader/case.toml";
    let text = ws
        .read(path)
        .replace("expectation = \"fix\"", "expectation = \"fixx\"");
    ws.write(path, &text);
    ws.write(
        "evals/one.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""noop""#, ""),
    );
    let out = ws.run(&["eval", "evals/one.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    let line = text
        .lines()
        .position(|l| l.starts_with("expectation"))
        .unwrap()
        + 1;
    assert!(
        out.stderr.starts_with(&format!(
            "{path}:{line}:15: error: unknown value 'fixx' (did you mean 'fix'?)"
        )),
        "{}",
        out.stderr
    );
    assert!(!ws.exists(".skillbench"));
}

#[test]
fn a_bad_skill_fails_lint_with_located_findings() {
    let ws = Workspace::empty();
    ws.write(
        "skills/broken/SKILL.md",
        "---\nname: Broken\ndescription: \"\"\ncolour: red\n---\n# Broken\n\nSee [the guide](references/guide.md).\n",
    );
    let out = ws.run(&["skill", "lint"]);
    out.expect_code(exit_code::BAD_INPUT);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "skills/broken/SKILL.md:2:7: error: 'name' may only use a-z, 0-9 and '-' (found 'B' in 'Broken')",
            "skills/broken/SKILL.md:3:14: error: 'description' must be 1 to 1024 characters (it has 0); say what the skill does and when to use it",
            "skills/broken/SKILL.md:4:1: error: unknown front matter key 'colour'; the Agent Skills format allows: name, description, license, compatibility, metadata, allowed-tools",
            "skills/broken/SKILL.md:8:17: error: 'references/guide.md' does not exist in the skill folder",
        ]
    );
    // An eval over a broken skill refuses to run.
    ws.write("corpora/c/x/case.toml", "");
    ws.write(
        "evals/e.toml",
        &small_eval(r#""c/*""#, r#""noop""#, "").replace("pyyaml-safe-load", "broken"),
    );
    ws.run(&["eval", "evals/e.toml"])
        .expect_code(exit_code::BAD_INPUT);
}

#[test]
fn skill_new_scaffolds_a_skill_that_passes_lint_once_its_description_is_written() {
    let ws = Workspace::empty();
    ws.run(&["skill", "new", "jwt-key-rotation"])
        .expect_code(exit_code::SUCCESS);
    // The scaffold's description is a placeholder: lint names it and fails.
    let out = ws.run(&["skill", "lint", "skills/jwt-key-rotation"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert_eq!(
        out.stdout.trim(),
        "skills/jwt-key-rotation/SKILL.md:4:3: error: 'description' holds placeholder text ('TODO'); replace it with what the skill does and when an agent should use it"
    );
    let path = "skills/jwt-key-rotation/SKILL.md";
    let text = ws.read(path);
    let start = text.find("description:").expect("a description");
    let end = start + text[start..].find("metadata:").expect("metadata");
    ws.write(
        path,
        &format!(
            "{}description: Rotates the signing keys of jsonwebtoken services. Use when a scanner flags a hard-coded or weak JWT secret.\n{}",
            &text[..start],
            &text[end..]
        ),
    );
    let out = ws.run(&["skill", "lint", "skills/jwt-key-rotation"]);
    out.expect_code(exit_code::SUCCESS);
    assert_eq!(out.stdout, "", "no findings, not even warnings");
    // A description that says what but not when is a warning, and lint still passes.
    let text = ws.read(path).replace(
        " Use when a scanner flags a hard-coded or weak JWT secret.",
        " It covers the HS256 services of the payments team and their tests.",
    );
    ws.write(path, &text);
    let out = ws.run(&["skill", "lint", "skills/jwt-key-rotation"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout
            .contains("3:14: warning: 'description' does not say when to use the skill"),
        "{}",
        out.stdout
    );
    ws.run(&["skill", "new", "jwt-key-rotation"])
        .expect_code(exit_code::BAD_INPUT);
    ws.run(&["skill", "new", "Bad--Name"])
        .expect_code(exit_code::BAD_INPUT);
}

#[test]
fn the_shipped_skill_is_lint_clean() {
    let ws = Workspace::shipped();
    let out = ws.run(&["skill", "lint"]);
    out.expect_code(exit_code::SUCCESS);
    assert_eq!(out.stdout, "");
}

#[test]
fn a_hanging_agent_is_killed_at_its_timeout_with_its_children() {
    let ws = Workspace::shipped();
    let pidfile = ws.path("child.pid");
    let extra = format!(
        "variants = [\"none\"]\n[agent.hang]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"sleep 300 & echo $! > {}; wait\"]\n",
        pidfile.display()
    );
    ws.write(
        "evals/hang.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""hang""#, &extra)
            .replace("\"60s\"", "\"2s\""),
    );
    let start = Instant::now();
    let out = ws.run(&["eval", "evals/hang.toml"]);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the timeout stops the run"
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = &ws.latest_results()["runs"][0];
    assert_eq!(run["status"], "timed_out");
    assert_eq!(run["grade"], "C");
    assert!(
        run["grade_reason"].as_str().unwrap().contains("timed out"),
        "{}",
        run["grade_reason"]
    );

    let pid: i32 = ws.read("child.pid").trim().parse().unwrap();
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    let alive = state.as_deref().is_some_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    });
    assert!(
        !alive,
        "the agent's child {pid} must be killed with it: {state:?}"
    );
}

#[test]
fn a_command_agent_runs_cold_with_the_skill_only_in_the_skill_variant() {
    let ws = Workspace::shipped();
    // A scripted agent: fixes the case only when a skill is installed, and reports what it saw.
    ws.write(
        "agent.sh",
        r#"#!/bin/sh
set -e
test -s "$SKILLBENCH_PROMPT_FILE"
grep -q SKILLBENCH_SIGNALS "$SKILLBENCH_PROMPT_FILE"
test ! -e hidden_tests  # hidden checks arrive only after the agent has exited
test "$(git rev-parse HEAD)" = ca9f23203342c7291adf4ffeb9da8b7c4bdae693
test -z "$(git remote)"
if [ -n "$SKILLBENCH_SKILL_DIR" ] && [ -f "$SKILLBENCH_SKILL_DIR/SKILL.md" ]; then
  sed -i 's/raw = yaml.load(fh)/raw = yaml.safe_load(fh)/' notifier/settings.py
  printf '{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.9,"summary":"safe_load","what_worked":["the skill"],"what_was_hard":[],"skill_gaps":[{"section":"Verify","gap":"no payload example","suggested_change":"add one"}],"escalations":[]}' > "$SKILLBENCH_SIGNALS"
else
  printf '{"schema":"agent-signals/v1","outcome":"failed","confidence":0.2}' > "$SKILLBENCH_SIGNALS"
fi
echo "home=$HOME secret=${SECRET_TOKEN:-unset} passed=${PASSED_VAR:-unset}"
"#,
    );
    let extra = format!(
        "pass_env = [\"PASSED_VAR\"]\n[agent.scripted]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n",
        ws.path("agent.sh").display()
    );
    ws.write(
        "evals/agent.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""scripted""#, &extra),
    );
    let out = ws.run_with(
        &["eval", "evals/agent.toml", "--message-format", "json"],
        &[("SECRET_TOKEN", "s3cr3t"), ("PASSED_VAR", "yes")],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);

    // --message-format json: one JSON object per line on stdout, each with a type.
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"eval_started"));
    assert_eq!(types.last(), Some(&"eval_finished"));
    assert_eq!(types.iter().filter(|t| **t == "run_graded").count(), 2);
    assert_eq!(
        events.last().unwrap()["exit_code"],
        exit_code::SNAPSHOT_PENDING
    );

    let results = ws.latest_results();
    let by_variant = |v: &str| {
        results["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant"] == v)
            .unwrap()
            .clone()
    };
    let (with, without) = (by_variant("skill"), by_variant("none"));
    assert_eq!(with["grade"], "A", "{}", with["grade_reason"]);
    assert_eq!(with["signals"]["outcome"], "fixed");
    assert_eq!(without["grade"], "C");
    assert_eq!(without["signals"]["outcome"], "failed");

    let stdout = std::fs::read_to_string(
        ws.latest_dir()
            .join(with["dir"].as_str().unwrap())
            .join("stdout.log"),
    )
    .unwrap();
    assert!(
        stdout.contains("secret=unset"),
        "variables not passed by name stay out: {stdout}"
    );
    assert!(
        stdout.contains("passed=yes"),
        "pass_env variables go through: {stdout}"
    );
    assert!(
        !stdout.contains(&format!("home={}", ws.path("home").display())),
        "a fresh HOME, not the user's: {stdout}"
    );

    // Suggestions draw on the skill run's reported gap (it passed: the agent's word
    // alone); the `none` run's failure is context, not a revision of the skill.
    let out = ws.run(&["suggest"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout
            .contains("## 1. Section \"Verify\" — 1 of 1 skill run(s), self_report_only"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Suggested change: add one"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("Criterion `hidden-tests`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("- without it (variant `none`): 0 of 1 graded run(s) pass"),
        "{}",
        out.stdout
    );
}

#[test]
fn snapshots_are_written_pending_then_accepted_or_rejected() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/one.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""reference", "noop""#,
            "",
        ),
    );
    let eval = ["eval", "evals/one.toml"];
    let out = ws.run(&eval);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout.contains("no accepted snapshot yet"),
        "{}",
        out.stdout
    );
    assert!(ws.exists("evals/snapshots/one.snap.new"));

    ws.run(&["reject", "one"]).expect_code(exit_code::SUCCESS);
    assert!(!ws.exists("evals/snapshots/one.snap.new"));
    ws.run(&["reject", "one"])
        .expect_code(exit_code::NOTHING_SELECTED);

    ws.run(&eval).expect_code(exit_code::SNAPSHOT_PENDING);
    let review = ws.run(&["review"]);
    review.expect_code(exit_code::BAD_INPUT);
    assert!(
        review.stderr.contains("skillbench accept [EVAL]"),
        "review refuses without a terminal: {}",
        review.stderr
    );
    ws.run(&["accept"]).expect_code(exit_code::SUCCESS);
    let snap = ws.read("evals/snapshots/one.snap");
    assert!(
        snap.starts_with("---\neval: one\nskill: pyyaml-safe-load\n"),
        "{snap}"
    );
    assert!(
        snap.contains("python-cves/settings-loader  -        reference  A       -\n"),
        "{snap}"
    );
    assert!(
        !snap.contains(".skillbench") && !snap.contains("ms"),
        "no paths, no times: {snap}"
    );
    ws.run(&eval).expect_code(exit_code::SUCCESS);

    // A regression: the reference fix stops passing the hidden checks.
    ws.write(
        "corpora/python-cves/settings-loader/hidden/hidden_tests/test_zz_new_rule.py",
        "import unittest\n\nclass NewRule(unittest.TestCase):\n    def test_fails(self):\n        self.fail('a new rule')\n",
    );
    let out = ws.run_with(&eval, &[("CI", "true")]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(out.stdout.contains("REGRESSION: A 100% [21–100%] → 0% [0–79%], C 0% [0–79%] → 100% [21–100%]; one trial on each side: any change counts"), "{}", out.stdout);
    assert!(out.stdout.contains("\n  - python-cves/settings-loader  -  reference  A\n  + python-cves/settings-loader  -  reference  C  failed: hidden-tests"), "{}", out.stdout);
    assert!(
        out.stdout.contains("CI mode: nothing written"),
        "{}",
        out.stdout
    );
    assert!(
        !ws.exists("evals/snapshots/one.snap.new"),
        "--ci never writes a snapshot"
    );
    assert_eq!(ws.read("evals/snapshots/one.snap"), snap);
}

#[test]
fn snapshot_diffs_compare_rates_keep_unrun_rows_and_never_drop_another_runs_pending() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/rates.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/job-queue""#,
            r#""reference", "noop""#,
            "trials = 3\n",
        ),
    );
    let eval = ["eval", "evals/rates.toml", "--jobs", "1"];
    ws.run(&eval).expect_code(exit_code::SNAPSHOT_PENDING);
    ws.run(&["accept", "rates"]).expect_code(exit_code::SUCCESS);
    let accepted = ws.read("evals/snapshots/rates.snap");
    assert!(
        accepted.contains("python-cves/settings-loader  -        reference  AAA"),
        "{accepted}"
    );
    assert!(!accepted.contains("pending_from"), "{accepted}");

    // One trial against three at the same rate is no change; a subset removes nothing.
    let out = ws.run(&[
        "eval",
        "evals/rates.toml",
        "--trials",
        "1",
        "--agent",
        "noop",
        "--case",
        "python-cves/job-*",
    ]);
    out.expect_code(exit_code::SUCCESS);
    assert!(out.stdout.contains("snapshot: matches"), "{}", out.stdout);
    assert!(!out.stdout.contains("removed"), "{}", out.stdout);
    assert!(!ws.exists("evals/snapshots/rates.snap.new"));
    assert_eq!(ws.read("evals/snapshots/rates.snap"), accepted);

    // A subset that regresses writes a pending snapshot that keeps every row it did not run.
    ws.write(
        "corpora/python-cves/settings-loader/hidden/hidden_tests/test_zz_new_rule.py",
        "import unittest\n\nclass NewRule(unittest.TestCase):\n    def test_fails(self):\n        self.fail('a new rule')\n",
    );
    let out = ws.run(&[
        "eval",
        "evals/rates.toml",
        "--agent",
        "reference",
        "--case",
        "python-cves/settings-loader",
    ]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout
            .contains("(a subset was run: only its rows are compared)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("REGRESSION: A 100%"), "{}", out.stdout);
    // The criterion says what failed: the failing test and its assertion, not a last line.
    let run = &ws.latest_results()["runs"][0];
    let hidden = criterion(run, "hidden-tests").unwrap();
    assert_eq!(
        hidden["detail"],
        "exit 1: FAIL: test_fails (hidden_tests.test_zz_new_rule.NewRule.test_fails): AssertionError: a new rule",
        "{hidden}"
    );
    let pending = ws.read("evals/snapshots/rates.snap.new");
    for row in [
        "python-cves/job-queue        -        noop       CCC",
        "python-cves/job-queue        -        reference  AAA",
        "python-cves/settings-loader  -        noop       CCC",
        "python-cves/settings-loader  -        reference  CCC",
    ] {
        assert!(pending.contains(row), "{row} in:\n{pending}");
    }

    // Another run that matches (here, another subset) leaves that pending snapshot alone.
    let out = ws.run(&["eval", "evals/rates.toml", "--agent", "noop"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout
            .contains("left evals/snapshots/rates.snap.new alone"),
        "{}",
        out.stdout
    );
    assert_eq!(ws.read("evals/snapshots/rates.snap.new"), pending);

    // Accepted, the pending snapshot loses its run mark.
    ws.run(&["accept", "rates"]).expect_code(exit_code::SUCCESS);
    let merged = ws.read("evals/snapshots/rates.snap");
    assert!(!merged.contains("pending_from"), "{merged}");
    assert!(
        merged.contains("settings-loader  -        reference  CCC"),
        "{merged}"
    );

    // A flaky accepted row inside its band is named apart and does not fail; a skill edit
    // with no effect is said.
    std::fs::remove_file(
        ws.path("corpora/python-cves/settings-loader/hidden/hidden_tests/test_zz_new_rule.py"),
    )
    .unwrap();
    ws.write(
        "evals/snapshots/rates.snap",
        &merged.replace("reference  CCC", "reference  AACAA"),
    );
    let skill = ws.read("skills/pyyaml-safe-load/SKILL.md");
    ws.write(
        "skills/pyyaml-safe-load/SKILL.md",
        &format!("{skill}\nOne more line.\n"),
    );
    let out = ws.run(&[
        "eval",
        "evals/rates.toml",
        "--agent",
        "reference",
        "--case",
        "python-cves/settings-loader",
    ]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains("within noise: python-cves/settings-loader  -  reference  AAA (accepted AACAA): flaky row, inside its accepted band"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("the skill changed since the snapshot was accepted")
            && out.stdout.contains("no measurable effect"),
        "{}",
        out.stdout
    );

    // A full run that matches removes only a pending snapshot it supersedes: one written by
    // a run that finished before it started, never one of a concurrent run.
    let accepted = ws.read("evals/snapshots/rates.snap");
    let plant = |finished: &str| {
        let pending = accepted.replace(
            "trials: 3\n",
            &format!("trials: 3\npending_from: 20991231T000000Z-other {finished} none\n"),
        );
        ws.write("evals/snapshots/rates.snap.new", &pending);
        pending
    };
    let concurrent = plant("2099-12-31T00:00:00Z");
    let out = ws.run(&["eval", "evals/rates.toml"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains("left evals/snapshots/rates.snap.new alone: it holds the findings of another run (20991231T000000Z-other)"),
        "{}",
        out.stdout
    );
    assert_eq!(ws.read("evals/snapshots/rates.snap.new"), concurrent);
    plant("2000-01-01T00:00:00Z");
    ws.run(&["eval", "evals/rates.toml"])
        .expect_code(exit_code::SUCCESS);
    assert!(
        !ws.exists("evals/snapshots/rates.snap.new"),
        "a stale pending snapshot is removed"
    );
}

/// `skillbench review` on a terminal (given by `script`, part of every Debian system),
/// typing `answers`: its exit code and what it printed.
#[expect(clippy::unwrap_used, reason = "test setup")]
fn review_on_a_terminal(ws: &Workspace, answers: &str) -> (i32, String) {
    use std::io::Write as _;
    let command = format!(
        "{} review; echo \"exit=$?\"",
        env!("CARGO_BIN_EXE_skillbench")
    );
    let mut child = ws
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answers.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = text
        .rsplit("exit=")
        .next()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(-1);
    (code, text)
}

#[test]
fn review_says_what_it_did_with_its_exit_code() {
    let ws = Workspace::shipped();
    let (code, text) = review_on_a_terminal(&ws, "");
    assert_eq!(code, exit_code::NOTHING_SELECTED, "{text}");
    assert!(text.contains("no pending snapshot"), "{text}");
    ws.write(
        "evals/rv.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""noop""#, ""),
    );
    ws.run(&["eval", "evals/rv.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let (code, text) = review_on_a_terminal(&ws, "s\n");
    assert_eq!(code, exit_code::SNAPSHOT_PENDING, "skipped: {text}");
    assert!(ws.exists("evals/snapshots/rv.snap.new"));
    let (code, text) = review_on_a_terminal(&ws, "a\n");
    assert_eq!(code, exit_code::SUCCESS, "{text}");
    assert!(ws.exists("evals/snapshots/rv.snap") && !ws.exists("evals/snapshots/rv.snap.new"));
}

/// `evals/NAME.toml`, an eval of a command agent `NAME` (`evals/NAME.sh`: `body`, after a
/// line that counts its calls) on one case, in the `none` variant; its text, and how many
/// times the agent has been called.
fn counted_agent(ws: &Workspace, name: &str, body: &str) -> (String, impl Fn() -> usize) {
    let calls = ws.path(&format!("{name}-calls.log"));
    ws.write(
        &format!("evals/{name}.sh"),
        &format!("#!/bin/sh\necho call >> '{}'\n{body}", calls.display()),
    );
    let eval = small_eval(
        r#""python-cves/settings-loader""#,
        &format!("\"{name}\""),
        &format!(
            "variants = [\"none\"]\n[agent.{name}]\nkind = \"command\"\ncommand = [\"sh\", \"./{name}.sh\"]\n"
        ),
    );
    ws.write(&format!("evals/{name}.toml"), &eval);
    let count = move || {
        std::fs::read_to_string(&calls)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    (eval, count)
}

#[test]
fn an_unchanged_eval_run_twice_calls_no_agent_the_second_time() {
    let ws = Workspace::shipped();
    let (eval, count) = counted_agent(
        &ws,
        "count",
        "printf '%s' '{\"schema\":\"agent-signals/v1\",\"outcome\":\"failed\",\"confidence\":0.2}' > \"$SKILLBENCH_SIGNALS\"\n",
    );
    ws.run(&["eval", "evals/count.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let first = ws.latest_results()["run_id"].as_str().unwrap().to_string();
    assert_eq!(count(), 1);
    ws.run(&["accept", "count"]).expect_code(exit_code::SUCCESS);
    // A stored run folder as an earlier version left it, with a copy of its record: the
    // results set that reuses the run does not carry the stale copy.
    let first_run = ws.latest_results()["runs"][0]["dir"]
        .as_str()
        .unwrap()
        .to_string();
    let earlier = ws.latest_dir().join(&first_run).join("grade.json");
    std::fs::write(&earlier, "{\"grade\":\"A\"}\n").unwrap();

    // The same inputs: the stored run stands in, no agent is called, the snapshot matches.
    let out = ws.run(&["eval", "evals/count.toml"]);
    out.expect_code(exit_code::SUCCESS);
    assert_eq!(count(), 1, "a cache hit calls no agent");
    let run = &ws.latest_results()["runs"][0];
    assert_eq!(run["cached_from"], first.as_str(), "{run}");
    assert!(
        out.stderr.contains(&format!("(cached from {first})")),
        "{}",
        out.stderr
    );
    let stored = ws.latest_dir().join(run["dir"].as_str().unwrap());
    assert!(
        stored.join("prompt.md").is_file(),
        "the reused run's evidence is carried"
    );
    assert!(
        !stored.join("grade.json").exists(),
        "an earlier version's copy of the record is not carried"
    );

    // --no-cache runs it again; so does a change to the agent's script or the eval.
    ws.run(&["eval", "evals/count.toml", "--no-cache"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(count(), 2);
    assert!(ws.latest_results()["runs"][0]["cached_from"].is_null());
    let script = ws.read("evals/count.sh");
    ws.write("evals/count.sh", &format!("{script}# edited\n"));
    ws.run(&["eval", "evals/count.toml"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(count(), 3, "an edited script is a new key");
    ws.write(
        "evals/count.toml",
        &eval.replace("timeout = \"60s\"", "timeout = \"61s\""),
    );
    ws.run(&["eval", "evals/count.toml"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(count(), 4, "another timeout is a new key");
    ws.run(&["eval", "evals/count.toml"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(count(), 4);
}

#[test]
fn a_changed_rubric_or_hidden_check_grades_the_stored_delivery_again_and_calls_no_agent() {
    let ws = Workspace::shipped();
    let (eval, count) = counted_agent(&ws, "note", "echo 'looked at it' > NOTE.txt\n");
    ws.run(&["eval", "evals/note.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let first = ws.latest_results()["run_id"].as_str().unwrap().to_string();
    assert_eq!(count(), 1);
    assert!(criterion(&ws.latest_results()["runs"][0], "note").is_none());

    // A new criterion: the stored delivery is graded with it, in a clean room; the agent
    // is not called.
    ws.write(
        "evals/note.toml",
        &format!(
            "{eval}\n[[rubric.criteria]]\nid = \"note\"\nkind = \"command\"\nrun = \"test -f NOTE.txt\"\n"
        ),
    );
    let out = ws.run(&["eval", "evals/note.toml"]);
    assert_eq!(count(), 1, "only the grading changed: {}", out.stderr);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["delivery_from"], first.as_str(), "{run}");
    assert!(run["cached_from"].is_null());
    assert_eq!(criterion(&run, "note").unwrap()["verdict"], "pass", "{run}");
    assert!(
        out.stderr
            .contains(&format!("(delivery of {first} graded again)")),
        "{}",
        out.stderr
    );
    let regraded = ws.latest_results()["run_id"].as_str().unwrap().to_string();

    // A hidden check changes: graded again too, still from the first delivery.
    let hidden = "corpora/python-cves/settings-loader/hidden/hidden_tests/test_settings_loading.py";
    ws.write(hidden, &format!("{}\n# one more line\n", ws.read(hidden)));
    ws.run(&["eval", "evals/note.toml"]);
    assert_eq!(count(), 1);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["delivery_from"], first.as_str(), "{run}");
    assert_ne!(ws.latest_results()["run_id"], regraded.as_str());

    // The task changes: that is a new delivery, and the agent runs.
    let manifest = "corpora/python-cves/settings-loader/case.toml";
    let text = ws.read(manifest);
    ws.write(
        manifest,
        &text.replacen("task = \"\"\"", "task = \"\"\"Please: ", 1),
    );
    ws.run(&["eval", "evals/note.toml"]);
    assert_eq!(count(), 2, "a new task is a new delivery");
    assert!(ws.latest_results()["runs"][0]["delivery_from"].is_null());
}

#[test]
fn a_grade_with_another_rubric_never_answers_for_the_original_eval() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/note.sh",
        "#!/bin/sh\necho 'looked at it' > NOTE.txt\n",
    );
    let agent = "variants = [\"none\"]\n[agent.note]\nkind = \"command\"\ncommand = [\"sh\", \"./note.sh\"]\n";
    ws.write(
        "evals/strict.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""note""#, agent),
    );
    ws.write(
        "evals/lenient.toml",
        &format!(
            "skill = \"pyyaml-safe-load\"\ncases = [\"python-cves/settings-loader\"]\nagents = [\"note\"]\ntimeout = \"60s\"\n{agent}[rubric]\n[[rubric.criteria]]\nid = \"note\"\nkind = \"command\"\nrun = \"test -f NOTE.txt\"\n"
        ),
    );
    ws.run(&["eval", "evals/strict.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    assert_eq!(ws.latest_results()["runs"][0]["grade"], "C");
    ws.run(&["grade", "--eval", "evals/lenient.toml"]);
    assert_eq!(ws.latest_results()["runs"][0]["grade"], "A");
    // The strict eval again: the lenient grade is not its answer; its own delivery is
    // graded with its own rubric.
    ws.run(&["eval", "evals/strict.toml"]);
    let run = ws.latest_results()["runs"][0].clone();
    assert_eq!(run["grade"], "C", "{run}");
}

#[test]
fn junit_has_a_test_case_per_run_with_reasons_logs_and_flaky_trials_and_validates() {
    let ws = Workspace::shipped();
    // Escalates on its even-numbered calls: right on the escalate case's first trial,
    // wrong on its second (with --jobs 1 the runs go in plan order).
    let calls = ws.path("flip-calls.log");
    ws.write(
        "evals/flip.sh",
        &format!(
            "#!/bin/sh\nn=$(cat '{0}' 2>/dev/null | wc -l)\necho x >> '{0}'\nif [ $((n % 2)) -eq 0 ]; then printf '%s' '{{\"schema\":\"agent-signals/v1\",\"outcome\":\"escalated\",\"confidence\":0.8,\"summary\":\"s\",\"escalations\":[{{\"reason\":\"r\",\"question\":\"q?\"}}]}}' > \"$SKILLBENCH_SIGNALS\"; fi\n",
            calls.display()
        ),
    );
    ws.write(
        "evals/junit.toml",
        &small_eval(
            r#""python-cves/job-queue", "python-cves/settings-loader""#,
            r#""flip", "noop", "absent""#,
            "trials = 2\nvariants = [\"none\"]\n[agent.flip]\nkind = \"command\"\ncommand = [\"sh\", \"./flip.sh\"]\n[agent.absent]\nkind = \"claude-code\"\nbinary = \"/nonexistent/claude\"\n",
        ),
    );
    ws.run(&[
        "eval",
        "evals/junit.toml",
        "--jobs",
        "1",
        "--junit",
        "reports/junit.xml",
    ])
    .expect_code(exit_code::SNAPSHOT_PENDING);
    let xml = ws.read("reports/junit.xml");
    // The real validator, against the schema of what CI systems read.
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit/junit.xsd");
    let lint = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(ws.path("reports/junit.xml"))
        .output()
        .expect("xmllint is installed by tests/install-deps");
    assert!(
        lint.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let cases = xml.matches("<testcase ").count();
    assert_eq!(cases, 12, "2 cases × 3 agents × 2 trials: {xml}");
    assert!(
        xml.contains("<testsuites name=\"skillbench\" tests=\"12\" skipped=\"4\""),
        "{xml}"
    );
    // A failure says why, and carries its check log.
    assert!(
        xml.contains("<failure message=\"required criteria failed: hidden-tests, escalation\" type=\"grade C\">hidden-tests: exit 1: ERROR: "),
        "{xml}"
    );
    assert!(
        xml.contains("==&gt; hidden-tests (checks/hidden-tests.log) &lt;==\nEE"),
        "{xml}"
    );
    // The unavailable runtime is skipped, with the reason.
    assert!(
        xml.contains("<skipped message=\"not graded (unavailable): absent is unavailable here"),
        "{xml}"
    );
    // The flaky row: its passing trial records the failing one, as nextest does.
    let flip = xml
        .split("<testcase ")
        .find(|t| t.starts_with("name=\"flip [none] trial 1\" classname=\"python-cves/job-queue\""))
        .unwrap_or_else(|| panic!("{xml}"));
    assert!(flip.contains("<flakyFailure message=\"trial 2: "), "{flip}");
    assert!(
        flip.contains("<property name=\"flaky\" value=\"true\"/>"),
        "{flip}"
    );
}

#[test]
fn in_github_actions_failures_and_bad_inputs_are_annotations_and_a_step_summary_is_written() {
    let ws = Workspace::shipped();
    let summary = ws.path("step-summary.md");
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    ws.write(
        "evals/gh.toml",
        &small_eval(
            r#""python-cves/settings-loader""#,
            r#""noop", "reference""#,
            "",
        ),
    );
    let out = ws.run_with(&["eval", "evals/gh.toml"], &env);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let case = ws.read("corpora/python-cves/settings-loader/case.toml");
    let line = case
        .lines()
        .position(|l| l.trim() == "[[findings]]")
        .unwrap()
        + 1;
    let annotations: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations.len(),
        1,
        "only the failing row: {annotations:?}"
    );
    assert!(
        annotations[0].starts_with(&format!(
            "::error file=corpora/python-cves/settings-loader/case.toml,line={line},title=skillbench gh python-cves/settings-loader::noop [-] trial 1: C: required criteria failed"
        )),
        "{}",
        annotations[0]
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("## skillbench: gh\n"), "{text}");
    assert!(text.contains("snapshot new, exit code 5"), "{text}");
    assert!(
        text.contains("| python-cves/settings-loader | -       | reference | A"),
        "{text}"
    );

    // A bad input is an annotation at its line and column.
    ws.write(
        "evals/bad.toml",
        "skill = \"pyyaml-safe-load\"\ntrails = 3\n",
    );
    let out = ws.run_with(&["eval", "evals/bad.toml"], &env);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.lines().any(|l| l.starts_with(
            "::error file=evals/bad.toml,line=2,col=1,title=skillbench::unknown key 'trails'"
        )),
        "{}",
        out.stderr
    );
    // Without GitHub Actions (or --github), none of it.
    let out = ws.run(&["eval", "evals/bad.toml"]);
    assert!(!out.stderr.contains("::error"), "{}", out.stderr);
    let out = ws.run(&["--github", "eval", "evals/bad.toml"]);
    assert!(
        out.stderr.contains("::error file=evals/bad.toml"),
        "{}",
        out.stderr
    );
}

/// An eval of `trials` trials of a command agent whose call number `slow` (from 1)
/// detaches a marked `sleep` and sleeps itself; every other call escalates at once.
fn stoppable_eval(ws: &Workspace, calls: &std::path::Path, marker: &str, slow: usize) {
    ws.write(
        "evals/stop.sh",
        &format!(
            "#!/bin/sh\nn=$(($(cat '{calls}' 2>/dev/null | wc -l) + 1))\necho x >> '{calls}'\nif [ $n -eq {slow} ]; then (exec -a {marker} sleep 300) & sleep 300; fi\nprintf '%s' '{{\"schema\":\"agent-signals/v1\",\"outcome\":\"escalated\",\"confidence\":0.8,\"summary\":\"s\",\"escalations\":[{{\"reason\":\"r\",\"question\":\"q?\"}}]}}' > \"$SKILLBENCH_SIGNALS\"\n",
            calls = calls.display()
        ),
    );
    ws.write(
        "evals/stop.toml",
        &small_eval(
            r#""python-cves/job-queue""#,
            r#""stopper""#,
            "trials = 3\nvariants = [\"none\"]\n[agent.stopper]\nkind = \"command\"\ncommand = [\"sh\", \"./stop.sh\"]\n",
        ),
    );
}

/// `text` with what differs between two identical evals (run ids, durations) replaced by
/// placeholders, as nextest redacts its snapshots.
#[expect(clippy::unwrap_used, reason = "a fixed pattern")]
fn stable(text: &str) -> String {
    let id = regex::Regex::new(r"\d{8}T\d{6}Z-[0-9a-f]{6}").unwrap();
    let secs = regex::Regex::new(r"\b\d+\.\ds\b").unwrap();
    secs.replace_all(&id.replace_all(text, "<run>"), "<secs>")
        .into_owned()
}

#[test]
fn an_interrupted_eval_keeps_its_finished_runs_leaves_nothing_behind_and_resumes_to_the_same_snapshot()
 {
    let ws = Workspace::shipped();
    let calls = ws.path("stop-calls.log");
    let marker = format!("skillbench-stop-marker-{}", std::process::id());
    stoppable_eval(&ws, &calls, &marker, 2);
    let tmp = ws.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let start = |signal: &str| -> (i32, String) {
        let child = ws
            .skillbench()
            .args(["eval", "evals/stop.toml", "--jobs", "1"])
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Stopped while the second run's agent sleeps.
        let waited = Instant::now();
        while std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .count()
            < 2
        {
            assert!(
                waited.elapsed() < Duration::from_secs(60),
                "the second run never started"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let stopped = Instant::now();
        std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            stopped.elapsed() < Duration::from_secs(20),
            "it stopped promptly"
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = start("INT");
    assert_eq!(code, exit_code::INTERRUPTED, "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGINT: 1 of 3 runs finished"),
        "{stderr}"
    );
    // Nothing left: no agent process, no temporary folder, no half-written results.
    assert_nothing_left(&marker, Some(&tmp), "SIGINT");
    let runs = std::fs::read_dir(ws.path(".skillbench/runs")).unwrap();
    assert!(
        runs.flatten()
            .all(|e| !e.file_name().to_string_lossy().ends_with(".partial")),
        "no .partial folder"
    );
    let partial = ws.latest_results();
    assert_eq!(partial["interrupted"]["signal"], "SIGINT");
    assert_eq!(partial["interrupted"]["planned"], 3);
    assert_eq!(partial["runs"].as_array().unwrap().len(), 1);
    assert!(
        !ws.exists("evals/snapshots/stop.snap.new"),
        "no snapshot from half an eval"
    );
    let card = ws.run(&["scorecard"]);
    assert!(
        card.stderr
            .contains("is partial: interrupted by SIGINT after 1 of 3 runs"),
        "{}",
        card.stderr
    );

    // Resumed: the finished run is reused, the rest run; the snapshot and the scorecard are
    // the ones an uninterrupted eval gives.
    let out = ws.run_with(
        &["resume", "--jobs", "1"],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(out.stderr.contains("(cached from "), "{}", out.stderr);
    let resumed_card = stable(&ws.run(&["scorecard", "--format", "md"]).stdout);
    // Nothing left to resume now: said so, with exit 6.
    let out = ws.run(&["resume"]);
    out.expect_code(exit_code::NOTHING_SELECTED);
    assert!(out.stderr.contains("was not interrupted"), "{}", out.stderr);
    ws.run(&["eval", "evals/stop.toml", "--resume"])
        .expect_code(exit_code::NOTHING_SELECTED);
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap().lines().count(),
        4,
        "only the two unfinished runs ran"
    );
    ws.run(&["accept", "stop"]).expect_code(exit_code::SUCCESS);
    let resumed = ws.read("evals/snapshots/stop.snap");
    let fresh = Workspace::shipped();
    stoppable_eval(&fresh, &fresh.path("calls.log"), &marker, 0);
    fresh
        .run(&["eval", "evals/stop.toml", "--jobs", "1"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    fresh
        .run(&["accept", "stop"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(resumed, fresh.read("evals/snapshots/stop.snap"));
    let fresh_card = stable(&fresh.run(&["scorecard", "--format", "md"]).stdout);
    assert_eq!(resumed_card, fresh_card);

    // SIGTERM stops it the same way, with 143.
    std::fs::remove_file(&calls).unwrap();
    let (code, stderr) = {
        // A new key (another timeout), so nothing is reused and the second run sleeps.
        let eval = ws
            .read("evals/stop.toml")
            .replace("timeout = \"60s\"", "timeout = \"59s\"");
        ws.write("evals/stop.toml", &eval);
        start("TERM")
    };
    assert_eq!(code, exit_code::TERMINATED, "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    // Nothing left after SIGTERM either.
    assert_nothing_left(&marker, Some(&tmp), "SIGTERM");
}

/// No process whose command line holds `marker` is alive, and `tmp` (when given) is empty.
#[expect(clippy::unwrap_used, reason = "test assertions")]
fn assert_nothing_left(marker: &str, tmp: Option<&std::path::Path>, after: &str) {
    let alive = std::process::Command::new("pgrep")
        .args(["-f", marker])
        .output()
        .unwrap();
    assert!(
        !alive.status.success(),
        "a detached process survived {after}: {}",
        String::from_utf8_lossy(&alive.stdout)
    );
    if let Some(tmp) = tmp {
        let left: Vec<_> = std::fs::read_dir(tmp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            left.is_empty(),
            "temporary folders left after {after}: {left:?}"
        );
    }
}

#[test]
fn shards_merged_give_the_snapshot_and_gates_of_one_run_and_a_missing_or_doubled_shard_is_refused()
{
    let ws = Workspace::shipped();
    ws.write(
        "evals/sh.toml",
        &small_eval(
            r#""python-cves/settings-loader", "python-cves/job-queue""#,
            r#""reference", "noop""#,
            "trials = 2\n[[gate]]\nagent = \"reference\"\nmin_pass_rate = 1.0\n",
        ),
    );
    ws.run(&["eval", "evals/sh.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    ws.run(&["accept", "sh"]).expect_code(exit_code::SUCCESS);
    let accepted = ws.read("evals/snapshots/sh.snap");

    // One, two and four shards merged give the accepted snapshot too.
    for count in [1, 2, 4] {
        let mut ids = Vec::new();
        for i in 1..=count {
            let shard = format!("{i}/{count}");
            ws.run(&[
                "eval",
                "evals/sh.toml",
                "--shard",
                &shard,
                "--no-cache",
                "--ci",
            ])
            .expect_code(exit_code::SUCCESS);
            ids.push(ws.latest_results()["run_id"].as_str().unwrap().to_string());
        }
        let mut args = vec!["merge", "--ci"];
        args.extend(ids.iter().map(String::as_str));
        let out = ws.run(&args);
        out.expect_code(exit_code::SUCCESS);
        assert!(
            out.stdout.contains("snapshot: matches"),
            "{count}: {}",
            out.stdout
        );
        assert_eq!(ws.latest_results()["runs"].as_array().unwrap().len(), 8);
    }

    let mut ids = Vec::new();
    let mut splits = Vec::new();
    let mut total = 0;
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = ws.run(&[
            "eval",
            "evals/sh.toml",
            "--shard",
            &shard,
            "--no-cache",
            "--ci",
        ]);
        out.expect_code(exit_code::SUCCESS);
        assert!(
            out.stdout.contains(&format!("shard {shard}: ")),
            "{}",
            out.stdout
        );
        let results = ws.latest_results();
        assert_eq!(results["shard"]["index"], i);
        // The unsharded eval's times balance the split; every shard split alike.
        let split = results["shard"]["split"].as_str().unwrap().to_string();
        assert!(split.starts_with("durations sha256:"), "{split}");
        splits.push(split);
        total += results["runs"].as_array().unwrap().len();
        ids.push(results["run_id"].as_str().unwrap().to_string());
    }
    assert_eq!(total, 8, "every run in exactly one shard");
    assert!(
        !ws.exists("evals/snapshots/sh.snap.new"),
        "a shard writes no snapshot"
    );

    let args = |picked: &[&str]| -> Vec<String> {
        std::iter::once("merge".to_string())
            .chain(picked.iter().map(|s| s.to_string()))
            .collect()
    };
    let run_merge = |picked: &[&str]| {
        let a = args(picked);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ws.run(&a)
    };
    let out = run_merge(&[&ids[2], &ids[0], &ids[1]]);
    out.expect_code(exit_code::SUCCESS);
    assert!(out.stdout.contains("merged 3 shards"), "{}", out.stdout);
    assert!(out.stdout.contains("snapshot: matches"), "{}", out.stdout);
    assert!(
        out.stdout.contains("gate holds: agent reference"),
        "{}",
        out.stdout
    );
    let merged = ws.latest_results();
    assert_eq!(merged["runs"].as_array().unwrap().len(), 8);
    assert_eq!(merged["merged_from"], serde_json::json!(ids));
    assert_eq!(ws.read("evals/snapshots/sh.snap"), accepted);
    ws.run(&["scorecard"]).expect_code(exit_code::SUCCESS);

    let out = run_merge(&[&ids[0], &ids[2]]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("shard(s) 2/3 missing"),
        "{}",
        out.stderr
    );
    let out = run_merge(&[&ids[0], &ids[1], &ids[1], &ids[2]]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("shard 2/3 is given twice"),
        "{}",
        out.stderr
    );
    let whole = merged["run_id"].as_str().unwrap().to_string();
    let out = run_merge(&[&whole]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(out.stderr.contains("is not a shard"), "{}", out.stderr);
    ws.run(&["eval", "evals/sh.toml", "--shard", "4/3"])
        .expect_code(exit_code::BAD_INPUT);
    assert!(splits.iter().all(|s| *s == splits[0]));

    // The eval file changed since the shards ran: its gates are not theirs.
    let eval = ws.read("evals/sh.toml");
    ws.write("evals/sh.toml", &format!("{eval}# edited\n"));
    let out = run_merge(&[&ids[0], &ids[1], &ids[2]]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("changed since the shards ran it"),
        "{}",
        out.stderr
    );
    ws.write("evals/sh.toml", &eval);

    // A shard run from an empty store is split by key: merging it with shards balanced by
    // stored durations is refused, since their runs need not add up.
    let elsewhere = Workspace::shipped();
    elsewhere.write("evals/sh.toml", &ws.read("evals/sh.toml"));
    elsewhere
        .run(&["eval", "evals/sh.toml", "--shard", "2/3", "--ci"])
        .expect_code(exit_code::SUCCESS);
    assert_eq!(elsewhere.latest_results()["shard"]["split"], "key");
    let foreign = elsewhere.latest_results()["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    skillbench::fsx::copy_tree(
        &elsewhere.path(&format!(".skillbench/runs/{foreign}")),
        &ws.path(&format!(".skillbench/runs/{foreign}")),
    )
    .unwrap();
    let out = run_merge(&[&ids[0], &foreign, &ids[2]]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr
            .contains("the shards saw different stored durations"),
        "{}",
        out.stderr
    );
}

#[test]
fn gc_prunes_the_results_store_and_always_keeps_the_latest_run() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/gc.toml",
        &small_eval(r#""python-cves/job-queue""#, r#""noop""#, ""),
    );
    for _ in 0..3 {
        ws.run(&["eval", "evals/gc.toml", "--no-cache"]);
    }
    let stored = || {
        let mut ids: Vec<String> = std::fs::read_dir(ws.path(".skillbench/runs"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(stored().len(), 3);
    let latest = ws.read(".skillbench/runs/latest").trim().to_string();
    ws.run(&["gc"]).expect_code(exit_code::BAD_INPUT);
    let out = ws.run(&["gc", "--older-than", "1h"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains("0 results set(s) removed"),
        "{}",
        out.stdout
    );
    let out = ws.run(&["gc", "--keep", "1"]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains("2 results set(s) removed"),
        "{}",
        out.stdout
    );
    assert_eq!(stored(), std::slice::from_ref(&latest));
    let out = ws.run(&["gc", "--keep", "0"]);
    out.expect_code(exit_code::SUCCESS);
    assert_eq!(stored(), [latest], "the latest run stays");
    ws.run(&["scorecard"]).expect_code(exit_code::SUCCESS);
}

/// Runs a linter the tests install (tests/install-deps) on `files`: whether it passed, and
/// what it said.
fn lint_with(program: &str, args: &[&str], files: &[std::path::PathBuf]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed by tests/install-deps: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_shipped_ci_examples_pass_their_real_linters_and_broken_copies_do_not() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let workflow = root.join("github/skillbench.yml");
    let manifests = vec![
        root.join("kubernetes/skillbench-shards.yaml"),
        root.join("kubernetes/skillbench-merge.yaml"),
    ];
    let (ok, said) = lint_with("actionlint", &[], std::slice::from_ref(&workflow));
    assert!(ok, "{said}");
    let (ok, said) = lint_with("kubernetes-validate", &["--strict"], &manifests);
    assert!(ok, "{said}");
    // The workflow runs the commands the README documents.
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert!(
        text.contains("--shard \"${{ matrix.shard }}/$SHARDS\""),
        "{text}"
    );
    assert!(
        text.contains("skillbench merge shards/shard-* --ci --junit junit.xml"),
        "{text}"
    );

    // The linters catch what they must: a job without runs-on, a Job counting in words.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        text.replacen("    runs-on: ubuntu-latest\n", "", 1),
    )
    .unwrap();
    let (ok, said) = lint_with("actionlint", &[], &[broken]);
    assert!(!ok, "{said}");
    let job = std::fs::read_to_string(&manifests[0]).unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, job.replace("completions: 4", "completions: four")).unwrap();
    let (ok, said) = lint_with("kubernetes-validate", &["--strict"], &[broken]);
    assert!(!ok, "{said}");
}

#[test]
fn gates_select_cases_and_expectations_hold_the_uplift_and_count_regressions() {
    let ws = Workspace::shipped();
    // Escalates only when it has the skill: uplift 100 points on the escalate case.
    ws.write(
        "evals/uses.sh",
        "#!/bin/sh\nif [ -n \"$SKILLBENCH_SKILL_DIR\" ]; then printf '%s' '{\"schema\":\"agent-signals/v1\",\"outcome\":\"escalated\",\"confidence\":0.8,\"summary\":\"s\",\"escalations\":[{\"reason\":\"r\",\"question\":\"q?\"}]}' > \"$SKILLBENCH_SIGNALS\"; fi\n",
    );
    let gates = |uplift_bound: &str| {
        small_eval(
            r#""python-cves/job-queue", "python-cves/settings-loader""#,
            r#""reference", "noop", "uses""#,
            &format!(
                "[agent.uses]\nkind = \"command\"\ncommand = [\"sh\", \"./uses.sh\"]\n\n\
                 [[gate]]\nagent = \"reference\"\nexpectation = \"escalate\"\nmin_pass_rate = 1.0\n\n\
                 [[gate]]\nagent = \"noop\"\ncase = \"python-cves/settings-*\"\nmax_pass_rate = 0.0\n\n\
                 [[gate]]\nagent = \"uses\"\ncase = \"python-cves/job-queue\"\nmin_uplift = 0.5\nuplift_bound = \"{uplift_bound}\"\n\n\
                 [[gate]]\nagent = \"reference\"\nmax_regressions = 0\n"
            ),
        )
    };
    ws.write("evals/gates.toml", &gates("point"));
    let out = ws.run(&["eval", "evals/gates.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    for line in [
        "gate holds: agent reference, escalate cases: pass rate (grade B or better) >= 100% (1 of 1 graded runs pass)",
        "gate holds: agent noop, cases python-cves/settings-*: pass rate (grade B or better) <= 0% (0 of 1 graded runs pass)",
        "gate holds: agent uses, cases python-cves/job-queue: uplift (skill minus none) >= +50 points",
        "gate holds: agent reference: at most 0 regression(s) against the snapshot",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{}", out.stdout);
    }
    // One trial each side: the lower bound of the interval is far below the point.
    ws.write("evals/gates.toml", &gates("lower"));
    let out = ws.run(&["eval", "evals/gates.toml"]);
    out.expect_code(exit_code::GATE_FAILED);
    assert!(
        out.stdout.contains("gate FAILS: agent uses, cases python-cves/job-queue: uplift (skill minus none, lower 95% bound) >= +50 points"),
        "{}",
        out.stdout
    );
    ws.write("evals/gates.toml", &gates("point"));
    ws.run(&["eval", "evals/gates.toml"]);
    ws.run(&["accept", "gates"]).expect_code(exit_code::SUCCESS);
    // A regression of the reference fails its gate: 4, not only a pending snapshot.
    ws.write(
        "corpora/python-cves/settings-loader/hidden/hidden_tests/test_zz_new_rule.py",
        "import unittest\n\nclass NewRule(unittest.TestCase):\n    def test_fails(self):\n        self.fail('a new rule')\n",
    );
    let out = ws.run(&["eval", "evals/gates.toml"]);
    out.expect_code(exit_code::GATE_FAILED);
    assert!(
        out.stdout.contains("gate FAILS: agent reference: at most 0 regression(s) against the snapshot (1 of 2 graded runs pass; 1 regression(s))"),
        "{}",
        out.stdout
    );
    ws.write("evals/bad-gate.toml", &gates("median"));
    ws.run(&["eval", "evals/bad-gate.toml"])
        .expect_code(exit_code::BAD_INPUT);
}

#[test]
fn overrides_gates_scorecards_and_an_empty_selection() {
    let ws = Workspace::shipped();
    let gates = "[[gate]]\nagent = \"noop\"\nmin_pass_rate = 0.5\n";
    ws.write(
        "evals/gated.toml",
        &format!(
            "{}{gates}",
            small_eval(r#""python-cves/job-queue""#, r#""noop", "reference""#, "")
        ),
    );
    let out = ws.run(&[
        "eval",
        "evals/gated.toml",
        "--agent",
        "noop",
        "--trials",
        "2",
        "--jobs",
        "1",
    ]);
    out.expect_code(exit_code::GATE_FAILED);
    assert!(
        out.stdout.contains(
            "gate FAILS: agent noop: pass rate (grade B or better) >= 50% (0 of 2 graded runs pass)"
        ),
        "{}",
        out.stdout
    );
    let results = ws.latest_results();
    assert_eq!(
        results["runs"].as_array().unwrap().len(),
        2,
        "--agent noop --trials 2"
    );
    assert!(
        results["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["agent"] == "noop")
    );
    let run_id = results["run_id"].as_str().unwrap().to_string();

    // A gate over an agent that was not run is reported as skipped and does not fail.
    ws.write(
        "evals/skip.toml",
        &format!(
            "{}{gates}",
            small_eval(r#""python-cves/job-queue""#, r#""noop", "reference""#, "")
        ),
    );
    let out = ws.run(&["eval", "evals/skip.toml", "--agent", "reference"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    assert!(
        out.stdout.contains("gate skipped: agent noop"),
        "{}",
        out.stdout
    );

    let card = ws.run(&["scorecard", &run_id, "--format", "json"]);
    card.expect_code(exit_code::SUCCESS);
    let card: serde_json::Value = serde_json::from_str(&card.stdout).unwrap();
    assert_eq!(card["summaries"][0]["runs"], 2);
    assert_eq!(card["summaries"][0]["c"], 2);
    assert_eq!(card["rows"][0]["grades"], "CC");
    // noop writes no signals: it claimed nothing, so it has no escalation accuracy (not
    // the 100% a missing claim would score on a case that expects no escalation).
    assert!(
        card["summaries"][0]["escalation_accuracy"].is_null(),
        "{}",
        card["summaries"][0]
    );
    let md = ws.run(&["scorecard", &run_id, "--format", "md"]);
    assert!(
        md.stdout.starts_with("# Scorecard: gated\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| python-cves/job-queue | -       | noop  | CC     | escalation      |"),
        "{}",
        md.stdout
    );

    ws.run(&["eval", "evals/gated.toml", "--agent", "nobody"])
        .expect_code(exit_code::BAD_INPUT);
    ws.write(
        "evals/empty.toml",
        &small_eval(r#""no-such-corpus/*""#, r#""noop""#, ""),
    );
    let out = ws.run(&["eval", "evals/empty.toml"]);
    out.expect_code(exit_code::NOTHING_SELECTED);
    assert!(out.stderr.contains("match no case"), "{}", out.stderr);
}

#[test]
fn shipped_schemas_are_generated_from_the_types() {
    let ws = Workspace::empty();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (which, file) in [
        ("signals", "agent-signals.v1.schema.json"),
        ("results", "results.v1.schema.json"),
        ("events", "events.v1.schema.json"),
    ] {
        let out = ws.run(&["schema", which]);
        out.expect_code(exit_code::SUCCESS);
        let shipped = std::fs::read_to_string(root.join("schemas").join(file)).unwrap();
        assert_eq!(
            out.stdout, shipped,
            "schemas/{file} is stale: run `skillbench schema {which} > schemas/{file}`"
        );
    }
}

#[test]
fn a_failing_setup_is_infrastructure_left_out_of_the_snapshot_diff_with_exit_3() {
    let ws = Workspace::shipped();
    ws.write(
        "evals/one.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""reference""#, ""),
    );
    ws.run(&["eval", "evals/one.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    ws.run(&["accept", "one"]).expect_code(exit_code::SUCCESS);
    let accepted = ws.read("evals/snapshots/one.snap");
    let path = "corpora/python-cves/settings-loader/case.toml";
    let text = ws.read(path);
    let setup = text.lines().find(|l| l.starts_with("setup = ")).unwrap();
    ws.write(
        path,
        &text.replace(
            setup,
            r#"setup = ["echo first", "echo broken >&2; exit 7", "echo never"]"#,
        ),
    );
    // Setup is infrastructure: not graded, not compared, no pending snapshot, exit 3.
    let out = ws.run(&["eval", "evals/one.toml"]);
    out.expect_code(exit_code::SETUP_FAILED);
    let run = &ws.latest_results()["runs"][0];
    assert_eq!(run["status"], "setup_failed");
    assert!(run["grade"].is_null(), "never C: {}", run["grade"]);
    assert_eq!(
        run["grade_reason"],
        "not graded (setup failed): exit 7; setup.log ends: broken"
    );
    assert!(out.stdout.contains("snapshot: matches"), "{}", out.stdout);
    assert!(
        out.stdout.contains("not compared: python-cves/settings-loader  -  reference  I (accepted A): no trial was graded (setup-failed)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("setup failed: exit 7; setup.log ends: broken"),
        "the table says why: {}",
        out.stdout
    );
    assert!(out.stdout.contains("exit 3"), "{}", out.stdout);
    assert!(!ws.exists("evals/snapshots/one.snap.new"));
    assert_eq!(ws.read("evals/snapshots/one.snap"), accepted);
    let log = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("setup.log"),
    )
    .unwrap();
    assert_eq!(
        log, "first\nbroken\n",
        "setup stops at the first failing command"
    );
}

#[test]
fn a_fixture_that_no_longer_matches_its_pinned_rev_is_a_located_error() {
    let ws = Workspace::shipped();
    ws.write(
        "corpora/python-cves/settings-loader/repo/EXTRA.md",
        "changed\n",
    );
    ws.write(
        "evals/one.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""noop""#, ""),
    );
    let out = ws.run(&["eval", "evals/one.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr
            .starts_with("corpora/python-cves/settings-loader/case.toml:")
            && out
                .stderr
                .contains("not the pinned rev ca9f23203342c7291adf4ffeb9da8b7c4bdae693"),
        "{}",
        out.stderr
    );
    assert!(!ws.exists(".skillbench/runs/latest"));
}

#[test]
fn missing_gate_limits_and_a_missing_escalation_question_point_at_their_lines() {
    let ws = Workspace::shipped();
    let eval = "skill = \"pyyaml-safe-load\"\ncases = [\"python-cves/settings-loader\"]\nagents = [\"noop\"]\n[rubric]\n[[rubric.criteria]]\nid = \"s\"\nkind = \"signals\"\n\n[[gate]]\nagent = \"noop\"\n";
    ws.write("evals/g.toml", eval);
    let out = ws.run(&["eval", "evals/g.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert_eq!(
        out.stderr.trim(),
        "evals/g.toml:9:1: error: a [[gate]] needs min_pass_rate, max_pass_rate, min_uplift, min_uplift_vs or max_regressions"
    );

    ws.write("evals/g.toml", &format!("{eval}max_pass_rate = 0.0\n"));
    let path = "corpora/python-cves/settings-loader/case.toml";
    ws.write(
        path,
        &ws.read(path)
            .replace("expectation = \"fix\"", "expectation = \"escalate\""),
    );
    let out = ws.run(&["eval", "evals/g.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "{path}:3:15: error: an escalate case needs an [escalation] table with 'reason' and 'question'"
        )
    );
}

#[test]
fn the_reference_of_a_git_case_is_its_upstream_fix_commit_and_the_checkout_never_holds_it() {
    let ws = Workspace::shipped();
    let upstream = ws.path("upstream");
    let pinned = git_repo(&upstream);
    // The upstream fix, one commit later.
    let repo = git2::Repository::open(&upstream).unwrap();
    std::fs::write(
        upstream.join("app.py"),
        "import yaml\n\ndef load(s):\n    return yaml.safe_load(s)\n",
    )
    .unwrap();
    let fix = commit_all(&repo, "use safe_load");
    let url = format!("file://{}", upstream.display());
    git_case(&ws, &url, &pinned.to_string());
    let manifest = ws.read("corpora/remote/app/case.toml")
        + &format!("[checks]\nvisible = \"grep -q yaml app.py\"\n[reference]\nrev = \"{fix}\"\n");
    ws.write("corpora/remote/app/case.toml", &manifest);
    ws.write(
        "evals/remote.toml",
        r#"skill = "pyyaml-safe-load"
cases = ["remote/*"]
agents = ["reference"]
[agent.peek]
kind = "command"
command = ["sh", "-c", "git cat-file -e $FIX 2>/dev/null && echo LEAKED || echo clean"]
[rubric]
[[rubric.criteria]]
id = "safe"
kind = "present"
pattern = "yaml\\.safe_load"
"#,
    );
    let out = ws.run(&["eval", "evals/remote.toml"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let run = &ws.latest_results()["runs"][0];
    assert_eq!(run["grade"], "A", "{}", run["grade_reason"]);
    let diff = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("diff.patch"),
    )
    .unwrap();
    assert!(diff.contains("+    return yaml.safe_load(s)"), "{diff}");

    // An agent's checkout holds the pinned commit only: the fix is not there to read.
    let eval = ws
        .read("evals/remote.toml")
        .replace("agents = [\"reference\"]", "agents = [\"peek\"]")
        .replace(
            "cases = [",
            "pass_env = [\"FIX\"]\nvariants = [\"none\"]\ncases = [",
        );
    ws.write("evals/remote.toml", &eval);
    ws.run_with(&["eval", "evals/remote.toml"], &[("FIX", &fix.to_string())])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let run = &ws.latest_results()["runs"][0];
    let stdout = std::fs::read_to_string(
        ws.latest_dir()
            .join(run["dir"].as_str().unwrap())
            .join("stdout.log"),
    )
    .unwrap();
    assert_eq!(stdout.trim(), "clean");

    // corpus verify holds the git case like a fixture: reference A, noop C.
    let out = ws.run(&["corpus", "verify", "remote", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(reports[0]["reference"], "A", "{reports}");

    // An agent that looks the fix commit up (here it only names it, as a `git show` of
    // it would) fails integrity, with the quote; the fix itself would otherwise pass.
    let prefix = &fix.to_string()[..8];
    let eval = ws.read("evals/remote.toml").replace(
        "command = [\"sh\", \"-c\", \"git cat-file -e $FIX 2>/dev/null && echo LEAKED || echo clean\"]",
        &format!(
            "command = [\"sh\", \"-c\", \"echo '+ git show {prefix}'; sed -i s/yaml.load/yaml.safe_load/ app.py\"]"
        ),
    );
    ws.write("evals/remote.toml", &eval);
    ws.run(&["eval", "evals/remote.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let run = &ws.latest_results()["runs"][0];
    assert_eq!(run["grade"], "C", "{run}");
    let integrity = criterion(run, "integrity").unwrap();
    let detail = integrity["detail"].as_str().unwrap();
    assert!(
        detail.contains("looks up the answer (the upstream fix commit) in stdout.log")
            && detail.contains(&format!("git show {prefix}")),
        "{detail}"
    );
}

#[test]
fn a_relative_command_resolves_beside_the_eval_and_finds_its_sibling_in_the_sandbox() {
    let ws = Workspace::shipped();
    let wrapper = ws.write(
        "evals/agents/wrap.sh",
        "#!/bin/sh\nexec sh \"$(dirname \"$0\")/helper.sh\"\n",
    );
    ws.write(
        "evals/agents/helper.sh",
        "echo helper ran\necho '{\"schema\":\"agent-signals/v1\",\"outcome\":\"fixed\",\"confidence\":0.5}' > \"$SKILLBENCH_SIGNALS\"\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    ws.write(
        "evals/wrap.toml",
        &small_eval(
            "\"python-cves/settings-loader\"",
            "\"wrap\", \"missing\"",
            "variants = [\"none\"]\n[agent.wrap]\nkind = \"command\"\ncommand = [\"./agents/wrap.sh\"]\n[agent.missing]\nkind = \"command\"\ncommand = [\"./agents/nowhere.sh\"]\n",
        ),
    );
    let out = ws.run(&["eval", "evals/wrap.toml", "--sandbox", "bwrap"]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().unwrap();
    let wrap = runs.iter().find(|r| r["agent"] == "wrap").unwrap();
    assert_eq!(wrap["status"], "completed", "{wrap}");
    let stdout = std::fs::read_to_string(
        ws.latest_dir()
            .join(wrap["dir"].as_str().unwrap())
            .join("stdout.log"),
    )
    .unwrap();
    assert_eq!(stdout, "helper ran\n");
    // A run that ends before grading says why on its line, and in the snapshot row.
    let missing = runs.iter().find(|r| r["agent"] == "missing").unwrap();
    assert_eq!(missing["status"], "agent_error", "{missing}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(" missing ") && l.contains("trial 1"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(line.contains("— agent error: "), "{line}");
    let pending = ws.read("evals/snapshots/wrap.snap.new");
    assert!(pending.contains("[agent-error]"), "{pending}");
}

#[test]
fn a_closed_stdout_ends_quietly_and_the_command_still_does_its_work() {
    let ws = Workspace::shipped();
    // `args` with its stdout closed before it writes: its exit code and its stderr.
    let closed = |args: &[&str]| {
        let mut child = ws
            .skillbench()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        closed(&["corpus", "list"]),
        (Some(exit_code::SUCCESS), String::new())
    );
    // An eval goes on: its results are stored, its pending snapshot written, and its exit
    // code is its outcome, never an error about stdout.
    ws.write(
        "evals/piped.toml",
        &small_eval(r#""python-cves/settings-loader""#, r#""reference""#, ""),
    );
    let (code, stderr) = closed(&["eval", "evals/piped.toml"]);
    assert_eq!(code, Some(exit_code::SNAPSHOT_PENDING), "{stderr}");
    assert!(!stderr.contains("cannot write"), "{stderr}");
    assert!(ws.exists("evals/snapshots/piped.snap.new"));
    ws.run(&["accept", "piped"]).expect_code(exit_code::SUCCESS);
    let (code, stderr) = closed(&["eval", "evals/piped.toml"]);
    assert_eq!(code, Some(exit_code::SUCCESS), "{stderr}");
}

#[test]
fn a_workspace_named_with_c_holds_the_eval_path_and_a_missing_eval_is_bad_input() {
    let ws = Workspace::shipped();
    let elsewhere = ws.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let root = ws.root().to_string_lossy().into_owned();
    let out = ws
        .skillbench()
        .args(["-C", &root, "eval", "evals/pyyaml-safe-load.toml", "--ci"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(exit_code::SUCCESS),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ws.run(&["eval", "evals/no-such-eval.toml"]);
    out.expect_code(exit_code::BAD_INPUT);
    assert!(
        out.stderr.contains("cannot read evals/no-such-eval.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn both_reapers_pass_the_exit_code_on_and_kill_what_the_command_left() {
    let ws = Workspace::empty();
    let marker = format!("skillbench-reap-test-{}", std::process::id());
    let reap_bin =
        std::path::Path::new(env!("CARGO_BIN_EXE_skillbench")).with_file_name("skillbench-reap");
    let script = format!("(exec -a {marker} sleep 300) & exit 3");
    for reaper in [
        vec![
            env!("CARGO_BIN_EXE_skillbench").to_string(),
            "__reap".into(),
        ],
        vec![reap_bin.to_string_lossy().into_owned()],
    ] {
        let status = ws
            .command(&reaper[0])
            .args(&reaper[1..])
            .args(["--", "bash", "-c", &script])
            .status()
            .expect("the reaper runs");
        assert_eq!(status.code(), Some(3), "{reaper:?}");
        assert_nothing_left(&marker, None, &format!("{reaper:?}"));
    }
}

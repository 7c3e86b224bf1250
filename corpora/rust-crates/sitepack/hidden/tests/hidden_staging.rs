//! Hidden checks for the sitepack case (RUSTSEC-2018-0017, RUSTSEC-2023-0018): tempdir and
//! the vulnerable remove_dir_all must be gone, and staging must behave as the README
//! documents: `.stage.<random>` directories inside OUT, kept by `stage`, removed on
//! failure, swept by `sweep`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A scratch root with `build/` (a small site) and an empty `tmp/` used as TMPDIR.
fn scratch(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("sitepack-hidden-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    write(&root.join("build/index.html"), "<h1>docs</h1>");
    write(&root.join("build/img/logo.svg"), "<svg/>");
    fs::create_dir_all(root.join("tmp")).unwrap();
    root
}

/// Runs the sitepack binary in `root` with TMPDIR=`root/tmp`; (exit code, stdout, stderr).
fn sitepack(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitepack"))
        .args(args)
        .current_dir(root)
        .env("TMPDIR", root.join("tmp"))
        .output()
        .expect("run sitepack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn is_staging_name(name: &str) -> bool {
    name.strip_prefix(".stage.")
        .is_some_and(|rest| !rest.is_empty())
}

#[test]
fn stage_keeps_a_dot_stage_directory_inside_out() {
    let root = scratch("stage");
    let (code, printed, err) = sitepack(&root, &["stage", "build", "www"]);
    assert_eq!(code, 0, "{err}");
    let staged = root.join(&printed); // absolute or relative to the working directory
    assert!(
        staged.is_dir(),
        "the staging directory {printed} was not kept"
    );
    assert_eq!(
        fs::canonicalize(staged.parent().unwrap()).unwrap(),
        fs::canonicalize(root.join("www")).unwrap(),
        "staging must happen inside OUT (same file system, atomic rename), not in {printed}"
    );
    let name = staged.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        is_staging_name(&name),
        "staging directory is named {name:?}, not .stage.<random>"
    );
    assert_eq!(names(&staged), ["MANIFEST", "img", "index.html"]);
    assert!(
        names(&root.join("tmp")).is_empty(),
        "something was left in TMPDIR"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn sweep_removes_staging_leftovers_and_nothing_else() {
    let root = scratch("sweep");
    let (_, first, _) = sitepack(&root, &["stage", "build", "www"]);
    let (_, second, _) = sitepack(&root, &["stage", "build", "www"]);
    assert_ne!(first, second, "two staging runs must not share a directory");
    let (code, _, err) = sitepack(&root, &["publish", "build", "www", "docs"]);
    assert_eq!(code, 0, "{err}");
    // Things an operator put there by hand are not sitepack's to remove.
    fs::create_dir_all(root.join("www/.staged-by-hand")).unwrap();
    fs::create_dir_all(root.join("www/stage")).unwrap();
    let (code, printed, err) = sitepack(&root, &["sweep", "www"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(printed, "2");
    assert_eq!(
        names(&root.join("www")),
        [".staged-by-hand", "docs", "stage"]
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn publish_leaves_only_the_site() {
    let root = scratch("publish");
    for round in 0..2 {
        write(
            &root.join("build/index.html"),
            &format!("<h1>docs {round}</h1>"),
        );
        let (code, printed, err) = sitepack(&root, &["publish", "build", "www", "docs"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(root.join(printed), root.join("www/docs"));
        assert_eq!(names(&root.join("www")), ["docs"]);
        assert_eq!(
            fs::read_to_string(root.join("www/docs/index.html")).unwrap(),
            format!("<h1>docs {round}</h1>")
        );
    }
    assert!(
        names(&root.join("tmp")).is_empty(),
        "something was left in TMPDIR"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failed_publish_leaves_nothing_behind() {
    let root = scratch("secret");
    let (code, _, err) = sitepack(&root, &["publish", "build", "www", "docs"]);
    assert_eq!(code, 0, "{err}");
    write(&root.join("build/index.html"), "<h1>new</h1>");
    write(
        &root.join("build/keys/deploy.pem"),
        "-----BEGIN PRIVATE KEY-----",
    );
    let (code, _, err) = sitepack(&root, &["publish", "build", "www", "docs"]);
    assert_eq!(code, 1);
    assert!(err.contains("deploy.pem"), "{err}");
    assert_eq!(
        names(&root.join("www")),
        ["docs"],
        "a failed publish left files in OUT"
    );
    assert_eq!(
        fs::read_to_string(root.join("www/docs/index.html")).unwrap(),
        "<h1>docs</h1>"
    );
    let (code, _, _) = sitepack(&root, &["stage", "build", "www"]);
    assert_eq!(code, 1);
    assert_eq!(
        names(&root.join("www")),
        ["docs"],
        "a failed stage left files in OUT"
    );
    fs::remove_dir_all(&root).unwrap();
}

/// `(name, version)` of every package in Cargo.lock.
fn locked_packages() -> Vec<(String, String)> {
    let lock = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let mut packages = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take() {
                packages.push((n, v.trim_matches('"').to_string()));
            }
        }
    }
    packages
}

#[test]
fn tempdir_and_old_remove_dir_all_are_gone() {
    let manifest = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(
        !manifest
            .lines()
            .any(|l| l.trim_start().starts_with("tempdir")),
        "Cargo.toml still depends on tempdir"
    );
    for (name, version) in locked_packages() {
        assert_ne!(name, "tempdir", "Cargo.lock still has tempdir {version}");
        if name == "remove_dir_all" {
            let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
            let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            assert!(
                major > 0 || minor >= 8,
                "Cargo.lock still has remove_dir_all {version} (RUSTSEC-2023-0018)"
            );
        }
    }
}

use std::fs;
use std::path::Path;

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

fn site(root: &Path) -> std::path::PathBuf {
    let src = root.join("build");
    write(&src.join("index.html"), "<h1>docs</h1>");
    write(&src.join("css/site.css"), "body{}");
    write(&src.join(".git/HEAD"), "ref: refs/heads/main");
    src
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sitepack-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn publishes_a_copy_with_a_manifest() {
    let root = scratch("publish");
    let src = site(&root);
    let out = root.join("www");
    let target = sitepack::publish(&src, &out, "docs").unwrap();
    assert_eq!(target, out.join("docs"));
    assert_eq!(names(&target), ["MANIFEST", "css", "index.html"]);
    assert_eq!(
        fs::read_to_string(target.join("css/site.css")).unwrap(),
        "body{}"
    );
    assert_eq!(
        fs::read_to_string(target.join("MANIFEST")).unwrap(),
        "         6  css/site.css\n        13  index.html\n"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn republishing_replaces_the_site() {
    let root = scratch("republish");
    let src = site(&root);
    let out = root.join("www");
    sitepack::publish(&src, &out, "docs").unwrap();
    write(&src.join("index.html"), "<h1>docs v2</h1>");
    fs::remove_file(src.join("css/site.css")).unwrap();
    let target = sitepack::publish(&src, &out, "docs").unwrap();
    assert_eq!(
        fs::read_to_string(target.join("index.html")).unwrap(),
        "<h1>docs v2</h1>"
    );
    assert!(!target.join("css/site.css").exists());
    assert_eq!(names(&out), ["docs"]);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn refuses_secrets() {
    let root = scratch("secrets");
    let src = site(&root);
    write(&src.join("config/.env"), "TOKEN=hunter2");
    let err = sitepack::publish(&src, &root.join("www"), "docs").unwrap_err();
    assert!(err.to_string().contains("config/.env"), "{err}");
    assert!(!root.join("www/docs").exists());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn stage_keeps_a_copy() {
    let root = scratch("stage");
    let src = site(&root);
    let staged = sitepack::stage(&src, &root.join("www")).unwrap();
    assert!(staged.join("index.html").is_file());
    assert!(staged.join("MANIFEST").is_file());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn sweep_on_an_empty_directory() {
    let root = scratch("sweep");
    assert_eq!(sitepack::sweep(&root).unwrap(), 0);
    fs::remove_dir_all(&root).unwrap();
}

//! Ecosystems, through the real binary: each case's processes get its preset (named or
//! detected from the pinned commit, never from a delivery), and the XStream case grades a
//! fix by what it delivers against Debian's packaged XStream, so the naive fixes of the
//! 1.4.18 default-deny change (allow any type) grade C where an allowlist of the
//! application's own types grades A.
#![expect(
    clippy::expect_used,
    reason = "a test fails loudly where its own setup fails"
)]

use crate::support::{Workspace, criterion, exit_code};

const CASE: &str = "java-cves/order-import";

/// The edit every agent makes to both XStream instantiations, inserted before their first
/// alias, after raising pom.xml to `version`.
fn agent_script(version: &str, permission: &str) -> String {
    let insert = |file: &str, alias: &str| {
        if permission.is_empty() {
            String::new()
        } else {
            format!(
                "sed -i 's|{alias}|{permission} {alias}|' src/main/java/com/acme/orderdesk/{file}\n"
            )
        }
    };
    format!(
        r#"#!/bin/sh
set -e
sed -i 's|<version>1.4.17</version>|<version>{version}</version>|' pom.xml
{}{}printf '%s' '{{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.9,"summary":"bumped XStream"}}' > "$SKILLBENCH_SIGNALS"
"#,
        insert(
            "codec/OrderCodec.java",
            r#"xstream.alias("order", Order.class);"#
        ),
        insert(
            "archive/ShipmentArchive.java",
            r#"xstream.alias("shipment", Shipment.class);"#
        ),
    )
}

#[test]
fn allowing_any_type_grades_c_on_the_hidden_checks_and_an_allowlist_grades_a() {
    let ws = Workspace::shipped();
    let agents = [
        ("bump", agent_script("1.4.20", "")),
        (
            "allow-any",
            agent_script(
                "1.4.20",
                "xstream.addPermission(com.thoughtworks.xstream.security.AnyTypePermission.ANY);",
            ),
        ),
        (
            "wildcard",
            agent_script(
                "1.4.18",
                r#"xstream.allowTypesByWildcard(new String[] {"**"});"#,
            ),
        ),
        (
            "allowlist",
            agent_script(
                "1.4.20",
                r#"xstream.allowTypesByWildcard(new String[] {"com.acme.orderdesk.model.*"});"#,
            ),
        ),
        (
            "unbumped-allowlist",
            agent_script(
                "1.4.17",
                r#"xstream.allowTypesByWildcard(new String[] {"com.acme.orderdesk.model.*"});"#,
            ),
        ),
    ];
    let mut tables = String::new();
    for (name, script) in &agents {
        let path = ws.write(&format!("agents/{name}.sh"), script);
        tables.push_str(&format!(
            "[agent.{name}]\nkind = \"command\"\ncommand = [\"sh\", \"{}\"]\n\n",
            path.display()
        ));
    }
    let names: Vec<String> = agents.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    ws.write(
        "evals/xstream.toml",
        &format!(
            r#"skill = "pyyaml-safe-load"
cases = ["{CASE}"]
agents = [{}]
variants = ["none"]
timeout = "120s"

{tables}[rubric]
[[rubric.criteria]]
id = "visible"
kind = "checks"
checks = "visible"

[[rubric.criteria]]
id = "hidden"
kind = "checks"
checks = "hidden"
applies_to = "fix"

[[rubric.criteria]]
id = "escalation"
kind = "escalation"
"#,
            names.join(", ")
        ),
    );
    ws.run(&["eval", "evals/xstream.toml", "--jobs", "2"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().expect("runs");
    let run = |agent: &str| {
        runs.iter()
            .find(|r| r["agent"] == agent)
            .unwrap_or_else(|| panic!("no run of {agent}: {results:#}"))
    };
    let log = |r: &serde_json::Value, id: &str| {
        let c = criterion(r, id).unwrap_or_else(|| panic!("no {id} criterion: {r:#}"));
        let path = c["log"]
            .as_str()
            .map(|p| ws.latest_dir().join(r["dir"].as_str().unwrap()).join(p));
        path.and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let verdict = |r: &serde_json::Value, id: &str| criterion(r, id).map(|c| c["verdict"].clone());

    let detail = criterion(run("bump"), "hidden").map(|c| c["detail"].to_string());
    assert!(
        detail
            .as_deref()
            .is_some_and(|d| d.contains("ForbiddenClassException")),
        "the hidden check's detail names the first failing test and its exception: {detail:?}"
    );

    let good = run("allowlist");
    assert_eq!(
        good["grade"], "A",
        "an allowlist of the model types: {good:#}"
    );

    for (agent, why) in [
        (
            "bump",
            "ForbiddenClassException: com.acme.orderdesk.model.Order",
        ),
        ("allow-any", "theOrderCodecRefusesForeignTypes"),
        ("wildcard", "theShipmentArchiveRefusesForeignTypes"),
        ("unbumped-allowlist", "pom.xml declares XStream 1.4.17"),
    ] {
        let r = run(agent);
        assert_eq!(r["grade"], "C", "{agent}: {r:#}");
        assert_eq!(
            verdict(r, "visible"),
            Some(serde_json::json!("pass")),
            "{agent}: the visible tests stay green: {r:#}"
        );
        assert_eq!(
            verdict(r, "hidden"),
            Some(serde_json::json!("fail")),
            "{agent}: {r:#}"
        );
        let hidden = log(r, "hidden");
        assert!(
            hidden.contains(why),
            "{agent}: the hidden checks' log says {why:?}:\n{hidden}"
        );
    }
}

/// The environment a preset promises, checked by each case's own visible check in the clean
/// room, after an agent that planted the manifests of other ecosystems.
#[test]
fn each_case_gets_its_preset_detected_from_the_pinned_commit_not_from_a_delivery() {
    let ws = Workspace::empty();
    ws.write(
        "skills/s/SKILL.md",
        "---\nname: s\ndescription: Checks presets. Use when testing skillbench.\n---\n# S\n\n\
         ## When to stop and escalate\n\nNever.\n",
    );
    // A JavaScript repository that names no ecosystem: npm is detected.
    ws.write(
        "corpora/t/node/repo/package.json",
        "{\"name\": \"n\", \"private\": true}\n",
    );
    ws.write(
        "corpora/t/node/case.toml",
        r#"expectation = "fix"
task = "Nothing to do."
setup = ['test "$npm_config_update_notifier" = false']
[source]
fixture = "repo"
[[findings]]
id = "T-1"
summary = "trivial"
[checks]
visible = '''
set -e
test "$npm_config_update_notifier" = false || { echo "no npm preset"; exit 1; }
test -z "${CARGO_TARGET_DIR:-}" || { echo "a planted Cargo.toml chose cargo: $CARGO_TARGET_DIR"; exit 1; }
test -z "${PIP_CACHE_DIR:-}" || { echo "a planted requirements.txt chose pip"; exit 1; }
grep -qx "npm_config_cache=$SKILLBENCH_SHARED_CACHE/npm" agent-env.txt || { echo "the agent had no npm preset"; exit 1; }
'''
"#,
    );
    // A Rust repository that says so, although a package.json sits beside its Cargo.toml.
    ws.write(
        "corpora/t/rust/repo/Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\n",
    );
    ws.write("corpora/t/rust/repo/package.json", "{}\n");
    ws.write(
        "corpora/t/rust/case.toml",
        r#"expectation = "fix"
ecosystem = "cargo"
task = "Nothing to do."
[source]
fixture = "repo"
[[findings]]
id = "T-2"
summary = "trivial"
[checks]
visible = '''
set -e
test "$CARGO_HOME" = "$SKILLBENCH_SHARED_CACHE/cargo" || { echo "CARGO_HOME=$CARGO_HOME"; exit 1; }
test "$CARGO_TARGET_DIR" = "$TMPDIR/cargo-target" || { echo "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"; exit 1; }
test -d "$RUSTUP_HOME" || { echo "RUSTUP_HOME=$RUSTUP_HOME is no folder"; exit 1; }
test -z "${npm_config_fund:-}" || { echo "the npm preset too"; exit 1; }
grep -q "^CARGO_TARGET_DIR=.*/cargo-target$" agent-env.txt || { echo "the agent had no cargo preset"; exit 1; }
'''
"#,
    );
    let script = ws.write(
        "agent.sh",
        "set -e\nenv > agent-env.txt\necho '[package]' > Cargo.toml\necho 'pyyaml' > requirements.txt\n\
         echo '{}' > package.json\n\
         printf '%s' '{\"schema\":\"agent-signals/v1\",\"outcome\":\"fixed\",\"confidence\":0.9,\"summary\":\"planted\"}' > \"$SKILLBENCH_SIGNALS\"\n",
    );
    ws.write(
        "evals/e.toml",
        &format!(
            r#"skill = "s"
cases = ["t/*"]
agents = ["plant"]
variants = ["none"]
timeout = "60s"

[agent.plant]
kind = "command"
command = ["sh", "{}"]

[rubric]
[[rubric.criteria]]
id = "preset"
kind = "checks"
checks = "visible"
"#,
            script.display()
        ),
    );
    ws.run(&["eval", "evals/e.toml"])
        .expect_code(exit_code::SNAPSHOT_PENDING);
    let results = ws.latest_results();
    let runs = results["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{results:#}");
    for run in runs {
        let c = criterion(run, "preset").unwrap_or_else(|| panic!("no preset criterion: {run:#}"));
        assert_eq!(c["verdict"], "pass", "{}: {c:#}", run["case"]);
    }
}

/// `git` in `dir`, as a fixed author; its stdout.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn corpus_add_from_git_fetches_detects_fills_the_findings_and_verifies() {
    let ws = Workspace::empty();
    ws.write(
        "upstream/package.json",
        "{\n  \"name\": \"svc\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"scripts\": {\"test\": \"node --test test/\"},\n  \"dependencies\": {\n    \"tiny-dep\": \"file:vendor/tiny-dep\"\n  }\n}\n",
    );
    ws.write(
        "upstream/vendor/tiny-dep/package.json",
        "{\"name\": \"tiny-dep\", \"version\": \"1.0.0\"}\n",
    );
    ws.write("upstream/index.js", "module.exports = (s) => s;\n");
    ws.write(
        "upstream/test/app.test.js",
        "const test = require('node:test');\nconst assert = require('node:assert');\ntest('echo', () => assert.equal(require('../index.js')('a'), 'a'));\n",
    );
    let upstream = ws.path("upstream");
    git(&upstream, &["init", "-q"]);
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["commit", "-qm", "the vulnerable release"]);
    let pinned = git(&upstream, &["rev-parse", "HEAD"]);
    ws.write("upstream/index.js", "module.exports = (s) => String(s);\n");
    git(&upstream, &["commit", "-qam", "the fix"]);
    let fix = git(&upstream, &["rev-parse", "HEAD"]);
    ws.write(
        "osv.json",
        r#"{"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-0001"], "summary": "tiny-dep trusts its input",
            "affected": [{"package": {"ecosystem": "npm", "name": "tiny-dep"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]}"#,
    );
    let url = upstream.to_string_lossy().into_owned();
    let out = ws.run(&[
        "corpus",
        "add",
        "t/svc",
        "--git",
        &url,
        "--rev",
        &pinned,
        "--fix-rev",
        &fix,
        "--advisory",
        "osv.json",
    ]);
    out.expect_code(exit_code::SUCCESS);
    for said in [
        "(ecosystem npm, 1 finding(s))",
        "to write:",
        "hidden/hidden-tests/fix.test.js",
        "corpus verify t/svc --trials 3",
    ] {
        assert!(
            out.stdout.contains(said),
            "corpus add says {said:?}:\n{}",
            out.stdout
        );
    }
    // The verify ran: the reference (the upstream fix) fails the stub hidden check.
    assert!(
        out.stdout.contains("t/svc") && out.stdout.contains("FAILED"),
        "the new case verified, failing where it is unwritten:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    let manifest = ws.read("corpora/t/svc/case.toml");
    for line in [
        "ecosystem = \"npm\"".to_string(),
        "setup = [\"npm install --prefer-offline --loglevel=error\"]".into(),
        "visible = \"npm test\"".into(),
        "hidden = \"node --test hidden-tests/\"".into(),
        format!("[reference]\nrev = \"{fix}\""),
        format!("rev = \"{pinned}\""),
        "id = \"GHSA-aaaa-bbbb-cccc\"".into(),
        "package = \"tiny-dep\"".into(),
        "vulnerable = \"< 2.0.0\"".into(),
        "fixed = \"2.0.0\"".into(),
        "locations = [\"package.json:7\"]".into(),
        "The dependency scanner reports GHSA-aaaa-bbbb-cccc (CVE-2099-0001)".into(),
    ] {
        assert!(
            manifest.contains(&line),
            "case.toml has {line:?}:\n{manifest}"
        );
    }
    assert!(
        ws.read("corpora/t/svc/hidden/hidden-tests/fix.test.js")
            .contains("assert.fail")
    );
    // The upstream repository is in the mirror: the case runs without it.
    std::fs::remove_dir_all(&upstream).expect("remove upstream");
    let out = ws.run(&["corpus", "list", "t", "--format", "json"]);
    out.expect_code(exit_code::SUCCESS);

    // A fix commit the repository does not have: said, and nothing written.
    ws.write("upstream2/a.txt", "a\n");
    let upstream2 = ws.path("upstream2");
    git(&upstream2, &["init", "-q"]);
    git(&upstream2, &["add", "-A"]);
    git(&upstream2, &["commit", "-qm", "one"]);
    let only = git(&upstream2, &["rev-parse", "HEAD"]);
    let out = ws.run(&[
        "corpus",
        "add",
        "t/other",
        "--git",
        &upstream2.to_string_lossy(),
        "--rev",
        &only,
        "--fix-rev",
        "89abcdef0123456789abcdef0123456789abcdef",
    ]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("89abcdef0123456789abcdef0123456789abcdef"),
        "{}",
        out.stderr
    );
    assert!(!ws.exists("corpora/t/other"));
}

/// A Maven repository: detected from pom.xml, the finding located at the dependency's
/// `artifactId` (not the project's own name or description), Maven's setup and checks, and
/// the JUnit stub where Surefire finds it.
#[test]
fn corpus_add_detects_a_maven_project_and_locates_the_dependency() {
    let ws = Workspace::empty();
    ws.write(
        "upstream/pom.xml",
        "<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.example</groupId>\n  <artifactId>orders</artifactId>\n  <description>imports orders with xstream</description>\n  <properties>\n    <xstream.version>1.4.17</xstream.version>\n  </properties>\n  <dependencies>\n    <dependency>\n      <groupId>com.thoughtworks.xstream</groupId>\n      <artifactId>xstream</artifactId>\n      <version>${xstream.version}</version>\n    </dependency>\n  </dependencies>\n</project>\n",
    );
    ws.write(
        "upstream/src/main/java/Orders.java",
        "public class Orders {}\n",
    );
    let upstream = ws.path("upstream");
    git(&upstream, &["init", "-q"]);
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["commit", "-qm", "pinned"]);
    let pinned = git(&upstream, &["rev-parse", "HEAD"]);
    ws.write(
        "osv.json",
        r#"{"id": "GHSA-7chv-rrw6-w6fc", "aliases": ["CVE-2021-39139"], "summary": "XStream is vulnerable to an Arbitrary Code Execution attack",
            "affected": [{"package": {"ecosystem": "Maven", "name": "com.thoughtworks.xstream:xstream"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4.18"}]}]}]}"#,
    );
    let out = ws.run(&[
        "corpus",
        "add",
        "j/orders",
        "--git",
        &upstream.to_string_lossy(),
        "--rev",
        &pinned,
        "--advisory",
        "osv.json",
        "--no-verify",
    ]);
    out.expect_code(exit_code::SUCCESS);
    assert!(
        out.stdout.contains("(ecosystem maven, 1 finding(s))"),
        "{}",
        out.stdout
    );
    let manifest = ws.read("corpora/j/orders/case.toml");
    for line in [
        "ecosystem = \"maven\"",
        "setup = [\"mvn -B -q dependency:go-offline\"]",
        "visible = \"mvn -B -q -o test\"",
        "hidden = \"mvn -B -q -o test -Dtest=HiddenFixTest\"",
        "package = \"com.thoughtworks.xstream:xstream\"",
        "fixed = \"1.4.18\"",
        "locations = [\"pom.xml:12\"]",
    ] {
        assert!(
            manifest.contains(line),
            "case.toml has {line:?}:\n{manifest}"
        );
    }
    assert!(
        ws.read("corpora/j/orders/hidden/src/test/java/hidden/HiddenFixTest.java")
            .contains("org.junit.Assert.fail")
    );
}

//! Malformed inputs, table-driven: every input format skillbench reads (SKILL.md front
//! matter, `case.toml`, eval TOML, Agent Signals, calibrate labels, SARIF, stored results and
//! the command line) fed syntax errors, wrong types, unknown keys, missing fields, duplicate
//! ids, bad enums, empty strings, non-UTF-8 bytes, BOMs and huge values.
//!
//! Each row names the files it writes over a small, valid workspace, the command it runs,
//! the exit code it expects and the substrings stderr must hold (for a located error: the
//! file, `line:col` and a word of what is wrong). For every row the harness also checks that
//! nothing was half-written: no new entry under `.skillbench/` (no run, no `.partial`, no
//! `latest` moved), no new `evals/snapshots/*.snap.new`, and no input file changed. Every
//! row runs, with a time and memory limit; each test fails once at the end, listing every
//! row that did not behave.

#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "the harness fails a test loudly when its own setup fails"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support::{Workspace, exit_code};

// ---------------------------------------------------------------------------------------
// The valid workspace every row starts from.

/// A lint-clean skill.
const SKILL: &str = "---\nname: demo\ndescription: Fixes demo things.\n---\n# Demo\n\n## When to stop and escalate\n\nAsk the owner.\n";
const SKILL_PATH: &str = "skills/demo/SKILL.md";
/// A fix case with a one-file fixture.
///
/// ```text
/// 1 expectation = "fix"
/// 2 task = "Fix it."
/// 3 [source]
/// 4 fixture = "repo"
/// 5 [[findings]]
/// 6 id = "F-1"
/// 7 summary = "bad"
/// ```
const CASE: &str = "expectation = \"fix\"\ntask = \"Fix it.\"\n[source]\nfixture = \"repo\"\n[[findings]]\nid = \"F-1\"\nsummary = \"bad\"\n";
const CASE_PATH: &str = "corpora/c/one/case.toml";
/// Lines 1–3 of every eval.
const EVAL_HEAD: &str = "skill = \"demo\"\ncases = [\"c/*\"]\nagents = [\"noop\"]\n";
/// A one-criterion rubric (4 lines).
const RUBRIC: &str = "[rubric]\n[[rubric.criteria]]\nid = \"signals\"\nkind = \"signals\"\n";
const EVAL_PATH: &str = "evals/e.toml";
const EVAL: [&str; 2] = ["eval", EVAL_PATH];
/// The eval of the workspace that has a stored run: one command agent.
const RUN_EVAL: &str = "skill = \"demo\"\ncases = [\"c/*\"]\nagents = [\"cmd\"]\nvariants = [\"skill\"]\n[agent.cmd]\nkind = \"command\"\ncommand = [\"true\"]\n[rubric]\n[[rubric.criteria]]\nid = \"signals\"\nkind = \"signals\"\n";
/// The run folder of that eval's only run.
const RUN_DIR: &str = "c__one__cmd__skill__t1";

const BOM: &str = "\u{feff}";
/// How long a row may take before it counts as hung (a bad input fails in milliseconds).
const ROW_TIMEOUT: Duration = Duration::from_secs(20);

/// The eval with `extra` as its lines 4…, before the rubric.
fn eval_top(extra: &str) -> String {
    format!("{EVAL_HEAD}{extra}{RUBRIC}")
}

/// The eval whose only criterion's body (from `id`) starts on line 6.
fn eval_crit(body: &str) -> String {
    format!("{EVAL_HEAD}[rubric]\n[[rubric.criteria]]\n{body}")
}

/// The eval with `tail` as its lines 8…, after the rubric.
fn eval_tail(tail: &str) -> String {
    format!("{EVAL_HEAD}{RUBRIC}{tail}")
}

/// The case with `extra` as its lines 3…, before `[source]`.
fn case_top(extra: &str) -> String {
    format!(
        "expectation = \"fix\"\ntask = \"Fix it.\"\n{extra}[source]\nfixture = \"repo\"\n[[findings]]\nid = \"F-1\"\nsummary = \"bad\"\n"
    )
}

/// The case with `tail` as its lines 8….
fn case_tail(tail: &str) -> String {
    format!("{CASE}{tail}")
}

/// The skill with `extra` front matter lines from line 4, before the closing `---`.
fn skill_front(extra: &str) -> String {
    format!(
        "---\nname: demo\ndescription: Fixes demo things.\n{extra}---\n# Demo\n\n## When to stop and escalate\n\nAsk the owner.\n"
    )
}

/// The skill whose body line 9 is `line`.
fn skill_body(line: &str) -> String {
    format!(
        "---\nname: demo\ndescription: Fixes demo things.\n---\n# Demo\n\n## When to stop and escalate\n\n{line}\n"
    )
}

/// `file:line:col:` of the first occurrence of `marker` in `text` (1-based, in characters).
fn at(file: &str, text: &str, marker: &str) -> String {
    let offset = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} is not in the row's text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    format!("{file}:{line}:{col}:")
}

/// `text` with each U+0001 replaced by the byte `byte` (not UTF-8 on its own).
fn with_byte(text: &str, byte: u8) -> Vec<u8> {
    text.bytes()
        .map(|b| if b == 1 { byte } else { b })
        .collect()
}

/// `file:line:col:` of the first byte of `bytes` that is not UTF-8.
fn first_bad_byte(file: &str, bytes: &[u8]) -> String {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => panic!("{file}: the row's bytes are valid UTF-8"),
        Err(e) => e.valid_up_to(),
    };
    let before = std::str::from_utf8(&bytes[..valid]).unwrap();
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    format!("{file}:{line}:{col}:")
}

// ---------------------------------------------------------------------------------------
// Rows.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// The needles must be in stderr.
    Stderr,
    /// In stdout or stderr: `skill lint` prints its findings on stdout.
    Either,
}

#[derive(Debug, Clone)]
struct Row {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    dirs: Vec<String>,
    args: Vec<String>,
    code: i32,
    needles: Vec<String>,
    stream: Stream,
}

fn row(name: &str) -> Row {
    Row {
        name: name.to_string(),
        files: Vec::new(),
        dirs: Vec::new(),
        args: Vec::new(),
        code: exit_code::BAD_INPUT,
        needles: Vec::new(),
        stream: Stream::Stderr,
    }
}

impl Row {
    fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Row {
        self.files.push((path.to_string(), bytes.into()));
        self
    }

    fn dir(mut self, path: &str) -> Row {
        self.dirs.push(path.to_string());
        self
    }

    fn args(mut self, args: &[&str]) -> Row {
        self.args = args.iter().map(|a| (*a).to_string()).collect();
        self
    }

    fn expect(mut self, code: i32, needles: &[&str]) -> Row {
        self.code = code;
        self.needles = needles.iter().map(|n| (*n).to_string()).collect();
        self
    }

    fn either_stream(mut self) -> Row {
        self.stream = Stream::Either;
        self
    }
}

/// `skillbench eval evals/e.toml` over an eval with `text`.
fn eval_row(name: &str, text: impl Into<Vec<u8>>) -> Row {
    row(&format!("eval/{name}"))
        .file(EVAL_PATH, text)
        .args(&EVAL)
}

/// `skillbench eval evals/e.toml` over the case `corpora/c/one/case.toml` with `text`.
fn case_row(name: &str, text: impl Into<Vec<u8>>) -> Row {
    row(&format!("case/{name}"))
        .file(CASE_PATH, text)
        .args(&EVAL)
}

/// `skillbench skill lint skills/demo` over a `SKILL.md` with `text`.
fn skill_row(name: &str, text: impl Into<Vec<u8>>) -> Row {
    row(&format!("skill/{name}"))
        .file(SKILL_PATH, text)
        .args(&["skill", "lint", "skills/demo"])
        .either_stream()
}

/// `skillbench corpus import-sarif scan.sarif` over `text`.
fn sarif_row(name: &str, text: impl Into<Vec<u8>>) -> Row {
    row(&format!("sarif/{name}"))
        .file("scan.sarif", text)
        .args(&["corpus", "import-sarif", "scan.sarif"])
}

/// `skillbench calibrate labels.toml` over `text`.
fn labels_row(name: &str, text: impl Into<Vec<u8>>) -> Row {
    row(&format!("labels/{name}"))
        .file("labels.toml", text)
        .args(&["calibrate", "labels.toml"])
}

fn cli_row(name: &str, args: &[&str]) -> Row {
    row(&format!("cli/{name}")).args(args)
}

const BAD: i32 = exit_code::BAD_INPUT;
const NONE: i32 = exit_code::NOTHING_SELECTED;

fn skill_rows() -> Vec<Row> {
    let p = SKILL_PATH;
    let long_name = format!(
        "---\nname: {}\ndescription: d\n---\n# Demo\n\n## When to stop and escalate\n\nAsk.\n",
        "a".repeat(65)
    );
    let long_description = format!(
        "---\nname: demo\ndescription: {}\n---\n# Demo\n\n## When to stop and escalate\n\nAsk.\n",
        "d".repeat(1025)
    );
    let long_compat = skill_front(&format!("compatibility: {}\n", "c".repeat(501)));
    let bad_body = with_byte(&skill_body("Ask the \u{1}owner."), 0xff);
    let bad_front: Vec<u8> = b"---\nname: d\xe9mo\ndescription: Fixes demo things.\n---\n# Demo\n\n## When to stop and escalate\n\nAsk.\n".to_vec();
    let broken_skill = SKILL.replace("name: demo", "name: Demo");
    vec![
        skill_row(
            "no-front-matter",
            "# Demo\n\n## When to stop and escalate\n",
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "front matter"]),
        skill_row("empty-file", "").expect(BAD, &[&format!("{p}:1:1:"), "front matter"]),
        skill_row(
            "front-matter-not-closed",
            "---\nname: demo\ndescription: d\n# Demo\n",
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "front matter"]),
        skill_row(
            "yaml-unterminated-quote",
            "---\nname: \"demo\ndescription: d\n---\n# Demo\n",
        )
        .expect(BAD, &[&format!("{p}:2:"), "YAML"]),
        skill_row(
            "yaml-tab-indent",
            "---\nname: demo\n\tdescription: d\n---\n# Demo\n",
        )
        .expect(BAD, &[&format!("{p}:3:"), "tab"]),
        skill_row("yaml-unknown-anchor", skill_front("license: *nowhere\n"))
            .expect(BAD, &[&format!("{p}:4:10:"), "anchor"]),
        skill_row(
            "front-matter-is-a-list",
            "---\n- name\n- demo\n---\n# Demo\n",
        )
        .expect(BAD, &[&format!("{p}:2:1:"), "mapping"]),
        skill_row(
            "missing-name",
            "---\ndescription: d\n---\n# Demo\n\n## When to stop and escalate\n",
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "'name'"]),
        skill_row(
            "missing-description",
            "---\nname: demo\n---\n# Demo\n\n## When to stop and escalate\n",
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "'description'"]),
        skill_row("name-uppercase", SKILL.replace("name: demo", "name: Demo"))
            .expect(BAD, &[&format!("{p}:2:7:"), "a-z"]),
        skill_row(
            "name-double-hyphen",
            SKILL.replace("name: demo", "name: de--mo"),
        )
        .expect(BAD, &[&format!("{p}:2:7:"), "'--'"]),
        skill_row(
            "name-leading-hyphen",
            SKILL.replace("name: demo", "name: -demo"),
        )
        .expect(BAD, &[&format!("{p}:2:7:"), "'-'"]),
        skill_row("name-65-characters", long_name).expect(BAD, &[&format!("{p}:2:7:"), "64"]),
        skill_row("name-empty", SKILL.replace("name: demo", "name: \"\""))
            .expect(BAD, &[&format!("{p}:2:7:"), "'name'"]),
        skill_row(
            "name-not-the-folder",
            SKILL.replace("name: demo", "name: other"),
        )
        .expect(BAD, &[&format!("{p}:2:7:"), "folder"]),
        skill_row("name-is-a-number", SKILL.replace("name: demo", "name: 123"))
            .expect(BAD, &[&format!("{p}:2:7:"), "string"]),
        skill_row(
            "name-is-a-list",
            SKILL.replace("name: demo", "name: [demo]"),
        )
        .expect(BAD, &[&format!("{p}:2:7:"), "string"]),
        skill_row(
            "description-empty",
            SKILL.replace("description: Fixes demo things.", "description: \"\""),
        )
        .expect(BAD, &[&format!("{p}:3:14:"), "'description'"]),
        skill_row(
            "description-whitespace",
            SKILL.replace("description: Fixes demo things.", "description: \"   \""),
        )
        .expect(BAD, &[&format!("{p}:3:14:"), "'description'"]),
        skill_row("description-1025-characters", long_description)
            .expect(BAD, &[&format!("{p}:3:14:"), "1024"]),
        skill_row("compatibility-501-characters", long_compat)
            .expect(BAD, &[&format!("{p}:4:16:"), "500"]),
        skill_row("metadata-not-a-mapping", skill_front("metadata: [a, b]\n"))
            .expect(BAD, &[&format!("{p}:4:11:"), "metadata"]),
        skill_row(
            "metadata-value-is-a-list",
            skill_front("metadata:\n  owners: [a]\n"),
        )
        .expect(BAD, &[&format!("{p}:5:11:"), "owners"]),
        skill_row(
            "metadata-value-is-a-number",
            skill_front("metadata:\n  version: 1\n"),
        )
        .expect(BAD, &[&format!("{p}:5:12:"), "version"]),
        skill_row("license-is-a-list", skill_front("license: [MIT]\n"))
            .expect(BAD, &[&format!("{p}:4:10:"), "license"]),
        skill_row(
            "allowed-tools-is-a-number",
            skill_front("allowed-tools: 5\n"),
        )
        .expect(BAD, &[&format!("{p}:4:16:"), "allowed-tools"]),
        skill_row(
            "unknown-key-suggests",
            SKILL.replace("description:", "descripton:"),
        )
        .expect(BAD, &[&format!("{p}:3:1:"), "did you mean 'description'"]),
        skill_row("unknown-key-lists-the-keys", skill_front("colour: red\n"))
            .expect(BAD, &[&format!("{p}:4:1:"), "colour"]),
        skill_row("duplicate-key", skill_front("name: demo\n"))
            .expect(BAD, &[&format!("{p}:4:1:"), "duplicate"]),
        skill_row("key-not-a-string", skill_front("[1]: 2\n"))
            .expect(BAD, &[&format!("{p}:4:1:"), "keys"]),
        skill_row(
            "broken-link",
            skill_body("See [the guide](references/guide.md)."),
        )
        .expect(BAD, &[&format!("{p}:9:17:"), "does not exist"]),
        skill_row(
            "broken-file-reference",
            skill_body("Run `scripts/fix.sh` first."),
        )
        .expect(BAD, &[&format!("{p}:9:6:"), "does not exist"]),
        skill_row(
            "link-outside-the-skill",
            skill_body("See [x](../../etc/passwd)."),
        )
        .expect(BAD, &[&format!("{p}:9:9:"), "outside"]),
        skill_row("non-utf8-body", bad_body.clone())
            .expect(BAD, &[&first_bad_byte(p, &bad_body), "UTF-8"]),
        skill_row("non-utf8-latin1-front-matter", bad_front.clone())
            .expect(BAD, &[&first_bad_byte(p, &bad_front), "UTF-8"]),
        skill_row("utf16-file", utf16le_with_bom(SKILL))
            .expect(BAD, &[&format!("{p}:1:1:"), "UTF-8"]),
        skill_row(
            "bom-then-a-bad-name",
            format!("{BOM}{}", SKILL.replace("name: demo", "name: Demo")),
        )
        .expect(BAD, &[&format!("{p}:2:7:"), "a-z"]),
        row("skill/no-such-folder")
            .args(&["skill", "lint", "skills/nosuch"])
            .expect(BAD, &["skills/nosuch", "no such skill folder"])
            .either_stream(),
        row("skill/folder-without-skill-md")
            .dir("skills/empty")
            .args(&["skill", "lint", "skills/empty"])
            .expect(BAD, &["skills/empty/SKILL.md", "missing SKILL.md"])
            .either_stream(),
        row("skill/eval-over-a-broken-skill")
            .file(SKILL_PATH, broken_skill)
            .args(&EVAL)
            .expect(BAD, &[&format!("{p}:2:7:"), "a-z"]),
        row("skill/eval-over-a-non-utf8-skill")
            .file(SKILL_PATH, bad_body.clone())
            .args(&EVAL)
            .expect(BAD, &[&first_bad_byte(p, &bad_body), "UTF-8"]),
        cli_row("skill-new-bad-name", &["skill", "new", "Bad--Name"]).expect(BAD, &["Bad--Name"]),
        cli_row("skill-new-existing", &["skill", "new", "demo"]).expect(BAD, &["demo"]),
    ]
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn case_rows() -> Vec<Row> {
    let p = CASE_PATH;
    let sha = "ca9f23203342c7291adf4ffeb9da8b7c4bdae693";
    let non_utf8_task = with_byte(&CASE.replace("Fix it.", "Fix \u{1} it."), 0xff);
    let latin1_title = with_byte(&case_top("title = \"Caf\u{1}\"\n"), 0xe9);
    let second_finding = case_tail("[[findings]]\nid = \"F-1\"\nsummary = \"again\"\n");
    vec![
        case_row("syntax-unterminated-string", CASE.replace("\"fix\"", "\"fix"))
            .expect(BAD, &[&format!("{p}:1:"), "string"]),
        case_row("syntax-missing-value", CASE.replace("task = \"Fix it.\"", "task ="))
            .expect(BAD, &[&format!("{p}:2:"), "value"]),
        case_row("duplicate-key", case_top("task = \"Again.\"\n"))
            .expect(BAD, &[&format!("{p}:3:1:"), "duplicate"]),
        case_row("unknown-key-suggests", case_top("titel = \"x\"\n"))
            .expect(BAD, &[&format!("{p}:3:1:"), "did you mean 'title'"]),
        case_row("unknown-source-key", CASE.replace("fixture =", "fixtur ="))
            .expect(BAD, &[&format!("{p}:4:1:"), "did you mean 'fixture'"]),
        case_row("unknown-finding-key", CASE.replace("summary =", "sumary ="))
            .expect(BAD, &[&format!("{p}:7:1:"), "did you mean 'summary'"]),
        case_row("unknown-checks-key", case_tail("[checks]\nvisibel = \"true\"\n"))
            .expect(BAD, &[&format!("{p}:9:1:"), "did you mean 'visible'"]),
        case_row(
            "unknown-escalation-key",
            case_tail("[escalation]\nreason = \"r\"\nquestoin = \"q\"\n"),
        )
        .expect(BAD, &[&format!("{p}:10:1:"), "did you mean 'question'"]),
        case_row("missing-expectation", CASE.replace("expectation = \"fix\"\n", ""))
            .expect(BAD, &[&format!("{p}:1:1:"), "expectation"]),
        case_row("missing-task", CASE.replace("task = \"Fix it.\"\n", ""))
            .expect(BAD, &[&format!("{p}:1:1:"), "task"]),
        case_row(
            "missing-source",
            CASE.replace("[source]\nfixture = \"repo\"\n", ""),
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "source"]),
        case_row(
            "missing-findings",
            "expectation = \"fix\"\ntask = \"Fix it.\"\n[source]\nfixture = \"repo\"\n",
        )
        .expect(BAD, &[&format!("{p}:1:1:"), "findings"]),
        case_row("missing-finding-summary", CASE.replace("summary = \"bad\"\n", ""))
            .expect(BAD, &[&format!("{p}:5:"), "summary"]),
        case_row("missing-finding-id", CASE.replace("id = \"F-1\"\n", ""))
            .expect(BAD, &[&format!("{p}:5:"), "id"]),
        case_row("bad-bump-alone", case_top("bump_alone = \"green\"\n"))
            .expect(BAD, &[&format!("{p}:3:14:"), "trap", "breaks-tests"]),
        case_row("bump-alone-without-visible-checks", case_top("bump_alone = \"trap\"\n"))
            .expect(BAD, &[&format!("{p}:3:14:"), "add [checks] visible"]),
        case_row("bad-expectation", CASE.replace("\"fix\"", "\"fixx\""))
            .expect(BAD, &[&format!("{p}:1:15:"), "did you mean 'fix'"]),
        case_row("expectation-wrong-case", CASE.replace("\"fix\"", "\"Fix\""))
            .expect(BAD, &[&format!("{p}:1:15:"), "Fix"]),
        case_row("task-is-a-number", CASE.replace("\"Fix it.\"", "5"))
            .expect(BAD, &[&format!("{p}:2:8:"), "invalid type"]),
        case_row("setup-is-a-string", case_top("setup = \"make\"\n"))
            .expect(BAD, &[&format!("{p}:3:9:"), "invalid type"]),
        case_row("locations-is-a-string", case_tail("locations = \"app.txt:1\"\n"))
            .expect(BAD, &[&format!("{p}:8:13:"), "invalid type"]),
        case_row("findings-is-a-table", CASE.replace("[[findings]]", "[findings]"))
            .expect(BAD, &[&format!("{p}:5:"), "invalid type"]),
        case_row("task-empty", CASE.replace("\"Fix it.\"", "\"\""))
            .expect(BAD, &[&format!("{p}:2:8:"), "task"]),
        case_row("task-whitespace", CASE.replace("\"Fix it.\"", "\"  \\n  \""))
            .expect(BAD, &[&format!("{p}:2:8:"), "task"]),
        case_row("finding-id-empty", CASE.replace("id = \"F-1\"", "id = \"\""))
            .expect(BAD, &[&format!("{p}:6:6:"), "id"]),
        case_row("finding-summary-empty", CASE.replace("summary = \"bad\"", "summary = \"\""))
            .expect(BAD, &[&format!("{p}:7:11:"), "summary"]),
        case_row("duplicate-finding-id", second_finding)
            .expect(BAD, &[&format!("{p}:9:6:"), "F-1"]),
        case_row(
            "findings-empty",
            "expectation = \"fix\"\ntask = \"Fix it.\"\nfindings = []\n[source]\nfixture = \"repo\"\n",
        )
        .expect(BAD, &[&format!("{p}:3:12:"), "at least one"]),
        case_row(
            "source-fixture-and-git",
            CASE.replace(
                "fixture = \"repo\"\n",
                &format!("fixture = \"repo\"\ngit = \"https://example.com/r\"\nrev = \"{sha}\"\n"),
            ),
        )
        .expect(BAD, &[&format!("{p}:5:7:"), "not both"]),
        case_row("source-empty", CASE.replace("fixture = \"repo\"\n", ""))
            .expect(BAD, &[&format!("{p}:3:1:"), "fixture"]),
        case_row(
            "git-without-rev",
            CASE.replace("fixture = \"repo\"", "git = \"https://example.com/r\""),
        )
        .expect(BAD, &[&format!("{p}:4:7:"), "rev"]),
        case_row(
            "rev-too-short",
            CASE.replace("fixture = \"repo\"\n", "fixture = \"repo\"\nrev = \"ca9f232\"\n"),
        )
        .expect(BAD, &[&format!("{p}:5:7:"), "40-hex"]),
        case_row(
            "rev-not-hex",
            CASE.replace(
                "fixture = \"repo\"\n",
                &format!("fixture = \"repo\"\nrev = \"{}\"\n", "z".repeat(40)),
            ),
        )
        .expect(BAD, &[&format!("{p}:5:7:"), "40-hex"]),
        case_row(
            "rev-not-the-fixture-commit",
            CASE.replace("fixture = \"repo\"\n", &format!("fixture = \"repo\"\nrev = \"{sha}\"\n")),
        )
        .expect(BAD, &[&format!("{p}:5:"), "pinned rev"]),
        case_row("fixture-missing", CASE.replace("\"repo\"", "\"nosuch\""))
            .expect(BAD, &[&format!("{p}:4:11:"), "does not exist"]),
        case_row("fixture-leaves-the-case", CASE.replace("\"repo\"", "\"../one\""))
            .expect(BAD, &[&format!("{p}:4:11:"), "leaves"]),
        case_row("fixture-empty", CASE.replace("\"repo\"", "\"\""))
            .expect(BAD, &[&format!("{p}:4:11:"), "fixture"]),
        case_row(
            "location-leaves-the-repository",
            case_tail("locations = [\"../../etc/passwd:1\"]\n"),
        )
        .expect(BAD, &[&format!("{p}:8:"), "leaves"]),
        case_row("escalate-without-escalation", CASE.replace("\"fix\"", "\"escalate\""))
            .expect(BAD, &[&format!("{p}:1:15:"), "[escalation]"]),
        case_row(
            "escalation-without-question",
            case_tail("[escalation]\nreason = \"r\"\n").replace("\"fix\"", "\"escalate\""),
        )
        .expect(BAD, &[&format!("{p}:8:"), "question"]),
        case_row(
            "escalation-question-empty",
            case_tail("[escalation]\nreason = \"r\"\nquestion = \"\"\n")
                .replace("\"fix\"", "\"escalate\""),
        )
        .expect(BAD, &[&format!("{p}:10:12:"), "question"]),
        case_row("checks-timeout-zero", case_tail("[checks]\ntimeout = \"0s\"\n"))
            .expect(BAD, &[&format!("{p}:9:11:"), "0s"]),
        case_row("checks-timeout-words", case_tail("[checks]\ntimeout = \"soon\"\n"))
            .expect(BAD, &[&format!("{p}:9:11:"), "duration"]),
        case_row(
            "checks-timeout-overflow",
            case_tail("[checks]\ntimeout = \"99999999999999999999s\"\n"),
        )
        .expect(BAD, &[&format!("{p}:9:11:"), "99999999999999999999s"]),
        case_row("checks-hidden-without-folder", case_tail("[checks]\nhidden = \"true\"\n"))
            .expect(BAD, &[&format!("{p}:9:10:"), "hidden/"]),
        case_row("checks-visible-blank", case_tail("[checks]\nvisible = \"   \"\n"))
            .expect(BAD, &[&format!("{p}:9:11:"), "visible"]),
        case_row("schema-2", format!("schema = 2\n{CASE}"))
            .expect(BAD, &[&format!("{p}:1:10:"), "schema"]),
        case_row("reference-rev-on-a-fixture", case_tail(&format!("[reference]\nrev = \"{sha}\"\n")))
            .expect(BAD, &[&format!("{p}:9:7:"), "git cases"]),
        case_row("reference-rev-too-short", case_tail("[reference]\nrev = \"abc\"\n"))
            .expect(BAD, &[&format!("{p}:9:7:"), "40-hex"]),
        case_row("integrity-bad-glob", case_tail("[integrity]\nprotected = [\"a[b\"]\n"))
            .expect(BAD, &[&format!("{p}:9:"), "a[b"]),
        case_row("registries-not-a-host", case_top("registries = [\"not a host!\"]\n"))
            .expect(BAD, &[&format!("{p}:3:"), "not a host"]),
        case_row("non-utf8-task", non_utf8_task.clone())
            .expect(BAD, &[&first_bad_byte(p, &non_utf8_task), "UTF-8"]),
        case_row("non-utf8-latin1-title", latin1_title.clone())
            .expect(BAD, &[&first_bad_byte(p, &latin1_title), "UTF-8"]),
        case_row("bom-then-an-unknown-key", format!("{BOM}{}", case_top("titel = \"x\"\n")))
            .expect(BAD, &[&format!("{p}:3:1:"), "did you mean 'title'"]),
        row("case/corpus-list-of-a-bad-case")
            .file(CASE_PATH, CASE.replace("\"fix\"", "\"fixx\""))
            .args(&["corpus", "list"])
            .expect(BAD, &[&format!("{p}:1:15:"), "fixx"]),
        row("case/corpus-verify-of-a-bad-case")
            .file(CASE_PATH, case_top("titel = \"x\"\n"))
            .args(&["corpus", "verify", "c/one"])
            .expect(BAD, &[&format!("{p}:3:1:"), "titel"]),
    ]
}

fn eval_rows() -> Vec<Row> {
    let p = EVAL_PATH;
    let l = |line_col: &str| format!("{p}:{line_col}:");
    let non_utf8_case: Vec<u8> = b"skill = \"demo\"\ncases = [\"c/\xff\"]\nagents = [\"noop\"]\n[rubric]\n[[rubric.criteria]]\nid = \"signals\"\nkind = \"signals\"\n".to_vec();
    let latin1_comment: Vec<u8> =
        [EVAL_HEAD.as_bytes(), b"# caf\xe9\n", RUBRIC.as_bytes()].concat();
    let truncated_sequence: Vec<u8> = [
        b"skill = \"demo\"\ncases = [\"c/*\"]\nagents = [\"noop\"] # \xe2\x82\n".as_slice(),
        RUBRIC.as_bytes(),
    ]
    .concat();
    let nul_byte = eval_top("").replace("\"demo\"", "\"de\u{0}mo\"");
    vec![
        // Syntax.
        eval_row("syntax-unterminated-string", eval_top("").replace("\"demo\"", "\"demo"))
            .expect(BAD, &[&l("1:14"), "string"]),
        eval_row("syntax-unclosed-array", eval_top("").replace("[\"c/*\"]", "[\"c/*\""))
            .expect(BAD, &[&l("3:1"), "array"]),
        eval_row("syntax-key-without-name", eval_top("= 3\n"))
            .expect(BAD, &[&l("4:1"), "key"]),
        eval_row("syntax-nul-byte", nul_byte).expect(BAD, &[&l("1:12")]),
        eval_row("duplicate-key", eval_top("trials = 1\ntrials = 2\n"))
            .expect(BAD, &[&l("5:1"), "duplicate"]),
        eval_row("duplicate-table", eval_tail("[rubric]\n"))
            .expect(BAD, &[&l("8:2"), "duplicate"]),
        eval_row("empty-file", "").expect(BAD, &[&l("1:1"), "skill"]),
        // Types.
        eval_row("trials-is-a-string", eval_top("trials = \"3\"\n"))
            .expect(BAD, &[&l("4:10"), "invalid type"]),
        eval_row("cases-is-a-string", eval_top("").replace("[\"c/*\"]", "\"c/*\""))
            .expect(BAD, &[&l("2:9"), "invalid type"]),
        eval_row("agents-holds-a-number", eval_top("").replace("[\"noop\"]", "[1]"))
            .expect(BAD, &[&l("3:11"), "invalid type"]),
        eval_row("skill-is-a-number", eval_top("").replace("\"demo\"", "5"))
            .expect(BAD, &[&l("1:9"), "invalid type"]),
        eval_row("pass_env-is-a-string", eval_top("pass_env = \"HOME\"\n"))
            .expect(BAD, &[&l("4:12"), "invalid type"]),
        eval_row("rubric-is-a-number", format!("{EVAL_HEAD}rubric = 5\n"))
            .expect(BAD, &[&l("4:10"), "invalid type"]),
        eval_row("required-is-a-string", eval_crit("id = \"s\"\nkind = \"signals\"\nrequired = \"yes\"\n"))
            .expect(BAD, &[&l("8:12"), "invalid type"]),
        // Unknown keys.
        eval_row("unknown-key-suggests", eval_top("trails = 3\n"))
            .expect(BAD, &[&l("4:1"), "unknown key 'trails' (did you mean 'trials'?)"]),
        eval_row("unknown-key-no-candidate", eval_top("zzzzzz = 1\n"))
            .expect(BAD, &[&l("4:1"), "unknown key 'zzzzzz'"]),
        eval_row(
            "unknown-criterion-key",
            eval_crit("id = \"c\"\nkind = \"command\"\nrnu = \"true\"\n"),
        )
        .expect(BAD, &[&l("8:1"), "did you mean 'run'"]),
        eval_row(
            "unknown-agent-key",
            eval_tail("[agent.x]\nkind = \"command\"\ncomand = [\"true\"]\n"),
        )
        .expect(BAD, &[&l("10:1"), "did you mean 'command'"]),
        eval_row("unknown-gate-key", eval_tail("[[gate]]\nmin_pas_rate = 1.0\n"))
            .expect(BAD, &[&l("9:1"), "did you mean 'min_pass_rate'"]),
        eval_row(
            "unknown-rubric-key",
            format!("{EVAL_HEAD}[rubric]\npasss = \"B\"\n[[rubric.criteria]]\nid = \"s\"\nkind = \"signals\"\n"),
        )
        .expect(BAD, &[&l("5:1"), "did you mean 'pass'"]),
        eval_row(
            "unknown-grader-key",
            eval_tail("[grader.g]\nkind = \"openai\"\nmodle = \"m\"\n"),
        )
        .expect(BAD, &[&l("10:1"), "did you mean 'model'"]),
        eval_row("unknown-integrity-key", eval_tail("[integrity]\nalow = [\"x\"]\n"))
            .expect(BAD, &[&l("9:1"), "did you mean 'allow'"]),
        // Missing fields.
        eval_row("missing-skill", eval_top("").replace("skill = \"demo\"\n", ""))
            .expect(BAD, &[&l("1:1"), "skill"]),
        eval_row("missing-agents", eval_top("").replace("agents = [\"noop\"]\n", ""))
            .expect(BAD, &[&l("1:1"), "agents"]),
        eval_row("missing-rubric", EVAL_HEAD).expect(BAD, &[&l("1:1"), "rubric"]),
        eval_row("missing-criterion-id", eval_crit("kind = \"signals\"\n"))
            .expect(BAD, &[&l("5"), "id"]),
        eval_row("missing-criterion-kind", eval_crit("id = \"s\"\n"))
            .expect(BAD, &[&l("5"), "kind"]),
        eval_row("command-criterion-without-run", eval_crit("id = \"c\"\nkind = \"command\"\n"))
            .expect(BAD, &[&l("7:8"), "'run'"]),
        eval_row("command-agent-without-command", eval_tail("[agent.x]\nkind = \"command\"\n"))
            .expect(BAD, &[&l("8"), "'command'"]),
        eval_row("grader-without-model", eval_tail("[grader.g]\nkind = \"openai\"\n"))
            .expect(BAD, &[&l("8"), "'model'"]),
        eval_row("judge-without-question", eval_crit("id = \"j\"\nkind = \"judge\"\n"))
            .expect(BAD, &[&l("7:8"), "'question'"]),
        eval_row("diff-without-limits", eval_crit("id = \"d\"\nkind = \"diff\"\n"))
            .expect(BAD, &[&l("7:8"), "max_files"]),
        eval_row("gate-without-rate", eval_tail("[[gate]]\nagent = \"noop\"\n"))
            .expect(BAD, &[&l("8:1"), "min_pass_rate"]),
        // Duplicates.
        eval_row(
            "duplicate-criterion-id",
            eval_tail("[[rubric.criteria]]\nid = \"signals\"\nkind = \"signals\"\n"),
        )
        .expect(BAD, &[&l("9:6"), "used twice"]),
        eval_row("duplicate-agent", eval_top("").replace("[\"noop\"]", "[\"noop\", \"noop\"]"))
            .expect(BAD, &[&l("3:19"), "listed twice"]),
        eval_row(
            "agent-redefines-a-builtin",
            eval_tail("[agent.noop]\nkind = \"command\"\ncommand = [\"true\"]\n"),
        )
        .expect(BAD, &[&l("8"), "predefined"]),
        // Enums.
        eval_row("bad-variant", eval_top("variants = [\"skil\"]\n"))
            .expect(BAD, &[&l("4:13"), "did you mean 'skill'"]),
        // Skill versions (A/B): each key, name and source checked where it is written.
        eval_row("version-without-a-name", eval_top("variants = [\"skill\", { git = \"HEAD\" }]\n"))
            .expect(BAD, &[&l("4:22"), "needs 'name'"]),
        eval_row("version-with-a-reserved-name", eval_top("variants = [{ name = \"none\", path = \"skills/demo\" }]\n"))
            .expect(BAD, &[&l("4:13"), "'none'", "not one of"]),
        eval_row("version-unknown-key", eval_top("variants = [{ name = \"old\", folder = \"x\" }]\n"))
            .expect(BAD, &[&l("4:13"), "unknown key 'folder'"]),
        eval_row("version-with-git-and-path", eval_top("variants = [{ name = \"old\", git = \"HEAD\", path = \"skills/demo\" }]\n"))
            .expect(BAD, &[&l("4:13"), "exactly one of 'git'"]),
        eval_row("version-folder-without-a-skill", eval_top("variants = [{ name = \"old\", path = \"nowhere\" }]\n"))
            .expect(BAD, &[&l("4:13"), "no SKILL.md in"]),
        eval_row("version-git-outside-a-repository", eval_top("variants = [{ name = \"old\", git = \"HEAD\" }]\n"))
            .expect(BAD, &[&l("4:13"), "not in a git repository"]),
        eval_row("version-named-twice", eval_top("variants = [{ name = \"old\", path = \"skills/demo\" }, { name = \"old\", path = \"skills/demo\" }]\n"))
            .expect(BAD, &[&l("4:53"), "named twice"]),
        eval_row("version-not-a-table", eval_top("variants = [3]\n"))
            .expect(BAD, &[&l("4:13"), "not integer"]),
        eval_row("uplift-vs-without-versions", eval_tail("[[gate]]\nmin_uplift_vs = \"main\"\n"))
            .expect(BAD, &[&l("9:17"), "lists none"]),
        eval_row("versions-without-the-skill", eval_top("variants = [\"none\", { name = \"old\", path = \"skills/demo\" }]\n"))
            .expect(BAD, &[&l("4:12"), "but not \"skill\""]),
        eval_row("version-name-not-a-string", eval_top("variants = [\"skill\", { name = 5, path = \"skills/demo\" }]\n"))
            .expect(BAD, &[&l("4:22"), "'name' in a variant must be a string, not integer"]),
        eval_row(
            "uplift-bound-without-min-uplift",
            eval_top("variants = [\"skill\", { name = \"old\", path = \"skills/demo\" }]\n")
                .replace(RUBRIC, &format!("{RUBRIC}[[gate]]\nmin_uplift_vs = \"old\"\nuplift_bound = \"lower\"\n")),
        )
        .expect(BAD, &[&l("11:16"), "uplift_bound applies to min_uplift"]),
        eval_row("bad-sandbox", eval_top("sandbox = \"docker\"\n"))
            .expect(BAD, &[&l("4:11"), "docker"]),
        eval_row("bad-network", eval_top("network = \"filterd\"\n"))
            .expect(BAD, &[&l("4:11"), "did you mean 'filtered'"]),
        eval_row(
            "bad-criterion-kind",
            eval_crit("id = \"h\"\nkind = \"hiden\"\nrun = \"true\"\n"),
        )
        .expect(BAD, &[&l("7:8"), "did you mean 'hidden'"]),
        eval_row(
            "bad-applies_to",
            eval_crit("id = \"s\"\nkind = \"signals\"\napplies_to = \"fixx\"\n"),
        )
        .expect(BAD, &[&l("8:14"), "did you mean 'fix'"]),
        eval_row(
            "bad-pass-grade",
            format!("{EVAL_HEAD}[rubric]\npass = \"C\"\n[[rubric.criteria]]\nid = \"s\"\nkind = \"signals\"\n"),
        )
        .expect(BAD, &[&l("5:8"), "pass grade"]),
        eval_row("bad-agent-kind", eval_tail("[agent.x]\nkind = \"clauude-code\"\n"))
            .expect(BAD, &[&l("9:8"), "did you mean 'claude-code'"]),
        eval_row("bad-grader-kind", eval_tail("[grader.g]\nkind = \"anthropik\"\nmodel = \"m\"\n"))
            .expect(BAD, &[&l("9:8"), "did you mean 'anthropic'"]),
        eval_row("bad-lookups", eval_tail("[integrity]\nlookups = \"ignore\"\n"))
            .expect(BAD, &[&l("9:11"), "lookups"]),
        eval_row(
            "bad-gate-variant",
            eval_tail("[[gate]]\nvariant = \"skil\"\nmin_pass_rate = 0.5\n"),
        )
        .expect(BAD, &[&l("9:11"), "gate variant"]),
        eval_row(
            "gate-agent-not-in-the-eval",
            eval_tail("[[gate]]\nagent = \"nop\"\nmin_pass_rate = 1.0\n"),
        )
        .expect(BAD, &[&l("9:9"), "did you mean 'noop'"]),
        eval_row(
            "bad-judge-evidence",
            eval_crit("id = \"j\"\nkind = \"judge\"\nquestion = \"q?\"\nevidence = [\"dif\"]\n"),
        )
        .expect(BAD, &[&l("9:13"), "did you mean 'diff'"]),
        eval_row(
            "judge-names-an-unknown-grader",
            eval_crit("id = \"j\"\nkind = \"judge\"\nquestion = \"q?\"\ngraders = [\"nobody\"]\n"),
        )
        .expect(BAD, &[&l("9:12"), "nobody"]),
        eval_row("unknown-agent-suggests", eval_top("").replace("\"noop\"", "\"refrence\""))
            .expect(BAD, &[&l("3:11"), "did you mean 'reference'"]),
        eval_row(
            "key-for-another-kind",
            eval_crit("id = \"s\"\nkind = \"signals\"\nrun = \"true\"\n"),
        )
        .expect(BAD, &[&l("8:7"), "does not apply"]),
        eval_row(
            "command-for-a-runtime",
            eval_tail("[agent.x]\nkind = \"claude-code\"\ncommand = [\"claude\"]\n"),
        )
        .expect(BAD, &[&l("10:11"), "command agents"]),
        eval_row(
            "model-for-a-command-agent",
            eval_tail("[agent.x]\nkind = \"command\"\ncommand = [\"true\"]\nmodel = \"m\"\n"),
        )
        .expect(BAD, &[&l("11:9"), "runtimes"]),
        // Empty values.
        eval_row("skill-empty", eval_top("").replace("\"demo\"", "\"\""))
            .expect(BAD, &[&l("1:9"), "skill"]),
        eval_row("skill-does-not-exist", eval_top("").replace("\"demo\"", "\"nosuch\""))
            .expect(BAD, &[&l("1:9"), "no skill"]),
        eval_row("cases-empty", eval_top("").replace("[\"c/*\"]", "[]"))
            .expect(BAD, &[&l("2:9"), "empty"]),
        eval_row("agents-empty", eval_top("").replace("[\"noop\"]", "[]"))
            .expect(BAD, &[&l("3:10"), "empty"]),
        eval_row("variants-empty", eval_top("variants = []\n"))
            .expect(BAD, &[&l("4:12"), "empty"]),
        eval_row("criteria-empty", format!("{EVAL_HEAD}[rubric]\ncriteria = []\n"))
            .expect(BAD, &[&l("5:12"), "no criteria"]),
        eval_row("criterion-id-empty", eval_crit("id = \"\"\nkind = \"signals\"\n"))
            .expect(BAD, &[&l("6:6"), "criterion id"]),
        eval_row("criterion-id-with-space", eval_crit("id = \"Bad Id\"\nkind = \"signals\"\n"))
            .expect(BAD, &[&l("6:6"), "criterion id"]),
        eval_row("run-empty", eval_crit("id = \"c\"\nkind = \"command\"\nrun = \"\"\n"))
            .expect(BAD, &[&l("8:7"), "run"]),
        eval_row(
            "run-whitespace",
            eval_crit("id = \"c\"\nkind = \"command\"\nrun = \"  \t \"\n"),
        )
        .expect(BAD, &[&l("8:7"), "run"]),
        eval_row("hidden-run-empty", eval_crit("id = \"h\"\nkind = \"hidden\"\nrun = \"\"\n"))
            .expect(BAD, &[&l("8:7"), "run"]),
        eval_row("command-agent-empty", eval_tail("[agent.x]\nkind = \"command\"\ncommand = []\n"))
            .expect(BAD, &[&l("10:11"), "empty"]),
        eval_row(
            "command-agent-empty-program",
            eval_tail("[agent.x]\nkind = \"command\"\ncommand = [\"\"]\n"),
        )
        .expect(BAD, &[&l("10"), "command"]),
        eval_row("pass_env-starts-with-a-digit", eval_top("pass_env = [\"1BAD\"]\n"))
            .expect(BAD, &[&l("4"), "1BAD"]),
        eval_row("pass_env-with-a-dash", eval_top("pass_env = [\"A-B\"]\n"))
            .expect(BAD, &[&l("4"), "A-B"]),
        eval_row("pass_env-empty-name", eval_top("pass_env = [\"\"]\n"))
            .expect(BAD, &[&l("4"), "pass_env"]),
        eval_row("pass_env-a-value", eval_top("pass_env = [\"TOKEN=abc\"]\n"))
            .expect(BAD, &[&l("4"), "TOKEN=abc"]),
        eval_row(
            "credential-not-a-name",
            eval_tail("[agent.x]\nkind = \"claude-code\"\ncredentials = [\"MY-KEY\"]\n"),
        )
        .expect(BAD, &[&l("10"), "MY-KEY"]),
        eval_row(
            "grader-credential-a-value",
            eval_tail("[grader.g]\nkind = \"openai\"\nmodel = \"m\"\ncredential = \"sk-abc 123\"\n"),
        )
        .expect(BAD, &[&l("11:14"), "NAME"]),
        eval_row(
            "base_url-not-http",
            eval_tail("[agent.x]\nkind = \"claude-code\"\nbase_url = \"ftp://h\"\n"),
        )
        .expect(BAD, &[&l("10:12"), "http"]),
        eval_row("registries-not-a-host", eval_top("registries = [\"not a host!\"]\n"))
            .expect(BAD, &[&l("4"), "not a host"]),
        // Values that cannot be right.
        eval_row("schema-2", eval_top("schema = 2\n")).expect(BAD, &[&l("4:10"), "schema"]),
        eval_row("trials-zero", eval_top("trials = 0\n")).expect(BAD, &[&l("4:10"), "trials"]),
        eval_row("trials-1000000000", eval_top("trials = 1000000000\n"))
            .expect(BAD, &[&l("4:10"), "trials"]),
        eval_row("trials-101", eval_top("trials = 101\n")).expect(BAD, &[&l("4:10"), "trials"]),
        eval_row("trials-negative", eval_top("trials = -1\n"))
            .expect(BAD, &[&l("4:10"), "invalid value"]),
        eval_row("trials-overflow", eval_top("trials = 99999999999999999999\n"))
            .expect(BAD, &[&l("4:10")]),
        eval_row("timeout-zero", eval_top("timeout = \"0s\"\n")).expect(BAD, &[&l("4:11"), "0s"]),
        eval_row("timeout-overflow", eval_top("timeout = \"99999999999999999999s\"\n"))
            .expect(BAD, &[&l("4:11"), "99999999999999999999s"]),
        eval_row("timeout-words", eval_top("timeout = \"ten minutes\"\n"))
            .expect(BAD, &[&l("4:11"), "duration"]),
        eval_row("timeout-empty", eval_top("timeout = \"\"\n"))
            .expect(BAD, &[&l("4:11"), "duration"]),
        eval_row("timeout-negative", eval_top("timeout = \"-5s\"\n"))
            .expect(BAD, &[&l("4:11"), "-5s"]),
        eval_row("timeout-is-a-number", eval_top("timeout = 60\n"))
            .expect(BAD, &[&l("4:11"), "invalid type"]),
        eval_row(
            "criterion-timeout-zero",
            eval_crit("id = \"c\"\nkind = \"command\"\nrun = \"true\"\ntimeout = \"0s\"\n"),
        )
        .expect(BAD, &[&l("9:11"), "0s"]),
        eval_row(
            "criterion-timeout-overflow",
            eval_crit("id = \"c\"\nkind = \"command\"\nrun = \"true\"\ntimeout = \"99999999999999999999s\"\n"),
        )
        .expect(BAD, &[&l("9:11"), "99999999999999999999s"]),
        eval_row(
            "grader-timeout-zero",
            eval_tail("[grader.g]\nkind = \"openai\"\nmodel = \"m\"\ntimeout = \"0s\"\n"),
        )
        .expect(BAD, &[&l("11:11"), "0s"]),
        eval_row(
            "grader-max_retries-negative",
            eval_tail("[grader.g]\nkind = \"openai\"\nmodel = \"m\"\nmax_retries = -1\n"),
        )
        .expect(BAD, &[&l("11:15"), "invalid value"]),
        eval_row(
            "grader-price-negative",
            eval_tail("[grader.g]\nkind = \"openai\"\nmodel = \"m\"\nusd_per_mtok_in = -3.0\nusd_per_mtok_out = 15.0\n"),
        )
        .expect(BAD, &[&l("11:19"), "usd_per_mtok_in"]),
        eval_row("budget-usd-negative", eval_tail("[budget]\nmax_usd = -1.0\n"))
            .expect(BAD, &[&l("9:11"), "max_usd"]),
        eval_row("budget-usd-nan", eval_tail("[budget]\nmax_usd = nan\n"))
            .expect(BAD, &[&l("9:11"), "max_usd"]),
        eval_row("budget-tokens-negative", eval_tail("[budget]\nmax_tokens = -5\n"))
            .expect(BAD, &[&l("9:14"), "invalid value"]),
        eval_row("gate-rate-above-1", eval_tail("[[gate]]\nmin_pass_rate = 1.5\n"))
            .expect(BAD, &[&l("9:17"), "between 0 and 1"]),
        eval_row("gate-rate-nan", eval_tail("[[gate]]\nmin_pass_rate = nan\n"))
            .expect(BAD, &[&l("9:17"), "between 0 and 1"]),
        eval_row(
            "max_files-overflow",
            eval_crit("id = \"d\"\nkind = \"diff\"\nmax_files = 99999999999999999999\n"),
        )
        .expect(BAD, &[&l("8:13")]),
        eval_row(
            "max_lines-negative",
            eval_crit("id = \"d\"\nkind = \"diff\"\nmax_lines = -1\n"),
        )
        .expect(BAD, &[&l("8:13"), "invalid value"]),
        eval_row(
            "bad-regex",
            eval_crit("id = \"a\"\nkind = \"absent\"\npattern = \"(\"\n"),
        )
        .expect(BAD, &[&l("8:11"), "regular expression"]),
        eval_row(
            "bad-glob",
            eval_crit("id = \"a\"\nkind = \"absent\"\npattern = \"x\"\nfiles = [\"a[b\"]\n"),
        )
        .expect(BAD, &[&l("9"), "a[b"]),
        // Encodings.
        eval_row("non-utf8-in-a-string", non_utf8_case.clone())
            .expect(BAD, &[&first_bad_byte(p, &non_utf8_case), "UTF-8"]),
        eval_row("non-utf8-latin1-comment", latin1_comment.clone())
            .expect(BAD, &[&first_bad_byte(p, &latin1_comment), "UTF-8"]),
        eval_row("non-utf8-truncated-sequence", truncated_sequence.clone())
            .expect(BAD, &[&first_bad_byte(p, &truncated_sequence), "UTF-8"]),
        eval_row("utf16-file", utf16le_with_bom(&eval_top("")))
            .expect(BAD, &[&l("1:1"), "UTF-8"]),
        eval_row("bom-then-an-unknown-key", format!("{BOM}{}", eval_top("trails = 3\n")))
            .expect(BAD, &[&l("4:1"), "did you mean 'trials'"]),
        eval_row("bom-inside-a-key", eval_top(&format!("{BOM}trials = 1\n")))
            .expect(BAD, &[&l("4:1")]),
        // Files and selections.
        row("eval/file-does-not-exist")
            .args(&["eval", "evals/nosuch.toml"])
            .expect(BAD, &["evals/nosuch.toml"]),
        row("eval/file-is-a-folder")
            .args(&["eval", "evals"])
            .expect(BAD, &["evals"]),
        eval_row("cases-match-nothing", eval_top("").replace("\"c/*\"", "\"nosuch/*\""))
            .expect(NONE, &["match no case"]),
        row("eval/agents-command-over-a-bad-eval")
            .file(EVAL_PATH, eval_top("trails = 3\n"))
            .args(&["agents", "--eval", EVAL_PATH])
            .expect(BAD, &[&l("4:1"), "did you mean 'trials'"]),
        row("eval/agents-command-over-a-missing-eval")
            .args(&["agents", "--eval", "evals/nosuch.toml"])
            .expect(BAD, &["evals/nosuch.toml"]),
    ]
}

fn sarif_rows() -> Vec<Row> {
    let p = "scan.sarif";
    let good = |start_line: &str, uri: &str| {
        format!(
            "{{\"version\": \"2.1.0\",\n \"runs\": [{{\"tool\": {{\"driver\": {{\"name\": \"T\"}}}},\n  \"results\": [{{\"ruleId\": \"r1\", \"message\": {{\"text\": \"m\"}},\n   \"locations\": [{{\"physicalLocation\": {{\"artifactLocation\": {{\"uri\": {uri}}}, \"region\": {{\"startLine\": {start_line}}}}}}}]}}]}}]}}\n"
        )
    };
    let ok = good("1", "\"app.txt\"");
    let zero_line = good("0", "\"app.txt\"");
    let escaping = good("1", "\"../../etc/passwd\"");
    let non_utf8 = with_byte(&ok.replace("\"T\"", "\"T\u{1}\""), 0xff);
    vec![
        row("sarif/file-does-not-exist")
            .args(&["corpus", "import-sarif", "nosuch.sarif"])
            .expect(BAD, &["nosuch.sarif"]),
        sarif_row("empty-file", "").expect(BAD, &[&format!("{p}:1:1:")]),
        sarif_row("not-json", "hello\n").expect(BAD, &[&format!("{p}:1:1:")]),
        sarif_row("trailing-comma", "{\"version\": \"2.1.0\",\n \"runs\": [],}\n")
            .expect(BAD, &[&format!("{p}:2:13:"), "trailing comma"]),
        sarif_row("unclosed-object", "{\"version\": \"2.1.0\",\n \"runs\": [\n")
            .expect(BAD, &[&format!("{p}:3:")]),
        sarif_row("top-level-array", "[1, 2]\n").expect(BAD, &[&format!("{p}:1:")]),
        sarif_row("missing-version", "{\"runs\": []}\n")
            .expect(BAD, &[&format!("{p}:1:"), "version"]),
        sarif_row("missing-runs", "{\"version\": \"2.1.0\"}\n")
            .expect(BAD, &[&format!("{p}:1:"), "runs"]),
        sarif_row("version-is-a-number", "{\"version\": 2.1,\n \"runs\": []}\n")
            .expect(BAD, &[&format!("{p}:1:"), "invalid type"]),
        sarif_row("runs-is-an-object", "{\"version\": \"2.1.0\",\n \"runs\": {}}\n")
            .expect(BAD, &[&format!("{p}:2:"), "invalid type"]),
        sarif_row("version-2.0", "{\"version\": \"2.0.0\",\n \"runs\": []}\n")
            .expect(BAD, &[&format!("{p}:1:13:"), "2.0.0"]),
        sarif_row("duplicate-key", "{\"version\": \"2.1.0\", \"version\": \"2.1.0\",\n \"runs\": []}\n")
            .expect(BAD, &[&format!("{p}:1:"), "duplicate"]),
        sarif_row(
            "result-without-message",
            "{\"version\": \"2.1.0\",\n \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n  \"results\": [{\"ruleId\": \"r1\"}]}]}\n",
        )
        .expect(BAD, &[&format!("{p}:3:"), "message"]),
        sarif_row(
            "ruleId-is-a-number",
            "{\"version\": \"2.1.0\",\n \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n  \"results\": [{\"ruleId\": 5, \"message\": {\"text\": \"m\"}}]}]}\n",
        )
        .expect(BAD, &[&format!("{p}:3:"), "invalid type"]),
        sarif_row("uri-missing", ok.replace("{\"uri\": \"app.txt\"}", "{}"))
            .expect(BAD, &[&format!("{p}:4:"), "uri"]),
        sarif_row("startLine-zero", zero_line.clone())
            .expect(BAD, &[&at(p, &zero_line, "0}}}]"), "startLine"]),
        sarif_row("startLine-negative", good("-1", "\"app.txt\""))
            .expect(BAD, &[&format!("{p}:4:"), "invalid value"]),
        sarif_row("startLine-is-a-string", good("\"14\"", "\"app.txt\""))
            .expect(BAD, &[&format!("{p}:4:"), "invalid type"]),
        sarif_row("startLine-huge", good("99999999999999999999999", "\"app.txt\""))
            .expect(BAD, &[&format!("{p}:4:")]),
        sarif_row("non-utf8", non_utf8.clone())
            .expect(BAD, &[&first_bad_byte(p, &non_utf8), "UTF-8"]),
        sarif_row("bom-then-a-trailing-comma", format!("{BOM}{{\"version\": \"2.1.0\",\n \"runs\": [],}}\n"))
            .expect(BAD, &[&format!("{p}:2:13:"), "trailing comma"]),
        sarif_row("no-results", "{\"version\": \"2.1.0\",\n \"runs\": []}\n")
            .expect(NONE, &["no results"]),
        row("sarif/case-location-leaves-the-repository")
            .file("scan.sarif", escaping.clone())
            .args(&["corpus", "import-sarif", "scan.sarif", "--case", "c/one"])
            .expect(BAD, &[&at(p, &escaping, "\"../../etc/passwd\""), "leaves"]),
        row("sarif/case-id-leaves-the-corpora")
            .file("scan.sarif", ok.clone())
            .args(&["corpus", "import-sarif", "scan.sarif", "--case", "../x"])
            .expect(BAD, &["../x"]),
        row("sarif/case-does-not-exist")
            .file("scan.sarif", ok.clone())
            .args(&["corpus", "import-sarif", "scan.sarif", "--case", "c/nosuch"])
            .expect(BAD, &["c/nosuch"]),
    ]
}

fn cli_rows() -> Vec<Row> {
    vec![
        cli_row("unknown-subcommand", &["evaluate"]).expect(BAD, &["evaluate"]),
        cli_row("unknown-flag", &["eval", EVAL_PATH, "--nosuch"]).expect(BAD, &["--nosuch"]),
        cli_row("misspelt-global-flag", &["--workspce", ".", "scorecard"])
            .expect(BAD, &["--workspce"]),
        cli_row(
            "case-glob-matches-none-of-the-evals-cases",
            &["eval", EVAL_PATH, "--case", "nosuch"],
        )
        .expect(NONE, &["--case 'nosuch' matches none of the cases"]),
        cli_row(
            "case-glob-malformed",
            &["eval", EVAL_PATH, "--case", "c/[oops"],
        )
        .expect(BAD, &["--case 'c/[oops': not a glob"]),
        cli_row("agent-nosuch", &["eval", EVAL_PATH, "--agent", "nosuch"]).expect(BAD, &["nosuch"]),
        cli_row("agent-empty", &["eval", EVAL_PATH, "--agent", ""]).expect(BAD, &["--agent"]),
        cli_row("trials-zero", &["eval", EVAL_PATH, "--trials", "0"]).expect(BAD, &["--trials"]),
        cli_row(
            "trials-1000000000",
            &["eval", EVAL_PATH, "--trials", "1000000000"],
        )
        .expect(BAD, &["--trials"]),
        cli_row("trials-101", &["eval", EVAL_PATH, "--trials", "101"]).expect(BAD, &["--trials"]),
        cli_row("trials-negative", &["eval", EVAL_PATH, "--trials", "-1"]).expect(BAD, &["-1"]),
        cli_row(
            "trials-not-a-number",
            &["eval", EVAL_PATH, "--trials", "three"],
        )
        .expect(BAD, &["--trials"]),
        cli_row("trials-without-value", &["eval", EVAL_PATH, "--trials"])
            .expect(BAD, &["--trials"]),
        cli_row("jobs-zero", &["eval", EVAL_PATH, "--jobs", "0"]).expect(BAD, &["--jobs"]),
        cli_row("jobs-zero-short", &["eval", EVAL_PATH, "-j", "0"]).expect(BAD, &["--jobs"]),
        cli_row("jobs-negative", &["eval", EVAL_PATH, "--jobs", "-2"]).expect(BAD, &["-2"]),
        cli_row(
            "jobs-overflow",
            &["eval", EVAL_PATH, "--jobs", "99999999999"],
        )
        .expect(BAD, &["--jobs"]),
        cli_row(
            "sandbox-unknown",
            &["eval", EVAL_PATH, "--sandbox", "docker"],
        )
        .expect(BAD, &["docker"]),
        cli_row("network-unknown", &["eval", EVAL_PATH, "--network", "wifi"])
            .expect(BAD, &["wifi"]),
        cli_row(
            "message-format-unknown",
            &["eval", EVAL_PATH, "--message-format", "yaml"],
        )
        .expect(BAD, &["yaml"]),
        cli_row(
            "network-filtered-without-sandbox",
            &[
                "eval",
                EVAL_PATH,
                "--network",
                "filtered",
                "--sandbox",
                "none",
            ],
        )
        .file(EVAL_PATH, RUN_EVAL)
        .expect(BAD, &["bwrap"]),
        cli_row(
            "eval-changed-since-unknown-revision",
            &["eval", "--changed-since", "no-such-rev"],
        )
        .file(EVAL_PATH, RUN_EVAL)
        .expect(BAD, &["is not in a git repository"]),
        cli_row("calibrate-without-labels", &["calibrate"]).expect(BAD, &["<LABELS>"]),
        cli_row(
            "scorecard-format-unknown",
            &["scorecard", "--format", "xml"],
        )
        .expect(BAD, &["xml"]),
        cli_row("agents-format-unknown", &["agents", "--format", "yaml"]).expect(BAD, &["yaml"]),
        cli_row("schema-unknown", &["schema", "sarif"]).expect(BAD, &["sarif"]),
        cli_row("grade-jobs-zero", &["grade", "--jobs", "0"]).expect(BAD, &["--jobs"]),
        cli_row("grade-sandbox-unknown", &["grade", "--sandbox", "docker"])
            .expect(BAD, &["docker"]),
        cli_row("verify-jobs-zero", &["corpus", "verify", "--jobs", "0"]).expect(BAD, &["--jobs"]),
        cli_row(
            "workspace-does-not-exist",
            &["-C", "/nonexistent-skillbench-workspace", "scorecard"],
        )
        .expect(BAD, &["/nonexistent-skillbench-workspace"]),
        cli_row(
            "corpus-add-bad-id",
            &["corpus", "add", "bad", "--from", "corpora/c/one/repo"],
        )
        .expect(BAD, &["bad"]),
        cli_row(
            "corpus-add-git-without-rev",
            &["corpus", "add", "c/two", "--git", "https://example.com/r"],
        )
        .expect(BAD, &["--rev"]),
        cli_row(
            "corpus-add-short-rev",
            &[
                "corpus",
                "add",
                "c/two",
                "--git",
                "https://example.com/r",
                "--rev",
                "abc",
            ],
        )
        .expect(BAD, &["40-hex"]),
        cli_row(
            "corpus-add-missing-folder",
            &["corpus", "add", "c/two", "--from", "nosuch-dir"],
        )
        .expect(BAD, &["nosuch-dir"]),
        cli_row(
            "corpus-add-bad-expectation",
            &[
                "corpus",
                "add",
                "c/two",
                "--from",
                "corpora/c/one/repo",
                "--expectation",
                "maybe",
            ],
        )
        .expect(BAD, &["maybe"]),
        cli_row(
            "corpus-verify-selects-nothing",
            &["corpus", "verify", "nosuch"],
        )
        .expect(NONE, &["nosuch"]),
        cli_row(
            "corpus-list-selects-nothing",
            &["corpus", "list", "nosuch/*"],
        )
        .expect(NONE, &["nosuch"]),
        cli_row("accept-with-nothing-pending", &["accept"]).expect(NONE, &["pending"]),
        cli_row("reject-with-nothing-pending", &["reject", "e"]).expect(NONE, &["pending"]),
    ]
}

/// Rows over a workspace that holds one stored run, `id`, whose `results.json` is `results`.
fn stored_run_rows(id: &str, results: &str) -> Vec<Row> {
    let misspelt = misspell(id);
    let label = |run: &str, criterion: &str, verdict: &str| {
        format!("[[label]]\nrun = \"{run}\"\ncriterion = \"{criterion}\"\nverdict = {verdict}\n")
    };
    let good = label(RUN_DIR, "signals", "\"pass\"");
    let non_utf8 = with_byte(&good.replace("\"pass\"", "\"pa\u{1}ss\""), 0xff);
    let results_dir = format!(".skillbench/runs/{id}/results.json");
    vec![
        // Run ids that do not exist: nothing selected, with the nearest ids.
        row("store/scorecard-misspelt-run-id")
            .args(&["scorecard", &misspelt])
            .expect(NONE, &[&misspelt, id]),
        row("store/grade-misspelt-run-id")
            .args(&["grade", &misspelt])
            .expect(NONE, &[&misspelt, id]),
        row("store/suggest-misspelt-run-id")
            .args(&["suggest", &misspelt])
            .expect(NONE, &[&misspelt, id]),
        // A stored results file that does not parse or is of another version.
        row("store/scorecard-of-a-corrupt-results-file")
            .file(".skillbench/runs/broken/results.json", "{\"schema\": 5}\n")
            .args(&["scorecard", "broken"])
            .expect(
                BAD,
                &[".skillbench/runs/broken/results.json:1:12:", "invalid type"],
            ),
        row("store/scorecard-of-a-non-utf8-results-file")
            .file(
                ".skillbench/runs/broken/results.json",
                b"{\"schema\": \"\xff\"}\n".to_vec(),
            )
            .args(&["scorecard", "broken"])
            .expect(
                BAD,
                &[".skillbench/runs/broken/results.json:1:13:", "UTF-8"],
            ),
        row("store/scorecard-of-another-schema")
            .file(
                ".skillbench/runs/old/results.json",
                results.replace("\"skillbench-results/v1\"", "\"skillbench-results/v0\""),
            )
            .args(&["scorecard", "old"])
            .expect(
                BAD,
                &[
                    ".skillbench/runs/old/results.json:1:11:",
                    "skillbench-results/v0",
                ],
            ),
        // Re-grading with an eval that no longer loads.
        row("store/grade-with-a-bad-eval")
            .file(EVAL_PATH, eval_top("trails = 3\n"))
            .args(&["grade"])
            .expect(
                BAD,
                &[&format!("{EVAL_PATH}:4:1:"), "did you mean 'trials'"],
            ),
        row("store/grade-with-a-missing-eval")
            .args(&["grade", id, "--eval", "evals/nosuch.toml"])
            .expect(BAD, &["evals/nosuch.toml"]),
        row("store/grade-with-a-bad-eval-flag")
            .file("evals/other.toml", eval_top("trials = 0\n"))
            .args(&["grade", id, "--eval", "evals/other.toml"])
            .expect(BAD, &["evals/other.toml:4:10:", "trials"]),
        // Labels.
        row("labels/file-does-not-exist")
            .args(&["calibrate", "nosuch.toml"])
            .expect(BAD, &["nosuch.toml"]),
        labels_row("empty-file", "").expect(BAD, &["labels.toml:1:1:", "[[label]]"]),
        labels_row(
            "syntax-unclosed-header",
            good.replace("[[label]]", "[[label]"),
        )
        .expect(BAD, &["labels.toml:1:"]),
        labels_row(
            "syntax-unterminated-string",
            good.replace("\"signals\"", "\"signals"),
        )
        .expect(BAD, &["labels.toml:3:", "string"]),
        labels_row("unknown-top-key", format!("result = \"{id}\"\n{good}"))
            .expect(BAD, &["labels.toml:1:1:", "did you mean 'results'"]),
        labels_row("unknown-label-key", good.replace("verdict", "verdit"))
            .expect(BAD, &["labels.toml:4:1:", "did you mean 'verdict'"]),
        labels_row(
            "missing-run",
            good.replace(&format!("run = \"{RUN_DIR}\"\n"), ""),
        )
        .expect(BAD, &["labels.toml:", "run"]),
        labels_row(
            "missing-criterion",
            good.replace("criterion = \"signals\"\n", ""),
        )
        .expect(BAD, &["labels.toml:", "criterion"]),
        labels_row("missing-verdict", good.replace("verdict = \"pass\"\n", ""))
            .expect(BAD, &["labels.toml:", "verdict"]),
        labels_row("bad-verdict", label(RUN_DIR, "signals", "\"passed\""))
            .expect(BAD, &["labels.toml:4:11:", "pass or fail"]),
        labels_row("verdict-wrong-case", label(RUN_DIR, "signals", "\"PASS\""))
            .expect(BAD, &["labels.toml:4:11:", "pass or fail"]),
        labels_row("verdict-empty", label(RUN_DIR, "signals", "\"\""))
            .expect(BAD, &["labels.toml:4:11:", "pass or fail"]),
        labels_row("verdict-is-a-boolean", label(RUN_DIR, "signals", "true"))
            .expect(BAD, &["labels.toml:4:11:", "invalid type"]),
        labels_row("label-is-a-string", "label = \"x\"\n")
            .expect(BAD, &["labels.toml:1:9:", "invalid type"]),
        labels_row("results-is-a-number", format!("results = 5\n{good}"))
            .expect(BAD, &["labels.toml:1:11:", "invalid type"]),
        labels_row(
            "unknown-run",
            label("c__one__cmd__skill__t2", "signals", "\"pass\""),
        )
        .expect(
            BAD,
            &["labels.toml:2:7:", &format!("did you mean '{RUN_DIR}'")],
        ),
        labels_row("run-empty", label("", "signals", "\"pass\""))
            .expect(BAD, &["labels.toml:2:7:", "no run"]),
        labels_row("unknown-criterion", label(RUN_DIR, "signal", "\"pass\""))
            .expect(BAD, &["labels.toml:3:13:", "signal"]),
        labels_row(
            "results-misspelt-run-id",
            format!("results = \"{misspelt}\"\n{good}"),
        )
        .expect(BAD, &["labels.toml:1:11:", id]),
        labels_row(
            "duplicate-label-with-another-verdict",
            format!("{good}{}", label(RUN_DIR, "signals", "\"fail\"")),
        )
        .expect(BAD, &["labels.toml:"]),
        labels_row("non-utf8", non_utf8.clone())
            .expect(BAD, &[&first_bad_byte("labels.toml", &non_utf8), "UTF-8"]),
        labels_row(
            "bom-then-a-bad-verdict",
            format!("{BOM}{}", label(RUN_DIR, "signals", "\"passed\"")),
        )
        .expect(BAD, &["labels.toml:4:11:", "pass or fail"]),
        row("labels/results-file-of-the-run-corrupt")
            .file(&results_dir, "{\"schema\": 5}\n")
            .file("labels.toml", good.clone())
            .args(&["calibrate", "labels.toml"])
            .expect(BAD, &[&format!("{results_dir}:1:12:")]),
    ]
}

/// Rows over a workspace with no stored run at all.
fn no_run_rows() -> Vec<Row> {
    let label =
        format!("[[label]]\nrun = \"{RUN_DIR}\"\ncriterion = \"signals\"\nverdict = \"pass\"\n");
    vec![
        row("store/scorecard-of-a-run-id-with-no-runs")
            .args(&["scorecard", "20260101T000000Z-abcdef"])
            .expect(NONE, &["20260101T000000Z-abcdef"]),
        row("store/grade-of-a-run-id-with-no-runs")
            .args(&["grade", "20260101T000000Z-abcdef"])
            .expect(NONE, &["20260101T000000Z-abcdef"]),
        row("store/scorecard-with-no-runs")
            .args(&["scorecard"])
            .expect(NONE, &["no stored results"]),
        row("store/grade-with-no-runs")
            .args(&["grade"])
            .expect(NONE, &["no stored results"]),
        row("store/suggest-with-no-runs")
            .args(&["suggest"])
            .expect(NONE, &["no stored results"]),
        labels_row("labels-with-no-runs", label).expect(NONE, &["no stored results"]),
    ]
}

/// `20261127T143855Z-c953ba` with its last character changed.
fn misspell(id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let last = chars.last_mut().expect("a run id");
    *last = if *last == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// The harness.

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write");
}

/// The valid workspace: a skill, a fixture case and a one-criterion eval over them.
fn write_base(root: &Path) {
    put(root, SKILL_PATH, SKILL.as_bytes());
    put(root, CASE_PATH, CASE.as_bytes());
    put(root, "corpora/c/one/repo/app.txt", b"hello\n");
    put(root, EVAL_PATH, eval_top("").as_bytes());
}

/// What a row may not leave behind: every entry under `.skillbench/` (two levels deep),
/// what `latest` says, and every pending snapshot.
fn written_state(root: &Path) -> BTreeMap<String, String> {
    let mut state = BTreeMap::new();
    let store = root.join(".skillbench");
    if store.exists() {
        for entry in walkdir::WalkDir::new(&store)
            .max_depth(3)
            .into_iter()
            .flatten()
        {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // A stored run's own files are its business; its folder is what counts.
            if entry.depth() == 3 && !rel.contains(".partial") {
                continue;
            }
            let value = if entry.file_name() == "latest" {
                std::fs::read_to_string(entry.path()).unwrap_or_default()
            } else {
                String::new()
            };
            state.insert(rel, value);
        }
    }
    if let Ok(entries) = std::fs::read_dir(root.join("evals/snapshots")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".snap.new") {
                state.insert(format!("evals/snapshots/{name}"), String::new());
            }
        }
    }
    state
}

/// The workspace's input files (skills, corpora, evals, labels, SARIF) and their bytes;
/// pending snapshots are [`written_state`]'s.
fn tracked_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .into_owned();
            let tracked = ["skills/", "corpora/", "evals/", "labels.toml", "scan.sarif"]
                .iter()
                .any(|p| rel.starts_with(p))
                && !rel.ends_with(".snap.new");
            tracked.then(|| (rel, std::fs::read(e.path()).unwrap_or_default()))
        })
        .collect()
}

/// What a run of the binary did.
struct Ran {
    code: Option<i32>,
    signal: Option<i32>,
    hung: bool,
    stdout: String,
    stderr: String,
}

/// Runs `skillbench ARGS` in `root` as `Workspace::run` does, but in its own process group
/// under a 4 GiB address-space limit, killed (the group) after [`ROW_TIMEOUT`].
fn run_limited(root: &Path, args: &[String]) -> Ran {
    let mut out = tempfile::tempfile().expect("stdout file");
    let mut err = tempfile::tempfile().expect("stderr file");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_skillbench"))
        .args(args)
        .current_dir(root)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", root.join("home"))
        .env("SKILLBENCH_CACHE_DIR", root.join("cache"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone"))
        .stderr(err.try_clone().expect("clone"))
        .process_group(0)
        .spawn()
        .expect("run skillbench");
    let start = Instant::now();
    let mut hung = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > ROW_TIMEOUT {
            hung = true;
            let pgid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |f: &mut std::fs::File| {
        let mut bytes = Vec::new();
        f.rewind().expect("rewind");
        f.read_to_end(&mut bytes).expect("read");
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ran {
        code: status.code(),
        signal: status.signal(),
        hung,
        stdout: read(&mut out),
        stderr: read(&mut err),
    }
}

/// Runs one row in `root` and returns what was wrong with it, if anything. With `restore`,
/// puts the workspace back as it was afterwards (for a workspace shared by several rows).
fn check_row(root: &Path, row: &Row, restore: bool) -> Option<String> {
    let mut old: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for (rel, bytes) in &row.files {
        old.push((rel.clone(), std::fs::read(root.join(rel)).ok()));
        put(root, rel, bytes);
    }
    for dir in &row.dirs {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    // Every input, the row's and the workspace's, must be left as it was.
    let inputs = tracked_files(root);
    let before = written_state(root);

    let ran = run_limited(root, &row.args);

    let after = written_state(root);
    let mut problems = Vec::new();
    if ran.hung {
        problems.push(format!("HUNG: killed after {}s", ROW_TIMEOUT.as_secs()));
    }
    if let Some(signal) = ran.signal.filter(|_| !ran.hung) {
        problems.push(format!("CRASHED: killed by signal {signal}"));
    }
    if ran.stderr.contains("panicked at") {
        problems.push("PANICKED".to_string());
    }
    if ran.code != Some(row.code) {
        problems.push(format!(
            "exit {} (expected {})",
            ran.code
                .map_or_else(|| "none".to_string(), |c| c.to_string()),
            row.code
        ));
    }
    let haystack = match row.stream {
        Stream::Stderr => ran.stderr.clone(),
        Stream::Either => format!("{}\n{}", ran.stdout, ran.stderr),
    };
    let missing: Vec<&String> = row
        .needles
        .iter()
        .filter(|n| !haystack.contains(n.as_str()))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} lacks {missing:?}",
            if row.stream == Stream::Stderr {
                "stderr"
            } else {
                "output"
            }
        ));
    }
    let written: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    if !written.is_empty() {
        problems.push(format!("half-written: {}", written.join(", ")));
    }
    let created: Vec<String> = tracked_files(root)
        .into_keys()
        .filter(|rel| !inputs.contains_key(rel))
        .collect();
    if !created.is_empty() {
        problems.push(format!("created: {}", created.join(", ")));
    }
    let changed: Vec<&String> = inputs
        .iter()
        .filter(|(rel, bytes)| std::fs::read(root.join(rel)).ok().as_ref() != Some(*bytes))
        .map(|(rel, _)| rel)
        .collect();
    if !changed.is_empty() {
        problems.push(format!("changed inputs: {changed:?}"));
    }

    if restore {
        for rel in after.keys().filter(|k| !before.contains_key(*k)) {
            let path = root.join(rel);
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
        for (rel, value) in &before {
            if rel.ends_with("latest") && after.get(rel) != Some(value) {
                std::fs::write(root.join(rel), value).expect("restore latest");
            }
        }
        for (rel, bytes) in &inputs {
            put(root, rel, bytes);
        }
        for (rel, bytes) in old.into_iter().rev() {
            match bytes {
                Some(bytes) => put(root, &rel, &bytes),
                None => {
                    let path = root.join(&rel);
                    let _ = std::fs::remove_file(&path);
                    // And the folders the row made for it, when they are empty again.
                    for dir in path.ancestors().skip(1).take_while(|d| *d != root) {
                        if std::fs::remove_dir(dir).is_err() {
                            break;
                        }
                    }
                }
            }
        }
        for dir in &row.dirs {
            let _ = std::fs::remove_dir_all(root.join(dir));
        }
    }

    if problems.is_empty() {
        return None;
    }
    let head = |s: &str| -> String {
        let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
        if lines.is_empty() {
            "(empty)".to_string()
        } else {
            lines.join("\n        | ")
        }
    };
    Some(format!(
        "[{}] skillbench {}\n    expected: exit {}, {} containing {:?}\n    got:      {}\n    stderr: | {}{}",
        row.name,
        row.args.join(" "),
        row.code,
        if row.stream == Stream::Stderr {
            "stderr"
        } else {
            "stdout or stderr"
        },
        row.needles,
        problems.join("; "),
        head(&ran.stderr),
        if row.stream == Stream::Either {
            format!("\n    stdout: | {}", head(&ran.stdout))
        } else {
            String::new()
        }
    ))
}

/// Runs every row, each in a fresh valid workspace, and fails once with every bad row.
fn run_fresh(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let ws = Workspace::empty();
            write_base(ws.root());
            check_row(ws.root(), row, false)
        })
        .collect()
}

fn report(what: &str, total: usize, failures: &[String]) {
    let names: BTreeSet<&str> = failures
        .iter()
        .filter_map(|f| f.strip_prefix('[')?.split(']').next())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {total} {what} rows failed: {}\n\n{}\n",
        failures.len(),
        names.into_iter().collect::<Vec<_>>().join(", "),
        failures.join("\n\n")
    );
}

fn unique_names(rows: &[Row]) {
    let mut seen = BTreeSet::new();
    for r in rows {
        assert!(
            seen.insert(r.name.clone()),
            "row name {} is used twice",
            r.name
        );
    }
}

#[test]
fn bad_input_in_skill_case_and_eval_files_is_a_located_error_that_writes_nothing() {
    let rows: Vec<Row> = [skill_rows(), case_rows(), eval_rows()].concat();
    unique_names(&rows);
    let failures = run_fresh(&rows);
    report("skill/case/eval", rows.len(), &failures);
}

#[test]
fn bad_input_in_sarif_and_on_the_command_line_is_refused_and_writes_nothing() {
    let rows: Vec<Row> = [sarif_rows(), cli_rows()].concat();
    unique_names(&rows);
    let failures = run_fresh(&rows);
    report("sarif/cli", rows.len(), &failures);
}

#[test]
fn bad_input_against_stored_runs_labels_and_run_ids_writes_nothing() {
    // A workspace with one stored run, made by a command agent.
    let ws = Workspace::empty();
    write_base(ws.root());
    put(ws.root(), EVAL_PATH, RUN_EVAL.as_bytes());
    let out = ws.run(&["eval", EVAL_PATH]);
    out.expect_code(exit_code::SNAPSHOT_PENDING);
    let id = ws.read(".skillbench/runs/latest").trim().to_string();
    assert!(
        ws.exists(&format!(".skillbench/runs/{id}/{RUN_DIR}")),
        "{}",
        out.stderr
    );

    let results = ws.read(&format!(".skillbench/runs/{id}/results.json"));
    assert!(
        results.starts_with("{\"schema\":\"skillbench-results/v1\""),
        "{results}"
    );
    let rows = stored_run_rows(&id, &results);
    let empty = no_run_rows();
    let all: Vec<Row> = [rows.clone(), empty.clone()].concat();
    unique_names(&all);
    let mut failures: Vec<String> = rows
        .iter()
        .filter_map(|row| check_row(ws.root(), row, true))
        .collect();
    failures.extend(run_fresh(&empty));
    report("stored-run/labels", all.len(), &failures);
}

/// Agent Signals are written by the agent, not named on the command line: a malformed file
/// never stops the eval; README: "A missing or invalid file is recorded as `missing` or
/// `invalid` with the reason, never guessed". Each row is one command agent writing the
/// bytes; the run's `signals` record must say `invalid` (or `missing`) with the reason.
#[test]
fn bad_input_in_agent_signals_is_recorded_invalid_with_the_reason() {
    let valid = r#"{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.5}"#;
    // (name, the bytes the agent writes or none, the status, what the detail must hold)
    type SignalsRow<'a> = (&'a str, Option<Vec<u8>>, &'a str, Vec<&'a str>);
    let rows: Vec<SignalsRow> = vec![
        ("not-json", Some(b"hello".to_vec()), "invalid", vec!["line 1 column 1"]),
        ("empty-file", Some(Vec::new()), "invalid", vec!["line 1"]),
        ("trailing-comma", Some(valid.replace('}', ",}").into_bytes()), "invalid", vec!["trailing comma", "line 1"]),
        ("unclosed-object", Some(b"{\"schema\":\"agent-signals/v1\",\n\"outcome\":\"fixed\"".to_vec()), "invalid", vec!["line 2"]),
        ("top-level-array", Some(b"[]".to_vec()), "invalid", vec!["line 1"]),
        ("wrong-schema", Some(valid.replace("v1", "v2").into_bytes()), "invalid", vec!["agent-signals/v2"]),
        ("missing-schema", Some(br#"{"outcome":"fixed","confidence":0.5}"#.to_vec()), "invalid", vec!["schema"]),
        ("missing-outcome", Some(br#"{"schema":"agent-signals/v1","confidence":0.5}"#.to_vec()), "invalid", vec!["outcome"]),
        ("missing-confidence", Some(br#"{"schema":"agent-signals/v1","outcome":"fixed"}"#.to_vec()), "invalid", vec!["confidence"]),
        ("bad-outcome", Some(valid.replace("fixed", "done").into_bytes()), "invalid", vec!["done"]),
        ("outcome-wrong-case", Some(valid.replace("fixed", "Fixed").into_bytes()), "invalid", vec!["Fixed"]),
        ("outcome-empty", Some(valid.replace("fixed", "").into_bytes()), "invalid", vec!["expected one of"]),
        ("confidence-above-1", Some(valid.replace("0.5", "1.5").into_bytes()), "invalid", vec!["confidence"]),
        ("confidence-negative", Some(valid.replace("0.5", "-0.1").into_bytes()), "invalid", vec!["confidence"]),
        ("confidence-is-a-string", Some(valid.replace("0.5", "\"0.5\"").into_bytes()), "invalid", vec!["invalid type"]),
        ("confidence-huge", Some(valid.replace("0.5", "1e400").into_bytes()), "invalid", vec!["line 1"]),
        ("escalated-without-escalations", Some(valid.replace("fixed", "escalated").into_bytes()), "invalid", vec!["escalations"]),
        ("unknown-field", Some(valid.replace("\"outcome\"", "\"outcome\":\"fixed\",\"outcom\"").into_bytes()), "invalid", vec!["outcom"]),
        ("duplicate-field", Some(valid.replace("\"confidence\":0.5", "\"confidence\":0.5,\"confidence\":0.6").into_bytes()), "invalid", vec!["duplicate field"]),
        ("unknown-field-in-a-gap", Some(valid.replace('}', ",\"skill_gaps\":[{\"section\":\"s\",\"gap\":\"g\",\"severity\":\"high\"}]}").into_bytes()), "invalid", vec!["severity"]),
        ("escalation-without-question", Some(valid.replace("fixed", "escalated").replace('}', ",\"escalations\":[{\"reason\":\"r\"}]}").into_bytes()), "invalid", vec!["question"]),
        ("escalations-not-a-list", Some(valid.replace('}', ",\"escalations\":\"ask\"}").into_bytes()), "invalid", vec!["invalid type"]),
        ("summary-is-a-number", Some(valid.replace('}', ",\"summary\":5}").into_bytes()), "invalid", vec!["invalid type"]),
        ("non-utf8", Some([br#"{"schema":"agent-signals/v1","outcome":"fixed","confidence":0.5,"summary":"caf"#.as_slice(), b"\xe9\"}"].concat()), "invalid", vec!["line 1"]),
        ("nul-bytes", Some(vec![0u8; 64]), "invalid", vec!["line 1"]),
        ("bom-then-a-bad-confidence", Some(format!("{BOM}{}", valid.replace("0.5", "1.5")).into_bytes()), "invalid", vec!["confidence"]),
        ("no-file", None, "missing", vec![]),
    ];
    let ws = Workspace::empty();
    write_base(ws.root());
    let mut eval = String::from(
        "skill = \"demo\"\ncases = [\"c/*\"]\nvariants = [\"skill\"]\ntimeout = \"60s\"\nagents = [",
    );
    eval.push_str(
        &rows
            .iter()
            .map(|(n, ..)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    eval.push_str("]\n");
    for (name, bytes, _, _) in &rows {
        let command = match bytes {
            Some(bytes) => {
                let file = ws.path(&format!("signals/{name}.json"));
                put(ws.root(), &format!("signals/{name}.json"), bytes);
                format!(
                    "[\"sh\", \"-c\", \"cat \\\"$0\\\" > \\\"$SKILLBENCH_SIGNALS\\\"\", \"{}\"]",
                    file.display()
                )
            }
            None => "[\"true\"]".to_string(),
        };
        eval.push_str(&format!(
            "[agent.{name}]\nkind = \"command\"\ncommand = {command}\n"
        ));
    }
    eval.push_str(RUBRIC);
    put(ws.root(), "evals/signals.toml", eval.as_bytes());
    let ran = run_limited(
        ws.root(),
        &["eval".into(), "evals/signals.toml".into(), "--ci".into()],
    );
    assert!(
        !ran.hung && ran.code == Some(exit_code::SNAPSHOT_PENDING),
        "the eval over malformed signals runs to the end (exit {:?}, hung {})\n{}",
        ran.code,
        ran.hung,
        ran.stderr
    );
    let results = ws.latest_results();
    let runs = results["runs"].as_array().expect("runs");
    let mut failures = Vec::new();
    for (name, _, status, needles) in &rows {
        let Some(run) = runs.iter().find(|r| r["agent"] == *name) else {
            failures.push(format!("[signals/{name}] no run in results.json"));
            continue;
        };
        let got_status = run["signals"]["status"].as_str().unwrap_or("");
        let detail = run["signals"]["detail"].as_str().unwrap_or("");
        let missing: Vec<&&str> = needles.iter().filter(|n| !detail.contains(**n)).collect();
        if got_status != *status || !missing.is_empty() {
            failures.push(format!(
                "[signals/{name}]\n    expected: status {status}, detail containing {needles:?}\n    got:      status {got_status}, detail {detail:?}"
            ));
        }
        if run["signals"]["outcome"] != serde_json::Value::Null {
            failures.push(format!(
                "[signals/{name}] malformed signals must claim nothing, got outcome {}",
                run["signals"]["outcome"]
            ));
        }
    }
    report("signals", rows.len(), &failures);
}

//! What a failed check's log says went wrong, in one line: for the test runners the shipped
//! cases use (unittest, pytest, node's test runner in TAP or spec form, mocha, cargo test,
//! JUnit 4's runner and Maven Surefire, and javac's compile errors),
//! the first failing test and its assertion or exception; otherwise the last lines that are
//! not noise (`npm notice`, `npm error` lifecycle boilerplate, cargo's progress, blank
//! lines). The full log stays beside the result.

/// At most this many characters of a summary.
const MAX: usize = 300;

/// The failure `log` shows, if it shows one.
pub fn summarize(log: &str) -> Option<String> {
    let log = plain(log);
    let lines: Vec<&str> = log.lines().collect();
    let found = unittest(&lines)
        .or_else(|| pytest(&lines))
        .or_else(|| cargo(&lines))
        .or_else(|| node_tap(&lines))
        .or_else(|| node_spec(&lines))
        .or_else(|| mocha(&lines))
        .or_else(|| junit(&lines))
        .or_else(|| surefire(&lines))
        .or_else(|| javac(&lines))
        .or_else(|| last_meaningful(&lines))?;
    Some(shorten(&found))
}

/// `log` without terminal escape sequences (colours, cursor moves), which Maven and others
/// write even to a file.
fn plain(log: &str) -> std::borrow::Cow<'_, str> {
    static ESCAPES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]").unwrap_or_else(|e| panic!("{e}"))
    });
    ESCAPES.replace_all(log, "")
}

fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX {
        one_line.chars().take(MAX - 1).collect::<String>() + "…"
    } else {
        one_line
    }
}

/// `, and N more failed` when more than one test failed.
fn more(count: usize) -> String {
    if count > 1 {
        format!(" (and {} more failed)", count - 1)
    } else {
        String::new()
    }
}

/// unittest: `FAIL: test_x (mod.Class.test_x)` or `ERROR: …` under a `====` rule, then the
/// traceback, whose last line before the `----` rule is the exception.
fn unittest(lines: &[&str]) -> Option<String> {
    let heads: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            (l.starts_with("FAIL: ") || l.starts_with("ERROR: "))
                && *i > 0
                && lines[i - 1].starts_with("=====")
        })
        .map(|(i, _)| i)
        .collect();
    let &first = heads.first()?;
    let exception = lines[first + 1..]
        .iter()
        .take_while(|l| !l.starts_with("=====") && !l.starts_with("Ran "))
        .filter(|l| !l.trim().is_empty() && !l.starts_with("-----"))
        .filter(|l| !l.starts_with(' ') && !l.starts_with("Traceback"))
        .last()
        .copied()
        .unwrap_or("");
    Some(format!(
        "{}: {exception}{}",
        lines[first],
        more(heads.len())
    ))
}

/// pytest's short summary: `FAILED tests/test_a.py::test_b - AssertionError: …`.
fn pytest(lines: &[&str]) -> Option<String> {
    let failed: Vec<&&str> = lines
        .iter()
        .filter(|l| (l.starts_with("FAILED ") || l.starts_with("ERROR ")) && l.contains("::"))
        .collect();
    let first = failed.first()?;
    Some(format!("{first}{}", more(failed.len())))
}

/// cargo test: `---- name stdout ----` then `thread 'name' panicked at file:line:col:` and
/// the message; or a compile error, `error[E…]: …` with its `--> file:line:col`.
fn cargo(lines: &[&str]) -> Option<String> {
    let failing: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("---- ") && l.ends_with(" stdout ----"))
        .map(|(i, _)| i)
        .collect();
    if let Some(&first) = failing.first() {
        let name = lines[first]
            .trim_start_matches("---- ")
            .trim_end_matches(" stdout ----");
        let rest = &lines[first + 1..];
        let panic = rest.iter().position(|l| l.contains("panicked at"));
        let detail = match panic {
            Some(p) => {
                let at = rest[p]
                    .split("panicked at ")
                    .nth(1)
                    .unwrap_or("")
                    .trim_end_matches(':');
                let message: Vec<&str> = rest[p + 1..]
                    .iter()
                    .take_while(|l| {
                        !l.trim().is_empty()
                            && !l.starts_with("stack backtrace")
                            && !l.starts_with("note: ")
                    })
                    .map(|l| l.trim())
                    .collect();
                format!("panicked at {at}: {}", message.join(" "))
            }
            None => rest
                .iter()
                .find(|l| !l.trim().is_empty())
                .map_or_else(String::new, |l| l.trim().to_string()),
        };
        return Some(format!("{name}: {detail}{}", more(failing.len())));
    }
    let error = lines.iter().position(|l| {
        l.starts_with("error[E")
            || (l.starts_with("error: ")
                && !l.starts_with("error: test failed")
                && !l.starts_with("error: could not compile"))
    })?;
    let at = lines[error + 1..]
        .iter()
        .take(3)
        .find_map(|l| l.trim().strip_prefix("--> "));
    Some(match at {
        Some(at) => format!("{} at {at}", lines[error]),
        None => lines[error].to_string(),
    })
}

/// node's test runner in TAP: `not ok 2 - name`, then the YAML block's `error:` (quoted, or
/// a `|-` block) and `name:` (the error's class).
fn node_tap(lines: &[&str]) -> Option<String> {
    let failing: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("not ok ") && !t.contains("# TODO") && !t.contains("# SKIP")
        })
        .map(|(i, _)| i)
        .collect();
    // A failing file is reported as a failing subtest around its tests: the innermost (the
    // first printed) is the test that failed.
    let &first = failing.first()?;
    let name = lines[first]
        .trim_start()
        .trim_start_matches("not ok ")
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(" - ");
    let block: Vec<&str> = lines[first + 1..]
        .iter()
        .take_while(|l| l.trim() != "...")
        .copied()
        .collect();
    let field = |key: &str| -> Option<String> {
        let at = block
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))?;
        let value = block[at].trim_start()[key.len() + 1..].trim();
        if value == "|-" || value == "|" {
            let indent = block[at].len() - block[at].trim_start().len();
            let text: Vec<&str> = block[at + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            Some(text.join(" "))
        } else {
            Some(value.trim_matches('\'').trim_matches('"').to_string())
        }
    };
    let class = field("name").unwrap_or_default();
    let error = field("error").unwrap_or_default();
    let location = field("location").unwrap_or_default();
    let mut out = format!("not ok: {name}");
    if !error.is_empty() || !class.is_empty() {
        out.push_str(&format!(
            ": {}{}{error}",
            class,
            if class.is_empty() { "" } else { ": " }
        ));
    }
    if !location.is_empty() {
        out.push_str(&format!(" ({location})"));
    }
    // The summary's `# fail N` counts tests; without it, every `not ok` line does.
    let tests = lines
        .iter()
        .find_map(|l| l.strip_prefix("# fail ")?.trim().parse::<usize>().ok())
        .unwrap_or(failing.len());
    Some(out + &more(tests.max(1)))
}

/// node's spec reporter: `✖ name (1.2ms)` then the indented error.
fn node_spec(lines: &[&str]) -> Option<String> {
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with('✖') && !l.contains("failing tests:"))?;
    let name = lines[at].trim_start().trim_start_matches('✖').trim();
    let error = lines[at + 1..]
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    Some(format!("✖ {name}: {error}"))
}

/// mocha: `  1) suite` / `       test:` then `     AssertionError: …`.
fn mocha(lines: &[&str]) -> Option<String> {
    // The details follow the `N failing` line (the listing above names tests inline).
    let failing = lines
        .iter()
        .position(|l| l.trim_end().ends_with(" failing"))?;
    let at = failing
        + 1
        + lines[failing + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with("1) "))?;
    let mut title = vec![lines[at].trim().trim_start_matches("1) ").to_string()];
    let mut error = "";
    for line in &lines[at + 1..] {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.ends_with(':') && !t.contains("Error") {
            title.push(t.trim_end_matches(':').to_string());
        } else {
            error = t;
            break;
        }
    }
    Some(format!("1) {}: {error}", title.join(" ")))
}

/// Whether a line says nothing about the failure: package-manager notices and lifecycle
/// boilerplate, build progress, runtime banners.
fn noise(line: &str) -> bool {
    let t = line.trim();
    const PREFIXES: [&str; 17] = [
        "npm notice",
        "npm warn",
        "npm WARN",
        "npm error",
        "npm ERR!",
        "Compiling ",
        "Finished ",
        "Running ",
        "Downloaded ",
        "Downloading ",
        "Blocking waiting",
        "Updating ",
        "Locking ",
        "Fresh ",
        "Checking ",
        "(Use `node --trace-",
        "Debugger ",
    ];
    t.is_empty()
        || PREFIXES.iter().any(|p| t.starts_with(p))
        || (t.starts_with("(node:") && t.contains("Warning"))
        || t.starts_with("> ")
        || t == "^"
}

/// The last line of `log` that is not noise (a failed setup's last words): empty when
/// there is none.
pub fn last_line(log: &str) -> String {
    let log = plain(log);
    let lines: Vec<&str> = log.lines().collect();
    // When every line is noise (an `npm error` block and nothing else), its first line
    // still says what failed.
    lines
        .iter()
        .rev()
        .find(|l| !noise(l))
        .or_else(|| lines.iter().find(|l| !l.trim().is_empty()))
        .map_or_else(String::new, |l| shorten(l.trim()))
}

/// The last three lines that are not noise, joined.
fn last_meaningful(lines: &[&str]) -> Option<String> {
    let mut kept: Vec<&str> = lines
        .iter()
        .rev()
        .filter(|l| !noise(l))
        .take(3)
        .map(|l| l.trim())
        .collect();
    kept.reverse();
    (!kept.is_empty()).then(|| kept.join(" | "))
}

/// JUnit 4's `JUnitCore`: `There were N failures:` (or `There was 1 failure:`), then
/// `1) test(Class)` and the exception on the next line.
fn junit(lines: &[&str]) -> Option<String> {
    let head = lines
        .iter()
        .position(|l| l.starts_with("There were ") || l.starts_with("There was 1 failure"))?;
    let count = lines[head]
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1);
    let test = lines[head + 1..]
        .iter()
        .position(|l| l.starts_with("1) "))?
        + head
        + 1;
    let exception = lines.get(test + 1).map_or("", |l| l.trim());
    Some(format!(
        "{}: {exception}{}",
        lines[test].trim_start_matches("1) "),
        more(count)
    ))
}

/// Maven Surefire's summary: the `[ERROR]   Class.test:line message` entries under
/// `[ERROR] Failures:` or `[ERROR] Errors:`.
fn surefire(lines: &[&str]) -> Option<String> {
    let head = lines.iter().position(|l| {
        *l == "[ERROR] Failures: " || *l == "[ERROR] Failures:" || l.starts_with("[ERROR] Errors:")
    })?;
    let entries: Vec<&str> = lines[head + 1..]
        .iter()
        .take_while(|l| l.starts_with("[ERROR]   "))
        .map(|l| l.trim_start_matches("[ERROR]").trim())
        .collect();
    let first = entries.first()?;
    Some(format!("{first}{}", more(entries.len())))
}

/// javac: `path/File.java:12: error: message`, and the count javac closes with.
fn javac(lines: &[&str]) -> Option<String> {
    let errors: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(".java:") && l.contains(": error: "))
        .collect();
    let first = errors.first()?;
    Some(format!("{first}{}", more(errors.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_of_nothing_but_npm_errors_still_says_what_failed() {
        assert_eq!(
            last_line(
                "npm error code ENOTFOUND\nnpm error network request to https://r.example/x.tgz failed\n"
            ),
            "npm error code ENOTFOUND"
        );
    }

    #[test]
    fn terminal_escapes_are_not_part_of_a_summary() {
        assert_eq!(
            last_line(
                "[INFO] ok\n\x1b[1;31m[ERROR] Failed to execute goal\x1b[m\n\x1b[0m\x1b[0m\n"
            ),
            "[ERROR] Failed to execute goal"
        );
    }

    #[test]
    fn reads_junit_surefire_and_javac() {
        let junit = "JUnit version 4.13.2\n.E.E\nTime: 1.0\nThere were 2 failures:\n\
            1) readsOrders(com.acme.hidden.ReadBackTest)\n\
            com.thoughtworks.xstream.security.ForbiddenClassException: com.acme.model.Order\n\
            \tat com.thoughtworks.xstream.security.NoTypePermission.allows(NoTypePermission.java:26)\n\
            2) readsShipments(com.acme.hidden.ReadBackTest)\njava.lang.AssertionError\n\nFAILURES!!!\nTests run: 7,  Failures: 2\n";
        assert_eq!(
            summarize(junit).as_deref(),
            Some(
                "readsOrders(com.acme.hidden.ReadBackTest): com.thoughtworks.xstream.security.ForbiddenClassException: com.acme.model.Order (and 1 more failed)"
            )
        );
        let one =
            "There was 1 failure:\n1) t(C)\njava.lang.AssertionError: expected 1\n\nFAILURES!!!\n";
        assert_eq!(
            summarize(one).as_deref(),
            Some("t(C): java.lang.AssertionError: expected 1")
        );
        let surefire = "[INFO] Results:\n[INFO]\n[ERROR] Failures: \n[ERROR]   CodecTest.reads:31 expected:<2> but was:<0>\n[INFO]\n[ERROR] Tests run: 3, Failures: 1\n";
        assert_eq!(
            summarize(surefire).as_deref(),
            Some("CodecTest.reads:31 expected:<2> but was:<0>")
        );
        let javac = "src/main/java/A.java:12: error: cannot find symbol\n        x.allowTypes(Y);\n                     ^\n1 error\n";
        assert_eq!(
            summarize(javac).as_deref(),
            Some("src/main/java/A.java:12: error: cannot find symbol")
        );
    }

    #[test]
    fn unittest_names_the_first_failing_test_and_its_exception() {
        let log = "EF.
======================================================================
ERROR: test_err (t.test_x.T.test_err)
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/tmp/t/test_x.py\", line 5, in test_err
    yaml.load(\"a: 1\")
TypeError: load() missing 1 required positional argument: 'Loader'

======================================================================
FAIL: test_fails (t.test_x.T.test_fails)
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/tmp/t/test_x.py\", line 4, in test_fails
AssertionError: 1 != 2 : safe_load must be used

----------------------------------------------------------------------
Ran 3 tests in 0.020s

FAILED (failures=1, errors=1)
";
        assert_eq!(
            summarize(log).unwrap(),
            "ERROR: test_err (t.test_x.T.test_err): TypeError: load() missing 1 required positional argument: 'Loader' (and 1 more failed)"
        );
    }

    #[test]
    fn pytest_gives_its_short_summary_line() {
        let log = "=========================== short test summary info ============================
FAILED tests/test_load.py::test_safe - AssertionError: assert 'x' == 'y'
FAILED tests/test_load.py::test_other - KeyError: 'a'
========================= 2 failed, 3 passed in 0.12s ==========================
";
        assert_eq!(
            summarize(log).unwrap(),
            "FAILED tests/test_load.py::test_safe - AssertionError: assert 'x' == 'y' (and 1 more failed)"
        );
    }

    #[test]
    fn cargo_test_gives_the_panic_and_a_build_its_first_error() {
        let log = "running 2 tests
. 1/2
rejects --- FAILED

failures:

---- tests::rejects stdout ----

thread 'tests::rejects' (1377) panicked at src/lib.rs:15:24:
assertion `left == right` failed: must reject
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::rejects

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.09s

error: test failed, to rerun pass `--lib`
";
        assert_eq!(
            summarize(log).unwrap(),
            "tests::rejects: panicked at src/lib.rs:15:24: assertion `left == right` failed: must reject left: 1 right: 2"
        );
        let build = "   Compiling app v0.1.0 (/r)
error[E0432]: unresolved import `atty`
 --> src/main.rs:1:5
  |
1 | use atty::Stream;
  |     ^^^^ use of unresolved module or unlinked crate `atty`

error: could not compile `app` (bin \"app\") due to 1 previous error
";
        assert_eq!(
            summarize(build).unwrap(),
            "error[E0432]: unresolved import `atty` at src/main.rs:1:5"
        );
    }

    #[test]
    fn node_tap_gives_the_test_its_error_and_location() {
        let log = "TAP version 13
# Subtest: passes
ok 1 - passes
  ---
  duration_ms: 1.3
  ...
# Subtest: rejects insecure key
not ok 2 - rejects insecure key
  ---
  duration_ms: 1.335896
  location: '/tmp/a.test.js:3:1'
  failureType: 'testCodeFailure'
  error: |-
    key must be rejected
    
    1 !== 2
    
  code: 'ERR_ASSERTION'
  name: 'AssertionError'
  stack: |-
    TestContext.<anonymous> (/tmp/a.test.js:3:45)
  ...
# Subtest: throws
not ok 3 - throws
  ---
  error: 'jwt.verify is not a function'
  name: 'TypeError'
  ...
1..3
# fail 2
npm error Lifecycle script `test` failed with error:
npm error code 1
";
        assert_eq!(
            summarize(log).unwrap(),
            "not ok: rejects insecure key: AssertionError: key must be rejected 1 !== 2 (/tmp/a.test.js:3:1) (and 1 more failed)"
        );
    }

    #[test]
    fn node_spec_and_mocha() {
        let spec = "✔ passes (0.5ms)
✖ rejects insecure key (1.2ms)
  AssertionError [ERR_ASSERTION]: key must be rejected
";
        assert_eq!(
            summarize(spec).unwrap(),
            "✖ rejects insecure key (1.2ms): AssertionError [ERR_ASSERTION]: key must be rejected"
        );
        let mocha = "  tokens
    ✓ signs
    1) verifies

  1 passing (8ms)
  1 failing

  1) tokens
       verifies:
     AssertionError: expected true to equal false
      at Context.<anonymous> (test/a.js:9:12)
";
        assert_eq!(
            summarize(mocha).unwrap(),
            "1) tokens verifies: AssertionError: expected true to equal false"
        );
    }

    #[test]
    fn otherwise_the_last_lines_that_are_not_noise() {
        let log = "> app@1.0.0 test
> node check.js

missing: the lock file pins jsonwebtoken 8.5.1
npm notice
npm notice New major version of npm available! 10.8.2 -> 11.0.0
npm error Lifecycle script `test` failed with error:
npm error code 1

";
        assert_eq!(
            summarize(log).unwrap(),
            "missing: the lock file pins jsonwebtoken 8.5.1"
        );
        assert_eq!(summarize("\n\nnpm notice x\n"), None);
    }
}

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs todoscan with `stdin` piped in; stdout and stderr are pipes, never terminals.
fn todoscan(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_todoscan"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("TERM")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const SOURCE: &str = "// TODO: one\nlet x = 1; // FIXME two\n";

#[test]
fn reads_piped_stdin_without_colour() {
    let (code, out, err) = todoscan(&[], &[], SOURCE);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "<stdin>:1: TODO: one\n<stdin>:2: FIXME two\n");
    assert_eq!(err, "todoscan: 2 marker(s) in 1 file(s)\n");
}

#[test]
fn always_colours_both_streams() {
    let (code, out, err) = todoscan(&["--color=always"], &[], SOURCE);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "<stdin>:1: \x1b[33mTODO\x1b[0m: one\n<stdin>:2: \x1b[1;31mFIXME\x1b[0m two\n"
    );
    assert_eq!(err, "todoscan: \x1b[1m2 marker(s) in 1 file(s)\x1b[0m\n");
}

#[test]
fn always_wins_over_no_color() {
    let (_, out, _) = todoscan(&["--color", "always"], &[("NO_COLOR", "1")], SOURCE);
    assert!(out.contains("\x1b[33mTODO"), "{out:?}");
}

#[test]
fn never_means_never() {
    let (_, out, err) = todoscan(&["--color=never"], &[], SOURCE);
    assert!(!out.contains('\x1b') && !err.contains('\x1b'));
}

#[test]
fn unreadable_file_is_a_warning_and_exit_1() {
    let (code, out, err) = todoscan(&["no/such/file.rs", "-"], &[], SOURCE);
    assert_eq!(code, 1);
    assert_eq!(out, "<stdin>:1: TODO: one\n<stdin>:2: FIXME two\n");
    assert!(
        err.starts_with("todoscan: warning: cannot read no/such/file.rs: "),
        "{err}"
    );
}

#[test]
fn bad_color_value_is_a_usage_error() {
    let (code, _, err) = todoscan(&["--color=sometimes"], &[], "");
    assert_eq!(code, 2);
    assert!(err.contains("usage"), "{err}");
}

use std::io::Write;
use std::process::{Command, Stdio};

fn logstamp(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logstamp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

#[test]
fn utc_from_stdin() {
    let (code, out, _) = logstamp(&["--utc"], "1700000000 INFO started\nplain\n");
    assert_eq!(code, 0);
    assert_eq!(out, "2023-11-14 22:13:20 -0000 INFO started\nplain\n");
}

#[test]
fn unknown_option_is_an_error() {
    let (code, out, err) = logstamp(&["--zone"], "");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("usage"), "{err}");
}

#[test]
fn missing_file_is_reported() {
    let (code, _, err) = logstamp(&["--utc", "no/such/file.log"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no/such/file.log"), "{err}");
}

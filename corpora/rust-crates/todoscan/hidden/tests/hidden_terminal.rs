//! Hidden checks for the todoscan case (RUSTSEC-2021-0145 / RUSTSEC-2024-0375): atty must
//! be gone from the manifest and the lock file, and terminal detection must behave as
//! before, stream by stream, with NO_COLOR honoured. Runs todoscan on real pseudo-terminals
//! (Linux).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

extern "C" {
    fn grantpt(fd: i32) -> i32;
    fn unlockpt(fd: i32) -> i32;
    fn ptsname_r(fd: i32, buf: *mut u8, len: usize) -> i32;
}

const O_NOCTTY: i32 = 0o400;

/// A pseudo-terminal: the master side we read, the path of the side the child gets.
struct Pty {
    master: File,
    slave_path: String,
}

impl Pty {
    fn open() -> Pty {
        let master = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(O_NOCTTY)
            .open("/dev/ptmx")
            .expect("open /dev/ptmx");
        let fd = master.as_raw_fd();
        let mut buf = [0u8; 128];
        unsafe {
            assert_eq!(grantpt(fd), 0, "grantpt");
            assert_eq!(unlockpt(fd), 0, "unlockpt");
            assert_eq!(ptsname_r(fd, buf.as_mut_ptr(), buf.len()), 0, "ptsname_r");
        }
        let len = buf.iter().position(|&b| b == 0).unwrap();
        Pty {
            master,
            slave_path: String::from_utf8(buf[..len].to_vec()).unwrap(),
        }
    }

    fn slave(&self) -> Stdio {
        Stdio::from(
            OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(O_NOCTTY)
                .open(&self.slave_path)
                .expect("open pty slave"),
        )
    }

    /// Everything written to the terminal, once the child has exited (`\r\n` -> `\n`).
    fn drain(mut self) -> String {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match self.master.read(&mut chunk) {
                Ok(0) | Err(_) => break, // EIO once no slave is open
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

/// Which of the child's streams are terminals.
#[derive(Clone, Copy)]
struct Ttys {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

const SOURCE: &str = "// TODO: one\nlet x = 1; // FIXME two\n";

/// Runs todoscan with `args` and `env`; each stream is a pseudo-terminal or a pipe as
/// `ttys` says (a piped stdin gets SOURCE). Gives up after 10 s.
fn run(args: &[&str], env: &[(&str, &str)], ttys: Ttys) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_todoscan"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let stdin_pty = ttys.stdin.then(Pty::open);
    let out_pty = ttys.stdout.then(Pty::open);
    let err_pty = ttys.stderr.then(Pty::open);
    cmd.stdin(stdin_pty.as_ref().map_or_else(Stdio::piped, Pty::slave));
    cmd.stdout(out_pty.as_ref().map_or_else(Stdio::piped, Pty::slave));
    cmd.stderr(err_pty.as_ref().map_or_else(Stdio::piped, Pty::slave));
    let mut child = cmd.spawn().expect("run todoscan");
    drop(cmd); // closes our copies of the slave ends
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(SOURCE.as_bytes()).unwrap();
    }
    // Read the piped streams while the child runs.
    let pipe_reader = |p: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = p {
                p.read_to_string(&mut s).unwrap();
            }
            s
        })
    };
    let out_pipe = pipe_reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err_pipe = pipe_reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let code = wait(&mut child, Duration::from_secs(10));
    let stdout = match out_pty {
        Some(pty) => pty.drain(),
        None => out_pipe.join().unwrap(),
    };
    let stderr = match err_pty {
        Some(pty) => pty.drain(),
        None => err_pipe.join().unwrap(),
    };
    drop(stdin_pty);
    Run {
        code,
        stdout,
        stderr,
    }
}

fn wait(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("todoscan did not finish within {limit:?} (waiting for input on a terminal?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const PIPED_IN: Ttys = Ttys {
    stdin: false,
    stdout: false,
    stderr: false,
};

fn with(stdout: bool, stderr: bool) -> Ttys {
    Ttys {
        stdin: false,
        stdout,
        stderr,
    }
}

const PLAIN_OUT: &str = "<stdin>:1: TODO: one\n<stdin>:2: FIXME two\n";
const COLOUR_OUT: &str =
    "<stdin>:1: \x1b[33mTODO\x1b[0m: one\n<stdin>:2: \x1b[1;31mFIXME\x1b[0m two\n";
const PLAIN_ERR: &str = "todoscan: 2 marker(s) in 1 file(s)\n";
const COLOUR_ERR: &str = "todoscan: \x1b[1m2 marker(s) in 1 file(s)\x1b[0m\n";

#[test]
fn pipes_get_no_colour() {
    let r = run(&[], &[], PIPED_IN);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, PLAIN_OUT, PLAIN_ERR)
    );
}

#[test]
fn terminal_stdout_is_coloured_and_piped_stderr_is_not() {
    let r = run(&[], &[], with(true, false));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, COLOUR_OUT);
    assert_eq!(r.stderr, PLAIN_ERR);
}

#[test]
fn terminal_stderr_is_coloured_and_piped_stdout_is_not() {
    let r = run(&[], &[], with(false, true));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, PLAIN_OUT);
    assert_eq!(r.stderr, COLOUR_ERR);
}

#[test]
fn warnings_are_coloured_on_a_terminal_stderr() {
    let r = run(&["no/such/file.rs", "-"], &[], with(false, true));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("todoscan: \x1b[1;33mwarning\x1b[0m: cannot read no/such/file.rs: "),
        "{:?}",
        r.stderr
    );
}

#[test]
fn no_color_turns_automatic_colour_off() {
    let r = run(&[], &[("NO_COLOR", "1")], with(true, true));
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (PLAIN_OUT, PLAIN_ERR)
    );
    let r = run(&[], &[("TERM", "dumb")], with(true, true));
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (PLAIN_OUT, PLAIN_ERR)
    );
}

#[test]
fn empty_no_color_does_not_count() {
    let r = run(&[], &[("NO_COLOR", "")], with(true, true));
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (COLOUR_OUT, COLOUR_ERR)
    );
}

#[test]
fn explicit_choices_win_on_terminals() {
    let r = run(&["--color=never"], &[], with(true, true));
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (PLAIN_OUT, PLAIN_ERR)
    );
    let r = run(&["--color=always"], &[("NO_COLOR", "1")], with(true, true));
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (COLOUR_OUT, COLOUR_ERR)
    );
}

#[test]
fn terminal_stdin_without_paths_prints_usage() {
    let r = run(
        &[],
        &[],
        Ttys {
            stdin: true,
            stdout: false,
            stderr: false,
        },
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("usage: todoscan"), "{:?}", r.stderr);
}

#[test]
fn atty_is_gone() {
    let root = env!("CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    assert!(
        !manifest.lines().any(|l| l.trim_start().starts_with("atty")),
        "Cargo.toml still depends on atty"
    );
    let lock = std::fs::read_to_string(format!("{root}/Cargo.lock")).unwrap();
    assert!(
        !lock.contains("name = \"atty\""),
        "Cargo.lock still has atty"
    );
}

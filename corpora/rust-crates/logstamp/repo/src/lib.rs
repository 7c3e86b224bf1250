//! Rewrites log lines that start with a Unix timestamp (seconds) so that they start
//! with a readable date and time instead: `2023-11-14 22:13:20 -0000 INFO started`.

use std::io::{self, BufRead, Write};

/// The clock face timestamps are rendered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The local time zone of the machine, or the one `TZ` names.
    Local,
    /// Coordinated Universal Time.
    Utc,
}

/// How a rendered timestamp looks: `2023-11-14 22:13:20 -0000`.
const STAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S %z";

/// Renders `secs` seconds since the Unix epoch in `zone`, with the UTC offset in effect
/// at that instant.
pub fn render_epoch(secs: i64, zone: Zone) -> String {
    let clock = time::Timespec::new(secs, 0);
    let tm = match zone {
        Zone::Local => time::at(clock),
        Zone::Utc => time::at_utc(clock),
    };
    tm.strftime(STAMP_FORMAT)
        .expect("STAMP_FORMAT is a valid strftime pattern")
        .to_string()
}

/// The leading timestamp of `line` and the rest of the line after the space, if the
/// line starts with exactly ten digits and a space.
fn split_stamp(line: &str) -> Option<(i64, &str)> {
    let (head, rest) = line.split_once(' ')?;
    if head.len() != 10 || !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, rest))
}

/// `line` with its timestamp prefix rendered in `zone`; any other line unchanged.
pub fn rewrite_line(line: &str, zone: Zone) -> String {
    match split_stamp(line) {
        Some((secs, rest)) => format!("{} {rest}", render_epoch(secs, zone)),
        None => line.to_string(),
    }
}

/// Copies `input` to `output` line by line, rewriting timestamp prefixes; returns how
/// many lines were rewritten.
pub fn rewrite<R: BufRead, W: Write>(input: R, mut output: W, zone: Zone) -> io::Result<u64> {
    let mut rewritten = 0;
    for line in input.lines() {
        let line = line?;
        let new = rewrite_line(&line, zone);
        if new != line {
            rewritten += 1;
        }
        writeln!(output, "{new}")?;
    }
    output.flush()?;
    Ok(rewritten)
}

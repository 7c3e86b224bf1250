//! Hidden checks for the logstamp case (RUSTSEC-2020-0071): time 0.1 must be gone, and
//! local timestamps must render exactly as before, offset included.

use std::io::Write;
use std::process::{Command, Stdio};

use logstamp::{render_epoch, Zone};

fn logstamp_in(tz: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logstamp"))
        .args(args)
        .env("TZ", tz)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logstamp");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "logstamp failed under TZ={tz}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const LOG: &str =
    "1700000000 INFO billing-worker started\n1688212800 INFO summer run\nplain line\n";

#[test]
fn local_time_east_of_utc_with_half_hour_offset() {
    assert_eq!(
        logstamp_in("IST-5:30", &[], LOG),
        "2023-11-15 03:43:20 +0530 INFO billing-worker started\n\
         2023-07-01 17:30:00 +0530 INFO summer run\n\
         plain line\n"
    );
}

#[test]
fn local_time_uses_the_offset_in_effect_at_each_instant() {
    // US Eastern with its daylight-saving rules, as a POSIX TZ string (no tzdata needed).
    assert_eq!(
        logstamp_in("EST5EDT,M3.2.0,M11.1.0", &[], LOG),
        "2023-11-14 17:13:20 -0500 INFO billing-worker started\n\
         2023-07-01 08:00:00 -0400 INFO summer run\n\
         plain line\n"
    );
}

#[test]
fn utc_flag_ignores_tz() {
    assert_eq!(
        logstamp_in("IST-5:30", &["--utc"], "1700000000 INFO x\n"),
        "2023-11-14 22:13:20 -0000 INFO x\n"
    );
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The instant a `YYYY-MM-DD HH:MM:SS ±hhmm` stamp denotes.
fn instant_of(stamp: &str) -> i64 {
    assert_eq!(stamp.len(), 25, "unexpected stamp {stamp:?}");
    let n = |r: std::ops::Range<usize>| {
        stamp[r]
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("{stamp:?}"))
    };
    let sign = match &stamp[20..21] {
        "+" => 1,
        "-" => -1,
        _ => panic!("no offset sign in {stamp:?}"),
    };
    let offset = sign * (n(21..23) * 3600 + n(23..25) * 60);
    let local = days_from_civil(n(0..4), n(5..7), n(8..10)) * 86400
        + n(11..13) * 3600
        + n(14..16) * 60
        + n(17..19);
    local - offset
}

#[test]
fn library_is_usable_from_worker_threads() {
    // incident-report calls the library from worker threads; it must not panic there, and
    // whatever offset it prints must match the wall-clock time it prints.
    let workers: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let secs = 1_700_000_000 + i * 86_400 * 100;
                (secs, render_epoch(secs, Zone::Local))
            })
        })
        .collect();
    for w in workers {
        let (secs, stamp) = w.join().expect("render_epoch panicked on a worker thread");
        assert_eq!(
            instant_of(&stamp),
            secs,
            "{stamp} is not the instant {secs}"
        );
    }
}

/// `(name, version)` of every package in Cargo.lock.
fn locked_packages() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed");
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
fn no_vulnerable_time_in_the_lock_file() {
    for (name, version) in locked_packages() {
        if name != "time" {
            continue;
        }
        let parts: Vec<u64> = version
            .split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        // RUSTSEC-2020-0071 (every 0.1, 0.2.7 to 0.2.22) and RUSTSEC-2026-0009 (< 0.3.47).
        assert!(
            parts[0] > 0 || (parts[1] == 3 && parts[2] >= 47) || parts[1] > 3,
            "Cargo.lock still has time {version}"
        );
    }
}

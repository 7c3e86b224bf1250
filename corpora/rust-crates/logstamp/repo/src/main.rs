use std::fs::File;
use std::io::{self, BufReader};
use std::process::ExitCode;

use logstamp::{rewrite, Zone};

const USAGE: &str = "usage: logstamp [--utc] [FILE...]";

fn main() -> ExitCode {
    let mut zone = Zone::Local;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--utc" => zone = Zone::Utc,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with('-') && flag != "-" => {
                eprintln!("logstamp: unknown option {flag}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(arg),
        }
    }
    let stdout = io::stdout().lock();
    let result = if files.is_empty() {
        rewrite(io::stdin().lock(), stdout, zone).map(|_| ())
    } else {
        run_files(&files, stdout, zone)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logstamp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_files(files: &[String], mut out: impl io::Write, zone: Zone) -> io::Result<()> {
    for path in files {
        if path == "-" {
            rewrite(io::stdin().lock(), &mut out, zone)?;
            continue;
        }
        let file =
            File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
        rewrite(BufReader::new(file), &mut out, zone)?;
    }
    Ok(())
}

use std::io::{self, Read, Write};
use std::process::ExitCode;

use todoscan::color::{self, ColorChoice, Stream, Style};
use todoscan::{find_markers, format_marker};

const USAGE: &str = "usage: todoscan [--color=auto|always|never] [PATH...]";

fn main() -> ExitCode {
    let mut choice = ColorChoice::Auto;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = if arg == "--color" {
            args.next()
        } else if let Some(v) = arg.strip_prefix("--color=") {
            Some(v.to_string())
        } else if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        } else if arg.starts_with('-') && arg != "-" {
            eprintln!("todoscan: unknown option {arg}\n{USAGE}");
            return ExitCode::from(2);
        } else {
            paths.push(arg);
            continue;
        };
        match value.as_deref().and_then(ColorChoice::parse) {
            Some(c) => choice = c,
            None => {
                eprintln!("todoscan: --color takes auto, always or never\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    let out_color = color::enabled(choice, Stream::Stdout);
    let err_color = color::enabled(choice, Stream::Stderr);

    if paths.is_empty() {
        if atty::is(atty::Stream::Stdin) {
            eprintln!("{USAGE}\n(nothing on standard input: pipe a file in or name paths)");
            return ExitCode::from(2);
        }
        paths.push("-".to_string());
    }

    let stdout = io::stdout();
    let mut out = stdout.lock();
    let (mut markers, mut files, mut failed) = (0, 0, false);
    for path in &paths {
        let (name, text) = match read(path) {
            Ok(text) => (
                if path == "-" {
                    "<stdin>"
                } else {
                    path.as_str()
                },
                text,
            ),
            Err(e) => {
                eprintln!(
                    "todoscan: {}: cannot read {path}: {e}",
                    color::paint("warning", Style::BoldYellow, err_color)
                );
                failed = true;
                continue;
            }
        };
        files += 1;
        for marker in find_markers(&text) {
            markers += 1;
            if writeln!(out, "{}", format_marker(name, &marker, out_color)).is_err() {
                return ExitCode::SUCCESS; // the reader went away (`| head`)
            }
        }
    }
    let _ = out.flush();
    let summary = format!("{markers} marker(s) in {files} file(s)");
    eprintln!(
        "todoscan: {}",
        color::paint(&summary, Style::Bold, err_color)
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn read(path: &str) -> io::Result<String> {
    if path == "-" {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

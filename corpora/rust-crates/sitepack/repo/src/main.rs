use std::path::Path;
use std::process::ExitCode;

const USAGE: &str =
    "usage: sitepack publish SRC OUT NAME | sitepack stage SRC OUT | sitepack sweep OUT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["publish", src, out, name] => {
            sitepack::publish(Path::new(src), Path::new(out), name).map(|p| p.display().to_string())
        }
        ["stage", src, out] => {
            sitepack::stage(Path::new(src), Path::new(out)).map(|p| p.display().to_string())
        }
        ["sweep", out] => sitepack::sweep(Path::new(out)).map(|n| n.to_string()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sitepack: {e}");
            ExitCode::FAILURE
        }
    }
}

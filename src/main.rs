use clap::Parser;

fn main() -> std::process::ExitCode {
    if let Some(code) = skillbench::agent::reaper::run_if_invoked() {
        return std::process::ExitCode::from(code);
    }
    if let Some(code) = skillbench::agent::proxy::forward_if_invoked() {
        return std::process::ExitCode::from(code);
    }
    let cli = skillbench::cli::Cli::parse();
    let code = skillbench::main(cli);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

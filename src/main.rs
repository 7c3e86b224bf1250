use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = skillbench::cli::Cli::parse();
    let code = skillbench::main(cli);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

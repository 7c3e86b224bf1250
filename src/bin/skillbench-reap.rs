//! `skillbench-reap [--overlay MODE BASE ROOM WORK CWD] -- ARGV…`: the reaper of one run's process ([`skillbench::agent::reaper`]),
//! as a binary of its own. skillbench starts every run's process through it when it is
//! installed beside skillbench; a binary this small starts in a fraction of the time
//! skillbench's own takes, and a run starts two or three such processes.

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::ExitCode::from(skillbench::agent::reaper::reap(&args))
}

//! The reaper: every process a run starts goes away with it, also the ones that left its
//! process group or session (`setsid`, `setpgid`, a double fork, `nohup … &`).
//!
//! skillbench starts each run's process through itself, as `skillbench __reap -- ARGV…`
//! — except a command jailed in bubblewrap with no room to mount: its process namespace,
//! which the kernel empties when bubblewrap's first process in it ends, does the same work.
//! The reaper makes itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`): whatever its
//! descendants leave behind is re-parented to it rather than to init, wherever it moved to
//! in the process tree. When the command exits — or skillbench sends the reaper SIGTERM at
//! a timeout, or skillbench itself dies (`PR_SET_PDEATHSIG`) — the reaper kills the
//! command's group, then every process re-parented to it, repeatedly, until it has no
//! child left; then it exits with the command's status. This needs no privilege, no
//! cgroup and no sandbox. An agent that kills the reaper itself (it is its parent) is
//! caught by skillbench, which is a subreaper too ([`sweep_orphans`]) and kills what
//! reaches it.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::sync::Mutex;

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// The first argument that makes the binary a reaper.
pub const ARG: &str = "__reap";

/// Runs as a reaper if the command line asks for it (`skillbench __reap -- ARGV…`), and
/// returns the exit code; `None` for every other command line.
pub fn run_if_invoked() -> Option<u8> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(ARG)) {
        return None;
    }
    let rest: Vec<OsString> = args.collect();
    Some(reap(&rest))
}

/// Runs the reaper's command line — `[--overlay MODE BASE ROOM WORK CWD] [--] ARGV…` — as a
/// reaper (see the module's documentation) and returns its exit code. With an overlay,
/// the command runs in the room's view ([`super::overlay`]); a room that cannot be mounted
/// is never replaced by the bare folder: the reaper fails (125).
pub fn reap(args: &[OsString]) -> u8 {
    let (overlay, rest) = match super::overlay::Overlay::parse(args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("skillbench __reap: {e}");
            return 125;
        }
    };
    if let Some((overlay, cwd)) = overlay
        && let Err(e) = overlay.enter(&cwd)
    {
        eprintln!("skillbench __reap: {e}");
        return 125;
    }
    let argv: Vec<&OsString> = rest.iter().skip_while(|a| *a == "--").collect();
    let Some((program, args)) = argv.split_first() else {
        eprintln!("skillbench __reap: no command");
        return 125;
    };
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        eprintln!("skillbench __reap: cannot become a subreaper: {e}");
        return 125;
    }
    // If skillbench dies, the reaper hears of it and cleans up as at a timeout.
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
    let mut signals = match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skillbench __reap: cannot handle signals: {e}");
            return 125;
        }
    };
    let child = match std::process::Command::new(program)
        .args(args)
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "skillbench __reap: cannot start {}: {e}",
                program.to_string_lossy()
            );
            return 127;
        }
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            kill_all(pid);
            std::process::exit(128 + sig);
        }
    });
    let code = loop {
        match waitpid(Pid::from_raw(-1), None) {
            Ok(WaitStatus::Exited(p, code)) if p == pid => break u8::try_from(code).unwrap_or(1),
            Ok(WaitStatus::Signaled(p, sig, _)) if p == pid => {
                break u8::try_from(128 + sig as i32).unwrap_or(1);
            }
            // An orphan re-parented here exited: reaped, nothing else to do.
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => break 1,
        }
    };
    kill_all(pid);
    code
}

/// Kills the command's group and every process re-parented to the reaper, until none is
/// left.
fn kill_all(group: Pid) {
    let _ = killpg(group, Signal::SIGKILL);
    let me = nix::unistd::getpid();
    for _ in 0..1000 {
        // Reap whatever has exited; ECHILD says no child is left at all, zombie or alive.
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => {}
                Err(nix::errno::Errno::ECHILD) => return,
                Err(_) => break,
            }
        }
        let mut children = children_of(me);
        if children.is_empty() {
            // A child being created may be missing from the threads' lists: ask every
            // process.
            children = scan_children_of(me);
        }
        for child in &children {
            let _ = kill(*child, Signal::SIGKILL);
        }
        for child in children {
            let _ = waitpid(child, None);
        }
    }
}

/// The processes whose parent is `parent`: from its threads' lists of children
/// (`/proc/<pid>/task/<tid>/children`), a read per thread; where the kernel keeps no such
/// list, from every process's `/proc/<pid>/stat`.
fn children_of(parent: Pid) -> Vec<Pid> {
    listed_children_of(parent).unwrap_or_else(|| scan_children_of(parent))
}

fn listed_children_of(parent: Pid) -> Option<Vec<Pid>> {
    let tasks = std::fs::read_dir(format!("/proc/{parent}/task")).ok()?;
    let mut out = Vec::new();
    for task in tasks.flatten() {
        match std::fs::read_to_string(task.path().join("children")) {
            Ok(list) => out.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                    .map(Pid::from_raw),
            ),
            // A thread that ended since the folder was read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && task.path().exists() => {
                return None;
            }
            Err(_) => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The processes whose parent is `parent`, read from every `/proc/<pid>/stat`.
fn scan_children_of(parent: Pid) -> Vec<Pid> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent.as_raw()))
        .map(Pid::from_raw)
        .collect()
}

/// The parent of `pid`, from `/proc/<pid>/stat` (its fourth field, after the command name
/// in parentheses, which may itself hold spaces and parentheses).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// The reapers skillbench started and has not yet waited for.
static REAPERS: Mutex<Option<HashSet<i32>>> = Mutex::new(None);
/// Held while a process is started and noted, and while orphans are swept: a process just
/// started is never taken for an orphan.
pub(crate) static SPAWNING: Mutex<()> = Mutex::new(());

/// Makes skillbench itself a subreaper, so that what escapes a killed reaper reaches it.
pub fn adopt_orphans() {
    let _ = nix::sys::prctl::set_child_subreaper(true);
}

/// Notes a reaper that was started (`Some`) or has been waited for.
pub(crate) fn track(pid: u32, running: bool) {
    if let Ok(mut set) = REAPERS.lock() {
        let set = set.get_or_insert_with(HashSet::new);
        let pid = i32::try_from(pid).unwrap_or(-1);
        if running {
            set.insert(pid);
        } else {
            set.remove(&pid);
        }
    }
}

/// Kills every child of skillbench that is not a running reaper: what an agent left
/// behind after killing its reaper. Returns how many there were.
pub fn sweep_orphans() -> usize {
    let _spawning = SPAWNING.lock();
    let tracked = REAPERS
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default();
    let me = nix::unistd::getpid();
    let mut swept = 0;
    for _ in 0..100 {
        let orphans: Vec<Pid> = children_of(me)
            .into_iter()
            .filter(|p| !tracked.contains(&p.as_raw()))
            .collect();
        if orphans.is_empty() {
            break;
        }
        for p in &orphans {
            let _ = kill(*p, Signal::SIGKILL);
        }
        // Once one is waited for, what it had started is re-parented here already (the
        // kernel does that before the exit can be waited for): the next pass sees it.
        for p in orphans {
            let _ = waitpid(p, None);
            swept += 1;
        }
    }
    swept
}

/// The reaper's argv for `argv`, when skillbench's binary is running (not a test harness
/// that links the library): `skillbench-reap -- ARGV…` when that is installed beside it,
/// else `skillbench __reap -- ARGV…`.
pub(crate) fn wrap(
    argv: Vec<String>,
    overlay: Option<(&super::overlay::Overlay, &std::path::Path)>,
) -> Vec<String> {
    // A jail of the sandbox's is a process namespace of its own, which the kernel empties
    // when its first process ends (and which ends with skillbench): what the command leaves
    // behind goes with it, and a reaper would only add a process to every start. A room to
    // mount still needs one.
    if overlay.is_none() && super::sandbox::is_jailed(&argv) {
        return argv;
    }
    match reaper_argv() {
        Some(mut reaper) => {
            if let Some((overlay, cwd)) = overlay {
                reaper.extend(overlay.args(cwd));
            }
            reaper.push("--".to_string());
            reaper.extend(argv);
            reaper
        }
        None => argv,
    }
}

/// The reaper's own command line, without the command: found once.
pub(crate) fn reaper_argv() -> Option<Vec<String>> {
    static REAPER: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    REAPER
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            if exe.file_stem()? != "skillbench" {
                return None;
            }
            let small = exe.with_file_name("skillbench-reap");
            Some(if small.is_file() {
                vec![small.to_string_lossy().into_owned()]
            } else {
                vec![exe.to_string_lossy().into_owned(), ARG.to_string()]
            })
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_children_are_listed_as_every_process_names_them() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = nix::unistd::getpid();
        let pid = Pid::from_raw(child.id() as i32);
        let listed = listed_children_of(me).expect("this kernel lists children");
        assert!(listed.contains(&pid), "{listed:?} lacks {pid}");
        // Other tests start processes too: both ways see this one.
        assert!(scan_children_of(me).contains(&pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!children_of(me).contains(&pid));
    }

    #[test]
    fn a_parent_is_read_past_a_command_name_with_parentheses() {
        let me = std::process::id() as i32;
        let parent = parent_of(me).unwrap();
        assert_eq!(parent, nix::unistd::getppid().as_raw());
    }
}

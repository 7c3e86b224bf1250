//! Running one process cold: a cleared environment, its own process group, a timeout that
//! kills the whole group, stdout/stderr captured to capped log files, and every process it
//! started — also those that left its group or session — gone before [`run`] returns
//! ([`super::reaper`]).

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};

/// At most this many bytes of each stream are kept in its log.
pub const LOG_CAP: u64 = 4 * 1024 * 1024;

/// Where a process's output goes.
#[derive(Debug, Clone)]
pub enum Output {
    Split {
        stdout: PathBuf,
        stderr: PathBuf,
    },
    /// Both streams, interleaved, in one file.
    Combined(PathBuf),
}

/// A process to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    /// The complete environment; nothing else is inherited.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub output: Output,
    /// Secrets to redact from the logs as they are written.
    pub redactor: Arc<crate::redact::Redactor>,
    /// The room the process runs in, when it is an overlay ([`super::overlay`]).
    pub overlay: Option<super::overlay::Overlay>,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
    TimedOut,
    /// skillbench was asked to stop (SIGINT, SIGTERM): the group was killed.
    Interrupted,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Exited(code) => write!(f, "exit {code}"),
            Status::Signaled(sig) => write!(f, "killed by signal {sig}"),
            Status::TimedOut => f.write_str("timed out"),
            Status::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// A finished process.
#[derive(Debug, Clone)]
pub struct Done {
    pub status: Status,
    pub duration: Duration,
}

/// A log file that stops growing at [`LOG_CAP`] and says so.
#[derive(Debug)]
struct CappedLog {
    file: std::fs::File,
    written: u64,
    truncated: bool,
    redact: crate::redact::Stream,
}

impl CappedLog {
    fn create(
        path: &PathBuf,
        redactor: &Arc<crate::redact::Redactor>,
    ) -> std::io::Result<Arc<Mutex<CappedLog>>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A new file, never one written in place: the path may be a hard link a results
        // set shares with another run folder or an earlier set (`fsx::SharedFiles`,
        // `store::carry_run`), which must keep its bytes.
        let _ = std::fs::remove_file(path);
        let file = std::fs::File::create(path)?;
        Ok(Arc::new(Mutex::new(CappedLog {
            file,
            written: 0,
            truncated: false,
            redact: crate::redact::Stream::new(redactor.clone()),
        })))
    }

    /// Writes what the redactor lets out of `bytes` now.
    fn write(&mut self, bytes: &[u8]) {
        let clean = self.redact.push(bytes);
        self.write_clean(&clean);
    }

    /// Writes what the redactor held back, at the end of the stream.
    fn finish(&mut self) {
        let rest = self.redact.finish();
        self.write_clean(&rest);
    }

    fn write_clean(&mut self, bytes: &[u8]) {
        if self.truncated || bytes.is_empty() {
            return;
        }
        let room = LOG_CAP.saturating_sub(self.written);
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        // A log that cannot be written must not stop the run; the run's status says what matters.
        let _ = self.file.write_all(&bytes[..take]);
        self.written += take as u64;
        if take < bytes.len() {
            self.truncated = true;
            let _ = writeln!(
                self.file,
                "\n[skillbench: log truncated at {LOG_CAP} bytes]"
            );
        }
    }
}

async fn drain(mut from: impl AsyncRead + Unpin, to: Arc<Mutex<CappedLog>>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut log) = to.lock() {
                    log.write(&buf[..n]);
                }
            }
        }
    }
    if let Ok(mut log) = to.lock() {
        log.finish();
    }
}

/// Runs `spec` to completion or timeout. Whatever happens, every process left in the
/// group is killed before this returns.
pub async fn run(spec: &Spec) -> std::io::Result<Done> {
    if spec.argv.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty command",
        ));
    }
    let overlay = spec.overlay.as_ref().map(|o| (o, spec.cwd.as_path()));
    let argv = super::reaper::wrap(spec.argv.clone(), overlay);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"))?;
    let mut cmd = tokio::process::Command::new(program);
    // In an overlay room, the folder may exist only in the room's view: the reaper enters
    // it once it has mounted the room.
    let start_in = spec.overlay.as_ref().map_or(&spec.cwd, |o| &o.room);
    cmd.args(args)
        .current_dir(start_in)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let start = Instant::now();
    // Started and noted at once, so that a sweep of orphans never takes it for one.
    let spawning = super::reaper::SPAWNING.lock();
    let (mut child, readers) = match &spec.output {
        Output::Split { stdout, stderr } => {
            let (out_log, err_log) = (
                CappedLog::create(stdout, &spec.redactor)?,
                CappedLog::create(stderr, &spec.redactor)?,
            );
            let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
            let readers = [
                child.stdout.take().map(|s| tokio::spawn(drain(s, out_log))),
                child.stderr.take().map(|s| tokio::spawn(drain(s, err_log))),
            ];
            (child, readers)
        }
        Output::Combined(path) => {
            // One pipe for both streams, as `2>&1` does, so the log keeps their order.
            let log = CappedLog::create(path, &spec.redactor)?;
            let (reader, writer) = std::io::pipe()?;
            let child = cmd.stdout(writer.try_clone()?).stderr(writer).spawn()?;
            // The command holds the parent's copies of the write end: close them, so the
            // reader sees the end of the output when the process group is gone.
            drop(cmd);
            let reader = tokio::net::unix::pipe::Receiver::from_owned_fd(
                std::os::fd::OwnedFd::from(reader),
            )?;
            (child, [Some(tokio::spawn(drain(reader, log))), None])
        }
    };
    if let Some(id) = child.id() {
        super::reaper::track(id, true);
    }
    drop(spawning);
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    // The process's end, its timeout, or skillbench asked to stop, whichever comes first.
    let deadline = tokio::time::sleep(spec.timeout);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let ended = loop {
        tokio::select! {
            status = child.wait() => break Ok(status?),
            () = &mut deadline => break Err(Status::TimedOut),
            _ = tick.tick() => {
                if crate::interrupt::requested().is_some() {
                    break Err(Status::Interrupted);
                }
            }
        }
    };
    let status = match ended {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Status::Exited(code),
            (None, Some(sig)) => Status::Signaled(sig),
            (None, None) => Status::Exited(-1),
        },
        Err(why) => {
            // The reaper kills everything the process started, then exits; if it does not
            // within a grace period, its group goes.
            if let Some(pid) = pgid {
                let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
                // A reaper the agent stopped cannot act on SIGTERM until it runs again.
                let _ = nix::sys::signal::kill(pid, Signal::SIGCONT);
            }
            if tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                kill_group(pgid);
                let _ = child.wait().await;
            }
            why
        }
    };
    if let Some(pid) = pgid {
        super::reaper::track(pid.as_raw().unsigned_abs(), false);
    }
    // A reaper that did not clean up — killed by the agent (its child), or stopped and
    // killed at the timeout — leaves orphans to skillbench: they go now, whatever the
    // status (for a reaper that did its work there are none).
    super::reaper::sweep_orphans();
    // Children the process left behind in its group go too: a run leaves nothing running.
    kill_group(pgid);
    for reader in readers.into_iter().flatten() {
        // A descendant that left the group could hold the pipe open; do not wait on it forever.
        let abort = reader.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    Ok(Done {
        status,
        duration: start.elapsed(),
    })
}

fn kill_group(pgid: Option<Pid>) {
    if let Some(pgid) = pgid {
        // ESRCH (the group is already gone) is the common, fine case.
        let _ = killpg(pgid, Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_written_where_a_shared_link_stood_leaves_the_linked_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (first, log) = (dir.path().join("first.log"), dir.path().join("run/x.log"));
        std::fs::write(&first, "the earlier run's log").unwrap();
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::hard_link(&first, &log).unwrap();
        let capped =
            CappedLog::create(&log, &Arc::new(crate::redact::Redactor::default())).unwrap();
        let mut capped = capped.lock().unwrap();
        capped.write(b"this run's log");
        capped.finish();
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "the earlier run's log"
        );
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "this run's log");
    }
}

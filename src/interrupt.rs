//! SIGINT and SIGTERM during an eval: the first asks every running process to stop (each
//! is killed with its process group, as at a timeout), lets no new run start and keeps the
//! runs that finished; a second one exits at once (the reapers then kill what is left, as
//! when skillbench dies).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The number of the signal that asked to stop; 0 while none has.
fn slot() -> &'static Arc<AtomicUsize> {
    static SLOT: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    SLOT.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Installs the handlers (once per process; later calls do nothing).
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<std::io::Result<()>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let asked = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Handlers run in the order they were registered: on the second signal the
            // first one exits, before the others note it.
            signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, asked.clone())?;
            signal_hook::flag::register(signal, asked.clone())?;
            let number = usize::try_from(signal).unwrap_or(0);
            signal_hook::flag::register_usize(signal, slot().clone(), number)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

/// The signal that asked the eval to stop (`SIGINT` or `SIGTERM`), if one has.
pub fn requested() -> Option<i32> {
    match slot().load(Ordering::SeqCst) {
        0 => None,
        n => i32::try_from(n).ok(),
    }
}

//! skillbench's standard output: a reader that goes away (`skillbench corpus list | head
//! -0`) is the reader's choice, not a failure. Writes to a closed stdout are dropped
//! quietly, and the command goes on to finish its work (an eval still writes its results
//! and its pending snapshot) and exits with its own outcome, as ripgrep does with 0.

use std::io::{self, Write};

/// A writer that drops what it cannot write because its reader is gone.
#[derive(Debug)]
pub struct Quiet<W: Write>(pub W);

impl<W: Write> Write for Quiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

/// Standard output, quiet when closed.
pub fn stdout() -> Quiet<io::StdoutLock<'static>> {
    Quiet(io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn a_closed_reader_is_no_error_and_other_errors_still_are() {
        let mut quiet = Quiet(Closed);
        assert_eq!(quiet.write(b"abc").unwrap(), 3);
        assert!(quiet.flush().is_ok());
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(Quiet(Full).write(b"x").is_err());
    }
}

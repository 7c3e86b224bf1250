//! Located messages about input files: `path:line:col: error|warning: message`.
//!
//! Parsers and the skill linter produce [`Diagnostic`]s; the top-level handler prints them.
//! Positions are 1-based lines and 1-based columns counted in characters.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(path: &Path, (line, col): (usize, usize), message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line,
            col,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(path: &Path, (line, col): (usize, usize), message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, (line, col), message)
        }
    }

    /// An error at a byte span of `source` (the file's whole text).
    pub fn at_span(
        path: &Path,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic::error(path, line_col(source, span.start), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.severity,
            self.message
        )
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Reads an input file as UTF-8 text, a leading byte-order mark dropped. A file that is not
/// UTF-8 is bad input located at its first bad byte.
pub fn read_text(path: &Path) -> crate::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| crate::Error::read(path, e))?;
    decode_text(path, bytes).map_err(crate::Error::from)
}

/// `bytes` of the file at `path` as UTF-8 text, without a leading byte-order mark; a
/// [`Diagnostic`] at the line and column of the first byte that is not UTF-8.
pub fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::error(
            path,
            (1, 1),
            "the file is UTF-16; save it as UTF-8",
        ));
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // The prefix before the bad byte is valid UTF-8 by definition.
        let before = std::str::from_utf8(&bytes[..bad]).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
        Diagnostic::error(
            path,
            (line, col),
            format!(
                "not UTF-8: byte 0x{:02x} cannot start or continue a character; save the file as UTF-8",
                bytes[bad]
            ),
        )
    })
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Parses a TOML file into `T`, turning any error into a located [`Diagnostic`] that names
/// the offending key and suggests the nearest valid one.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    source: &str,
) -> Result<T, Diagnostic> {
    toml::from_str(source).map_err(|err| {
        let position = err.span().map_or((1, 1), |s| line_col(source, s.start));
        Diagnostic::error(path, position, describe_toml_error(err.message()))
    })
}

/// serde's messages name the bad key and the expected ones; add the nearest as a suggestion.
fn describe_toml_error(message: &str) -> String {
    let message = message.trim();
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((bad, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let what = if message.starts_with("unknown field") {
        "key"
    } else {
        "value"
    };
    let mut out = format!("unknown {what} '{bad}'");
    match nearest(bad, candidates.iter().copied()) {
        Some(best) => out.push_str(&format!(" (did you mean '{best}'?)")),
        None if !candidates.is_empty() => {
            out.push_str(&format!("; expected one of: {}", candidates.join(", ")))
        }
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, src.find('=').map_or(0, |_| 10)), (2, 4));
    }

    #[test]
    fn unknown_field_names_the_nearest_key() {
        let msg = describe_toml_error(
            "unknown field `trails`, expected one of `skill`, `trials`, `agents`",
        );
        assert_eq!(msg, "unknown key 'trails' (did you mean 'trials'?)");
        let msg = describe_toml_error("unknown variant `zzzzzz`, expected `fix` or `escalate`");
        assert_eq!(
            msg,
            "unknown value 'zzzzzz'; expected one of: fix, escalate"
        );
    }
}

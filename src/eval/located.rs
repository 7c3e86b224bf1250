//! Errors at a span of the eval file: its path, line and column.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, nearest};
use crate::error::{Error, Result};

use super::*;

/// Reports errors at spans of one file.
pub(super) struct Located<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Located<'_> {
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error::from(Diagnostic::at_span(self.path, self.text, span, message))
    }

    pub(super) fn duration(&self, value: &Spanned<String>) -> Result<Duration> {
        check_duration(value.get_ref()).map_err(|why| {
            self.err(
                value.span(),
                format!("{why} (write e.g. \"90s\" or \"10m\")"),
            )
        })
    }

    /// A price or an amount in dollars: a finite number, not negative.
    pub(super) fn money(&self, value: &Spanned<f64>, key: &str) -> Result<f64> {
        let v = *value.get_ref();
        if !v.is_finite() || v < 0.0 {
            return Err(self.err(
                value.span(),
                format!("'{key}' must be a dollar amount of 0 or more, not {v}"),
            ));
        }
        Ok(v)
    }

    pub(super) fn one_of(&self, value: &Spanned<String>, what: &str, valid: &[&str]) -> Result<()> {
        if valid.contains(&value.get_ref().as_str()) {
            return Ok(());
        }
        let hint = nearest(value.get_ref(), valid.iter().copied()).map_or_else(
            || format!("; expected one of: {}", valid.join(", ")),
            |n| format!(" (did you mean '{n}'?)"),
        );
        Err(self.err(
            value.span(),
            format!("unknown {what} '{}'{hint}", value.get_ref()),
        ))
    }
}

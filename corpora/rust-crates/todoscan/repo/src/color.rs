//! When to colour, and how.

use std::env;

/// `--color=auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn parse(value: &str) -> Option<ColorChoice> {
        match value {
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            _ => None,
        }
    }
}

/// The output streams todoscan writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether to colour what goes to `stream`.
pub fn enabled(choice: ColorChoice, stream: Stream) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => env_allows_color() && is_terminal(stream),
    }
}

/// `NO_COLOR` (when set and not empty) and `TERM=dumb` turn automatic colour off.
fn env_allows_color() -> bool {
    let no_color = env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

fn is_terminal(stream: Stream) -> bool {
    match stream {
        Stream::Stdout => atty::is(atty::Stream::Stdout),
        Stream::Stderr => atty::is(atty::Stream::Stderr),
    }
}

/// The styles todoscan uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Yellow,
    BoldRed,
    Magenta,
    BoldYellow,
    Bold,
}

impl Style {
    fn sgr(self) -> &'static str {
        match self {
            Style::Yellow => "33",
            Style::BoldRed => "1;31",
            Style::Magenta => "35",
            Style::BoldYellow => "1;33",
            Style::Bold => "1",
        }
    }
}

/// `text` wrapped in the escape codes of `style` when `enabled`, else `text` itself.
pub fn paint(text: &str, style: Style, enabled: bool) -> String {
    if enabled {
        format!("\x1b[{}m{text}\x1b[0m", style.sgr())
    } else {
        text.to_string()
    }
}

//! The terminal reporter: progress for people on one writer (stderr), the command's answer
//! on another (stdout; stderr too when stdout carries JSON lines).
//!
//! Colours come from named roles ([`Role`]), never scattered escape codes, and only where
//! [`Style::color`] says (`--color auto|always|never`, `NO_COLOR`). Progress lines fit
//! [`Style::width`] columns when it is set (a terminal's width). On a terminal the progress
//! is a bar with the runs done, the time so far and the time left (ETA); elsewhere one line
//! per graded run. Rendering is plain functions over events, so tests render into a
//! `String`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use anstyle::{AnsiColor, Effects};

use super::event::{Conclusion, Event, Level, Reporter};
use crate::grade::Grade;
use crate::run::results::RunStatus;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colours when the output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output written to a stream that `is_terminal` or not, given the
    /// value of `NO_COLOR` (any non-empty value turns `auto` off; `always` still wins).
    pub fn colors(self, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// How the terminal output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
    /// The columns a progress line may take; `None` for no limit (a log).
    pub width: Option<usize>,
}

/// The width of stdout (or stderr) when it is a terminal: `COLUMNS` first, as shells set
/// it, else the terminal's own, at least 40; `None` when it is no terminal.
pub fn terminal_width(stdout: bool) -> Option<usize> {
    let (terminal, term) = if stdout {
        (std::io::stdout().is_terminal(), console::Term::stdout())
    } else {
        (std::io::stderr().is_terminal(), console::Term::stderr())
    };
    terminal.then(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|&c| c > 0)
            .unwrap_or_else(|| usize::from(term.size().1).max(40))
    })
}

impl Style {
    /// The style for stderr under `choice`: colours and width from the terminal, if it is
    /// one.
    pub fn for_stderr(choice: ColorChoice) -> Style {
        let terminal = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR");
        let width = terminal_width(false);
        Style {
            color: choice.colors(terminal, no_color.as_deref()),
            width,
        }
    }

    fn paint(&self, role: Role, text: &str) -> String {
        if !self.color || text.is_empty() {
            return text.to_string();
        }
        let style = role.style();
        format!("{}{text}{}", style.render(), style.render_reset())
    }
}

/// What a piece of text is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Grade A, a gate that holds.
    Pass,
    /// Grade B.
    Partial,
    /// Grade C, a gate that fails, an error.
    Fail,
    /// Not graded: infrastructure (I) or unavailable (U), an undecided gate.
    Infrastructure,
    /// Secondary: durations, "cached from".
    Dim,
    /// A heading: the eval's first line.
    Heading,
    /// A warning.
    Warning,
}

impl Role {
    fn style(self) -> anstyle::Style {
        let fg = |c: AnsiColor| anstyle::Style::new().fg_color(Some(c.into()));
        match self {
            Role::Pass => fg(AnsiColor::Green),
            Role::Partial => fg(AnsiColor::Yellow),
            Role::Fail => fg(AnsiColor::Red).effects(Effects::BOLD),
            Role::Infrastructure => fg(AnsiColor::Magenta),
            Role::Dim => anstyle::Style::new().effects(Effects::DIMMED),
            Role::Heading => anstyle::Style::new().effects(Effects::BOLD),
            Role::Warning => fg(AnsiColor::Yellow).effects(Effects::BOLD),
        }
    }

    fn of_grade(grade: Option<Grade>, status: RunStatus) -> (String, Role) {
        match (grade, status) {
            (Some(Grade::A), _) => ("A".into(), Role::Pass),
            (Some(Grade::B), _) => ("B".into(), Role::Partial),
            (Some(Grade::C), _) => ("C".into(), Role::Fail),
            (None, RunStatus::Unavailable) => ("U".into(), Role::Infrastructure),
            (None, _) => ("I".into(), Role::Infrastructure),
        }
    }
}

/// `text` with every line longer than `width` wrapped at spaces (greedily), continuation
/// lines indented by two; a word longer than a line (a path) stays whole.
pub fn wrap(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let mut current = String::new();
        for word in body.split(' ') {
            let len = current.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = format!("  {word}");
            } else {
                if len > 0 {
                    current.push(' ');
                }
                current.push_str(word);
            }
        }
        out.push_str(&current);
        out.push_str(end);
    }
    out
}

/// `text` cut to `width` characters, ending in `…` when cut.
fn fit(text: &str, width: Option<usize>) -> String {
    match width {
        Some(w) if text.chars().count() > w => {
            text.chars().take(w.saturating_sub(1)).collect::<String>() + "…"
        }
        _ => text.to_string(),
    }
}

/// The progress line of a graded run, uncoloured, and its grade's role; `several` when
/// runs of several evals interleave (each line then names its eval).
fn run_line(event: &Event, several: bool) -> Option<(String, String, Role)> {
    let Event::RunGraded {
        eval,
        case,
        agent,
        variant,
        trial,
        grade,
        failed,
        duration_ms,
        tamper_proof,
        agent_sandboxed,
        status,
        reason,
        cached_from,
        delivery_from,
        ..
    } = event
    else {
        return None;
    };
    let (letter, role) = Role::of_grade(*grade, *status);
    let rest = format!(
        "  {}{case}  {agent}  {variant}  trial {trial}  ({}){}{}{}{}",
        if several {
            format!("{eval}: ")
        } else {
            String::new()
        },
        match (cached_from, delivery_from) {
            (Some(id), _) => format!("cached from {id}"),
            (None, Some(id)) => format!("delivery of {id} graded again"),
            (None, None) => format!("{:.1}s", *duration_ms as f64 / 1000.0),
        },
        if failed.is_empty() {
            String::new()
        } else {
            format!("  failed: {}", failed.join(", "))
        },
        // A run that ended before grading says why, on its own line.
        if matches!(status, RunStatus::Completed) {
            String::new()
        } else {
            format!("  — {reason}")
        },
        if *tamper_proof {
            ""
        } else {
            "  (not tamper-proof: no bubblewrap for the checks)"
        },
        if *agent_sandboxed {
            ""
        } else {
            "  (agent not sandboxed)"
        }
    );
    Some((letter, rest, role))
}

/// How one event reads on the progress writer (stderr); `None` when it has nothing there.
/// `several`: runs of several evals interleave.
pub fn progress(event: &Event, style: &Style, several: bool) -> Option<String> {
    match event {
        Event::EvalStarted {
            eval,
            skill,
            runs,
            jobs,
            rooms,
            ..
        } => Some(format!(
            "{}\n{}",
            style.paint(
                Role::Heading,
                &fit(
                    &format!("eval {eval}: skill {skill}, {runs} runs, {jobs} at a time"),
                    style.width,
                )
            ),
            fit(&format!("  rooms: {rooms}"), style.width)
        )),
        Event::RunGraded { .. } => {
            let (letter, rest, role) = run_line(event, several)?;
            // The grade keeps its colour; the rest is cut to fit.
            let rest = fit(&rest, style.width.map(|w| w.saturating_sub(3)));
            Some(format!("  {}{rest}", style.paint(role, &letter)))
        }
        Event::Note {
            level: Level::Note,
            message,
        } => Some(format!("note: {message}")),
        Event::Note {
            level: Level::Warning,
            message,
        } => Some(format!(
            "{} {message}",
            style.paint(Role::Warning, "warning:")
        )),
        Event::CaseVerified {
            case,
            passed,
            unavailable,
            ..
        } => {
            let (word, role) = match (passed, unavailable) {
                (_, Some(_)) => ("unavailable", Role::Infrastructure),
                (true, None) => ("ok", Role::Pass),
                (false, None) => ("FAILED", Role::Fail),
            };
            let room = style.width.map(|w| w.saturating_sub(word.len() + 4));
            Some(format!(
                "  {}  {}",
                style.paint(role, word),
                fit(case, room)
            ))
        }
        _ => None,
    }
}

/// How one event reads on the answer writer (stdout); `None` when it has nothing there.
pub fn answer(event: &Event, style: &Style) -> Option<String> {
    match event {
        Event::Note {
            level: Level::Info,
            message,
        } => Some(format!("{message}\n")),
        Event::EvalConcluded(c) => Some(conclusion(c, style)),
        _ => None,
    }
}

/// The tables, the results folder, the snapshot's verdict, the gates and the notes.
pub fn conclusion(c: &Conclusion, style: &Style) -> String {
    let mut out = c.tables.clone();
    out.push_str(&format!("results: {}\n", c.results));
    let s = &c.snapshot;
    if s.verdict == "matches" {
        let scope = if s.not_compared == 0 {
            String::new()
        } else {
            format!(
                " in every row compared; {} row(s) not compared (no graded trial)",
                s.not_compared
            )
        };
        out.push_str(&format!(
            "snapshot: {} {}{scope}\n{}",
            style.paint(Role::Pass, "matches"),
            s.path,
            s.described
        ));
    } else {
        out.push_str(&format!(
            "snapshot: {}{}\n{}",
            s.path,
            if s.subset {
                " (a subset was run: only its rows are compared)"
            } else {
                ""
            },
            s.described
        ));
    }
    if let Some(action) = &s.action {
        out.push_str(action);
        out.push('\n');
    }
    for g in &c.gates {
        let role = match g.mark.as_str() {
            "holds" => Role::Pass,
            "FAILS" => Role::Fail,
            "UNDECIDED" => Role::Infrastructure,
            _ => Role::Dim,
        };
        out.push_str(&format!(
            "gate {}: {} ({} of {} graded runs pass{})\n",
            style.paint(role, &g.mark),
            g.gate,
            g.passed,
            g.runs,
            g.detail
        ));
    }
    for note in &c.notes {
        out.push_str(note);
        out.push('\n');
    }
    out
}

/// The terminal reporter: progress and answers, each to its writer.
pub struct Terminal {
    progress: Mutex<Box<dyn Write + Send>>,
    answers: Mutex<Box<dyn Write + Send>>,
    style: Style,
    /// A progress bar, only where a person watches: stderr is a terminal.
    bar: Mutex<Option<indicatif::ProgressBar>>,
    use_bar: bool,
    /// The width answers wrap to: stdout's terminal's, when it is one.
    answer_width: Option<usize>,
    /// How many evals have started: with more than one, run lines name their eval.
    evals: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("style", &self.style)
            .finish_non_exhaustive()
    }
}

impl Terminal {
    /// Progress to `progress`, answers to `answers`, no progress bar: what tests use.
    pub fn new(
        progress: Box<dyn Write + Send>,
        answers: Box<dyn Write + Send>,
        style: Style,
    ) -> Terminal {
        Terminal {
            progress: Mutex::new(progress),
            answers: Mutex::new(answers),
            style,
            bar: Mutex::new(None),
            use_bar: false,
            answer_width: None,
            evals: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Progress on stderr (a bar when it is a terminal); answers on stdout, or on stderr
    /// when stdout carries JSON lines.
    pub fn standard(choice: ColorChoice, json: bool) -> Terminal {
        let answers: Box<dyn Write + Send> = if json {
            Box::new(std::io::stderr())
        } else {
            Box::new(crate::out::Quiet(std::io::stdout()))
        };
        let mut terminal = Terminal::new(
            Box::new(std::io::stderr()),
            answers,
            Style::for_stderr(choice),
        );
        terminal.use_bar = std::io::stderr().is_terminal();
        terminal.answer_width = if json {
            terminal.style.width
        } else {
            terminal_width(true)
        };
        terminal
    }

    fn bar(&self) -> Option<indicatif::ProgressBar> {
        self.bar.lock().ok().and_then(|b| b.clone())
    }

    fn write_progress(&self, line: &str) -> std::io::Result<()> {
        if let Some(bar) = self.bar() {
            bar.println(line);
            return Ok(());
        }
        let mut out = self
            .progress
            .lock()
            .map_err(|_| std::io::Error::other("a reporter panicked"))?;
        writeln!(out, "{line}")
    }
}

impl Reporter for Terminal {
    fn answer(&self, text: &str) -> std::io::Result<()> {
        let mut out = self
            .answers
            .lock()
            .map_err(|_| std::io::Error::other("a reporter panicked"))?;
        write!(out, "{text}")?;
        out.flush()
    }

    fn report(&self, event: &Event) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        if matches!(event, Event::EvalStarted { .. }) {
            self.evals.fetch_add(1, Ordering::SeqCst);
        }
        let several = self.evals.load(Ordering::SeqCst) > 1;
        if let Some(line) = progress(event, &self.style, several) {
            self.write_progress(&line)?;
        }
        match event {
            Event::EvalStarted { runs, .. } if self.use_bar && self.bar().is_some() => {
                // One bar for every eval the command runs.
                if let Some(bar) = self.bar() {
                    bar.inc_length(*runs as u64);
                }
            }
            Event::EvalStarted { runs, .. } if self.use_bar => {
                let bar = indicatif::ProgressBar::new(*runs as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed}] {bar:24} {pos}/{len} runs, ETA {eta}",
                ) {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                if let Ok(mut slot) = self.bar.lock() {
                    *slot = Some(bar);
                }
            }
            Event::RunGraded { .. } => {
                if let Some(bar) = self.bar() {
                    bar.inc(1);
                }
            }
            Event::EvalConcluded(_) | Event::EvalFinished { .. } => {
                if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
        // The conclusions are prose for people: wrapped to a terminal. A rendered answer
        // (a schema, a scorecard) is written as it is.
        match answer(event, &self.style) {
            Some(text) => self.answer(&wrap(&text, self.answer_width)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Variant;
    use crate::run::event::{GateLine, SnapshotReport};
    use std::sync::Arc;

    /// A writer into a shared `String`.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("capture").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("capture").clone()).expect("utf-8")
        }
    }

    fn graded(grade: Option<Grade>, status: RunStatus, reason: &str) -> Event {
        Event::RunGraded {
            eval: "e".into(),
            index: 0,
            case: "python-cves/settings-loader-with-a-long-name".into(),
            agent: "claude-code".into(),
            variant: Variant::Skill,
            trial: 2,
            status,
            grade,
            failed: vec!["hidden-tests".into()],
            reason: reason.into(),
            duration_ms: 12_345,
            tamper_proof: true,
            agent_sandboxed: true,
            cached_from: None,
            delivery_from: None,
        }
    }

    fn terminal(style: Style) -> (Terminal, Capture, Capture) {
        let (progress, answers) = (Capture::default(), Capture::default());
        (
            Terminal::new(Box::new(progress.clone()), Box::new(answers.clone()), style),
            progress,
            answers,
        )
    }

    #[test]
    fn a_graded_run_renders_exactly_and_plain_without_colour() {
        let (t, progress, answers) = terminal(Style::default());
        t.report(&graded(
            Some(Grade::C),
            RunStatus::Completed,
            "hidden-tests failed",
        ))
        .expect("report");
        assert_eq!(
            progress.text(),
            "  C  python-cves/settings-loader-with-a-long-name  claude-code  skill  trial 2  (12.3s)  failed: hidden-tests\n"
        );
        assert_eq!(answers.text(), "", "a run is progress, not the answer");
    }

    #[test]
    fn colours_follow_the_roles_and_lines_fit_80_columns() {
        let style = Style {
            color: true,
            width: Some(80),
        };
        let (t, progress, _) = terminal(style);
        let long_reason = "timed out: the agent ran past 30s; its process group was killed and every file it left behind was removed";
        for (grade, status) in [
            (Some(Grade::A), RunStatus::Completed),
            (Some(Grade::C), RunStatus::TimedOut),
            (None, RunStatus::EndpointFailed),
        ] {
            t.report(&graded(grade, status, long_reason))
                .expect("report");
        }
        let text = progress.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("  \u{1b}[32mA\u{1b}[0m  python-cves/"),
            "{text:?}"
        );
        assert!(
            lines[1].starts_with("  \u{1b}[1m\u{1b}[31mC\u{1b}[0m  "),
            "{text:?}"
        );
        assert!(lines[2].starts_with("  \u{1b}[35mI\u{1b}[0m  "), "{text:?}");
        for line in &lines {
            // What a person sees: the line without its escape codes.
            let visible = strip(line);
            assert!(visible.chars().count() <= 80, "{visible:?}");
            assert!(visible.ends_with('…'), "cut, and says so: {visible:?}");
        }
    }

    #[test]
    fn long_lines_wrap_at_spaces_and_short_ones_and_long_words_stay() {
        let text = "short\nwrote evals/snapshots/one.snap.new; review with `skillbench review`\n";
        assert_eq!(
            wrap(text, Some(30)),
            "short\nwrote\n  evals/snapshots/one.snap.new;\n  review with `skillbench\n  review`\n"
        );
        assert_eq!(wrap(text, None), text);
        for line in wrap(text, Some(30)).lines() {
            assert!(
                line.chars().count() <= 30 || !line.trim().contains(' '),
                "{line:?}"
            );
        }
    }

    #[test]
    fn no_color_turns_auto_off_and_always_still_wins() {
        let set = Some(std::ffi::OsStr::new("1"));
        assert!(ColorChoice::Auto.colors(true, None));
        assert!(!ColorChoice::Auto.colors(true, set));
        assert!(ColorChoice::Auto.colors(true, Some(std::ffi::OsStr::new(""))));
        assert!(!ColorChoice::Auto.colors(false, None));
        assert!(ColorChoice::Always.colors(false, set));
        assert!(!ColorChoice::Never.colors(true, None));
    }

    #[test]
    fn a_conclusion_is_the_answer_and_notes_go_where_they_belong() {
        let (t, progress, answers) = terminal(Style::default());
        t.report(&Event::EvalConcluded(Box::new(Conclusion {
            eval: "e".into(),
            results: ".skillbench/runs/X".into(),
            tables: "TABLES\n".into(),
            snapshot: SnapshotReport {
                path: "evals/snapshots/e.snap".into(),
                verdict: "matches".into(),
                subset: false,
                not_compared: 1,
                described: String::new(),
                action: None,
            },
            gates: vec![GateLine {
                mark: "FAILS".into(),
                gate: "reference pass rate >= 100%".into(),
                passed: 0,
                runs: 1,
                detail: "; 1 regression(s)".into(),
            }],
            notes: vec!["budget: spent".into()],
        })))
        .expect("report");
        t.report(&Event::Note {
            level: Level::Warning,
            message: "careful".into(),
        })
        .expect("report");
        t.report(&Event::Note {
            level: Level::Info,
            message: "changed since HEAD: 0 of 2 eval(s)".into(),
        })
        .expect("report");
        assert_eq!(
            answers.text(),
            "TABLES\nresults: .skillbench/runs/X\nsnapshot: matches evals/snapshots/e.snap in every row compared; 1 row(s) not compared (no graded trial)\n\
             gate FAILS: reference pass rate >= 100% (0 of 1 graded runs pass; 1 regression(s))\nbudget: spent\n\
             changed since HEAD: 0 of 2 eval(s)\n"
        );
        assert_eq!(progress.text(), "warning: careful\n");
    }

    #[test]
    fn a_write_error_is_returned_not_swallowed() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let t = Terminal::new(Box::new(Full), Box::new(Full), Style::default());
        let err = t
            .report(&graded(Some(Grade::A), RunStatus::Completed, ""))
            .expect_err("a full disk is an error");
        assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
    }

    /// `text` without its ANSI escape sequences.
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}

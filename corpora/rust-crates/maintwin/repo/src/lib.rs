//! Weekly maintenance windows in UTC: is one open at a given time, and when does the
//! next one open.

use std::fmt;

const MINUTE: i64 = 60;
const DAY: i64 = 24 * 60 * MINUTE;
const WEEK: i64 = 7 * DAY;
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// One weekly window: opens on `weekday` (0 = Sunday) at `hour:minute` UTC and stays
/// open for `minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub weekday: u8,
    pub hour: u8,
    pub minute: u8,
    pub minutes: u32,
}

impl Window {
    /// Seconds from the start of the week (Sunday 00:00 UTC) to the opening.
    fn offset_in_week(&self) -> i64 {
        self.weekday as i64 * DAY + self.hour as i64 * 3600 + self.minute as i64 * MINUTE
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02} {}m",
            DAYS[self.weekday as usize], self.hour, self.minute, self.minutes
        )
    }
}

/// A set of weekly windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub windows: Vec<Window>,
}

/// Why a schedule did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad maintenance schedule: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

/// Seconds since the Unix epoch of `tm`, whatever its offset.
fn epoch(tm: time::Tm) -> i64 {
    tm.to_timespec().sec
}

/// Seconds since the start of the week (Sunday 00:00 UTC) that contains `secs`.
fn week_start(secs: i64) -> i64 {
    // 1970-01-01 was a Thursday: the week started on Sunday 1969-12-28.
    let since_sunday = (secs + 4 * DAY).rem_euclid(WEEK);
    secs - since_sunday
}

impl Schedule {
    /// Parses `"Sat 02:00 180m, Wed 22:30 60m"`.
    pub fn parse(spec: &str) -> Result<Schedule, ParseError> {
        let mut windows = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let fields: Vec<&str> = part.split_whitespace().collect();
            let [day, hhmm, duration] = fields[..] else {
                return Err(ParseError(format!("{part:?} is not `Day HH:MM DURATIONm`")));
            };
            let weekday = DAYS
                .iter()
                .position(|d| d.eq_ignore_ascii_case(day))
                .ok_or_else(|| ParseError(format!("unknown day {day:?}")))?;
            let (h, m) = hhmm
                .split_once(':')
                .and_then(|(h, m)| Some((h.parse::<u8>().ok()?, m.parse::<u8>().ok()?)))
                .filter(|&(h, m)| h < 24 && m < 60)
                .ok_or_else(|| ParseError(format!("bad time {hhmm:?}")))?;
            let minutes = duration
                .strip_suffix('m')
                .and_then(|d| d.parse::<u32>().ok())
                .filter(|&d| d > 0 && d as i64 * MINUTE <= WEEK)
                .ok_or_else(|| ParseError(format!("bad duration {duration:?}")))?;
            windows.push(Window {
                weekday: weekday as u8,
                hour: h,
                minute: m,
                minutes,
            });
        }
        if windows.is_empty() {
            return Err(ParseError("no window".into()));
        }
        Ok(Schedule { windows })
    }

    /// Whether a window is open at `at` (any offset; compared in UTC).
    pub fn is_open(&self, at: time::Tm) -> bool {
        let secs = epoch(at);
        let week = week_start(secs);
        self.windows.iter().any(|w| {
            // This week's opening, or last week's for a window that runs over the week's end.
            [week, week - WEEK].iter().any(|&start_of_week| {
                let opens = start_of_week + w.offset_in_week();
                opens <= secs && secs < opens + w.minutes as i64 * MINUTE
            })
        })
    }

    /// Whether a window is open right now.
    pub fn is_open_now(&self) -> bool {
        self.is_open(time::now_utc())
    }

    /// When the next window opens at or after `after`, in UTC.
    pub fn next_opening(&self, after: time::Tm) -> time::Tm {
        let secs = epoch(after);
        let week = week_start(secs);
        let next = self
            .windows
            .iter()
            .flat_map(|w| [week + w.offset_in_week(), week + WEEK + w.offset_in_week()])
            .filter(|&opens| opens >= secs)
            .min()
            .expect("a weekly window opens within a week");
        time::at_utc(time::Timespec::new(next, 0))
    }
}

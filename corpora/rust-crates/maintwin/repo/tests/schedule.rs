use maintwin::{Schedule, Window};

fn utc(secs: i64) -> time::Tm {
    time::at_utc(time::Timespec::new(secs, 0))
}

fn tm(s: &str) -> time::Tm {
    // "2023-11-18 02:30" in UTC
    let parsed = time::strptime(s, "%Y-%m-%d %H:%M").expect("test timestamp");
    utc(parsed.to_timespec().sec)
}

fn show(t: time::Tm) -> String {
    t.strftime("%a %Y-%m-%d %H:%M").unwrap().to_string()
}

#[test]
fn parses_windows() {
    let s = Schedule::parse("Sat 02:00 180m, wed 22:30 60m").unwrap();
    assert_eq!(
        s.windows,
        vec![
            Window {
                weekday: 6,
                hour: 2,
                minute: 0,
                minutes: 180
            },
            Window {
                weekday: 3,
                hour: 22,
                minute: 30,
                minutes: 60
            },
        ]
    );
    assert_eq!(s.windows[1].to_string(), "Wed 22:30 60m");
}

#[test]
fn rejects_bad_specs() {
    for bad in [
        "",
        "Sat 02:00",
        "Sun 24:00 10m",
        "Mon 10:00 0m",
        "Caturday 10:00 5m",
        "Sat 2 60m",
    ] {
        assert!(Schedule::parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn open_inside_a_window_only() {
    let s = Schedule::parse("Sat 02:00 180m").unwrap();
    // 2023-11-18 was a Saturday.
    assert!(!s.is_open(tm("2023-11-18 01:59")));
    assert!(s.is_open(tm("2023-11-18 02:00")));
    assert!(s.is_open(tm("2023-11-18 04:59")));
    assert!(!s.is_open(tm("2023-11-18 05:00")));
    assert!(!s.is_open(tm("2023-11-15 02:30")));
}

#[test]
fn a_window_can_run_over_the_end_of_the_week() {
    let s = Schedule::parse("Sat 23:00 120m").unwrap();
    assert!(s.is_open(tm("2023-11-19 00:30"))); // Sunday, next week
    assert!(!s.is_open(tm("2023-11-19 01:00")));
}

#[test]
fn local_times_are_compared_as_instants() {
    let s = Schedule::parse("Sat 02:00 180m").unwrap();
    let mut local = tm("2023-11-18 03:00");
    local.tm_utcoff = 3600; // 03:00+01:00 is 02:00 UTC
    assert!(s.is_open(local));
}

#[test]
fn next_opening() {
    let s = Schedule::parse("Sat 02:00 180m, Wed 22:30 60m").unwrap();
    assert_eq!(
        show(s.next_opening(tm("2023-11-14 10:00"))),
        "Wed 2023-11-15 22:30"
    );
    assert_eq!(
        show(s.next_opening(tm("2023-11-16 00:00"))),
        "Sat 2023-11-18 02:00"
    );
    assert_eq!(
        show(s.next_opening(tm("2023-11-18 02:00"))),
        "Sat 2023-11-18 02:00"
    );
    assert_eq!(
        show(s.next_opening(tm("2023-11-18 02:01"))),
        "Wed 2023-11-22 22:30"
    );
    assert_eq!(s.next_opening(utc(0)).tm_utcoff, 0);
}

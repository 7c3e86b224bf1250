use logstamp::{render_epoch, rewrite, rewrite_line, Zone};

#[test]
fn renders_utc() {
    assert_eq!(
        render_epoch(1_700_000_000, Zone::Utc),
        "2023-11-14 22:13:20 -0000"
    );
    assert_eq!(render_epoch(0, Zone::Utc), "1970-01-01 00:00:00 -0000");
    assert_eq!(
        render_epoch(1_000_000_000, Zone::Utc),
        "2001-09-09 01:46:40 -0000"
    );
}

#[test]
fn local_stamps_have_the_same_shape() {
    let stamp = render_epoch(1_700_000_000, Zone::Local);
    assert_eq!(stamp.len(), "2023-11-14 22:13:20 -0000".len(), "{stamp}");
    let offset = &stamp[20..];
    assert!(
        offset.starts_with('+') || offset.starts_with('-'),
        "{stamp}"
    );
    assert!(offset[1..].bytes().all(|b| b.is_ascii_digit()), "{stamp}");
}

#[test]
fn rewrites_the_prefix_only() {
    assert_eq!(
        rewrite_line("1700000000 INFO billing-worker started", Zone::Utc),
        "2023-11-14 22:13:20 -0000 INFO billing-worker started"
    );
    assert_eq!(
        rewrite_line("1700000042 WARN 1700000000 in the message stays", Zone::Utc),
        "2023-11-14 22:14:02 -0000 WARN 1700000000 in the message stays"
    );
}

#[test]
fn leaves_other_lines_alone() {
    for line in [
        "",
        "INFO no timestamp",
        "170000000 nine digits",
        "17000000000 eleven digits",
        "1700000000",
        "1700000000\tTAB is not a space",
        "17000x0000 not a number",
    ] {
        assert_eq!(rewrite_line(line, Zone::Utc), line);
    }
}

#[test]
fn rewrites_a_stream() {
    let input = "1700000000 INFO a\n   indented\n1700000060 INFO b\n";
    let mut out = Vec::new();
    let n = rewrite(input.as_bytes(), &mut out, Zone::Utc).unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2023-11-14 22:13:20 -0000 INFO a\n   indented\n2023-11-14 22:14:20 -0000 INFO b\n"
    );
}

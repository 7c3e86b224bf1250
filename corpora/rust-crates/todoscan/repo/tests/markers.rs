use todoscan::color::{self, paint, ColorChoice, Stream, Style};
use todoscan::{find_markers, format_marker, Marker, Tag};

#[test]
fn finds_one_marker_per_line() {
    let text = "fn main() {\n    // TODO(ana): handle errors\n    x(); // FIXME leaks\n    // XXX: TODO later\n}\n";
    let found = find_markers(text);
    assert_eq!(
        found,
        vec![
            Marker {
                line: 2,
                tag: Tag::Todo,
                rest: "(ana): handle errors".into()
            },
            Marker {
                line: 3,
                tag: Tag::Fixme,
                rest: " leaks".into()
            },
            Marker {
                line: 4,
                tag: Tag::Xxx,
                rest: ": TODO later".into()
            },
        ]
    );
}

#[test]
fn ignores_words_that_only_contain_a_marker() {
    assert!(find_markers("TODOS\nMYTODO\nFIXMEs\nxxx\n").is_empty());
}

#[test]
fn formats_plain_and_painted() {
    let m = Marker {
        line: 7,
        tag: Tag::Fixme,
        rest: ": leak".into(),
    };
    assert_eq!(format_marker("a.rs", &m, false), "a.rs:7: FIXME: leak");
    assert_eq!(
        format_marker("a.rs", &m, true),
        "a.rs:7: \x1b[1;31mFIXME\x1b[0m: leak"
    );
}

#[test]
fn paint_is_a_no_op_when_disabled() {
    assert_eq!(paint("TODO", Style::Yellow, false), "TODO");
    assert_eq!(paint("TODO", Style::Yellow, true), "\x1b[33mTODO\x1b[0m");
}

#[test]
fn explicit_choices_ignore_the_terminal() {
    for stream in [Stream::Stdout, Stream::Stderr] {
        assert!(color::enabled(ColorChoice::Always, stream));
        assert!(!color::enabled(ColorChoice::Never, stream));
    }
}

#[test]
fn parses_color_choices() {
    assert_eq!(ColorChoice::parse("auto"), Some(ColorChoice::Auto));
    assert_eq!(ColorChoice::parse("always"), Some(ColorChoice::Always));
    assert_eq!(ColorChoice::parse("never"), Some(ColorChoice::Never));
    assert_eq!(ColorChoice::parse("yes"), None);
}

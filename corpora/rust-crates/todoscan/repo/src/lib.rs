//! todoscan: find TODO / FIXME / XXX markers and print them, coloured when that helps.

pub mod color;

/// A marker word todoscan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Todo,
    Fixme,
    Xxx,
}

impl Tag {
    pub const ALL: [Tag; 3] = [Tag::Todo, Tag::Fixme, Tag::Xxx];

    pub fn word(self) -> &'static str {
        match self {
            Tag::Todo => "TODO",
            Tag::Fixme => "FIXME",
            Tag::Xxx => "XXX",
        }
    }

    pub fn style(self) -> color::Style {
        match self {
            Tag::Todo => color::Style::Yellow,
            Tag::Fixme => color::Style::BoldRed,
            Tag::Xxx => color::Style::Magenta,
        }
    }
}

/// One marker found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// 1-based line number.
    pub line: usize,
    pub tag: Tag,
    /// What follows the marker word on its line, e.g. `(ana): handle errors`.
    pub rest: String,
}

/// Every marker in `text`, in order; at most one per line (the first).
pub fn find_markers(text: &str) -> Vec<Marker> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let first = Tag::ALL
            .iter()
            .filter_map(|&tag| find_word(line, tag.word()).map(|at| (at, tag)))
            .min_by_key(|&(at, _)| at);
        if let Some((at, tag)) = first {
            found.push(Marker {
                line: i + 1,
                tag,
                rest: line[at + tag.word().len()..].trim_end().to_string(),
            });
        }
    }
    found
}

/// Where `word` occurs in `line` as a whole word (not inside `TODOS` or `MYTODO`).
fn find_word(line: &str, word: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(pos) = line[from..].find(word) {
        let at = from + pos;
        let end = at + word.len();
        let before_ok = at == 0 || !is_word_byte(bytes[at - 1]);
        let after_ok = end == bytes.len() || !is_word_byte(bytes[end]);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `path:line: TAG rest`, the tag painted when `color` is on.
pub fn format_marker(path: &str, marker: &Marker, color: bool) -> String {
    format!(
        "{path}:{}: {}{}",
        marker.line,
        color::paint(marker.tag.word(), marker.tag.style(), color),
        marker.rest
    )
}

//! Redaction of secret values from everything skillbench stores or prints.
//!
//! A [`Redactor`] holds the values of the variables an eval passes to its runs by name
//! (`pass_env`, each runtime's `credentials`, each grader's `credential`), read from
//! skillbench's environment, in the forms they are found in: raw, inside a JSON string,
//! URL-encoded, and base64 at each of the three byte alignments. One multi-pattern matcher
//! (aho-corasick, leftmost-longest) finds them all in one pass. Logs are redacted as they
//! are written ([`Stream`]), so a run's `.partial` folder never holds a raw value, not even
//! while the run goes on or after an interrupt; every other stored file is redacted before
//! it is written, and the run's folder is swept once more when the run ends.

use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;

/// Values shorter than this are not redacted: they would match everywhere and protect
/// nothing.
const MIN_SECRET_LEN: usize = 6;
/// Encoded forms shorter than this are not searched for (a base64 fragment of a short
/// value would match by chance).
const MIN_ENCODED_LEN: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
    replacements: Vec<String>,
    /// The longest pattern, in bytes: how much a stream must hold back.
    longest: usize,
}

impl Redactor {
    /// Redacts the values of `names` as set in skillbench's environment.
    pub fn from_env(names: &[String]) -> Redactor {
        let secrets = names
            .iter()
            .filter_map(|n| std::env::var(n).ok().map(|v| (n.clone(), v)));
        Redactor::new(secrets)
    }

    pub fn new(secrets: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut patterns: Vec<(String, String)> = Vec::new();
        for (name, value) in secrets {
            if value.len() < MIN_SECRET_LEN {
                continue;
            }
            let replacement = format!("[REDACTED:{name}]");
            for form in forms(&value) {
                patterns.push((form, replacement.clone()));
            }
        }
        patterns.sort();
        patterns.dedup_by(|a, b| a.0 == b.0);
        if patterns.is_empty() {
            return Redactor::default();
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(p, _)| p.as_bytes()))
            .ok();
        Redactor {
            longest: patterns.iter().map(|(p, _)| p.len()).max().unwrap_or(0),
            replacements: patterns.into_iter().map(|(_, r)| r).collect(),
            matcher,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    pub fn redact(&self, text: &str) -> String {
        match self.redact_bytes(text.as_bytes()) {
            Some(clean) => String::from_utf8_lossy(&clean).into_owned(),
            None => text.to_string(),
        }
    }

    /// `bytes` with every secret replaced, or `None` when there is none: found as they
    /// stand, and once more with line breaks left out (base64 wrapped at 76 columns, a
    /// value split over two lines).
    pub fn redact_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let once = self.replace(bytes);
        let joined = self.replace_across_lines(once.as_deref().unwrap_or(bytes));
        joined.or(once)
    }

    fn replace(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let matcher = self.matcher.as_ref()?;
        let mut out = Vec::new();
        let (mut last, mut found) = (0, false);
        for m in matcher.find_iter(bytes) {
            out.extend_from_slice(&bytes[last..m.start()]);
            out.extend_from_slice(self.replacements[m.pattern().as_usize()].as_bytes());
            last = m.end();
            found = true;
        }
        if !found {
            return None;
        }
        out.extend_from_slice(&bytes[last..]);
        Some(out)
    }

    /// Where secrets stand in `bytes` (start, end), as they are and across line breaks.
    fn ranges(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        let Some(matcher) = self.matcher.as_ref() else {
            return Vec::new();
        };
        let mut out: Vec<(usize, usize)> = matcher
            .find_iter(bytes)
            .map(|m| (m.start(), m.end()))
            .collect();
        let (mut view, mut at) = (Vec::new(), Vec::new());
        for (i, b) in bytes.iter().enumerate() {
            if !matches!(b, b'\n' | b'\r') {
                view.push(*b);
                at.push(i);
            }
        }
        out.extend(
            matcher
                .find_iter(&view)
                .map(|m| (at[m.start()], at[m.end() - 1] + 1)),
        );
        out
    }

    /// The matches of `bytes` seen without its CR and LF bytes, replaced in `bytes` itself.
    fn replace_across_lines(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let matcher = self.matcher.as_ref()?;
        if !bytes.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            return None;
        }
        let (mut view, mut at) = (
            Vec::with_capacity(bytes.len()),
            Vec::with_capacity(bytes.len()),
        );
        for (i, b) in bytes.iter().enumerate() {
            if !matches!(b, b'\n' | b'\r') {
                view.push(*b);
                at.push(i);
            }
        }
        let mut out = Vec::new();
        let (mut last, mut found) = (0, false);
        for m in matcher.find_iter(&view) {
            let (start, end) = (at[m.start()], at[m.end() - 1] + 1);
            if start < last {
                continue;
            }
            out.extend_from_slice(&bytes[last..start]);
            out.extend_from_slice(self.replacements[m.pattern().as_usize()].as_bytes());
            last = end;
            found = true;
        }
        if !found {
            return None;
        }
        out.extend_from_slice(&bytes[last..]);
        Some(out)
    }

    /// `bytes` redacted, borrowed when there was nothing to redact.
    pub fn clean<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        match self.redact_bytes(bytes) {
            Some(clean) => std::borrow::Cow::Owned(clean),
            None => std::borrow::Cow::Borrowed(bytes),
        }
    }

    /// Rewrites every file under `dir` that holds a secret, atomically, file by file.
    pub fn redact_dir(&self, dir: &Path) -> std::io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        for entry in walkdir::WalkDir::new(dir).follow_links(false) {
            let entry = entry.map_err(std::io::Error::other)?;
            if !entry.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path())?;
            if let Some(clean) = self.redact_bytes(&bytes) {
                crate::fsx::write_staged(entry.path(), clean)?;
            }
        }
        Ok(())
    }
}

/// The forms a secret is searched for in: raw, JSON-escaped, URL-encoded and base64
/// (standard and URL-safe alphabets) at each byte alignment — a base64 text holds the
/// secret's bytes at any offset, so for each offset the characters that depend on the
/// secret's bytes alone.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    // URL-encoded: everything but letters and digits, RFC 3986's unreserved characters
    // kept (Python's quote), and JavaScript's encodeURIComponent; upper- and lower-case hex.
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    const URI_COMPONENT: &percent_encoding::AsciiSet = &UNRESERVED
        .remove(b'!')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    for set in [
        percent_encoding::NON_ALPHANUMERIC,
        UNRESERVED,
        URI_COMPONENT,
    ] {
        let url = percent_encoding::utf8_percent_encode(value, set).to_string();
        out.push(lower_hex_escapes(&url));
        out.push(url);
    }
    let bytes = value.as_bytes();
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for offset in 0..3usize {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let encoded = engine.encode(&padded);
            // Characters covering the prefix (the first group when offset > 0) and the
            // last, partial group depend on bytes around the secret: leave them out.
            let skip = if offset == 0 { 0 } else { 4 };
            let whole = (padded.len() / 3) * 4;
            if whole > skip {
                let fragment = &encoded[skip..whole];
                if fragment.len() >= MIN_ENCODED_LEN {
                    out.push(fragment.to_string());
                }
            }
        }
    }
    out.retain(|f| !f.is_empty());
    out
}

fn lower_hex_escapes(url: &str) -> String {
    let mut out = String::new();
    let mut chars = url.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// A redactor over a byte stream written in pieces: a secret split across two writes is
/// still found, because the tail that could start one is held back until more comes.
#[derive(Debug)]
pub struct Stream {
    redactor: std::sync::Arc<Redactor>,
    pending: Vec<u8>,
}

impl Stream {
    pub fn new(redactor: std::sync::Arc<Redactor>) -> Stream {
        Stream {
            redactor,
            pending: Vec::new(),
        }
    }

    /// What can be written now, redacted.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.redactor.is_empty() {
            return bytes.to_vec();
        }
        self.pending.extend_from_slice(bytes);
        // Enough to hold a secret with line breaks in it (base64 wrapped at 64 or more).
        let hold = self.redactor.longest + self.redactor.longest / 32 + 4;
        if self.pending.len() <= hold {
            return Vec::new();
        }
        // Cut where no match can straddle: after the last match that ends before the
        // held-back tail, or at the tail itself when no match reaches into it.
        let mut cut = self.pending.len() - hold;
        for (start, end) in self.redactor.ranges(&self.pending) {
            if start < cut && end > cut {
                cut = end;
            }
        }
        let ready: Vec<u8> = self.pending.drain(..cut).collect();
        self.redactor.clean(&ready).into_owned()
    }

    /// The rest, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.pending);
        self.redactor.clean(&rest).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_raw_json_url_and_base64_forms_longest_first() {
        let r = Redactor::new([
            ("KEY".to_string(), "sk-abc\"def/+x".to_string()),
            ("SHORT".to_string(), "abc".to_string()),
            ("TOKEN".to_string(), "tok-123456".to_string()),
            ("LONGER".to_string(), "tok-1234567".to_string()),
        ]);
        assert_eq!(
            r.redact(r#"a sk-abc"def/+x b {"k":"sk-abc\"def/+x"} abc tok-1234567 tok-123456"#),
            r#"a [REDACTED:KEY] b {"k":"[REDACTED:KEY]"} abc [REDACTED:LONGER] [REDACTED:TOKEN]"#
        );
        let url = percent_encoding::utf8_percent_encode(
            "sk-abc\"def/+x",
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        assert!(!r.redact(&format!("?k={url}")).contains(&url));
        let r = Redactor::new([("URL".to_string(), "sk-test/0123456789+abc.def".to_string())]);
        for encoded in [
            "sk-test%2F0123456789%2Babc.def",
            "sk-test%2f0123456789%2babc.def",
        ] {
            assert_eq!(r.redact(encoded), "[REDACTED:URL]", "{encoded}");
        }
        let secret = "s3cr3t-value-0123456789";
        let r = Redactor::new([("S".to_string(), secret.to_string())]);
        // Wrapped at 76 columns, as `base64` and Python's encodebytes write it.
        let long = format!("{}{secret}", "A".repeat(50));
        let wrapped = base64::engine::general_purpose::STANDARD.encode(long.as_bytes());
        let wrapped = format!("{}\n{}\n", &wrapped[..76], &wrapped[76..]);
        assert!(r.redact(&wrapped).contains("[REDACTED:S]"), "{wrapped}");
        for prefix in ["", "a", "ab", "abc"] {
            let text = format!("{prefix}{secret} trailing");
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE,
            ] {
                let encoded = engine.encode(text.as_bytes());
                let clean = r.redact(&encoded);
                assert!(clean.contains("[REDACTED:S]"), "{prefix:?}: {clean}");
            }
        }
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn a_stream_finds_a_secret_split_across_writes() {
        let r = std::sync::Arc::new(Redactor::new([(
            "API_KEY".to_string(),
            "sk-secret-value".to_string(),
        )]));
        let mut s = Stream::new(r);
        let mut out = Vec::new();
        for piece in [
            "key=sk-se",
            "cret-va",
            "lue and more ",
            "text sk-secret-value",
        ] {
            out.extend(s.push(piece.as_bytes()));
        }
        out.extend(s.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "key=[REDACTED:API_KEY] and more text [REDACTED:API_KEY]"
        );
    }

    #[test]
    fn rewrites_only_files_that_hold_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/log"), "key=sk-secret-value\n").unwrap();
        std::fs::write(dir.path().join("clean"), "nothing here\n").unwrap();
        let r = Redactor::new([("API_KEY".to_string(), "sk-secret-value".to_string())]);
        r.redact_dir(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sub/log")).unwrap(),
            "key=[REDACTED:API_KEY]\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("clean")).unwrap(),
            "nothing here\n"
        );
    }
}

//! Redaction of credential values from everything skillbench stores.
//!
//! A [`Redactor`] holds the values of the credentials a run was given (by name, from the
//! eval's allowlist). Every file of the run's folder and every string of its record pass
//! through it before the run is complete, so a key an agent echoed, logged or wrote into the
//! checkout is stored as `[REDACTED:NAME]`.

use std::path::Path;

/// Values shorter than this are not redacted: they would match everywhere and protect
/// nothing.
const MIN_SECRET_LEN: usize = 6;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (the text to find, its replacement), longest first so that one secret containing
    /// another is replaced whole.
    needles: Vec<(String, String)>,
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
        let mut needles = Vec::new();
        for (name, value) in secrets {
            if value.len() < MIN_SECRET_LEN {
                continue;
            }
            let replacement = format!("[REDACTED:{name}]");
            // The value as written raw and as it appears inside a JSON string.
            let escaped = serde_json::to_string(&value)
                .map(|s| s[1..s.len() - 1].to_string())
                .unwrap_or_default();
            if escaped != value && !escaped.is_empty() {
                needles.push((escaped, replacement.clone()));
            }
            needles.push((value, replacement));
        }
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        needles.dedup_by(|a, b| a.0 == b.0);
        Redactor { needles }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (needle, replacement) in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), replacement);
            }
        }
        out
    }

    fn redact_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for (needle, replacement) in &self.needles {
            let hay = out.as_deref().unwrap_or(bytes);
            if let Some(replaced) = replace_bytes(hay, needle.as_bytes(), replacement.as_bytes()) {
                out = Some(replaced);
            }
        }
        out
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
                crate::fsx::write_atomic(entry.path(), clean)?;
            }
        }
        Ok(())
    }
}

/// `hay` with every `needle` replaced, or `None` when there is none.
fn replace_bytes(hay: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    let mut found = false;
    while i + needle.len() <= hay.len() {
        if &hay[i..i + needle.len()] == needle {
            out.extend_from_slice(with);
            i += needle.len();
            found = true;
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&hay[i..]);
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_raw_and_json_escaped_values_longest_first() {
        let r = Redactor::new([
            ("KEY".to_string(), "sk-abc\"def".to_string()),
            ("SHORT".to_string(), "abc".to_string()),
            ("TOKEN".to_string(), "tok-123456".to_string()),
            ("LONGER".to_string(), "tok-1234567".to_string()),
        ]);
        assert_eq!(
            r.redact(r#"a sk-abc"def b {"k":"sk-abc\"def"} abc tok-1234567 tok-123456"#),
            r#"a [REDACTED:KEY] b {"k":"[REDACTED:KEY]"} abc [REDACTED:LONGER] [REDACTED:TOKEN]"#
        );
        assert_eq!(
            replace_bytes(b"xxsecretyy", b"secret", b"S").as_deref(),
            Some(&b"xxSyy"[..])
        );
        assert_eq!(replace_bytes(b"nothing", b"secret", b"S"), None);
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

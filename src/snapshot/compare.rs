//! What changed between an accepted snapshot and a new one, row by row, by rate.
//!
//! A row's trials estimate two rates, its share of A and its share of C (with B the rest,
//! they are its grade distribution, whatever the pass grade). A row changes when a rate
//! moves beyond what the trials can tell apart: each side's rate lies outside the other
//! side's 95% Wilson interval. With one trial on each side any change of letter does. So a
//! row whose accepted trials disagree (flaky) changes only when its new rate leaves the
//! accepted band, and is named apart while it stays inside. Trials that were not graded
//! (`I`, `U`) are never compared.

use std::collections::BTreeMap;

use super::{Header, Row, Snapshot};
use crate::stats::wilson;

/// How a row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The grades got worse beyond the noise.
    Regression,
    /// The grades got better beyond the noise.
    Improvement,
    /// The same grade distribution, different failed criteria.
    Changed,
    Added,
    Removed,
    /// The grades differ, but within what the trials can tell apart (a flaky row inside its
    /// band, or a row whose new trials disagree): not a change.
    Noise,
    /// Every new trial failed for infrastructure reasons (or the runtime was unavailable):
    /// nothing to compare, the accepted row stands.
    NotCompared,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Regression => "REGRESSION",
            ChangeKind::Improvement => "improvement",
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "new",
            ChangeKind::Removed => "removed",
            ChangeKind::Noise => "within noise",
            ChangeKind::NotCompared => "not compared",
        }
    }

    /// Whether the change is one a reviewer must accept: everything but noise and rows that
    /// could not be compared.
    pub fn is_material(self) -> bool {
        !matches!(self, ChangeKind::Noise | ChangeKind::NotCompared)
    }
}

/// One row that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub old: Option<Row>,
    pub new: Option<Row>,
    /// Why, for people: the rates and intervals compared, or what kept the row out.
    pub note: String,
}

/// The rows of `new` that differ from `old`, in row order, noise and rows not compared
/// included (see [`ChangeKind::is_material`]). A `subset` run (one that selected agents,
/// cases or fewer trials) never removes the rows it did not run.
pub fn compare(old: &Snapshot, new: &Snapshot, subset: bool) -> Vec<Change> {
    let old_rows: BTreeMap<_, &Row> = old.rows.iter().map(|r| (r.key(), r)).collect();
    let new_rows: BTreeMap<_, &Row> = new.rows.iter().map(|r| (r.key(), r)).collect();
    let mut keys: Vec<_> = old_rows.keys().chain(new_rows.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut changes = Vec::new();
    for key in keys {
        let (o, n) = (old_rows.get(&key).copied(), new_rows.get(&key).copied());
        let found = match (o, n) {
            (Some(_), None) if subset => None,
            (Some(_), None) => Some((ChangeKind::Removed, String::new())),
            (_, Some(n)) if n.graded().is_empty() => Some((
                ChangeKind::NotCompared,
                format!("no trial was graded ({})", not_graded_why(n)),
            )),
            (None, Some(_)) => Some((ChangeKind::Added, String::new())),
            (Some(o), Some(_)) if o.graded().is_empty() => {
                Some((ChangeKind::Added, "first graded trials".into()))
            }
            (Some(o), Some(n)) => compare_row(o, n),
            (None, None) => None,
        };
        if let Some((kind, note)) = found {
            changes.push(Change {
                kind,
                old: o.cloned(),
                new: n.cloned(),
                note,
            });
        }
    }
    changes
}

fn not_graded_why(row: &Row) -> String {
    let why: Vec<&str> = row
        .failed
        .iter()
        .filter_map(|f| f.strip_prefix('[')?.strip_suffix(']'))
        .collect();
    if why.is_empty() {
        "infrastructure".into()
    } else {
        why.join(", ")
    }
}

/// How two rows with graded trials on both sides compare; `None` when they agree.
fn compare_row(o: &Row, n: &Row) -> Option<(ChangeKind, String)> {
    let (og, ng) = (o.graded(), n.graded());
    let same_distribution = ['A', 'B', 'C'].iter().all(|l| {
        let (ko, kn) = (o.count(*l).0, n.count(*l).0);
        ko * ng.len() == kn * og.len()
    });
    if same_distribution {
        let old_failed: Vec<&str> = o.failed_criteria().collect();
        let new_failed: Vec<&str> = n.failed_criteria().collect();
        let appeared: Vec<&str> = new_failed
            .iter()
            .copied()
            .filter(|f| !old_failed.contains(f))
            .collect();
        // With the same trials, any difference in what failed is a change; with fewer or
        // more, only a criterion that never failed before is.
        let changed = if og.len() == ng.len() && !o.flaky() {
            old_failed != new_failed
        } else {
            !appeared.is_empty()
        };
        return changed.then(|| {
            let note = if appeared.is_empty() {
                "same grades, other criteria failed".to_string()
            } else {
                format!("newly failing: {}", appeared.join(", "))
            };
            (ChangeKind::Changed, note)
        });
    }
    // A rate moved: by how much the trials can tell.
    let flaky = o.flaky();
    let moved = |letter: char| -> Option<std::cmp::Ordering> {
        let ((ko, no), (kn, nn)) = (o.count(letter), n.count(letter));
        let (po, pn) = (ko as f64 / no as f64, kn as f64 / nn as f64);
        let (olo, ohi) = wilson(ko, no)?;
        let (nlo, nhi) = wilson(kn, nn)?;
        let new_outside_old = pn < olo || pn > ohi;
        let old_outside_new = po < nlo || po > nhi;
        let single = no == 1 && nn == 1;
        let beyond = single || (new_outside_old && old_outside_new);
        (beyond && po != pn).then(|| pn.total_cmp(&po))
    };
    let (a, c) = (moved('A'), moved('C'));
    use std::cmp::Ordering::{Greater, Less};
    let worse = a == Some(Less) || c == Some(Greater);
    let better = a == Some(Greater) || c == Some(Less);
    let rates = format!(
        "A {} → {}, C {} → {}",
        rate(o, 'A'),
        rate(n, 'A'),
        rate(o, 'C'),
        rate(n, 'C')
    );
    let single = og.len() == 1 && ng.len() == 1;
    let why = if single {
        "; one trial on each side: any change counts (run more trials to tell noise apart)"
    } else {
        ""
    };
    Some(if worse {
        (ChangeKind::Regression, format!("{rates}{why}"))
    } else if better {
        (ChangeKind::Improvement, format!("{rates}{why}"))
    } else if flaky {
        (
            ChangeKind::Noise,
            format!("flaky row, inside its accepted band: {rates}"),
        )
    } else {
        (
            ChangeKind::Noise,
            format!(
                "inside what {} and {} trials can tell apart: {rates}",
                og.len(),
                ng.len()
            ),
        )
    })
}

/// `67% [21–94%]`: a row's share of `letter` with its 95% Wilson interval.
fn rate(row: &Row, letter: char) -> String {
    let (k, n) = row.count(letter);
    match wilson(k, n) {
        Some((lo, hi)) => format!(
            "{:.0}% [{:.0}–{:.0}%]",
            100.0 * k as f64 / n as f64,
            100.0 * lo,
            100.0 * hi
        ),
        None => "-".into(),
    }
}

/// What the headers say changed besides the rows: the skill, the corpus revisions, the
/// runtimes' versions and models. `moved` is whether any row changed beyond the noise, so a
/// skill edit with no effect is said, not silent.
pub fn header_notes(old: &Header, new: &Header, moved: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let skill_changed = !old.skill_hash.is_empty() && old.skill_hash != new.skill_hash;
    let corpus = changed(&old.corpus, &new.corpus, short);
    let runtimes = changed(&old.runtimes, &new.runtimes, |what| what);
    let versions = changed(&old.versions, &new.versions, short);
    if skill_changed {
        let alone = corpus.is_empty() && runtimes.is_empty() && versions.is_empty();
        notes.push(format!(
            "the skill changed since the snapshot was accepted ({} → {}){}{}",
            short(&old.skill_hash),
            short(&new.skill_hash),
            if alone { ", and nothing else did" } else { "" },
            if moved {
                ""
            } else {
                "; no row moved beyond the noise: the edit had no measurable effect"
            }
        ));
    }
    if !corpus.is_empty() {
        notes.push(format!("case revisions changed: {}", corpus.join(", ")));
    }
    if !runtimes.is_empty() {
        notes.push(format!("runtimes changed: {}", runtimes.join(", ")));
    }
    if !versions.is_empty() {
        notes.push(format!(
            "the skill versions it is measured against changed (their rows move with them): {}",
            versions.join(", ")
        ));
    }
    notes
}

/// `key was → now` for each key both maps hold with different values, each shown by `show`.
fn changed(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    show: fn(&str) -> &str,
) -> Vec<String> {
    new.iter()
        .filter_map(|(key, now)| {
            let was = old.get(key)?;
            (was != now).then(|| format!("{key} {} → {}", show(was), show(now)))
        })
        .collect()
}

fn short(hash: &str) -> &str {
    let body = hash.strip_prefix("sha256:").unwrap_or(hash);
    &body[..body.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(agent: &str, grades: &str, failed: &[&str]) -> Row {
        Row {
            case: "c/x".into(),
            variant: "-".into(),
            agent: agent.into(),
            grades: grades.into(),
            failed: failed.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn snap(rows: Vec<Row>) -> Snapshot {
        Snapshot {
            header: Header::default(),
            rows,
        }
    }

    fn kind(old: &str, new: &str) -> Option<ChangeKind> {
        let changes = compare(
            &snap(vec![row("a", old, &[])]),
            &snap(vec![row("a", new, &[])]),
            false,
        );
        changes.first().map(|c| c.kind)
    }

    #[test]
    fn classifies_changes() {
        let old = snap(vec![
            row("a", "A", &[]),
            row("b", "C", &["t"]),
            row("d", "B", &["x"]),
        ]);
        let new = snap(vec![
            row("a", "C", &["t"]),
            row("b", "A", &[]),
            row("d", "B", &["y"]),
            row("e", "A", &[]),
        ]);
        let kinds: Vec<ChangeKind> = compare(&old, &new, false).iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::Regression,
                ChangeKind::Improvement,
                ChangeKind::Changed,
                ChangeKind::Added
            ]
        );
        assert!(compare(&old, &old, false).is_empty());
    }

    #[test]
    fn rows_compare_by_rate_not_by_string() {
        // Fewer trials at the same rate are no change, either way.
        assert_eq!(kind("CCC", "C"), None);
        assert_eq!(kind("AAA", "A"), None);
        // With one trial on each side, any change of letter counts.
        assert_eq!(kind("A", "B"), Some(ChangeKind::Regression));
        assert_eq!(kind("B", "C"), Some(ChangeKind::Regression));
        assert_eq!(kind("C", "B"), Some(ChangeKind::Improvement));
        // Three trials each: all to none is a change, one flip is noise.
        assert_eq!(kind("AAA", "CCC"), Some(ChangeKind::Regression));
        assert_eq!(kind("AAA", "AAC"), Some(ChangeKind::Noise));
        // A flaky row changes only when its rate leaves its band.
        assert_eq!(kind("CCACC", "CCCAC"), None, "same rate, same distribution");
        assert_eq!(kind("CCACC", "CCCCC"), Some(ChangeKind::Noise));
        assert_eq!(kind("CCACC", "AAAAA"), Some(ChangeKind::Improvement));
        // Ungraded trials are left out; a row with none graded is not compared.
        assert_eq!(kind("AAA", "AIA"), None);
        assert_eq!(kind("AAA", "III"), Some(ChangeKind::NotCompared));
        assert_eq!(kind("U", "A"), Some(ChangeKind::Added));
    }

    #[test]
    fn a_subset_run_removes_nothing_and_new_failure_modes_still_count() {
        let old = snap(vec![row("a", "CCC", &["t", "u"]), row("b", "A", &[])]);
        let new = snap(vec![row("a", "C", &["t"])]);
        assert!(compare(&old, &new, true).is_empty());
        let kinds: Vec<ChangeKind> = compare(&old, &new, false).iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::Removed]);
        let new = snap(vec![row("a", "C", &["v"])]);
        let changes = compare(&old, &new, true);
        assert_eq!(changes[0].kind, ChangeKind::Changed);
        assert!(changes[0].note.contains("newly failing: v"), "{changes:?}");
    }

    #[test]
    fn a_skill_edit_with_no_effect_is_reported() {
        let old = Header {
            skill_hash: "sha256:aaaa".into(),
            ..Header::default()
        };
        let new = Header {
            skill_hash: "sha256:bbbb".into(),
            ..Header::default()
        };
        let notes = header_notes(&old, &new, false);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("nothing else did"), "{notes:?}");
        assert!(notes[0].contains("no measurable effect"), "{notes:?}");
        assert!(header_notes(&old, &old, false).is_empty());
    }
}

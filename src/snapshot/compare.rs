//! What changed between an accepted snapshot and a new one, row by row.

use std::collections::BTreeMap;

use super::{Row, Snapshot};

/// How a row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The grades got worse.
    Regression,
    /// The grades got better.
    Improvement,
    /// Same grades, different failed criteria.
    Changed,
    Added,
    Removed,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Regression => "regression",
            ChangeKind::Improvement => "improvement",
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "new",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One row that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub old: Option<Row>,
    pub new: Option<Row>,
}

/// The rows of `new` that differ from `old`, in row order. Empty means the snapshots agree.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let old_rows: BTreeMap<_, &Row> = old.rows.iter().map(|r| (r.key(), r)).collect();
    let new_rows: BTreeMap<_, &Row> = new.rows.iter().map(|r| (r.key(), r)).collect();
    let mut keys: Vec<_> = old_rows.keys().chain(new_rows.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut changes = Vec::new();
    for key in keys {
        let (o, n) = (old_rows.get(&key).copied(), new_rows.get(&key).copied());
        let kind = match (o, n) {
            (Some(o), Some(n)) if o == n => continue,
            (Some(o), Some(n)) => match score(&n.grades).cmp(&score(&o.grades)) {
                std::cmp::Ordering::Greater => ChangeKind::Regression,
                std::cmp::Ordering::Less => ChangeKind::Improvement,
                std::cmp::Ordering::Equal => ChangeKind::Changed,
            },
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Removed,
            (None, None) => continue,
        };
        changes.push(Change {
            kind,
            old: o.cloned(),
            new: n.cloned(),
        });
    }
    changes
}

/// Badness of a grade string: A = 0, B = 1, C = 2, summed over trials.
fn score(grades: &str) -> usize {
    grades
        .chars()
        .map(|g| match g {
            'A' => 0,
            'B' => 1,
            _ => 2,
        })
        .sum()
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

    #[test]
    fn classifies_changes() {
        let old = Snapshot {
            header: String::new(),
            rows: vec![
                row("a", "A", &[]),
                row("b", "C", &["t"]),
                row("d", "B", &["x"]),
            ],
        };
        let new = Snapshot {
            header: String::new(),
            rows: vec![
                row("a", "C", &["t"]),
                row("b", "A", &[]),
                row("d", "B", &["y"]),
                row("e", "A", &[]),
            ],
        };
        let kinds: Vec<ChangeKind> = compare(&old, &new).iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::Regression,
                ChangeKind::Improvement,
                ChangeKind::Changed,
                ChangeKind::Added
            ]
        );
        assert!(compare(&old, &old).is_empty());
    }

    #[test]
    fn rendered_snapshots_parse_back() {
        let snap = Snapshot {
            header: "eval: e\n".into(),
            rows: vec![row("a", "AB", &["t", "u"]), row("b", "C", &[])],
        };
        assert_eq!(Snapshot::parse(&snap.render()), Some(snap));
    }
}

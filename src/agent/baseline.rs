//! The built-in baselines. They ignore the skill and need no model: `bump-only` is what a
//! dependency bot does, `reference` is the known-good answer.

use git2::{ApplyLocation, Diff, Repository};

use super::{AgentStatus, Invocation, bump_manifests};
use crate::corpus::Expectation;
use crate::signals::{ClaimedOutcome, EscalationSignal, SCHEMA_ID, Signals};

/// Raises each finding's package to its fixed version in the manifests that name it. With
/// nothing to raise (no finding names a package with a fixed version, or no manifest names
/// it) it changes nothing, as a dependency bot opens no pull request, and the checkout is
/// graded like any other.
pub fn bump_only(inv: &Invocation<'_>) -> AgentStatus {
    for finding in &inv.case.findings {
        let (Some(package), Some(fixed)) = (&finding.package, &finding.fixed) else {
            continue;
        };
        if let Err(e) = bump_manifests(inv.checkout, package, fixed) {
            return AgentStatus::Failed(format!("bump {package} to {fixed}: {e}"));
        }
    }
    AgentStatus::Finished
}

pub fn reference(inv: &Invocation<'_>) -> AgentStatus {
    let signals = match (inv.case.expectation, &inv.case.escalation) {
        (Expectation::Escalate, Some(escalation)) => Signals {
            schema: SCHEMA_ID.into(),
            outcome: ClaimedOutcome::Escalated,
            confidence: 1.0,
            summary: escalation.reason.clone(),
            what_worked: vec![],
            what_was_hard: vec![],
            skill_gaps: vec![],
            escalations: vec![EscalationSignal {
                reason: escalation.reason.clone(),
                question: escalation.question.clone(),
            }],
            shape: Default::default(),
        },
        _ => {
            let applied = match (&inv.case.reference_patch, &inv.case.reference_rev) {
                (Some(patch), _) => apply_patch(inv, patch)
                    .map_err(|e| format!("reference.patch does not apply: {e}")),
                (None, Some(fix)) => apply_upstream_fix(inv, fix),
                (None, None) => Err(format!(
                    "case {} has no reference.patch and no [reference] rev",
                    inv.case.id
                )),
            };
            if let Err(e) = applied {
                return AgentStatus::Failed(e);
            }
            Signals {
                schema: SCHEMA_ID.into(),
                outcome: ClaimedOutcome::Fixed,
                confidence: 1.0,
                summary: "applied the case's reference patch".into(),
                what_worked: vec!["the known-good fix".into()],
                what_was_hard: vec![],
                skill_gaps: vec![],
                escalations: vec![],
                shape: Default::default(),
            }
        }
    };
    let json = match serde_json::to_vec_pretty(&signals) {
        Ok(json) => json,
        Err(e) => return AgentStatus::Failed(format!("cannot encode signals: {e}")),
    };
    match std::fs::write(inv.signals_file, json) {
        Ok(()) => AgentStatus::Finished,
        Err(e) => AgentStatus::Failed(format!("cannot write {}: {e}", inv.signals_file.display())),
    }
}

/// Applies the upstream fix of a git case: the diff, in the mirror, from the pinned commit
/// to the fix commit. (The checkout itself never holds the fix commit: an agent could read
/// the answer from it.)
fn apply_upstream_fix(inv: &Invocation<'_>, fix: &str) -> Result<(), String> {
    let mirror = Repository::open(inv.source_repo).map_err(|e| e.message().to_string())?;
    let tree = |rev: &str| -> Result<git2::Tree<'_>, String> {
        let oid = git2::Oid::from_str(rev).map_err(|e| e.message().to_string())?;
        mirror.find_commit(oid).and_then(|c| c.tree()).map_err(|_| {
            format!("the upstream fix {rev} is not in the mirror; run `skillbench corpus fetch`")
        })
    };
    let checkout = Repository::open(inv.checkout).map_err(|e| e.message().to_string())?;
    let pinned = checkout
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| e.message().to_string())?
        .id()
        .to_string();
    let diff = mirror
        .diff_tree_to_tree(Some(&tree(&pinned)?), Some(&tree(fix)?), None)
        .map_err(|e| e.message().to_string())?;
    checkout
        .apply(&diff, ApplyLocation::WorkDir, None)
        .map_err(|e| format!("the upstream fix {fix} does not apply: {}", e.message()))
}

fn apply_patch(inv: &Invocation<'_>, patch: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(patch).map_err(|e| format!("{}: {e}", patch.display()))?;
    let diff = Diff::from_buffer(&bytes).map_err(|e| e.message().to_string())?;
    let repo = Repository::open(inv.checkout).map_err(|e| e.message().to_string())?;
    repo.apply(&diff, ApplyLocation::WorkDir, None)
        .map_err(|e| e.message().to_string())
}

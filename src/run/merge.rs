//! `skillbench merge`: the results sets of one plan's shards (`eval --shard I/N`) as one,
//! on which the snapshot diff, the gates and the scorecards behave exactly as for an
//! unsharded eval.
//!
//! The shards must belong to one plan (the same eval file and the same plan key), each
//! shard must be there exactly once, none may be interrupted, and no run may be in two.

use std::collections::BTreeMap;

use sha2::Digest;
use std::path::PathBuf;

use super::results::Results;
use super::store;
use crate::error::{Error, Result};
use crate::eval::Eval;
use crate::workspace::Workspace;

/// Merges the shards named by `names` (run ids or run folders) and stores the merged
/// results; returns them with their folder.
pub fn merge(workspace: &Workspace, names: &[String]) -> Result<(Results, PathBuf)> {
    let mut shards: Vec<(PathBuf, Results)> = Vec::new();
    for name in names {
        let (dir, results) = store::open(workspace, Some(name))?;
        if results.shard.is_none() {
            return Err(Error::Usage(format!(
                "run {} is not a shard (it was not made with `eval --shard I/N`)",
                results.run_id
            )));
        }
        if let Some(stopped) = &results.interrupted {
            return Err(Error::Usage(format!(
                "run {} was interrupted by {}: run its shard again, then merge",
                results.run_id, stopped.signal
            )));
        }
        shards.push((dir, results));
    }
    let first = shards[0].1.clone();
    let plan = first
        .shard
        .clone()
        .ok_or_else(|| Error::Unexpected("no shard".into()))?;
    let mut by_index: BTreeMap<u32, &str> = BTreeMap::new();
    for (_, r) in &shards {
        let s = r
            .shard
            .as_ref()
            .ok_or_else(|| Error::Unexpected("no shard".into()))?;
        if s.plan != plan.plan || s.count != plan.count || r.eval.hash != first.eval.hash {
            return Err(Error::Usage(format!(
                "run {} is shard {}/{} of another plan than run {} (shard {}/{}): merge the shards of one eval run with the same inputs",
                r.run_id, s.index, s.count, first.run_id, plan.index, plan.count
            )));
        }
        if s.split != plan.split {
            return Err(Error::Usage(format!(
                "run {} (shard {}/{}) was split {} but run {} (shard {}/{}) {}: the shards saw different stored durations (they started from different stores, or this eval stored results between them): run every shard from the same results store, or an empty one, then merge",
                r.run_id,
                s.index,
                s.count,
                describe_split(&s.split),
                first.run_id,
                plan.index,
                plan.count,
                describe_split(&plan.split)
            )));
        }
        if let Some(other) = by_index.insert(s.index, &r.run_id) {
            return Err(Error::Usage(format!(
                "shard {}/{} is given twice (runs {other} and {})",
                s.index, s.count, r.run_id
            )));
        }
    }
    let missing: Vec<String> = (1..=plan.count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{}", plan.count))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "shard(s) {} missing: give the results of every shard of the plan",
            missing.join(", ")
        )));
    }
    let mut runs = Vec::new();
    let mut seen = BTreeMap::new();
    for (_, r) in &shards {
        for run in &r.runs {
            if let Some(other) = seen.insert(run.key.clone(), r.run_id.clone()) {
                return Err(Error::Usage(format!(
                    "run {} is in two shards ({other} and {})",
                    run.dir, r.run_id
                )));
            }
            runs.push(run.clone());
        }
    }
    if runs.len() != plan.planned {
        return Err(Error::Usage(format!(
            "the shards hold {} runs, the plan has {}",
            runs.len(),
            plan.planned
        )));
    }
    // The gates are the eval's, over every run.
    let eval = Eval::load(&workspace.root().join(&first.eval.path))?;
    let gates = super::order_and_gate(&mut runs, &eval);
    // The merge is concluded with the eval file's gates and pass grade: it must be the file
    // the shards ran.
    let path = workspace.root().join(&first.eval.path);
    let bytes = std::fs::read(&path).map_err(|e| Error::read(&path, e))?;
    let now = format!("sha256:{:x}", sha2::Sha256::digest(&bytes));
    if now != first.eval.hash {
        return Err(Error::Usage(format!(
            "{} changed since the shards ran it ({now} now, {} then): merge with the eval file they ran with, or run the shards again",
            first.eval.path, first.eval.hash
        )));
    }
    let store = store::Store::begin(workspace)?;
    for (dir, r) in &shards {
        for run in &r.runs {
            crate::fsx::copy_tree(&dir.join(&run.dir), &store.run_dir(&run.dir))
                .map_err(|e| Error::write(store.run_dir(&run.dir), e))?;
        }
    }
    let mut cases = first.cases.clone();
    let mut agents = first.agents.clone();
    for (_, r) in &shards[1..] {
        cases.extend(
            r.cases
                .iter()
                .filter(|c| !first.cases.iter().any(|f| f.id == c.id))
                .cloned(),
        );
        agents.extend(
            r.agents
                .iter()
                .filter(|a| !first.agents.iter().any(|f| f.name == a.name))
                .cloned(),
        );
    }
    let merged = Results {
        run_id: store.id().to_string(),
        started_at: shards
            .iter()
            .map(|(_, r)| r.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: shards
            .iter()
            .map(|(_, r)| r.finished_at.clone())
            .max()
            .unwrap_or_default(),
        wall_ms: shards
            .iter()
            .map(|(_, r)| r.wall_ms)
            .max()
            .unwrap_or_default(),
        subset: plan.subset,
        shard: None,
        merged_from: by_index.values().map(|id| id.to_string()).collect(),
        command: first.command.clone(),
        budget_spent: shards.iter().find_map(|(_, r)| r.budget_spent.clone()),
        cases,
        agents,
        runs,
        gates,
        ..first
    };
    let dir = store.finish(&merged)?;
    Ok((merged, dir))
}

/// A shard's split as a person reads it.
fn describe_split(split: &str) -> String {
    if split == "key" {
        "by content key".into()
    } else {
        format!("by stored durations ({split})")
    }
}

//! `[[gate]]`: the pass-rate, uplift and regression limits an eval must hold.

use toml::Spanned;

use crate::agent::AgentSpec;
use crate::corpus::Expectation;
use crate::error::Result;
use crate::grade::Gate;

use super::file::*;
use super::located::Located;
use super::*;

pub(super) fn gate(
    at: &Located<'_>,
    spanned: &Spanned<GateFile>,
    agents: &[AgentSpec],
    variants: &[Variant],
) -> Result<Gate> {
    let file = spanned.get_ref();
    if let Some(agent) = &file.agent {
        let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
        at.one_of(agent, "gate agent (not among the eval's agents)", &names)?;
    }
    let mut known: Vec<&str> = vec!["skill", "none", "-"];
    known.extend(variants.iter().filter_map(|v| match v {
        Variant::Version(name) => Some(*name),
        _ => None,
    }));
    let variant = match &file.variant {
        None => None,
        Some(v) => {
            at.one_of(v, "gate variant", &known)?;
            Some(Variant::parse(v.get_ref()))
        }
    };
    let uplift_vs = match &file.min_uplift_vs {
        None => None,
        Some(v) => {
            let versions: Vec<&str> = known[3..].to_vec();
            if versions.is_empty() {
                return Err(at.err(
                    v.span(),
                    "min_uplift_vs names another version of the skill, and 'variants' lists none: add { name = \"main\", git = \"origin/main\" } to it",
                ));
            }
            at.one_of(v, "min_uplift_vs (a version in 'variants')", &versions)?;
            Some(Variant::parse(v.get_ref()))
        }
    };
    for rate in [&file.min_pass_rate, &file.max_pass_rate]
        .into_iter()
        .flatten()
    {
        if !(0.0..=1.0).contains(rate.get_ref()) {
            return Err(at.err(
                rate.span(),
                format!("a pass rate is between 0 and 1, not {}", rate.get_ref()),
            ));
        }
    }
    if file.min_pass_rate.is_none()
        && file.max_pass_rate.is_none()
        && file.min_uplift.is_none()
        && file.min_uplift_vs.is_none()
        && file.max_regressions.is_none()
    {
        return Err(at.err(
            spanned.span(),
            "a [[gate]] needs min_pass_rate, max_pass_rate, min_uplift, min_uplift_vs or max_regressions",
        ));
    }
    if let Some(u) = &file.min_uplift
        && !(-1.0..=1.0).contains(u.get_ref())
    {
        return Err(at.err(
            u.span(),
            format!(
                "an uplift is between -1 and 1 (a difference of pass rates), not {}",
                u.get_ref()
            ),
        ));
    }
    if let Some(bound) = &file.uplift_bound {
        at.one_of(bound, "uplift_bound", &["point", "lower"])?;
        if file.min_uplift.is_none() {
            return Err(at.err(
                bound.span(),
                "uplift_bound applies to min_uplift, which this gate does not set (min_uplift_vs alone already asks for the skill not to be worse beyond the noise)",
            ));
        }
    }
    let max_regressions = match &file.max_regressions {
        Some(m) if *m.get_ref() < 0 => {
            return Err(at.err(m.span(), "max_regressions is 0 or more"));
        }
        Some(m) => Some(usize::try_from(*m.get_ref()).unwrap_or(usize::MAX)),
        None => None,
    };
    if let Some(glob) = &file.case {
        globset::Glob::new(glob.get_ref())
            .map_err(|e| at.err(glob.span(), format!("bad case glob: {e}")))?;
    }
    let expectation = match &file.expectation {
        None => None,
        Some(e) => {
            at.one_of(e, "gate expectation", &["fix", "escalate"])?;
            Some(if e.get_ref() == "fix" {
                Expectation::Fix
            } else {
                Expectation::Escalate
            })
        }
    };
    Ok(Gate {
        agent: file.agent.as_ref().map(|a| a.get_ref().clone()),
        variant,
        case: file.case.as_ref().map(|c| c.get_ref().clone()),
        expectation,
        min_pass_rate: file.min_pass_rate.as_ref().map(|r| *r.get_ref()),
        max_pass_rate: file.max_pass_rate.as_ref().map(|r| *r.get_ref()),
        min_uplift: file.min_uplift.as_ref().map(|u| *u.get_ref()),
        uplift_vs,
        uplift_on_lower_bound: file
            .uplift_bound
            .as_ref()
            .is_some_and(|b| b.get_ref() == "lower"),
        max_regressions,
        allow_unavailable: file.allow_unavailable,
    })
}

//! `[grader.NAME]`: the graders of judged criteria.

use std::time::Duration;

use toml::Spanned;

use crate::agent::{AgentKind, AgentSpec};
use crate::error::Result;
use crate::grade::{Grader, GraderKind};

use super::file::*;
use super::located::Located;

const GRADER_KINDS: [&str; 3] = ["anthropic", "openai", "agent"];
const DEFAULT_GRADER_TIMEOUT: Duration = Duration::from_secs(120);

/// One `[grader.NAME]` table, checked.
pub(super) fn grader(
    at: &Located<'_>,
    name: &str,
    spanned: &Spanned<GraderFile>,
    agents: &[AgentSpec],
) -> Result<Grader> {
    let file = spanned.get_ref();
    at.one_of(&file.kind, "grader kind", &GRADER_KINDS)?;
    let kind = match file.kind.get_ref().as_str() {
        "anthropic" => GraderKind::Anthropic,
        "openai" => GraderKind::OpenAi,
        _ => {
            let agent = file.agent.as_ref().ok_or_else(|| {
                at.err(
                    spanned.span(),
                    "an agent grader needs 'agent', the name of one of the eval's agents",
                )
            })?;
            let names: Vec<&str> = agents
                .iter()
                .filter(|a| matches!(a.kind, AgentKind::Command { .. } | AgentKind::Runtime(_)))
                .map(|a| a.name.as_str())
                .collect();
            at.one_of(agent, "grader agent (a runtime or command agent)", &names)?;
            GraderKind::Agent(agent.get_ref().clone())
        }
    };
    let api = !matches!(kind, GraderKind::Agent(_));
    if api && let Some(agent) = &file.agent {
        return Err(at.err(
            agent.span(),
            "'agent' is for agent graders (kind = \"agent\")",
        ));
    }
    let model = match (&file.model, api) {
        (Some(m), _) => m.get_ref().clone(),
        (None, false) => String::new(),
        (None, true) => {
            return Err(at.err(
                spanned.span(),
                format!("grader '{name}' needs 'model', the model to ask"),
            ));
        }
    };
    if let Some(url) = &file.base_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        return Err(at.err(
            url.span(),
            format!("base_url '{}' is not an http(s) URL", url.get_ref()),
        ));
    }
    let credential = match &file.credential {
        Some(c)
            if !c
                .get_ref()
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_') =>
        {
            return Err(at.err(
                c.span(),
                "a credential is the NAME of an environment variable, never its value",
            ));
        }
        Some(c) => Some(c.get_ref().clone()),
        None => match kind {
            GraderKind::Anthropic => Some("ANTHROPIC_API_KEY".into()),
            GraderKind::OpenAi => Some("OPENAI_API_KEY".into()),
            GraderKind::Agent(_) => None,
        },
    };
    Ok(Grader {
        name: name.to_string(),
        base_url: file.base_url.as_ref().map_or_else(
            || Grader::default_base_url(&kind).to_string(),
            |u| u.get_ref().clone(),
        ),
        kind,
        model,
        credential,
        timeout: file
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_GRADER_TIMEOUT),
        max_retries: file.max_retries.unwrap_or(3),
        usd_per_mtok: match (&file.usd_per_mtok_in, &file.usd_per_mtok_out) {
            (Some(i), Some(o)) => Some((
                at.money(i, "usd_per_mtok_in")?,
                at.money(o, "usd_per_mtok_out")?,
            )),
            _ => None,
        },
    })
}

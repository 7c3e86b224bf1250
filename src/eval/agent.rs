//! `[agent.NAME]`: command agents and agent runtimes, with their prices.

use std::path::Path;

use toml::Spanned;

use crate::agent::{AgentKind, AgentSpec, Runtime, RuntimeAgent};
use crate::error::Result;

use super::file::*;
use super::located::Located;
use super::*;

pub(super) const AGENT_KINDS: [&str; 5] = ["command", "claude-code", "copilot", "codex", "gemini"];

/// One `[agent.NAME]` table, checked.
pub(super) fn agent(at: &Located<'_>, name: &str, def: &Spanned<AgentFile>) -> Result<AgentSpec> {
    let file = def.get_ref();
    at.one_of(&file.kind, "agent kind", &AGENT_KINDS)?;
    let kind = file.kind.get_ref();
    let runtime_keys = [
        ("binary", file.binary.as_ref().map(Spanned::span)),
        ("model", file.model.as_ref().map(Spanned::span)),
        ("base_url", file.base_url.as_ref().map(Spanned::span)),
        ("credentials", file.credentials.as_ref().map(Spanned::span)),
        ("args", file.args.as_ref().map(Spanned::span)),
    ];
    let Some(runtime) = Runtime::named(kind) else {
        // A command agent.
        if let Some((key, Some(span))) = runtime_keys.into_iter().find(|(_, s)| s.is_some()) {
            return Err(at.err(
                span,
                format!("'{key}' is for agent runtimes; a command agent takes only 'command'"),
            ));
        }
        let Some(command) = &file.command else {
            return Err(at.err(
                def.span(),
                "a command agent needs 'command': the program and its arguments",
            ));
        };
        if command
            .get_ref()
            .first()
            .is_none_or(|p| p.trim().is_empty())
        {
            return Err(at.err(
                command.span(),
                "'command' is empty or names no program: give the program and its arguments",
            ));
        }
        // Relative paths in the command are the eval file's neighbours, wherever skillbench
        // runs from: the program when it names a path (`./my-agent.sh`), and any argument
        // starting `./` or `../` that names a file there.
        let dir = at.path.parent().unwrap_or(Path::new("."));
        let argv = command
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                let path = Path::new(arg);
                let relative = path.is_relative()
                    && ((i == 0 && arg.contains('/'))
                        || arg.starts_with("./")
                        || arg.starts_with("../"));
                match relative
                    .then(|| dir.join(path))
                    .and_then(|p| p.canonicalize().ok())
                {
                    Some(resolved) if i == 0 || resolved.is_file() => {
                        resolved.to_string_lossy().into_owned()
                    }
                    _ => arg.clone(),
                }
            })
            .collect();
        return Ok(AgentSpec {
            name: name.to_string(),
            kind: AgentKind::Command { argv },
        });
    };
    if let Some(command) = &file.command {
        return Err(at.err(
            command.span(),
            format!(
                "'command' is for command agents; a {kind} agent takes binary, model, base_url, \
                 credentials and args"
            ),
        ));
    }
    if let Some(url) = &file.base_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        return Err(at.err(
            url.span(),
            format!("base_url '{}' is not an http(s) URL", url.get_ref()),
        ));
    }
    if let Some(creds) = &file.credentials
        && let Some(bad) = creds.get_ref().iter().find(|c| !is_variable_name(c))
    {
        return Err(at.err(
            creds.span(),
            format!(
                "credential '{bad}' is not a variable name: credentials are passed by name, never \
                 by value"
            ),
        ));
    }
    let mut rt = RuntimeAgent::default_for(runtime);
    rt.binary = file
        .binary
        .as_ref()
        .map(|b| crate::workspace::expand_home(b.get_ref()));
    rt.model = file.model.as_ref().map(|m| m.get_ref().clone());
    rt.base_url = file.base_url.as_ref().map(|u| u.get_ref().clone());
    if let Some(creds) = &file.credentials {
        rt.credentials = creds.get_ref().clone();
    }
    rt.args = file
        .args
        .as_ref()
        .map(|a| a.get_ref().clone())
        .unwrap_or_default();
    Ok(AgentSpec {
        name: name.to_string(),
        kind: AgentKind::Runtime(rt),
    })
}

/// An agent's `usd_per_mtok_in` and `usd_per_mtok_out`: both or neither, on a runtime.
pub(super) fn prices(at: &Located<'_>, def: &Spanned<AgentFile>) -> Result<Option<(f64, f64)>> {
    let file = def.get_ref();
    match (&file.usd_per_mtok_in, &file.usd_per_mtok_out) {
        (None, None) => Ok(None),
        (Some(i), Some(o)) => {
            if Runtime::named(file.kind.get_ref()).is_none() {
                return Err(at.err(
                    i.span(),
                    "prices are for agent runtimes (they report tokens); a command agent reports no usage",
                ));
            }
            Ok(Some((
                at.money(i, "usd_per_mtok_in")?,
                at.money(o, "usd_per_mtok_out")?,
            )))
        }
        (Some(one), None) | (None, Some(one)) => Err(at.err(
            one.span(),
            "give both usd_per_mtok_in and usd_per_mtok_out (dollars per million tokens in and out)",
        )),
    }
}

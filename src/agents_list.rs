//! `skillbench agents`: every agent an eval can name, whether its runtime is installed here,
//! its version, and what it is missing.
//!
//! Without an eval it lists the predefined agents (the baselines and each runtime with its
//! defaults); with `--eval` it lists that eval's agents as configured (binary, model,
//! endpoint, credentials), probed exactly as `skillbench eval` probes them before running.

use serde::Serialize;

use crate::agent::{AgentSpec, BUILTIN};
use crate::report::{Format, new_table};

#[derive(Debug, Serialize)]
pub struct AgentRow {
    pub name: String,
    pub kind: String,
    pub available: bool,
    pub binary: Option<String>,
    pub version: Option<String>,
    /// Where the skill under test is installed, relative to the checkout.
    pub skills_dir: Option<String>,
    /// The variable that gives each run its own configuration home.
    pub config_home: Option<String>,
    pub credentials: Vec<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub missing: Vec<String>,
}

/// The rows for `agents`, or for the predefined agents when `agents` is `None`.
pub fn rows(agents: Option<&[AgentSpec]>) -> Vec<AgentRow> {
    let predefined: Vec<AgentSpec>;
    let agents = match agents {
        Some(a) => a,
        None => {
            predefined = BUILTIN
                .iter()
                .filter_map(|n| AgentSpec::builtin(n))
                .collect();
            &predefined
        }
    };
    let path = std::env::var_os("PATH");
    agents
        .iter()
        .map(|a| {
            let rt = a.runtime();
            let probe = rt.map(|r| r.probe(path.as_deref()));
            AgentRow {
                name: a.name.clone(),
                kind: a.kind_name().into(),
                available: probe.as_ref().is_none_or(|p| p.available()),
                binary: probe
                    .as_ref()
                    .and_then(|p| p.binary.as_ref())
                    .map(|b| b.to_string_lossy().into_owned()),
                version: probe.as_ref().and_then(|p| p.version.clone()),
                skills_dir: rt.map(|r| r.runtime.skills_dir().to_string()),
                config_home: rt.map(|r| r.runtime.config_env().to_string()),
                credentials: rt.map(|r| r.credentials.clone()).unwrap_or_default(),
                model: rt.and_then(|r| r.model.clone()),
                base_url: rt.and_then(|r| r.base_url.clone()),
                missing: probe.map(|p| p.missing).unwrap_or_default(),
            }
        })
        .collect()
}

pub fn render(rows: &[AgentRow], format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(rows).unwrap_or_default() + "\n";
    }
    let mut table = new_table(format == Format::Md);
    table.set_header([
        "agent",
        "kind",
        "status",
        "version",
        "skills installed in",
        "credentials",
        "missing",
    ]);
    let dash = |s: Option<&str>| s.unwrap_or("-").to_string();
    for r in rows {
        table.add_row([
            r.name.clone(),
            r.kind.clone(),
            if r.available {
                "available"
            } else {
                "unavailable"
            }
            .to_string(),
            dash(r.version.as_deref()),
            dash(r.skills_dir.as_deref()),
            if r.credentials.is_empty() {
                "-".into()
            } else {
                r.credentials.join(", ")
            },
            if r.missing.is_empty() {
                "-".into()
            } else {
                r.missing.join("; ")
            },
        ]);
    }
    table.to_string() + "\n"
}

//! [`Eval::load`]: the eval file read, parsed and checked, table by table.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use crate::agent::{AgentSpec, BUILTIN, Network};
use crate::diagnostic::parse_toml;
use crate::error::Result;
use crate::grade::{Budget, Globs};
use crate::workspace::Workspace;

use super::file::*;
use super::located::Located;
use super::*;

impl Eval {
    /// Reads and checks the eval at `path`.
    pub fn load(path: &Path) -> Result<Eval> {
        let text = crate::diagnostic::read_text(path)?;
        let file: EvalFile = parse_toml(path, &text)?;
        let at = Located { path, text: &text };
        let workspace = Workspace::of_eval(path);
        let name = path
            .file_stem()
            .map_or_else(|| "eval".into(), |s| s.to_string_lossy().into_owned());

        if let Some(schema) = &file.schema
            && *schema.get_ref() != 1
        {
            return Err(at.err(
                schema.span(),
                format!(
                    "unsupported schema {}; this skillbench reads schema 1",
                    schema.get_ref()
                ),
            ));
        }

        let skill = file.skill.get_ref();
        let skill_dir = if skill.contains('/') {
            workspace.root().join(skill)
        } else {
            workspace.skills_dir().join(skill)
        };
        if !skill_dir.join(crate::skill::SKILL_FILE).is_file() {
            return Err(at.err(
                file.skill.span(),
                format!(
                    "no skill at {} (a skill name under skills/, or a path from the workspace)",
                    skill_dir.display()
                ),
            ));
        }

        if file.cases.get_ref().is_empty() {
            return Err(at.err(
                file.cases.span(),
                "'cases' is empty: list globs over corpus/case ids, e.g. \"python-cves/*\"",
            ));
        }

        let (agents, defined_agents) = agents(&at, &file)?;

        let trials = match &file.trials {
            Some(t) if *t.get_ref() == 0 => {
                return Err(at.err(t.span(), "'trials' must be at least 1"));
            }
            Some(t) if *t.get_ref() > MAX_TRIALS => {
                return Err(at.err(
                    t.span(),
                    format!(
                        "'trials' is at most {MAX_TRIALS} (each trial is a run of every case × agent × variant)"
                    ),
                ));
            }
            Some(t) => *t.get_ref(),
            None => 1,
        };
        let timeout = file
            .timeout
            .as_ref()
            .map(|t| at.duration(t))
            .transpose()?
            .unwrap_or(DEFAULT_TIMEOUT);
        if let Some(names) = &file.pass_env
            && let Some(bad) = names.get_ref().iter().find(|n| !is_variable_name(n))
        {
            return Err(at.err(
                names.span(),
                format!(
                    "pass_env '{bad}' is not a variable name (letters, digits and '_', not starting with a digit)"
                ),
            ));
        }

        let (variants, versions) = variants(&at, file.variants.as_ref(), &workspace, &skill_dir)?;

        if let Some(sandbox) = &file.sandbox {
            at.one_of(sandbox, "sandbox", &["none", "bwrap"])?;
        }
        let network = match &file.network {
            None => None,
            Some(n) => {
                at.one_of(n, "network", &["none", "filtered", "host"])?;
                Network::named(n.get_ref())
            }
        };
        let expose = file
            .expose
            .iter()
            .map(|p| crate::workspace::expand_home(p))
            .collect();

        let graders = file
            .grader
            .iter()
            .map(|(name, g)| grader::grader(&at, name, g, &defined_agents))
            .collect::<Result<Vec<_>>>()?;
        let (budget, agent_budget, agent_prices) = budgets(&at, &file)?;
        let grader_names: Vec<&str> = graders.iter().map(|g| g.name.as_str()).collect();
        let rubric = rubric::rubric(&at, &file.rubric, &grader_names)?;
        let gates = file
            .gate
            .iter()
            .map(|g| gate::gate(&at, g, &agents, &variants))
            .collect::<Result<Vec<_>>>()?;

        if let Some(registries) = &file.registries
            && let Some(bad) = registries
                .get_ref()
                .iter()
                .find(|r| crate::agent::proxy::Allowed::parse(r).is_none())
        {
            return Err(at.err(
                registries.span(),
                format!("'{bad}' is not a host: write a host, host:port, *.domain or a URL"),
            ));
        }
        let integrity_lookups_fail = match file.integrity.as_ref().and_then(|i| i.lookups.as_ref())
        {
            None => true,
            Some(l) => {
                at.one_of(l, "lookups", &["fail", "record"])?;
                l.get_ref() == "fail"
            }
        };
        let integrity_allow = match file.integrity.and_then(|i| i.allow) {
            None => Vec::new(),
            Some(allow) => {
                Globs::new(allow.get_ref()).map_err(|e| at.err(allow.span(), e))?;
                allow.into_inner()
            }
        };

        Ok(Eval {
            name,
            path: path.to_path_buf(),
            workspace,
            skill_dir,
            case_patterns: file.cases.into_inner(),
            agents,
            defined_agents,
            trials,
            timeout,
            variants,
            versions,
            pass_env: file.pass_env.map(Spanned::into_inner).unwrap_or_default(),
            // Unset: runtimes in bubblewrap where it is installed, everything else not.
            sandbox: file.sandbox.map_or_else(String::new, Spanned::into_inner),
            network,
            expose,
            graders,
            budget,
            agent_budget,
            agent_prices,
            rubric,
            gates,
            registries: file.registries.map(Spanned::into_inner).unwrap_or_default(),
            integrity_allow,
            integrity_lookups_fail,
            subset: false,
            no_cache: false,
            shard: None,
            command: Vec::new(),
        })
    }
}

/// `agents` and `[agent.NAME]`: the agents the eval runs, and every agent it could (the
/// built-ins and its definitions).
fn agents(at: &Located<'_>, file: &EvalFile) -> Result<(Vec<AgentSpec>, Vec<AgentSpec>)> {
    let mut agents = Vec::new();
    let defined_agents: Vec<AgentSpec> = BUILTIN
        .iter()
        .filter_map(|name| AgentSpec::builtin(name))
        .map(Ok)
        .chain(file.agent.iter().map(|(name, def)| {
            if BUILTIN.contains(&name.as_str()) {
                return Err(at.err(
                    def.span(),
                    format!("'{name}' is a predefined agent; give yours another name"),
                ));
            }
            agent::agent(at, name, def)
        }))
        .collect::<Result<_>>()?;
    let defined: Vec<&str> = defined_agents.iter().map(|a| a.name.as_str()).collect();
    for agent in file.agents.get_ref() {
        at.one_of(agent, "agent", &defined)?;
        let spec = defined_agents
            .iter()
            .find(|a| a.name == *agent.get_ref())
            .cloned()
            .ok_or_else(|| {
                at.err(
                    agent.span(),
                    format!("agent '{}' is not defined", agent.get_ref()),
                )
            })?;
        if agents.contains(&spec) {
            return Err(at.err(
                agent.span(),
                format!("agent '{}' is listed twice", agent.get_ref()),
            ));
        }
        agents.push(spec);
    }
    if agents.is_empty() {
        return Err(at.err(
            file.agents.span(),
            format!(
                "'agents' is empty; built-in agents are: {}",
                BUILTIN.join(", ")
            ),
        ));
    }
    Ok((agents, defined_agents))
}

/// `variants`: `skill` and `none` by default; each at most once. Besides those, another
/// version of the skill: `{ name = "main", git = "REV" }` (the skill's folder at a git
/// revision of the workspace) or `{ name = "v1", path = "DIR" }` (a folder, from the
/// workspace), each loaded and linted as the skill is.
fn variants(
    at: &Located<'_>,
    list: Option<&Spanned<Vec<Spanned<toml::Value>>>>,
    workspace: &Workspace,
    skill_dir: &Path,
) -> Result<(Vec<Variant>, Vec<SkillVersion>)> {
    let Some(list) = list else {
        return Ok((vec![Variant::Skill, Variant::None], Vec::new()));
    };
    let mut variants = Vec::new();
    let mut versions: Vec<SkillVersion> = Vec::new();
    for v in list.get_ref() {
        let variant = match v.get_ref() {
            toml::Value::String(name) => {
                let named = Spanned::new(v.span(), name.clone());
                at.one_of(&named, "variant", &["skill", "none"])?;
                Variant::parse(name)
            }
            toml::Value::Table(table) => {
                let version = version(at, v.span(), table, workspace, skill_dir)?;
                if versions.iter().any(|known| known.name == version.name) {
                    return Err(at.err(
                        v.span(),
                        format!("variant '{}' is named twice", version.name),
                    ));
                }
                let variant = Variant::Version(version.name);
                versions.push(version);
                variant
            }
            other => {
                return Err(at.err(
                    v.span(),
                    format!(
                        "a variant is \"skill\", \"none\" or a table {{ name = \"…\", git = \"REV\" }} or {{ name = \"…\", path = \"DIR\" }}, not {}",
                        other.type_str()
                    ),
                ));
            }
        };
        if !variants.contains(&variant) {
            variants.push(variant);
        }
    }
    if variants.is_empty() {
        return Err(at.err(
            list.span(),
            "'variants' is empty; use [\"skill\", \"none\"]",
        ));
    }
    if !versions.is_empty() && !variants.contains(&Variant::Skill) {
        return Err(at.err(
            list.span(),
            "'variants' names other versions of the skill but not \"skill\": each version is measured against the skill, so add \"skill\"",
        ));
    }
    Ok((variants, versions))
}

/// One `{ name, git | path }` variant: checked, written out (a git revision) and loaded.
fn version(
    at: &Located<'_>,
    span: std::ops::Range<usize>,
    table: &toml::Table,
    workspace: &Workspace,
    skill_dir: &Path,
) -> Result<SkillVersion> {
    if let Some(key) = table
        .keys()
        .find(|k| !["name", "git", "path"].contains(&k.as_str()))
    {
        return Err(at.err(
            span,
            format!("unknown key '{key}' in a variant; a version has 'name' and 'git' or 'path'"),
        ));
    }
    if let Some((key, value)) = table
        .iter()
        .find(|(_, v)| !matches!(v, toml::Value::String(_)))
    {
        return Err(at.err(
            span,
            format!(
                "'{key}' in a variant must be a string, not {}",
                value.type_str()
            ),
        ));
    }
    let text = |key: &str| table.get(key).and_then(toml::Value::as_str);
    let Some(name) = text("name") else {
        return Err(at.err(span, "a variant table needs 'name' (a-z, 0-9, '-', '_'), e.g. { name = \"main\", git = \"origin/main\" }"));
    };
    let valid = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid || RESERVED_VARIANTS.contains(&name) {
        return Err(at.err(
            span,
            format!(
                "variant name '{name}' must be a-z, 0-9, '-' or '_' (starting with a letter or digit) and not one of {}",
                RESERVED_VARIANTS.join(", ")
            ),
        ));
    }
    let (source, dir) = match (text("git"), text("path")) {
        (Some(rev), None) => (
            format!("git:{rev}"),
            version::at_revision(workspace, skill_dir, rev, name)
                .map_err(|why| at.err(span.clone(), why))?,
        ),
        (None, Some(path)) => {
            let dir = workspace.root().join(path);
            if !dir.join(crate::skill::SKILL_FILE).is_file() {
                return Err(at.err(
                    span,
                    format!("variant '{name}': no SKILL.md in {}", dir.display()),
                ));
            }
            (format!("path:{path}"), dir)
        }
        _ => {
            return Err(at.err(
                span,
                format!("variant '{name}' needs exactly one of 'git' (a revision of the workspace) or 'path' (a folder)"),
            ));
        }
    };
    let Variant::Version(name) = Variant::parse(name) else {
        return Err(at.err(span, format!("variant name '{name}' is reserved")));
    };
    // Linted as the skill is: an error in the old version is an error in the eval, said
    // with the variant it belongs to.
    let skill = crate::skill::Skill::load(&dir).map_err(|e| match e {
        crate::error::Error::Input(mut found) => {
            found.push(crate::diagnostic::Diagnostic::at_span(
                at.path,
                at.text,
                span.clone(),
                format!("variant '{name}' ({source}): its skill does not pass lint (above)"),
            ));
            crate::error::Error::Input(found)
        }
        other => other,
    })?;
    // Installed where the skill goes, under the skill's name: an agent sees the same skill
    // offered, only its content differs.
    let expected = skill_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if skill.name() != expected {
        return Err(at.err(
            span,
            format!(
                "variant '{name}': its skill is named '{}', not '{expected}'; an A/B compares versions of the same skill",
                skill.name()
            ),
        ));
    }
    Ok(SkillVersion {
        name,
        source,
        dir,
        skill,
    })
}

/// What an eval may spend: the graders' budget, the agents' budget, each runtime's prices.
type Budgets = (
    Budget,
    crate::run::schedule::AgentBudget,
    BTreeMap<String, (f64, f64)>,
);

/// `[budget]` (the graders'), `[budget.agents]` and each runtime's prices.
fn budgets(at: &Located<'_>, file: &EvalFile) -> Result<Budgets> {
    let budget = Budget {
        max_tokens: file.budget.as_ref().and_then(|b| b.max_tokens),
        max_usd: file
            .budget
            .as_ref()
            .and_then(|b| b.max_usd.as_ref())
            .map(|usd| at.money(usd, "max_usd"))
            .transpose()?,
    };
    let agent_budget = match file.budget.as_ref().and_then(|b| b.agents.as_ref()) {
        None => crate::run::schedule::AgentBudget::default(),
        Some(b) => crate::run::schedule::AgentBudget {
            max_tokens: b.max_tokens,
            max_usd: b
                .max_usd
                .as_ref()
                .map(|usd| at.money(usd, "max_usd"))
                .transpose()?,
        },
    };
    let mut agent_prices = BTreeMap::new();
    for (name, def) in &file.agent {
        if let Some(price) = agent::prices(at, def)? {
            agent_prices.insert(name.clone(), price);
        }
    }
    Ok((budget, agent_budget, agent_prices))
}

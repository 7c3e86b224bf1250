//! Graders that are agents: any runtime or command agent of the eval, run in the graded
//! checkout so it can read the code, not only the diff.
//!
//! The agent gets the judging prompt and writes its answer, the same strict JSON an API
//! grader gives, to `$SKILLBENCH_VERDICT`. It runs cold (fresh HOME, no skill installed)
//! and read-only: in the bwrap sandbox the checkout is mounted read-only and only the
//! grader's own folder is writable; without the sandbox the checkout is diffed before and
//! after, and a grader that changed it gives no verdict. Its logs and transcript go to
//! `graders/<criterion>.<grader>.*` in the run's folder.

use std::path::Path;

use super::check::Evidence;
use super::grader::{Grader, Judging, Judgment};
use crate::agent::{self, AgentSpec, Invocation, Jail, Network};

/// What agent graders need from the eval beyond the graders themselves.
#[derive(Debug, Clone)]
pub struct AgentGraders {
    pub agents: Vec<AgentSpec>,
    pub probes: std::collections::HashMap<String, agent::Probe>,
    pub sandbox: agent::Sandbox,
    pub hidden: Vec<std::path::PathBuf>,
    pub exposed: Vec<std::path::PathBuf>,
    pub pass_env: Vec<String>,
    pub timeout: std::time::Duration,
}

fn failed(grader: &str, error: String) -> Judgment {
    Judgment {
        grader: grader.into(),
        verdict: None,
        confidence: None,
        evidence: Vec::new(),
        unverified_quotes: 0,
        error: Some(error),
        cached: false,
        tokens_in: 0,
        tokens_out: 0,
        attempts: 1,
    }
}

/// Asks agent grader `grader` (running agent `agent`) about criterion `criterion`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are distinct"
)]
pub async fn ask(
    judging: &Judging,
    grader: &Grader,
    agent_name: &str,
    criterion: &str,
    system: &str,
    prompt: &str,
    shown: &str,
    ev: &Evidence<'_>,
) -> Judgment {
    if let Some(hit) = judging.cached(grader, system, prompt) {
        return hit;
    }
    let Some(setup) = judging.agent_graders.as_ref() else {
        return failed(&grader.name, "agent graders are not set up".into());
    };
    let Some(spec) = setup.agents.iter().find(|a| a.name == agent_name) else {
        return failed(&grader.name, format!("no agent '{agent_name}'"));
    };
    let probe = setup.probes.get(agent_name);
    if let Some(p) = probe.filter(|p| !p.available()) {
        return failed(
            &grader.name,
            format!("{agent_name} is unavailable: {}", p.missing.join("; ")),
        );
    }
    if let Err(stopped) = judging.admit() {
        return failed(&grader.name, stopped);
    }
    match run(
        setup,
        spec,
        probe,
        criterion,
        &grader.name,
        system,
        prompt,
        ev,
    )
    .await
    {
        Err(e) => failed(&grader.name, e),
        Ok((text, tokens_in, tokens_out)) => {
            judging.charge(grader, tokens_in, tokens_out);
            judging.judgment(
                grader,
                (text, tokens_in, tokens_out),
                shown,
                1,
                system,
                prompt,
            )
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are distinct"
)]
async fn run(
    setup: &AgentGraders,
    spec: &AgentSpec,
    probe: Option<&agent::Probe>,
    criterion: &str,
    grader: &str,
    system: &str,
    prompt: &str,
    ev: &Evidence<'_>,
) -> Result<(Result<String, String>, u64, u64), String> {
    let scratch = tempfile::Builder::new()
        .prefix("skillbench-grader-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let scratch = scratch.path();
    let verdict_file = scratch.join("verdict.json");
    let mut env = agent::cold::ColdEnv::new(&scratch.join("agent"), &setup.pass_env)
        .map_err(|e| e.to_string())?;
    env.set("SKILLBENCH_VERDICT", &verdict_file.to_string_lossy());
    let full = format!(
        "{system}\n\n{prompt}\n\n# How to answer\n\nThe repository in your working folder is the agent's work; read it, change nothing. Write your answer, the JSON object and nothing else, to the file named by the environment variable SKILLBENCH_VERDICT ({}).\n",
        verdict_file.display()
    );
    let prompt_file = scratch.join("prompt.md");
    std::fs::write(&prompt_file, &full).map_err(|e| e.to_string())?;
    let before = diff(ev.checkout)?;
    let logs = ev.run_dir.join("graders");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    let stem = format!("{criterion}.{grader}");
    let jail = Jail {
        writable: vec![scratch.to_path_buf()],
        hidden: setup.hidden.clone(),
        exposed: setup
            .exposed
            .iter()
            .cloned()
            .chain(std::iter::once(ev.checkout.to_path_buf()))
            .collect(),
        network: if spec.needs_network() {
            Network::Host
        } else {
            Network::None
        },
    };
    let inv = Invocation {
        case: ev.case,
        source_repo: ev.checkout,
        checkout: ev.checkout,
        env: &env,
        prompt_file: &prompt_file,
        signals_file: &verdict_file,
        skill_dir: None,
        timeout: setup.timeout,
        stdout_log: logs.join(format!("{stem}.stdout.log")),
        stderr_log: logs.join(format!("{stem}.stderr.log")),
        transcript_file: logs.join(format!("{stem}.transcript.jsonl")),
        sandbox: &setup.sandbox,
        jail: &jail,
        probe,
        redactor: ev.redactor,
        forward: None,
        overlay: None,
    };
    let exit = agent::run(spec, &inv).await;
    if diff(ev.checkout)? != before {
        return Err(format!(
            "{grader} changed the checkout it was to read: its answer is not used"
        ));
    }
    if exit.status != agent::AgentStatus::Finished {
        return Err(format!("{grader} did not finish: {:?}", exit.status));
    }
    let (tokens_in, tokens_out) = exit.transcript.as_ref().map_or((0, 0), |t| {
        (t.tokens_in.unwrap_or(0), t.tokens_out.unwrap_or(0))
    });
    // The caller parses the answer, as it does an API grader's.
    let text = crate::fsx::read_untrusted(&verdict_file, 1024 * 1024)
        .map_err(|e| format!("{grader} wrote no readable answer to $SKILLBENCH_VERDICT: {e}"))
        .and_then(|b| String::from_utf8(b).map_err(|_| format!("{grader}'s answer is not UTF-8")));
    Ok((text, tokens_in, tokens_out))
}

/// The checkout's state: its diff against HEAD, untracked files included.
fn diff(checkout: &Path) -> Result<String, String> {
    crate::run::evidence::collect(checkout)
        .map(|c| c.patch)
        .map_err(|e| format!("cannot read the checkout: {e}"))
}

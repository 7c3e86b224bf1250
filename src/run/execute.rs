//! One run, cold, start to grade: a fresh checkout (the agent's room), a fresh HOME and
//! temp folder, the case's setup, the skill installed (or not), the agent; then the
//! delivery taken from the room, the room deleted unread but for the signals, and the
//! delivery graded in a clean room ([`super::clean_room`]).

use std::path::Path;
use std::time::{Duration, Instant};

use super::Context;
use super::delivery::{self, Change};
use super::plan::PlannedRun;
use super::results::{AgentReport, RunRecord, RunStatus, SignalsRecord, Timings};
use crate::agent::cold::ColdEnv;
use crate::agent::process::{self, Output, Spec, Status};
use crate::agent::{self, AgentStatus, Invocation, Jail, Network, Transcript};
use crate::eval::Variant;
use crate::grade::{self, Grade};
use crate::redact::Redactor;
use crate::signals::{self, SignalsReport};
use crate::skill::Skill;

/// What a run left, before grading.
struct Outcome {
    status: RunStatus,
    detail: String,
    signals: SignalsReport,
    change: Change,
    criteria: Vec<grade::CriterionResult>,
    report: Option<AgentReport>,
}

impl Outcome {
    fn ended(status: RunStatus, detail: String) -> Outcome {
        Outcome {
            status,
            detail,
            signals: SignalsReport::Missing,
            change: Change::default(),
            criteria: Vec::new(),
            report: None,
        }
    }
}

/// A record for `run` with nothing done yet: no time, no signals, no change, not graded.
fn record_of(run: &PlannedRun) -> RunRecord {
    RunRecord {
        dir: run.dir.clone(),
        key: run.key.clone(),
        case: run.case.id.clone(),
        expectation: run.case.expectation,
        agent: run.agent.name.clone(),
        agent_kind: run.agent.kind_name().into(),
        variant: run.variant,
        trial: run.trial,
        status: RunStatus::HarnessError,
        status_detail: String::new(),
        timings: Timings::default(),
        signals: signals_record(&SignalsReport::Missing),
        diff: super::results::DiffStats::default(),
        agent_report: None,
        criteria: Vec::new(),
        grade: None,
        grade_reason: String::new(),
        cached_from: None,
        delivery_key: run.delivery_key.clone(),
        delivery_from: None,
    }
}

/// The record of a run the budget kept from starting: infrastructure, not graded, with
/// the limit that was reached; its folder (`run_dir`) is made, empty, as every run has one.
pub(crate) fn held_for_budget(run: &PlannedRun, why: &str, run_dir: &Path) -> RunRecord {
    let _ = std::fs::create_dir_all(run_dir);
    RunRecord {
        status: RunStatus::BudgetSpent,
        status_detail: why.to_string(),
        grade_reason: format!("not graded (not run for the budget): {why}"),
        ..record_of(run)
    }
}

/// Runs `run` and grades it; its artifacts go to `run_dir`. Never fails: a run that cannot
/// be carried out is recorded as a harness error, a run whose setup failed as such, a run
/// whose runtime is unavailable as such: infrastructure, not graded, with the reason.
pub async fn execute(run: &PlannedRun, ctx: &Context<'_>, run_dir: &Path) -> RunRecord {
    let start = Instant::now();
    let mut timings = Timings::default();
    let mut agent_ran = false;
    let redactor = ctx.redactor.clone();
    let outcome = match ctx.probes.get(&run.agent.name).filter(|p| !p.available()) {
        Some(probe) => Ok(Outcome::ended(
            RunStatus::Unavailable,
            format!(
                "{} is unavailable here: {}",
                run.agent.name,
                probe.missing.join("; ")
            ),
        )),
        None => carry_out(run, ctx, run_dir, &mut timings, &mut agent_ran).await,
    };
    // An agent that ran outside the sandbox ran as the user: whatever kept skillbench from
    // finishing after it (its run folder, its copy of the source) it could have caused, so
    // it is the agent's failure, never an infrastructure verdict it could forge.
    let unsandboxed =
        run.agent.is_process() && *ctx.agent_sandbox(&run.agent) == agent::Sandbox::None;
    let could_be_the_agents = agent_ran && unsandboxed;
    let failed = |message: String| -> (RunStatus, String) {
        if could_be_the_agents {
            (
                RunStatus::AgentError,
                format!(
                    "skillbench could not finish the run after the agent ran without the sandbox ({message}); an unsandboxed agent answers for that"
                ),
            )
        } else {
            (RunStatus::HarnessError, message)
        }
    };
    let o = outcome.unwrap_or_else(|message| {
        let (status, detail) = failed(message);
        Outcome::ended(status, detail)
    });
    let (grade, grade_reason) = match o.status {
        RunStatus::Completed => {
            let (g, why) = grade::grade(&o.criteria);
            (Some(g), why)
        }
        // Infrastructure is not the agent's failure: not graded, and left out of every
        // rate, the snapshot diff and the gates.
        s if s.is_infrastructure() => (None, format!("not graded ({}): {}", s.as_str(), o.detail)),
        _ => (
            Some(Grade::C),
            format!("{}: {}", o.status.as_str(), o.detail),
        ),
    };
    let (status, detail, signals, change, criteria) =
        (o.status, o.detail, o.signals, o.change, o.criteria);
    let stored = Instant::now();
    let mut record = RunRecord {
        status,
        status_detail: detail,
        timings,
        signals: signals_record(&signals),
        diff: change.stats,
        agent_report: o.report,
        criteria,
        grade,
        grade_reason,
        ..record_of(run)
    };
    // Everything stored for the run (logs, transcript, diff, signals, check output) loses
    // the credentials' values before the run is complete; its record last.
    if let Err(e) = redactor.redact_dir(run_dir) {
        let (status, detail) = failed(format!("cannot redact the run's files: {e}"));
        record.status = status;
        record.grade = (status == RunStatus::AgentError).then_some(Grade::C);
        record.grade_reason = if status == RunStatus::AgentError {
            format!("agent error: {detail}")
        } else {
            format!("not graded (harness error): {detail}")
        };
        record.status_detail = detail;
    }
    let mut record = redact_record(record, &redactor);
    record.timings.store_ms = millis(stored.elapsed());
    record.timings.total_ms = millis(start.elapsed());
    record
}

/// `record` with every credential value in its strings redacted.
fn redact_record(record: RunRecord, redactor: &Redactor) -> RunRecord {
    if redactor.is_empty() {
        return record;
    }
    serde_json::to_string(&record)
        .ok()
        .and_then(|json| serde_json::from_str(&redactor.redact(&json)).ok())
        .unwrap_or(record)
}

/// A run's room: its scratch folder (the checkout, the agent's HOME and TMPDIR, the prompt
/// and the signals file), the agent's environment, what its jail mounts, and the checkout's
/// state after setup.
struct Room {
    scratch: std::path::PathBuf,
    checkout: std::path::PathBuf,
    env: ColdEnv,
    /// The runtime's shared folders that exist (read-only to the agent).
    shared: Vec<std::path::PathBuf>,
    /// What the eval exposes, and the files a command agent's argv names.
    exposed: Vec<std::path::PathBuf>,
    baseline: delivery::Baseline,
    /// The room's overlay on its prepared base, when it is one; else the room is a fresh
    /// checkout of its own.
    overlay: Option<agent::overlay::Overlay>,
}

impl Room {
    /// The jail of a process in this room: in an overlay room, the base's path too, where
    /// the process sees its own room.
    fn jail(&self, ctx: &Context<'_>, network: Network, cache_writable: bool) -> Jail {
        let mut writable = self.shared.clone();
        writable.extend(self.overlay.as_ref().map(|o| o.base.clone()));
        Jail::for_run(
            &self.scratch,
            ctx.eval.workspace.root(),
            &writable,
            &self.exposed,
            network,
            cache_writable,
        )
    }

    /// The base's checkout under an overlay room.
    fn lower_checkout(&self) -> Option<std::path::PathBuf> {
        self.overlay.as_ref().map(|o| o.base.join("checkout"))
    }
}

/// Whether `run` can have an overlay room, and in which mode: its agent must work through
/// processes (the built-in bump-only and reference baselines edit the checkout from
/// skillbench itself, which sees only the room's upper layer).
fn overlay_mode(run: &PlannedRun) -> Option<agent::overlay::Mode> {
    match run.agent.kind {
        agent::AgentKind::BumpOnly | agent::AgentKind::Reference => None,
        _ => agent::overlay::mode().ok(),
    }
}

/// What the agent did in its room.
struct AgentRun {
    exit: agent::AgentExit,
    report: Option<AgentReport>,
    signals_file: std::path::PathBuf,
    stderr_log: std::path::PathBuf,
}

/// Sets `agent_ran` when the agent has been started: what fails after that, the agent may
/// have caused.
async fn carry_out(
    run: &PlannedRun,
    ctx: &Context<'_>,
    run_dir: &Path,
    timings: &mut Timings,
    agent_ran: &mut bool,
) -> Result<Outcome, String> {
    std::fs::create_dir_all(run_dir)
        .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
    let (_scratch, mut room) = match prepare_room(run, ctx, run_dir, timings).await? {
        Ok(room) => room,
        Err(setup_failed) => return Ok(setup_failed),
    };
    *agent_ran = true;
    let agent = run_agent(run, ctx, run_dir, &mut room).await?;
    timings.agent_ms = millis(agent.exit.duration);

    let t = Instant::now();
    let (change, signals) = match take_delivery(run, ctx, run_dir, room, &agent).await? {
        Ok(delivered) => delivered,
        Err(why) => {
            let mut o = Outcome::ended(RunStatus::AgentError, why);
            o.report = agent.report;
            return Ok(o);
        }
    };
    timings.deliver_ms = millis(t.elapsed());
    let t = Instant::now();
    let (status, detail) = ended(&agent);
    let mut criteria = Vec::new();
    if status == RunStatus::Completed {
        let checked = match super::clean_room::grade_delivery(
            ctx,
            &run.case,
            &run.source,
            &change,
            &signals,
            run_dir,
        )
        .await
        {
            Ok(checked) => checked,
            Err(super::clean_room::Ungradable::Delivery(why)) => {
                let mut o = Outcome::ended(RunStatus::AgentError, why);
                o.report = agent.report;
                o.change = change;
                o.signals = signals;
                return Ok(o);
            }
            Err(super::clean_room::Ungradable::Harness(why)) => return Err(why),
        };
        timings.check_commands_ms = millis(checked.command_time);
        timings.clean_room_ms = millis(checked.room_time);
        criteria = checked.results;
    }
    timings.grade_ms = millis(t.elapsed());
    Ok(Outcome {
        status,
        detail,
        signals,
        change,
        criteria,
        report: agent.report,
    })
}

/// The room made ready: the pinned commit checked out, the cold environment, the case's
/// setup run, and the checkout's state recorded as the delivery's starting point. A failed
/// setup is the run's outcome (`Ok(Err(…))`): infrastructure, not the agent's.
async fn prepare_room(
    run: &PlannedRun,
    ctx: &Context<'_>,
    run_dir: &Path,
    timings: &mut Timings,
) -> Result<Result<(super::base::RoomDir, Room), Outcome>, String> {
    let eval = ctx.eval;
    let t = Instant::now();
    let mut base = None;
    let (dir, scratch, overlay) = match overlay_mode(run) {
        Some(mode) => {
            let prepared =
                match super::base::prepared(ctx, &run.case, &run.source, ctx.sandbox, &Vec::new())
                    .await
                {
                    Ok(b) => b,
                    Err(super::base::Unprepared::Setup { detail, log }) => {
                        let _ = std::fs::copy(&log, run_dir.join("setup.log"));
                        return Ok(Err(Outcome::ended(RunStatus::SetupFailed, detail)));
                    }
                    Err(super::base::Unprepared::Harness(why)) => {
                        return Err(format!("cannot prepare the base of {}: {why}", run.case.id));
                    }
                };
            let (prepared, built_in) = prepared;
            timings.setup_ms = built_in.map_or(0, millis);
            let t = Instant::now();
            let (dir, overlay) = super::base::room(&prepared, mode)
                .map_err(|e| format!("cannot create the run's room: {e}"))?;
            timings.materialize_ms = millis(t.elapsed());
            if prepared.setup_log.is_file() {
                std::fs::copy(&prepared.setup_log, run_dir.join("setup.log"))
                    .map_err(|e| format!("cannot keep the setup's log: {e}"))?;
            }
            base = Some(prepared);
            (dir, overlay.room.clone(), Some(overlay))
        }
        None => {
            let dir = super::base::RoomDir::new()
                .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
            let scratch = dir.path().to_path_buf();
            let (source, target) = (run.source.clone(), scratch.join("checkout"));
            tokio::task::spawn_blocking(move || crate::corpus::checkout(&source, &target))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("cannot check out {}: {e}", run.case.id))?;
            timings.materialize_ms = millis(t.elapsed());
            (dir, scratch, None)
        }
    };
    let checkout = scratch.join("checkout");

    let mut env =
        ColdEnv::new(&scratch.join("agent"), &eval.pass_env).map_err(|e| e.to_string())?;
    env.preset(crate::corpus::ecosystem::Ecosystem::of_case(
        &run.case,
        &run.source,
    ));
    let probe = ctx.probes.get(&run.agent.name);
    // Mounted back read-only: what the eval exposes, the runtime's installation, and the
    // files a command agent's argv names (its script may live in the hidden workspace).
    let command_files = agent::sandbox::exposed_for(&run.agent, probe, eval.workspace.root());
    // The shared package cache is written only by the case's setup; the agent sees it
    // read-only, so nothing it plants there reaches a later run.
    let shared: Vec<std::path::PathBuf> = run
        .agent
        .runtime()
        .map(agent::RuntimeAgent::shared_dirs)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.is_dir())
        .collect();
    let exposed: Vec<std::path::PathBuf> = eval
        .expose
        .iter()
        .chain(command_files.iter())
        .cloned()
        .collect();
    if *ctx.agent_sandbox(&run.agent) != agent::Sandbox::None {
        // npm must write its cache; the agent's goes to its own folder.
        env.set(
            "npm_config_cache",
            &scratch.join("agent/tmp/npm-cache").to_string_lossy(),
        );
    }
    let mut room = Room {
        scratch,
        checkout,
        env,
        shared,
        exposed,
        baseline: delivery::Baseline::default(),
        overlay,
    };
    if let Some(base) = base {
        // Setup ran once, for the base; its starting point is the room's.
        room.baseline = base.baseline.clone();
        return Ok(Ok((dir, room)));
    }

    let t = Instant::now();
    if !run.case.setup.is_empty() {
        let script = format!("set -e\n{}", run.case.setup.join("\n"));
        let spec = Spec {
            argv: ctx.sandbox.wrap(
                vec!["sh".into(), "-c".into(), script],
                &room.checkout,
                &room.jail(ctx, Network::Host, true),
            ),
            cwd: room.checkout.clone(),
            env: room.env.vars().to_vec(),
            timeout: eval.timeout,
            output: Output::Combined(run_dir.join("setup.log")),
            redactor: ctx.redactor.clone(),
            overlay: None,
        };
        let done = process::run(&spec)
            .await
            .map_err(|e| format!("cannot run setup: {e}"))?;
        timings.setup_ms = millis(t.elapsed());
        if done.status != Status::Exited(0) {
            let log = std::fs::read_to_string(run_dir.join("setup.log")).unwrap_or_default();
            let last = grade::failure::last_line(&log);
            return Ok(Err(Outcome::ended(
                RunStatus::SetupFailed,
                format!("{}; setup.log ends: {last}", done.status),
            )));
        }
    }

    // What setup left is the room's starting point, not the agent's change.
    let (src, checkout) = (run.source.clone(), room.checkout.clone());
    room.baseline =
        tokio::task::spawn_blocking(move || delivery::Baseline::record(&src, &checkout))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot record the checkout after setup: {e}"))?;
    Ok(Ok((dir, room)))
}

/// The skill installed (in the skill variant), the prompt written, the network set up,
/// and the agent run in its room.
async fn run_agent(
    run: &PlannedRun,
    ctx: &Context<'_>,
    run_dir: &Path,
    room: &mut Room,
) -> Result<AgentRun, String> {
    let eval = ctx.eval;
    let scratch = room.scratch.clone();
    let scratch = scratch.as_path();
    let skill = ctx.skill_for(run.variant);
    let runtime = run.agent.runtime();
    if let (Some(skill), Some(rt)) = (skill, runtime) {
        room.baseline
            .exclude(&format!("{}/{}", rt.runtime.skills_dir(), skill.name()));
    }
    let skill_copy = match (run.variant, skill) {
        (_, Some(skill)) => {
            let lower = room.lower_checkout();
            Some(install_skill(
                skill,
                runtime,
                scratch,
                &room.checkout,
                lower.as_deref(),
            )?)
        }
        (variant, None) if variant.has_skill() => {
            return Err(format!("the {variant} variant needs a skill"));
        }
        _ => None,
    };
    let signals_file = scratch.join("signals.json");
    let schema_file = scratch.join("agent-signals.v1.schema.json");
    std::fs::write(&schema_file, signals::schema()).map_err(|e| e.to_string())?;
    // A runtime discovers the installed skill itself (that is what is measured); a command
    // agent is told where it is.
    let named_skill = match (runtime, skill, skill_copy.as_deref()) {
        (None, Some(skill), Some(dir)) => Some((skill.name(), dir)),
        _ => None,
    };
    let prompt = prompt(run, named_skill, &signals_file, &schema_file);
    let prompt_file = scratch.join("prompt.md");
    std::fs::write(&prompt_file, &prompt).map_err(|e| e.to_string())?;
    // Stored with the run's room shown as `<room>` (it is gone once the run ends): the
    // prompts of a case's trials and agents are then the same bytes, stored once.
    let stored = match scratch.to_str() {
        Some(room) => prompt.replace(room, ROOM),
        None => prompt.clone(),
    };
    ctx.shared
        .write_staged(
            &run_dir.join("prompt.md"),
            ctx.redactor.clean(stored.as_bytes()),
        )
        .map_err(|e| e.to_string())?;

    let agent_sandbox = ctx.agent_sandbox(&run.agent);
    let sandboxed = *agent_sandbox != agent::Sandbox::None;
    let network = eval
        .network
        .unwrap_or(match (run.agent.needs_network(), sandboxed) {
            (true, true) => Network::Filtered,
            (true, false) => Network::Host,
            (false, _) => Network::None,
        });
    let mut agent_jail = room.jail(ctx, network, false);
    let (proxy, forward) = match network {
        Network::Filtered => {
            // A socket is reached by its own inode, which an overlay's view of it is not:
            // an overlay room's socket lives beside the room, mounted in on its own.
            let socket_dir = match &room.overlay {
                Some(o) => {
                    let dir = o.room.with_file_name("net");
                    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                    agent_jail.writable.push(dir.clone());
                    dir
                }
                None => scratch.to_path_buf(),
            };
            let (proxy, forward) = filtered_network(run, eval, &socket_dir)?;
            agent_jail.exposed.push(forward.exe.clone());
            for var in [
                "HTTPS_PROXY",
                "HTTP_PROXY",
                "https_proxy",
                "http_proxy",
                "ALL_PROXY",
                "all_proxy",
            ] {
                room.env.set(
                    var,
                    &format!("http://127.0.0.1:{}", agent::proxy::PROXY_PORT),
                );
            }
            (Some(proxy), Some(forward))
        }
        _ => (None, None),
    };
    let stderr_log = run_dir.join("stderr.log");
    let inv = Invocation {
        case: &run.case,
        source_repo: &run.source.repo,
        checkout: &room.checkout,
        env: &room.env,
        prompt_file: &prompt_file,
        signals_file: &signals_file,
        // Only a command agent is told where the skill is: a runtime finds it where it
        // looks, and a model that runs `env` learns nothing of it.
        skill_dir: named_skill.map(|(_, dir)| dir),
        timeout: eval.timeout,
        stdout_log: run_dir.join("stdout.log"),
        stderr_log: stderr_log.clone(),
        transcript_file: run_dir.join("transcript.jsonl"),
        sandbox: agent_sandbox,
        jail: &agent_jail,
        probe: ctx.probes.get(&run.agent.name),
        redactor: &ctx.redactor,
        forward: forward.as_ref(),
        overlay: room.overlay.as_ref(),
    };
    let exit = agent::run(&run.agent, &inv).await;
    if let Some(proxy) = proxy {
        crate::fsx::write_staged(
            &run_dir.join("network.log"),
            ctx.redactor.clean(proxy.log_text().as_bytes()),
        )
        .map_err(|e| e.to_string())?;
    }
    let report = match (runtime, &exit.transcript) {
        (Some(rt), Some(t)) => Some(agent_report(
            t,
            rt,
            skill,
            run.variant,
            eval.agent_prices.get(&run.agent.name).copied(),
        )),
        _ => None,
    };
    Ok(AgentRun {
        exit,
        report,
        signals_file,
        stderr_log,
    })
}

/// The delivery taken from the room — computed by skillbench against the pinned commit,
/// stored without secrets — with the agent's signals; then the room deleted, unread but
/// for those. `Ok(Err(why))`: what the agent left cannot be delivered (its failure).
async fn take_delivery(
    run: &PlannedRun,
    ctx: &Context<'_>,
    run_dir: &Path,
    room: Room,
    agent: &AgentRun,
) -> Result<Result<(Change, SignalsReport), String>, String> {
    let lower = room.lower_checkout();
    let mode = room.overlay.as_ref().map(|o| o.mode);
    let scratch = room.scratch;
    let (src, checkout, baseline) = (run.source.clone(), room.checkout, room.baseline);
    let redactor = ctx.redactor.clone();
    let delivered = tokio::task::spawn_blocking(move || match (lower, mode) {
        (Some(lower), Some(mode)) => {
            delivery::deliver_upper(&src, &checkout, &lower, mode, &baseline, &redactor)
        }
        _ => delivery::deliver(&src, &checkout, &baseline, &redactor),
    })
    .await
    .map_err(|e| e.to_string())?;
    let patch = match delivered {
        Ok(patch) => patch,
        Err(e) if e.is_agents() => return Ok(Err(e.to_string())),
        Err(e) => return Err(format!("cannot take the delivery: {e}")),
    };
    // Stored without secrets; a delivery that holds one fails its integrity criterion.
    ctx.shared
        .write_staged(&run_dir.join("diff.patch"), ctx.redactor.clean(&patch))
        .map_err(|e| e.to_string())?;
    // skillbench wrote the patch from the agent's files: one that cannot be read back is
    // what the agent left (a name git cannot hold), not infrastructure.
    let change = match Change::from_patch(patch) {
        Ok(change) => change,
        Err(e) => {
            return Ok(Err(format!(
                "the delivery cannot be read back as a patch: {e}"
            )));
        }
    };
    let (signals, raw) = signals::read(&agent.signals_file);
    if let Some(raw) = raw {
        // Valid signals are stored as skillbench writes them (so no escape form of a
        // secret, `\u0073…`, slips past the redactor); anything else as it came.
        let stored = match &signals {
            SignalsReport::Valid(s) => serde_json::to_vec_pretty(s).unwrap_or(raw),
            _ => raw,
        };
        crate::fsx::write_staged(&run_dir.join("signals.json"), ctx.redactor.clean(&stored))
            .map_err(|e| e.to_string())?;
    }
    // Nothing else of the room is read: it goes before grading starts, and with it all the
    // agent wrote beside it (HOME, TMPDIR: a disk it filled is freed for the clean room).
    if mode.is_some() {
        if let Some(dir) = scratch.parent() {
            agent::overlay::remove(dir);
        }
        return Ok(Ok((change, signals)));
    }
    for entry in std::fs::read_dir(&scratch).into_iter().flatten().flatten() {
        let path = entry.path();
        let _ = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
    Ok(Ok((change, signals)))
}

/// How the agent's process ended, as a run status and its reason. A runtime that never
/// got a response from its model (refused, failing, unreachable) met infrastructure, not
/// the task: not the agent's C; a runtime that retried until the timeout is one of them.
fn ended(agent: &AgentRun) -> (RunStatus, String) {
    let exit = &agent.exit;
    if let Some(why) = endpoint_failure(agent.report.as_ref(), &agent.stderr_log) {
        return (
            RunStatus::EndpointFailed,
            format!("the model endpoint failed before the agent's first turn: {why}"),
        );
    }
    match &exit.status {
        AgentStatus::Finished => (RunStatus::Completed, "the agent finished".to_string()),
        AgentStatus::Exited(code) => (
            RunStatus::AgentError,
            format!(
                "the agent exited with code {code}{}",
                last_error(exit.transcript.as_ref(), &agent.stderr_log)
            ),
        ),
        AgentStatus::Signaled(sig) => (
            RunStatus::AgentError,
            format!("the agent was killed by signal {sig}"),
        ),
        AgentStatus::TimedOut(after) => (
            RunStatus::TimedOut,
            format!(
                "the agent ran past {}; its process group was killed",
                humantime::format_duration(*after)
            ),
        ),
        AgentStatus::Failed(why) => (RunStatus::AgentError, why.clone()),
    }
}

/// The proxy and forwarder of a run under the filtering network: the runtime's model
/// endpoint (its `base_url`, else its default API hosts) and the eval's registries pass.
fn filtered_network(
    run: &PlannedRun,
    eval: &crate::eval::Eval,
    socket_dir: &Path,
) -> Result<(agent::proxy::Proxy, agent::Forward), String> {
    use agent::proxy::Allowed;
    let mut allowed: Vec<Allowed> = Vec::new();
    if let Some(rt) = run.agent.runtime() {
        match &rt.base_url {
            Some(url) => allowed.extend(Allowed::parse(url)),
            None => allowed.extend(
                rt.runtime
                    .default_endpoints()
                    .iter()
                    .filter_map(|e| Allowed::parse(e)),
            ),
        }
    }
    allowed.extend(
        eval.registries
            .iter()
            .chain(run.case.registries.iter())
            .filter_map(|r| Allowed::parse(r)),
    );
    let mut ports: Vec<u16> = allowed.iter().filter_map(Allowed::loopback_port).collect();
    ports.sort_unstable();
    ports.dedup();
    let socket = socket_dir.join("net.sock");
    let proxy = agent::proxy::Proxy::start(&socket, allowed)
        .map_err(|e| format!("cannot start the run's network proxy: {e}"))?;
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find skillbench's own binary for the forwarder: {e}"))?;
    Ok((proxy, agent::Forward { exe, socket, ports }))
}

/// Installs the skill where the agent finds it: in the checkout where the runtime looks for
/// project skills (kept out of the diff through `.git/info/exclude`), or beside the checkout
/// for a command agent, which is told the path.
fn install_skill(
    skill: &Skill,
    runtime: Option<&agent::RuntimeAgent>,
    scratch: &Path,
    checkout: &Path,
    lower: Option<&Path>,
) -> Result<std::path::PathBuf, String> {
    let dir = match runtime {
        Some(rt) => {
            let rel = format!("{}/{}", rt.runtime.skills_dir(), skill.name());
            let exclude = checkout.join(".git/info/exclude");
            // In an overlay room, the rules setup wrote are in the base.
            let mut text = std::fs::read_to_string(&exclude)
                .or_else(|_| match lower {
                    Some(lower) => std::fs::read_to_string(lower.join(".git/info/exclude")),
                    None => Ok(String::new()),
                })
                .unwrap_or_default();
            text.push_str(&format!(
                "\n# the skill under test, installed by skillbench\n/{rel}/\n"
            ));
            if let Some(parent) = exclude.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&exclude, text).map_err(|e| e.to_string())?;
            checkout.join(rel)
        }
        None => scratch.join("skill").join(skill.name()),
    };
    crate::fsx::copy_tree(&skill.dir, &dir)
        .map_err(|e| format!("cannot install the skill: {e}"))?;
    Ok(dir)
}

fn agent_report(
    t: &Transcript,
    rt: &agent::RuntimeAgent,
    skill: Option<&Skill>,
    variant: Variant,
    prices: Option<(f64, f64)>,
) -> AgentReport {
    // Where the runtime reports tokens but no cost, the eval's prices give it.
    let priced = match (t.cost_usd, prices, t.tokens_in, t.tokens_out) {
        (None, Some((usd_in, usd_out)), tokens_in, tokens_out)
            if tokens_in.is_some() || tokens_out.is_some() =>
        {
            Some(
                (tokens_in.unwrap_or(0) as f64 * usd_in + tokens_out.unwrap_or(0) as f64 * usd_out)
                    / 1e6,
            )
        }
        _ => None,
    };
    // Only a variant with a skill has one to open: `none` never reports an activation.
    let skill = skill.filter(|_| variant.has_skill());
    let activation = skill.and_then(|skill| {
        t.activation(
            skill.name(),
            rt.runtime.skill_tools(),
            rt.runtime.skills_dir(),
            &skill.content_marker(),
        )
    });
    AgentReport {
        skill_activated: skill.map(|_| activation.is_some()),
        skill_use: skill.map(|s| t.skill_use(s.name(), activation.as_ref())),
        activation,
        turns: t.turns,
        tool_calls: t.tool_calls(),
        tokens_in: t.tokens_in,
        tokens_out: t.tokens_out,
        cost_usd: t.cost_usd.or(priced),
        cost_priced: priced.is_some(),
        model: t.model.clone(),
        errors: t.errors().iter().map(|e| e.to_string()).collect(),
        warnings: t.warnings().iter().map(|e| e.to_string()).collect(),
        unparsed_lines: t.unparsed,
    }
}

/// Why a runtime's model endpoint failed it before its first turn, when its report shows
/// no response at all and its errors (or the end of its stderr) say the endpoint refused it
/// (401/403), failed (5xx, overloaded) or could not be reached.
fn endpoint_failure(report: Option<&AgentReport>, stderr: &Path) -> Option<String> {
    let report = report?;
    if report.turns > 0 || report.tool_calls > 0 {
        return None;
    }
    const SIGNS: [&str; 22] = [
        "401",
        "403",
        "unauthorized",
        "forbidden",
        "invalid api key",
        "invalid x-api-key",
        "authentication",
        "500",
        "502",
        "503",
        "504",
        "529",
        "overloaded",
        "internal server error",
        "bad gateway",
        "service unavailable",
        "connection refused",
        "econnrefused",
        "failed to connect",
        "error sending request",
        "fetch failed",
        "enotfound",
    ];
    let tail = crate::fsx::last_line(stderr);
    report
        .errors
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(tail.as_str()))
        .find(|e| {
            let e = e.to_ascii_lowercase();
            SIGNS.iter().any(|s| e.contains(s))
        })
        .map(str::to_string)
}

/// `: <the last error>` from the transcript, else from the end of stderr.
fn last_error(transcript: Option<&Transcript>, stderr: &Path) -> String {
    let last = transcript
        .and_then(|t| t.errors().last().map(|e| e.to_string()))
        .unwrap_or_else(|| crate::fsx::last_line(stderr));
    if last.is_empty() {
        String::new()
    } else {
        format!(": {last}")
    }
}

fn signals_record(report: &SignalsReport) -> SignalsRecord {
    match report {
        SignalsReport::Valid(s) => SignalsRecord {
            status: "valid".into(),
            detail: s.shape.note().to_string(),
            outcome: Some(s.outcome),
            confidence: Some(s.confidence),
        },
        SignalsReport::Missing => SignalsRecord {
            status: "missing".into(),
            detail: String::new(),
            outcome: None,
            confidence: None,
        },
        SignalsReport::Invalid(why) => SignalsRecord {
            status: "invalid".into(),
            detail: why.clone(),
            outcome: None,
            confidence: None,
        },
    }
}

/// What a stored prompt shows for the path of the run's room (its scratch folder).
pub const ROOM: &str = "<room>";

/// The prompt every agent gets: the task, the findings, the skill (when installed) and the
/// same closing instruction to write Agent Signals.
fn prompt(run: &PlannedRun, skill: Option<(&str, &Path)>, signals: &Path, schema: &Path) -> String {
    let mut p = String::new();
    p.push_str(run.case.task.trim());
    p.push_str("\n\n## Findings\n\n");
    for f in &run.case.findings {
        p.push_str(&format!("- {}", f.id));
        if let Some(pkg) = &f.package {
            p.push_str(&format!(" in {pkg}"));
        }
        match (&f.vulnerable, &f.fixed) {
            (Some(v), Some(x)) => p.push_str(&format!(" (vulnerable {v}, fixed in {x})")),
            (None, Some(x)) => p.push_str(&format!(" (fixed in {x})")),
            _ => {}
        }
        p.push_str(&format!(": {}", f.summary.trim()));
        if !f.locations.is_empty() {
            p.push_str(&format!(" Locations: {}.", f.locations.join(", ")));
        }
        p.push('\n');
    }
    if let Some((name, dir)) = skill {
        p.push_str(&format!(
            "\n## Skill\n\nThe skill `{name}` is installed at {}. Read its SKILL.md first and follow it.\n",
            dir.display()
        ));
    }
    p.push_str(&format!(
        "\n## When you are done\n\nWrite Agent Signals, a JSON self-assessment, to the file named by the environment variable SKILLBENCH_SIGNALS ({}), following the JSON Schema at {}: `schema` \"agent-signals/v1\", `outcome` (fixed, escalated, partial or failed), `confidence` from 0 to 1, `summary`, `what_worked`, `what_was_hard`, `skill_gaps` (section, gap, suggested_change) and `escalations` (reason, question). If the task needs a decision you cannot make, change nothing, and escalate.\n",
        signals.display(),
        schema.display()
    ));
    p
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

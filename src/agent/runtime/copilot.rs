//! GitHub Copilot CLI (`@github/copilot`), headless:
//! `copilot -p PROMPT --output-format json --allow-all-tools --allow-all-paths --no-ask-user`.
//!
//! Project skills are read from `.github/skills/` (also `.claude/skills/` and
//! `.agents/skills/`); `COPILOT_HOME` moves everything user-level (skills, instructions,
//! config, session state) into the run's config home. A base URL switches it to its
//! bring-your-own-key mode (`COPILOT_PROVIDER_BASE_URL`, OpenAI Chat Completions on the
//! wire), which needs a model and no GitHub login; `COPILOT_OFFLINE` then stops every other
//! connection. Its JSON events leave tokens out, so they are read from the usage file it
//! writes with `--usage-output-file`.

use std::path::Path;

use serde_json::Value;

use super::{RunSetup, RuntimeAgent};
use crate::agent::transcript::{Entry, Role, Transcript, text_of};

const USAGE_FILE: &str = "usage.json";

pub(super) fn command(
    agent: &RuntimeAgent,
    run: &RunSetup<'_>,
    argv: &mut Vec<String>,
    env: &mut Vec<(String, String)>,
) {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    argv.extend(
        [
            "-p",
            run.prompt,
            "--output-format",
            "json",
            "--allow-all-tools",
            "--allow-all-paths",
            "--no-ask-user",
            "--disable-builtin-mcps",
            "--no-auto-update",
        ]
        .map(String::from),
    );
    argv.extend([
        "--usage-output-file".into(),
        s(&run.config_dir.join(USAGE_FILE)),
        "--log-dir".into(),
        s(&run.config_dir.join("logs")),
    ]);
    if let Some(model) = &agent.model {
        argv.extend(["--model".into(), model.clone()]);
        env.push(("COPILOT_MODEL".into(), model.clone()));
    }
    env.push(("COPILOT_AUTO_UPDATE".into(), "false".into()));
    if let Some(url) = &agent.base_url {
        env.push(("COPILOT_PROVIDER_BASE_URL".into(), url.clone()));
        env.push(("COPILOT_OFFLINE".into(), "true".into()));
    }
}

/// The package cache shared by every run and the version probe: the CLI unpacks itself
/// (~235 MB) on first start, which should happen once, not once per fresh HOME.
pub(super) fn shared_cache() -> std::path::PathBuf {
    crate::workspace::cache_dir()
        .join("runtimes")
        .join("copilot")
}

pub(super) fn parse(stdout: &str, config_dir: &Path) -> Transcript {
    let (events, mut t) = super::events(stdout);
    for e in &events {
        let data = &e["data"];
        let turn = data["turnId"]
            .as_str()
            .and_then(|n| n.parse::<u32>().ok())
            .map_or(t.turns, |n| n + 1);
        match e["type"].as_str().unwrap_or("") {
            "user.message" => t.entries.push(Entry::Message {
                turn: 0,
                role: Role::User,
                text: text_of(&data["content"]),
            }),
            "assistant.turn_start" => t.turns += 1,
            "assistant.message" => {
                if let Some(model) = data["model"].as_str() {
                    t.model = Some(model.to_string());
                }
                let text = text_of(&data["content"]);
                if !text.is_empty() {
                    t.entries.push(Entry::Message {
                        turn,
                        role: Role::Assistant,
                        text,
                    });
                }
                for call in data["toolRequests"].as_array().into_iter().flatten() {
                    t.entries.push(Entry::ToolCall {
                        turn,
                        id: call["toolCallId"].as_str().unwrap_or("").into(),
                        name: call["name"].as_str().unwrap_or("").into(),
                        input: call["arguments"].clone(),
                    });
                }
            }
            "tool.execution_complete" => {
                let ok = data["success"].as_bool().unwrap_or(false);
                let output = if ok {
                    text_of(&data["result"]["content"])
                } else {
                    text_of(&data["error"]["message"])
                };
                t.entries.push(Entry::ToolResult {
                    turn,
                    id: data["toolCallId"].as_str().unwrap_or("").into(),
                    output,
                    is_error: !ok,
                });
            }
            "session.error" => t.entries.push(Entry::Error {
                turn,
                message: text_of(&data["message"]),
            }),
            _ => {}
        }
    }
    usage(&mut t, &config_dir.join(USAGE_FILE));
    t
}

/// Tokens summed over the models of the usage file, when there is one.
fn usage(t: &mut Transcript, file: &Path) {
    let Some(usage) = crate::fsx::read_untrusted(file, 16 * 1024 * 1024)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return;
    };
    let (mut tokens_in, mut tokens_out) = (0u64, 0u64);
    for metrics in usage["modelMetrics"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        tokens_in += metrics["usage"]["inputTokens"].as_u64().unwrap_or(0);
        tokens_out += metrics["usage"]["outputTokens"].as_u64().unwrap_or(0);
    }
    t.tokens_in = Some(tokens_in);
    t.tokens_out = Some(tokens_out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_turns_calls_results_errors_and_usage() {
        let stdout = r#"{"type":"session.skills_loaded","data":{"skills":[]}}
{"type":"user.message","data":{"content":"fix it","turnId":"0"}}
{"type":"assistant.turn_start","data":{"turnId":"0"}}
{"type":"assistant.message","data":{"model":"gpt-4.1","content":"","toolRequests":[{"toolCallId":"c1","name":"skill","arguments":{"skill":"demo"}}],"turnId":"0"}}
{"type":"tool.execution_complete","data":{"toolCallId":"c1","turnId":"0","success":true,"result":{"content":"loaded"}}}
{"type":"assistant.turn_start","data":{"turnId":"1"}}
{"type":"assistant.message","data":{"model":"gpt-4.1","content":"","toolRequests":[{"toolCallId":"c2","name":"bash","arguments":{"command":"false"}}],"turnId":"1"}}
{"type":"tool.execution_complete","data":{"toolCallId":"c2","turnId":"1","success":false,"error":{"message":"denied","code":"denied"}}}
{"type":"assistant.turn_start","data":{"turnId":"2"}}
{"type":"assistant.message","data":{"model":"gpt-4.1","content":"Done.","toolRequests":[],"turnId":"2"}}
{"type":"session.error","data":{"errorType":"query","message":"boom"}}
not json
{"type":"result","sessionId":"s","exitCode":0,"usage":{"premiumRequests":0}}
"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(USAGE_FILE),
            r#"{"modelMetrics":{"a":{"usage":{"inputTokens":100,"outputTokens":7}},"b":{"usage":{"inputTokens":20,"outputTokens":3}}}}"#,
        )
        .unwrap();
        let t = parse(stdout, dir.path());
        assert_eq!(t.turns, 3);
        assert_eq!(t.unparsed, 1);
        assert_eq!((t.tokens_in, t.tokens_out), (Some(120), Some(10)));
        assert_eq!(t.model.as_deref(), Some("gpt-4.1"));
        assert_eq!(t.tool_calls(), 2);
        assert_eq!(t.errors(), ["boom"]);
        assert!(t.entries.contains(&Entry::ToolResult {
            turn: 2,
            id: "c2".into(),
            output: "denied".into(),
            is_error: true
        }));
        assert!(t.entries.contains(&Entry::Message {
            turn: 3,
            role: Role::Assistant,
            text: "Done.".into()
        }));
        let a = t
            .activation("demo", &["skill"], ".github/skills", "")
            .unwrap();
        assert_eq!(a.turn, 1);
    }
}

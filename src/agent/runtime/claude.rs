//! Claude Code (`@anthropic-ai/claude-code`), headless:
//! `claude -p PROMPT --output-format stream-json --verbose --permission-mode bypassPermissions`.
//!
//! Project skills are read from `.claude/skills/` and offered to the model through its
//! `Skill` tool. `CLAUDE_CONFIG_DIR` stands in for `~/.claude` (user skills, CLAUDE.md,
//! settings, hooks, session history), and `--setting-sources project` keeps even that empty
//! config home out. Bypassing permissions is what lets it edit and run commands unattended;
//! as root it accepts that only with `IS_SANDBOX=1`. Non-essential traffic (telemetry, update
//! checks) is switched off so the model endpoint is its only connection; `ANTHROPIC_BASE_URL`
//! points it at a gateway or a test server. Its stream-json gives every message, tool call
//! and result, and a final `result` with the turns, the usage and the cost.

use super::{RunSetup, RuntimeAgent};
use crate::agent::transcript::{Entry, Role, Transcript, text_of};

pub(super) fn command(
    agent: &RuntimeAgent,
    run: &RunSetup<'_>,
    argv: &mut Vec<String>,
    env: &mut Vec<(String, String)>,
) {
    argv.extend(["-p".to_string(), run.prompt.to_string()]);
    argv.extend(
        [
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "bypassPermissions",
            "--setting-sources",
            "project",
            "--no-session-persistence",
        ]
        .map(String::from),
    );
    if let Some(model) = &agent.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    env.extend(
        [
            ("IS_SANDBOX", "1"),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            ("DISABLE_AUTOUPDATER", "1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    if let Some(url) = &agent.base_url {
        env.push(("ANTHROPIC_BASE_URL".into(), url.clone()));
    }
}

pub(super) fn parse(stdout: &str) -> Transcript {
    let (events, mut t) = super::events(stdout);
    // Each model response is streamed as one line per content block, under one message id.
    let mut message_ids: Vec<String> = Vec::new();
    let mut reported_turns = None;
    for e in &events {
        let turn = message_ids.len() as u32;
        match e["type"].as_str().unwrap_or("") {
            "system" if e["subtype"] == "init" => {
                t.model = e["model"].as_str().map(str::to_string);
            }
            "assistant" => {
                let message = &e["message"];
                let id = message["id"].as_str().unwrap_or("").to_string();
                if message_ids.last() != Some(&id) {
                    message_ids.push(id);
                }
                let turn = message_ids.len() as u32;
                let api_error = e["isApiErrorMessage"] == true || e["is_api_error_message"] == true;
                for block in message["content"].as_array().into_iter().flatten() {
                    match block["type"].as_str().unwrap_or("") {
                        "text" if api_error => t.entries.push(Entry::Error {
                            turn,
                            message: text_of(&block["text"]),
                        }),
                        "text" => t.entries.push(Entry::Message {
                            turn,
                            role: Role::Assistant,
                            text: text_of(&block["text"]),
                        }),
                        "tool_use" => t.entries.push(Entry::ToolCall {
                            turn,
                            id: block["id"].as_str().unwrap_or("").into(),
                            name: block["name"].as_str().unwrap_or("").into(),
                            input: block["input"].clone(),
                        }),
                        _ => {}
                    }
                }
            }
            "user" => {
                for block in e["message"]["content"].as_array().into_iter().flatten() {
                    if block["type"] == "tool_result" {
                        t.entries.push(Entry::ToolResult {
                            turn,
                            id: block["tool_use_id"].as_str().unwrap_or("").into(),
                            output: text_of(&block["content"]),
                            is_error: block["is_error"] == true,
                        });
                    }
                }
            }
            "result" => {
                reported_turns = e["num_turns"].as_u64().and_then(|n| u32::try_from(n).ok());
                let usage = &e["usage"];
                let input = [
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                ]
                .iter()
                .filter_map(|k| usage[*k].as_u64())
                .reduce(|a, b| a + b);
                t.tokens_in = input;
                t.tokens_out = usage["output_tokens"].as_u64();
                t.cost_usd = e["total_cost_usd"].as_f64();
                if e["is_error"] == true {
                    let message = text_of(&e["result"]);
                    let already = t.errors().last().is_some_and(|last| *last == message);
                    if !already {
                        t.entries.push(Entry::Error {
                            turn,
                            message: if message.is_empty() {
                                format!("the run ended with {}", text_of(&e["subtype"]))
                            } else {
                                message
                            },
                        });
                    }
                }
            }
            _ => {}
        }
    }
    t.turns = reported_turns.unwrap_or(message_ids.len() as u32);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_by_message_results_and_the_final_usage() {
        let stdout = r#"{"type":"system","subtype":"init","model":"m-1","skills":["demo"]}
{"type":"assistant","message":{"id":"msg_1","content":[{"type":"text","text":"Using the skill."}]}}
{"type":"assistant","message":{"id":"msg_1","content":[{"type":"tool_use","id":"t1","name":"Skill","input":{"skill":"demo"}}]}}
{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"Launching skill: demo"}]}}
{"type":"user","isSynthetic":true,"message":{"content":[{"type":"text","text":"Base directory for this skill: /x"}]}}
{"type":"assistant","message":{"id":"msg_2","content":[{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"false"}}]}}
{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"Exit code 1"}],"is_error":true}]}}
{"type":"assistant","message":{"id":"msg_3","content":[{"type":"text","text":"Done."}]}}
{"type":"result","subtype":"success","is_error":false,"num_turns":4,"total_cost_usd":0.0045,"usage":{"input_tokens":300,"cache_read_input_tokens":20,"output_tokens":75}}
"#;
        let t = parse(stdout);
        assert_eq!(t.turns, 4);
        assert_eq!(t.model.as_deref(), Some("m-1"));
        assert_eq!((t.tokens_in, t.tokens_out), (Some(320), Some(75)));
        assert_eq!(t.cost_usd, Some(0.0045));
        assert!(t.errors().is_empty());
        assert_eq!(t.tool_calls(), 2);
        assert!(t.entries.contains(&Entry::ToolResult {
            turn: 2,
            id: "t2".into(),
            output: "Exit code 1".into(),
            is_error: true
        }));
        let a = t.activation("demo", &["Skill"], ".claude/skills").unwrap();
        assert_eq!((a.turn, a.how.as_str()), (1, "skill_tool"));
    }

    #[test]
    fn an_api_error_is_an_error_once() {
        let stdout = r#"{"type":"assistant","isApiErrorMessage":true,"message":{"id":"e","content":[{"type":"text","text":"API Error: 500 boom"}]}}
{"type":"result","subtype":"success","is_error":true,"result":"API Error: 500 boom","num_turns":1,"usage":{}}
"#;
        let t = parse(stdout);
        assert_eq!(t.errors(), ["API Error: 500 boom"]);
        assert_eq!(t.tokens_in, None);
    }
}

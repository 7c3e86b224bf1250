//! Claude Code (`@anthropic-ai/claude-code`), headless:
//! `claude -p PROMPT --output-format stream-json --verbose --include-partial-messages
//! --permission-mode bypassPermissions`.
//!
//! Project skills are read from `.claude/skills/` and offered to the model through its
//! `Skill` tool. `CLAUDE_CONFIG_DIR` stands in for `~/.claude` (user skills, CLAUDE.md,
//! settings, hooks, session history), and `--setting-sources project` keeps even that empty
//! config home out. Bypassing permissions is what lets it edit and run commands unattended;
//! as root it accepts that only with `IS_SANDBOX=1`. Non-essential traffic (telemetry, update
//! checks) is switched off so the model endpoint is its only connection; `ANTHROPIC_BASE_URL`
//! points it at a gateway or a test server. Its stream-json gives every message, tool call
//! and result, and a final `result` with the usage and the cost; the API's own stream events
//! (`--include-partial-messages`) give each response's usage, which is what a run cut off
//! before its `result` reports. Endpoint retries (`api_retry`) are errors of the run.

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
            // The API's own stream events too: each response's final usage (its
            // `message_delta`) is what a run cut off before its `result` still reports.
            "--include-partial-messages",
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
    // Each response's usage, as streamed with it: what a run that never reached its final
    // `result` (a timeout) still reports.
    // By message id: (input, output).
    let mut streamed: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    // The id of the response the API is streaming (its `message_start`).
    let mut streaming = String::new();
    for e in &events {
        let turn = message_ids.len() as u32;
        match e["type"].as_str().unwrap_or("") {
            "system" if e["subtype"] == "init" => {
                t.model = e["model"].as_str().map(str::to_string);
                t.offered_skills = e["skills"].as_array().map(|skills| {
                    skills
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                });
            }
            // Claude Code retries a failing endpoint (401s included) for minutes: each
            // retry is an error of the run, which is what shows a dead endpoint.
            "system" if e["subtype"] == "api_retry" => {
                t.entries.push(Entry::Error {
                    turn,
                    message: format!(
                        "API error {} ({}), retry {} of {}",
                        e["error_status"],
                        text_of(&e["error"]),
                        e["attempt"],
                        e["max_retries"]
                    ),
                });
            }
            // Of the API's stream, only each response's usage is read: its final output
            // count comes in its `message_delta`.
            "stream_event" => {
                let event = &e["event"];
                match event["type"].as_str().unwrap_or("") {
                    "message_start" => {
                        let message = &event["message"];
                        streaming = message["id"].as_str().unwrap_or("").to_string();
                        merge_usage(
                            streamed.entry(streaming.clone()).or_default(),
                            &message["usage"],
                        );
                    }
                    "message_delta" => {
                        merge_usage(
                            streamed.entry(streaming.clone()).or_default(),
                            &event["usage"],
                        );
                    }
                    _ => {}
                }
            }
            "assistant" => {
                let message = &e["message"];
                let id = message["id"].as_str().unwrap_or("").to_string();
                let api_error = e["isApiErrorMessage"] == true || e["is_api_error_message"] == true;
                // An API error Claude Code shows as a message is no response of the model.
                if !api_error {
                    merge_usage(streamed.entry(id.clone()).or_default(), &message["usage"]);
                    if message_ids.last() != Some(&id) {
                        message_ids.push(id);
                    }
                }
                let turn = message_ids.len() as u32;
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
                let usage = &e["usage"];
                t.tokens_in = input_tokens(usage);
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
    // Turns are the model's responses, counted the same way in every variant: Claude
    // Code's own `num_turns` also counts the messages a skill's activation injects.
    t.turns = message_ids.len() as u32;
    if t.tokens_in.is_none() && t.tokens_out.is_none() && streamed.values().any(|u| *u != (0, 0)) {
        t.tokens_in = Some(streamed.values().map(|u| u.0).sum());
        t.tokens_out = Some(streamed.values().map(|u| u.1).sum());
    }
    t
}

/// A response's usage so far, updated with `usage` (a later report of the same response):
/// each count only grows.
fn merge_usage(so_far: &mut (u64, u64), usage: &serde_json::Value) {
    if let Some(input) = input_tokens(usage) {
        so_far.0 = so_far.0.max(input);
    }
    if let Some(output) = usage["output_tokens"].as_u64() {
        so_far.1 = so_far.1.max(output);
    }
}

/// The input tokens of a usage object: fresh, cache-written and cache-read together.
fn input_tokens(usage: &serde_json::Value) -> Option<u64> {
    [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ]
    .iter()
    .filter_map(|k| usage[*k].as_u64())
    .reduce(|a, b| a + b)
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
        assert_eq!(t.turns, 3, "three responses, whatever num_turns counts");
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
        let a = t
            .activation("demo", &["Skill"], ".claude/skills", "")
            .unwrap();
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
        assert_eq!(t.turns, 0, "an API error is no turn of the model");
    }

    #[test]
    fn the_final_output_count_comes_from_the_apis_message_delta() {
        let stdout = r#"{"type":"stream_event","event":{"type":"message_start","message":{"id":"m1","usage":{"input_tokens":100,"output_tokens":1}}}}
{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}}
{"type":"stream_event","event":{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":20}}}
{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"output_tokens":1},"content":[{"type":"tool_use","id":"t","name":"Bash","input":{}}]}}
{"type":"stream_event","event":{"type":"message_start","message":{"id":"m2","usage":{"input_tokens":150,"output_tokens":1}}}}
"#;
        let t = parse(stdout);
        assert_eq!(t.turns, 1, "m2 never produced a message");
        assert_eq!((t.tokens_in, t.tokens_out), (Some(250), Some(21)));
    }

    #[test]
    fn endpoint_retries_are_errors() {
        let stdout = r#"{"type":"system","subtype":"init","model":"m"}
{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":618,"error_status":401,"error":"authentication_failed"}
"#;
        let t = parse(stdout);
        assert_eq!(
            t.errors(),
            ["API error 401 (authentication_failed), retry 1 of 10"]
        );
        assert_eq!(t.turns, 0);
    }

    #[test]
    fn a_run_cut_off_before_its_result_keeps_its_streamed_usage() {
        let stdout = r#"{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"cache_read_input_tokens":10,"output_tokens":5},"content":[{"type":"text","text":"a"}]}}
{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"cache_read_input_tokens":10,"output_tokens":7},"content":[{"type":"tool_use","id":"t","name":"Bash","input":{}}]}}
{"type":"assistant","message":{"id":"m2","usage":{"input_tokens":200,"output_tokens":3},"content":[{"type":"text","text":"b"}]}}
"#;
        let t = parse(stdout);
        assert_eq!(t.turns, 2);
        assert_eq!((t.tokens_in, t.tokens_out), (Some(310), Some(10)));
    }
}

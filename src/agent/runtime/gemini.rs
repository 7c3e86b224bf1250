//! Gemini CLI (`@google/gemini-cli`), headless:
//! `gemini -p PROMPT --output-format stream-json --approval-mode yolo --skip-trust`.
//!
//! Project skills are read from `.gemini/skills/` (and `.agents/skills/`) of a trusted
//! folder, hence `--skip-trust`, and activated through its `activate_skill` tool.
//! `GEMINI_CLI_HOME` moves `~/.gemini` (settings, GEMINI.md, skills, history) and
//! `~/.agents/skills` into the run's config home, where skillbench writes the settings a
//! headless run needs: API-key auth (a base URL alone would select an auth type headless mode
//! refuses), no usage statistics, no telemetry, no auto-update. `GOOGLE_GEMINI_BASE_URL`
//! points it at a gateway or a test server. Its stream-json streams assistant text in deltas,
//! which are joined per model response; turns are counted from responses, tokens come from
//! the final `result`'s stats.

use super::{RunSetup, RuntimeAgent};
use crate::agent::transcript::{Entry, Role, Transcript, text_of};

pub(super) fn prepare(agent: &RuntimeAgent, run: &RunSetup<'_>) -> std::io::Result<()> {
    let mut settings = serde_json::json!({
        "privacy": {"usageStatisticsEnabled": false},
        "telemetry": {"enabled": false},
        "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
    });
    if agent.credentials.iter().any(|c| c == "GEMINI_API_KEY") {
        settings["security"] = serde_json::json!({"auth": {"selectedType": "gemini-api-key"}});
    }
    let dir = run.config_dir.join(".gemini");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("settings.json"),
        serde_json::to_string_pretty(&settings).unwrap_or_default(),
    )
}

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
            "--approval-mode",
            "yolo",
            "--skip-trust",
        ]
        .map(String::from),
    );
    if let Some(model) = &agent.model {
        argv.extend(["-m".into(), model.clone()]);
    }
    env.push(("GEMINI_CLI_NO_RELAUNCH".into(), "true".into()));
    if let Some(url) = &agent.base_url {
        env.push(("GOOGLE_GEMINI_BASE_URL".into(), url.clone()));
    }
}

pub(super) fn parse(stdout: &str) -> Transcript {
    let (events, mut t) = super::events(stdout);
    // A model response is a run of assistant deltas and tool calls; a tool result ends it.
    let mut turn = 0u32;
    let mut in_response = false;
    let start = |turn: &mut u32, in_response: &mut bool| {
        if !*in_response {
            *turn += 1;
            *in_response = true;
        }
    };
    for e in &events {
        match e["type"].as_str().unwrap_or("") {
            "init" => t.model = e["model"].as_str().map(str::to_string),
            "message" if e["role"] == "assistant" => {
                start(&mut turn, &mut in_response);
                let piece = text_of(&e["content"]);
                match t.entries.last_mut() {
                    Some(Entry::Message {
                        turn: last,
                        role: Role::Assistant,
                        text,
                    }) if *last == turn && e["delta"] == true => text.push_str(&piece),
                    _ => t.entries.push(Entry::Message {
                        turn,
                        role: Role::Assistant,
                        text: piece,
                    }),
                }
            }
            "message" => t.entries.push(Entry::Message {
                turn,
                role: Role::User,
                text: text_of(&e["content"]),
            }),
            "tool_use" => {
                start(&mut turn, &mut in_response);
                t.entries.push(Entry::ToolCall {
                    turn,
                    id: e["tool_id"].as_str().unwrap_or("").into(),
                    name: e["tool_name"].as_str().unwrap_or("").into(),
                    input: e["parameters"].clone(),
                });
            }
            "tool_result" => {
                in_response = false;
                let ok = e["status"] == "success";
                t.entries.push(Entry::ToolResult {
                    turn,
                    id: e["tool_id"].as_str().unwrap_or("").into(),
                    output: if ok {
                        text_of(&e["output"])
                    } else {
                        text_of(&e["error"]["message"])
                    },
                    is_error: !ok,
                });
            }
            "error" => t.entries.push(Entry::Error {
                turn,
                message: text_of(&e["message"]),
            }),
            "result" => {
                let stats = &e["stats"];
                t.tokens_in = stats["input_tokens"].as_u64();
                t.tokens_out = stats["output_tokens"].as_u64();
                if e["status"] != "success" {
                    t.entries.push(Entry::Error {
                        turn,
                        message: text_of(&e["error"]["message"]),
                    });
                }
            }
            _ => {}
        }
    }
    t.turns = turn;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_deltas_per_response_and_reads_the_stats() {
        let stdout = r#"{"type":"init","session_id":"s","model":"gemini-x"}
{"type":"message","role":"user","content":"fix it"}
{"type":"tool_use","tool_name":"activate_skill","tool_id":"a1","parameters":{"name":"demo"}}
{"type":"tool_result","tool_id":"a1","status":"success","output":"activated"}
{"type":"message","role":"assistant","content":"Reading ","delta":true}
{"type":"message","role":"assistant","content":"the file.","delta":true}
{"type":"tool_use","tool_name":"run_shell_command","tool_id":"r1","parameters":{"command":"false"}}
{"type":"tool_result","tool_id":"r1","status":"error","error":{"type":"x","message":"failed"}}
{"type":"message","role":"assistant","content":"Done.","delta":true}
{"type":"result","status":"success","stats":{"input_tokens":500,"output_tokens":50}}
"#;
        let t = parse(stdout);
        assert_eq!(t.turns, 3);
        assert_eq!(t.model.as_deref(), Some("gemini-x"));
        assert_eq!((t.tokens_in, t.tokens_out), (Some(500), Some(50)));
        assert!(t.entries.contains(&Entry::Message {
            turn: 2,
            role: Role::Assistant,
            text: "Reading the file.".into()
        }));
        assert!(t.entries.contains(&Entry::ToolResult {
            turn: 2,
            id: "r1".into(),
            output: "failed".into(),
            is_error: true
        }));
        let a = t
            .activation("demo", &["activate_skill"], ".gemini/skills", "")
            .unwrap();
        assert_eq!(a.turn, 1);
    }
}

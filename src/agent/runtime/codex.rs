//! OpenAI Codex CLI (`@openai/codex`), headless: `codex exec --json … PROMPT`.
//!
//! Project skills are read from `.agents/skills/` (cwd up to the git root); `CODEX_HOME`
//! moves its user configuration, skills and AGENTS.md into the run's config home (it still
//! reads `~/.agents/skills`, which is the run's fresh HOME). It runs with approvals off and
//! its own sandbox off (`danger-full-access`): what contains it is skillbench's sandbox.
//! Plugins and analytics are disabled so it makes no connection but the model's, and the
//! credentials are kept out of the commands the model runs. A base URL is declared as a
//! custom provider speaking the Responses API. Its JSON Lines give messages, commands and
//! file changes (but not the model's turns, which are counted from its items) and the
//! turn's summed usage.

use serde_json::{Value, json};

use super::{RunSetup, RuntimeAgent};
use crate::agent::transcript::{Entry, Role, Transcript, text_of};

/// The provider id skillbench declares for a base URL.
const PROVIDER: &str = "skillbench";

pub(super) fn command(
    agent: &RuntimeAgent,
    run: &RunSetup<'_>,
    argv: &mut Vec<String>,
    _env: &mut Vec<(String, String)>,
) {
    argv.extend(
        [
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--ephemeral",
            "--sandbox",
            "danger-full-access",
            "--disable",
            "plugins",
            "-c",
            "analytics.enabled=false",
        ]
        .map(String::from),
    );
    argv.extend(["-C".into(), run.checkout.to_string_lossy().into_owned()]);
    if !agent.credentials.is_empty() {
        argv.extend([
            "-c".into(),
            format!(
                "shell_environment_policy.exclude={}",
                toml_strings(&agent.credentials)
            ),
        ]);
    }
    if let Some(model) = &agent.model {
        argv.extend(["-m".into(), model.clone()]);
    }
    if let Some(url) = &agent.base_url {
        let key = agent
            .credentials
            .first()
            .map(|k| format!(", env_key={}", toml_string(k)))
            .unwrap_or_default();
        argv.extend([
            "-c".into(),
            format!("model_provider={PROVIDER}"),
            "-c".into(),
            format!(
                "model_providers.{PROVIDER}={{name={}, base_url={}{key}, wire_api=\"responses\"}}",
                toml_string(PROVIDER),
                toml_string(url)
            ),
        ]);
    }
    argv.push(run.prompt.to_string());
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_strings(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// Codex reports some notices as error items although it carries on: a model it has no
/// metadata for ("Defaulting to fallback metadata"). Those are warnings.
fn error_or_notice(turn: u32, message: String) -> Entry {
    if message.contains("fallback metadata") || message.contains("fallback model metadata") {
        Entry::Warning { turn, message }
    } else {
        Entry::Error { turn, message }
    }
}

pub(super) fn parse(stdout: &str) -> Transcript {
    let (events, mut t) = super::events(stdout);
    // Codex does not report its model calls: a turn is counted for each tool-using item and
    // for the final message.
    let mut turn = 0u32;
    let (mut tokens_in, mut tokens_out, mut usage_seen) = (0u64, 0u64, false);
    for e in &events {
        match e["type"].as_str().unwrap_or("") {
            "item.completed" => {
                let item = &e["item"];
                let id = item["id"].as_str().unwrap_or("").to_string();
                match item["type"].as_str().unwrap_or("") {
                    "agent_message" => {
                        turn += 1;
                        t.entries.push(Entry::Message {
                            turn,
                            role: Role::Assistant,
                            text: text_of(&item["text"]),
                        });
                    }
                    "command_execution" => {
                        turn += 1;
                        t.entries.push(Entry::ToolCall {
                            turn,
                            id: id.clone(),
                            name: "exec_command".into(),
                            input: json!({ "command": item["command"] }),
                        });
                        t.entries.push(Entry::ToolResult {
                            turn,
                            id,
                            output: text_of(&item["aggregated_output"]),
                            is_error: item["exit_code"].as_i64() != Some(0),
                        });
                    }
                    "file_change" => {
                        turn += 1;
                        t.entries.push(Entry::ToolCall {
                            turn,
                            id: id.clone(),
                            name: "apply_patch".into(),
                            input: json!({ "changes": item["changes"] }),
                        });
                        t.entries.push(Entry::ToolResult {
                            turn,
                            id,
                            output: item["status"].as_str().unwrap_or("").into(),
                            is_error: item["status"] != "completed",
                        });
                    }
                    "mcp_tool_call" | "web_search" => {
                        turn += 1;
                        t.entries.push(Entry::ToolCall {
                            turn,
                            id,
                            name: item["type"].as_str().unwrap_or("").into(),
                            input: item.clone(),
                        });
                    }
                    "error" => t
                        .entries
                        .push(error_or_notice(turn, text_of(&item["message"]))),
                    _ => {}
                }
            }
            "turn.completed" => {
                let usage: &Value = &e["usage"];
                tokens_in += usage["input_tokens"].as_u64().unwrap_or(0);
                tokens_out += usage["output_tokens"].as_u64().unwrap_or(0);
                usage_seen = true;
            }
            "turn.failed" => t.entries.push(Entry::Error {
                turn,
                message: text_of(&e["error"]["message"]),
            }),
            "error" => t
                .entries
                .push(error_or_notice(turn, text_of(&e["message"]))),
            _ => {}
        }
    }
    t.turns = turn;
    if usage_seen {
        t.tokens_in = Some(tokens_in);
        t.tokens_out = Some(tokens_out);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_items_usage_and_failures() {
        let stdout = r#"{"type":"thread.started","thread_id":"t"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"Planning."}}
{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'cat .agents/skills/demo/SKILL.md'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'cat .agents/skills/demo/SKILL.md'","aggregated_output":"---\nname: demo\n","exit_code":0,"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"/r/a.py","kind":"update"}],"status":"completed"}}
{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}
{"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"Done."}}
{"type":"turn.completed","usage":{"input_tokens":4010,"cached_input_tokens":800,"output_tokens":210}}
{"type":"error","message":"Reconnecting... 1/5"}
{"type":"item.completed","item":{"id":"item_5","type":"error","message":"Model metadata for `gpt-5.5` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}
"#;
        let t = parse(stdout);
        assert_eq!(t.turns, 4);
        assert_eq!((t.tokens_in, t.tokens_out), (Some(4010), Some(210)));
        assert_eq!(t.tool_calls(), 3);
        assert_eq!(t.errors(), ["Reconnecting... 1/5"], "a notice is no error");
        assert_eq!(t.warnings().len(), 1);
        assert!(t.entries.contains(&Entry::ToolResult {
            turn: 3,
            id: "item_3".into(),
            output: String::new(),
            is_error: true
        }));
        let a = t
            .activation("demo", &[], ".agents/skills", "name: demo")
            .unwrap();
        assert_eq!((a.turn, a.how.as_str()), (1, "read_skill_md"));
    }

    #[test]
    fn declares_a_base_url_as_a_responses_provider() {
        let agent = RuntimeAgent {
            base_url: Some("http://127.0.0.1:9/v1".into()),
            model: Some("gpt-5.5".into()),
            credentials: vec!["LOCAL_KEY".into()],
            ..RuntimeAgent::default_for(super::super::Runtime::Codex)
        };
        let dir = std::path::Path::new("/c");
        let (argv, _) = agent.command(&RunSetup {
            binary: std::path::Path::new("codex"),
            checkout: dir,
            prompt: "do it",
            config_dir: dir,
        });
        let joined = argv.join(" ");
        assert!(joined.contains(
            r#"model_providers.skillbench={name="skillbench", base_url="http://127.0.0.1:9/v1", env_key="LOCAL_KEY", wire_api="responses"}"#
        ), "{joined}");
        assert!(joined.contains(r#"shell_environment_policy.exclude=["LOCAL_KEY"]"#));
        assert_eq!(argv.last().map(String::as_str), Some("do it"));
    }
}

//! The normalized transcript of an agent runtime's run, and what is read off it.
//!
//! Each runtime adapter turns its own output (Claude Code's and Gemini CLI's stream-json,
//! Codex's JSON Lines events, Copilot's JSON events) into one [`Transcript`]: messages, tool
//! calls and their results, and errors, each tagged with the model turn it came from, plus
//! the usage the runtime reported. [`Transcript::activation`] finds when the skill under test
//! was activated. It is stored with the run as `transcript.jsonl`, one entry per line.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One thing that happened in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    Message {
        turn: u32,
        role: Role,
        text: String,
    },
    ToolCall {
        turn: u32,
        id: String,
        name: String,
        input: serde_json::Value,
    },
    ToolResult {
        turn: u32,
        id: String,
        output: String,
        is_error: bool,
    },
    Error {
        turn: u32,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// A parsed run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    /// Model turns (responses), as the runtime reports them or as counted.
    pub turns: u32,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub cost_usd: Option<f64>,
    /// The model the runtime says it used.
    pub model: Option<String>,
    /// Lines of the runtime's output that were not understood (kept so a format change is
    /// visible, not silent).
    pub unparsed: usize,
}

/// When the skill under test was activated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Activation {
    /// The model turn of the activating tool call (1 is the first response).
    pub turn: u32,
    /// The tool call: the runtime's skill tool, or a read of the installed SKILL.md.
    pub tool: String,
    /// How it was recognized: `skill_tool` or `read_skill_md`.
    pub how: String,
}

impl Transcript {
    /// The first tool call that activated skill `name`: a call of one of `skill_tools`
    /// naming it, or any call whose input mentions `<skills_dir>/<name>/SKILL.md`.
    pub fn activation(
        &self,
        name: &str,
        skill_tools: &[&str],
        skills_dir: &str,
    ) -> Option<Activation> {
        let path = format!("{skills_dir}/{name}/SKILL.md");
        self.entries.iter().find_map(|e| {
            let Entry::ToolCall {
                turn,
                name: tool,
                input,
                ..
            } = e
            else {
                return None;
            };
            let how = if skill_tools.contains(&tool.as_str()) && names_skill(input, name) {
                "skill_tool"
            } else if input.to_string().contains(&path) {
                "read_skill_md"
            } else {
                return None;
            };
            Some(Activation {
                turn: *turn,
                tool: tool.clone(),
                how: how.into(),
            })
        })
    }

    /// The transcript as JSON Lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            if let Ok(line) = serde_json::to_string(e) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    pub fn tool_calls(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e, Entry::ToolCall { .. }))
            .count()
    }

    pub fn errors(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Error { message, .. } => Some(message.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Whether a skill tool's input names skill `name`, as the whole value of a string field
/// (`{"skill": "x"}`, `{"name": "x"}`) or as a path ending in it.
fn names_skill(input: &serde_json::Value, name: &str) -> bool {
    match input {
        serde_json::Value::String(s) => {
            s == name || s.trim_end_matches('/').rsplit('/').next() == Some(name)
        }
        serde_json::Value::Object(map) => map.values().any(|v| names_skill(v, name)),
        serde_json::Value::Array(items) => items.iter().any(|v| names_skill(v, name)),
        _ => false,
    }
}

/// Text of a JSON value that is either a string or an array of `{type: text, text}` blocks.
pub fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|b| {
                b.get("text")
                    .and_then(|t| t.as_str())
                    .or_else(|| b.as_str())
                    .map(str::to_string)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(turn: u32, name: &str, input: serde_json::Value) -> Entry {
        Entry::ToolCall {
            turn,
            id: format!("c{turn}"),
            name: name.into(),
            input,
        }
    }

    #[test]
    fn activation_by_skill_tool_or_by_reading_skill_md() {
        let t = Transcript {
            entries: vec![
                call(1, "Skill", json!({"skill": "other-skill"})),
                call(2, "Read", json!({"file_path": "/x/README.md"})),
                call(3, "Skill", json!({"skill": "pyyaml-safe-load"})),
            ],
            ..Transcript::default()
        };
        let a = t
            .activation("pyyaml-safe-load", &["Skill"], ".claude/skills")
            .unwrap();
        assert_eq!((a.turn, a.how.as_str()), (3, "skill_tool"));

        let t = Transcript {
            entries: vec![call(
                2,
                "shell",
                json!({"command": ["cat", ".agents/skills/pyyaml-safe-load/SKILL.md"]}),
            )],
            ..Transcript::default()
        };
        let a = t
            .activation("pyyaml-safe-load", &[], ".agents/skills")
            .unwrap();
        assert_eq!(
            (a.turn, a.tool.as_str(), a.how.as_str()),
            (2, "shell", "read_skill_md")
        );
        assert!(t.activation("other", &[], ".agents/skills").is_none());
        assert!(
            t.activation("pyyaml-safe-load", &[], ".claude/skills")
                .is_none()
        );
    }
}

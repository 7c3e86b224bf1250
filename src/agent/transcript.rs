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
    /// A notice the runtime printed that did not stop it (Codex's fallback model metadata):
    /// kept, never counted as an error.
    Warning {
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
    /// The skills the runtime says it offered the model, where it says (Claude Code's
    /// `init` event); `None` when the runtime does not show it.
    pub offered_skills: Option<Vec<String>>,
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

/// Whether the skill's content reached the model, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillUse {
    /// Opened before the agent did anything else.
    Activated,
    /// Opened, but only after the agent had started working without it.
    ActivatedLate,
    /// Installed where the runtime looks (and listed, where the runtime shows its offer),
    /// never opened.
    OfferedNotOpened,
    /// The runtime shows what it offered, and the skill was not among it.
    NotOffered,
}

impl Transcript {
    /// The first tool call whose result brought skill `name`'s content to the model: a
    /// successful call of one of `skill_tools` naming it, or a successful call that names
    /// `<skills_dir>/<name>/SKILL.md` and whose output holds `content` (a line of the
    /// skill's body). A failed call, a call with no result, or a call that only names the
    /// file (`test -f …/SKILL.md`) is no activation.
    pub fn activation(
        &self,
        name: &str,
        skill_tools: &[&str],
        skills_dir: &str,
        content: &str,
    ) -> Option<Activation> {
        let path = format!("{skills_dir}/{name}/SKILL.md");
        let result = |call: &str| {
            self.entries.iter().find_map(|e| match e {
                Entry::ToolResult {
                    id,
                    output,
                    is_error: false,
                    ..
                } if id == call => Some(output.as_str()),
                _ => None,
            })
        };
        self.entries.iter().find_map(|e| {
            let Entry::ToolCall {
                turn,
                id,
                name: tool,
                input,
            } = e
            else {
                return None;
            };
            let output = result(id)?;
            let how = if skill_tools.contains(&tool.as_str()) && names_skill(input, name) {
                "skill_tool"
            } else if input.to_string().contains(&path)
                && !content.is_empty()
                && output.contains(content)
            {
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

    /// How the skill `name` was used, given its activation: late when other tool calls
    /// came before it; not offered when the runtime lists what it offered without it.
    pub fn skill_use(&self, name: &str, activation: Option<&Activation>) -> SkillUse {
        let offered = self
            .offered_skills
            .as_ref()
            .is_none_or(|skills| skills.iter().any(|s| s == name));
        match activation {
            Some(a) => {
                let work_before = self
                    .entries
                    .iter()
                    .any(|e| matches!(e, Entry::ToolCall { turn, .. } if *turn < a.turn));
                if work_before {
                    SkillUse::ActivatedLate
                } else {
                    SkillUse::Activated
                }
            }
            None if offered => SkillUse::OfferedNotOpened,
            None => SkillUse::NotOffered,
        }
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

    /// The runtime's notices that did not stop it.
    pub fn warnings(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Warning { message, .. } => Some(message.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The errors the runtime reported.
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

    fn result(turn: u32, output: &str, is_error: bool) -> Entry {
        Entry::ToolResult {
            turn,
            id: format!("c{turn}"),
            output: output.into(),
            is_error,
        }
    }

    const BODY: &str = "# Replace yaml.load with safe_load";

    #[test]
    fn activation_by_skill_tool_or_by_reading_skill_md() {
        let t = Transcript {
            entries: vec![
                call(1, "Skill", json!({"skill": "other-skill"})),
                result(1, "Launching skill: other-skill", false),
                call(2, "Read", json!({"file_path": "/x/README.md"})),
                result(2, "readme", false),
                call(3, "Skill", json!({"skill": "pyyaml-safe-load"})),
                result(3, "Launching skill: pyyaml-safe-load", false),
            ],
            ..Transcript::default()
        };
        let a = t
            .activation("pyyaml-safe-load", &["Skill"], ".claude/skills", BODY)
            .unwrap();
        assert_eq!((a.turn, a.how.as_str()), (3, "skill_tool"));
        assert_eq!(
            t.skill_use("pyyaml-safe-load", Some(&a)),
            SkillUse::ActivatedLate
        );

        let t = Transcript {
            entries: vec![
                call(
                    2,
                    "shell",
                    json!({"command": ["cat", ".agents/skills/pyyaml-safe-load/SKILL.md"]}),
                ),
                result(2, &format!("---\nname: x\n---\n{BODY}\n"), false),
            ],
            ..Transcript::default()
        };
        let a = t
            .activation("pyyaml-safe-load", &[], ".agents/skills", BODY)
            .unwrap();
        assert_eq!(
            (a.turn, a.tool.as_str(), a.how.as_str()),
            (2, "shell", "read_skill_md")
        );
        assert_eq!(
            t.skill_use("pyyaml-safe-load", Some(&a)),
            SkillUse::Activated
        );
        assert!(t.activation("other", &[], ".agents/skills", BODY).is_none());
        assert!(
            t.activation("pyyaml-safe-load", &[], ".claude/skills", BODY)
                .is_none()
        );
    }

    #[test]
    fn a_failed_call_or_a_mere_test_of_the_file_is_no_activation() {
        let path = ".claude/skills/demo/SKILL.md";
        let t = Transcript {
            entries: vec![
                call(1, "Skill", json!({"skill": "demo"})),
                result(1, "Unknown skill: demo", true),
                call(
                    2,
                    "Bash",
                    json!({"command": format!("test -f {path} && echo yes")}),
                ),
                result(2, "yes", false),
                call(3, "Read", json!({"file_path": path})),
            ],
            offered_skills: Some(vec!["demo".into()]),
            ..Transcript::default()
        };
        let a = t.activation("demo", &["Skill"], ".claude/skills", BODY);
        assert_eq!(a, None, "failed, content never shown, and no result");
        assert_eq!(t.skill_use("demo", None), SkillUse::OfferedNotOpened);
        assert_eq!(t.skill_use("elsewhere", None), SkillUse::NotOffered);
    }
}

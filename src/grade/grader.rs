//! Graders: who answers a judged criterion, and how they are asked.
//!
//! A [`Grader`] is a model behind the Anthropic Messages API or an OpenAI-compatible Chat
//! Completions API (OpenAI, Azure OpenAI, Ollama, vLLM, gateways), or an agent from the eval
//! run read-only in the graded checkout. [`Judging`] holds the eval's graders, the HTTP
//! client, the answer cache and the budget. [`Judging::ask`] turns one prompt into one
//! [`Judgment`]: from the cache when the same grader saw the same input before, else by a
//! call with structured output, retried with backoff on rate limits and server errors,
//! bounded by a timeout, and parsed strictly. Anything but a valid answer is a judgment
//! without a verdict, with the reason: never a pass.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Verdict;

/// How a grader is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraderKind {
    /// The Anthropic Messages API; structured output through a forced tool.
    Anthropic,
    /// An OpenAI-compatible Chat Completions API; structured output through a JSON schema.
    OpenAi,
    /// An agent of the eval (a runtime or a command), run in the graded checkout.
    Agent(String),
}

/// A grader of the eval (`[grader.NAME]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grader {
    pub name: String,
    pub kind: GraderKind,
    pub model: String,
    pub base_url: String,
    /// The name of the variable holding its key.
    pub credential: Option<String>,
    pub timeout: Duration,
    pub max_retries: u32,
    /// Dollars per million tokens in and out, for the money budget.
    pub usd_per_mtok: Option<(f64, f64)>,
}

impl Grader {
    pub fn default_base_url(kind: &GraderKind) -> &'static str {
        match kind {
            GraderKind::Anthropic => "https://api.anthropic.com",
            GraderKind::OpenAi => "https://api.openai.com/v1",
            GraderKind::Agent(_) => "",
        }
    }

    fn fingerprint(&self) -> String {
        let kind = match &self.kind {
            GraderKind::Anthropic => "anthropic".to_string(),
            GraderKind::OpenAi => "openai".to_string(),
            GraderKind::Agent(a) => format!("agent:{a}"),
        };
        format!("{kind}\u{1f}{}\u{1f}{}", self.model, self.base_url)
    }
}

/// A per-eval cap on what grading may spend.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budget {
    pub max_tokens: Option<u64>,
    pub max_usd: Option<f64>,
}

/// One grader's answer to one criterion on one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Judgment {
    pub grader: String,
    /// `pass` or `fail`; `None` when there is no valid answer (see `error`).
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// What the grader relied on, quoted from the evidence it was shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// How many of those quotes are not found in the evidence (a grader that invents).
    #[serde(default)]
    pub unverified_quotes: usize,
    /// Why there is no verdict: an invalid answer, a refusal, a timeout, an unreachable
    /// endpoint, the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Answered from the cache: no call was made.
    #[serde(default)]
    pub cached: bool,
    #[serde(default)]
    pub tokens_in: u64,
    #[serde(default)]
    pub tokens_out: u64,
    /// Calls made, retries included.
    #[serde(default)]
    pub attempts: u32,
}

impl Judgment {
    fn failed(grader: &str, error: impl Into<String>, attempts: u32) -> Judgment {
        Judgment {
            grader: grader.into(),
            verdict: None,
            confidence: None,
            evidence: Vec::new(),
            unverified_quotes: 0,
            error: Some(error.into()),
            cached: false,
            tokens_in: 0,
            tokens_out: 0,
            attempts,
        }
    }
}

/// The answer a grader must give, parsed strictly: these three fields and no others.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// `pass` or `fail`.
    pub verdict: AnswerVerdict,
    /// 0 to 1.
    pub confidence: f64,
    /// Short exact quotes from the evidence that the verdict rests on.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerVerdict {
    Pass,
    Fail,
}

/// The JSON Schema of [`Answer`], as sent for structured output.
pub fn answer_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["pass", "fail"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "evidence": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["verdict", "confidence", "evidence"],
        "additionalProperties": false
    })
}

/// Parses a grader's answer strictly.
pub fn parse_answer(text: &str) -> Result<Answer, String> {
    let trimmed = text.trim();
    // A model that wraps its JSON in a Markdown fence is still answering; anything else
    // around the object is not accepted.
    let body = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|s| s.strip_suffix("```"))
        .map_or(trimmed, str::trim);
    let answer: Answer =
        serde_json::from_str(body).map_err(|e| format!("the answer is not valid: {e}"))?;
    if !(0.0..=1.0).contains(&answer.confidence) {
        return Err(format!(
            "the answer is not valid: confidence {} is not between 0 and 1",
            answer.confidence
        ));
    }
    if answer.evidence.is_empty() {
        return Err("the answer is not valid: it quotes no evidence".into());
    }
    Ok(answer)
}

/// Spending so far, against the budget.
#[derive(Debug, Default)]
struct Spent {
    tokens: u64,
    usd: f64,
    calls: u64,
    /// Set once the budget is reached; every later call is refused with it.
    stopped: Option<String>,
}

/// What an eval's grading spent, and whether the budget stopped it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GradingInfo {
    pub graders: Vec<String>,
    pub calls: u64,
    pub tokens: u64,
    pub usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// The eval's graders, with what they share: the HTTP client, the cache and the budget.
#[derive(Debug)]
pub struct Judging {
    pub graders: Vec<Grader>,
    pub budget: Budget,
    /// What agent graders run with; `None` when the eval has none.
    pub agent_graders: Option<super::agent_grader::AgentGraders>,
    cache_dir: PathBuf,
    client: reqwest::Client,
    spent: Mutex<Spent>,
}

/// One failed attempt: whether another may follow, and after how long at least.
struct AttemptError {
    message: String,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Judging {
    pub fn new(graders: Vec<Grader>, budget: Budget, cache_dir: PathBuf) -> Judging {
        Judging {
            graders,
            budget,
            agent_graders: None,
            cache_dir,
            client: reqwest::Client::new(),
            spent: Mutex::new(Spent::default()),
        }
    }

    pub fn grader(&self, name: &str) -> Option<&Grader> {
        self.graders.iter().find(|g| g.name == name)
    }

    pub fn info(&self) -> GradingInfo {
        let spent = self
            .spent
            .lock()
            .map(|s| (s.calls, s.tokens, s.usd, s.stopped.clone()));
        let (calls, tokens, usd, stopped) = spent.unwrap_or_default();
        GradingInfo {
            graders: self.graders.iter().map(|g| g.name.clone()).collect(),
            calls,
            tokens,
            usd,
            stopped,
        }
    }

    fn cache_path(&self, grader: &Grader, system: &str, prompt: &str) -> PathBuf {
        let mut h = Sha256::new();
        for part in [grader.fingerprint().as_str(), system, prompt] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        self.cache_dir.join(format!("{:x}.json", h.finalize()))
    }

    /// The cached answer of `grader` to this input, if it gave a valid one before.
    pub(crate) fn cached(&self, grader: &Grader, system: &str, prompt: &str) -> Option<Judgment> {
        let mut hit = std::fs::read(self.cache_path(grader, system, prompt))
            .ok()
            .and_then(|b| serde_json::from_slice::<Judgment>(&b).ok())?;
        hit.cached = true;
        hit.grader = grader.name.clone();
        Some(hit)
    }

    /// Whether the budget allows another call; the reason when it does not.
    pub(crate) fn admit(&self) -> Result<(), String> {
        let mut spent = self
            .spent
            .lock()
            .map_err(|_| "the grading budget is unreadable".to_string())?;
        if let Some(stopped) = &spent.stopped {
            return Err(stopped.clone());
        }
        let over = match (self.budget.max_tokens, self.budget.max_usd) {
            (Some(max), _) if spent.tokens >= max => Some(format!(
                "grading stopped: the budget of {max} tokens is spent ({} used in {} calls)",
                spent.tokens, spent.calls
            )),
            (_, Some(max)) if spent.usd >= max => Some(format!(
                "grading stopped: the budget of ${max:.2} is spent (${:.4} used in {} calls)",
                spent.usd, spent.calls
            )),
            _ => None,
        };
        match over {
            Some(message) => {
                spent.stopped = Some(message.clone());
                Err(message)
            }
            None => Ok(()),
        }
    }

    pub(crate) fn charge(&self, grader: &Grader, tokens_in: u64, tokens_out: u64) {
        if let Ok(mut spent) = self.spent.lock() {
            spent.calls += 1;
            spent.tokens += tokens_in + tokens_out;
            if let Some((pin, pout)) = grader.usd_per_mtok {
                spent.usd += (tokens_in as f64 * pin + tokens_out as f64 * pout) / 1e6;
            }
        }
    }

    /// Asks `grader` over its API; `evidence` is what the prompt showed, to verify quotes.
    pub async fn ask(
        &self,
        grader: &Grader,
        system: &str,
        prompt: &str,
        evidence: &str,
    ) -> Judgment {
        if let Some(hit) = self.cached(grader, system, prompt) {
            return hit;
        }
        if let Err(stopped) = self.admit() {
            return Judgment::failed(&grader.name, stopped, 0);
        }
        let mut attempts = 0;
        let answer = loop {
            attempts += 1;
            match self.call(grader, system, prompt).await {
                Ok(answer) => break answer,
                Err(e) if e.retry && attempts <= grader.max_retries => {
                    let backoff = Duration::from_millis(200 * (1 << (attempts - 1).min(5)));
                    let wait = e
                        .retry_after
                        .unwrap_or(backoff)
                        .max(backoff)
                        .min(Duration::from_secs(30));
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    let after = if attempts > 1 {
                        format!(" (after {attempts} attempts)")
                    } else {
                        String::new()
                    };
                    return Judgment::failed(
                        &grader.name,
                        format!("{}{after}", e.message),
                        attempts,
                    );
                }
            }
        };
        self.charge(grader, answer.1, answer.2);
        self.judgment(grader, answer, evidence, attempts, system, prompt)
    }

    /// The judgment from an answer's text (or why it has none); a valid one is cached.
    pub(crate) fn judgment(
        &self,
        grader: &Grader,
        (text, tokens_in, tokens_out): (Result<String, String>, u64, u64),
        evidence: &str,
        attempts: u32,
        system: &str,
        prompt: &str,
    ) -> Judgment {
        let cache = self.cache_path(grader, system, prompt);
        let mut judgment = match text.and_then(|t| parse_answer(&t)) {
            Ok(answer) => Judgment {
                grader: grader.name.clone(),
                verdict: Some(match answer.verdict {
                    AnswerVerdict::Pass => Verdict::Pass,
                    AnswerVerdict::Fail => Verdict::Fail,
                }),
                confidence: Some(answer.confidence),
                unverified_quotes: answer
                    .evidence
                    .iter()
                    .filter(|q| !evidence.contains(q.trim()))
                    .count(),
                evidence: answer.evidence,
                error: None,
                cached: false,
                tokens_in,
                tokens_out,
                attempts,
            },
            Err(why) => Judgment::failed(&grader.name, why, attempts),
        };
        judgment.tokens_in = tokens_in;
        judgment.tokens_out = tokens_out;
        if judgment.verdict.is_some()
            && let Ok(json) = serde_json::to_vec_pretty(&judgment)
        {
            // A cache that cannot be written costs a call next time, nothing more.
            let _ = crate::fsx::write_atomic(&cache, json);
        }
        judgment
    }

    /// One call: the answer's text (or why it has none), and the tokens in and out.
    async fn call(
        &self,
        grader: &Grader,
        system: &str,
        prompt: &str,
    ) -> Result<(Result<String, String>, u64, u64), AttemptError> {
        let key = grader
            .credential
            .as_ref()
            .and_then(|name| std::env::var(name).ok());
        let base = grader.base_url.trim_end_matches('/');
        let request = match grader.kind {
            GraderKind::Anthropic => {
                let mut r = self
                    .client
                    .post(format!("{base}/v1/messages"))
                    .header("anthropic-version", "2023-06-01")
                    .json(&serde_json::json!({
                        "model": grader.model,
                        "max_tokens": 1024,
                        "system": system,
                        "messages": [{"role": "user", "content": prompt}],
                        "tools": [{"name": "record_verdict",
                                   "description": "Record the verdict on the criterion.",
                                   "input_schema": answer_schema()}],
                        "tool_choice": {"type": "tool", "name": "record_verdict"},
                    }));
                if let Some(key) = &key {
                    r = r.header("x-api-key", key);
                }
                r
            }
            GraderKind::OpenAi => {
                let mut r =
                    self.client
                        .post(format!("{base}/chat/completions"))
                        .json(&serde_json::json!({
                            "model": grader.model,
                            "messages": [{"role": "system", "content": system},
                                         {"role": "user", "content": prompt}],
                            "response_format": {"type": "json_schema", "json_schema":
                                {"name": "verdict", "strict": true, "schema": answer_schema()}},
                        }));
                if let Some(key) = &key {
                    r = r.bearer_auth(key);
                }
                r
            }
            GraderKind::Agent(_) => {
                return Err(AttemptError {
                    message: "an agent grader is not called over HTTP".into(),
                    retry: false,
                    retry_after: None,
                });
            }
        };
        let response = request
            .timeout(grader.timeout)
            .send()
            .await
            .map_err(|e| transport_error(&e, grader))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(Duration::from_secs_f64);
        let body = response
            .text()
            .await
            .map_err(|e| transport_error(&e, grader))?;
        if !status.is_success() {
            let retry = status.as_u16() == 429 || status.is_server_error();
            return Err(AttemptError {
                message: format!(
                    "{} answered HTTP {}: {}",
                    grader.name,
                    status.as_u16(),
                    body.chars().take(200).collect::<String>().trim()
                ),
                retry,
                retry_after,
            });
        }
        let json: serde_json::Value = match serde_json::from_str(&body) {
            Ok(j) => j,
            Err(e) => return Ok((Err(format!("the response is not JSON: {e}")), 0, 0)),
        };
        Ok(match grader.kind {
            GraderKind::Anthropic => anthropic_answer(&json),
            _ => openai_answer(&json),
        })
    }
}

fn transport_error(e: &reqwest::Error, grader: &Grader) -> AttemptError {
    if e.is_timeout() {
        AttemptError {
            message: format!(
                "{} did not answer within {}",
                grader.name,
                humantime::format_duration(grader.timeout)
            ),
            retry: false,
            retry_after: None,
        }
    } else {
        AttemptError {
            message: format!("{} is unreachable at {}: {e}", grader.name, grader.base_url),
            retry: e.is_connect(),
            retry_after: None,
        }
    }
}

fn anthropic_answer(json: &serde_json::Value) -> (Result<String, String>, u64, u64) {
    let tokens = (
        json["usage"]["input_tokens"].as_u64().unwrap_or(0),
        json["usage"]["output_tokens"].as_u64().unwrap_or(0),
    );
    let content = json["content"].as_array().cloned().unwrap_or_default();
    let text = if json["stop_reason"] == "refusal" {
        Err("the grader refused to answer".to_string())
    } else if let Some(tool) = content.iter().find(|b| b["type"] == "tool_use") {
        Ok(tool["input"].to_string())
    } else {
        let text: Vec<&str> = content.iter().filter_map(|b| b["text"].as_str()).collect();
        if text.is_empty() {
            Err("the answer is empty".to_string())
        } else {
            Ok(text.join("\n"))
        }
    };
    (text, tokens.0, tokens.1)
}

fn openai_answer(json: &serde_json::Value) -> (Result<String, String>, u64, u64) {
    let tokens = (
        json["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
        json["usage"]["completion_tokens"].as_u64().unwrap_or(0),
    );
    let message = &json["choices"][0]["message"];
    let text = if let Some(refusal) = message["refusal"].as_str() {
        Err(format!("the grader refused to answer: {refusal}"))
    } else if json["choices"][0]["finish_reason"] == "content_filter" {
        Err("the grader refused to answer (content filter)".to_string())
    } else {
        message["content"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "the answer is empty".to_string())
    };
    (text, tokens.0, tokens.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_money_budget_stops_grading_once_spent() {
        let grader = Grader {
            name: "g".into(),
            kind: GraderKind::OpenAi,
            model: "m".into(),
            base_url: "http://127.0.0.1:9".into(),
            credential: None,
            timeout: Duration::from_secs(1),
            max_retries: 0,
            usd_per_mtok: Some((3.0, 15.0)),
        };
        let judging = Judging::new(
            vec![grader.clone()],
            Budget {
                max_tokens: None,
                max_usd: Some(0.01),
            },
            std::env::temp_dir(),
        );
        assert!(judging.admit().is_ok());
        // 2000 in at $3/Mtok and 400 out at $15/Mtok: $0.006 + $0.006.
        judging.charge(&grader, 2000, 400);
        let stopped = judging.admit().unwrap_err();
        assert_eq!(
            stopped,
            "grading stopped: the budget of $0.01 is spent ($0.0120 used in 1 calls)"
        );
        assert_eq!(judging.info().stopped.as_deref(), Some(stopped.as_str()));
    }

    #[test]
    fn answers_are_parsed_strictly() {
        let ok = parse_answer(r#"{"verdict":"pass","confidence":0.8,"evidence":["safe_load"]}"#)
            .unwrap();
        assert_eq!(ok.verdict, AnswerVerdict::Pass);
        let fenced = parse_answer(
            "```json\n{\"verdict\":\"fail\",\"confidence\":1,\"evidence\":[\"x\"]}\n```",
        );
        assert_eq!(fenced.unwrap().verdict, AnswerVerdict::Fail);
        for bad in [
            r#"{"verdict":"maybe","confidence":0.5,"evidence":["x"]}"#,
            r#"{"verdict":"pass","confidence":1.5,"evidence":["x"]}"#,
            r#"{"verdict":"pass","confidence":0.5,"evidence":[]}"#,
            r#"{"verdict":"pass","confidence":0.5,"evidence":["x"],"extra":1}"#,
            r#"Sure! {"verdict":"pass","confidence":0.5,"evidence":["x"]}"#,
            r#"{"verdict":"pass""#,
        ] {
            assert!(parse_answer(bad).is_err(), "{bad}");
        }
    }
}

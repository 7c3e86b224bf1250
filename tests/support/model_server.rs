//! A scripted model server on loopback, for driving the real agent runtimes offline.
//!
//! It speaks the wire formats the runtimes use: the Anthropic Messages API (streaming and
//! not), the OpenAI Chat Completions and Responses APIs (streaming), and the Gemini API
//! (`streamGenerateContent` with SSE, `generateContent`, `countTokens`). Each main-loop
//! request is answered with the next [`Turn`] of the test's [`Script`]: which turn is read
//! off the request itself (the number of tool results in its history), so retries and side
//! requests cannot shift the script. Requests that offer no tools (titles, summaries, routing)
//! get a short text. Every request is recorded, and so is the usage each answer reported.
#![expect(
    clippy::expect_used,
    reason = "the server fails a test loudly when its own setup fails"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// One model response: optional text, then at most one tool call.
#[derive(Debug, Clone)]
pub struct Turn {
    pub text: Option<String>,
    pub call: Option<(String, Value)>,
}

impl Turn {
    pub fn call(name: &str, input: Value) -> Turn {
        Turn {
            text: None,
            call: Some((name.into(), input)),
        }
    }

    pub fn text(text: &str) -> Turn {
        Turn {
            text: Some(text.into()),
            call: None,
        }
    }
}

/// The turns of one conversation, in order; the last should be a text-only turn.
pub type Script = Vec<Turn>;

/// A recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// Whether the request is a main-loop request of the agent (it offers tools).
    pub fn offers_tools(&self) -> bool {
        let j = self.json();
        j["tools"].as_array().is_some_and(|t| !t.is_empty())
    }
}

/// A canned answer, for servers that play replies instead of a conversation (graders).
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status and a JSON body.
    Json(u16, Value),
    /// A status and a raw body.
    Raw(u16, String),
    /// The reply after a pause.
    Slow(std::time::Duration, Box<Reply>),
}

#[derive(Debug, Default)]
struct State {
    requests: Vec<Request>,
    /// Replies still to play, in order; the last one repeats.
    replies: Vec<Reply>,
    /// (input, output) tokens reported by each main-loop answer.
    usage: Vec<(u64, u64)>,
}

/// A running server; it stops with the test process.
pub struct ModelServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl ModelServer {
    /// A server that answers each request with the next of `replies` (the last repeats).
    pub fn replies(replies: Vec<Reply>) -> ModelServer {
        let server = ModelServer::start(Vec::new());
        server.state.lock().expect("state").replies = replies;
        server
    }

    pub fn start(script: Script) -> ModelServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let script = Arc::new(script);
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                let script = script.clone();
                std::thread::spawn(move || serve(stream, &script, &state));
            }
        });
        ModelServer { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("state").requests.clone()
    }

    /// Total (input, output) tokens the main-loop answers reported.
    pub fn reported_usage(&self) -> (u64, u64) {
        let state = self.state.lock().expect("state");
        state
            .usage
            .iter()
            .fold((0, 0), |(i, o), (a, b)| (i + a, o + b))
    }
}

/// `{checkout}` in a scripted call's input becomes the run's checkout, read off the request
/// (runtimes tell the model their working folder), since edit tools want absolute paths.
fn with_checkout(turn: Turn, body: &str) -> Turn {
    let Some((name, input)) = &turn.call else {
        return turn;
    };
    let re = regex::Regex::new(r"(/[\w./-]*skillbench-run-\w+/(?:room/)?checkout)").expect("regex");
    let Some(found) = re.captures(body).and_then(|c| c.get(1)) else {
        return turn;
    };
    let text = input.to_string().replace("{checkout}", found.as_str());
    Turn {
        text: turn.text.clone(),
        call: Some((
            name.clone(),
            serde_json::from_str(&text).expect("still JSON"),
        )),
    }
}

fn serve(mut stream: TcpStream, script: &Script, state: &Mutex<State>) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let canned = {
        let mut state = state.lock().expect("state");
        state.requests.push(req.clone());
        match state.replies.len() {
            0 => None,
            1 => state.replies.first().cloned(),
            _ => Some(state.replies.remove(0)),
        }
    };
    if let Some(reply) = canned {
        let bytes = play(reply);
        let _ = stream.write_all(&bytes);
        let _ = stream.flush();
        return;
    }
    let path = req.path.split('?').next().unwrap_or("").to_string();
    let body = req.json();
    let response = if req.method != "POST" {
        reply_json(200, &json!({"data": [], "models": []}))
    } else if path.ends_with("/count_tokens") || path.ends_with(":countTokens") {
        reply_json(200, &json!({"input_tokens": 100, "totalTokens": 100}))
    } else if path.ends_with("/messages") {
        let (turn, n) = pick(script, &body, Wire::Anthropic);
        let usage = usage_for(n);
        record_usage(state, &body, Wire::Anthropic, usage);
        anthropic(&body, &turn, n, usage)
    } else if path.ends_with("/chat/completions") {
        let (turn, n) = pick(script, &body, Wire::Chat);
        let usage = usage_for(n);
        record_usage(state, &body, Wire::Chat, usage);
        chat(&turn, n, usage)
    } else if path.ends_with("/responses") {
        let (turn, n) = pick(script, &body, Wire::Responses);
        let usage = usage_for(n);
        record_usage(state, &body, Wire::Responses, usage);
        responses(&turn, n, usage)
    } else if path.contains(":streamGenerateContent") || path.contains(":generateContent") {
        let (turn, n) = pick(script, &body, Wire::Gemini);
        let usage = usage_for(n);
        record_usage(state, &body, Wire::Gemini, usage);
        gemini(&turn, usage, path.contains(":streamGenerateContent"))
    } else {
        reply_json(
            404,
            &json!({"error": {"message": format!("no route {path}")}}),
        )
    };
    let _ = stream.write_all(&response);
    let _ = stream.flush();
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wire {
    Anthropic,
    Chat,
    Responses,
    Gemini,
}

fn offers_tools(body: &Value, wire: Wire) -> bool {
    match wire {
        Wire::Gemini => body["tools"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["functionDeclarations"].is_array())),
        _ => body["tools"].as_array().is_some_and(|t| !t.is_empty()),
    }
}

/// The scripted turn for a request: the number of tool results already in its history.
/// Requests without tools get a plain text answer.
fn pick(script: &Script, body: &Value, wire: Wire) -> (Turn, usize) {
    if !offers_tools(body, wire) {
        return (Turn::text("OK"), usize::MAX);
    }
    let n = tool_results(body, wire);
    let turn = script
        .get(n)
        .cloned()
        .unwrap_or_else(|| Turn::text("The script is over."));
    (with_checkout(turn, &body.to_string()), n)
}

fn tool_results(body: &Value, wire: Wire) -> usize {
    let items = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match wire {
        Wire::Anthropic => items(&body["messages"])
            .iter()
            .flat_map(|m| items(&m["content"]))
            .filter(|b| b["type"] == "tool_result")
            .count(),
        Wire::Chat => items(&body["messages"])
            .iter()
            .filter(|m| m["role"] == "tool")
            .count(),
        Wire::Responses => items(&body["input"])
            .iter()
            .filter(|i| {
                i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output"
            })
            .count(),
        Wire::Gemini => items(&body["contents"])
            .iter()
            .flat_map(|c| items(&c["parts"]))
            .filter(|p| p["functionResponse"].is_object())
            .count(),
    }
}

fn usage_for(n: usize) -> (u64, u64) {
    if n == usize::MAX {
        return (10, 1);
    }
    (1000 + n as u64, 20 + n as u64)
}

fn record_usage(state: &Mutex<State>, body: &Value, wire: Wire, usage: (u64, u64)) {
    if offers_tools(body, wire) {
        state.lock().expect("state").usage.push(usage);
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn reply(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    )
    .into_bytes()
}

fn reply_json(status: u16, value: &Value) -> Vec<u8> {
    reply(status, "application/json", &value.to_string())
}

fn sse(events: &[(Option<&str>, Value)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, data) in events {
        if let Some(name) = name {
            body.push_str(&format!("event: {name}\n"));
        }
        body.push_str(&format!("data: {data}\n\n"));
    }
    reply(200, "text/event-stream", &body)
}

fn anthropic(body: &Value, turn: &Turn, n: usize, (tin, tout): (u64, u64)) -> Vec<u8> {
    let model = body["model"].as_str().unwrap_or("scripted");
    let mut content = Vec::new();
    if let Some(text) = &turn.text {
        content.push(json!({"type": "text", "text": text}));
    }
    if let Some((name, input)) = &turn.call {
        content.push(
            json!({"type": "tool_use", "id": format!("toolu_{n}"), "name": name, "input": input}),
        );
    }
    let stop = if turn.call.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    let usage = json!({"input_tokens": tin, "output_tokens": tout, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});
    if body["stream"] != true {
        return reply_json(
            200,
            &json!({"id": format!("msg_{n}"), "type": "message", "role": "assistant", "model": model,
                    "content": content, "stop_reason": stop, "stop_sequence": null, "usage": usage}),
        );
    }
    let mut events = vec![(
        Some("message_start"),
        json!({"type": "message_start", "message": {"id": format!("msg_{n}"), "type": "message", "role": "assistant",
               "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
               "usage": {"input_tokens": tin, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
    )];
    for (i, block) in content.iter().enumerate() {
        let (start, delta) = if block["type"] == "text" {
            (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": block["text"]}),
            )
        } else {
            (
                json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}),
            )
        };
        events.push((
            Some("content_block_start"),
            json!({"type": "content_block_start", "index": i, "content_block": start}),
        ));
        events.push((
            Some("content_block_delta"),
            json!({"type": "content_block_delta", "index": i, "delta": delta}),
        ));
        events.push((
            Some("content_block_stop"),
            json!({"type": "content_block_stop", "index": i}),
        ));
    }
    events.push((
        Some("message_delta"),
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": tout}}),
    ));
    events.push((Some("message_stop"), json!({"type": "message_stop"})));
    sse(&events)
}

fn chat(turn: &Turn, n: usize, (tin, tout): (u64, u64)) -> Vec<u8> {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk", "created": 0, "model": "scripted",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = Vec::new();
    if let Some(text) = &turn.text {
        events.push((
            None,
            chunk(json!({"role": "assistant", "content": text}), Value::Null),
        ));
    }
    let finish = match &turn.call {
        Some((name, input)) => {
            events.push((
                None,
                chunk(
                    json!({"role": "assistant", "content": null, "tool_calls": [
                {"index": 0, "id": format!("call_{n}"), "type": "function",
                 "function": {"name": name, "arguments": input.to_string()}}]}),
                    Value::Null,
                ),
            ));
            "tool_calls"
        }
        None => "stop",
    };
    events.push((None, chunk(json!({}), json!(finish))));
    events.push((
        None,
        json!({"id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk", "created": 0, "model": "scripted",
               "choices": [], "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout}}),
    ));
    let mut bytes = sse(&events);
    // The stream ends with a literal [DONE]; patch it into the body and its length.
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("response has a head");
    let body = format!("{body}data: [DONE]\n\n");
    let head = head
        .lines()
        .map(|l| {
            if l.starts_with("content-length:") {
                format!("content-length: {}", body.len())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    bytes = format!("{head}\r\n\r\n{body}").into_bytes();
    bytes
}

fn responses(turn: &Turn, n: usize, (tin, tout): (u64, u64)) -> Vec<u8> {
    let id = format!("resp_{n}");
    let mut items = Vec::new();
    if let Some(text) = &turn.text {
        items.push(json!({"type": "message", "id": format!("msg_{n}"), "role": "assistant", "status": "completed",
                          "content": [{"type": "output_text", "text": text, "annotations": []}]}));
    }
    if let Some((name, input)) = &turn.call {
        items.push(match input {
            // A freeform tool (Codex's apply_patch) takes the raw text.
            Value::String(raw) => json!({"type": "custom_tool_call", "id": format!("ctc_{n}"), "call_id": format!("call_{n}"),
                                         "name": name, "input": raw, "status": "completed"}),
            _ => json!({"type": "function_call", "id": format!("fc_{n}"), "call_id": format!("call_{n}"),
                        "name": name, "arguments": input.to_string(), "status": "completed"}),
        });
    }
    let mut events = vec![(
        Some("response.created"),
        json!({"type": "response.created", "response": {"id": id, "object": "response", "status": "in_progress", "output": []}}),
    )];
    for (i, item) in items.iter().enumerate() {
        events.push((
            Some("response.output_item.added"),
            json!({"type": "response.output_item.added", "output_index": i, "item": item}),
        ));
        events.push((
            Some("response.output_item.done"),
            json!({"type": "response.output_item.done", "output_index": i, "item": item}),
        ));
    }
    events.push((
        Some("response.completed"),
        json!({"type": "response.completed", "response": {"id": id, "object": "response", "status": "completed", "output": items,
               "usage": {"input_tokens": tin, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": tout,
                         "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": tin + tout}}}),
    ));
    sse(&events)
}

fn gemini(turn: &Turn, (tin, tout): (u64, u64), stream: bool) -> Vec<u8> {
    let mut parts = Vec::new();
    if let Some(text) = &turn.text {
        parts.push(json!({"text": text}));
    }
    if let Some((name, input)) = &turn.call {
        parts.push(json!({"functionCall": {"name": name, "args": input}}));
    }
    let chunk = json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
                       "usageMetadata": {"promptTokenCount": tin, "candidatesTokenCount": tout, "totalTokenCount": tin + tout},
                       "modelVersion": "scripted"});
    if stream {
        sse(&[(None, chunk)])
    } else {
        reply_json(200, &chunk)
    }
}

fn play(canned: Reply) -> Vec<u8> {
    match canned {
        Reply::Json(status, value) => reply_json(status, &value),
        Reply::Raw(status, body) => reply(status, "application/json", &body),
        Reply::Slow(pause, then) => {
            std::thread::sleep(pause);
            play(*then)
        }
    }
}

/// An Anthropic Messages answer recording a verdict through the forced tool.
pub fn anthropic_verdict(verdict: &str, confidence: f64, quote: &str) -> Reply {
    Reply::Json(
        200,
        json!({"id": "msg_g", "type": "message", "role": "assistant", "model": "judge",
               "content": [{"type": "tool_use", "id": "toolu_g", "name": "record_verdict",
                            "input": {"verdict": verdict, "confidence": confidence, "evidence": [quote]}}],
               "stop_reason": "tool_use", "usage": {"input_tokens": 400, "output_tokens": 30}}),
    )
}

/// An OpenAI Chat Completions answer whose content is `content`.
pub fn openai_content(content: &str) -> Reply {
    Reply::Json(
        200,
        json!({"id": "chatcmpl-g", "object": "chat.completion", "model": "judge",
               "choices": [{"index": 0, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content, "refusal": null}}],
               "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320}}),
    )
}

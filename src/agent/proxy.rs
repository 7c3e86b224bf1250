//! The filtering network: under `network = "filtered"` a sandboxed agent's only way out is
//! a proxy skillbench runs for it.
//!
//! The agent's network namespace has only a loopback device. Inside it, skillbench's own
//! binary runs first as a forwarder (`skillbench __forward`, [`forward`]): it listens on
//! `127.0.0.1:` [`PROXY_PORT`] for the agent's HTTP proxy traffic (`HTTPS_PROXY` and
//! friends point there), and on each allowed loopback endpoint's own port (a model server
//! on `127.0.0.1`, say) so that a client that ignores proxy settings still reaches it, and
//! relays every connection over a Unix socket in the run's folder to the proxy
//! ([`Proxy`]) outside. The proxy reads the first request of each connection — a
//! `CONNECT host:port` or an absolute-form `GET http://host/…` — lets it through when the
//! host (and port) is allowed, answers `403` otherwise, and logs each decision with the
//! time to the run's `network.log`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// The port the forwarder listens on for proxy traffic inside the sandbox.
pub const PROXY_PORT: u16 = 3128;
/// The first argument that makes the binary a forwarder.
pub const ARG: &str = "__forward";
/// The most a request head may hold.
const MAX_HEAD: usize = 16 * 1024;
/// The longest host name DNS allows.
const MAX_HOST: usize = 253;
/// Decisions kept for `network.log`; past this they are counted, not kept.
const MAX_DECISIONS: usize = 1000;

/// A host a run may reach: its name (or `*.domain`) and, if given, its only port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub host: String,
    pub port: Option<u16>,
}

impl Allowed {
    /// `host`, `host:port`, `*.domain` or a URL (`https://host:port/…`).
    pub fn parse(text: &str) -> Option<Allowed> {
        let text = text.trim();
        let rest = text.split_once("://").map_or(text, |(_, r)| r);
        let authority = rest.split('/').next()?;
        let authority = authority.rsplit('@').next()?;
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
                (h, Some(p.parse().ok()?))
            }
            _ => (authority, None),
        };
        let port = port.or_else(|| match text.split_once("://").map(|(s, _)| s) {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        // A host name (`*.` allowed in front), an IPv4 or an IPv6 address: nothing else.
        let name = host.strip_prefix("*.").unwrap_or(&host);
        let valid = !name.is_empty()
            && (name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
                || (name.contains(':')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')));
        valid.then_some(Allowed { host, port })
    }

    fn admits(&self, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        let name = match self.host.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == self.host,
        };
        name && self.port.is_none_or(|p| p == port)
    }

    /// A loopback endpoint with a port: what the forwarder also listens on directly.
    pub fn loopback_port(&self) -> Option<u16> {
        matches!(self.host.as_str(), "127.0.0.1" | "localhost")
            .then_some(self.port)
            .flatten()
    }
}

/// One decision of the proxy.
#[derive(Debug, Clone)]
pub struct Decision {
    pub at: String,
    pub host: String,
    pub port: u16,
    pub allowed: bool,
}

/// The proxy of one run: it serves until dropped.
#[derive(Debug)]
pub struct Proxy {
    pub socket: PathBuf,
    decisions: Arc<Mutex<(Vec<Decision>, usize)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on the Unix socket `socket` for the run's forwarder.
    pub fn start(socket: &Path, allowed: Vec<Allowed>) -> std::io::Result<Proxy> {
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket)?;
        let decisions = Arc::new(Mutex::new((Vec::new(), 0)));
        let (log, allowed) = (decisions.clone(), Arc::new(allowed));
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (log, allowed) = (log.clone(), allowed.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, &allowed, &log).await;
                });
            }
        });
        Ok(Proxy {
            socket: socket.to_path_buf(),
            decisions,
            task,
        })
    }

    /// The decisions kept so far, in order, and how many more were made.
    pub fn decisions(&self) -> (Vec<Decision>, usize) {
        self.decisions
            .lock()
            .map(|d| (d.0.clone(), d.1))
            .unwrap_or_default()
    }

    /// The decisions as `network.log` holds them, one line each.
    pub fn log_text(&self) -> String {
        let (kept, more) = self.decisions();
        let mut text: String = kept
            .iter()
            .map(|d| {
                format!(
                    "{} {} {}:{}\n",
                    d.at,
                    if d.allowed { "allowed" } else { "refused" },
                    d.host,
                    d.port
                )
            })
            .collect();
        if more > 0 {
            text.push_str(&format!("… and {more} more decisions, not kept\n"));
        }
        text
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// The host and port the request head asks for: `CONNECT host:port` (`true`: a tunnel)
/// or an absolute-form URI.
fn target(head: &str) -> Option<(String, u16, bool)> {
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?;
    let uri = parts.next()?;
    if method.eq_ignore_ascii_case("CONNECT") {
        let a = Allowed::parse(uri)?;
        return Some((a.host, a.port.unwrap_or(443), true));
    }
    let a = Allowed::parse(uri).filter(|_| uri.contains("://"))?;
    Some((a.host, a.port.unwrap_or(80), false))
}

/// The request with its absolute-form target (`GET http://host:port/path`) rewritten to the
/// origin form (`GET /path`) that every server understands.
fn origin_form(head: &[u8]) -> Vec<u8> {
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..end]);
    let mut parts = line.splitn(3, ' ');
    let (Some(method), Some(uri), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return head.to_vec();
    };
    let path = uri
        .split_once("://")
        .map(|(_, r)| r.find('/').map_or("/", |i| &r[i..]))
        .unwrap_or(uri);
    let mut out = format!("{method} {path} {rest}").into_bytes();
    if end < head.len() {
        out.push(b'\n');
        out.extend_from_slice(&head[end + 1..]);
    }
    out
}

async fn serve(
    mut conn: UnixStream,
    allowed: &[Allowed],
    log: &Mutex<(Vec<Decision>, usize)>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 || head.len() > MAX_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let Some((host, port, tunnel)) = target(&text).filter(|(h, _, _)| h.len() <= MAX_HOST) else {
        conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let ok = allowed.iter().any(|a| a.admits(&host, port));
    if let Ok(mut log) = log.lock() {
        if log.0.len() < MAX_DECISIONS {
            log.0.push(Decision {
                at: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
                host: host.clone(),
                port,
                allowed: ok,
            });
        } else {
            log.1 += 1;
        }
    }
    if !ok {
        let body = format!("skillbench: {host}:{port} is not reachable from this run\n");
        conn.write_all(
            format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await?;
        return Ok(());
    }
    let mut upstream = match TcpStream::connect((host.as_str(), port)).await {
        Ok(s) => s,
        Err(e) => {
            let body = format!("skillbench: cannot reach {host}:{port}: {e}\n");
            conn.write_all(
                format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await?;
            return Ok(());
        }
    };
    if tunnel {
        let end = head
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(head.len(), |i| i + 4);
        conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        upstream.write_all(&head[end..]).await?;
    } else {
        upstream.write_all(&origin_form(&head)).await?;
    }
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}

/// Runs as a forwarder if the command line asks for it (`skillbench __forward SOCKET
/// [PORT…] -- ARGV…`): listens inside the sandbox, starts `ARGV`, and exits with its
/// status. `None` for every other command line.
pub fn forward_if_invoked() -> Option<u8> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some(ARG) {
        return None;
    }
    let rest: Vec<String> = args.collect();
    let split = rest.iter().position(|a| a == "--")?;
    let (spec, argv) = (&rest[..split], &rest[split + 1..]);
    let (socket, ports) = spec.split_first()?;
    let ports: Vec<u16> = ports.iter().filter_map(|p| p.parse().ok()).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    Some(runtime.block_on(forward(PathBuf::from(socket), ports, argv.to_vec())))
}

async fn forward(socket: PathBuf, ports: Vec<u16>, argv: Vec<String>) -> u8 {
    let Some((program, args)) = argv.split_first() else {
        eprintln!("skillbench __forward: no command");
        return 125;
    };
    let listen = |port: u16, tunnel: bool| {
        let socket = socket.clone();
        async move {
            let listener = TcpListener::bind(("127.0.0.1", port)).await?;
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let socket = socket.clone();
                    tokio::spawn(async move {
                        let _ = relay(tcp, &socket, tunnel.then_some(port)).await;
                    });
                }
            });
            Ok::<(), std::io::Error>(())
        }
    };
    if let Err(e) = listen(PROXY_PORT, false).await {
        eprintln!("skillbench __forward: cannot listen on 127.0.0.1:{PROXY_PORT}: {e}");
        return 125;
    }
    for port in ports {
        if let Err(e) = listen(port, true).await {
            eprintln!("skillbench __forward: cannot listen on 127.0.0.1:{port}: {e}");
            return 125;
        }
    }
    let status = tokio::process::Command::new(program)
        .args(args)
        .status()
        .await;
    match status {
        Ok(s) => match s.code() {
            Some(code) => u8::try_from(code).unwrap_or(1),
            None => 128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0) as u8,
        },
        Err(e) => {
            eprintln!("skillbench __forward: cannot start {program}: {e}");
            127
        }
    }
}

/// Relays one TCP connection from inside the sandbox to the proxy; for a loopback
/// endpoint's own port, first asks the proxy for a tunnel to it.
async fn relay(mut tcp: TcpStream, socket: &Path, tunnel: Option<u16>) -> std::io::Result<()> {
    let mut proxy = UnixStream::connect(socket).await?;
    if let Some(port) = tunnel {
        proxy
            .write_all(
                format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < MAX_HEAD {
            if proxy.read(&mut byte).await? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        if !head.starts_with(b"HTTP/1.1 200") {
            return Ok(());
        }
    }
    tokio::io::copy_bidirectional(&mut tcp, &mut proxy).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_parse_from_names_and_urls() {
        let a = Allowed::parse("https://api.anthropic.com/v1").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("api.anthropic.com", Some(443)));
        let a = Allowed::parse("http://127.0.0.1:4321").unwrap();
        assert_eq!(a.loopback_port(), Some(4321));
        let a = Allowed::parse("*.npmjs.org").unwrap();
        assert!(a.admits("registry.npmjs.org", 443));
        assert!(!a.admits("npmjs.org.evil.test", 443));
        let a = Allowed::parse("pypi.org").unwrap();
        assert!(a.admits("PyPI.org", 8443));
        assert_eq!(
            target("CONNECT github.com:443 HTTP/1.1\r\n\r\n"),
            Some(("github.com".into(), 443, true))
        );
        assert_eq!(
            target("GET http://127.0.0.1:9/x HTTP/1.1\r\n\r\n"),
            Some(("127.0.0.1".into(), 9, false))
        );
        assert_eq!(target("GET /x HTTP/1.1\r\n\r\n"), None);
        assert_eq!(
            origin_form(b"GET http://h:9/a/b?c HTTP/1.1\r\nHost: h\r\n\r\n"),
            b"GET /a/b?c HTTP/1.1\r\nHost: h\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn the_proxy_lets_allowed_hosts_through_and_refuses_and_logs_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = echo.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut b = [0u8; 64];
                    if let Ok(n) = s.read(&mut b).await {
                        let _ = s.write_all(&b[..n]).await;
                    }
                });
            }
        });
        let proxy = Proxy::start(
            &dir.path().join("net.sock"),
            vec![Allowed::parse(&format!("127.0.0.1:{port}")).unwrap()],
        )
        .unwrap();
        let ask = |line: String| {
            let socket = proxy.socket.clone();
            async move {
                let mut c = UnixStream::connect(&socket).await.unwrap();
                c.write_all(line.as_bytes()).await.unwrap();
                c.write_all(b"ping").await.unwrap();
                let mut out = Vec::new();
                let mut b = [0u8; 256];
                while let Ok(n) =
                    tokio::time::timeout(std::time::Duration::from_millis(500), c.read(&mut b))
                        .await
                        .unwrap_or(Ok(0))
                {
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&b[..n]);
                    if out.ends_with(b"ping") {
                        break;
                    }
                }
                String::from_utf8_lossy(&out).into_owned()
            }
        };
        let through = ask(format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n")).await;
        assert!(
            through.starts_with("HTTP/1.1 200") && through.ends_with("ping"),
            "{through}"
        );
        let refused = ask("CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n".into()).await;
        assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
        let log = proxy.log_text();
        assert!(log.contains(&format!("allowed 127.0.0.1:{port}")), "{log}");
        assert!(log.contains("refused 127.0.0.1:1\n"), "{log}");
    }
}

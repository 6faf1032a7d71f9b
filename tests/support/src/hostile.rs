//! A hostile AWS endpoint on 127.0.0.1: answers shaped like the portal's,
//! STS's and ECR's that a broken or malicious server (or a proxy in
//! between) could send, for the tests of ssocred's limits on what it
//! accepts from servers.
//!
//! Point `AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_STS`,
//! `AWS_ENDPOINT_URL_ECR` or `AWS_ENDPOINT_URL_SSO_OIDC` at [`HostileServer::url`].
//! Every request is answered according to one [`Hostility`]; the protocol
//! of an error follows the request: awsJson (an `X-Amz-Target` header, as
//! ECR sends), the query protocol's XML (a form body with `Action=`, as STS
//! sends), restJson otherwise (the portal and OIDC).
//!
//! Plain std threads: one accepts, one per connection; each connection
//! serves requests until the client closes it (keep-alive), so a paging
//! client is not slowed down by new connections.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The `Content-Length` of [`Hostility::EndlessBody`]: 50 GiB.
pub const ENDLESS_LENGTH: u64 = 50 << 30;

/// The length of a [`Hostility::LongErrors`] message: 300 KB.
pub const LONG_ERROR: usize = 300 * 1000;

/// The largest request head or body the server reads.
const MAX_REQUEST: usize = 256 * 1024;

/// How long an idle connection is kept.
const IDLE: Duration = Duration::from_secs(30);

/// How a listing pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// One page, no `nextToken`.
    Finite,
    /// `nextToken` `A`, then `B`, then `A` again, forever.
    Cycle,
    /// A `nextToken` never sent before on every page, forever.
    Fresh,
}

/// What the server does with every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostility {
    /// `200` with `Content-Length: 50 GiB` ([`ENDLESS_LENGTH`]), then spaces
    /// until the client goes away.
    EndlessBody,
    /// `200` with no length (the body ends when the connection does), then
    /// spaces until the client goes away.
    EndlessUnsizedBody,
    /// The portal's listings: ListAccounts names one account on its first
    /// page and none after, and pages as `accounts` says; ListAccountRoles
    /// names one role per page and pages as `roles` says. Anything else
    /// answers 404.
    Listing {
        /// How ListAccounts pages.
        accounts: Paging,
        /// How ListAccountRoles pages.
        roles: Paging,
    },
    /// `400` whose error message repeats the whole request: the headers
    /// that carry credentials (bearer and security tokens, signatures)
    /// first, then its line, the other headers and its body.
    EchoingErrors,
    /// `400` whose error message is [`LONG_ERROR`] bytes long.
    LongErrors,
    /// No answer at all: the request is read, and the connection held open
    /// until the client closes it (or [`SILENCE`] has passed).
    Silent,
}

/// The longest a [`Hostility::Silent`] server holds a connection.
pub const SILENCE: Duration = Duration::from_secs(300);

/// The account every [`Hostility::Listing`] page names.
pub const LISTED_ACCOUNT: &str = "111122223333";

/// A running hostile server. Dropping it stops accepting connections.
pub struct HostileServer {
    addr: SocketAddr,
    hostility: Hostility,
    requests: Arc<AtomicU64>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start(hostility: Hostility) -> io::Result<HostileServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let (counted, stop) = (Arc::clone(&requests), Arc::clone(&stopping));
        let thread = std::thread::Builder::new()
            .name("ssocred-test-hostile".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let counted = Arc::clone(&counted);
                    let _ = std::thread::Builder::new()
                        .name("ssocred-test-hostile-conn".to_owned())
                        .spawn(move || {
                            // A client that goes away ends the connection;
                            // nothing to report.
                            let _ = serve(stream, hostility, &counted);
                        });
                }
            })?;
        Ok(HostileServer {
            addr,
            hostility,
            requests,
            stopping,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the value for an endpoint variable.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests it has read so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostileServer")
            .field("addr", &self.addr)
            .field("hostility", &self.hostility)
            .field("requests", &self.requests())
            .finish()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request as read: its head (line and headers, as sent) and body.
struct Request {
    head: String,
    path: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The value of `name` in the query string.
    fn query(&self, name: &str) -> Option<&str> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then_some(value)
        })
    }
}

fn serve(stream: TcpStream, hostility: Hostility, requests: &AtomicU64) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader)? {
        requests.fetch_add(1, Ordering::SeqCst);
        match hostility {
            Hostility::EndlessBody => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {ENDLESS_LENGTH}\r\n\r\n"
                );
                return endless(&mut writer, &head);
            }
            Hostility::EndlessUnsizedBody => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
                return endless(&mut writer, head);
            }
            Hostility::Listing { accounts, roles } => {
                let (status, body) = listing(&request, accounts, roles);
                respond(&mut writer, status, &[], body.as_bytes())?;
            }
            Hostility::EchoingErrors => {
                error(
                    &mut writer,
                    &request,
                    &format!("cannot handle: {}", echo(&request)),
                )?;
            }
            Hostility::LongErrors => {
                error(&mut writer, &request, &"x".repeat(LONG_ERROR))?;
            }
            Hostility::Silent => return hold(reader),
        }
    }
    Ok(())
}

/// The whole request as text, the headers that carry tokens first (as a
/// server that quotes the token it rejected would), then the request line,
/// the other headers and the body.
fn echo(request: &Request) -> String {
    const TOKENS: [&str; 2] = ["x-amz-sso_bearer_token", "x-amz-security-token"];
    let name_of = |line: &str| {
        line.split_once(':')
            .map(|(name, _)| name.trim().to_ascii_lowercase())
    };
    let lines: Vec<&str> = request.head.lines().collect();
    let mut echo: Vec<&str> = TOKENS
        .iter()
        .flat_map(|token| {
            lines
                .iter()
                .copied()
                .filter(move |l| name_of(l).as_deref() == Some(*token))
        })
        .collect();
    echo.extend(
        lines
            .iter()
            .copied()
            .filter(|l| !name_of(l).is_some_and(|n| TOKENS.contains(&n.as_str()))),
    );
    let mut text = echo.join("\n");
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&request.body));
    text
}

/// Reads and drops what the client sends until it closes the connection,
/// for at most [`SILENCE`].
fn hold(mut reader: BufReader<TcpStream>) -> io::Result<()> {
    let until = std::time::Instant::now() + SILENCE;
    let mut sink = [0u8; 4096];
    while std::time::Instant::now() < until {
        match reader.read(&mut sink) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes `head`, then spaces until the client stops reading.
fn endless(writer: &mut TcpStream, head: &str) -> io::Result<()> {
    writer.write_all(head.as_bytes())?;
    let spaces = [b' '; 64 * 1024];
    loop {
        writer.write_all(&spaces)?;
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
        if head.len() > MAX_REQUEST {
            return Err(io::Error::other("request head too long"));
        }
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut request = Request {
        head,
        path,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return Err(io::Error::other("request body too long"));
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(Some(request))
}

fn respond(
    writer: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // One write: a second small one would wait for the client's delayed
    // ACK (Nagle), some 40 ms per answer.
    let mut answer = head.into_bytes();
    answer.extend_from_slice(body);
    writer.write_all(&answer)?;
    writer.flush()
}

/// A `400` carrying `message`, in the protocol the request was sent in.
fn error(writer: &mut TcpStream, request: &Request, message: &str) -> io::Result<()> {
    let form = String::from_utf8_lossy(&request.body);
    if request.header("x-amz-target").is_some() {
        let body = serde_json::json!({
            "__type": "InvalidParameterException",
            "message": message,
        });
        respond(
            writer,
            "400 Bad Request",
            &[("content-type", "application/x-amz-json-1.1")],
            body.to_string().as_bytes(),
        )
    } else if form.starts_with("Action=") || form.contains("&Action=") {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>{}</Message></Error><RequestId>hostile</RequestId></ErrorResponse>",
            xml_escape(message)
        );
        respond(
            writer,
            "400 Bad Request",
            &[("content-type", "text/xml")],
            body.as_bytes(),
        )
    } else {
        let body = serde_json::json!({ "message": message });
        respond(
            writer,
            "400 Bad Request",
            &[
                ("content-type", "application/json"),
                ("x-amzn-errortype", "InvalidRequestException"),
            ],
            body.to_string().as_bytes(),
        )
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The next token after `used` under `paging`; `None` ends the listing.
fn next_token(paging: Paging, used: Option<&str>) -> Option<String> {
    match paging {
        Paging::Finite => None,
        Paging::Cycle => Some(if used == Some("A") { "B" } else { "A" }.to_owned()),
        Paging::Fresh => {
            let n: u64 = used
                .and_then(|t| t.strip_prefix("fresh-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            Some(format!("fresh-{}", n + 1))
        }
    }
}

/// The portal's answer to a listing request.
fn listing(request: &Request, accounts: Paging, roles: Paging) -> (&'static str, String) {
    let used = request.query("next_token");
    let path = request.path.split('?').next().unwrap_or_default();
    let mut body = match path {
        // The account on the first page only, so a long listing costs
        // one call per page and no role listings.
        "/assignment/accounts" => serde_json::json!({
            "accountList": if used.is_none() {
                serde_json::json!([{
                    "accountId": LISTED_ACCOUNT,
                    "accountName": "Hostile",
                    "emailAddress": "hostile@example.com",
                }])
            } else {
                serde_json::json!([])
            },
            "nextToken": next_token(accounts, used),
        }),
        "/assignment/roles" => serde_json::json!({
            "roleList": [{ "roleName": "Paged", "accountId": LISTED_ACCOUNT }],
            "nextToken": next_token(roles, used),
        }),
        _ => {
            return (
                "404 Not Found",
                serde_json::json!({ "message": "no such role" }).to_string(),
            );
        }
    };
    if body["nextToken"].is_null()
        && let Some(map) = body.as_object_mut()
    {
        map.remove("nextToken");
    }
    ("200 OK", body.to_string())
}

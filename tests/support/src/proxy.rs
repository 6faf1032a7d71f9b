//! A forward HTTP proxy on 127.0.0.1 for tests of `HTTPS_PROXY`, `NO_PROXY`,
//! proxy authentication and unreachable proxies.
//!
//! It understands `CONNECT host:port` (a byte tunnel) and absolute-form
//! requests (`GET http://host:port/path`), which it rewrites to origin-form
//! and forwards. It serves one absolute-form request per connection: it asks
//! the origin for `Connection: close` and answers the client with
//! `Connection: close`, so a pooling client opens a new connection for its
//! next request (and the proxy counts each one). `Expect: 100-continue` is
//! not handled specially.
//!
//! It only ever connects to loopback targets (127.0.0.0/8, `::1`,
//! `localhost`); anything else gets 403, so a test can never reach the
//! internet through it.
//!
//! Plain std threads: one accepts, one per connection, one more per tunnel
//! or request body. Dropping the proxy stops accepting and shuts down every
//! connection still open.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The realm of the `Proxy-Authenticate` challenge.
pub const REALM: &str = "ssocred-test-proxy";

/// The largest request or response head the proxy reads.
const MAX_HEAD: u64 = 64 * 1024;
/// How long a client may take to send its request head; generous, since
/// tests run on loaded machines.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting to a loopback target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Userinfo characters left as they are: the unreserved ones (RFC 3986).
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What the proxy has done so far; see [`ForwardProxy::traffic`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// `CONNECT` tunnels established.
    pub tunnels: u64,
    /// Absolute-form requests forwarded to their origin.
    pub forwarded: u64,
    /// The `host:port` of every tunnel and forwarded request, in order.
    pub targets: Vec<String>,
    /// Every `Proxy-Authorization` value received, wrong ones included, in
    /// order.
    pub authorizations: Vec<String>,
    /// The status of every request the proxy answered itself (400, 403, 407,
    /// 502), in order.
    pub refused: Vec<u16>,
}

impl fmt::Debug for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy credentials are secrets, even in a test's failure message.
        f.debug_struct("Traffic")
            .field("tunnels", &self.tunnels)
            .field("forwarded", &self.forwarded)
            .field("targets", &self.targets)
            .field(
                "authorizations",
                &format_args!("[{} redacted]", self.authorizations.len()),
            )
            .field("refused", &self.refused)
            .finish()
    }
}

/// A running forward proxy on 127.0.0.1. Dropping it stops it.
pub struct ForwardProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl ForwardProxy {
    /// Starts a proxy that needs no credentials on a free port of 127.0.0.1.
    pub fn start() -> io::Result<Self> {
        Self::start_with(None)
    }

    /// Starts a proxy that answers 407 unless a request carries
    /// `Proxy-Authorization: Basic base64(user:pass)`.
    pub fn with_basic_auth(user: &str, pass: &str) -> io::Result<Self> {
        Self::start_with(Some(STANDARD.encode(format!("{user}:{pass}"))))
    }

    fn start_with(expected_auth: Option<String>) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            expected_auth,
            stopping: AtomicBool::new(false),
            traffic: Mutex::new(Traffic::default()),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let accepting = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ssocred-test-proxy".to_owned())
            .spawn(move || accept_loop(&listener, &accepting))?;
        Ok(Self {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`: the value for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's URL with `user` and `pass` percent-encoded into it,
    /// `http://USER:PASS@127.0.0.1:PORT`.
    pub fn url_with_credentials(&self, user: &str, pass: &str) -> String {
        format!(
            "http://{}:{}@{}",
            utf8_percent_encode(user, USERINFO),
            utf8_percent_encode(pass, USERINFO),
            self.addr
        )
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A snapshot of what the proxy has done so far.
    pub fn traffic(&self) -> Traffic {
        self.shared.traffic().clone()
    }

    /// Forgets everything counted so far.
    pub fn reset(&self) {
        *self.shared.traffic() = Traffic::default();
    }
}

impl fmt::Debug for ForwardProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardProxy")
            .field("addr", &self.addr)
            .field("requires_auth", &self.shared.expected_auth.is_some())
            .finish()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stopping`; a failure means
        // it is gone already.
        let _ = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for stream in self.shared.open().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

struct Shared {
    /// The base64 `user:pass` a request must carry, if any.
    expected_auth: Option<String>,
    stopping: AtomicBool,
    traffic: Mutex<Traffic>,
    /// Every socket in use, so that dropping the proxy can end each
    /// connection and free the threads blocked on them.
    open: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

impl Shared {
    fn traffic(&self) -> MutexGuard<'_, Traffic> {
        self.traffic.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `stream` until the returned guard drops; a proxy that is
    /// stopping refuses it.
    fn track<'a>(&'a self, stream: &TcpStream) -> io::Result<Tracked<'a>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open();
        // Checked under the lock that `drop` takes after setting `stopping`,
        // so no socket escapes the final shutdown.
        if self.stopping.load(Ordering::SeqCst) {
            return Err(io::Error::other("the proxy is stopping"));
        }
        open.insert(id, stream.try_clone()?);
        Ok(Tracked { shared: self, id })
    }

    fn authorized(&self, head: &Head) -> bool {
        let Some(expected) = &self.expected_auth else {
            return true;
        };
        head.header("proxy-authorization")
            .and_then(|value| value.split_once(' '))
            .is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("basic") && token.trim() == expected
            })
    }
}

struct Tracked<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        if let Some(stream) = self.shared.open().remove(&self.id) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, say: let some connections end first.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        let _ = std::thread::Builder::new()
            .name("ssocred-test-proxy-conn".to_owned())
            .spawn(move || {
                // A client that goes away mid-request is its own test's
                // failure, not the proxy's.
                let _ = serve(stream, &shared);
            });
    }
}

fn serve(client: TcpStream, shared: &Shared) -> io::Result<()> {
    let _client_guard = shared.track(&client)?;
    client.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let Some(raw) = read_head(&mut from_client)? else {
        return Ok(());
    };
    let Some(head) = Head::parse(&raw) else {
        return refuse(&mut to_client, shared, 400, "Bad Request", "");
    };
    if let Some(value) = head.header("proxy-authorization") {
        shared.traffic().authorizations.push(value.to_owned());
    }
    if !shared.authorized(&head) {
        let challenge = format!("Proxy-Authenticate: Basic realm=\"{REALM}\"\r\n");
        return refuse(
            &mut to_client,
            shared,
            407,
            "Proxy Authentication Required",
            &challenge,
        );
    }
    let connect = head.method.eq_ignore_ascii_case("CONNECT");
    let target = if connect {
        Target::parse_authority(&head.target, None)
    } else {
        Target::absolute_http(&head.target)
    };
    let Some(target) = target else {
        return refuse(&mut to_client, shared, 400, "Bad Request", "");
    };
    if !target.is_loopback() {
        return refuse(&mut to_client, shared, 403, "Forbidden", "");
    }
    let Some(upstream) = target.connect() else {
        return refuse(&mut to_client, shared, 502, "Bad Gateway", "");
    };
    let _upstream_guard = shared.track(&upstream)?;
    to_client.set_read_timeout(None)?;
    {
        let mut traffic = shared.traffic();
        if connect {
            traffic.tunnels += 1;
        } else {
            traffic.forwarded += 1;
        }
        traffic.targets.push(target.authority());
    }
    if connect {
        to_client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        tunnel(from_client, to_client, upstream)
    } else {
        forward(&head, &target, from_client, to_client, upstream)
    }
}

/// Copies bytes both ways until each side has finished sending, passing
/// half-closes on.
fn tunnel(
    from_client: BufReader<TcpStream>,
    mut to_client: TcpStream,
    upstream: TcpStream,
) -> io::Result<()> {
    let uploading = copy_then_close(from_client, upstream.try_clone()?)?;
    let copied = io::copy(&mut &upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Write);
    let _ = uploading.join();
    copied.map(drop)
}

/// Sends the origin-form request to `upstream`, then the rest of what the
/// client sends (a body), and streams the answer back.
fn forward(
    head: &Head,
    target: &Target,
    from_client: BufReader<TcpStream>,
    mut to_client: TcpStream,
    mut upstream: TcpStream,
) -> io::Result<()> {
    let mut request = format!("{} {} {}\r\n", head.method, target.path, head.version);
    if head.header("host").is_none() {
        request.push_str(&format!("Host: {}\r\n", target.authority()));
    }
    push_end_to_end_headers(&mut request, &head.headers);
    upstream.write_all(request.as_bytes())?;
    let uploading = copy_then_close(from_client, upstream.try_clone()?)?;

    let mut from_upstream = BufReader::new(upstream.try_clone()?);
    let answer = read_head(&mut from_upstream)?.and_then(|raw| Response::parse(&raw));
    let copied = match answer {
        Some(answer) => {
            let mut response = format!("{}\r\n", answer.status_line);
            push_end_to_end_headers(&mut response, &answer.headers);
            to_client.write_all(response.as_bytes())?;
            io::copy(&mut from_upstream, &mut to_client).map(drop)
        }
        None => {
            // The origin answered with something that is not HTTP/1.
            let status =
                "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            to_client.write_all(status.as_bytes())
        }
    };
    // One request per connection: ending both sockets frees the body copier.
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = upstream.shutdown(Shutdown::Both);
    let _ = uploading.join();
    copied
}

/// Appends `headers` except the hop-by-hop ones, then `Connection: close`
/// and the blank line.
fn push_end_to_end_headers(out: &mut String, headers: &[(String, String)]) {
    const HOP_BY_HOP: [&str; 4] = [
        "proxy-authorization",
        "proxy-connection",
        "connection",
        "keep-alive",
    ];
    for (name, value) in headers {
        if !HOP_BY_HOP.iter().any(|hop| name.eq_ignore_ascii_case(hop)) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
}

/// Copies `from` into `to` on a thread of its own, then half-closes `to`.
fn copy_then_close(
    mut from: BufReader<TcpStream>,
    mut to: TcpStream,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ssocred-test-proxy-copy".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        })
}

fn refuse(
    client: &mut TcpStream,
    shared: &Shared,
    status: u16,
    reason: &str,
    headers: &str,
) -> io::Result<()> {
    shared.traffic().refused.push(status);
    let body = format!("{status} {reason}\n");
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\n{headers}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(response.as_bytes())?;
    client.flush()
}

/// Reads up to and including the blank line that ends a head; `None` when
/// the peer closed before sending anything.
fn read_head(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let room = MAX_HEAD.saturating_sub(head.len() as u64);
        let start = head.len();
        let read = reader.by_ref().take(room).read_until(b'\n', &mut head)?;
        if read == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a head that is cut short or too long",
                ))
            };
        }
        if matches!(&head[start..], b"\r\n" | b"\n") {
            return Ok(Some(head));
        }
    }
}

/// A request head: its request line split in three, and its headers in
/// order.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(raw: &[u8]) -> Option<Self> {
        let (start_line, headers) = split_head(raw)?;
        let mut start = start_line.split(' ');
        let (method, target, version) = (start.next()?, start.next()?, start.next()?);
        if start.next().is_some() || !version.starts_with("HTTP/1.") {
            return None;
        }
        Some(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version: version.to_owned(),
            headers,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response head: its status line whole (the reason phrase may hold
/// spaces), and its headers in order.
struct Response {
    status_line: String,
    headers: Vec<(String, String)>,
}

impl Response {
    fn parse(raw: &[u8]) -> Option<Self> {
        let (status_line, headers) = split_head(raw)?;
        status_line.starts_with("HTTP/1.").then(|| Self {
            status_line: status_line.to_owned(),
            headers,
        })
    }
}

/// Splits a head into its start line and its `(name, value)` headers.
fn split_head(raw: &[u8]) -> Option<(&str, Vec<(String, String)>)> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.lines();
    let start_line = lines.next()?;
    let mut headers = Vec::new();
    for line in lines.take_while(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Some((start_line, headers))
}

/// Where a request goes: a host (brackets stripped), a port, and for
/// absolute-form requests the origin-form path.
struct Target {
    host: String,
    port: u16,
    path: String,
}

impl Target {
    /// Parses `host:port`, `[v6]:port`, or without a port `default_port`.
    fn parse_authority(authority: &str, default_port: Option<u16>) -> Option<Self> {
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(port) => port.parse().ok()?,
            None => default_port?,
        };
        if host.is_empty() || host.contains('@') {
            return None;
        }
        Some(Self {
            host: host.to_owned(),
            port,
            path: String::new(),
        })
    }

    /// Parses `http://authority/path?query`; other schemes are refused.
    fn absolute_http(uri: &str) -> Option<Self> {
        let scheme_end = uri.find("://")?;
        if !uri[..scheme_end].eq_ignore_ascii_case("http") {
            return None;
        }
        let rest = &uri[scheme_end + 3..];
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let mut target = Self::parse_authority(authority, Some(80))?;
        target.path = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        Some(target)
    }

    fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Connects to the first loopback address the host resolves to; a name
    /// resolving elsewhere is never followed.
    fn connect(&self) -> Option<TcpStream> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .ok()?
            .filter(|addr| addr.ip().is_loopback())
            .find_map(|addr| TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).ok())
    }
}

//! The redirect listener of the PKCE flow: an HTTP endpoint on 127.0.0.1 at
//! a random port that waits for `/oauth/callback?code=&state=` with the
//! state this login sent.
//!
//! Any local process can connect to the port, so the listener serves every
//! connection concurrently and drops each one after
//! [`CONNECTION_TIMEOUT`]; keeps at most [`MAX_CONNECTIONS`] open, closing
//! the oldest first; and ignores a redirect whose state is not this login's
//! (a stale tab or a forgery), so that the real redirect still arrives.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};

use crate::domain::text::visible;

/// The path the browser is redirected to.
const CALLBACK_PATH: &str = "/oauth/callback";

/// A request line and headers larger than this are not a redirect.
const MAX_REQUEST: usize = 16 * 1024;

/// How long one connection may take to send its request and take the reply.
/// A browser following a redirect needs milliseconds.
pub(crate) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; a new one past this closes the oldest.
pub(crate) const MAX_CONNECTIONS: usize = 64;

const DONE_PAGE: &str = "<!doctype html><title>ssocred</title><p>Signed in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str =
    "<!doctype html><title>ssocred</title><p>Sign-in failed. See the terminal for details.</p>";
const NOT_OURS_PAGE: &str = "<!doctype html><title>ssocred</title><p>This sign-in link does not belong to the login ssocred is waiting for. Start again from the URL in the terminal.</p>";

/// What the redirect with this login's state carried.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// An authorization code.
    Code(String),
    /// An OAuth `error` and its description, when given, with control
    /// characters made visible (see [`visible`]).
    Error(String),
}

pub(crate) struct Listener {
    listener: TcpListener,
    port: u16,
    timeout: Duration,
}

impl Listener {
    /// Listens on 127.0.0.1 at `port`, or at a random port.
    pub(crate) async fn bind(port: Option<u16>) -> io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0))).await?;
        let port = listener.local_addr()?.port();
        Ok(Listener {
            listener,
            port,
            timeout: CONNECTION_TIMEOUT,
        })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serves requests until one reaches the callback path with `state` and
    /// a code or an error. Anything else (another path, a missing or wrong
    /// state, a request that never completes) is answered or dropped, and
    /// the wait goes on; the caller bounds it.
    pub(crate) async fn wait(self, state: &str) -> io::Result<Answer> {
        let state: Arc<str> = Arc::from(state);
        let mut connections: JoinSet<Option<Answer>> = JoinSet::new();
        let mut open: VecDeque<AbortHandle> = VecDeque::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        // A client that gave up before it was accepted.
                        Err(e) if matches!(
                            e.kind(),
                            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                        ) => continue,
                        Err(e) => return Err(e),
                    };
                    open.retain(|task| !task.is_finished());
                    if open.len() >= MAX_CONNECTIONS
                        && let Some(oldest) = open.pop_front()
                    {
                        oldest.abort();
                    }
                    let served = serve(stream, Arc::clone(&state));
                    let timeout = self.timeout;
                    open.push_back(connections.spawn(async move {
                        tokio::time::timeout(timeout, served).await.ok().flatten()
                    }));
                }
                Some(done) = connections.join_next(), if !connections.is_empty() => {
                    // Aborted and timed-out connections carry nothing.
                    if let Ok(Some(answer)) = done {
                        return Ok(answer);
                    }
                }
            }
        }
    }
}

/// The longest line `--remote` reads: an address with a code and a state
/// is a few hundred bytes.
pub(crate) const MAX_PASTE: usize = 16 * 1024;

/// What the user pasted for a `--remote` login: the address the browser was
/// redirected to (or its query), checked for this login's `state` as the
/// listener checks it; or the bare code. `Err` says what is wrong.
pub(crate) fn pasted_answer(pasted: &str, state: &str) -> Result<Answer, String> {
    let pasted = pasted.trim();
    if pasted.is_empty() {
        return Err("nothing was pasted".to_owned());
    }
    if pasted.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(
            "the pasted text holds spaces or control characters; paste the address on one line"
                .to_owned(),
        );
    }
    let query = match pasted.split_once('?') {
        Some((_, query)) => Some(query),
        None if pasted.contains('=') => Some(pasted),
        None => None,
    };
    let Some(query) = query else {
        // A bare code carries no state; the PKCE verifier still ties it to
        // this login.
        return Ok(Answer::Code(pasted.to_owned()));
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let params = parse_query(query);
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    match get("state") {
        None => {
            return Err(
                "the pasted address has no state; paste the whole address the browser went to"
                    .to_owned(),
            );
        }
        Some(got) if !bool::from(got.as_bytes().ct_eq(state.as_bytes())) => {
            return Err("the pasted address belongs to another sign-in (its state is not this login's); start again and paste the address of this login".to_owned());
        }
        Some(_) => {}
    }
    if let Some(error) = get("error") {
        let text = match get("error_description") {
            Some(description) => format!("{error}: {description}"),
            None => error.to_owned(),
        };
        return Ok(Answer::Error(visible(&text).into_owned()));
    }
    match get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(Answer::Code(code.to_owned())),
        None => Err("the pasted address has no code".to_owned()),
    }
}

/// Answers one connection; `Some` when it carried this login's answer.
async fn serve(mut stream: TcpStream, state: Arc<str>) -> Option<Answer> {
    let target = read_request_target(&mut stream).await.ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != CALLBACK_PATH {
        respond(&mut stream, "404 Not Found", "").await;
        return None;
    }
    let params = parse_query(query);
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    let ours = get("state").is_some_and(|got| bool::from(got.as_bytes().ct_eq(state.as_bytes())));
    if !ours {
        respond(&mut stream, "400 Bad Request", NOT_OURS_PAGE).await;
        return None;
    }
    if let Some(error) = get("error") {
        respond(&mut stream, "200 OK", FAILED_PAGE).await;
        let text = match get("error_description") {
            Some(description) => format!("{error}: {description}"),
            None => error.to_owned(),
        };
        return Some(Answer::Error(visible(&text).into_owned()));
    }
    if let Some(code) = get("code") {
        respond(&mut stream, "200 OK", DONE_PAGE).await;
        return Some(Answer::Code(code.to_owned()));
    }
    respond(&mut stream, "400 Bad Request", FAILED_PAGE).await;
    None
}

/// Reads the head of one request and returns its target (`/path?query`).
async fn read_request_target(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_REQUEST {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an HTTP request",
            ));
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Ok(target.to_owned()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a GET request",
        )),
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser going away does not change what the redirect carried.
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Splits a query string into decoded pairs (`+` is a space, as in forms).
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    const STATE: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn queries_decode() {
        assert_eq!(
            parse_query("code=a%2Bb&state=x+y&flag"),
            [
                ("code".to_owned(), "a+b".to_owned()),
                ("state".to_owned(), "x y".to_owned()),
                ("flag".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn pasted_addresses_are_checked_like_redirects() {
        let ok = |text: &str| pasted_answer(text, STATE);
        assert_eq!(
            ok(&format!(
                "http://127.0.0.1/oauth/callback?code=c%2B1&state={STATE}\n"
            )),
            Ok(Answer::Code("c+1".to_owned()))
        );
        assert_eq!(
            ok(&format!("  code=c1&state={STATE}#frag ")),
            Ok(Answer::Code("c1".to_owned()))
        );
        assert_eq!(
            ok("bare-code_1"),
            Ok(Answer::Code("bare-code_1".to_owned()))
        );
        assert_eq!(
            ok(&format!(
                "http://127.0.0.1/oauth/callback?error=access_denied&state={STATE}"
            )),
            Ok(Answer::Error("access_denied".to_owned()))
        );
        for bad in [
            "",
            "   ",
            "http://127.0.0.1/oauth/callback?code=c1",
            "http://127.0.0.1/oauth/callback?code=c1&state=0123456789abcdef0123456789abcdeF",
            "http://127.0.0.1/oauth/callback?code=c1&state=0123456789abcdef",
            "code one",
            "code\u{1b}[2J",
        ] {
            assert!(ok(bad).is_err(), "{bad:?}");
        }
        assert!(ok(&format!("http://127.0.0.1/oauth/callback?state={STATE}")).is_err());
    }

    #[tokio::test]
    async fn a_fixed_port_is_used_and_a_busy_one_refused() {
        let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = Listener::bind(Some(port))
            .await
            .err()
            .expect("bound a busy port");
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        drop(taken);
        let listener = Listener::bind(Some(port)).await.unwrap();
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{port}/oauth/callback")
        );
    }

    fn port(listener: &Listener) -> u16 {
        listener.port
    }

    /// Sends a GET for `target` and returns the status line of the reply,
    /// which must come within 5 s.
    async fn get(port: u16, target: &str) -> String {
        let exchange = async {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).await.unwrap();
            reply.lines().next().unwrap_or_default().to_owned()
        };
        tokio::time::timeout(Duration::from_secs(5), exchange)
            .await
            .unwrap_or_else(|_| panic!("no reply to {target} within 5 s"))
    }

    /// A connection that sends half a request and then nothing.
    async fn stalled(port: u16) -> TcpStream {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(b"GET /oauth/callback?code=").await.unwrap();
        s
    }

    async fn answer(waiter: tokio::task::JoinHandle<io::Result<Answer>>) -> Answer {
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the listener did not answer within 5 s")
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn the_real_redirect_wins_over_stalled_and_forged_requests() {
        let listener = Listener::bind(None).await.unwrap();
        let port = port(&listener);
        let waiter = tokio::spawn(listener.wait(STATE));
        // More stalled connections than the listener keeps, then requests
        // that must not end the wait.
        let mut idle = Vec::new();
        for _ in 0..MAX_CONNECTIONS + 20 {
            idle.push(stalled(port).await);
        }
        let started = Instant::now();
        assert_eq!(get(port, "/favicon.ico").await, "HTTP/1.1 404 Not Found");
        for forged in [
            "/oauth/callback?code=forged&state=y",
            "/oauth/callback?code=forged",
            "/oauth/callback?code=forged&state=0123456789abcdef0123456789abcdeF",
            "/oauth/callback?code=forged&state=0123456789abcdef0123456789abcde",
        ] {
            assert_eq!(
                get(port, forged).await,
                "HTTP/1.1 400 Bad Request",
                "{forged}"
            );
        }
        let real = format!("/oauth/callback?code=real&state={STATE}");
        assert_eq!(get(port, &real).await, "HTTP/1.1 200 OK");
        assert_eq!(answer(waiter).await, Answer::Code("real".to_owned()));
        // Each request is served at once: none waited for a stalled one.
        assert!(
            started.elapsed() < CONNECTION_TIMEOUT / 2,
            "{:?}",
            started.elapsed()
        );
        drop(idle);
    }

    #[tokio::test]
    async fn an_error_needs_the_right_state_and_is_made_visible() {
        let listener = Listener::bind(None).await.unwrap();
        let port = port(&listener);
        let waiter = tokio::spawn(listener.wait(STATE));
        for wrong in [
            "/oauth/callback?error=access_denied&error_description=no",
            "/oauth/callback?error=access_denied&state=wrong",
        ] {
            assert_eq!(
                get(port, wrong).await,
                "HTTP/1.1 400 Bad Request",
                "{wrong}"
            );
        }
        let hostile = format!(
            "/oauth/callback?error=access_denied&error_description=%1b%5b2J%1b%5b31mred%0d%0assocred%3a+fake+line%e2%80%ae&state={STATE}"
        );
        assert_eq!(get(port, &hostile).await, "HTTP/1.1 200 OK");
        assert_eq!(
            answer(waiter).await,
            Answer::Error(
                "access_denied: \\u{1b}[2J\\u{1b}[31mred\\r\\nssocred: fake line\\u{202e}"
                    .to_owned()
            )
        );
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_after_the_timeout() {
        let mut listener = Listener::bind(None).await.unwrap();
        listener.timeout = Duration::from_millis(200);
        let port = port(&listener);
        let _waiter = tokio::spawn(listener.wait(STATE));
        let mut silent = stalled(port).await;
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut rest))
            .await
            .expect("the silent connection was still open after 5 s");
        assert!(
            closed.is_ok() || closed.is_err_and(|e| e.kind() == io::ErrorKind::ConnectionReset)
        );
        assert!(rest.is_empty());
    }
}

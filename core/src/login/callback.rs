//! The redirect listener of the PKCE flow: a one-shot HTTP endpoint on
//! 127.0.0.1 at a random port that receives `/oauth/callback?code=&state=`.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The path the browser is redirected to.
const CALLBACK_PATH: &str = "/oauth/callback";

/// A request line and headers larger than this are not a redirect.
const MAX_REQUEST: usize = 16 * 1024;

const DONE_PAGE: &str = "<!doctype html><title>ssocred</title><p>Signed in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str =
    "<!doctype html><title>ssocred</title><p>Sign-in failed. See the terminal for details.</p>";

/// What the redirect carried.
#[derive(Debug)]
pub(crate) enum Answer {
    /// An authorization code and the state sent with the request.
    Code { code: String, state: String },
    /// An OAuth `error` (and its description, when given).
    Error(String),
}

pub(crate) struct Listener {
    listener: TcpListener,
    port: u16,
}

impl Listener {
    pub(crate) async fn bind() -> io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Listener { listener, port })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serves requests until one reaches the callback path with a code or an
    /// error; anything else (a favicon, a port scan) gets 404 and is ignored.
    pub(crate) async fn wait(self) -> io::Result<Answer> {
        loop {
            let (mut stream, _) = self.listener.accept().await?;
            let Ok(target) = read_request_target(&mut stream).await else {
                continue;
            };
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if path != CALLBACK_PATH {
                respond(&mut stream, "404 Not Found", "").await;
                continue;
            }
            let params = parse_query(query);
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v.clone())
            };
            if let Some(error) = get("error") {
                respond(&mut stream, "200 OK", FAILED_PAGE).await;
                let description = get("error_description")
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                return Ok(Answer::Error(format!("{error}{description}")));
            }
            if let (Some(code), Some(state)) = (get("code"), get("state")) {
                respond(&mut stream, "200 OK", DONE_PAGE).await;
                return Ok(Answer::Code { code, state });
            }
            respond(&mut stream, "400 Bad Request", FAILED_PAGE).await;
        }
    }
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
    use super::*;

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

    #[tokio::test]
    async fn the_first_callback_with_a_code_wins() {
        let listener = Listener::bind().await.unwrap();
        let uri = listener.redirect_uri();
        let port = uri
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let waiter = tokio::spawn(listener.wait());
        for target in ["/favicon.ico", "/oauth/callback?code=c1&state=s1"] {
            let mut s = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap()))
                .await
                .unwrap();
            s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).await.unwrap();
            assert!(reply.starts_with("HTTP/1.1 "), "{reply}");
        }
        match waiter.await.unwrap().unwrap() {
            Answer::Code { code, state } => {
                assert_eq!((code.as_str(), state.as_str()), ("c1", "s1"))
            }
            other => panic!("{other:?}"),
        }
    }
}

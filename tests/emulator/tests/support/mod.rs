//! A minimal HTTP/1.1 client over `TcpStream`, so the tests see the bytes on
//! the wire rather than what a client library makes of them.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The bearer token most tests configure.
pub const TOKEN: &str = "test-token";

/// A response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The value of the header `name` (case-insensitive), if present once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str());
        let first = values.next();
        assert!(values.next().is_none(), "header {name} repeated");
        first
    }

    /// The body parsed as JSON, after checking the content type.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.header("content-type"), Some("application/json"));
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.body))
    }

    /// Asserts this is the portal error `error_type` with `status`, shaped as
    /// the service sends it, and returns its message.
    pub fn expect_error(&self, status: u16, error_type: &str) -> String {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("x-amzn-errortype"),
            Some(error_type),
            "{self:?}"
        );
        let body = self.json();
        let object = body.as_object().expect("error body is an object");
        assert_eq!(object.len(), 1, "{body}");
        object["message"]
            .as_str()
            .expect("message is a string")
            .to_owned()
    }
}

/// Sends one request on a fresh connection and reads the whole response.
pub fn request(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    request_with_body(port, method, target, headers, "")
}

/// Like [`request`], with a body (and its `Content-Length`) for POST.
pub fn request_with_body(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).unwrap();

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse(&raw)
}

/// `GET target` with the bearer token header, or without it for `None`.
pub fn get(port: u16, target: &str, token: Option<&str>) -> Response {
    match token {
        Some(token) => request(port, "GET", target, &[("x-amz-sso_bearer_token", token)]),
        None => request(port, "GET", target, &[]),
    }
}

/// `POST /logout` with the bearer token.
pub fn logout(port: u16, token: &str) -> Response {
    request(
        port,
        "POST",
        "/logout",
        &[("x-amz-sso_bearer_token", token)],
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as SDKs
/// do for query values.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("response has a header section");
    let head = std::str::from_utf8(&raw[..split]).expect("headers are UTF-8");
    let body = &raw[split + 4..];

    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts.next().unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("header line has a colon");
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();

    let response = Response {
        status,
        headers,
        body: String::new(),
    };
    // 204 has no body and so no length; everything else states its length.
    let length: usize = match response.header("content-length") {
        Some(length) => length.parse().unwrap(),
        None if status == 204 => 0,
        None => panic!("response without Content-Length: {head}"),
    };
    assert_eq!(body.len(), length, "body length matches Content-Length");
    Response {
        body: String::from_utf8(body.to_vec()).expect("body is UTF-8"),
        ..response
    }
}

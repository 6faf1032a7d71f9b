//! The forward proxy speaks CONNECT and absolute-form HTTP with raw TCP
//! clients, checks credentials, refuses non-loopback targets and counts
//! what it forwards.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ssocred_test_support::{ForwardProxy, REALM, Traffic};

/// Long enough for a loaded machine; a test only waits this long on failure.
const PATIENCE: Duration = Duration::from_secs(20);

/// An echo server on 127.0.0.1 for one connection: it sends back every
/// byte, then closes when the client half-closes.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = stream.try_clone().unwrap();
        std::io::copy(&mut reader, &mut stream).unwrap();
    });
    port
}

/// An HTTP server on 127.0.0.1 for one request: it sends the request head
/// it received to the channel and answers `200` with body `hello`, with no
/// framing other than closing the connection if asked to.
fn http_server() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        tx.send(head).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\nX-Origin: yes\r\n\r\nhello")
            .unwrap();
    });
    (port, rx)
}

fn connect(proxy: &ForwardProxy) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends `request` and returns the proxy's whole answer, up to its closing
/// the connection.
fn exchange(proxy: &ForwardProxy, request: &str) -> String {
    let mut stream = connect(proxy);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Reads a response head byte by byte, so that nothing after it is consumed.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn basic(user: &str, pass: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")))
}

#[test]
fn connect_tunnels_bytes_both_ways_including_bytes_sent_with_the_request() {
    let proxy = ForwardProxy::start().unwrap();
    let echo = echo_server();
    let mut stream = connect(&proxy);

    // "early" travels in the same write as the head: the proxy must pass on
    // what it read past the blank line.
    let request =
        format!("CONNECT 127.0.0.1:{echo} HTTP/1.1\r\nHost: 127.0.0.1:{echo}\r\n\r\nearly");
    stream.write_all(request.as_bytes()).unwrap();
    assert_eq!(
        read_head(&mut stream),
        "HTTP/1.1 200 Connection established\r\n\r\n"
    );
    stream.write_all(b" and late").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut echoed = String::new();
    stream.read_to_string(&mut echoed).unwrap();

    assert_eq!(echoed, "early and late");
    assert_eq!(
        proxy.traffic(),
        Traffic {
            tunnels: 1,
            targets: vec![format!("127.0.0.1:{echo}")],
            ..Traffic::default()
        }
    );
}

#[test]
fn connect_to_localhost_by_name_is_allowed() {
    let proxy = ForwardProxy::start().unwrap();
    let echo = echo_server();
    let mut stream = connect(&proxy);
    stream
        .write_all(format!("CONNECT localhost:{echo} HTTP/1.1\r\n\r\n").as_bytes())
        .unwrap();
    assert_eq!(
        read_head(&mut stream),
        "HTTP/1.1 200 Connection established\r\n\r\n"
    );
    stream.write_all(b"ping").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut echoed = String::new();
    stream.read_to_string(&mut echoed).unwrap();
    assert_eq!(echoed, "ping");
    assert_eq!(proxy.traffic().targets, [format!("localhost:{echo}")]);
}

#[test]
fn absolute_form_get_is_forwarded_in_origin_form_without_proxy_headers() {
    let proxy = ForwardProxy::with_basic_auth("alice", "s3cret").unwrap();
    let (port, heads) = http_server();
    let auth = basic("alice", "s3cret");

    let answer = exchange(
        &proxy,
        &format!(
            "GET http://127.0.0.1:{port}/federation/credentials?role_name=R HTTP/1.1\r\n\
             Host: 127.0.0.1:{port}\r\n\
             Proxy-Authorization: {auth}\r\n\
             Proxy-Connection: keep-alive\r\n\
             X-Amz-Sso_bearer_token: token\r\n\r\n"
        ),
    );

    let head = heads.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        head,
        format!(
            "GET /federation/credentials?role_name=R HTTP/1.1\r\n\
             Host: 127.0.0.1:{port}\r\n\
             X-Amz-Sso_bearer_token: token\r\n\
             Connection: close\r\n\r\n"
        )
    );
    assert_eq!(
        answer,
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Origin: yes\r\nConnection: close\r\n\r\nhello"
    );
    assert_eq!(
        proxy.traffic(),
        Traffic {
            forwarded: 1,
            targets: vec![format!("127.0.0.1:{port}")],
            authorizations: vec![auth],
            ..Traffic::default()
        }
    );
}

#[test]
fn absolute_form_without_a_path_or_host_header_gets_both() {
    let proxy = ForwardProxy::start().unwrap();
    let (port, heads) = http_server();
    let answer = exchange(
        &proxy,
        &format!("GET http://127.0.0.1:{port} HTTP/1.1\r\n\r\n"),
    );
    assert_eq!(
        heads.recv_timeout(PATIENCE).unwrap(),
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
    );
    assert!(answer.ends_with("\r\n\r\nhello"), "{answer}");
}

#[test]
fn missing_or_wrong_credentials_get_407_with_a_basic_challenge() {
    let proxy = ForwardProxy::with_basic_auth("alice", "s3cret").unwrap();
    let echo = echo_server();
    let challenge = format!("Proxy-Authenticate: Basic realm=\"{REALM}\"\r\n");
    let wrong = [
        basic("alice", "wrong"),
        basic("bob", "s3cret"),
        "Bearer x".to_owned(),
    ];

    let mut requests = vec![
        format!("CONNECT 127.0.0.1:{echo} HTTP/1.1\r\n\r\n"),
        format!("GET http://127.0.0.1:{echo}/ HTTP/1.1\r\n\r\n"),
    ];
    for auth in &wrong {
        requests.push(format!(
            "CONNECT 127.0.0.1:{echo} HTTP/1.1\r\nProxy-Authorization: {auth}\r\n\r\n"
        ));
    }
    for request in &requests {
        let answer = exchange(&proxy, request);
        assert!(
            answer.starts_with("HTTP/1.1 407 Proxy Authentication Required\r\n"),
            "{request}: {answer}"
        );
        assert!(answer.contains(&challenge), "{request}: {answer}");
    }

    let traffic = proxy.traffic();
    assert_eq!(traffic.refused, [407; 5]);
    assert_eq!(traffic.authorizations, wrong);
    assert_eq!((traffic.tunnels, traffic.forwarded), (0, 0));
    assert!(traffic.targets.is_empty());

    // The right credentials, with the scheme in another case, pass.
    let mut stream = connect(&proxy);
    let token = STANDARD.encode("alice:s3cret");
    stream
        .write_all(
            format!(
                "CONNECT 127.0.0.1:{echo} HTTP/1.1\r\nproxy-authorization: basic {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(
        read_head(&mut stream),
        "HTTP/1.1 200 Connection established\r\n\r\n"
    );
    assert_eq!(proxy.traffic().tunnels, 1);
}

#[test]
fn non_loopback_targets_are_refused_with_403_and_never_contacted() {
    let proxy = ForwardProxy::start().unwrap();
    let requests = [
        "CONNECT portal.sso.eu-west-1.amazonaws.com:443 HTTP/1.1\r\n\r\n",
        "CONNECT 10.0.0.1:443 HTTP/1.1\r\n\r\n",
        "CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n",
        "CONNECT localhost.example.com:443 HTTP/1.1\r\n\r\n",
        "GET http://93.184.215.14/ HTTP/1.1\r\n\r\n",
        "GET http://example.com:8080/x HTTP/1.1\r\n\r\n",
    ];
    for request in requests {
        let answer = exchange(&proxy, request);
        assert!(
            answer.starts_with("HTTP/1.1 403 Forbidden\r\n"),
            "{request}: {answer}"
        );
    }
    assert_eq!(
        proxy.traffic(),
        Traffic {
            refused: vec![403; requests.len()],
            ..Traffic::default()
        }
    );
}

#[test]
fn malformed_requests_get_400_and_a_closed_loopback_port_502() {
    let proxy = ForwardProxy::start().unwrap();
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for request in [
        "GET /origin-form HTTP/1.1\r\n\r\n",
        "GET https://127.0.0.1:1/ HTTP/1.1\r\n\r\n",
        "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
        "CONNECT user@127.0.0.1:1 HTTP/1.1\r\n\r\n",
        "not http\r\n\r\n",
    ] {
        let answer = exchange(&proxy, request);
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{request}: {answer}"
        );
    }
    let answer = exchange(
        &proxy,
        &format!("CONNECT 127.0.0.1:{closed} HTTP/1.1\r\n\r\n"),
    );
    assert!(
        answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{answer}"
    );
    assert_eq!(proxy.traffic().refused, [400, 400, 400, 400, 400, 502]);
}

#[test]
fn urls_name_the_port_and_percent_encode_credentials() {
    let proxy = ForwardProxy::start().unwrap();
    let port = proxy.port();
    assert_eq!(proxy.url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(
        proxy.url_with_credentials("dom\\al ice", "p@ss:w/rd%~"),
        format!("http://dom%5Cal%20ice:p%40ss%3Aw%2Frd%25~@127.0.0.1:{port}")
    );
}

#[test]
fn debug_output_hides_credentials() {
    let proxy = ForwardProxy::with_basic_auth("alice", "s3cret").unwrap();
    let auth = basic("alice", "s3cret");
    let answer = exchange(
        &proxy,
        &format!("CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: {auth}\r\n\r\n"),
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let shown = format!("{proxy:?} {:?}", proxy.traffic());
    let token = STANDARD.encode("alice:s3cret");
    assert!(
        !shown.contains(&token) && !shown.contains("s3cret"),
        "{shown}"
    );
    assert!(shown.contains("[1 redacted]"), "{shown}");
}

#[test]
fn dropping_the_proxy_ends_open_tunnels_and_stops_listening() {
    let proxy = ForwardProxy::start().unwrap();
    let port = proxy.port();
    let echo = echo_server();
    let mut stream = connect(&proxy);
    stream
        .write_all(format!("CONNECT 127.0.0.1:{echo} HTTP/1.1\r\n\r\n").as_bytes())
        .unwrap();
    read_head(&mut stream);

    drop(proxy);

    // The tunnel ends (EOF or reset) instead of waiting out PATIENCE.
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty()),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "still open"),
    }
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

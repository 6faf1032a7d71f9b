//! The `serve` sink: a container-credentials endpoint on 127.0.0.1, the
//! protocol the AWS SDKs use on ECS and EKS.
//!
//! Clients find it through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and send
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN` as the `Authorization` header; the
//! endpoint answers `{AccessKeyId, SecretAccessKey, Token, Expiration}` only
//! to a request carrying the random token it generated, and the sink swaps in
//! each refreshed set as the credential stream delivers it. The server runs
//! on a thread of its own while the sink lives, with a header timeout, a
//! connection cap and a prompt stop, so local clients can neither starve it
//! nor hold it open.

#![deny(missing_docs)]

mod server;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use ssocred_core::domain::shell::{Shell, region_variables, script};
use ssocred_core::{
    Capacity, CredentialSet, ExposeSecret, SecretString, Sink, SinkContext, SinkError, SinkKind,
    SinkSpec,
};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tokio::sync::{Notify, oneshot};

use crate::server::Limits;

const NAME: &str = "serve";

/// The listen backlog (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: u32 = 1024;

/// The path credentials are served on.
pub const PATH: &str = "/credentials";

/// The address used when none is given: a free port of 127.0.0.1.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// A running endpoint: the listening server and the token it requires.
/// Dropping it stops the server within a fraction of a second, whatever its
/// clients are doing.
pub struct Endpoint {
    url: String,
    token: SecretString,
    current: Arc<RwLock<Served>>,
    wake: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Binds `listen` and starts serving (with no credentials until the
    /// first [`Endpoint::publish`]). A non-loopback address is refused unless
    /// `allow_non_loopback`: the credentials would then be one token away
    /// for every host that can reach the port.
    pub fn start(listen: SocketAddr, allow_non_loopback: bool) -> Result<Endpoint, SinkError> {
        Endpoint::start_with(listen, allow_non_loopback, Limits::for_this_process())
    }

    fn start_with(
        listen: SocketAddr,
        allow_non_loopback: bool,
        limits: Limits,
    ) -> Result<Endpoint, SinkError> {
        if !listen.ip().is_loopback() && !allow_non_loopback {
            return Err(SinkError::usage(
                NAME,
                format!(
                    "{listen} is not a loopback address; to serve credentials to other hosts, say so with --allow-non-loopback (sink option allow-non-loopback=true)"
                ),
            ));
        }
        let io_error =
            |e: &std::io::Error| SinkError::io(Path::new(&format!("listen address {listen}")), e);
        let socket = if listen.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(|e| io_error(&e))?;
        // The system's own text for a busy address varies (Windows words it
        // as "only one usage of each socket address"; wine has none), so the
        // cause is named here and the system's text follows.
        socket.bind(listen).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => SinkError::Io {
                path: PathBuf::from(format!("listen address {listen}")),
                message: format!("the address is in use by another process ({e})"),
            },
            _ => io_error(&e),
        })?;
        let addr = socket.local_addr().map_err(|e| io_error(&e))?;
        let token = random_token().map_err(|e| io_error(&e))?;
        let current = Arc::new(RwLock::new(Served::default()));
        let wake = Arc::new(Notify::new());
        let app = Router::new()
            .route(PATH, axum::routing::get(credentials))
            .with_state(Arc::new(AppState {
                token: token.clone(),
                listen: addr,
                current: Arc::clone(&current),
                wake: Arc::clone(&wake),
            }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io_error(&e))?;
        let listener = {
            let _entered = runtime.enter();
            socket.listen(BACKLOG).map_err(|e| io_error(&e))?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("ssocred-serve".to_owned())
            .spawn(move || runtime.block_on(server::run(listener, app, limits, stopped)))
            .map_err(|e| io_error(&e))?;
        Ok(Endpoint {
            url: format!("http://{addr}{PATH}"),
            token,
            current,
            wake,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The value for `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The value for `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The variables that point a client at this endpoint (and the region,
    /// which the endpoint cannot convey).
    pub fn variables(&self, region: Option<&str>) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", self.url.clone()),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                self.token.expose_secret().to_owned(),
            ),
        ];
        vars.extend(region_variables(region));
        vars
    }

    /// Serves `set` from now on.
    pub fn publish(&self, set: CredentialSet) {
        // A poisoned lock only means a reader panicked; the data is whole.
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Served {
            set: Some(set),
            failure: None,
        };
    }

    /// Records why the last refresh failed: once the set served has
    /// expired, clients get this reason (with the `ssocred login` to run,
    /// when the login is what ended) instead of a bare "expired".
    pub fn refresh_failed(&self, error: &ssocred_core::Error) {
        let code = match error {
            ssocred_core::Error::LoginRequired { .. } => "LoginRequired",
            _ => "RefreshFailed",
        };
        // Bounded: the reason may quote an endpoint's answer.
        let reason: String = error.to_string().chars().take(MAX_REASON).collect();
        self.current
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .failure = Some((code, reason));
    }

    /// Notified each time a client asks for credentials and the set served
    /// has expired: the producer may fetch again at once (see
    /// `CredentialStream::keep_trying`), so a client's next try, after a
    /// new login, gets credentials.
    pub fn wake(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// 32 random bytes from the operating system, hex-encoded.
fn random_token() -> std::io::Result<SecretString> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(SecretString::from(hex))
}

/// The longest refresh failure told to clients, in characters.
const MAX_REASON: usize = 2000;

/// What the endpoint serves: the latest set, and why the refresh after it
/// failed, if it did (an error code and the reason).
#[derive(Default)]
struct Served {
    set: Option<CredentialSet>,
    failure: Option<(&'static str, String)>,
}

struct AppState {
    token: SecretString,
    /// The address bound, which the `Host` header must name.
    listen: SocketAddr,
    current: Arc<RwLock<Served>>,
    wake: Arc<Notify>,
}

/// Whether a `Host` header names the endpoint at `listen`: its port, and
/// its address (any address when `listen` is `0.0.0.0` or `::`), or
/// `localhost` when `listen` is a loopback address. A name that resolves
/// elsewhere first, as in DNS rebinding (a page at `evil.example` whose
/// name is made to point at 127.0.0.1), never matches, so a browser that
/// was led here is refused before the token is even looked at.
fn names_endpoint(host: Option<&HeaderValue>, listen: SocketAddr) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
        _ => (host, Some(80)),
    };
    if port != Some(listen.port()) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip == listen.ip() || listen.ip().is_unspecified(),
        Err(_) => name.eq_ignore_ascii_case("localhost") && listen.ip().is_loopback(),
    }
}

/// The container-credentials document.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    account_id: &'a str,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message });
    (status, axum::Json(body)).into_response()
}

async fn credentials(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !names_endpoint(headers.get(header::HOST), state.listen) {
        return error(
            StatusCode::MISDIRECTED_REQUEST,
            "MisdirectedRequest",
            &format!("the Host header must name this endpoint, {}", state.listen),
        );
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let expected = state.token.expose_secret().as_bytes();
    if !bool::from(given.ct_eq(expected)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the Authorization header must carry AWS_CONTAINER_AUTHORIZATION_TOKEN",
        );
    }
    let current = state.current.read().unwrap_or_else(|p| p.into_inner());
    let Some(set) = current.set.as_ref() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "NotReady",
            "ssocred has not fetched credentials yet",
        );
    };
    if set.expiration <= OffsetDateTime::now_utc() {
        state.wake.notify_one();
        return match &current.failure {
            Some((code, reason)) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                code,
                &format!("ssocred cannot refresh the expired credentials: {reason}"),
            ),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Expired",
                "the credentials have expired and ssocred could not refresh them; see its log",
            ),
        };
    }
    let doc = Document {
        access_key_id: &set.access_key_id,
        secret_access_key: set.secret_access_key.expose_secret(),
        token: set.session_token.expose_secret(),
        expiration: set.expiration_utc(),
        account_id: &set.account_id,
    };
    let mut response = axum::Json(doc).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The sink over an [`Endpoint`]: each round's set is served once committed;
/// the first commit prints the variables that point a client at it.
#[derive(Debug)]
pub struct ServeSink {
    endpoint: Endpoint,
    announce: Option<Shell>,
    pending: Option<CredentialSet>,
}

impl ServeSink {
    /// A sink serving through `endpoint`; the first commit prints its
    /// variables in `announce`'s syntax, or nothing when `None` (the caller
    /// hands them to a child itself).
    pub fn new(endpoint: Endpoint, announce: Option<Shell>) -> Self {
        ServeSink {
            endpoint,
            announce,
            pending: None,
        }
    }

    /// The endpoint served.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Sink for ServeSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.pending = Some(set.clone());
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some(set) = self.pending.take() else {
            return Ok(());
        };
        let region = set.region.clone();
        self.endpoint.publish(set);
        if let Some(shell) = self.announce.take() {
            let text = script(shell, &self.endpoint.variables(region.as_deref()))
                .map_err(|reason| SinkError::refused(NAME, reason))?;
            stdout
                .write_all(text.as_bytes())
                .map_err(|e| SinkError::stdout(&e))?;
        }
        Ok(())
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }

    fn serves_continuously(&self) -> bool {
        true
    }

    fn refresh_failed(&mut self, error: &ssocred_core::Error) {
        self.endpoint.refresh_failed(error);
    }
}

ssocred_core::sink_options! {
    struct Options {
        /// the syntax of the printed variables: sh (default), no-export, fish, powershell or cmd
        shell: Option<Shell>,
        /// IP:PORT or PORT to listen on (default: a free port of 127.0.0.1)
        listen: Option<String>,
        /// true to allow a listen address other hosts can reach
        allow_non_loopback: Option<String>,
    }
}

/// Parses a listen address: `HOST:PORT`, or a bare port on 127.0.0.1.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(DEFAULT_LISTEN.ip(), port));
    }
    text.parse().map_err(|_| {
        format!("listen address `{text}` is not IP:PORT (such as 127.0.0.1:9911) or a port")
    })
}

/// The listen address, whether it may be reachable from other hosts, and
/// the shell of the printed variables: parsed, no port opened yet.
fn configure(spec: &SinkSpec) -> Result<(SocketAddr, bool, Shell), SinkError> {
    let options: Options = spec.options_as(Some("shell"))?;
    let listen = match &options.listen {
        Some(text) => parse_listen(text).map_err(|m| SinkError::usage(NAME, m))?,
        None => DEFAULT_LISTEN,
    };
    let allow = match options.allow_non_loopback.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(SinkError::usage(
                NAME,
                format!("allow-non-loopback is true or false, not `{other}`"),
            ));
        }
    };
    Ok((listen, allow, options.shell.unwrap_or_default()))
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec).map(drop)
}

/// Opens the port: only here, never in [`validate`].
fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let (listen, allow, shell) = configure(spec)?;
    let endpoint = Endpoint::start(listen, allow)?;
    Ok(Box::new(ServeSink::new(endpoint, Some(shell))))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "a container-credentials endpoint on 127.0.0.1, refreshed while ssocred runs",
        argument: Some("SHELL"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn set() -> CredentialSet {
        CredentialSet {
            account_id: "123456789012".into(),
            account_name: None,
            role_name: "R".into(),
            role_arn: "arn:aws:iam::123456789012:role/R".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "SECRET/key+x".to_owned().into(),
            session_token: "SESSION=tok".to_owned().into(),
            expiration: OffsetDateTime::now_utc() + time::Duration::hours(1),
            region: Some("eu-west-1".into()),
            sso_profile: "p".into(),
            sso_session: None,
            start_url: "https://x/start".into(),
            assumed_via: Vec::new(),
        }
    }

    /// A raw HTTP/1.1 GET, so the test sees exactly what a client would.
    async fn get(url: &str, authorization: Option<&str>) -> String {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test(flavor = "current_thread")]
    async fn answers_only_the_right_token() {
        let mut sink = ServeSink::new(Endpoint::start(DEFAULT_LISTEN, false).unwrap(), None);
        let url = sink.endpoint().url().to_owned();
        let token = sink.endpoint().token().expose_secret().to_owned();
        assert_eq!(token.len(), 64);
        let early = get(&url, Some(&token)).await;
        assert!(early.starts_with("HTTP/1.1 503"), "{early}");
        sink.accept(&set()).unwrap();
        sink.commit(&mut Vec::new()).unwrap();
        let ok = get(&url, Some(&token)).await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let body = ok.split("\r\n\r\n").nth(1).unwrap();
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(doc["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(doc["SecretAccessKey"], "SECRET/key+x");
        assert_eq!(doc["Token"], "SESSION=tok");
        assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
        let wrong = format!("{}x", &token[..63]);
        for auth in [None, Some(""), Some(wrong.as_str()), Some(&token[..32])] {
            let denied = get(&url, auth).await;
            assert!(denied.starts_with("HTTP/1.1 401"), "{auth:?}: {denied}");
            assert!(!denied.contains("SECRET") && !denied.contains("SESSION"));
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn expired_credentials_answer_why_and_wake_the_producer() {
        let mut sink = ServeSink::new(Endpoint::start(DEFAULT_LISTEN, false).unwrap(), None);
        let url = sink.endpoint().url().to_owned();
        let token = sink.endpoint().token().expose_secret().to_owned();
        let wake = sink.endpoint().wake();
        let mut stale = set();
        stale.expiration = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        sink.accept(&stale).unwrap();
        sink.commit(&mut Vec::new()).unwrap();
        sink.refresh_failed(&ssocred_core::Error::LoginRequired {
            reason: "the SSO login for corp expired".into(),
            login_command: "ssocred login -p dev".into(),
        });
        let answer = get(&url, Some(&token)).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(doc["code"], "LoginRequired");
        assert_eq!(
            doc["message"],
            "ssocred cannot refresh the expired credentials: the SSO login for corp expired; log in with `ssocred login -p dev`"
        );
        assert!(!answer.contains("SECRET") && !answer.contains("SESSION"));
        // The request left a wake-up for the producer.
        tokio::time::timeout(std::time::Duration::from_secs(1), wake.notified())
            .await
            .expect("the producer was woken");
        // A new round is served, and the failure forgotten.
        sink.accept(&set()).unwrap();
        sink.commit(&mut Vec::new()).unwrap();
        assert!(get(&url, Some(&token)).await.starts_with("HTTP/1.1 200"));
    }

    /// A raw GET of `url` with `host` as its `Host` header.
    async fn get_with_host(url: &str, host: &str, token: &str) -> String {
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, path) = rest.split_at(rest.find('/').unwrap());
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test(flavor = "current_thread")]
    async fn refuses_a_host_header_that_is_not_the_listen_address() {
        let mut sink = ServeSink::new(Endpoint::start(DEFAULT_LISTEN, false).unwrap(), None);
        sink.accept(&set()).unwrap();
        sink.commit(&mut Vec::new()).unwrap();
        let url = sink.endpoint().url().to_owned();
        let token = sink.endpoint().token().expose_secret().to_owned();
        let listen = url
            .trim_start_matches("http://")
            .trim_end_matches(PATH)
            .to_owned();
        let port = listen.rsplit(':').next().unwrap().to_owned();
        for good in [
            listen.clone(),
            format!("localhost:{port}"),
            format!("LOCALHOST:{port}"),
        ] {
            let answer = get_with_host(&url, &good, &token).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{good}: {answer}");
        }
        let other_port = (port.parse::<u16>().unwrap() ^ 1).to_string();
        for bad in [
            format!("evil.example:{port}"),
            format!("127.0.0.1.nip.io:{port}"),
            format!("127.0.0.2:{port}"),
            format!("[::1]:{port}"),
            format!("127.0.0.1:{other_port}"),
            "127.0.0.1".to_owned(),
            String::new(),
        ] {
            let answer = get_with_host(&url, &bad, &token).await;
            assert!(answer.starts_with("HTTP/1.1 421"), "{bad}: {answer}");
            assert!(!answer.contains("SECRET"), "{bad}: {answer}");
        }
    }

    #[test]
    fn names_the_endpoint_by_address_and_port() {
        let open: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        let value = |h: &'static str| Some(HeaderValue::from_static(h));
        assert!(names_endpoint(value("10.1.2.3:8080").as_ref(), open));
        assert!(!names_endpoint(value("localhost:8080").as_ref(), open));
        assert!(!names_endpoint(value("host.corp:8080").as_ref(), open));
        assert!(names_endpoint(value("[::1]:8080").as_ref(), v6));
        assert!(names_endpoint(value("localhost:8080").as_ref(), v6));
        assert!(!names_endpoint(value("[::1]").as_ref(), v6));
        assert!(!names_endpoint(None, v6));
    }

    #[test]
    fn prints_the_variables_once_and_refuses_open_addresses() {
        let endpoint = Endpoint::start(DEFAULT_LISTEN, false).unwrap();
        let url = endpoint.url().to_owned();
        let token = endpoint.token().expose_secret().to_owned();
        let mut sink = ServeSink::new(endpoint, Some(Shell::Fish));
        let mut out = Vec::new();
        sink.accept(&set()).unwrap();
        sink.commit(&mut out).unwrap();
        sink.accept(&set()).unwrap();
        sink.commit(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "set -gx AWS_CONTAINER_CREDENTIALS_FULL_URI '{url}';\n\
                 set -gx AWS_CONTAINER_AUTHORIZATION_TOKEN '{token}';\n\
                 set -gx AWS_REGION 'eu-west-1';\nset -gx AWS_DEFAULT_REGION 'eu-west-1';\n"
            )
        );
        let open = parse_listen("0.0.0.0:0").unwrap();
        let e = Endpoint::start(open, false).unwrap_err().to_string();
        assert!(e.contains("allow-non-loopback"), "{e}");
        assert_eq!(parse_listen("9911").unwrap().to_string(), "127.0.0.1:9911");
        assert!(parse_listen("localhost").is_err());
    }
}

//! A stand-in for an EKS cluster's Kubernetes API server on 127.0.0.1, so a
//! real kubectl can run its exec plugin (ssocred) and send the token.
//!
//! kubectl runs an exec plugin only for an HTTPS server, so the stand-in
//! serves TLS with a certificate for `127.0.0.1` from a CA it makes at
//! start-up ([`KubeApiStandIn::ca_pem`], for the kubeconfig's
//! `certificate-authority`). It checks each request's bearer token as EKS
//! does, by asking the SSO emulator, which verifies the presigned
//! `GetCallerIdentity` URL inside the token (`POST /_emulator/eks/verify`).
//!
//! It answers `GET /version` with a Kubernetes version document that also
//! names the caller (`ssocredCaller`, the role's ARN), anything else with
//! 404, and a missing or refused token with 401 and a `Status` document.
//! One request per connection (`Connection: close`); plain std threads.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The largest request head read; kubectl's are well under 2 KiB.
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What the stand-in saw: the ARN of every caller it let in, and the
/// reason for every request it turned away.
#[derive(Debug, Default, Clone)]
pub struct KubeApiLog {
    /// The role ARN of each authenticated request, in order.
    pub callers: Vec<String>,
    /// Why each unauthenticated request was refused, in order.
    pub refusals: Vec<String>,
}

/// A running stand-in API server; dropping it stops it.
pub struct KubeApiStandIn {
    addr: SocketAddr,
    ca_pem: String,
    log: Arc<Mutex<KubeApiLog>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Verifier {
    /// `host:port` of the emulator (plain HTTP).
    emulator: String,
    cluster: String,
}

impl KubeApiStandIn {
    /// Starts serving on a free port of 127.0.0.1, accepting tokens for
    /// `cluster` that the emulator at `emulator_url` (`http://HOST:PORT`)
    /// verifies.
    ///
    /// # Errors
    ///
    /// When the certificates cannot be made or no port can be bound.
    pub fn start(emulator_url: &str, cluster: &str) -> io::Result<Self> {
        let emulator = emulator_url
            .strip_prefix("http://")
            .ok_or_else(|| io::Error::other("the stand-in asks a plain-HTTP emulator"))?
            .trim_end_matches('/')
            .to_owned();
        let (ca_pem, config) = server_tls()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(KubeApiLog::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let verifier = Arc::new(Verifier {
            emulator,
            cluster: cluster.to_owned(),
        });
        let thread = {
            let (log, stop) = (Arc::clone(&log), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("kube-api-stand-in".to_owned())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let (config, log, verifier) =
                            (Arc::clone(&config), Arc::clone(&log), Arc::clone(&verifier));
                        std::thread::spawn(move || {
                            // A client that hangs up or fails the handshake
                            // only loses its own connection.
                            let _ = serve_one(stream, config, &verifier, &log);
                        });
                    }
                })?
        };
        Ok(Self {
            addr,
            ca_pem,
            log,
            stop,
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`, the kubeconfig cluster's `server`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The PEM certificate of the CA that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// What the stand-in has seen so far.
    pub fn log(&self) -> KubeApiLog {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for KubeApiStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeApiStandIn")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Drop for KubeApiStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_one(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    verifier: &Verifier,
    log: &Mutex<KubeApiLog>,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(READ_TIMEOUT))?;
    let connection = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = BufReader::new(StreamOwned::new(connection, tcp));
    let mut head = Vec::new();
    loop {
        let before = head.len();
        tls.by_ref()
            .take((MAX_HEAD - head.len()) as u64)
            .read_until(b'\n', &mut head)?;
        if head.len() == before || head.ends_with(b"\r\n\r\n") || head.len() >= MAX_HEAD {
            break;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_owned();
    let bearer = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.trim().strip_prefix("Bearer ").map(str::to_owned));
    let (status, body) = match bearer.map(|token| verifier.verify(&token)) {
        None => refuse(log, "no bearer token".to_owned()),
        Some(Err(reason)) => refuse(log, reason),
        Some(Ok(arn)) => {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            log.callers.push(arn.clone());
            if request_line.starts_with("GET /version ") {
                let version = serde_json::json!({
                    "major": "1",
                    "minor": "32",
                    "gitVersion": "v1.32.0-ssocred-stand-in",
                    "platform": "linux/amd64",
                    "ssocredCaller": arn,
                });
                ("200 OK", version.to_string())
            } else {
                (
                    "404 Not Found",
                    status_document(404, "NotFound", "not found"),
                )
            }
        }
    };
    let stream = tls.get_mut();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()?;
    stream.conn.send_close_notify();
    stream.flush()
}

fn refuse(log: &Mutex<KubeApiLog>, reason: String) -> (&'static str, String) {
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .refusals
        .push(reason);
    (
        "401 Unauthorized",
        status_document(401, "Unauthorized", "Unauthorized"),
    )
}

/// A Kubernetes `Status` document, as an API server sends with an error.
fn status_document(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
    .to_string()
}

impl Verifier {
    /// The caller's ARN, or why the emulator refused the token.
    fn verify(&self, token: &str) -> Result<String, String> {
        let request = serde_json::json!({ "token": token, "cluster": self.cluster }).to_string();
        let answer = post_json(&self.emulator, "/_emulator/eks/verify", &request)
            .map_err(|e| format!("cannot ask the emulator: {e}"))?;
        let field = |name: &str| answer[name].as_str().map(str::to_owned);
        field("arn").ok_or_else(|| field("reason").unwrap_or_else(|| answer.to_string()))
    }
}

/// POSTs `body` to `http://HOST:PORT/PATH` and parses the answer as JSON,
/// whatever its status.
fn post_json(host: &str, path: &str, body: &str) -> io::Result<serde_json::Value> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (_, json) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::other("no HTTP answer"))?;
    serde_json::from_str(json).map_err(io::Error::other)
}

/// A fresh CA and a server certificate it signs for `127.0.0.1`: the CA's
/// PEM and the server's TLS configuration (HTTP/1.1 only).
fn server_tls() -> io::Result<(String, Arc<ServerConfig>)> {
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(
        DnType::CommonName,
        format!("ssocred kube-api stand-in CA {}", std::process::id()),
    );
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(io::Error::other)?;
    let ca_pem = ca.self_signed(&ca_key).map_err(io::Error::other)?.pem();
    let issuer = Issuer::new(ca, ca_key);

    let mut server = CertificateParams::default();
    server
        .distinguished_name
        .push(DnType::CommonName, "kube-api stand-in");
    server.subject_alt_names = vec![SanType::IpAddress(Ipv4Addr::LOCALHOST.into())];
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = server.signed_by(&key, &issuer).map_err(io::Error::other)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((ca_pem, Arc::new(config)))
}

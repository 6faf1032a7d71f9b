//! HTTPS for the emulator: a certificate authority made at start-up, a
//! server certificate it signs for `127.0.0.1` and `localhost`, and a
//! listener that completes TLS handshakes off the accept path.
//!
//! Each CA lives only in memory: its key is dropped once the server
//! certificate is signed, and only its certificate leaves this module, so
//! nothing a test writes to disk can sign anything.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish its handshake; one that stalls is
/// dropped without holding up anyone else.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for the HTTP server to take them.
const READY_QUEUE: usize = 64;

/// The PEM certificate of a freshly generated CA that signs nothing the
/// emulator serves: a trust store holding only it must refuse the emulator,
/// as a corporate bundle that lacks the right root does.
pub fn unrelated_ca_pem() -> io::Result<String> {
    let (params, key) = new_ca("unrelated test CA")?;
    Ok(params.self_signed(&key).map_err(tls_error)?.pem())
}

/// What an HTTPS emulator serves with, and the CA certificate clients need.
pub(crate) struct ServerTls {
    pub(crate) ca_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

impl ServerTls {
    /// A new CA, and a server certificate it signs whose subject alternative
    /// names are the IP address 127.0.0.1 and the DNS name `localhost`.
    pub(crate) fn generate() -> io::Result<Self> {
        let (ca_params, ca_key) = new_ca("test CA")?;
        let ca_pem = ca_params.self_signed(&ca_key).map_err(tls_error)?.pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "ssocred-emulator");
        params.subject_alt_names = vec![
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::DnsName("localhost".try_into().map_err(tls_error)?),
        ];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(tls_error)?;
        let cert = params.signed_by(&key, &issuer).map_err(tls_error)?;

        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(tls_error)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca_pem,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// A CA's parameters and key: a self-signed root that may sign server
/// certificates.
///
/// Each CA gets a name no other CA of this process has: verifiers pick the
/// issuer by name, and two roots sharing one would turn "unknown issuer"
/// into a confusing "bad signature".
fn new_ca(kind: &str) -> io::Result<(CertificateParams, KeyPair)> {
    static CREATED: AtomicU64 = AtomicU64::new(0);
    let serial = CREATED.fetch_add(1, Ordering::Relaxed);
    let name = format!("ssocred-emulator {kind} {}-{serial}", std::process::id());
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().map_err(tls_error)?;
    Ok((params, key))
}

fn tls_error(err: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("cannot set up the emulator's TLS: {err}"))
}

/// An [`axum::serve::Listener`] that hands out connections once their TLS
/// handshake is done. A task accepts TCP connections and runs each
/// handshake on its own task, so a client that connects and says nothing
/// (or rejects the certificate) never delays the others.
pub(crate) struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor_task: JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `tcp`; must run inside a tokio runtime.
    pub(crate) fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let (ready_tx, ready) = mpsc::channel(READY_QUEUE);
        let acceptor_task = tokio::spawn(accept_loop(tcp, acceptor, ready_tx));
        Ok(Self {
            local_addr,
            ready,
            acceptor_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of file descriptors or similar: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            // A failed or stalled handshake only costs that client its
            // connection: the client sees why, the server has nothing to add.
            if let Ok(Ok(tls)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            {
                let _ = ready.send((tls, peer)).await;
            }
        });
    }
}

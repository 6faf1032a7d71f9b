use std::collections::BTreeMap;
use std::fmt;
use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::config::{EmulatorConfig, RateLimit};
use crate::credentials::IssuedCredentials;
use crate::federation::{FederationOperation, FederationState, SigninGrant};
use crate::oidc::{OidcConfig, OidcOperation, OidcState};
use crate::server;
use crate::state::{Operation, Shared, StsOperation};
use crate::tls::{ServerTls, TlsListener};

/// How long a stopping server waits for requests still in flight (say, one
/// held back by a long latency) before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// A running emulator. Dropping it (or calling [`Emulator::shutdown`]) stops
/// the server and joins its thread.
///
/// Every method is synchronous: the server runs on a thread of its own with
/// its own tokio runtime, so callers need no runtime, and async tests may
/// call these methods too.
pub struct Emulator {
    addr: SocketAddr,
    /// The CA certificate (PEM) in HTTPS mode.
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    oidc: Arc<OidcState>,
    federation: Arc<FederationState>,
    signin: Arc<crate::signin::SigninState>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts serving `config` on a free port of 127.0.0.1.
    ///
    /// Returns once the port is bound, so requests may be sent at once.
    pub fn start(config: EmulatorConfig) -> io::Result<Self> {
        Self::start_on_port(config, 0)
    }

    /// Starts serving `config` on 127.0.0.1:`port`; port 0 picks a free one.
    ///
    /// In HTTPS mode ([`EmulatorConfig::tls`]) this first generates the CA
    /// and the server certificate.
    pub fn start_on_port(config: EmulatorConfig, port: u16) -> io::Result<Self> {
        let tls = config.tls.then(ServerTls::generate).transpose()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ssocred-emulator-worker")
            .enable_all()
            .build()?;
        let (listener, ca_pem) = {
            let _entered = runtime.enter();
            let tcp = tokio::net::TcpListener::from_std(listener)?;
            match tls {
                None => (Listener::Plain(tcp), None),
                Some(tls) => (
                    Listener::Tls(TlsListener::new(tcp, tls.acceptor)?),
                    Some(tls.ca_pem),
                ),
            }
        };

        let oidc_config = config.oidc.clone();
        let console_user = config.console_user.clone();
        let shared = Arc::new(Shared::new(config));
        let oidc = Arc::new(OidcState::new(oidc_config, Arc::clone(&shared)));
        let federation = Arc::new(FederationState::new(Arc::clone(&shared)));
        let signin = Arc::new(crate::signin::SigninState::new(
            Arc::clone(&shared),
            ca_pem.is_some(),
            console_user,
        ));
        let app = server::router(Arc::clone(&shared))
            .merge(crate::oidc::router(Arc::clone(&oidc)))
            .merge(crate::federation::router(Arc::clone(&federation)))
            .merge(crate::signin::router(Arc::clone(&signin)))
            .merge(crate::root::router(Arc::clone(&shared)));
        let (stop, stop_requested) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("ssocred-emulator".to_owned())
            .spawn(move || serve(runtime, listener, app, stop_requested))?;

        Ok(Self {
            addr,
            ca_pem,
            shared,
            oidc,
            federation,
            signin,
            stop,
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` in HTTPS mode),
    /// without a trailing slash: the value for `AWS_ENDPOINT_URL_SSO` or an
    /// SDK's endpoint URL.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// In HTTPS mode, the PEM certificate of the CA that signed the server's
    /// certificate, for the client's trust store (`AWS_CA_BUNDLE`,
    /// `ca_bundle`); `None` over plain HTTP. Each emulator has its own CA.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many requests reached `operation`, failed and throttled ones
    /// included.
    pub fn count(&self, operation: Operation) -> u64 {
        self.shared.count(operation)
    }

    /// How many requests were answered with 429 `TooManyRequestsException`.
    pub fn throttled(&self) -> u64 {
        self.shared.throttled()
    }

    /// How many requests of `operation` the federation endpoint received.
    pub fn federation_count(&self, operation: FederationOperation) -> u64 {
        self.federation.count(operation)
    }

    /// Every federation operation's count by name, zeroes included (also
    /// at `GET /_emulator/federation-counts`).
    pub fn federation_counts(&self) -> BTreeMap<String, u64> {
        self.federation.counts()
    }

    /// Every sign-in token the federation endpoint handed out, with what it
    /// signs in as.
    pub fn signin_grants(&self) -> Vec<SigninGrant> {
        self.federation.grants()
    }

    /// The federation endpoint, `{url}/federation`: the value for
    /// `SSOCRED_FEDERATION_ENDPOINT`.
    pub fn federation_url(&self) -> String {
        format!("{}/federation", self.url())
    }

    /// Every portal and STS operation's count under its model name
    /// (`GetRoleCredentials`, ..., `AssumeRole`), the portal's throttled
    /// count under `Throttled` and STS's under `StsThrottled`. Zero counts
    /// are included.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.counts()
    }

    /// Zeroes every portal and STS count, restarts both throttling cycles
    /// and refills the rate limit's bucket.
    pub fn reset_counts(&self) {
        self.shared.reset_counts();
    }

    /// Checks an EKS token as the cluster `cluster` would now: `Ok` with
    /// the caller's ARN, `Err` with the reason (see [`crate::eks`]).
    pub fn verify_eks_token(&self, token: &str, cluster: &str) -> Result<String, String> {
        crate::eks::verify_token(&self.issued(), token, cluster, std::time::SystemTime::now())
    }

    /// Whose an ECR password is: the role whose credentials asked for it,
    /// or `None` if the emulator never handed it out.
    pub fn ecr_token_owner(&self, password: &str) -> Option<crate::ecr::EcrTokenOwner> {
        self.shared.ecr.owner(password)
    }

    /// Makes ECR tokens issued from now on live `lifetime` (default: 12
    /// hours, [`crate::ecr::DEFAULT_TOKEN_LIFETIME`]).
    pub fn set_ecr_token_lifetime(&self, lifetime: Duration) {
        self.shared.ecr.set_lifetime(lifetime);
    }

    /// Refuses GetAuthorizationToken (400 `AccessDeniedException`) to the
    /// credentials of `role_name` in `account_id` from now on.
    pub fn deny_ecr(&self, account_id: &str, role_name: &str) {
        self.shared.ecr.deny(account_id, role_name);
    }

    /// Every set of credentials issued so far, portal and AssumeRole ones,
    /// oldest first.
    pub fn issued(&self) -> Vec<IssuedCredentials> {
        self.shared.issued()
    }

    /// Starts a console session of `aws login` for the IAM user `user_arn`
    /// (`arn:aws:iam::ACCOUNT:user/NAME`), as the browser sign-in would:
    /// the session's key, its first credentials and a refresh token bound
    /// to the key, with the cache file the AWS CLI would write. Its
    /// refreshes go to `POST /v1/token` (`AWS_ENDPOINT_URL_SIGNIN`).
    pub fn console_login(&self, user_arn: &str) -> crate::ConsoleLogin {
        self.signin.login(user_arn)
    }

    /// What Sign-In's token endpoint did with each request, in order.
    pub fn signin_outcomes(&self) -> Vec<crate::SigninOutcome> {
        self.signin.outcomes()
    }

    /// The credentials issued with `access_key_id` (by the portal or by
    /// AssumeRole), which say where they came from.
    pub fn issued_for_key(&self, access_key_id: &str) -> Option<IssuedCredentials> {
        self.shared.issued_for_key(access_key_id)
    }

    /// How many requests reached the STS `operation`, failed and throttled
    /// ones included.
    pub fn sts_count(&self, operation: StsOperation) -> u64 {
        self.shared.sts_count(operation)
    }

    /// How many STS requests were answered with 400 `Throttling`.
    pub fn sts_throttled(&self) -> u64 {
        self.shared.sts_throttled()
    }

    /// Answers every `n`th authenticated AssumeRole from now on with 400
    /// `Throttling`, or none when `None` (or `Some(0)`).
    pub fn set_throttle_sts_every(&self, every: Option<u64>) {
        self.shared.set_throttle_sts_every(every);
    }

    /// Makes credentials from AssumeRole expire after `lifetime` from now
    /// on, whatever `DurationSeconds` asks for.
    pub fn set_assume_role_lifetime(&self, lifetime: Duration) {
        self.shared.set_assume_role_lifetime(Some(lifetime));
    }

    /// The tokens logged out so far, in order.
    pub fn logged_out_tokens(&self) -> Vec<String> {
        self.shared.logged_out_tokens()
    }

    /// Replaces the accepted bearer tokens.
    pub fn set_tokens<I, T>(&self, tokens: I)
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.shared
            .set_tokens(tokens.into_iter().map(Into::into).collect());
    }

    /// Stops accepting every token, as when a session is revoked: each
    /// request then gets 401 `UnauthorizedException`.
    pub fn revoke_tokens(&self) {
        self.shared.set_tokens(Vec::new());
    }

    /// Answers every `n`th authorised request from now on with 429, or no
    /// request when `None` (or `Some(0)`).
    pub fn set_throttle_every(&self, every: Option<u64>) {
        self.shared.set_throttle_every(every);
    }

    /// Replaces the rate limit from now on, with a full bucket (see
    /// [`EmulatorConfig::rate_limit`]); `None` removes it.
    pub fn set_rate_limit(&self, limit: Option<(f64, u32)>) {
        self.shared.set_rate_limit(
            limit.and_then(|(per_second, burst)| RateLimit::new(per_second, burst)),
        );
    }

    /// Changes the lifetime of credentials issued from now on.
    pub fn set_credential_lifetime(&self, lifetime: Duration) {
        self.shared.set_credential_lifetime(lifetime);
    }

    /// Changes the delay before each portal request is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// How many requests reached an OIDC `operation`, failed ones included.
    pub fn oidc_count(&self, operation: OidcOperation) -> u64 {
        self.oidc.count(operation)
    }

    /// How many CreateToken requests carried `grant_type`
    /// (`refresh_token`, `authorization_code`,
    /// `urn:ietf:params:oauth:grant-type:device_code`).
    pub fn create_token_count(&self, grant_type: &str) -> u64 {
        self.oidc.grant_count(grant_type)
    }

    /// Every OIDC operation's count under its model name, zeroes included,
    /// and CreateToken per grant type under `CreateToken:GRANT`.
    pub fn oidc_counts(&self) -> BTreeMap<String, u64> {
        self.oidc.counts()
    }

    /// Approves the device authorization with this user code, as the user
    /// would in the browser; `false` if no device has that code.
    pub fn approve_device(&self, user_code: &str) -> bool {
        self.oidc.approve(user_code)
    }

    /// Makes every refresh token invalid from now on (`InvalidGrantException`).
    pub fn revoke_refresh_tokens(&self) {
        self.oidc.revoke_refresh_tokens();
    }

    /// Expires every client registration made so far.
    pub fn expire_registrations(&self) {
        self.oidc.expire_registrations();
    }

    /// Replaces the OIDC behaviour from now on.
    pub fn set_oidc(&self, config: OidcConfig) {
        self.oidc.set_config(config);
    }

    /// Stops the server and waits for its thread; the same as dropping.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Fails only if the server already ended, which is what we want.
        let _ = self.stop.send(true);
        if thread.join().is_err() {
            eprintln!("ssocred-emulator: the server thread panicked");
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url())
            .field("running", &self.thread.is_some())
            .finish()
    }
}

/// Where connections come from: TCP for HTTP, or TCP then a TLS handshake.
enum Listener {
    Plain(tokio::net::TcpListener),
    Tls(TlsListener),
}

/// The server thread's body: serve until asked to stop, let requests in
/// flight finish for a moment, then tear the runtime down.
fn serve(runtime: Runtime, listener: Listener, app: Router, stop_requested: watch::Receiver<bool>) {
    runtime.block_on(async move {
        match listener {
            Listener::Plain(tcp) => serve_until_stopped(tcp, app, stop_requested).await,
            Listener::Tls(tls) => serve_until_stopped(tls, app, stop_requested).await,
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}

async fn serve_until_stopped<L>(listener: L, app: Router, stop_requested: watch::Receiver<bool>)
where
    L: axum::serve::Listener,
    L::Addr: fmt::Debug,
{
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(stopped(stop_requested.clone()))
        .into_future();
    let deadline = async {
        stopped(stop_requested).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => {
            if let Err(err) = result {
                eprintln!("ssocred-emulator: server failed: {err}");
            }
        }
        () = deadline => {}
    }
}

/// Resolves once a stop is requested or the handle is gone.
async fn stopped(mut stop_requested: watch::Receiver<bool>) {
    let _ = stop_requested.wait_for(|&stop| stop).await;
}

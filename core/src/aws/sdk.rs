//! The settings every AWS SDK client of ssocred shares: the HTTP client
//! (TLS only where the endpoint needs it, trusting what the [`Network`]
//! says, through its proxy), retries and timeouts.

use std::fmt;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sso::config::SharedHttpClient;
use aws_sdk_sso::error::SdkError;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::{ErrorMetadata, ProvideErrorMetadata};

use crate::Error;
use crate::domain::endpoints::{Service, endpoint_override_source};
use crate::domain::network::{Network, Trust};
use aws_sdk_sso::config::interceptors::InterceptorContext;
use aws_sdk_sso::config::retry::{ClassifyRetry, RetryAction};

/// Attempts per call, the first included; transient network errors are
/// retried with exponential backoff and jitter. A throttled call (429) is
/// not retried by the SDK (see [`ThrottleToCaller`]) but by
/// [`crate::aws::throttle`], which has no attempt limit.
pub const MAX_ATTEMPTS: u32 = 5;

/// The HTTP client for `endpoint`: plain HTTP for an `http://` endpoint (a
/// local emulator), so no TLS roots are loaded; rustls with ring otherwise,
/// trusting the system's roots or only the CA bundle. The endpoint's proxy,
/// if the environment names one, carries every connection not exempted by
/// `NO_PROXY`.
///
/// Every answer's body is read whole, and at most [`MAX_RESPONSE_BODY`]
/// bytes of it, before the SDK sees the answer: see [`BodyTooLarge`].
pub fn http_client(endpoint: &str, network: &Network) -> SharedHttpClient {
    let plain = endpoint.starts_with("http://");
    let proxy = proxy_config(endpoint, network);
    let context = tls_context(network);
    let client = Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = Connector::builder();
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        build_connector(builder, plain, proxy.clone(), &context)
    });
    SharedHttpClient::new(BoundedClient {
        inner: client,
        limit: MAX_RESPONSE_BODY,
    })
}

/// The most of a response body any AWS client of ssocred reads: real
/// answers of the portal, OIDC, STS and ECR are a few KB, so 1 MiB is far
/// above any of them and far below what could hurt.
pub const MAX_RESPONSE_BODY: usize = 1024 * 1024;

/// An answer whose body is over the limit, refused: by its
/// `Content-Length` before a byte of it is read, or once the bytes read
/// pass the limit (a body without a length, or one that lies about it).
/// It ends the call without a retry; [`Transport::unreachable`] turns it
/// into [`Error::AnswerTooLarge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
    /// The `Content-Length` the answer declared, when that was the reason.
    pub declared: Option<u64>,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.declared {
            Some(length) => write!(
                f,
                "its body is over {} bytes (Content-Length: {length})",
                self.limit
            ),
            None => write!(f, "its body went on past {} bytes", self.limit),
        }
    }
}

impl std::error::Error for BodyTooLarge {}

/// An [`HttpClient`] whose connectors read each answer's body whole, up to
/// a limit, before handing the answer on. The SDK would read it whole
/// anyway (no ssocred call streams), but without any limit.
#[derive(Debug, Clone)]
struct BoundedClient {
    inner: SharedHttpClient,
    limit: usize,
}

impl HttpClient for BoundedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            limit: self.limit,
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
    limit: usize,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let answer = self.inner.call(request);
        let limit = self.limit;
        HttpConnectorFuture::new(async move { read_bounded(answer.await?, limit).await })
    }
}

/// `response` with its body read into memory, refused with [`BodyTooLarge`]
/// (a connector error of no retryable kind, so the SDK does not ask again)
/// when it declares or sends more than `limit` bytes.
async fn read_bounded(
    mut response: HttpResponse,
    limit: usize,
) -> Result<HttpResponse, ConnectorError> {
    let too_large = |declared| ConnectorError::other(BodyTooLarge { limit, declared }.into(), None);
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = declared.filter(|&l| l > limit as u64) {
        return Err(too_large(Some(length)));
    }
    let body = std::mem::replace(response.body_mut(), SdkBody::taken());
    let mut stream = aws_smithy_types::byte_stream::ByteStream::new(body);
    let mut bytes = Vec::with_capacity(declared.map_or(0, |l| l as usize));
    while let Some(chunk) = stream.next().await {
        // A body that breaks off is what the SDK would have met reading it:
        // a transient I/O failure, retried as before.
        let chunk = chunk.map_err(|e| ConnectorError::io(e.into()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(None));
        }
        bytes.extend_from_slice(&chunk);
    }
    *response.body_mut() = SdkBody::from(bytes);
    Ok(response)
}

/// The proxy for `endpoint`, if the environment names one and `NO_PROXY`
/// does not exempt it.
fn proxy_config(endpoint: &str, network: &Network) -> Option<ProxyConfig> {
    let plain = endpoint.starts_with("http://");
    network.proxies.for_endpoint(endpoint).map(|p| {
        let config = if plain {
            ProxyConfig::http(p.url())
        } else {
            ProxyConfig::https(p.url())
        };
        // The URL was parsed and checked when the environment was read.
        let mut config = config.unwrap_or_else(|_| ProxyConfig::disabled());
        if let Some((user, password)) = p.credentials() {
            // The client puts both into a URL as they are and decodes them
            // from there: encoded here, they arrive as they were written.
            let encode = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            config = config.with_basic_auth(encode(user), encode(password));
        }
        match &network.proxies.no_proxy {
            Some((rules, _)) => config.no_proxy(rules),
            None => config,
        }
    })
}

/// The TLS context trusting what `network` says.
fn tls_context(network: &Network) -> TlsContext {
    let trust = match &network.trust {
        Trust::System => TrustStore::default(),
        Trust::Bundle(bundle) => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(bundle.pem().to_vec()),
    };
    // Building a context only stores the trust store; certificates are read
    // (and were checked by `CaBundle::load`) when the first connection is made.
    TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default()
}

fn build_connector(
    mut builder: aws_smithy_http_client::ConnectorBuilder,
    plain: bool,
    proxy: Option<ProxyConfig>,
    context: &TlsContext,
) -> Connector {
    if let Some(proxy) = proxy {
        builder = builder.proxy_config(proxy);
    }
    if plain {
        builder.build_http()
    } else {
        builder
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .tls_context(context.clone())
            .build()
    }
}

/// The most of a body [`get`] reads; a longer one is refused.
pub const MAX_BODY: usize = 64 * 1024;

/// How long [`get`] waits for a whole answer.
pub const GET_TIMEOUT: Duration = Duration::from_secs(30);

/// One `GET url` over the invocation's [`Network`] (CA bundle, proxy), for
/// the endpoints no SDK client covers (the console federation endpoint):
/// the status and at most [`MAX_BODY`] bytes of body.
///
/// `endpoint` names the URL in errors: the URL may carry secrets in its
/// query, so it is never shown. An `Err` is one readable line (as
/// [`Transport::unreachable`] words it) for an answer that never came.
pub async fn get(url: &str, endpoint: &str, network: &Network) -> Result<(u16, Vec<u8>), String> {
    get_bounded(url, endpoint, network, MAX_BODY).await
}

/// [`get`], reading at most `limit` bytes of body (a larger answer is an
/// `Err`): for a file of a known bound, such as a team source's.
pub async fn get_bounded(
    url: &str,
    endpoint: &str,
    network: &Network,
    limit: usize,
) -> Result<(u16, Vec<u8>), String> {
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_runtime_api::http::Request;
    let transport = Transport::new(endpoint, network);
    let request = Request::get(url).map_err(|_| "not a valid URL".to_owned())?;
    let plain = endpoint.starts_with("http://");
    let connector = build_connector(
        Connector::builder(),
        plain,
        proxy_config(endpoint, network),
        &tls_context(network),
    );
    let answer = async {
        let response = connector.call(request).await.map_err(|e| {
            let text = transport.unreachable(&e, e.is_timeout());
            match text {
                Error::Unreachable { message, .. } => message,
                other => other.to_string(),
            }
        })?;
        let status = response.status().as_u16();
        let response =
            read_bounded(response, limit)
                .await
                .map_err(|e| match cause::<BodyTooLarge>(&e) {
                    Some(too_large) => format!("refused the answer: {too_large}"),
                    None => format!("the answer broke off: {}", error_text(&e)),
                })?;
        let bytes = response.into_body().bytes().unwrap_or_default().to_vec();
        Ok((status, bytes))
    };
    tokio::time::timeout(GET_TIMEOUT, answer)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer within {} s; check the network",
                GET_TIMEOUT.as_secs()
            ))
        })
}

/// What a transport failure needs to be told to a person: the endpoint,
/// and whom the connection trusted and went through.
#[derive(Debug, Clone)]
pub struct Transport {
    endpoint: String,
    /// The service, as errors name it.
    service: &'static str,
    /// The environment variable the endpoint came from, if one did.
    origin: Option<&'static str>,
    bundle: Option<(String, String)>,
    proxy: Option<(String, &'static str)>,
}

impl Transport {
    /// The transport to `endpoint` over `network`.
    pub fn new(endpoint: &str, network: &Network) -> Transport {
        Transport {
            endpoint: endpoint.to_owned(),
            service: "SSO portal",
            origin: None,
            bundle: match &network.trust {
                Trust::System => None,
                Trust::Bundle(b) => Some((b.path().display().to_string(), b.source().to_owned())),
            },
            proxy: network
                .proxies
                .for_endpoint(endpoint)
                .map(|p| (p.url().to_owned(), p.variable())),
        }
    }

    /// The transport to `endpoint` of `service`, which errors name with
    /// the variable its address came from (`AWS_ENDPOINT_URL_SSO_OIDC`,
    /// say) when the environment overrode it.
    pub fn for_service(service: Service, endpoint: &str, network: &Network) -> Transport {
        let env = |name: &str| std::env::var(name).ok();
        Transport {
            service: service.short_name(),
            origin: endpoint_override_source(env, service.override_variable()),
            ..Transport::new(endpoint, network)
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A call that never got an answer (`DispatchFailure`, `TimeoutError`)
    /// as one readable line naming the endpoint, what went wrong and what
    /// to try; never a Debug dump, never a proxy password.
    ///
    /// An answer refused for its size ([`BodyTooLarge`]) is
    /// [`Error::AnswerTooLarge`] instead: the endpoint answered, too much.
    pub fn unreachable(&self, err: &(dyn std::error::Error + 'static), timed_out: bool) -> Error {
        if let Some(too_large) = cause::<BodyTooLarge>(err) {
            return Error::AnswerTooLarge {
                endpoint: self.endpoint.clone(),
                message: too_large.to_string(),
            };
        }
        let full = error_text(err);
        let lower = full.to_ascii_lowercase();
        // The transport's words may quote a server (a proxy's answer):
        // bounded and escaped like any server text.
        let chain = crate::domain::text::remote(&full, &[]);
        let via = |what: &str| match &self.proxy {
            Some((url, var)) => format!("{what} (through the proxy {url} from {var})"),
            None => what.to_owned(),
        };
        let message = if timed_out || lower.contains("timed out") || lower.contains("timeout") {
            format!(
                "{}; check the network{}",
                via("timed out"),
                if self.proxy.is_some() {
                    " and the proxy"
                } else {
                    ""
                }
            )
        } else if lower.contains("certificate") || lower.contains("unknownissuer") {
            let trusted = match &self.bundle {
                Some((path, source)) => format!("by the CA bundle {path} (from {source})"),
                None => "by the system's trust store".to_owned(),
            };
            format!(
                "certificate not trusted {trusted} ({}); to trust a private CA, point AWS_CA_BUNDLE (or `ca_bundle` in the profile) at its PEM file, or add it to the system's trust store",
                tls_detail(&chain)
            )
        } else if let Some((url, var)) = self.proxy.as_ref().filter(|_| {
            lower.contains("407")
                || lower.contains("proxy authentication")
                || lower.contains("proxy authorization")
        }) {
            format!(
                "the proxy {url} (from {var}) refused the request: 407 Proxy Authentication Required; put the right user:password@ in {var}"
            )
        } else if let Some((url, var)) = self.proxy.as_ref().filter(|_| lower.contains("proxy")) {
            format!("the proxy {url} (from {var}) failed: {chain}; check {var} and NO_PROXY")
        } else if lower.contains("connection refused") {
            match &self.proxy {
                Some((url, var)) => format!(
                    "connection refused by the proxy {url} (from {var}) or the endpoint; check {var} and NO_PROXY"
                ),
                None => "connection refused; check the endpoint and the network".to_owned(),
            }
        } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
            format!(
                "{}; check the region and any endpoint override",
                via("cannot resolve the host name")
            )
        } else {
            via(&chain)
        };
        Error::Unreachable {
            service: self.service.to_owned(),
            endpoint: match self.origin {
                Some(var) => format!("{} (from {var})", self.endpoint),
                None => self.endpoint.clone(),
            },
            message: crate::domain::text::visible(&message).into_owned(),
        }
    }
}

/// The first error of type `T` among `err` and its causes.
fn cause<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// An error and its causes as `a: b: c`, each message once: what
/// `DisplayErrorContext` says without the Debug dump it appends. The SDK's
/// error metadata is left out: its `Display` is a Debug dump
/// (`Error { code: …, message: … }`); [`remote_error`] words it instead.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let is_metadata = e.is::<ErrorMetadata>();
        if !is_metadata && !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// What a failed SDK call says, for a person, through
/// [`text::remote`](crate::domain::text::remote) with the request's `secrets`:
/// the service's error code and message when it answered with an error,
/// the error and its causes otherwise ([`error_text`]); never a Debug dump.
pub fn remote_error<E, R>(err: &SdkError<E, R>, secrets: &[&str]) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let words = match err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("an error without a code");
            match err.message() {
                Some(message) => format!("{code}: {message}"),
                None => code.to_owned(),
            }
        }
        _ => error_text(err),
    };
    crate::domain::text::remote(&words, secrets)
}

/// The TLS part of a transport error: from `invalid peer certificate` on,
/// without the Debug text some layers append in parentheses.
fn tls_detail(chain: &str) -> &str {
    match chain.find("invalid peer certificate") {
        Some(at) => {
            let rest = &chain[at..];
            rest.split(" (").next().unwrap_or(rest)
        }
        None => "the TLS handshake failed",
    }
}

/// Standard retries: [`MAX_ATTEMPTS`] attempts, backoff from 200 ms to 5 s.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(5))
}

/// A retry classifier that keeps the SDK from retrying a 429 itself: the
/// caller's [`crate::aws::throttle::RateLimiter`] paces the retry instead, and
/// the SDK's retries would bypass it (and stop after [`MAX_ATTEMPTS`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThrottleToCaller;

impl ClassifyRetry for ThrottleToCaller {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response) if response.status().as_u16() == 429 => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "ssocred: throttling is paced by the caller"
    }
}

/// A retry classifier that keeps the SDK from retrying an answer whose
/// error code says throttling (STS answers `400 Throttling`, not 429): as
/// with [`ThrottleToCaller`], the caller's limiter paces the retry. `E` is
/// the operation's error type.
pub struct ThrottleCodesToCaller<E>(std::marker::PhantomData<fn() -> E>);

impl<E> ThrottleCodesToCaller<E> {
    /// The classifier.
    pub fn new() -> Self {
        ThrottleCodesToCaller(std::marker::PhantomData)
    }
}

impl<E> Default for ThrottleCodesToCaller<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> std::fmt::Debug for ThrottleCodesToCaller<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThrottleCodesToCaller")
    }
}

impl<E> ClassifyRetry for ThrottleCodesToCaller<E>
where
    E: std::error::Error + aws_sdk_sso::error::ProvideErrorMetadata + Send + Sync + 'static,
{
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let code = match ctx.output_or_error() {
            Some(Err(err)) => err
                .as_operation_error()
                .and_then(|e| e.downcast_ref::<E>())
                .and_then(|e| e.code()),
            _ => None,
        };
        match code {
            Some(code) if crate::aws::throttle::THROTTLING_CODES.contains(&code) => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "ssocred: throttling codes are paced by the caller"
    }
}

/// Connect within 5 s, each attempt within 15 s, the whole call within 60 s.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(15))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

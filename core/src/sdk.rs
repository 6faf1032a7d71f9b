//! The settings every AWS SDK client of ssocred shares: the HTTP client
//! (TLS only where the endpoint needs it), retries and timeouts.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sso::config::SharedHttpClient;
use aws_sdk_sso::config::interceptors::InterceptorContext;
use aws_sdk_sso::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_http_client::tls;

/// The endpoint override for a service from the environment, resolved by
/// ssocred itself (the SDK's own lookup of two-word service ids is not
/// reliable): `service_variable` (such as `AWS_ENDPOINT_URL_SSO`), else
/// `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
/// A trailing `/` is dropped, so paths join cleanly.
pub fn endpoint_override(
    var: impl Fn(&str) -> Option<String>,
    service_variable: &str,
) -> Option<String> {
    let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    [service_variable, "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|name| {
            var(name)
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
        })
}

/// Attempts per call, the first included; transient network errors are
/// retried with exponential backoff and jitter. A throttled call (429) is
/// not retried by the SDK (see [`ThrottleToCaller`]) but by
/// [`crate::throttle`], which has no attempt limit.
pub const MAX_ATTEMPTS: u32 = 5;

/// The HTTP client for `endpoint`: plain HTTP for an `http://` override (a
/// local emulator), so no TLS roots are loaded; rustls with ring otherwise.
pub fn http_client(endpoint: Option<&str>) -> SharedHttpClient {
    match endpoint {
        Some(url) if url.starts_with("http://") => {
            aws_smithy_http_client::Builder::new().build_http()
        }
        _ => aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https(),
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
/// caller's [`crate::throttle::RateLimiter`] paces the retry instead, and
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

/// Connect within 5 s, each attempt within 15 s, the whole call within 60 s.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(15))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An environment lookup over fixed pairs.
    pub(crate) fn env(
        vars: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn endpoint_overrides_follow_aws_precedence() {
        const SVC: &str = "AWS_ENDPOINT_URL_SSO";
        assert_eq!(endpoint_override(env(&[]), SVC), None);
        assert_eq!(
            endpoint_override(env(&[("AWS_ENDPOINT_URL", "http://all")]), SVC).as_deref(),
            Some("http://all")
        );
        assert_eq!(
            endpoint_override(
                env(&[("AWS_ENDPOINT_URL", "http://all"), (SVC, " http://sso/ ")]),
                SVC
            )
            .as_deref(),
            Some("http://sso")
        );
        assert_eq!(
            endpoint_override(env(&[(SVC, ""), ("AWS_ENDPOINT_URL", "http://all")]), SVC)
                .as_deref(),
            Some("http://all")
        );
        assert_eq!(
            endpoint_override(
                env(&[
                    (SVC, "http://sso"),
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")
                ]),
                SVC
            ),
            None
        );
    }
}

//! The SSO OIDC service through `aws-sdk-ssooidc`: client registration,
//! device authorization and the three CreateToken grants.

use std::fmt;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;
use secrecy::{ExposeSecret, SecretString};

use crate::Error;
use crate::aws::sdk;
use crate::domain::endpoints::Service;
use crate::domain::network::Network;

/// The grant type of the device code flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A client registration returned by RegisterClient.
#[derive(Clone)]
pub struct Registered {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
    /// When the registration expires, seconds since the epoch.
    pub expires_at: i64,
}

impl fmt::Debug for Registered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What StartDeviceAuthorization returned.
#[derive(Clone)]
pub struct DeviceAuthorization {
    /// The code polled with (a secret).
    pub device_code: SecretString,
    /// The code the user types.
    pub user_code: String,
    /// The page where the user types it.
    pub verification_uri: String,
    /// The page with the code filled in.
    pub verification_uri_complete: String,
    /// How long the device code can be polled.
    pub expires_in: Duration,
    /// The polling interval.
    pub interval: Duration,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// The tokens CreateToken returned.
#[derive(Clone)]
pub struct Tokens {
    /// The bearer token for the portal.
    pub access_token: SecretString,
    /// Its lifetime.
    pub expires_in: Duration,
    /// A refresh token, when the service issued one.
    pub refresh_token: Option<SecretString>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// One CreateToken grant.
#[derive(Debug)]
pub enum Grant<'a> {
    /// Poll for a device authorization.
    DeviceCode(&'a SecretString),
    /// Exchange an authorization code with its PKCE verifier.
    AuthorizationCode {
        /// The code from the redirect.
        code: &'a str,
        /// The redirect URI the code was sent to, port included.
        redirect_uri: &'a str,
        /// The PKCE verifier.
        verifier: &'a SecretString,
    },
    /// Refresh an access token.
    RefreshToken(&'a SecretString),
}

/// How a CreateToken call failed.
#[derive(Debug)]
pub enum TokenFailure {
    /// The user has not approved yet: poll again.
    Pending,
    /// Polling too fast: add 5 seconds to the interval.
    SlowDown,
    /// The device code or authorization expired.
    Expired,
    /// The grant was refused (invalid refresh token, bad code, unknown or
    /// expired client); the message is the service's.
    Refused(String),
    /// Any other failure, already turned into an [`Error`].
    Other(Error),
}

/// An SSO OIDC client for one region.
#[derive(Debug, Clone)]
pub struct Oidc {
    region: String,
    network: Network,
    transport: sdk::Transport,
    /// Built on first use: building an HTTPS client loads the system's TLS
    /// roots, which a run that needs no refresh or login should not pay for.
    client: std::sync::OnceLock<aws_sdk_ssooidc::Client>,
    endpoint: String,
}

impl Oidc {
    /// A client in `region` at `endpoint` (resolved by
    /// [`crate::domain::endpoints::endpoint_for`]), over the invocation's `network`.
    /// Plain `http://` endpoints (local emulators) get a client without TLS.
    pub fn new(region: &str, endpoint: String, network: Network) -> Self {
        Oidc {
            region: region.to_owned(),
            client: std::sync::OnceLock::new(),
            transport: sdk::Transport::for_service(Service::Oidc, &endpoint, &network),
            endpoint,
            network,
        }
    }

    fn client(&self) -> &aws_sdk_ssooidc::Client {
        self.client.get_or_init(|| {
            let config = aws_sdk_ssooidc::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(self.region.clone()))
                .http_client(sdk::http_client(&self.endpoint, &self.network))
                .retry_config(sdk::retry_config())
                .timeout_config(sdk::timeout_config())
                .endpoint_url(&self.endpoint);
            aws_sdk_ssooidc::Client::from_conf(config.build())
        })
    }

    fn transport(&self) -> &sdk::Transport {
        &self.transport
    }

    /// The endpoint in use; the authorize page lives under it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// RegisterClient. `pkce` carries the redirect URI (without port) and the
    /// issuer URL for an authorization-code client.
    pub async fn register(
        &self,
        client_name: &str,
        scopes: Option<&[String]>,
        pkce: Option<(&str, &str)>,
    ) -> Result<Registered, Error> {
        let mut request = self
            .client()
            .register_client()
            .client_name(client_name)
            .client_type("public")
            .set_scopes(scopes.map(<[String]>::to_vec));
        if let Some((redirect_uri, issuer_url)) = pkce {
            request = request
                .grant_types("authorization_code")
                .grant_types("refresh_token")
                .redirect_uris(redirect_uri)
                .issuer_url(issuer_url);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.error("RegisterClient", e, &[]))?;
        let (Some(id), Some(secret)) = (out.client_id, out.client_secret) else {
            return Err(self.malformed("RegisterClient", "no clientId or clientSecret"));
        };
        Ok(Registered {
            client_id: id,
            client_secret: SecretString::from(secret),
            expires_at: out.client_secret_expires_at,
        })
    }

    /// StartDeviceAuthorization for `start_url`.
    pub async fn start_device_authorization(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        start_url: &str,
    ) -> Result<DeviceAuthorization, Error> {
        let out = self
            .client()
            .start_device_authorization()
            .client_id(client_id)
            .client_secret(client_secret.expose_secret())
            .start_url(start_url)
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "StartDeviceAuthorization",
                    e,
                    &[client_secret.expose_secret()],
                )
            })?;
        let (Some(device_code), Some(user_code), Some(uri)) =
            (out.device_code, out.user_code, out.verification_uri)
        else {
            return Err(self.malformed(
                "StartDeviceAuthorization",
                "no deviceCode, userCode or verificationUri",
            ));
        };
        let interval = u64::try_from(out.interval).unwrap_or(0);
        Ok(DeviceAuthorization {
            device_code: SecretString::from(device_code),
            verification_uri_complete: out.verification_uri_complete.unwrap_or_else(|| uri.clone()),
            verification_uri: uri,
            user_code,
            expires_in: Duration::from_secs(u64::try_from(out.expires_in).unwrap_or(0)),
            // RFC 8628: 5 seconds when the server names none.
            interval: Duration::from_secs(if interval == 0 { 5 } else { interval }),
        })
    }

    /// CreateToken with one grant.
    pub async fn create_token(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        grant: Grant<'_>,
    ) -> Result<Tokens, TokenFailure> {
        let request = self
            .client()
            .create_token()
            .client_id(client_id)
            .client_secret(client_secret.expose_secret());
        let grant_secret = match &grant {
            Grant::DeviceCode(code) => code.expose_secret(),
            Grant::AuthorizationCode { code, .. } => *code,
            Grant::RefreshToken(token) => token.expose_secret(),
        };
        let verifier = match &grant {
            Grant::AuthorizationCode { verifier, .. } => verifier.expose_secret(),
            _ => "",
        };
        let secrets = [client_secret.expose_secret(), grant_secret, verifier];
        let request = match grant {
            Grant::DeviceCode(code) => request
                .grant_type(DEVICE_CODE_GRANT)
                .device_code(code.expose_secret()),
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                verifier,
            } => request
                .grant_type("authorization_code")
                .code(code)
                .redirect_uri(redirect_uri)
                .code_verifier(verifier.expose_secret()),
            Grant::RefreshToken(token) => request
                .grant_type("refresh_token")
                .refresh_token(token.expose_secret()),
        };
        let out = request
            .send()
            .await
            .map_err(|e| self.token_failure(e, &secrets))?;
        let Some(access) = out.access_token else {
            return Err(TokenFailure::Other(
                self.malformed("CreateToken", "no accessToken"),
            ));
        };
        Ok(Tokens {
            access_token: SecretString::from(access),
            expires_in: Duration::from_secs(u64::try_from(out.expires_in).unwrap_or(0)),
            refresh_token: out.refresh_token.map(SecretString::from),
        })
    }

    fn token_failure<R: fmt::Debug + 'static>(
        &self,
        err: SdkError<CreateTokenError, R>,
        secrets: &[&str],
    ) -> TokenFailure {
        if let SdkError::ServiceError(service) = &err {
            let e = service.err();
            // The service's words reach the terminal.
            let why = || {
                let code = e.code().unwrap_or("refused");
                let text = match e.message() {
                    Some(message) => format!("{code}: {message}"),
                    None => code.to_owned(),
                };
                crate::domain::text::remote(&text, secrets)
            };
            match e {
                CreateTokenError::AuthorizationPendingException(_) => return TokenFailure::Pending,
                CreateTokenError::SlowDownException(_) => return TokenFailure::SlowDown,
                CreateTokenError::ExpiredTokenException(_) => return TokenFailure::Expired,
                CreateTokenError::InvalidGrantException(_)
                | CreateTokenError::InvalidClientException(_)
                | CreateTokenError::AccessDeniedException(_)
                | CreateTokenError::UnauthorizedClientException(_)
                | CreateTokenError::InvalidScopeException(_) => {
                    return TokenFailure::Refused(why());
                }
                _ => {}
            }
        }
        TokenFailure::Other(self.error("CreateToken", err, secrets))
    }

    fn malformed(&self, operation: &str, what: &str) -> Error {
        Error::Portal {
            endpoint: self.endpoint.clone(),
            message: format!("malformed {operation} response: {what}"),
        }
    }

    fn error<E, R>(&self, operation: &str, err: SdkError<E, R>, secrets: &[&str]) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug + 'static,
    {
        match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => self
                .transport()
                .unreachable(&err, matches!(err, SdkError::TimeoutError(_))),
            _ => Error::Portal {
                endpoint: self.endpoint.clone(),
                message: format!("{operation} failed: {}", sdk::remote_error(&err, secrets)),
            },
        }
    }
}

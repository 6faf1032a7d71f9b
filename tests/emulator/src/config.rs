use std::fmt;
use std::time::Duration;

/// The roles [`EmulatorConfig::generated`] hands out first, in this order;
/// further roles are named `Role{n}` after their index.
const GENERATED_ROLE_NAMES: [&str; 3] = ["ReadOnly", "Admin", "Developer"];

/// The id of generated account 0; account `i` gets `FIRST_GENERATED_ID + i`.
const FIRST_GENERATED_ID: u64 = 100_000_000_000;

/// An AWS account the portal lists, with the roles the user may assume in it.
///
/// Names, emails and role names are served exactly as given, so they may hold
/// spaces, non-ASCII text or characters such as `.+@` that need escaping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The account id, normally 12 digits.
    pub id: String,
    /// The account's display name (`accountName` on the wire).
    pub name: String,
    /// The account's root email address (`emailAddress` on the wire).
    pub email: String,
    /// The role names assigned to the user in this account, in listing order.
    pub roles: Vec<String>,
}

impl Account {
    /// An account with no roles and the email `aws+{id}@example.com`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        let id = id.into();
        Self {
            email: format!("aws+{id}@example.com"),
            id,
            name: name.into(),
            roles: Vec::new(),
        }
    }

    /// Replaces the email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Assigns one more role.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Assigns several more roles.
    pub fn roles<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }
}

/// What the emulator serves and how it misbehaves. Built with chained
/// methods:
///
/// ```
/// use std::time::Duration;
/// use ssocred_emulator::{Account, EmulatorConfig};
///
/// let config = EmulatorConfig::generated(5, 3)
///     .account(Account::new("999999999999", "Prod (EU)").role("My.Role+x@y"))
///     .with_token("token-1")
///     .page_size(2)
///     .latency(Duration::from_millis(10))
///     .throttle_every(4);
/// ```
#[derive(Clone)]
pub struct EmulatorConfig {
    pub(crate) accounts: Vec<Account>,
    pub(crate) tokens: Vec<String>,
    pub(crate) page_size: usize,
    pub(crate) latency: Duration,
    pub(crate) throttle_every: Option<u64>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) tls: bool,
    pub(crate) credential_lifetime: Duration,
    pub(crate) trailing_empty_page: bool,
    pub(crate) oidc: crate::OidcConfig,
    pub(crate) trust: Vec<Trust>,
    pub(crate) assume_role_lifetime: Option<Duration>,
    pub(crate) throttle_sts_every: Option<u64>,
    pub(crate) console_user: Option<String>,
}

/// One statement of a role's trust policy: `source` may assume `target`,
/// with `external_id` when the statement requires one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Trust {
    pub(crate) target: String,
    pub(crate) source: String,
    pub(crate) external_id: Option<String>,
}

impl Default for EmulatorConfig {
    /// No accounts, no accepted tokens, pages of
    /// [`EmulatorConfig::DEFAULT_PAGE_SIZE`], no latency, no throttling, no
    /// rate limit, plain HTTP, and credentials valid for
    /// [`EmulatorConfig::DEFAULT_CREDENTIAL_LIFETIME`].
    fn default() -> Self {
        Self {
            accounts: Vec::new(),
            tokens: Vec::new(),
            page_size: Self::DEFAULT_PAGE_SIZE,
            latency: Duration::ZERO,
            throttle_every: None,
            rate_limit: None,
            tls: false,
            credential_lifetime: Self::DEFAULT_CREDENTIAL_LIFETIME,
            trailing_empty_page: false,
            oidc: crate::OidcConfig::default(),
            trust: Vec::new(),
            assume_role_lifetime: None,
            throttle_sts_every: None,
            console_user: None,
        }
    }
}

impl EmulatorConfig {
    /// The largest page the server returns unless [`Self::page_size`] says
    /// otherwise. Smaller than the API's maximum of 100 so that ordinary
    /// tests page.
    pub const DEFAULT_PAGE_SIZE: usize = 20;

    /// How long issued credentials stay valid unless
    /// [`Self::credential_lifetime`] says otherwise.
    pub const DEFAULT_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(3600);

    /// The same as [`EmulatorConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// `accounts` accounts, each with `roles_per_account` roles.
    ///
    /// Account `i` (from 0) has the id `100000000000 + i`, the name
    /// `account-{i}` and the email `account-{i}@example.com`. Roles are
    /// `ReadOnly`, `Admin`, `Developer`, then `Role3`, `Role4`, ...
    pub fn generated(accounts: usize, roles_per_account: usize) -> Self {
        let roles: Vec<String> = (0..roles_per_account).map(generated_role_name).collect();
        let accounts = (0..accounts)
            .map(|i| Account {
                id: format!("{:012}", FIRST_GENERATED_ID + i as u64),
                name: format!("account-{i}"),
                email: format!("account-{i}@example.com"),
                roles: roles.clone(),
            })
            .collect();
        Self {
            accounts,
            ..Self::default()
        }
    }

    /// Adds an account after those already configured.
    pub fn account(mut self, account: Account) -> Self {
        self.accounts.push(account);
        self
    }

    /// Accepts one more bearer token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }

    /// The largest page the server returns; a request's `max_result` can only
    /// make pages smaller. 0 counts as 1.
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Delay before each portal request is answered.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Answer every `n`th authorised portal request with 429
    /// `TooManyRequestsException`; 0 turns throttling off.
    pub fn throttle_every(mut self, n: u64) -> Self {
        self.throttle_every = (n > 0).then_some(n);
        self
    }

    /// Limits authorised portal calls (GetRoleCredentials, ListAccounts,
    /// ListAccountRoles, Logout; not OIDC) with a token bucket that holds
    /// `burst` tokens, starts full and gains `per_second` tokens a second, as
    /// the real portal throttles. A call that finds no whole token is
    /// answered 429 `TooManyRequestsException`, counted in
    /// [`crate::Emulator::throttled`], and takes no token.
    ///
    /// Like [`Self::throttle_every`], it applies after the bearer token is
    /// checked, so a 401 is never hidden behind a 429. A `per_second` that is
    /// not a positive finite number turns the limit off; a `burst` of 0
    /// counts as 1.
    pub fn rate_limit(mut self, per_second: f64, burst: u32) -> Self {
        self.rate_limit = RateLimit::new(per_second, burst);
        self
    }

    /// When `true`, serve HTTPS instead of HTTP, with a certificate for
    /// `127.0.0.1` and `localhost` signed by a CA generated at start-up;
    /// [`crate::Emulator::ca_pem`] returns that CA's certificate for the
    /// client's trust store.
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// How long issued credentials stay valid (whole seconds count).
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.credential_lifetime = lifetime;
        self
    }

    /// When `true`, the last non-empty page of a listing still carries a
    /// `nextToken`, and the page it leads to is empty and has none, as the
    /// real service sometimes does.
    pub fn trailing_empty_page(mut self, enabled: bool) -> Self {
        self.trailing_empty_page = enabled;
        self
    }

    /// How the SSO OIDC endpoints (login, refresh) behave.
    pub fn oidc(mut self, oidc: crate::OidcConfig) -> Self {
        self.oidc = oidc;
        self
    }

    /// Lets the role `source_role_arn` assume `target_role_arn` through STS
    /// AssumeRole, with or without an `ExternalId`. Both are IAM role ARNs,
    /// `arn:PARTITION:iam::ACCOUNT:role/NAME`, compared exactly. A caller
    /// holding portal credentials for account `A` and role `R` is the role
    /// `arn:PARTITION:iam::A:role/R` (PARTITION from the region it signs
    /// for); one holding AssumeRole credentials is the role it assumed.
    /// Repeatable; a target no statement names refuses everyone.
    pub fn trust(
        mut self,
        target_role_arn: impl Into<String>,
        source_role_arn: impl Into<String>,
    ) -> Self {
        self.trust.push(Trust {
            target: target_role_arn.into(),
            source: source_role_arn.into(),
            external_id: None,
        });
        self
    }

    /// Like [`Self::trust`], but the statement holds only when the request
    /// carries exactly `external_id` as its `ExternalId`, as a trust policy
    /// with an `sts:ExternalId` condition does.
    pub fn trust_with_external_id(
        mut self,
        target_role_arn: impl Into<String>,
        source_role_arn: impl Into<String>,
        external_id: impl Into<String>,
    ) -> Self {
        self.trust.push(Trust {
            target: target_role_arn.into(),
            source: source_role_arn.into(),
            external_id: Some(external_id.into()),
        });
        self
    }

    /// When set, credentials from AssumeRole expire after `lifetime`
    /// (whole seconds count) whatever `DurationSeconds` asked for, so a
    /// test can watch a chained hop expire.
    pub fn assume_role_lifetime(mut self, lifetime: Duration) -> Self {
        self.assume_role_lifetime = Some(lifetime);
        self
    }

    /// Answer every `n`th authenticated STS AssumeRole with 400
    /// `Throttling` (`Rate exceeded`), counted by
    /// [`crate::Emulator::sts_throttled`]; 0 turns it off. STS is another
    /// endpoint than the portal: this never touches the portal's throttling
    /// or rate limit, nor they this.
    pub fn throttle_sts_every(mut self, n: u64) -> Self {
        self.throttle_sts_every = (n > 0).then_some(n);
        self
    }

    /// The IAM user (`arn:aws:iam::ACCOUNT:user/NAME`) who signs in at
    /// Sign-In's `/v1/authorize`, as a browser sign-in to the console
    /// would; without one, every authorization is refused.
    pub fn console_user(mut self, user_arn: impl Into<String>) -> Self {
        self.console_user = Some(user_arn.into());
        self
    }
}

/// Tokens are redacted: they are bearer credentials, even in tests.
impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("accounts", &self.accounts)
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("page_size", &self.page_size)
            .field("latency", &self.latency)
            .field("throttle_every", &self.throttle_every)
            .field("rate_limit", &self.rate_limit)
            .field("tls", &self.tls)
            .field("credential_lifetime", &self.credential_lifetime)
            .field("trailing_empty_page", &self.trailing_empty_page)
            .field("oidc", &self.oidc)
            .field("trust", &self.trust)
            .field("assume_role_lifetime", &self.assume_role_lifetime)
            .field("throttle_sts_every", &self.throttle_sts_every)
            .field("console_user", &self.console_user)
            .finish()
    }
}

/// A rate limit for portal calls: see [`EmulatorConfig::rate_limit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RateLimit {
    pub(crate) per_second: f64,
    pub(crate) burst: u32,
}

impl RateLimit {
    /// `None` unless `per_second` is positive and finite.
    pub(crate) fn new(per_second: f64, burst: u32) -> Option<Self> {
        (per_second.is_finite() && per_second > 0.0).then_some(Self {
            per_second,
            burst: burst.max(1),
        })
    }
}

fn generated_role_name(index: usize) -> String {
    match GENERATED_ROLE_NAMES.get(index) {
        Some(name) => (*name).to_owned(),
        None => format!("Role{index}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_accounts_have_twelve_digit_ids_and_named_roles() {
        let config = EmulatorConfig::generated(3, 5);
        let ids: Vec<&str> = config.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["100000000000", "100000000001", "100000000002"]);
        assert_eq!(config.accounts[2].name, "account-2");
        assert_eq!(config.accounts[2].email, "account-2@example.com");
        assert_eq!(
            config.accounts[0].roles,
            ["ReadOnly", "Admin", "Developer", "Role3", "Role4"]
        );
    }

    #[test]
    fn zero_throttle_and_page_size_are_normalised() {
        let config = EmulatorConfig::new().throttle_every(0).page_size(0);
        assert_eq!(config.throttle_every, None);
        assert_eq!(config.page_size, 1);
    }

    #[test]
    fn rate_limits_that_admit_nothing_turn_the_limit_off() {
        for per_second in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let config = EmulatorConfig::new().rate_limit(per_second, 5);
            assert_eq!(config.rate_limit, None, "{per_second}");
        }
        let config = EmulatorConfig::new().rate_limit(2.5, 0);
        assert_eq!(
            config.rate_limit,
            Some(RateLimit {
                per_second: 2.5,
                burst: 1
            })
        );
    }

    #[test]
    fn debug_hides_tokens() {
        let config = EmulatorConfig::new().with_token("very-secret-token");
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(shown.contains("<1 redacted>"), "{shown}");
    }
}

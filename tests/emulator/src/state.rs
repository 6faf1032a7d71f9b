use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::config::{Account, EmulatorConfig, RateLimit};
use crate::credentials::{IssuedCredentials, opaque_text};
use crate::error::ApiError;
use crate::rate::TokenBucket;

/// The key under which [`crate::Emulator::counts`] reports throttled requests.
pub(crate) const THROTTLED_KEY: &str = "Throttled";
/// The key under which [`crate::Emulator::counts`] reports throttled STS
/// requests.
pub(crate) const STS_THROTTLED_KEY: &str = "StsThrottled";

/// An operation of the portal (or, `GetAuthorizationToken`, of ECR), as the
/// service model names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `GET /federation/credentials`
    GetRoleCredentials,
    /// `GET /assignment/accounts`
    ListAccounts,
    /// `GET /assignment/roles`
    ListAccountRoles,
    /// `POST /logout`
    Logout,
    /// ECR: `POST /` with the `GetAuthorizationToken` target.
    GetAuthorizationToken,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Operation; 5] = [
        Operation::GetRoleCredentials,
        Operation::ListAccounts,
        Operation::ListAccountRoles,
        Operation::Logout,
        Operation::GetAuthorizationToken,
    ];

    /// The operation's name in the service model, e.g. `ListAccountRoles`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetRoleCredentials => "GetRoleCredentials",
            Operation::ListAccounts => "ListAccounts",
            Operation::ListAccountRoles => "ListAccountRoles",
            Operation::Logout => "Logout",
            Operation::GetAuthorizationToken => "GetAuthorizationToken",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An STS operation, as the service model names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StsOperation {
    /// `POST /` with `Action=AssumeRole`
    AssumeRole,
    /// `POST /` with `Action=GetCallerIdentity`
    GetCallerIdentity,
}

impl StsOperation {
    /// Every operation, in declaration order.
    pub const ALL: [StsOperation; 2] = [StsOperation::AssumeRole, StsOperation::GetCallerIdentity];

    /// The operation's name in the service model, e.g. `AssumeRole`.
    pub fn name(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "AssumeRole",
            StsOperation::GetCallerIdentity => "GetCallerIdentity",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for StsOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything the server and the handle share, behind one lock that is only
/// ever held for a few statements (never across an `await`).
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// ECR's tokens (see [`crate::ecr`]).
    pub(crate) ecr: crate::ecr::EcrState,
}

struct Inner {
    config: EmulatorConfig,
    counts: [u64; Operation::ALL.len()],
    throttled: u64,
    /// Authorised requests since throttling was last configured or reset.
    throttle_sequence: u64,
    /// The rate limit's bucket, when one is configured.
    bucket: Option<TokenBucket>,
    issued: Vec<IssuedCredentials>,
    logged_out: Vec<String>,
    sts_counts: [u64; StsOperation::ALL.len()],
    sts_throttled: u64,
    /// Authenticated STS requests since STS throttling was last configured
    /// or reset.
    sts_throttle_sequence: u64,
    /// Every `nextToken` handed out, and where it continues.
    page_tokens: HashMap<String, PagePosition>,
}

#[derive(Clone, PartialEq, Eq)]
struct PagePosition {
    /// `accounts`, or `roles/{account id}`.
    listing: String,
    offset: usize,
}

/// One page of a listing and the token for the next one.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_token: Option<String>,
}

/// A listing request's paging parameters, as sent.
pub(crate) struct PageRequest<'a> {
    pub(crate) next_token: Option<&'a str>,
    pub(crate) max_result: Option<usize>,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        let bucket = new_bucket(config.rate_limit);
        Self {
            inner: Mutex::new(Inner {
                bucket,
                config,
                counts: [0; Operation::ALL.len()],
                throttled: 0,
                throttle_sequence: 0,
                issued: Vec::new(),
                logged_out: Vec::new(),
                sts_counts: [0; StsOperation::ALL.len()],
                sts_throttled: 0,
                sts_throttle_sequence: 0,
                page_tokens: HashMap::new(),
            }),
            ecr: crate::ecr::EcrState::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters half
        // updated in a way that matters to a test double.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request as it arrives and returns the latency to apply.
    pub(crate) fn arrive(&self, operation: Operation) -> Duration {
        let mut inner = self.lock();
        inner.counts[operation.index()] += 1;
        inner.config.latency
    }

    /// Checks the bearer token, then applies the rate limit, then
    /// `throttle_every`. A call refused by the rate limit does not advance
    /// the `throttle_every` cycle.
    pub(crate) fn authorise(&self, token: Option<&str>) -> Result<(), ApiError> {
        let mut inner = self.lock();
        let Some(token) = token else {
            return Err(ApiError::Unauthorized(
                "Missing x-amz-sso_bearer_token header".to_owned(),
            ));
        };
        if !inner.config.tokens.iter().any(|known| known == token) {
            return Err(ApiError::Unauthorized(
                "Session token not found or invalid".to_owned(),
            ));
        }
        if let Some(bucket) = &mut inner.bucket
            && !bucket.try_take(Instant::now())
        {
            inner.throttled += 1;
            return Err(ApiError::TooManyRequests);
        }
        inner.throttle_sequence += 1;
        if let Some(every) = inner.config.throttle_every
            && inner.throttle_sequence.is_multiple_of(every)
        {
            inner.throttled += 1;
            return Err(ApiError::TooManyRequests);
        }
        Ok(())
    }

    pub(crate) fn role_credentials(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<IssuedCredentials, ApiError> {
        let mut inner = self.lock();
        let assigned = inner
            .account(account_id)
            .is_some_and(|account| account.roles.iter().any(|role| role == role_name));
        if !assigned {
            return Err(ApiError::not_found("No access"));
        }
        let sequence = inner.issued.len() as u64 + 1;
        let issued = IssuedCredentials::generate(
            account_id,
            role_name,
            sequence,
            inner.config.credential_lifetime,
        );
        inner.issued.push(issued.clone());
        Ok(issued)
    }

    /// Credentials of the IAM user `user_arn` in `account_id`, for a
    /// console session (Sign-In), recorded as every issued set is.
    pub(crate) fn user_credentials(&self, account_id: &str, user_arn: &str) -> IssuedCredentials {
        let mut inner = self.lock();
        let sequence = inner.issued.len() as u64 + 1;
        let name = user_arn.rsplit(':').next().unwrap_or(user_arn);
        let mut issued = IssuedCredentials::generate(
            account_id,
            name,
            sequence,
            inner.config.credential_lifetime,
        );
        issued.user_arn = Some(user_arn.to_owned());
        inner.issued.push(issued.clone());
        issued
    }

    pub(crate) fn list_accounts(
        &self,
        request: PageRequest<'_>,
    ) -> Result<Page<Account>, ApiError> {
        let mut inner = self.lock();
        let Inner {
            config,
            page_tokens,
            ..
        } = &mut *inner;
        page_of(&config.accounts, "accounts", request, config, page_tokens)
    }

    pub(crate) fn list_account_roles(
        &self,
        account_id: &str,
        request: PageRequest<'_>,
    ) -> Result<Page<String>, ApiError> {
        let mut inner = self.lock();
        let Inner {
            config,
            page_tokens,
            ..
        } = &mut *inner;
        let account = config
            .accounts
            .iter()
            .find(|account| account.id == account_id)
            .ok_or_else(|| ApiError::not_found("No access"))?;
        let listing = format!("roles/{account_id}");
        page_of(&account.roles, &listing, request, config, page_tokens)
    }

    /// Makes `token` unusable from now on and records it.
    pub(crate) fn logout(&self, token: &str) {
        let mut inner = self.lock();
        inner.config.tokens.retain(|known| known != token);
        inner.logged_out.push(token.to_owned());
    }

    pub(crate) fn count(&self, operation: Operation) -> u64 {
        self.lock().counts[operation.index()]
    }

    pub(crate) fn throttled(&self) -> u64 {
        self.lock().throttled
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        let inner = self.lock();
        let portal = Operation::ALL
            .iter()
            .map(|op| (op.name().to_owned(), inner.counts[op.index()]));
        let sts = StsOperation::ALL
            .iter()
            .map(|op| (op.name().to_owned(), inner.sts_counts[op.index()]));
        portal
            .chain(sts)
            .chain([
                (THROTTLED_KEY.to_owned(), inner.throttled),
                (STS_THROTTLED_KEY.to_owned(), inner.sts_throttled),
            ])
            .collect()
    }

    /// Zeroes the counters, restarts the throttling cycle and refills the
    /// rate limit's bucket, so the next requests behave as right after start.
    pub(crate) fn reset_counts(&self) {
        let mut inner = self.lock();
        inner.counts = [0; Operation::ALL.len()];
        inner.throttled = 0;
        inner.throttle_sequence = 0;
        inner.bucket = new_bucket(inner.config.rate_limit);
        inner.sts_counts = [0; StsOperation::ALL.len()];
        inner.sts_throttled = 0;
        inner.sts_throttle_sequence = 0;
    }

    pub(crate) fn issued(&self) -> Vec<IssuedCredentials> {
        self.lock().issued.clone()
    }

    pub(crate) fn logged_out_tokens(&self) -> Vec<String> {
        self.lock().logged_out.clone()
    }

    /// Accepts one more bearer token, as when the OIDC side issues one.
    pub(crate) fn accept_token(&self, token: String) {
        self.lock().config.tokens.push(token);
    }

    pub(crate) fn set_tokens(&self, tokens: Vec<String>) {
        self.lock().config.tokens = tokens;
    }

    pub(crate) fn set_throttle_every(&self, every: Option<u64>) {
        let mut inner = self.lock();
        inner.config.throttle_every = every.filter(|&n| n > 0);
        inner.throttle_sequence = 0;
    }

    /// Replaces the rate limit with a full bucket, or removes it.
    pub(crate) fn set_rate_limit(&self, rate_limit: Option<RateLimit>) {
        let mut inner = self.lock();
        inner.config.rate_limit = rate_limit;
        inner.bucket = new_bucket(rate_limit);
    }

    pub(crate) fn set_credential_lifetime(&self, lifetime: Duration) {
        self.lock().config.credential_lifetime = lifetime;
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.lock().config.latency = latency;
    }

    /// Counts an STS request as it arrives.
    pub(crate) fn sts_arrive(&self, operation: StsOperation) {
        self.lock().sts_counts[operation.index()] += 1;
    }

    pub(crate) fn sts_count(&self, operation: StsOperation) -> u64 {
        self.lock().sts_counts[operation.index()]
    }

    pub(crate) fn sts_throttled(&self) -> u64 {
        self.lock().sts_throttled
    }

    /// Whether this authenticated STS request is one `throttle_sts_every`
    /// refuses; counts it as throttled if so.
    pub(crate) fn sts_throttle(&self) -> bool {
        let mut inner = self.lock();
        inner.sts_throttle_sequence += 1;
        let throttle = inner
            .config
            .throttle_sts_every
            .is_some_and(|every| inner.sts_throttle_sequence.is_multiple_of(every));
        if throttle {
            inner.sts_throttled += 1;
        }
        throttle
    }

    pub(crate) fn set_throttle_sts_every(&self, every: Option<u64>) {
        let mut inner = self.lock();
        inner.config.throttle_sts_every = every.filter(|&n| n > 0);
        inner.sts_throttle_sequence = 0;
    }

    pub(crate) fn set_assume_role_lifetime(&self, lifetime: Option<Duration>) {
        self.lock().config.assume_role_lifetime = lifetime;
    }

    /// The credentials issued with this access key id, if any.
    pub(crate) fn issued_for_key(&self, access_key_id: &str) -> Option<IssuedCredentials> {
        self.lock()
            .issued
            .iter()
            .find(|issued| issued.access_key_id == access_key_id)
            .cloned()
    }

    /// Whether a trust statement lets `source` assume `target` with this
    /// `ExternalId`.
    pub(crate) fn trusts(&self, target: &str, source: &str, external_id: Option<&str>) -> bool {
        self.lock().config.trust.iter().any(|trust| {
            trust.target == target
                && trust.source == source
                && trust
                    .external_id
                    .as_deref()
                    .is_none_or(|required| external_id == Some(required))
        })
    }

    /// Issues AssumeRole credentials for `role_name` in `account_id`, valid
    /// for `lifetime` unless `assume_role_lifetime` overrides it; `describe`
    /// fills in the record's STS fields.
    pub(crate) fn issue_assumed(
        &self,
        account_id: &str,
        role_name: &str,
        lifetime: Duration,
        describe: impl FnOnce(&mut IssuedCredentials),
    ) -> IssuedCredentials {
        let mut inner = self.lock();
        let sequence = inner.issued.len() as u64 + 1;
        let lifetime = inner.config.assume_role_lifetime.unwrap_or(lifetime);
        let mut issued = IssuedCredentials::generate(account_id, role_name, sequence, lifetime);
        describe(&mut issued);
        inner.issued.push(issued.clone());
        issued
    }
}

impl Inner {
    fn account(&self, id: &str) -> Option<&Account> {
        self.config.accounts.iter().find(|account| account.id == id)
    }
}

fn new_bucket(rate_limit: Option<RateLimit>) -> Option<TokenBucket> {
    rate_limit.map(|limit| TokenBucket::new(limit.per_second, limit.burst, Instant::now()))
}

/// Cuts one page out of `items`. A page holds at most the configured page
/// size, and fewer when the request's `max_result` says so.
fn page_of<T: Clone>(
    items: &[T],
    listing: &str,
    request: PageRequest<'_>,
    config: &EmulatorConfig,
    page_tokens: &mut HashMap<String, PagePosition>,
) -> Result<Page<T>, ApiError> {
    let offset = match request.next_token {
        None => 0,
        Some(token) => match page_tokens.get(token) {
            Some(position) if position.listing == listing => position.offset,
            _ => return Err(ApiError::invalid_request("Invalid next token")),
        },
    };
    let size = request
        .max_result
        .map_or(config.page_size, |max| max.min(config.page_size));
    let end = items.len().min(offset + size);
    let page = items[offset..end].to_vec();
    let more = end < items.len() || (config.trailing_empty_page && !page.is_empty());
    let next_token = more.then(|| {
        let position = PagePosition {
            listing: listing.to_owned(),
            offset: end,
        };
        let token = page_token(&position);
        page_tokens.insert(token.clone(), position);
        token
    });
    Ok(Page {
        items: page,
        next_token,
    })
}

/// An opaque token like the service's: base64 text that holds `+`, `/` and
/// `=`, so a client that forgets to URL-encode it gets a 400.
fn page_token(position: &PagePosition) -> String {
    let mut token = opaque_text(
        &[position.listing.as_bytes(), &position.offset.to_le_bytes()],
        62,
    );
    token.replace_range(20..21, "+");
    token.replace_range(40..41, "/");
    token.push_str("==");
    token
}

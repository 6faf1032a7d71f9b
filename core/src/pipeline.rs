//! One request for credentials, planned and run: which role (or roles), the
//! SSO token, then the role cache or the portal, as the source of a
//! [`CredentialStream`](crate::CredentialStream).
//!
//! The command line resolves its settings into a [`Request`]. [`Request::plan`]
//! decides, without any network call, whether the role is known outright or
//! the login's roles must be listed first. A listing opens a [`Session`] (the
//! token and the portal client), and [`pick`] applies the plan to what it
//! listed. Either way the result is a [`Fetch`], whose rounds feed the
//! stream: one role ([`RoleFetch`]) or every matched role ([`ManyRoles`]).
//!
//! Prompting, progress bars and the async runtime belong to the caller: the
//! chooser is a callback, listing progress a closure, and every step here is
//! an `async fn`.

use std::io::Write;

use secrecy::SecretString;

use std::future::Future;

use crate::aws::chain::Sts;
use crate::aws::discovery::{ListingProgress, RoleFilter, is_pattern};
use crate::aws::portal::Portal;
use crate::domain::arn::RoleArn;
use crate::domain::hop::Hop;
use crate::domain::role::RoleEntry;
use crate::domain::sso_profile::SsoProfile;
use crate::domain::trace::Trace;
use crate::login::console::ConsoleSession;
use crate::login::{LoginTarget, TokenPolicy, obtain_token};
use crate::store::role_cache::{Kind, RoleCache, Source};
use crate::{CredentialSet, Error};

/// The region put next to the credentials: the setting (flag, environment,
/// config file), else the profile's `region`, else its `sso_region`. The
/// one place this rule is written.
pub fn credentials_region(setting: Option<&str>, profile: &SsoProfile) -> String {
    setting
        .map(str::to_owned)
        .or_else(|| profile.region.clone())
        .unwrap_or_else(|| profile.sso_region.clone())
}

/// What `-v` says of a set just fetched (its key id is not a secret).
fn got(set: &CredentialSet) -> String {
    format!(
        "got {} for {}, expires {}",
        set.access_key_id,
        set.role_arn,
        set.expiration_utc()
    )
}

/// How the role was named, before the AWS profile is consulted.
#[derive(Debug, Clone)]
pub enum RoleChoice {
    /// A role ARN.
    Arn(RoleArn),
    /// An account and a role name; either may be a glob.
    AccountRole(String, String),
    /// Globs over account ids and names and role names, from only one of
    /// `--account` and `--role`, or from either with `--all`.
    Patterns(RoleFilter),
}

/// What a request selects.
#[derive(Debug, Clone)]
pub struct RoleQuery {
    /// The role, if one was named above the AWS profile.
    pub choice: Option<RoleChoice>,
    /// Every matching role, rather than one.
    pub all: bool,
}

/// How the role (or roles) will be selected: decided before any network call.
#[derive(Debug, Clone)]
pub enum Plan {
    /// The role is known without listing.
    Role(RoleArn),
    /// List, filter, and take the one match (or let the user choose).
    One(RoleFilter),
    /// List, filter, and take every match.
    All(RoleFilter),
    /// Nothing names a role: only a person can choose one, from everything
    /// listed.
    Unselected,
}

/// Everything one invocation asks of the pipeline, resolved from settings.
#[derive(Debug, Clone)]
pub struct Request {
    /// The SSO profile.
    pub profile: SsoProfile,
    /// Which role or roles.
    pub query: RoleQuery,
    /// The region put next to the credentials (see [`credentials_region`]).
    pub region: String,
    /// The login: token cache, OIDC client, lock.
    pub login: LoginTarget,
    /// When to refresh the token, and what to do when it has expired.
    pub token: TokenPolicy,
    /// The role-credential cache, unless it is turned off.
    pub cache: Option<RoleCache>,
    /// The portal client.
    pub portal: Portal,
    /// How many portal calls run at once when listing or fetching many roles.
    pub concurrency: usize,
    /// `-v` diagnostics.
    pub trace: Trace,
    /// The network every AWS call of the invocation goes through, for the
    /// sinks that call an endpoint themselves ([`crate::Sink::connect`]).
    pub network: crate::domain::network::Network,
    /// The roles to assume after the SSO role (`--assume`), if any.
    pub chain: Option<Chain>,
}

/// A role chain: the hops after the SSO role and the STS client that makes
/// them.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The hops, in order.
    pub hops: Vec<Hop>,
    /// The STS client.
    pub sts: Sts,
    /// The session name of a hop that names none when the SSO user's own
    /// cannot be learnt ([`crate::domain::hop::default_session_name`]).
    pub default_session_name: String,
    /// The SSO user's session name, learnt once per invocation from
    /// `GetCallerIdentity` with the SSO role's credentials (the same person
    /// for every role of the login).
    pub caller_session: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Chain {
    /// The session name of a hop that names none: the session name of its
    /// source credentials, `from` (asked of STS once per invocation): for
    /// the SSO role's, the SSO user's name; for a cached earlier hop's, the
    /// name ssocred gave it, which came from the same place. Else the
    /// login's default.
    async fn session_name(&self, from: &CredentialSet, trace: Trace) -> String {
        if let Some(name) = self.caller_session.get() {
            return name.clone();
        }
        let learnt = self.sts.caller_session_name(from).await;
        let name = learnt.unwrap_or_else(|| self.default_session_name.clone());
        trace.say(|| format!("role session name {name}"));
        let _ = self.caller_session.set(name.clone());
        name
    }
}

impl Chain {
    /// The set of the whole chain: from the role cache when its entry is
    /// valid; else from the longest prefix of the chain the cache holds (or
    /// `base`, the SSO role's set, when it holds none), assumed one hop at
    /// a time, each hop's set cached. A loop over the hops, so a chain's
    /// length costs no stack.
    async fn through<F>(
        &self,
        sso_role: &RoleArn,
        request: &Request,
        base: impl FnOnce() -> F,
    ) -> Result<CredentialSet, Error>
    where
        F: Future<Output = Result<CredentialSet, Error>>,
    {
        let trace = request.trace;
        let profile = &request.profile;
        let hops = &self.hops;
        let paths = match &request.cache {
            Some(cache) => cache.chain_paths(profile, sso_role, hops),
            None => Vec::new(),
        };
        // The roles before hop `n` (1 for the first): the SSO role and the
        // hops before it.
        let via = |n: usize| -> Vec<String> {
            std::iter::once(sso_role.as_str())
                .chain(hops[..n - 1].iter().map(|h| h.role.as_str()))
                .map(str::to_owned)
                .collect()
        };
        let from_cache = |cache: &RoleCache, n: usize, hit| {
            let mut set = cache.to_set(
                hit,
                profile,
                &hops[n - 1].role,
                Some(request.region.clone()),
            );
            set.assumed_via = via(n);
            set
        };
        let say_cached = |set: &CredentialSet, n: usize| {
            trace.say(|| {
                format!(
                    "{} for {} (hop {n}) from the role cache {}, expires {}",
                    set.access_key_id,
                    hops[n - 1].role,
                    paths[n - 1].display(),
                    set.expiration_utc()
                )
            });
        };
        // The longest cached prefix, looked for from the whole chain down.
        let mut cached = None;
        if let Some(cache) = &request.cache {
            let now = time::OffsetDateTime::now_utc();
            cached = (1..=hops.len()).rev().find_map(|n| {
                let hit = cache.lookup_at(&paths[n - 1], Kind::Chain, now).ok()?;
                Some((n, from_cache(cache, n, hit)))
            });
        }
        let (done, mut set) = match cached {
            Some((n, set)) => {
                say_cached(&set, n);
                (n, set)
            }
            None => (0, base().await?),
        };
        for n in done + 1..=hops.len() {
            let hop = &hops[n - 1];
            let from = set;
            let assume = || async {
                let session = match &hop.session_name {
                    Some(name) => name.clone(),
                    None => self.session_name(&from, trace).await,
                };
                trace.say(|| {
                    format!(
                        "AssumeRole {} (hop {n}) as {} at {}",
                        hop.role,
                        from.role_arn,
                        self.sts.endpoint()
                    )
                });
                let set = self.sts.assume(&from, hop, &session, n).await?;
                trace.say(|| got(&set));
                Ok::<_, Error>(set)
            };
            let Some(cache) = &request.cache else {
                set = assume().await?;
                continue;
            };
            let to_set = |hit| from_cache(cache, n, hit);
            let mut note = |m: String| trace.say(|| m);
            let (next, source) = cache
                .obtain_at(&paths[n - 1], Kind::Chain, &to_set, &mut note, assume)
                .await?;
            if source == Source::Cache {
                say_cached(&next, n);
            }
            set = next;
        }
        Ok(set)
    }
}

impl Request {
    /// Decides how the role is selected. A role that cannot be named (a bad
    /// role name for its account, say) is a usage error naming the setting.
    pub fn plan(&self) -> Result<Plan, Error> {
        plan(&self.query, &self.profile)
    }

    /// Obtains the token (refreshed or logged in as the policy allows, with
    /// prompts on `ui`) and opens the portal for listing.
    pub async fn open_session(&self, ui: &mut dyn Write) -> Result<Session, Error> {
        let token = obtain_token(&self.login, &self.token, ui).await?;
        Ok(Session {
            profile: self.profile.clone(),
            token: token.token.access_token,
            portal: self.portal.clone(),
            trace: self.trace,
        })
    }

    /// The fetch of one role. `account_name` is the account's display name
    /// when a listing gave it.
    pub fn role_fetch(&self, role: RoleArn, account_name: Option<String>) -> RoleFetch {
        RoleFetch {
            request: self.clone(),
            role,
            account_name,
        }
    }

    /// The fetch of every role in `entries`, through `session`.
    pub fn many_roles(&self, session: Session, entries: Vec<RoleEntry>) -> ManyRoles {
        ManyRoles {
            request: self.clone(),
            session,
            entries,
        }
    }

    /// Turns what [`pick`] chose into a fetch.
    pub fn fetch(&self, picked: Picked, session: Session) -> Result<Fetch, Error> {
        Ok(match picked {
            Picked::One(entry) => {
                let role =
                    RoleArn::parse(entry.role_arn()).map_err(|e| Error::Internal(e.to_string()))?;
                Fetch::One(self.role_fetch(role, Some(entry.account_name().to_owned())))
            }
            Picked::All(entries) => Fetch::Many(Box::new(self.many_roles(session, entries))),
        })
    }
}

/// How the role is selected for `query` in `profile`: the named choice, else
/// the profile's own `sso_account_id` and `sso_role_name`, else nothing.
pub fn plan(query: &RoleQuery, profile: &SsoProfile) -> Result<Plan, Error> {
    let filter = |choice: &Option<RoleChoice>| -> Result<RoleFilter, Error> {
        match choice {
            None | Some(RoleChoice::Arn(_)) => Ok(RoleFilter::default()),
            Some(RoleChoice::Patterns(filter)) => Ok(filter.clone()),
            Some(RoleChoice::AccountRole(account, role)) => {
                RoleFilter::new(Some(account), Some(role))
            }
        }
    };
    if query.all {
        return Ok(Plan::All(filter(&query.choice)?));
    }
    match &query.choice {
        Some(RoleChoice::Arn(arn)) => return Ok(Plan::Role(arn.clone())),
        Some(RoleChoice::AccountRole(account, role))
            if crate::domain::arn::is_account_id(account) && !is_pattern(role) =>
        {
            return RoleArn::for_role(account, role, &profile.sso_region)
                .map(Plan::Role)
                .map_err(|e| Error::Usage(format!("--role: {e}")));
        }
        Some(_) => return Ok(Plan::One(filter(&query.choice)?)),
        None => {}
    }
    if let (Some(account), Some(role)) = (&profile.account_id, &profile.role_name) {
        return RoleArn::for_role(account, role, &profile.sso_region)
            .map(Plan::Role)
            .map_err(|e| {
                Error::Usage(format!(
                    "profile `{}`: sso_account_id and sso_role_name: {e}",
                    profile.name
                ))
            });
    }
    Ok(Plan::Unselected)
}

/// What a plan that needed a listing selected.
#[derive(Debug)]
pub enum Picked {
    /// One role.
    One(RoleEntry),
    /// Every matched role.
    All(Vec<RoleEntry>),
}

/// A way to ask a person to pick one of several roles: the index of the
/// entry chosen. `None` where nobody can be asked (no terminal).
pub type Chooser<'a> = Option<&'a mut dyn FnMut(&[RoleEntry]) -> Result<usize, Error>>;

/// Applies a listing plan to the roles `listed` for `profile`: the single
/// match, every match, or the one a person chooses. More than one match
/// without `--all` and without a chooser is a usage error listing some.
pub fn pick(
    plan: Plan,
    listed: Vec<RoleEntry>,
    profile: &SsoProfile,
    chooser: Chooser<'_>,
) -> Result<Picked, Error> {
    let (filter, all) = match plan {
        Plan::Role(role) => {
            return Err(Error::Internal(format!(
                "{role} needs no listing; fetch it with Request::role_fetch"
            )));
        }
        Plan::One(filter) => (filter, false),
        Plan::All(filter) => (filter, true),
        Plan::Unselected => (RoleFilter::default(), false),
    };
    let name = &profile.name;
    if !listed.iter().any(|e| filter.matches(e)) {
        return Err(Error::Usage(format!(
            "no role of profile `{name}` matches {}{}; `{}` shows the roles you have",
            filter.describe(),
            crate::domain::text::did_you_mean(&filter.near_roles(&listed)),
            crate::domain::shell_line::suggested(&["list", "-p", name]),
        )));
    }
    let mut matches: Vec<RoleEntry> = listed.into_iter().filter(|e| filter.matches(e)).collect();
    if all {
        return Ok(Picked::All(matches));
    }
    if matches.len() == 1 {
        return Ok(Picked::One(matches.remove(0)));
    }
    if let Some(choose) = chooser {
        let index = choose(&matches)?;
        if index >= matches.len() {
            return Err(Error::Internal("the chooser returned no role".to_owned()));
        }
        return Ok(Picked::One(matches.swap_remove(index)));
    }
    let shown: Vec<&str> = matches.iter().take(10).map(|e| e.role_arn()).collect();
    Err(Error::Usage(format!(
        "{} roles match {}: {}{}; pass -r ARN for one of them, narrow the patterns, or add --all to take every one",
        matches.len(),
        filter.describe(),
        shown.join(", "),
        if matches.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )))
}

/// A login held for the portal calls of one run: the profile, its access
/// token and the portal client.
#[derive(Debug, Clone)]
pub struct Session {
    /// The SSO profile.
    pub profile: SsoProfile,
    /// The access token (a secret: its Debug shows nothing).
    pub token: SecretString,
    /// The portal client.
    pub portal: Portal,
    trace: Trace,
}

impl Session {
    /// Every role of the login; `progress` is called after every page.
    pub async fn list(
        &self,
        concurrency: usize,
        progress: &mut dyn FnMut(ListingProgress),
    ) -> Result<Vec<RoleEntry>, Error> {
        self.trace.say(|| {
            format!(
                "listing accounts and roles at {} ({concurrency} at a time)",
                self.portal.endpoint()
            )
        });
        let entries = self
            .portal
            .list_roles(&self.token, concurrency, progress)
            .await?;
        self.trace.say(|| format!("{} roles listed", entries.len()));
        Ok(entries)
    }
}

/// The rounds of one invocation: one role, every role `--all` matched, or
/// a console session of `aws login`.
// Made once per process, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Fetch {
    /// One role, fetched round after round.
    One(RoleFetch),
    /// Every matched role.
    Many(Box<ManyRoles>),
    /// A `login_session` profile's credentials, and the chain from them.
    Console(ConsoleFetch),
}

/// The rounds of a command that runs with one set of credentials (`exec`,
/// `use` and its server): one role, or a console session.
// Made once per process, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum OneFetch {
    /// One role of an SSO login.
    Role(RoleFetch),
    /// A console session of `aws login`.
    Console(ConsoleFetch),
}

impl OneFetch {
    /// One round.
    pub async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        match self {
            OneFetch::Role(role) => role.fetch().await,
            OneFetch::Console(console) => console.fetch().await,
        }
    }

    /// The region put next to the credentials.
    pub fn region(&self) -> &str {
        match self {
            OneFetch::Role(role) => role.region(),
            OneFetch::Console(console) => &console.session.region,
        }
    }

    /// What each round's credentials act as: the chain's last role, else
    /// the SSO role, or the console session's user.
    pub fn final_role(&self) -> &str {
        match self {
            OneFetch::Role(role) => role.final_role().as_str(),
            OneFetch::Console(console) => console
                .chain
                .as_ref()
                .and_then(|chain| chain.hops.last())
                .map_or(&console.session.login_session, |hop| hop.role.as_str()),
        }
    }
}

/// A console session's rounds: the session's own credentials (the SDK's
/// provider reads, refreshes and rewrites the AWS CLI's cache file), then
/// the role chain, if there is one, hop by hop. The session's credentials
/// last 15 minutes, so the hops are not cached.
#[derive(Debug, Clone)]
pub struct ConsoleFetch {
    /// The session.
    pub session: ConsoleSession,
    /// The roles to assume from it (`--assume`), if any.
    pub chain: Option<Chain>,
    /// `-v` diagnostics.
    pub trace: Trace,
}

impl ConsoleFetch {
    /// One round.
    pub async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        let trace = self.trace;
        trace.say(|| {
            format!(
                "console session {} from {}",
                self.session.login_session,
                self.session.cache_file.display()
            )
        });
        let mut set = self.session.credentials().await?;
        trace.say(|| got(&set));
        let Some(chain) = &self.chain else {
            return Ok(vec![set]);
        };
        for (i, hop) in chain.hops.iter().enumerate() {
            let n = i + 1;
            let session = match &hop.session_name {
                Some(name) => name.clone(),
                None => chain.session_name(&set, trace).await,
            };
            trace.say(|| {
                format!(
                    "AssumeRole {} (hop {n}) as {} at {}",
                    hop.role,
                    set.role_arn,
                    chain.sts.endpoint()
                )
            });
            set = chain.sts.assume(&set, hop, &session, n).await?;
            trace.say(|| got(&set));
        }
        Ok(vec![set])
    }
}

/// One role's rounds: the role cache, else the token and GetRoleCredentials.
/// Each round reads the token cache again, so a login made meanwhile is
/// picked up.
#[derive(Debug, Clone)]
pub struct RoleFetch {
    request: Request,
    role: RoleArn,
    account_name: Option<String>,
}

impl RoleFetch {
    /// The role's ARN.
    pub fn role(&self) -> &RoleArn {
        &self.role
    }

    /// The role the credentials of each round are for: the last role of
    /// the chain (`--assume`), else the SSO role ([`RoleFetch::role`]).
    pub fn final_role(&self) -> &RoleArn {
        self.request
            .chain
            .as_ref()
            .and_then(|chain| chain.hops.last())
            .map_or(&self.role, |hop| &hop.role)
    }

    /// The region put next to the credentials.
    pub fn region(&self) -> &str {
        &self.request.region
    }

    /// One round: the role cache (unless it is off), else a fetch that
    /// concurrent processes asking for the same role share; then the role
    /// chain, if there is one, hop by hop (each hop cached too).
    pub async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        let Some(chain) = &self.request.chain else {
            return self.fetch_sso().await.map(|set| vec![set]);
        };
        let mut set = chain
            .through(&self.role, &self.request, || self.fetch_sso())
            .await?;
        set.account_name = None;
        Ok(vec![set])
    }

    /// The SSO role's set: the role cache, else the portal.
    async fn fetch_sso(&self) -> Result<CredentialSet, Error> {
        let trace = self.request.trace;
        let Some(cache) = &self.request.cache else {
            return self.fetch_from_portal().await;
        };
        let (profile, role) = (&self.request.profile, &self.role);
        let mut note = |m: String| trace.say(|| m);
        let (mut set, source) = cache
            .obtain(
                profile,
                role,
                Some(self.request.region.clone()),
                &mut note,
                || self.fetch_from_portal(),
            )
            .await?;
        if source == Source::Cache {
            trace.say(|| {
                format!(
                    "{} for {role} from the role cache {}, expires {}",
                    set.access_key_id,
                    cache.path(profile, role).display(),
                    set.expiration_utc()
                )
            });
        }
        set.account_name.clone_from(&self.account_name);
        Ok(set)
    }

    /// The cached token (refreshed or logged in as the policy allows), then
    /// GetRoleCredentials.
    async fn fetch_from_portal(&self) -> Result<CredentialSet, Error> {
        let request = &self.request;
        let trace = request.trace;
        trace.say(|| format!("token file {}", request.login.token_path().display()));
        // A concurrent process refreshing or logging in is waited for, not
        // repeated.
        let token = obtain_token(&request.login, &request.token, &mut std::io::stderr()).await?;
        trace.say(|| {
            format!(
                "GetRoleCredentials for {} at {}",
                self.role,
                request.portal.endpoint()
            )
        });
        let mut set = request
            .portal
            .credential_set(
                &token.token.access_token,
                &request.profile,
                &self.role,
                Some(request.region.clone()),
            )
            .await?;
        trace.say(|| got(&set));
        set.account_name.clone_from(&self.account_name);
        Ok(set)
    }
}

/// The rounds of every role `--all` matched, with the session that listed
/// them.
#[derive(Debug)]
pub struct ManyRoles {
    request: Request,
    session: Session,
    entries: Vec<RoleEntry>,
}

impl ManyRoles {
    /// The matched roles.
    pub fn entries(&self) -> &[RoleEntry] {
        &self.entries
    }

    /// The SSO profile.
    pub fn profile(&self) -> &SsoProfile {
        &self.session.profile
    }

    /// One round: the token from the cache (refreshed as it nears expiry, as
    /// for one role), then every role's credentials.
    pub async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        let request = &self.request;
        let token = obtain_token(&request.login, &request.token, &mut std::io::stderr()).await?;
        let sets = self
            .session
            .portal
            .credential_sets(
                &token.token.access_token,
                &request.profile,
                &self.entries,
                Some(request.region.clone()),
                request.concurrency,
            )
            .await?;
        let Some(chain) = &request.chain else {
            return Ok(sets);
        };
        // Every matched role is assumed into the same chain, one after the
        // other: STS is paced by its own limiter.
        let mut chained = Vec::with_capacity(sets.len());
        for set in sets {
            let role = RoleArn::parse(&set.role_arn).map_err(|e| Error::Internal(e.to_string()))?;
            chained.push(chain.through(&role, request, || async { Ok(set) }).await?);
        }
        Ok(chained)
    }
}

#[cfg(test)]
mod tests;

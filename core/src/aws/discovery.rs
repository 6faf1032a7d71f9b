//! Discovery: every account and role a login may use, listed through the
//! portal's ListAccounts and ListAccountRoles with the fewest calls the API
//! allows, and role selection by glob.
//!
//! The listing asks for the largest page (100) and starts each account's
//! ListAccountRoles as soon as the account page that names it arrives, at most
//! `concurrency` at a time, so account paging and role listing overlap. Every
//! call goes through the portal's rate limiter ([`crate::aws::throttle`]): a
//! throttled call (429) waits for its next slot and is sent again, and the
//! listing fails for throttling only once no call has succeeded for the
//! limiter's give-up time. A 401 anywhere stops the whole listing at once
//! with [`Error::LoginRequired`], cancelling the calls still in flight.

use std::collections::{HashSet, VecDeque};

use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sso::operation::list_accounts::ListAccountsOutput;
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinSet;

use crate::aws::portal::{CallError, Portal};
use crate::domain::arn::RoleArn;
use crate::domain::role::RoleEntry;
use crate::domain::sso_profile::SsoProfile;
use crate::{CredentialSet, Error};

/// The largest page ListAccounts and ListAccountRoles return.
pub const MAX_PAGE_SIZE: i32 = 100;

/// The most pages one listing (ListAccounts, or one account's
/// ListAccountRoles) may take: an organization holds at most 50,000
/// accounts (the highest quota AWS Organizations grants), which is 500
/// pages of [`MAX_PAGE_SIZE`]; ten times that leaves room for a portal
/// that fills its pages only partly. A portal that pages on past it is
/// broken, and the listing fails instead of calling it forever.
pub const MAX_PAGES: usize = 5_000;

/// How many ListAccountRoles (or GetRoleCredentials) calls run at once unless
/// the caller says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How far a listing has got, reported after every page and role listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingProgress {
    /// Accounts named by the account pages so far.
    pub accounts_found: usize,
    /// Accounts whose roles are fully listed.
    pub accounts_done: usize,
    /// Whether the last account page has arrived (so `accounts_found` is final).
    pub all_accounts_found: bool,
    /// The pace of portal calls, in requests/s, while the portal throttles
    /// (a 429 within the last few seconds); `None` otherwise.
    pub throttled_rate: Option<u32>,
}

struct Account {
    id: String,
    name: String,
}

type RoleListing = (usize, Result<Vec<String>, Error>);
type AccountPage = Result<ListAccountsOutput, Error>;

impl Portal {
    /// Every role the token may use, ordered as the portal lists accounts and
    /// their roles. `progress` is called after every page and role listing.
    pub async fn list_roles(
        &self,
        token: &SecretString,
        concurrency: usize,
        progress: &mut dyn FnMut(ListingProgress),
    ) -> Result<Vec<RoleEntry>, Error> {
        let concurrency = concurrency.max(1);
        // At most one account page is in flight; the next starts when its
        // token arrives.
        let mut pages: JoinSet<AccountPage> = JoinSet::new();
        pages.spawn(self.accounts_page(token.clone(), None));
        let mut account_pages = Paging::default();
        let mut accounts: Vec<Account> = Vec::new();
        let mut roles: Vec<Option<Vec<String>>> = Vec::new();
        let mut waiting: VecDeque<usize> = VecDeque::new();
        let mut running: JoinSet<RoleListing> = JoinSet::new();
        let mut state = ListingProgress {
            accounts_found: 0,
            accounts_done: 0,
            all_accounts_found: false,
            throttled_rate: None,
        };
        loop {
            while running.len() < concurrency
                && let Some(index) = waiting.pop_front()
            {
                running.spawn(self.account_roles(token.clone(), index, accounts[index].id.clone()));
            }
            if state.all_accounts_found && running.is_empty() {
                break;
            }
            // Dropping `pages` and `running` on an early return aborts the
            // calls in flight.
            tokio::select! {
                Some(joined) = pages.join_next(), if !pages.is_empty() => {
                    let out = joined.map_err(|e| self.task_failed("an account page", &e))??;
                    for info in out.account_list.unwrap_or_default() {
                        let Some(id) = info.account_id else { continue };
                        waiting.push_back(accounts.len());
                        accounts.push(Account {
                            name: info.account_name.unwrap_or_else(|| id.clone()),
                            id,
                        });
                        roles.push(None);
                    }
                    state.accounts_found = accounts.len();
                    match account_pages
                        .next(out.next_token)
                        .map_err(|e| self.paging_error("ListAccounts", &e))?
                    {
                        Some(next) => {
                            pages.spawn(self.accounts_page(token.clone(), Some(next)));
                        }
                        None => state.all_accounts_found = true,
                    }
                },
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    let (index, listed) =
                        joined.map_err(|e| self.task_failed("a role listing", &e))?;
                    roles[index] = Some(listed?);
                    state.accounts_done += 1;
                }
            }
            state.throttled_rate = self.throttling().map(|rate| rate.round() as u32);
            progress(state);
        }
        let total = roles.iter().flatten().map(Vec::len).sum();
        let mut entries = Vec::with_capacity(total);
        for (account, names) in accounts.into_iter().zip(roles) {
            for role_name in names.unwrap_or_default() {
                let arn =
                    RoleArn::for_role(&account.id, &role_name, self.sso_region()).map_err(|e| {
                        Error::Portal {
                            endpoint: self.endpoint().to_owned(),
                            message: format!("the portal listed a role that has no valid ARN: {e}"),
                        }
                    })?;
                entries.push(RoleEntry::new(
                    &account.id,
                    &account.name,
                    &role_name,
                    arn.as_str(),
                ));
            }
        }
        Ok(entries)
    }

    /// One page of ListAccounts, from `next_token`.
    fn accounts_page(
        &self,
        token: SecretString,
        next_token: Option<String>,
    ) -> impl Future<Output = AccountPage> + Send + 'static {
        let portal = self.clone();
        async move {
            portal
                .call(|| {
                    portal
                        .client()
                        .list_accounts()
                        .access_token(token.expose_secret())
                        .max_results(MAX_PAGE_SIZE)
                        .set_next_token(next_token.clone())
                        .send()
                })
                .await
                .map_err(|e| portal.listing_error(e, "ListAccounts", &token))
        }
    }

    /// Every page of ListAccountRoles for one account.
    fn account_roles(
        &self,
        token: SecretString,
        index: usize,
        account_id: String,
    ) -> impl Future<Output = RoleListing> + Send + 'static {
        let portal = self.clone();
        async move {
            let mut names = Vec::new();
            let mut next_token = None;
            let mut paging = Paging::default();
            loop {
                let page = portal
                    .call(|| {
                        portal
                            .client()
                            .list_account_roles()
                            .access_token(token.expose_secret())
                            .account_id(&account_id)
                            .max_results(MAX_PAGE_SIZE)
                            .set_next_token(next_token.clone())
                            .send()
                    })
                    .await;
                match page {
                    Ok(out) => {
                        names.extend(
                            out.role_list
                                .unwrap_or_default()
                                .into_iter()
                                .filter_map(|r| r.role_name),
                        );
                        let what = || format!("ListAccountRoles for account {account_id}");
                        next_token = match paging.next(out.next_token) {
                            Ok(Some(next)) => Some(next),
                            Ok(None) => break,
                            Err(e) => return (index, Err(portal.paging_error(&what(), &e))),
                        };
                    }
                    Err(e) => {
                        let what = format!("ListAccountRoles for account {account_id}");
                        return (index, Err(portal.listing_error(e, &what, &token)));
                    }
                }
            }
            (index, Ok(names))
        }
    }

    /// GetRoleCredentials for each role, at most `concurrency` at a time, in
    /// the order given. Any failure stops the rest.
    pub async fn credential_sets(
        &self,
        token: &SecretString,
        profile: &SsoProfile,
        roles: &[RoleEntry],
        region: Option<String>,
        concurrency: usize,
    ) -> Result<Vec<CredentialSet>, Error> {
        let mut sets: Vec<Option<CredentialSet>> = vec![None; roles.len()];
        let mut running = JoinSet::new();
        let mut next = 0;
        loop {
            while running.len() < concurrency.max(1) && next < roles.len() {
                let entry = &roles[next];
                let arn =
                    RoleArn::parse(entry.role_arn()).map_err(|e| Error::Internal(e.to_string()))?;
                let (portal, token, profile, region) =
                    (self.clone(), token.clone(), profile.clone(), region.clone());
                let (index, account_name) = (next, entry.account_name().to_owned());
                running.spawn(async move {
                    let set = portal.credential_set(&token, &profile, &arn, region).await;
                    (
                        index,
                        set.map(|s| CredentialSet {
                            account_name: Some(account_name),
                            ..s
                        }),
                    )
                });
                next += 1;
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (index, set) = joined.map_err(|e| self.task_failed("a credentials", &e))?;
            sets[index] = Some(set?);
        }
        Ok(sets.into_iter().flatten().collect())
    }

    /// Proves that the portal still accepts `token` with the cheapest call
    /// there is: ListAccounts for one account, paced like every portal call.
    /// A rejected token is [`Error::LoginRequired`].
    pub async fn check_token(&self, token: &SecretString) -> Result<(), Error> {
        self.call(|| {
            self.client()
                .list_accounts()
                .access_token(token.expose_secret())
                .max_results(1)
                .send()
        })
        .await
        .map(|_| ())
        .map_err(|e| self.listing_error(e, "ListAccounts", token))
    }

    fn listing_error<E>(&self, err: CallError<E>, operation: &str, token: &SecretString) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let err = match err {
            CallError::Throttled(gave_up) => return self.gave_up(operation, gave_up),
            CallError::Sdk(err) => *err,
        };
        if err.code() == Some("UnauthorizedException") {
            return self.login_required();
        }
        match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => self
                .transport()
                .unreachable(&err, matches!(err, SdkError::TimeoutError(_))),
            _ => Error::Portal {
                endpoint: self.endpoint().to_owned(),
                message: format!(
                    "{operation}: {}",
                    crate::aws::sdk::remote_error(&err, &[token.expose_secret()])
                ),
            },
        }
    }

    /// The error of a listing whose paging went wrong.
    fn paging_error(&self, operation: &str, err: &EndlessPaging) -> Error {
        Error::Portal {
            endpoint: self.endpoint().to_owned(),
            message: format!("{operation}: {err}; the portal is broken, try again later"),
        }
    }

    fn task_failed(&self, what: &str, err: &tokio::task::JoinError) -> Error {
        Error::Portal {
            endpoint: self.endpoint().to_owned(),
            message: format!("{what} task failed: {err}"),
        }
    }
}

/// One listing's paging: the tokens it has been given, so that it ends.
#[derive(Debug, Default)]
struct Paging {
    /// Every token received, so a cycle (A, B, A) is seen at once.
    seen: HashSet<String>,
    /// Pages received.
    pages: usize,
}

/// Why a listing's paging cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EndlessPaging {
    /// The portal sent a token it had sent before, after `pages` pages.
    Repeated { pages: usize },
    /// The portal still sent a token after [`MAX_PAGES`] pages.
    TooMany,
}

impl std::fmt::Display for EndlessPaging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndlessPaging::Repeated { pages } => write!(
                f,
                "after {pages} pages the portal sent a nextToken it had sent before, so its paging would never end"
            ),
            EndlessPaging::TooMany => write!(
                f,
                "the portal still sent a nextToken after {MAX_PAGES} pages, more than any organization needs"
            ),
        }
    }
}

impl Paging {
    /// The token of the next page, after a page that ended with `next`:
    /// none when the portal sends none or an empty one; an error when it
    /// sends one it sent before (a cycle, however long), or one more after
    /// [`MAX_PAGES`] pages.
    fn next(&mut self, next: Option<String>) -> Result<Option<String>, EndlessPaging> {
        self.pages += 1;
        let Some(next) = next.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if self.pages >= MAX_PAGES {
            return Err(EndlessPaging::TooMany);
        }
        if !self.seen.insert(next.clone()) {
            return Err(EndlessPaging::Repeated { pages: self.pages });
        }
        Ok(Some(next))
    }
}

/// Which listed roles a run takes: `--account GLOB` (matched against the id
/// and the name) and `--role GLOB`, both case-insensitive; an absent pattern
/// matches everything.
#[derive(Debug, Clone, Default)]
pub struct RoleFilter {
    account: Option<(String, glob::Pattern)>,
    role: Option<(String, glob::Pattern)>,
}

impl RoleFilter {
    /// A filter from the two optional patterns; a malformed pattern is a
    /// usage error naming its flag.
    pub fn new(account: Option<&str>, role: Option<&str>) -> Result<Self, Error> {
        let compile = |flag: &str, text: Option<&str>| -> Result<_, Error> {
            text.map(|t| {
                glob::Pattern::new(t)
                    .map(|p| (t.to_owned(), p))
                    .map_err(|e| Error::Usage(format!("{flag} `{t}` is not a valid pattern: {e}")))
            })
            .transpose()
        };
        Ok(RoleFilter {
            account: compile("--account", account)?,
            role: compile("--role", role)?,
        })
    }

    /// Whether it lets every role through (no pattern).
    pub fn is_everything(&self) -> bool {
        self.account.is_none() && self.role.is_none()
    }

    /// Whether `entry` is selected.
    pub fn matches(&self, entry: &RoleEntry) -> bool {
        self.matches_names(entry.account_id(), entry.account_name(), entry.role_name())
    }

    /// [`RoleFilter::matches`] for a role given by its account id, account
    /// name and role name.
    pub fn matches_names(&self, account_id: &str, account_name: &str, role_name: &str) -> bool {
        let options = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        let hit = |p: &glob::Pattern, text: &str| p.matches_with(text, options);
        self.account
            .as_ref()
            .is_none_or(|(_, p)| hit(p, account_id) || hit(p, account_name))
            && self.role.as_ref().is_none_or(|(_, p)| hit(p, role_name))
    }

    /// The role names of `listed` closest to a `--role` name that matched
    /// none (in the accounts `--account` selects), for "did you mean";
    /// empty for a pattern or without `--role`.
    pub fn near_roles(&self, listed: &[RoleEntry]) -> Vec<String> {
        let Some((text, _)) = self.role.as_ref().filter(|(t, _)| !is_pattern(t)) else {
            return Vec::new();
        };
        let account_only = RoleFilter {
            account: self.account.clone(),
            role: None,
        };
        let names = listed
            .iter()
            .filter(|e| account_only.matches(e))
            .map(|e| e.role_name());
        crate::domain::text::closest(text, names)
    }

    /// The flags as given, for messages: `--account 'x' --role 'y'`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((t, _)) = &self.account {
            parts.push(format!("--account '{t}'"));
        }
        if let Some((t, _)) = &self.role {
            parts.push(format!("--role '{t}'"));
        }
        if parts.is_empty() {
            "no filter".to_owned()
        } else {
            parts.join(" ")
        }
    }
}

/// Whether `text` holds a glob metacharacter, so it cannot be an exact name.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use ssocred_emulator::{Emulator, EmulatorConfig, Operation};

    use super::*;

    const TOKEN: &str = "tok-discovery-SECRET";

    fn portal_of(emulator: &Emulator) -> Portal {
        let profile = SsoProfile {
            start_url: "https://d-corp.awsapps.com/start".into(),
            ..SsoProfile::for_test("corp", Some("corp"))
        };
        Portal::new(
            &profile,
            emulator.url(),
            &crate::domain::network::Network::default(),
        )
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn paging_ends_without_a_token_and_fails_on_any_repeated_one() {
        assert_eq!(Paging::default().next(None), Ok(None));
        assert_eq!(Paging::default().next(Some(String::new())), Ok(None));
        let mut paging = Paging::default();
        for token in ["A", "B", "C"] {
            assert_eq!(paging.next(Some(token.into())), Ok(Some(token.into())));
        }
        // Not only the token just used: any token sent before.
        assert_eq!(
            paging.next(Some("A".into())),
            Err(EndlessPaging::Repeated { pages: 4 })
        );
        let mut paging = Paging::default();
        paging.next(Some("A".into())).unwrap();
        assert_eq!(
            paging.next(Some("A".into())),
            Err(EndlessPaging::Repeated { pages: 2 })
        );
    }

    #[test]
    fn paging_fails_after_the_most_pages_a_listing_may_take() {
        let mut paging = Paging::default();
        for page in 1..MAX_PAGES {
            assert!(paging.next(Some(format!("t{page}"))).unwrap().is_some());
        }
        // The last page may still end the listing; a token after it may not.
        let mut last = Paging {
            seen: paging.seen.clone(),
            pages: paging.pages,
        };
        assert_eq!(last.next(None), Ok(None));
        assert_eq!(
            paging.next(Some("one-more".into())),
            Err(EndlessPaging::TooMany)
        );
        assert!(EndlessPaging::TooMany.to_string().contains("5000 pages"));
    }

    #[test]
    fn a_rate_limited_listing_gets_every_role_and_reports_the_throttling() {
        // 1 account page + 40 role listings at 16 at once, against a portal
        // that admits 10 calls a second after a burst of 3.
        let emulator = Emulator::start(
            EmulatorConfig::generated(40, 3)
                .with_token(TOKEN)
                .page_size(100)
                .rate_limit(10.0, 3),
        )
        .unwrap();
        let portal = portal_of(&emulator);
        let mut reports = Vec::new();
        let token = SecretString::from(TOKEN);
        let roles = block_on(portal.list_roles(&token, 16, &mut |p| reports.push(p))).unwrap();
        assert_eq!(roles.len(), 120);
        assert_eq!(roles[119].account_id(), "100000000039");
        assert!(emulator.throttled() > 0, "the portal never throttled");
        // Each 429 was sent again, and nothing else was repeated.
        let sent =
            emulator.count(Operation::ListAccounts) + emulator.count(Operation::ListAccountRoles);
        assert_eq!(sent, 1 + 40 + emulator.throttled());
        // Every call ran on a clone of `portal`; the 429s they met show in
        // the progress read from `portal` itself, so they share one limiter.
        assert!(
            reports.iter().any(|p| p.throttled_rate.is_some()),
            "the throttling was never reported"
        );
    }

    fn entry(id: &str, name: &str, role: &str) -> RoleEntry {
        RoleEntry::new(id, name, role, &format!("arn:aws:iam::{id}:role/{role}"))
    }

    #[test]
    fn filters_match_ids_names_and_roles_case_insensitively() {
        let prod = entry("123456789012", "Prod EU", "ReadOnly");
        let dev = entry("210987654321", "dev", "AdministratorAccess");
        let f = RoleFilter::new(Some("prod*"), None).unwrap();
        assert!(f.matches(&prod) && !f.matches(&dev));
        let f = RoleFilter::new(Some("2109*"), Some("admin*")).unwrap();
        assert!(!f.matches(&prod) && f.matches(&dev));
        let f = RoleFilter::new(None, Some("readonly")).unwrap();
        assert!(f.matches(&prod) && !f.matches(&dev));
        assert!(RoleFilter::default().matches(&prod));
        let e = RoleFilter::new(Some("[x"), None).unwrap_err().to_string();
        assert!(e.contains("--account `[x`"), "{e}");
        assert!(is_pattern("Prod*") && !is_pattern("Prod"));
    }
}

//! What is valid, and for how long: the SSO login of a profile and the
//! cached role credentials of every role it can name, read from the caches
//! alone (no network call).
//!
//! Role-cache entries are named by a hash of the account, role and login
//! ([`crate::store::role_cache::cache_key`]), so they cannot be listed by role: the
//! roles to look for come from the command line, the profile's own
//! `sso_account_id`/`sso_role_name`, and the other profiles of the config
//! that use the same login (`sso_*` keys, or a `credential_process` line of
//! the form `... -p PROFILE -r ARN [--assume HOP ...] ...` as `ssocred
//! discover` writes it). A role reached by a chain (`--assume`) is looked up
//! under the chain's key ([`crate::store::role_cache::chain_key`]), which the
//! hops' own options make up, so it needs no network call either.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::domain::arn::RoleArn;
use crate::domain::command_line::Rules;
use crate::domain::hop::Hop;
use crate::domain::sso_profile::SsoProfile;
use crate::login::sso_cache;
use crate::login::sso_cache::TokenFile;
use crate::store::profile::ProfileFiles;
use crate::store::role_cache;

/// How much life something has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Valid for longer than the threshold.
    Valid,
    /// Valid, but for less than the threshold.
    Expiring,
    /// Past its expiry.
    Expired,
    /// Not there at all.
    Missing,
    /// There, but not readable as what it should be.
    Unusable,
}

impl State {
    /// The state at `now` of something expiring at `expires`.
    pub fn at(expires: OffsetDateTime, now: OffsetDateTime, threshold: time::Duration) -> State {
        let left = expires - now;
        if left <= time::Duration::ZERO {
            State::Expired
        } else if left < threshold {
            State::Expiring
        } else {
            State::Valid
        }
    }

    /// The word scripts see: `valid`, `expiring`, `expired`, `missing`,
    /// `unusable`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expiring => "expiring",
            State::Expired => "expired",
            State::Missing => "missing",
            State::Unusable => "unusable",
        }
    }
}

/// The SSO login of a profile, as its token-cache file says.
#[derive(Debug, Clone)]
pub struct LoginStatus {
    /// The token-cache file.
    pub token_file: PathBuf,
    /// Its state.
    pub state: State,
    /// When the access token expires, if the file says.
    pub expires: Option<OffsetDateTime>,
    /// Whether a refresh token and an unexpired client registration are
    /// there, so the login can be renewed without a browser.
    pub refreshable: bool,
    /// When a refreshable login stops being renewable: its client
    /// registration's expiry. `None` when it is not refreshable.
    pub refreshable_until: Option<OffsetDateTime>,
    /// What is wrong with an unusable file (never its contents).
    pub problem: Option<String>,
    /// Where the token is kept: the file, or the OS keyring
    /// (`[login] token_store`).
    pub kept_in: String,
}

/// The login of `profile` at `now`, from `sso_cache_dir` or, in keyring
/// mode, from the OS keyring (`store`).
pub fn login_status(
    sso_cache_dir: &Path,
    profile: &SsoProfile,
    store: &crate::login::token_store::TokenStore,
    now: OffsetDateTime,
    threshold: time::Duration,
) -> LoginStatus {
    let token_file = sso_cache::cache_path(sso_cache_dir, profile);
    let mut status = LoginStatus {
        token_file,
        state: State::Missing,
        expires: None,
        refreshable: false,
        refreshable_until: None,
        problem: None,
        kept_in: store.describe(),
    };
    let read = match store.keyring() {
        Some(_) => store.load("sso-token", &status.token_file),
        None => match crate::os::fs::read_bounded(
            &status.token_file,
            crate::os::fs::MAX_CACHE_FILE_BYTES,
        ) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        },
    };
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return status,
        Err(problem) => {
            status.state = State::Unusable;
            status.problem = Some(problem);
            return status;
        }
    };
    match TokenFile::parse(&bytes) {
        Ok(file) => {
            status.refreshable = file.refresh_grant(now).is_some();
            status.refreshable_until = file
                .registration_expires_at
                .as_deref()
                .and_then(crate::domain::time_fmt::parse_expiry)
                .filter(|_| status.refreshable);
            match file.expiry() {
                Some(expires) => {
                    status.expires = Some(expires);
                    status.state = State::at(expires, now, threshold);
                }
                None => {
                    status.state = State::Unusable;
                    status.problem = Some("expiresAt is not a timestamp".to_owned());
                }
            }
        }
        Err(problem) => {
            status.state = State::Unusable;
            status.problem = Some(problem);
        }
    }
    status
}

/// Where a role to report came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleOrigin {
    /// Named on the command line or in the ssocred config.
    Asked,
    /// The profile's own `sso_account_id` and `sso_role_name`.
    OwnProfile,
    /// Another profile of the AWS config.
    Profile(String),
}

/// A role and where it was found.
#[derive(Debug, Clone)]
pub struct NamedRole {
    /// The SSO role.
    pub role: RoleArn,
    /// The roles assumed after it, in order (`--assume`); empty for the SSO
    /// role's own credentials.
    pub chain: Vec<Hop>,
    /// Where it came from.
    pub origin: RoleOrigin,
}

impl NamedRole {
    /// The role whose credentials are meant: the chain's last hop, else the
    /// SSO role.
    pub fn target(&self) -> &RoleArn {
        self.chain.last().map_or(&self.role, |hop| &hop.role)
    }

    /// What makes two named roles the same cache entry: the SSO role and
    /// every hop with its options.
    pub fn identity(&self) -> (String, Vec<String>) {
        (
            self.role.as_str().to_owned(),
            self.chain.iter().map(Hop::spec).collect(),
        )
    }
}

/// The cached credentials of one role.
#[derive(Debug, Clone)]
pub struct RoleStatus {
    /// The role and its origin.
    pub named: NamedRole,
    /// The cache entry file.
    pub cache_file: PathBuf,
    /// Its state.
    pub state: State,
    /// When the cached credentials expire.
    pub expires: Option<OffsetDateTime>,
}

/// The cached credentials of `named` for `profile`'s login.
pub fn role_status(
    role_cache_dir: &Path,
    profile: &SsoProfile,
    named: NamedRole,
    now: OffsetDateTime,
    threshold: time::Duration,
) -> RoleStatus {
    let (key, kind) = if named.chain.is_empty() {
        let key = role_cache::cache_key(profile, named.role.account_id(), named.role.role_name());
        (key, role_cache::Kind::Sso)
    } else {
        let key = role_cache::chain_key(profile, &named.role, &named.chain);
        (key, role_cache::Kind::Chain)
    };
    let cache_file = role_cache_dir.join(format!("{key}.json"));
    let (state, expires) =
        match crate::os::fs::read_bounded(&cache_file, crate::os::fs::MAX_CACHE_FILE_BYTES) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (State::Missing, None),
            Err(_) => (State::Unusable, None),
            Ok(bytes) => match role_cache::parse_entry_of(&bytes, kind) {
                Ok(cached) => (
                    State::at(cached.expiration, now, threshold),
                    Some(cached.expiration),
                ),
                Err(_) => (State::Unusable, None),
            },
        };
    RoleStatus {
        named,
        cache_file,
        state,
        expires,
    }
}

/// The role `profile` names itself, if it has both keys.
pub fn own_role(profile: &SsoProfile) -> Option<NamedRole> {
    let (account, role) = (
        profile.account_id.as_deref()?,
        profile.role_name.as_deref()?,
    );
    let role = RoleArn::for_role(account, role, &profile.sso_region).ok()?;
    Some(NamedRole {
        role,
        chain: Vec::new(),
        origin: RoleOrigin::OwnProfile,
    })
}

/// Whether two profiles share one login (one token-cache file, one set of
/// role-cache keys).
pub fn same_login(a: &SsoProfile, b: &SsoProfile) -> bool {
    a.session == b.session && (a.session.is_some() || a.start_url == b.start_url)
}

/// The roles the other profiles of `files` name for `profile`'s login, in
/// file order: SSO profiles of the same login with `sso_account_id` and
/// `sso_role_name`, and `credential_process` lines `... -p NAME -r ARN ...`
/// (with their `--assume` hops) whose NAME is a profile of the same login.
pub fn config_roles(files: &ProfileFiles, profile: &SsoProfile) -> Vec<NamedRole> {
    let sections = files.sections();
    let mut names: Vec<&str> = sections.profiles().collect();
    names.sort_unstable();
    let mut roles = Vec::new();
    for name in names {
        if name == profile.name {
            continue;
        }
        let found = match files.profile_value(name, "credential_process") {
            Some(line) => process_role(line)
                .filter(|found| shares_login(files, profile, &found.profile))
                .map(|found| (found.role, found.chain)),
            None => files
                .sso_profile(name)
                .ok()
                .filter(|other| same_login(other, profile))
                .and_then(|other| own_role(&other))
                .map(|named| (named.role, named.chain)),
        };
        if let Some((role, chain)) = found {
            roles.push(NamedRole {
                role,
                chain,
                origin: RoleOrigin::Profile(name.to_owned()),
            });
        }
    }
    roles
}

/// A profile whose ssocred `credential_process` line names its program by a
/// path where no file is: an upgrade deleted the version it named, say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingProgram {
    /// The profile holding the line.
    pub profile: String,
    /// The program word, as the line's readers split it.
    pub program: String,
}

/// The profiles of `files` whose `credential_process` line runs ssocred for
/// `profile`'s login (as [`config_roles`] reads them) and names its program
/// by an absolute path where there is no file. A bare name is looked up on
/// the PATH of whatever runs the line, which may not be this one, so it is
/// not judged.
pub fn missing_programs(files: &ProfileFiles, profile: &SsoProfile) -> Vec<MissingProgram> {
    let rules = crate::domain::command_line::COMMAND_LINE_RULES;
    let mut names: Vec<&str> = files.sections().profiles().collect();
    names.sort_unstable();
    names
        .into_iter()
        .filter_map(|name| {
            let line = files.profile_value(name, "credential_process")?;
            let found = process_role_by(rules, line)?;
            if !shares_login(files, profile, &found.profile) {
                return None;
            }
            let program = rules.split(line)?.into_iter().next()?;
            let path = Path::new(&program);
            (path.is_absolute() && !path.is_file()).then(|| MissingProgram {
                profile: name.to_owned(),
                program,
            })
        })
        .collect()
}

/// Whether profile `name` of `files` is `profile` or shares its login.
fn shares_login(files: &ProfileFiles, profile: &SsoProfile, name: &str) -> bool {
    name == profile.name
        || files
            .sso_profile(name)
            .is_ok_and(|other| same_login(&other, profile))
}

/// What a `credential_process` line that runs ssocred asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRole {
    /// Its `-p`/`--profile`.
    pub profile: String,
    /// Its `-r`/`--role-arn`.
    pub role: RoleArn,
    /// Its `--assume` hops, in order.
    pub chain: Vec<Hop>,
}

/// The SSO profile, role and chain of a `credential_process` line that runs
/// ssocred with `-p`/`--profile`, `-r`/`--role-arn` and any `--assume`;
/// `None` when one of them is missing or does not parse.
pub fn process_role(line: &str) -> Option<ProcessRole> {
    process_role_by(crate::domain::command_line::COMMAND_LINE_RULES, line)
}

/// [`process_role`] with the line split by `rules`.
pub fn process_role_by(rules: Rules, line: &str) -> Option<ProcessRole> {
    let words = rules.split(line)?;
    let mut profile = None;
    let mut role = None;
    let mut chain = Vec::new();
    let mut rest = words.iter().skip(1);
    while let Some(word) = rest.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (word.as_str(), None),
        };
        if !matches!(flag, "-p" | "--profile" | "-r" | "--role-arn" | "--assume") {
            continue;
        }
        let value = match inline {
            Some(value) => value,
            None => rest.next()?.clone(),
        };
        match flag {
            "-p" | "--profile" => profile = Some(value),
            "-r" | "--role-arn" => role = Some(value),
            _ => chain.push(Hop::parse(&value).ok()?),
        }
    }
    // A longer chain is one ssocred refuses to run.
    crate::domain::hop::check_length(chain.len()).ok()?;
    let role = RoleArn::parse(&role?).ok()?;
    Some(ProcessRole {
        profile: profile?,
        role,
        chain,
    })
}

/// `secs` as a prompt shows it: `2h05m`, `14m`, `40s`.
pub fn short_duration(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, secs % 3600 / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_discover_lines() {
        let found = process_role_by(
                Rules::Posix,
            "\"/opt/my tools/ssocred\" -p corp -r arn:aws:iam::111111111111:role/Admin --sink process",
        )
        .unwrap();
        assert_eq!(
            (found.profile.as_str(), found.role.as_str()),
            ("corp", "arn:aws:iam::111111111111:role/Admin")
        );
        assert!(found.chain.is_empty());
        let found = process_role_by(
            Rules::Posix,
            "ssocred --profile='my corp' --role-arn=arn:aws:iam::111111111111:role/R",
        )
        .unwrap();
        assert_eq!(found.profile, "my corp");
        assert_eq!(found.role.role_name(), "R");
        assert!(process_role_by(Rules::Posix, "ssocred -p corp --sink process").is_none());
        assert!(
            process_role_by(Rules::Posix, "ssocred -p 'corp -r arn:aws:iam::1:role/R").is_none()
        );
        assert!(process_role_by(Rules::Posix, "ssocred -p corp -r").is_none());
    }

    #[test]
    fn reads_the_chain_of_a_discover_line() {
        let found = process_role_by(
                Rules::Posix,
            "ssocred -p corp -r arn:aws:iam::111111111111:role/Hub --assume 'arn:aws:iam::222222222222:role/Deploy,external-id=a,b' --assume=arn:aws:iam::333333333333:role/Read --sink process",
        )
        .unwrap();
        let specs: Vec<String> = found.chain.iter().map(Hop::spec).collect();
        assert_eq!(
            specs,
            [
                "arn:aws:iam::222222222222:role/Deploy,external-id=a,b",
                "arn:aws:iam::333333333333:role/Read"
            ]
        );
        let named = NamedRole {
            role: found.role,
            chain: found.chain,
            origin: RoleOrigin::Asked,
        };
        assert_eq!(
            named.target().as_str(),
            "arn:aws:iam::333333333333:role/Read"
        );
        // A hop that does not parse makes the line name nothing, rather
        // than a shorter chain whose entry is another role's.
        assert!(
            process_role_by(
                Rules::Posix,
                "ssocred -p corp -r arn:aws:iam::111111111111:role/Hub --assume arn:aws:iam::2:role/X,duration=7200"
            )
            .is_none()
        );
        assert!(
            process_role_by(
                Rules::Posix,
                "ssocred -p corp -r arn:aws:iam::111111111111:role/Hub --assume"
            )
            .is_none()
        );
    }

    #[test]
    fn reads_windows_lines_by_the_c_runtime_rules() {
        let found = process_role_by(
            Rules::Windows,
            r#""C:\Program Files\ssocred\ssocred.exe" -p "my corp" -r arn:aws:iam::111111111111:role/Admin --assume arn:aws:iam::222222222222:role/Deploy,external-id=abc --sink process"#,
        )
        .unwrap();
        assert_eq!(found.profile, "my corp");
        assert_eq!(found.role.role_name(), "Admin");
        assert_eq!(found.chain.len(), 1);
        // A POSIX-quoted name is three words there, so the line names no
        // profile of that name.
        let found = process_role_by(
            Rules::Windows,
            "ssocred.exe -p 'my corp' -r arn:aws:iam::111111111111:role/Admin",
        )
        .unwrap();
        assert_eq!(found.profile, "'my");
    }

    /// A line with more hops than ssocred runs names nothing.
    #[test]
    fn a_line_with_too_long_a_chain_names_nothing() {
        let line = |hops: usize| {
            let assume = " --assume arn:aws:iam::222222222222:role/Hop".repeat(hops);
            format!("ssocred -p corp -r arn:aws:iam::111111111111:role/Hub{assume} --sink process")
        };
        let at_the_cap =
            process_role_by(Rules::Posix, &line(crate::domain::hop::MAX_HOPS)).unwrap();
        assert_eq!(at_the_cap.chain.len(), crate::domain::hop::MAX_HOPS);
        assert!(process_role_by(Rules::Posix, &line(crate::domain::hop::MAX_HOPS + 1)).is_none());
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(7 * 3600 + 5 * 60 + 9), "7h05m");
        assert_eq!(short_duration(14 * 60 + 59), "14m");
        assert_eq!(short_duration(40), "40s");
        assert_eq!(short_duration(-5), "0s");
    }
}

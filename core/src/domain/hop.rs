//! One hop of a role chain (`--assume`, the config's `assume`): what it
//! names, how it is spelt and checked, and its session name. The STS calls
//! that make it belong to the AWS layer (`aws::chain`).

use std::fmt;

use crate::domain::arn::RoleArn;
use crate::domain::sso_profile::SsoProfile;
use crate::domain::text::visible;

/// The longest session AWS grants a chained role, and the default.
pub const MAX_DURATION_SECS: u32 = 3600;
/// The shortest session STS grants.
pub const MIN_DURATION_SECS: u32 = 900;

/// The most hops a role chain may have. AWS sets no number, but each hop is
/// an STS call and at most an hour of session, so real chains have two or
/// three (hub, customer account, break-glass); ten is far above them, and
/// a bound keeps a runaway config or command line from building thousands
/// of calls and cache entries.
pub const MAX_HOPS: usize = 10;

/// The option keys of a hop, as `--assume` and the config spell them.
const KEYS: [&str; 4] = ["external-id", "session-name", "duration", "source-identity"];

/// Checks the length of a chain of `hops` hops against [`MAX_HOPS`].
pub fn check_length(hops: usize) -> Result<(), String> {
    if hops > MAX_HOPS {
        return Err(format!(
            "a role chain has at most {MAX_HOPS} hops, and this one has {hops}; AWS caps every chained session at an hour, and real chains need two or three"
        ));
    }
    Ok(())
}

/// One AssumeRole of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The role to assume.
    pub role: RoleArn,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// The role session name; derived from the login when absent
    /// ([`default_session_name`]).
    pub session_name: Option<String>,
    /// Seconds, 900 to 3600; 3600 when absent.
    pub duration: Option<u32>,
    /// The source identity to set on the session.
    pub source_identity: Option<String>,
}

impl Hop {
    /// A hop to `role` with no options.
    pub fn to(role: RoleArn) -> Hop {
        Hop {
            role,
            external_id: None,
            session_name: None,
            duration: None,
            source_identity: None,
        }
    }

    /// Parses `ARN[,external-id=ID][,session-name=NAME][,duration=SECS][,source-identity=ID]`
    /// and checks it ([`Hop::check`]). A `,` starts an option only when a
    /// known key and `=` follow it, so an external id may hold commas. A
    /// `,WORD=` that is not a key but reads as one (`Duration=`,
    /// `external_id=`, `ExternalId=`, `durtion=`) is refused wherever it
    /// is, rather than taken into the role name or a value.
    pub fn parse(spec: &str) -> Result<Hop, String> {
        let starts = |at: usize| {
            KEYS.iter()
                .any(|k| spec[at + 1..].starts_with(k) && spec[at + 1 + k.len()..].starts_with('='))
        };
        let cuts: Vec<usize> = spec
            .match_indices(',')
            .map(|(at, _)| at)
            .filter(|&at| starts(at))
            .collect();
        let arn_end = cuts.first().copied().unwrap_or(spec.len());
        let arn = spec[..arn_end].trim();
        // IAM allows `,` and `=` in role names and paths (and STS in
        // external ids and session names), so `,word=` can be part of any
        // of them; only a word that reads as one of the keys is refused.
        if let Some((word, key)) = misspelt_option(spec) {
            return Err(format!(
                "unknown option `{word}`: did you mean `{key}`? The options are {}, in lower case; if `,{word}=` really is part of the role's name or a value, give the hop as a table in the ssocred config (`{{ role_arn = \"...\", external_id = \"...\" }}`), which is read as written",
                KEYS.join(", ")
            ));
        }
        let role = RoleArn::parse(arn).map_err(|e| e.to_string())?;
        let mut hop = Hop::to(role);
        for (i, &at) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).copied().unwrap_or(spec.len());
            let (key, value) = spec[at + 1..end]
                .split_once('=')
                .ok_or_else(|| "an option lacks `=`".to_owned())?;
            let slot = match key {
                "external-id" => &mut hop.external_id,
                "session-name" => &mut hop.session_name,
                "source-identity" => &mut hop.source_identity,
                _ => {
                    if hop.duration.replace(parse_duration(value)?).is_some() {
                        return Err(format!("`{key}` is given twice"));
                    }
                    continue;
                }
            };
            if slot.replace(value.to_owned()).is_some() {
                return Err(format!("`{key}` is given twice"));
            }
        }
        hop.check()?;
        Ok(hop)
    }

    /// Checks the options as STS would, and the one-hour cap of role
    /// chaining; the message names the option.
    pub fn check(&self) -> Result<(), String> {
        if let Some(d) = self.duration {
            if d > MAX_DURATION_SECS {
                return Err(format!(
                    "duration {d} s is over {MAX_DURATION_SECS} s: AWS caps a role assumed by role chaining (every --assume hop) at one hour"
                ));
            }
            if d < MIN_DURATION_SECS {
                return Err(format!(
                    "duration {d} s is under STS's minimum of {MIN_DURATION_SECS} s"
                ));
            }
        }
        let word = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        if let Some(id) = &self.external_id {
            check_text("external-id", id, 2, 1224, |c| word(c) || ":/".contains(c))?;
        }
        if let Some(name) = &self.session_name {
            check_text("session-name", name, 2, 64, word)?;
        }
        if let Some(id) = &self.source_identity {
            // `:` is not among them, so no `aws:` prefix gets through.
            check_text("source-identity", id, 2, 64, word)?;
        }
        Ok(())
    }

    /// The session length asked for, in seconds.
    pub fn duration_secs(&self) -> u32 {
        self.duration.unwrap_or(MAX_DURATION_SECS)
    }

    /// The hop as `--assume` spells it (what `discover` writes into a
    /// `credential_process` line).
    pub fn spec(&self) -> String {
        let mut spec = self.role.as_str().to_owned();
        let options = [
            ("external-id", self.external_id.clone()),
            ("session-name", self.session_name.clone()),
            ("duration", self.duration.map(|d| d.to_string())),
            ("source-identity", self.source_identity.clone()),
        ];
        for (key, value) in options {
            if let Some(value) = value {
                spec.push_str(&format!(",{key}={value}"));
            }
        }
        spec
    }
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.role.as_str())
    }
}

/// The first `,WORD=` in `spec` whose word is not one of [`KEYS`] but
/// reads as one, with the key it reads as: the same letters in another case
/// or with `_` for `-` (`Duration`, `external_id`), AssumeRole's own
/// parameter names (`RoleSessionName`, `DurationSeconds`), or a key with a
/// letter or two wrong (`durtion`, `extrenal-id`). Any other `,word=` is
/// left alone: IAM role names may hold `,` and `=` (`[\w+=,.@-]`), and
/// paths any printable character.
fn misspelt_option(spec: &str) -> Option<(&str, &'static str)> {
    spec.split(',').skip(1).find_map(|part| {
        let (word, _) = part.split_once('=')?;
        if word.is_empty()
            || KEYS.contains(&word)
            || !word
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
        {
            return None;
        }
        let folded: String = word
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let aliases = [
            ("externalid", "external-id"),
            ("sessionname", "session-name"),
            ("rolesessionname", "session-name"),
            ("duration", "duration"),
            ("durationseconds", "duration"),
            ("sourceidentity", "source-identity"),
        ];
        aliases
            .iter()
            .find(|(alias, _)| strsim::levenshtein(&folded, alias) <= 2)
            .map(|&(_, key)| (word, key))
    })
}

/// A duration option: seconds, or a number with `s`, `m` or `h`.
fn parse_duration(value: &str) -> Result<u32, String> {
    let value = value.trim();
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value, ""),
    };
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("duration `{value}`: expected seconds, or 15m, 1h")),
    };
    digits
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("duration `{value}`: expected seconds, or 15m, 1h"))
}

fn check_text(
    key: &str,
    value: &str,
    min: usize,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), String> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(format!(
            "{key} must be {min} to {max} characters (it has {len})"
        ));
    }
    if let Some(bad) = value.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "{key} holds `{}`, which STS does not accept",
            visible(&bad.to_string())
        ));
    }
    Ok(())
}

/// The session name of a hop that names none, when the SSO user's own
/// name cannot be learnt (the STS client's `caller_session_name`):
/// `ssocred-` and the login's `sso-session` (or, for a legacy profile, the
/// profile name), reduced to the characters STS accepts and 64 characters.
pub fn default_session_name(profile: &SsoProfile) -> String {
    session_name_for_login(profile.session.as_deref().unwrap_or(&profile.name))
}

/// `ssocred-LOGIN`, with what a role session name may not hold replaced by
/// `-`, at most 64 characters: the session name of a hop that names none
/// when the caller's own cannot be learnt.
pub fn session_name_for_login(login: &str) -> String {
    let mut name: String = "ssocred-"
        .chars()
        .chain(login.chars().map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        }))
        .take(64)
        .collect();
    if name.len() < 2 {
        name.push_str("session");
    }
    name
}

/// The role session name in a caller ARN
/// (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), reduced to what STS
/// accepts for `RoleSessionName`; `None` when the ARN is not a role session
/// or nothing usable is left.
pub fn session_name_of(caller_arn: &str) -> Option<String> {
    let resource = caller_arn.splitn(6, ':').nth(5)?;
    let session = resource.strip_prefix("assumed-role/")?.rsplit('/').next()?;
    let name: String = session
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    (name.len() >= 2 && name.chars().any(|c| c != '-')).then_some(name)
}

#[cfg(test)]
mod tests;

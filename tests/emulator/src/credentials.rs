use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ACCESS_KEY_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Real session tokens start with this (base64 of a serialised header).
const SESSION_TOKEN_PREFIX: &str = "IQoJb3JpZ2luX2Vj";
/// A multiple of 4, as base64 text is; the last character is `=`.
const SESSION_TOKEN_LEN: usize = 380;
const SECRET_LEN: usize = 40;

/// The session name in the ARN of SSO credentials. The real one is the
/// user's name in the identity store; the emulator has no users.
pub(crate) const SSO_SESSION_NAME: &str = "ssocred-emulator";

/// One set of role credentials the emulator handed out, by the portal
/// (`GetRoleCredentials`) or by STS (`AssumeRole`).
///
/// The record describes where the credentials came from, so a test that
/// holds only an access key can tell which hop produced it
/// ([`crate::Emulator::issued_for_key`]): the STS fields are `None` for
/// portal credentials and set for AssumeRole ones.
///
/// `Debug` redacts the secret access key and the session token; the
/// `/_emulator/issued` endpoint serialises them in full (they are test data).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCredentials {
    /// The account the role belongs to.
    pub account_id: String,
    /// The role the credentials are for (for AssumeRole, the last part of
    /// the role ARN, without its path).
    pub role_name: String,
    /// `ASIA` followed by 16 uppercase letters and digits.
    pub access_key_id: String,
    /// 40 base64 characters, always including `/` and `+`.
    pub secret_access_key: String,
    /// A long base64 string ending in `=`.
    pub session_token: String,
    /// Expiry in milliseconds since the Unix epoch; always whole seconds.
    pub expiration_epoch_ms: i64,
    /// AssumeRole: the `RoleArn` assumed (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
    pub role_arn: Option<String>,
    /// AssumeRole: the access key id of the credentials that called it
    /// (portal credentials for the first hop, AssumeRole ones after).
    pub assumed_by: Option<String>,
    /// AssumeRole: the `RoleSessionName`.
    pub session_name: Option<String>,
    /// AssumeRole: the `ExternalId` sent, if any.
    pub external_id: Option<String>,
    /// AssumeRole: the `SourceIdentity` sent, if any.
    pub source_identity: Option<String>,
    /// AssumeRole: the `DurationSeconds` sent, if any (the default is 3600).
    pub duration_seconds: Option<u32>,
    /// AssumeRole: the region of the request's SigV4 credential scope, that
    /// is, the regional STS endpoint the caller meant to reach.
    pub sts_region: Option<String>,
    /// Sign-In (a console session of `aws login`): the IAM user's ARN the
    /// credentials act as; `role_name` is then `user/NAME`. Left out of
    /// `/_emulator/issued` when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_arn: Option<String>,
}

impl fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("account_id", &self.account_id)
            .field("role_name", &self.role_name)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration_epoch_ms", &self.expiration_epoch_ms)
            .field("role_arn", &self.role_arn)
            .field("assumed_by", &self.assumed_by)
            .field("session_name", &self.session_name)
            .field("external_id", &self.external_id)
            .field("source_identity", &self.source_identity)
            .field("duration_seconds", &self.duration_seconds)
            .field("sts_region", &self.sts_region)
            .field("user_arn", &self.user_arn)
            .finish()
    }
}

impl IssuedCredentials {
    /// Credentials for `role_name` in `account_id`, derived from those two and
    /// `sequence`, so every issue differs yet a run is reproducible (apart
    /// from the expiry, which follows the clock).
    pub(crate) fn generate(
        account_id: &str,
        role_name: &str,
        sequence: u64,
        lifetime: Duration,
    ) -> Self {
        let seed = fnv1a(&[
            account_id.as_bytes(),
            role_name.as_bytes(),
            &sequence.to_le_bytes(),
        ]);
        let mut chars = CharStream::new(seed);

        let access_key_id = format!("ASIA{}", chars.take(ACCESS_KEY_ALPHABET, 16));

        // Real secrets are base64 and nearly always hold `/` or `+`; forcing
        // both makes any quoting or URL-encoding mistake show up at once.
        let mut secret: Vec<char> = chars.take(BASE64_ALPHABET, SECRET_LEN).chars().collect();
        let half = SECRET_LEN / 2;
        secret[chars.index(half)] = '/';
        secret[half + chars.index(half)] = '+';
        let secret_access_key = secret.into_iter().collect();

        let body_len = SESSION_TOKEN_LEN - SESSION_TOKEN_PREFIX.len() - 1;
        let session_token = format!(
            "{SESSION_TOKEN_PREFIX}{}=",
            chars.take(BASE64_ALPHABET, body_len)
        );

        Self {
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
            access_key_id,
            secret_access_key,
            session_token,
            expiration_epoch_ms: expiration_epoch_ms(lifetime),
            role_arn: None,
            assumed_by: None,
            session_name: None,
            external_id: None,
            source_identity: None,
            duration_seconds: None,
            sts_region: None,
            user_arn: None,
        }
    }

    /// The IAM role ARN these credentials act as, in `partition`: the
    /// AssumeRole `RoleArn`, or for portal credentials
    /// `arn:PARTITION:iam::ACCOUNT:role/ROLE` (real SSO roles live under
    /// `role/aws-reserved/sso.amazonaws.com/`, but ssocred's `-r` ARNs and
    /// the emulator's trust use this plain form).
    pub(crate) fn iam_role_arn(&self, partition: &str) -> String {
        match self.role_arn.as_ref().or(self.user_arn.as_ref()) {
            Some(arn) => arn.clone(),
            None => format!(
                "arn:{partition}:iam::{}:role/{}",
                self.account_id, self.role_name
            ),
        }
    }

    /// The session's principal, `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`;
    /// AssumeRole credentials carry their own partition.
    /// A console session's credentials are the IAM user's own.
    pub(crate) fn session_arn(&self, partition: &str) -> String {
        if let Some(user) = &self.user_arn {
            return user.clone();
        }
        let partition = self
            .role_arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(1))
            .unwrap_or(partition);
        let session = self.session_name.as_deref().unwrap_or(SSO_SESSION_NAME);
        format!(
            "arn:{partition}:sts::{}:assumed-role/{}/{session}",
            self.account_id, self.role_name
        )
    }

    /// Whether the credentials have expired at `now`.
    pub(crate) fn expired_at(&self, now: SystemTime) -> bool {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        now_ms >= self.expiration_epoch_ms
    }
}

/// A role's unique id as IAM shows it: `AROA` and 17 uppercase letters and
/// digits, the same for the same role ARN.
pub(crate) fn role_id(role_arn: &str) -> String {
    let mut chars = CharStream::new(fnv1a(&[b"role-id", role_arn.as_bytes()]));
    format!("AROA{}", chars.take(ACCESS_KEY_ALPHABET, 17))
}

/// Base64-looking text that depends only on `seed`, for opaque tokens.
pub(crate) fn opaque_text(seed: &[&[u8]], len: usize) -> String {
    CharStream::new(fnv1a(seed)).take(BASE64_ALPHABET, len)
}

/// Now plus `lifetime`, truncated to whole seconds, in milliseconds: the
/// service reports expiries to the second.
fn expiration_epoch_ms(lifetime: Duration) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let seconds = now.saturating_add(lifetime.as_secs());
    i64::try_from(seconds).unwrap_or(i64::MAX / 1000) * 1000
}

/// FNV-1a over the parts, with a separator so that ("ab", "c") and
/// ("a", "bc") differ.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A splitmix64 sequence: well mixed, tiny and deterministic.
struct CharStream {
    state: u64,
}

impl CharStream {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn index(&mut self, below: usize) -> usize {
        (self.next_u64() % below as u64) as usize
    }

    fn take(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.index(alphabet.len())]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(sequence: u64) -> IssuedCredentials {
        IssuedCredentials::generate("123456789012", "Admin", sequence, Duration::from_secs(3600))
    }

    #[test]
    fn credentials_look_like_aws_ones() {
        let creds = sample(1);
        assert_eq!(creds.access_key_id.len(), 20);
        assert!(creds.access_key_id.starts_with("ASIA"));
        assert!(
            creds.access_key_id[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(creds.secret_access_key.len(), 40);
        assert!(creds.secret_access_key.contains('/'));
        assert!(creds.secret_access_key.contains('+'));
        assert_eq!(creds.session_token.len(), SESSION_TOKEN_LEN);
        assert!(creds.session_token.starts_with(SESSION_TOKEN_PREFIX));
        assert!(creds.session_token.ends_with('='));
        assert_eq!(creds.expiration_epoch_ms % 1000, 0);
    }

    #[test]
    fn same_inputs_give_same_keys_and_new_sequence_gives_new_keys() {
        assert_eq!(sample(7).access_key_id, sample(7).access_key_id);
        assert_eq!(sample(7).secret_access_key, sample(7).secret_access_key);
        assert_ne!(sample(7).access_key_id, sample(8).access_key_id);
        assert_ne!(sample(7).secret_access_key, sample(8).secret_access_key);
        assert_ne!(sample(7).session_token, sample(8).session_token);
    }

    #[test]
    fn debug_redacts_secret_and_session_token() {
        let mut creds = sample(1);
        creds.session_name = Some("hop-1".to_owned());
        let shown = format!("{creds:?}");
        assert!(shown.contains(&creds.access_key_id), "{shown}");
        assert!(!shown.contains(&creds.secret_access_key), "{shown}");
        assert!(!shown.contains(&creds.session_token), "{shown}");
        assert_eq!(shown.matches("<redacted>").count(), 2, "{shown}");
        assert!(shown.contains("session_name: Some(\"hop-1\")"), "{shown}");
    }

    #[test]
    fn portal_and_assumed_credentials_name_their_principal() {
        let mut creds = sample(1);
        assert_eq!(
            creds.iam_role_arn("aws-cn"),
            "arn:aws-cn:iam::123456789012:role/Admin"
        );
        assert_eq!(
            creds.session_arn("aws"),
            "arn:aws:sts::123456789012:assumed-role/Admin/ssocred-emulator"
        );
        creds.role_arn = Some("arn:aws-us-gov:iam::210987654321:role/ops/Deploy".to_owned());
        creds.account_id = "210987654321".to_owned();
        creds.role_name = "Deploy".to_owned();
        creds.session_name = Some("s1".to_owned());
        assert_eq!(
            creds.iam_role_arn("aws"),
            "arn:aws-us-gov:iam::210987654321:role/ops/Deploy"
        );
        assert_eq!(
            creds.session_arn("aws"),
            "arn:aws-us-gov:sts::210987654321:assumed-role/Deploy/s1"
        );
        let id = role_id("arn:aws:iam::1:role/x");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert_eq!(id, role_id("arn:aws:iam::1:role/x"));
        assert_ne!(id, role_id("arn:aws:iam::1:role/y"));
    }

    #[test]
    fn expiration_is_now_plus_lifetime_in_whole_seconds() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let ms = expiration_epoch_ms(Duration::from_millis(90_500));
        let expected = (before.as_secs() + 90) as i64 * 1000;
        assert!(
            (expected..=expected + 1000).contains(&ms),
            "{ms} vs {expected}"
        );
    }
}

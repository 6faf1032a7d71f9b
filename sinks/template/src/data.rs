//! The data model templates see.
//!
//! Every field of a credential set, with the expiration in several formats,
//! is one object. The top level holds the first set's fields (most runs have
//! exactly one), plus `sets`, the list of every set in the run, and `count`.
//! Optional fields (`account_name`, `region`, `sso_session`) are `null` when
//! unknown, so `{{#if region}}` works in strict mode.

use serde_json::{Map, Value, json};
use ssocred_core::{CredentialSet, ExposeSecret};
use time::format_description::well_known::Rfc2822;

/// A profile name derived from account and role, using only characters every
/// AWS SDK accepts in a profile name; anything else becomes `_`.
pub fn profile_name(set: &CredentialSet) -> String {
    format!("{}-{}", set.account_id, set.role_name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-/.%@_:+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The object of one set.
pub fn set_object(set: &CredentialSet) -> Map<String, Value> {
    let exp = set.expiration;
    let value = json!({
        "account_id": set.account_id,
        "account_name": set.account_name,
        "role_name": set.role_name,
        "role_arn": set.role_arn,
        "access_key_id": set.access_key_id,
        "secret_access_key": set.secret_access_key.expose_secret(),
        "session_token": set.session_token.expose_secret(),
        "expiration": set.expiration_utc(),
        "expiration_unix": exp.unix_timestamp(),
        "expiration_unix_ms": exp.unix_timestamp() * 1000 + i64::from(exp.millisecond()),
        "expiration_rfc2822": exp.format(&Rfc2822).unwrap_or_default(),
        "region": set.region,
        "sso_profile": set.sso_profile,
        "profile": set.sso_profile,
        "sso_session": set.sso_session,
        "start_url": set.start_url,
        "profile_name": profile_name(set),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The whole context of one render: the first set's fields, `sets` and
/// `count`.
pub fn context(sets: Vec<Map<String, Value>>) -> Value {
    let mut top = sets.first().cloned().unwrap_or_default();
    let count = sets.len();
    top.insert(
        "sets".to_owned(),
        Value::Array(sets.into_iter().map(Value::Object).collect()),
    );
    top.insert("count".to_owned(), Value::from(count));
    Value::Object(top)
}

/// Every top-level field name, for the documentation and its test.
#[cfg(test)]
pub const FIELDS: &[&str] = &[
    "account_id",
    "account_name",
    "role_name",
    "role_arn",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "expiration",
    "expiration_unix",
    "expiration_unix_ms",
    "expiration_rfc2822",
    "region",
    "sso_profile",
    "profile",
    "sso_session",
    "start_url",
    "profile_name",
    "sets",
    "count",
];

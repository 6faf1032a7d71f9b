//! The environment variables a credential set becomes, shared by every sink
//! that writes `KEY=value` pairs (dotenv, docker-env, templates).

use secrecy::ExposeSecret;

use crate::CredentialSet;

/// Variables that give AWS SDKs credentials, or point them at credentials,
/// which they would use instead of (or before) the ones ssocred hands over:
/// `ssocred exec` clears them for its command, `ssocred use` unsets them in
/// the shell.
pub const COMPETING: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
];

/// The variables the AWS SDKs and CLI read, in output order:
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_CREDENTIAL_EXPIRATION` (UTC with `Z`) and, when a region is known,
/// both `AWS_REGION` and `AWS_DEFAULT_REGION`.
///
/// The values include secrets: callers write them only to their output.
pub fn aws_environment(set: &CredentialSet) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", set.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            set.secret_access_key.expose_secret().to_owned(),
        ),
        (
            "AWS_SESSION_TOKEN",
            set.session_token.expose_secret().to_owned(),
        ),
        ("AWS_CREDENTIAL_EXPIRATION", set.expiration_utc()),
    ];
    vars.extend(region_variables(set.region.as_deref()));
    vars
}

/// `AWS_REGION` and `AWS_DEFAULT_REGION`, when a region is known.
pub fn region_variables(region: Option<&str>) -> Vec<(&'static str, String)> {
    region
        .map(|r| {
            vec![
                ("AWS_REGION", r.to_owned()),
                ("AWS_DEFAULT_REGION", r.to_owned()),
            ]
        })
        .unwrap_or_default()
}

/// Every variable name [`aws_environment`] may produce, region ones included.
pub const AWS_ENVIRONMENT_NAMES: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

/// A credential set for tests and benchmarks, with fixed non-secret-looking
/// values. Not for production use.
#[doc(hidden)]
pub fn sample_set() -> CredentialSet {
    CredentialSet {
        account_id: "123456789012".into(),
        account_name: Some("Prod".into()),
        role_name: "ReadOnly".into(),
        role_arn: "arn:aws:iam::123456789012:role/ReadOnly".into(),
        access_key_id: "ASIAEXAMPLEKEY".into(),
        secret_access_key: "wJalr/XUtnFEMI+K7MDENG==".to_owned().into(),
        session_token: "IQoJb3JpZ2luX2VjE/token+==".to_owned().into(),
        expiration: time::macros::datetime!(2030-01-02 03:04:05 UTC),
        region: Some("eu-west-1".into()),
        sso_profile: "my-sso".into(),
        sso_session: Some("corp".into()),
        start_url: "https://d-corp.awsapps.com/start".into(),
        assumed_via: Vec::new(),
    }
}

//! STS AssumeRole over raw HTTP: requests signed with aws-sigv4 (the
//! signer the AWS SDKs use), answers read as bytes off the wire.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::json;
use ssocred_emulator::{Emulator, EmulatorConfig, IssuedCredentials, Operation, StsOperation};
use support::{Response, TOKEN, encode, get, request_with_body};

/// The first generated account's first role: what the portal hands out.
const SOURCE: &str = "arn:aws:iam::100000000000:role/ReadOnly";
const TARGET: &str = "arn:aws:iam::222222222222:role/Deploy";
const SECOND: &str = "arn:aws:iam::333333333333:role/team/Audit";
const REGION: &str = "eu-west-1";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const CHAINING_LIMIT: &str = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_token(TOKEN)).unwrap()
}

/// Portal credentials for `ReadOnly` in the first generated account.
fn sso_creds(emulator: &Emulator) -> IssuedCredentials {
    sso_creds_for(emulator, "100000000000", "ReadOnly")
}

fn sso_creds_for(emulator: &Emulator, account: &str, role: &str) -> IssuedCredentials {
    let response = get(
        emulator.port(),
        &format!("/federation/credentials?role_name={role}&account_id={account}"),
        Some(TOKEN),
    );
    assert_eq!(response.status, 200, "{response:?}");
    let key = response.json()["roleCredentials"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.issued_for_key(&key).unwrap()
}

/// One AssumeRole call as an SDK makes it.
struct Call<'a> {
    key: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
    at: SystemTime,
    params: Vec<(&'a str, &'a str)>,
    /// Sent after signing, to test a tampered body.
    tamper: Option<&'a str>,
    /// The operation.
    action: &'a str,
}

impl<'a> Call<'a> {
    fn new(creds: &'a IssuedCredentials, params: &[(&'a str, &'a str)]) -> Self {
        Call {
            key: &creds.access_key_id,
            secret: &creds.secret_access_key,
            token: Some(&creds.session_token),
            region: REGION,
            at: SystemTime::now(),
            params: params.to_vec(),
            tamper: None,
            action: "AssumeRole",
        }
    }

    fn region(mut self, region: &'a str) -> Self {
        self.region = region;
        self
    }

    fn send(&self, port: u16) -> Response {
        let mut body = format!("Action={}&Version=2011-06-15", self.action);
        for (name, value) in &self.params {
            body.push_str(&format!("&{name}={}", encode(value)));
        }
        let headers = signed_headers(self, port, &body);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let body = self.tamper.map_or(body.clone(), str::to_owned);
        request_with_body(port, "POST", "/", &headers, &body)
    }
}

/// `Content-Type` and the headers aws-sigv4 adds to sign the request.
fn signed_headers(call: &Call<'_>, port: u16, body: &str) -> Vec<(String, String)> {
    let identity = aws_credential_types::Credentials::new(
        call.key,
        call.secret,
        call.token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(call.region)
        .name("sts")
        .time(call.at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://127.0.0.1:{port}/");
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        [("content-type", FORM)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut headers = vec![("Content-Type".to_owned(), FORM.to_owned())];
    headers.extend(
        instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    headers
}

fn assume(port: u16, creds: &IssuedCredentials, params: &[(&str, &str)]) -> Response {
    Call::new(creds, params).send(port)
}

/// The text of the first `<name>` element.
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
    &xml[start..end]
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Asserts an STS error of `code` with `status`, shaped as STS sends it,
/// and returns its message.
fn expect_error(response: &Response, status: u16, code: &str) -> String {
    assert_eq!(response.status, status, "{response:?}");
    assert_eq!(response.header("content-type"), Some("text/xml"));
    let body = &response.body;
    assert!(
        body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{body}"
    );
    assert_eq!(element(body, "Type"), "Sender");
    assert_eq!(element(body, "Code"), code, "{body}");
    assert_eq!(element(body, "RequestId").len(), 36, "{body}");
    unescape(element(body, "Message"))
}

/// Asserts success and returns the access key id it issued.
fn expect_success(response: &Response) -> String {
    assert_eq!(response.status, 200, "{response:?}");
    element(&response.body, "AccessKeyId").to_owned()
}

fn epoch_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Seconds from now until an XML `Expiration`.
fn seconds_left(expiration: &str) -> i64 {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let at = time::PrimitiveDateTime::parse(expiration, format)
        .unwrap()
        .assume_utc();
    at.unix_timestamp() - epoch_now()
}

#[test]
fn a_trusted_role_is_assumed_and_the_answer_is_sts_xml() {
    let emulator = start(EmulatorConfig::generated(1, 1).trust(TARGET, SOURCE));
    let caller = sso_creds(&emulator);

    let response = assume(
        emulator.port(),
        &caller,
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "hop-1"),
            ("SourceIdentity", "alice@example.com"),
        ],
    );

    let key = expect_success(&response);
    let body = &response.body;
    assert_eq!(response.header("content-type"), Some("text/xml"));
    assert!(
        body.starts_with(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>"
        ),
        "{body}"
    );
    let issued = emulator.issued_for_key(&key).unwrap();
    assert_eq!(element(body, "SecretAccessKey"), issued.secret_access_key);
    assert_eq!(element(body, "SessionToken"), issued.session_token);
    assert_eq!(
        element(body, "Arn"),
        "arn:aws:sts::222222222222:assumed-role/Deploy/hop-1"
    );
    let role_id = element(body, "AssumedRoleId");
    assert!(
        role_id.starts_with("AROA") && role_id.ends_with(":hop-1") && role_id.len() == 27,
        "{role_id}"
    );
    assert_eq!(element(body, "SourceIdentity"), "alice@example.com");
    assert_eq!(
        element(body, "RequestId"),
        response.header("x-amzn-requestid").unwrap()
    );
    let left = seconds_left(element(body, "Expiration"));
    assert!(
        (3595..=3600).contains(&left),
        "default duration 3600: {left}"
    );
    assert_eq!(issued.expiration_epoch_ms / 1000 - epoch_now(), left);

    // The record says which hop made the key.
    assert_eq!(issued.account_id, "222222222222");
    assert_eq!(issued.role_name, "Deploy");
    assert_eq!(issued.role_arn.as_deref(), Some(TARGET));
    assert_eq!(
        issued.assumed_by.as_deref(),
        Some(caller.access_key_id.as_str())
    );
    assert_eq!(issued.session_name.as_deref(), Some("hop-1"));
    assert_eq!(issued.source_identity.as_deref(), Some("alice@example.com"));
    assert_eq!(issued.external_id, None);
    assert_eq!(issued.duration_seconds, None);
    assert_eq!(issued.sts_region.as_deref(), Some(REGION));
    assert_eq!(caller.role_arn, None, "portal credentials have no STS hop");
    assert_eq!(emulator.issued().len(), 2);
    let shown = format!("{issued:?}");
    assert!(!shown.contains(&issued.secret_access_key), "{shown}");
    assert!(!shown.contains(&issued.session_token), "{shown}");
    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 1);
}

#[test]
fn an_untrusted_target_is_access_denied() {
    let emulator = start(
        EmulatorConfig::generated(1, 2)
            .trust(TARGET, "arn:aws:iam::100000000000:role/Admin")
            .trust(SOURCE, TARGET),
    );
    let caller = sso_creds(&emulator);

    for target in [TARGET, "arn:aws:iam::999999999999:role/Other"] {
        let response = assume(
            emulator.port(),
            &caller,
            &[("RoleArn", target), ("RoleSessionName", "s1")],
        );
        let message = expect_error(&response, 403, "AccessDenied");
        assert_eq!(
            message,
            format!(
                "User: arn:aws:sts::100000000000:assumed-role/ReadOnly/ssocred-emulator \
                 is not authorized to perform: sts:AssumeRole on resource: {target}"
            )
        );
    }
    assert_eq!(emulator.issued().len(), 1, "nothing issued");
    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 2);
}

#[test]
fn an_external_id_is_required_where_the_trust_says_so() {
    let emulator = start(
        EmulatorConfig::generated(1, 1)
            .trust_with_external_id(TARGET, SOURCE, "tenant:42/x")
            .trust(SECOND, SOURCE),
    );
    let caller = sso_creds(&emulator);
    let port = emulator.port();

    for external_id in [None, Some("tenant:43/x")] {
        let mut params = vec![("RoleArn", TARGET), ("RoleSessionName", "s1")];
        params.extend(external_id.map(|id| ("ExternalId", id)));
        let message = expect_error(&assume(port, &caller, &params), 403, "AccessDenied");
        assert!(
            message.ends_with(&format!("on resource: {TARGET}")),
            "{message}"
        );
    }
    let key = expect_success(&assume(
        port,
        &caller,
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("ExternalId", "tenant:42/x"),
        ],
    ));
    let issued = emulator.issued_for_key(&key).unwrap();
    assert_eq!(issued.external_id.as_deref(), Some("tenant:42/x"));

    // A statement without the condition accepts any external id, or none.
    expect_success(&assume(
        port,
        &caller,
        &[
            ("RoleArn", SECOND),
            ("RoleSessionName", "s1"),
            ("ExternalId", "anything"),
        ],
    ));
}

#[test]
fn duration_seconds_is_bounded_and_chaining_caps_it_at_an_hour() {
    let emulator = start(EmulatorConfig::generated(1, 1).trust(TARGET, SOURCE));
    let caller = sso_creds(&emulator);
    let port = emulator.port();
    let with_duration = |seconds: &str| {
        assume(
            port,
            &caller,
            &[
                ("RoleArn", TARGET),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", seconds),
            ],
        )
    };

    assert_eq!(
        expect_error(&with_duration("899"), 400, "ValidationError"),
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value greater than or equal to 900"
    );
    assert_eq!(
        expect_error(&with_duration("43201"), 400, "ValidationError"),
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value less than or equal to 43200"
    );
    for chained in ["3601", "43200"] {
        assert_eq!(
            expect_error(&with_duration(chained), 400, "ValidationError"),
            CHAINING_LIMIT
        );
    }
    expect_error(&with_duration("an hour"), 400, "ValidationError");

    let response = with_duration("900");
    let key = expect_success(&response);
    let left = seconds_left(element(&response.body, "Expiration"));
    assert!((895..=900).contains(&left), "{left}");
    assert_eq!(
        emulator.issued_for_key(&key).unwrap().duration_seconds,
        Some(900)
    );
    expect_success(&with_duration("3600"));
    assert_eq!(emulator.issued().len(), 3, "only the valid calls issued");
}

#[test]
fn malformed_parameters_are_validation_errors() {
    let emulator = start(EmulatorConfig::generated(1, 1).trust(TARGET, SOURCE));
    let caller = sso_creds(&emulator);
    let port = emulator.port();
    let validation = |params: &[(&str, &str)]| {
        expect_error(&assume(port, &caller, params), 400, "ValidationError")
    };
    let long = "s".repeat(65);

    assert_eq!(
        validation(&[("RoleArn", TARGET), ("RoleSessionName", "has/slash")]),
        "1 validation error detected: Value 'has/slash' at 'roleSessionName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    );
    assert_eq!(
        validation(&[("RoleArn", TARGET), ("RoleSessionName", &long)]),
        format!(
            "1 validation error detected: Value '{long}' at 'roleSessionName' failed to \
             satisfy constraint: Member must have length less than or equal to 64"
        )
    );
    assert_eq!(
        validation(&[("RoleArn", TARGET)]),
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy \
         constraint: Member must not be null"
    );
    let two = validation(&[("RoleArn", "short"), ("RoleSessionName", "a")]);
    assert!(two.starts_with("2 validation errors detected: "), "{two}");
    assert!(two.contains("Value 'short' at 'roleArn'"), "{two}");
    assert!(two.contains("Value 'a' at 'roleSessionName'"), "{two}");
    for params in [
        &[("RoleArn", TARGET), ("RoleSessionName", "with space")][..],
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("ExternalId", "x"),
        ],
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("ExternalId", "a b"),
        ],
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("SourceIdentity", "a/b"),
        ],
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("SourceIdentity", "aws:me"),
        ],
    ] {
        validation(params);
    }
    assert_eq!(
        validation(&[
            ("RoleArn", "arn:aws:iam::222222222222:user/Deploy"),
            ("RoleSessionName", "s1")
        ]),
        "Request ARN is invalid"
    );
    // The edges of the session name's length are accepted.
    let longest = "s".repeat(64);
    for name in ["ab", longest.as_str(), "a+=,.@-_Z9"] {
        expect_success(&assume(
            port,
            &caller,
            &[("RoleArn", TARGET), ("RoleSessionName", name)],
        ));
    }
}

#[test]
fn unknown_keys_and_tokens_are_invalid_client_token_ids() {
    let emulator = start(EmulatorConfig::generated(1, 1).trust(TARGET, SOURCE));
    let caller = sso_creds(&emulator);
    let port = emulator.port();
    let params = [("RoleArn", TARGET), ("RoleSessionName", "s1")];

    let mut unknown = Call::new(&caller, &params);
    unknown.key = "ASIAUNKNOWNKEY000000";
    let message = expect_error(&unknown.send(port), 403, "InvalidClientTokenId");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    let mut wrong_token = Call::new(&caller, &params);
    wrong_token.token = Some("IQoJb3JpZ2luX2VjEXAMPLE=");
    expect_error(&wrong_token.send(port), 403, "InvalidClientTokenId");
    let mut no_token = Call::new(&caller, &params);
    no_token.token = None;
    expect_error(&no_token.send(port), 403, "InvalidClientTokenId");

    let unsigned = request_with_body(
        port,
        "POST",
        "/",
        &[("Content-Type", FORM)],
        &format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s1",
            encode(TARGET)
        ),
    );
    expect_error(&unsigned, 403, "MissingAuthenticationToken");
    assert_eq!(emulator.issued().len(), 1);
}

#[test]
fn a_bad_signature_is_signature_does_not_match() {
    let emulator = start(EmulatorConfig::generated(1, 1).trust(TARGET, SOURCE));
    let caller = sso_creds(&emulator);
    let port = emulator.port();
    let params = [("RoleArn", TARGET), ("RoleSessionName", "s1")];

    let mut wrong_secret = Call::new(&caller, &params);
    let other_secret = caller.secret_access_key.replace('/', "x");
    wrong_secret.secret = &other_secret;
    let response = wrong_secret.send(port);
    let message = expect_error(&response, 403, "SignatureDoesNotMatch");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
    assert!(!response.body.contains(&caller.secret_access_key));
    assert!(!response.body.contains(&caller.session_token));

    let tampered_body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s2",
        encode(TARGET)
    );
    let mut tampered = Call::new(&caller, &params);
    tampered.tamper = Some(&tampered_body);
    expect_error(&tampered.send(port), 403, "SignatureDoesNotMatch");

    let mut stale = Call::new(&caller, &params);
    stale.at = SystemTime::now() - Duration::from_secs(20 * 60);
    let message = expect_error(&stale.send(port), 403, "SignatureDoesNotMatch");
    assert!(message.starts_with("Signature expired: "), "{message}");

    assert_eq!(emulator.issued().len(), 1);
    // The same request, signed right, passes.
    expect_success(&Call::new(&caller, &params).send(port));
}

#[test]
fn expired_credentials_are_expired_tokens() {
    let emulator = start(
        EmulatorConfig::generated(1, 1)
            .trust(TARGET, SOURCE)
            .trust(SECOND, TARGET)
            .credential_lifetime(Duration::ZERO),
    );
    let caller = sso_creds(&emulator);
    let params = [("RoleArn", TARGET), ("RoleSessionName", "s1")];
    let message = expect_error(
        &assume(emulator.port(), &caller, &params),
        400,
        "ExpiredToken",
    );
    assert_eq!(
        message,
        "The security token included in the request is expired"
    );

    // A chained hop expires after assume_role_lifetime, whatever it asked.
    emulator.set_credential_lifetime(Duration::from_secs(3600));
    emulator.set_assume_role_lifetime(Duration::from_secs(60));
    let caller = sso_creds(&emulator);
    let response = assume(
        emulator.port(),
        &caller,
        &[
            ("RoleArn", TARGET),
            ("RoleSessionName", "s1"),
            ("DurationSeconds", "900"),
        ],
    );
    expect_success(&response);
    let left = seconds_left(element(&response.body, "Expiration"));
    assert!((55..=60).contains(&left), "{left}");

    emulator.set_assume_role_lifetime(Duration::ZERO);
    let key = expect_success(&assume(emulator.port(), &caller, &params));
    let hop = emulator.issued_for_key(&key).unwrap();
    expect_error(
        &assume(
            emulator.port(),
            &hop,
            &[("RoleArn", SECOND), ("RoleSessionName", "s2")],
        ),
        400,
        "ExpiredToken",
    );
}

#[test]
fn get_caller_identity_names_the_session_of_the_credentials() {
    let emulator =
        start(EmulatorConfig::generated(1, 1).trust("arn:aws:iam::555555555555:role/Hub", SOURCE));
    let port = emulator.port();
    let sso = sso_creds(&emulator);
    let who = |creds: &IssuedCredentials| {
        let mut call = Call::new(creds, &[]);
        call.action = "GetCallerIdentity";
        call.send(port)
    };
    let answer = |response: Response| {
        assert_eq!(response.status, 200, "{response:?}");
        response.body
    };
    let xml = answer(who(&sso));
    assert_eq!(
        element(&xml, "Arn"),
        "arn:aws:sts::100000000000:assumed-role/ReadOnly/ssocred-emulator"
    );
    assert_eq!(element(&xml, "Account"), "100000000000");
    assert!(
        element(&xml, "UserId").ends_with(":ssocred-emulator"),
        "{xml}"
    );
    let key = expect_success(&assume(
        port,
        &sso,
        &[
            ("RoleArn", "arn:aws:iam::555555555555:role/Hub"),
            ("RoleSessionName", "alice@corp"),
        ],
    ));
    let hub = emulator.issued_for_key(&key).unwrap();
    let xml = answer(who(&hub));
    assert_eq!(
        element(&xml, "Arn"),
        "arn:aws:sts::555555555555:assumed-role/Hub/alice@corp"
    );
    // Unknown credentials are refused as for AssumeRole.
    let mut forged = sso.clone();
    forged.access_key_id = "ASIAFORGEDFORGED0000".to_owned();
    expect_error(&who(&forged), 403, "InvalidClientTokenId");
    assert_eq!(emulator.sts_count(StsOperation::GetCallerIdentity), 3);
}

#[test]
fn two_hops_chain_through_the_credentials_of_the_first() {
    let emulator = start(
        EmulatorConfig::generated(1, 1)
            .trust(TARGET, SOURCE)
            .trust(SECOND, TARGET),
    );
    let caller = sso_creds(&emulator);
    let port = emulator.port();

    let first = emulator
        .issued_for_key(&expect_success(&assume(
            port,
            &caller,
            &[("RoleArn", TARGET), ("RoleSessionName", "hop-1")],
        )))
        .unwrap();
    let response = Call::new(&first, &[("RoleArn", SECOND), ("RoleSessionName", "hop-2")])
        .region("us-west-2")
        .send(port);
    let second = emulator.issued_for_key(&expect_success(&response)).unwrap();

    assert_eq!(
        element(&response.body, "Arn"),
        "arn:aws:sts::333333333333:assumed-role/Audit/hop-2"
    );
    assert_eq!(second.role_arn.as_deref(), Some(SECOND));
    assert_eq!(second.role_name, "Audit");
    assert_eq!(second.account_id, "333333333333");
    assert_eq!(
        second.assumed_by.as_deref(),
        Some(first.access_key_id.as_str())
    );
    assert_eq!(
        first.assumed_by.as_deref(),
        Some(caller.access_key_id.as_str())
    );
    assert_eq!(second.sts_region.as_deref(), Some("us-west-2"));
    assert_eq!(first.sts_region.as_deref(), Some(REGION));

    // SECOND trusts only TARGET: the SSO role cannot skip the first hop,
    // and the first hop's principal is named in the refusal of another.
    let message = expect_error(
        &assume(
            port,
            &caller,
            &[("RoleArn", SECOND), ("RoleSessionName", "skip")],
        ),
        403,
        "AccessDenied",
    );
    assert!(message.starts_with("User: arn:aws:sts::100000000000:assumed-role/ReadOnly/"));
    let message = expect_error(
        &assume(
            port,
            &first,
            &[("RoleArn", SOURCE), ("RoleSessionName", "back")],
        ),
        403,
        "AccessDenied",
    );
    assert_eq!(
        message,
        format!(
            "User: arn:aws:sts::222222222222:assumed-role/Deploy/hop-1 is not authorized \
             to perform: sts:AssumeRole on resource: {SOURCE}"
        )
    );
}

#[test]
fn the_partition_follows_the_signing_region() {
    let cn_source = "arn:aws-cn:iam::100000000000:role/ReadOnly";
    let cn_target = "arn:aws-cn:iam::222222222222:role/Deploy";
    let emulator = start(
        EmulatorConfig::generated(1, 1)
            .trust(cn_target, cn_source)
            .trust(TARGET, cn_source),
    );
    let caller = sso_creds(&emulator);
    let port = emulator.port();
    let params = [("RoleArn", cn_target), ("RoleSessionName", "s1")];

    let response = Call::new(&caller, &params).region("cn-north-1").send(port);
    expect_success(&response);
    assert_eq!(
        element(&response.body, "Arn"),
        "arn:aws-cn:sts::222222222222:assumed-role/Deploy/s1"
    );
    // Signed for an aws region, the caller is an aws role, which cn_target
    // does not trust; and no role crosses partitions.
    let message = expect_error(&Call::new(&caller, &params).send(port), 403, "AccessDenied");
    assert!(
        message.starts_with("User: arn:aws:sts::100000000000:"),
        "{message}"
    );
    let cross = [("RoleArn", TARGET), ("RoleSessionName", "s1")];
    let message = expect_error(
        &Call::new(&caller, &cross).region("cn-north-1").send(port),
        403,
        "AccessDenied",
    );
    assert!(
        message.starts_with("User: arn:aws-cn:sts::100000000000:"),
        "{message}"
    );
}

#[test]
fn assume_role_is_counted_and_throttled_apart_from_the_portal() {
    let emulator = start(
        EmulatorConfig::generated(1, 1)
            .trust(TARGET, SOURCE)
            .throttle_every(3)
            .throttle_sts_every(2),
    );
    let caller = sso_creds(&emulator); // portal call 1 of 3
    let port = emulator.port();
    let params = [("RoleArn", TARGET), ("RoleSessionName", "s1")];

    let codes: Vec<String> = (0..4)
        .map(|_| {
            let response = assume(port, &caller, &params);
            match response.status {
                200 => "ok".to_owned(),
                _ => expect_error(&response, 400, "Throttling"),
            }
        })
        .collect();
    assert_eq!(codes, ["ok", "Rate exceeded", "ok", "Rate exceeded"]);
    // Unauthenticated calls are counted but never throttled.
    let mut unknown = Call::new(&caller, &params);
    unknown.key = "ASIAUNKNOWNKEY000000";
    expect_error(&unknown.send(port), 403, "InvalidClientTokenId");

    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 5);
    assert_eq!(emulator.sts_throttled(), 2);
    assert_eq!(emulator.throttled(), 0, "the portal's limiter is untouched");
    // The portal's own cycle did not advance: calls 2 and 3 of 3.
    assert_eq!(get(port, "/assignment/accounts", Some(TOKEN)).status, 200);
    assert_eq!(get(port, "/assignment/accounts", Some(TOKEN)).status, 429);

    let counts = get(port, "/_emulator/counts", None).json();
    assert_eq!(
        counts,
        json!({"AssumeRole": 5, "GetAuthorizationToken": 0, "GetCallerIdentity": 0,
               "GetRoleCredentials": 1, "ListAccountRoles": 0,
               "ListAccounts": 2, "Logout": 0, "StsThrottled": 2, "Throttled": 1})
    );
    assert_eq!(emulator.counts()["AssumeRole"], 5);
    let issued = get(port, "/_emulator/issued", None).json();
    assert_eq!(issued[1]["role_arn"], TARGET);
    assert_eq!(issued[1]["assumed_by"], caller.access_key_id.as_str());
    assert_eq!(issued[1]["session_name"], "s1");
    assert_eq!(issued[1]["sts_region"], REGION);
    assert_eq!(issued[0]["role_arn"], serde_json::Value::Null);

    emulator.reset_counts();
    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 0);
    assert_eq!(emulator.sts_throttled(), 0);
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 0);
    // The cycle restarts: call 1 passes, call 2 is throttled.
    expect_success(&assume(port, &caller, &params));
    expect_error(&assume(port, &caller, &params), 400, "Throttling");
    emulator.set_throttle_sts_every(None);
    for _ in 0..3 {
        expect_success(&assume(port, &caller, &params));
    }
}

#[test]
fn post_root_dispatches_by_the_shape_of_the_request() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();
    let post =
        |headers: &[(&str, &str)], body: &str| request_with_body(port, "POST", "/", headers, body);

    // An awsJson operation the emulator does not serve; ECR's own
    // (unsigned here: refused by ECR's checks) goes to ECR, not STS.
    let json_rpc = post(
        &[
            (
                "X-Amz-Target",
                "AmazonEC2ContainerRegistry_V20150921.ListImages",
            ),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    );
    assert_eq!(json_rpc.status, 400);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json_rpc.body).unwrap(),
        json!({"__type": "UnknownOperationException"})
    );
    let form = [("Content-Type", FORM)];
    assert_eq!(
        expect_error(
            &post(&form, "Action=GetFederationToken&Version=2011-06-15"),
            400,
            "InvalidAction"
        ),
        "Could not find operation GetFederationToken for version 2011-06-15"
    );
    assert_eq!(
        expect_error(&post(&form, "Action=AssumeRole"), 400, "InvalidAction"),
        "Could not find operation AssumeRole for version NO_VERSION_SPECIFIED"
    );
    expect_error(&post(&form, "Version=2011-06-15"), 400, "MissingAction");
    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 0);
}

use super::*;
use crate::domain::arn::RoleArn;
use crate::domain::sso_profile::SsoProfile;

fn arn(text: &str) -> RoleArn {
    RoleArn::parse(text).unwrap()
}

const HUB: &str = "arn:aws:iam::210987654321:role/Hub";

#[test]
fn a_bare_arn_is_a_hop_with_defaults() {
    let hop = Hop::parse(HUB).unwrap();
    assert_eq!(hop, Hop::to(arn(HUB)));
    assert_eq!(hop.duration_secs(), 3600);
    assert_eq!(hop.spec(), HUB);
}

#[test]
fn options_parse_and_round_trip() {
    let spec = format!(
        "{HUB},external-id=ext,with:comma/ok,session-name=alice@corp,duration=15m,source-identity=alice"
    );
    let hop = Hop::parse(&spec).unwrap();
    assert_eq!(hop.external_id.as_deref(), Some("ext,with:comma/ok"));
    assert_eq!(hop.session_name.as_deref(), Some("alice@corp"));
    assert_eq!(hop.duration, Some(900));
    assert_eq!(hop.source_identity.as_deref(), Some("alice"));
    assert_eq!(Hop::parse(&hop.spec()).unwrap(), hop);
    assert_eq!(
        Hop::parse(&format!("{HUB},duration=1h")).unwrap().duration,
        Some(3600)
    );
}

#[test]
fn bad_hops_are_refused_naming_the_option() {
    let cases = [
        ("arn:aws:iam::1:role/X".to_owned(), "account"),
        ("not-an-arn".to_owned(), "malformed role ARN"),
        (format!("{HUB},duration=3601"), "one hour"),
        (format!("{HUB},duration=2h"), "one hour"),
        (format!("{HUB},duration=899"), "minimum"),
        (format!("{HUB},duration=soon"), "duration `soon`"),
        (
            format!("{HUB},session-name=a"),
            "session-name must be 2 to 64",
        ),
        (
            format!("{HUB},session-name=has space"),
            "session-name holds ` `",
        ),
        (
            format!("{HUB},external-id=x"),
            "external-id must be 2 to 1224",
        ),
        (
            format!("{HUB},source-identity=aws:me"),
            "source-identity holds `:`",
        ),
        (format!("{HUB},session-name=ab,session-name=cd"), "twice"),
        (
            format!("{HUB},externalid=x1"),
            "unknown option `externalid`",
        ),
    ];
    for (spec, expected) in cases {
        let err = Hop::parse(&spec).unwrap_err();
        assert!(err.contains(expected), "{spec}: {err}");
    }
    // 64 characters is the most a session name may have.
    let name = "n".repeat(64);
    assert!(Hop::parse(&format!("{HUB},session-name={name}")).is_ok());
    assert!(Hop::parse(&format!("{HUB},session-name={name}n")).is_err());
}

fn profile(session: Option<&str>, name: &str) -> SsoProfile {
    SsoProfile::for_test(name, session)
}

#[test]
fn the_default_session_name_comes_from_the_login_and_is_valid() {
    assert_eq!(
        default_session_name(&profile(Some("corp"), "p")),
        "ssocred-corp"
    );
    assert_eq!(
        default_session_name(&profile(None, "my profile/ü")),
        "ssocred-my-profile--"
    );
    let long = default_session_name(&profile(Some(&"x".repeat(100)), "p"));
    assert_eq!(long.len(), 64);
    let hop = Hop {
        session_name: Some(long),
        ..Hop::to(arn(HUB))
    };
    hop.check().unwrap();
}

#[test]
fn the_session_name_of_a_caller_is_its_role_sessions() {
    let sso = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com";
    assert_eq!(session_name_of(sso).as_deref(), Some("alice@example.com"));
    assert_eq!(
        session_name_of("arn:aws-cn:sts::1:assumed-role/R/Jörg Müller").as_deref(),
        Some("J-rg-M-ller")
    );
    let long = format!("arn:aws:sts::1:assumed-role/R/{}", "x".repeat(80));
    assert_eq!(session_name_of(&long).map(|n| n.len()), Some(64));
    for not_a_session in [
        "arn:aws:iam::1:user/alice",
        "arn:aws:sts::1:federated-user/bob",
        "arn:aws:sts::1:assumed-role/R/é",
        "nonsense",
    ] {
        assert_eq!(session_name_of(not_a_session), None, "{not_a_session}");
    }
}

/// Options spelt as STS or another tool spells them are refused, wherever
/// they stand: after the ARN, or swallowed into another option's value.
#[test]
fn misspelt_options_are_refused_naming_the_key_they_resemble() {
    let cases = [
        (format!("{HUB},Duration=900"), "`Duration`", "`duration`"),
        (
            format!("{HUB},external_id=x1"),
            "`external_id`",
            "`external-id`",
        ),
        (
            format!("{HUB},ExternalId=x1"),
            "`ExternalId`",
            "`external-id`",
        ),
        (
            format!("{HUB},RoleSessionName=me"),
            "`RoleSessionName`",
            "`session-name`",
        ),
        (
            format!("{HUB},DurationSeconds=900"),
            "`DurationSeconds`",
            "`duration`",
        ),
        (format!("{HUB},durtion=900"), "`durtion`", "`duration`"),
        (
            format!("{HUB},source_identity=me"),
            "`source_identity`",
            "`source-identity`",
        ),
        (
            format!("{HUB},external-id=abc,Duration=900"),
            "`Duration`",
            "`duration`",
        ),
        (
            format!("{HUB},session-name=alice,session_name=bob"),
            "`session_name`",
            "`session-name`",
        ),
    ];
    for (spec, word, key) in cases {
        let err = Hop::parse(&spec).unwrap_err();
        assert!(
            err.contains(&format!("unknown option {word}: did you mean {key}?")),
            "{spec}: {err}"
        );
    }
}

#[test]
fn a_duration_given_twice_is_refused_like_any_other_key() {
    let err = Hop::parse(&format!("{HUB},duration=900,duration=1h")).unwrap_err();
    assert!(err.contains("`duration` is given twice"), "{err}");
}

/// IAM role names are `[\w+=,.@-]{1,64}` and paths any printable ASCII
/// between slashes: whatever a valid ARN holds is read as the ARN.
#[test]
fn every_valid_role_arn_is_read_whole() {
    for role in [
        "arn:aws:iam::210987654321:role/team,env=prod",
        "arn:aws:iam::210987654321:role/a+b=c,d.e@f-g_h",
        "arn:aws:iam::210987654321:role/x=1,y=2",
        "arn:aws:iam::210987654321:role/path,with=odd/chars!/Name,region=eu",
        "arn:aws:iam::210987654321:role/Deploy,station=9",
    ] {
        let hop = Hop::parse(role).unwrap_or_else(|e| panic!("{role}: {e}"));
        assert_eq!(hop.role.as_str(), role);
        assert_eq!(hop, Hop::to(arn(role)));
        let with_option = Hop::parse(&format!("{role},external-id=ext-1")).unwrap();
        assert_eq!(with_option.role.as_str(), role);
        assert_eq!(with_option.external_id.as_deref(), Some("ext-1"));
    }
}

#[test]
fn chains_are_capped_at_max_hops() {
    assert!(check_length(0).is_ok());
    assert!(check_length(MAX_HOPS).is_ok());
    let err = check_length(MAX_HOPS + 1).unwrap_err();
    assert!(
        err.contains(&format!(
            "at most {MAX_HOPS} hops, and this one has {}",
            MAX_HOPS + 1
        )),
        "{err}"
    );
}

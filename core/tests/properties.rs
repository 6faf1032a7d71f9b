//! Properties of the INI editor and the role-ARN parser, over generated
//! inputs.
//!
//! INI editor: editing one section leaves every other section, the preamble
//! and every other byte as they were, and the SDK's own parser reads back
//! exactly the values written (and the other profiles unchanged).
//! ARNs: every well-formed role ARN parses into its parts, the role name kept
//! whole; nothing panics; whatever parses is well-formed.
//! ECR registry hosts: every form Docker sends names the same registry and
//! its variant's API endpoint; any text parses without panicking.

use proptest::prelude::*;
use ssocred_core::aws::ecr::{Registry, Variant};
use ssocred_core::domain::arn::{PARTITIONS, RoleArn, is_account_id};
use ssocred_core::store::ini_edit::set_section;
use ssocred_core::store::profile::parse_sections;

/// One line of a generated section body.
#[derive(Debug, Clone)]
enum BodyLine {
    Property(String, String),
    Comment(String),
    Blank,
}

fn section_name() -> impl Strategy<Value = String> {
    // A small alphabet so that edits often hit an existing (even repeated) section.
    prop_oneof![
        Just("default".to_owned()),
        "[a-c]{1,2}",
        "[a-z][a-z0-9._-]{0,8}",
    ]
}

fn body_line() -> impl Strategy<Value = BodyLine> {
    prop_oneof![
        3 => ("[a-z_]{1,12}", "[!-~][ -~]{0,30}[!-~]")
            .prop_map(|(k, v)| BodyLine::Property(k, v)),
        1 => "[#;][ -~]{0,20}".prop_map(BodyLine::Comment),
        1 => Just(BodyLine::Blank),
    ]
}

/// A credentials-style INI file the SDK parser accepts: a preamble of
/// comments, then sections with properties, comments and blank lines, in one
/// line-ending style, with or without a final newline.
fn ini_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[#;][ -~]{0,20}", 0..3),
        prop::collection::vec(
            (
                section_name(),
                any::<bool>(),
                prop::collection::vec(body_line(), 0..6),
            ),
            0..6,
        ),
        prop_oneof![Just("\n"), Just("\r\n")],
        any::<bool>(),
    )
        .prop_map(|(preamble, sections, eol, final_newline)| {
            let mut text = String::new();
            for line in preamble {
                text.push_str(&line);
                text.push_str(eol);
            }
            for (name, spaced, body) in sections {
                if spaced {
                    text.push_str(&format!("[ {name} ]{eol}"));
                } else {
                    text.push_str(&format!("[{name}]{eol}"));
                }
                for line in body {
                    match line {
                        BodyLine::Property(k, v) => text.push_str(&format!("{k} = {v}{eol}")),
                        BodyLine::Comment(c) => text.push_str(&format!("{c}{eol}")),
                        BodyLine::Blank => text.push_str(eol),
                    }
                }
            }
            if !final_newline && text.ends_with(eol) {
                text.truncate(text.len() - eol.len());
            }
            text
        })
}

fn entries() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (
        "ASIA[A-Z0-9]{16}",
        "[A-Za-z0-9/+]{40}",
        "[A-Za-z0-9/+]{20,200}={0,2}",
        prop::option::of("[a-z]{2}-[a-z]{4,9}-[1-3]"),
    )
        .prop_map(|(key, secret, token, region)| {
            let mut e = vec![
                ("aws_access_key_id", key),
                ("aws_secret_access_key", secret),
                ("aws_session_token", token),
            ];
            if let Some(r) = region {
                e.push(("region", r));
            }
            e
        })
}

/// The file cut into its preamble and one chunk per section header (the
/// header line up to the next header), with each chunk's trimmed name.
fn chunks(text: &str) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            out.push((Some(name), String::new()));
        }
        out.last_mut().unwrap().1.push_str(line);
    }
    out
}

/// How many differently written headers name the section `name`.
fn header_forms(text: &str, name: &str) -> usize {
    let mut forms: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with('[') && l.trim_matches(['[', ']', ' ']) == name)
        .collect();
    forms.sort();
    forms.dedup();
    forms.len()
}

fn without(chunks: Vec<(Option<String>, String)>, name: &str) -> Vec<String> {
    chunks
        .into_iter()
        .filter(|(n, _)| n.as_deref() != Some(name))
        .map(|(_, text)| text)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_files_are_valid(text in ini_file()) {
        prop_assert!(parse_sections(None, Some(&text)).is_ok(), "{text:?}");
    }

    #[test]
    fn editing_one_section_keeps_every_other_byte(
        text in ini_file(),
        target in section_name(),
        entries in entries(),
    ) {
        let pairs: Vec<(&str, &str)> = entries.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let after = set_section(&text, &target, &pairs);
        let before_chunks = chunks(&text);
        let existed = before_chunks.iter().any(|(n, _)| n.as_deref() == Some(target.as_str()));
        if existed {
            // Every chunk that is not the edited section is byte-identical,
            // in the same order.
            let mut kept = without(before_chunks, &target);
            let mut now = without(chunks(&after), &target);
            prop_assert_eq!(kept.len(), now.len());
            kept.retain(|c| !c.is_empty());
            now.retain(|c| !c.is_empty());
            prop_assert_eq!(kept, now);
        } else {
            // Appending: the old text is a prefix, save for a newline added
            // to a last line that had none.
            let mut prefix = text.clone();
            if !prefix.is_empty() && !prefix.ends_with('\n') {
                prefix.push_str(if after[text.len()..].starts_with("\r\n") { "\r\n" } else { "\n" });
            }
            prop_assert!(after.starts_with(&prefix), "{after:?}");
        }
    }

    #[test]
    fn the_sdk_reads_back_what_was_written(
        text in ini_file(),
        target in section_name(),
        entries in entries(),
    ) {
        let pairs: Vec<(&str, &str)> = entries.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let after = set_section(&text, &target, &pairs);
        let old = parse_sections(None, Some(&text)).unwrap();
        let new = parse_sections(None, Some(&after)).unwrap();
        let profile = new.get_profile(&target).unwrap();
        for (k, v) in &entries {
            prop_assert_eq!(profile.get(k), Some(v.as_str()), "{} in {:?}", k, after);
        }
        // Every other profile reads exactly as before. A profile whose
        // header is written two ways (`[p]` and `[ p ]`) is skipped: the SDK
        // keeps those apart while parsing and merges them in hash-map order,
        // so even the unedited file may read differently from one parse to
        // the next.
        for name in old.profiles() {
            if name == target || header_forms(&text, name) > 1 {
                continue;
            }
            let (a, b) = (old.get_profile(name).unwrap(), new.get_profile(name).unwrap());
            let props = |p: &aws_runtime::env_config::section::Profile| {
                let mut v: Vec<(String, String)> = Vec::new();
                for line in text.lines().chain(after.lines()) {
                    if let Some((k, _)) = line.split_once('=') {
                        let k = k.trim().to_ascii_lowercase();
                        if let Some(val) = p.get(&k) {
                            v.push((k, val.to_owned()));
                        }
                    }
                }
                v.sort();
                v.dedup();
                v
            };
            prop_assert_eq!(props(a), props(b), "profile {}", name);
        }
        prop_assert_eq!(old.profiles().count() + usize::from(old.get_profile(&target).is_none()),
            new.profiles().count());
    }

    #[test]
    fn well_formed_role_arns_parse_into_their_parts(
        partition in prop::sample::select(PARTITIONS),
        account in "[0-9]{12}",
        path in prop::collection::vec("[A-Za-z0-9+=,.@_-]{1,12}", 0..4),
        name in "[A-Za-z0-9+=,.@_-]{1,64}",
    ) {
        let mut resource = String::from("role/");
        for segment in &path {
            resource.push_str(segment);
            resource.push('/');
        }
        resource.push_str(&name);
        let text = format!("arn:{partition}:iam::{account}:{resource}");
        let arn = RoleArn::parse(&text).unwrap();
        prop_assert_eq!(arn.partition(), partition);
        prop_assert_eq!(arn.account_id(), account.as_str());
        prop_assert_eq!(arn.role_name(), name.as_str());
        prop_assert_eq!(arn.as_str(), text.as_str());
        prop_assert_eq!(arn.to_string(), text);
    }

    #[test]
    fn role_names_over_64_or_with_other_characters_are_rejected(
        account in "[0-9]{12}",
        name in prop_oneof![
            "[A-Za-z0-9]{65,80}",
            "[A-Za-z0-9]{0,5}[ !#$%^&*()\\[\\]{}|;:'\"<>?~`][A-Za-z0-9]{0,5}",
        ],
    ) {
        let text = format!("arn:aws:iam::{account}:role/{name}");
        let err = RoleArn::parse(&text).unwrap_err();
        prop_assert!(err.to_string().contains(&text));
    }

    #[test]
    fn parsing_any_text_never_panics_and_accepts_only_role_arns(text in "\\PC{0,80}|arn:[a-z-]{0,12}:[a-z]{0,4}:[a-z0-9-]{0,3}:[0-9a]{0,13}:[ -~]{0,40}") {
        if let Ok(arn) = RoleArn::parse(&text) {
            prop_assert!(PARTITIONS.contains(&arn.partition()));
            prop_assert!(is_account_id(arn.account_id()));
            let prefix = format!("arn:{}:iam::{}:role/", arn.partition(), arn.account_id());
            let suffix = format!("/{}", arn.role_name());
            prop_assert!(text.starts_with(&prefix), "{}", text);
            prop_assert!(text.ends_with(&suffix), "{}", text);
        }
    }

    #[test]
    fn arns_built_for_a_role_round_trip(
        account in "[0-9]{12}",
        name in "[A-Za-z0-9+=,.@_-]{1,64}",
        region in prop_oneof![Just("us-east-1"), Just("cn-north-1"), Just("us-gov-west-1"), Just("eu-west-3")],
    ) {
        let built = RoleArn::for_role(&account, &name, region).unwrap();
        let parsed = RoleArn::parse(built.as_str()).unwrap();
        prop_assert_eq!(&built, &parsed);
        prop_assert_eq!(parsed.partition(), ssocred_core::domain::arn::partition_of_region(region));
    }
}

/// An ECR registry host of each variant, in a region of its partition.
fn ecr_host() -> impl Strategy<Value = (String, String, String, Variant)> {
    let region =
        "(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|southeast|northeast)-[1-9]";
    (
        "[0-9]{12}",
        region,
        prop_oneof![
            Just(Variant::Standard),
            Just(Variant::Fips),
            Just(Variant::DualStack),
            Just(Variant::FipsDualStack),
        ],
        any::<bool>(),
    )
        .prop_map(|(account, region, variant, china)| {
            let (region, host) = match variant {
                Variant::Standard if china => {
                    let r = format!("cn-{}", &region[3..]);
                    let h = format!("{account}.dkr.ecr.{r}.amazonaws.com.cn");
                    (r, h)
                }
                Variant::Standard => (
                    region.clone(),
                    format!("{account}.dkr.ecr.{region}.amazonaws.com"),
                ),
                Variant::Fips => (
                    region.clone(),
                    format!("{account}.dkr.ecr-fips.{region}.amazonaws.com"),
                ),
                Variant::DualStack => {
                    (region.clone(), format!("{account}.dkr-ecr.{region}.on.aws"))
                }
                Variant::FipsDualStack => (
                    region.clone(),
                    format!("{account}.dkr-ecr-fips.{region}.on.aws"),
                ),
            };
            (host, account, region, variant)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every form Docker may send (scheme or none, any case, a port, a
    /// path, a trailing slash or dot, surrounding blanks) names the same
    /// registry, and its API endpoint is its variant's host in its region.
    #[test]
    fn every_form_of_an_ecr_host_names_the_same_registry(
        (host, account, region, variant) in ecr_host(),
        scheme in prop_oneof![Just(""), Just("https://"), Just("http://"), Just("HTTPS://")],
        port in prop_oneof![Just(""), Just(":443"), Just(":5000")],
        path in prop_oneof![Just(""), Just("/"), Just("/v2/"), Just("/v1/")],
        dot in any::<bool>(),
        upper in proptest::collection::vec(any::<bool>(), 80),
        blanks in prop_oneof![Just(""), Just(" "), Just("\n"), Just("\t ")],
    ) {
        let cased: String = host
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        let dot = if dot && port.is_empty() { "." } else { "" };
        let url = format!("{blanks}{scheme}{cased}{dot}{port}{path}{blanks}");
        let registry = Registry::from_server_url(&url);
        prop_assert!(registry.is_some(), "{:?}", url);
        let registry = registry.unwrap();
        prop_assert_eq!(&registry.host, &host);
        prop_assert_eq!(&registry.account_id, &account);
        prop_assert_eq!(&registry.region, &region);
        prop_assert_eq!(registry.variant, variant);
        let api = registry.api_endpoint();
        let expected_host = match variant {
            Variant::Standard if region.starts_with("cn-") => format!("api.ecr.{region}.amazonaws.com.cn"),
            Variant::Standard => format!("api.ecr.{region}.amazonaws.com"),
            Variant::Fips => format!("ecr-fips.{region}.amazonaws.com"),
            Variant::DualStack => format!("ecr.{region}.api.aws"),
            Variant::FipsDualStack => format!("ecr-fips.{region}.api.aws"),
        };
        prop_assert_eq!(api, format!("https://{expected_host}"));
    }

    /// Any text parses without panicking, and whatever parses is a host
    /// that reads back as the same registry.
    #[test]
    fn any_text_parses_without_panic_and_only_into_registry_hosts(
        text in "\\PC{0,60}|[0-9]{10,13}\\.dkr[.-]ecr[.a-z-]{0,8}\\.[a-z0-9-]{0,16}\\.(amazonaws\\.com|amazonaws\\.com\\.cn|on\\.aws)[:/0-9a-z]{0,6}",
    ) {
        if let Some(registry) = Registry::from_server_url(&text) {
            prop_assert!(is_account_id(&registry.account_id));
            let prefix = format!("{}.", registry.account_id);
            prop_assert!(registry.host.starts_with(&prefix), "{}", registry.host);
            prop_assert!(registry.host.contains(&registry.region));
            prop_assert_eq!(Registry::from_server_url(&registry.server_url()), Some(registry.clone()));
        }
    }
}

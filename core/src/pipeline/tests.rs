//! The pipeline against the emulator library: planning, picking, and the
//! rounds of one role and of many, with the token cache and the role cache
//! in a temp directory.

use std::path::Path;
use std::time::Duration;

use ssocred_emulator::{Account, Emulator, EmulatorConfig, Operation};

use super::*;
use crate::aws::oidc::Oidc;
use crate::domain::network::Network;
use crate::login::OnExpiry;

const TOKEN: &str = "tok-pipeline-SECRET";
const PROD: &str = "111111111111";
const DEV: &str = "222222222222";

fn profile(account: Option<&str>, role: Option<&str>) -> SsoProfile {
    SsoProfile {
        start_url: "https://d-corp.awsapps.com/start".into(),
        account_id: account.map(str::to_owned),
        role_name: role.map(str::to_owned),
        ..SsoProfile::for_test("corp", Some("corp"))
    }
}

fn query(choice: Option<RoleChoice>, all: bool) -> RoleQuery {
    RoleQuery { choice, all }
}

fn arn(text: &str) -> RoleArn {
    RoleArn::parse(text).unwrap()
}

fn patterns(account: Option<&str>, role: Option<&str>) -> RoleChoice {
    RoleChoice::Patterns(RoleFilter::new(account, role).unwrap())
}

#[test]
fn the_region_rule() {
    let mut p = profile(None, None);
    assert_eq!(credentials_region(None, &p), "us-east-1");
    p.region = Some("eu-west-1".into());
    assert_eq!(credentials_region(None, &p), "eu-west-1");
    assert_eq!(credentials_region(Some("ap-south-1"), &p), "ap-south-1");
}

#[test]
fn plans_each_way_of_naming_a_role() {
    let read_only = format!("arn:aws:iam::{PROD}:role/ReadOnly");
    let bare = profile(None, None);
    let named = |choice, all, p: &SsoProfile| plan(&query(choice, all), p).unwrap();
    assert!(matches!(
        named(Some(RoleChoice::Arn(arn(&read_only))), false, &bare),
        Plan::Role(r) if r.as_str() == read_only
    ));
    assert!(matches!(
        named(Some(RoleChoice::AccountRole(PROD.into(), "ReadOnly".into())), false, &bare),
        Plan::Role(r) if r.as_str() == read_only
    ));
    // A pattern in either part needs the listing.
    for (account, role) in [(PROD, "Read*"), ("Prod*", "ReadOnly")] {
        let choice = RoleChoice::AccountRole(account.into(), role.into());
        assert!(matches!(named(Some(choice), false, &bare), Plan::One(_)));
    }
    assert!(matches!(
        named(Some(patterns(Some("Dev*"), None)), false, &bare),
        Plan::One(f) if f.describe() == "--account 'Dev*'"
    ));
    assert!(matches!(
        named(Some(patterns(None, Some("Admin"))), true, &bare),
        Plan::All(f) if f.describe() == "--role 'Admin'"
    ));
    assert!(matches!(named(None, true, &bare), Plan::All(f) if f.describe() == "no filter"));
    // Nothing named: the profile's own role, else nothing.
    let own = profile(Some(DEV), Some("Developer"));
    assert!(matches!(
        named(None, false, &own),
        Plan::Role(r) if r.as_str() == format!("arn:aws:iam::{DEV}:role/Developer")
    ));
    assert!(matches!(named(None, false, &bare), Plan::Unselected));
    // A name that cannot be a role is a usage error naming the setting.
    let bad = RoleChoice::AccountRole(PROD.into(), "bad role".into());
    let e = plan(&query(Some(bad), false), &bare).unwrap_err();
    assert_eq!(e.exit_code(), crate::ExitClass::Usage, "{e}");
    assert!(e.to_string().starts_with("--role:"), "{e}");
    let e = plan(&query(None, false), &profile(Some("12"), Some("R"))).unwrap_err();
    assert!(
        e.to_string().contains("profile `corp`: sso_account_id"),
        "{e}"
    );
}

fn entry(account: &str, name: &str, role: &str) -> RoleEntry {
    RoleEntry::new(
        account,
        name,
        role,
        &format!("arn:aws:iam::{account}:role/{role}"),
    )
}

fn listed() -> Vec<RoleEntry> {
    vec![
        entry(PROD, "Prod", "ReadOnly"),
        entry(PROD, "Prod", "Admin"),
        entry(DEV, "Dev", "Developer"),
    ]
}

#[test]
fn picks_the_match_every_match_or_the_chosen_one() {
    let p = profile(None, None);
    let one = |account, role| Plan::One(RoleFilter::new(account, role).unwrap());
    let Picked::One(e) = pick(one(Some("dev"), None), listed(), &p, None).unwrap() else {
        panic!("one match is one role");
    };
    assert_eq!(e.role_name(), "Developer");
    let Picked::All(all) = pick(
        Plan::All(RoleFilter::new(Some("Prod"), None).unwrap()),
        listed(),
        &p,
        None,
    )
    .unwrap() else {
        panic!("--all");
    };
    assert_eq!(all.len(), 2);
    // Several matches: the chooser decides, and sees only the matches.
    let mut seen = 0;
    let mut choose = |entries: &[RoleEntry]| {
        seen = entries.len();
        Ok(1)
    };
    let Picked::One(e) = pick(one(Some("Prod"), None), listed(), &p, Some(&mut choose)).unwrap()
    else {
        panic!("chosen");
    };
    assert_eq!((seen, e.role_name()), (2, "Admin"));
    // Without a chooser, several matches are a usage error naming them.
    let e = pick(Plan::Unselected, listed(), &p, None).unwrap_err();
    assert!(e.to_string().starts_with("3 roles match no filter"), "{e}");
    let e = pick(one(Some("Nope*"), None), listed(), &p, None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no role of profile `corp` matches --account 'Nope*'"),
        "{e}"
    );
    let mut out_of_range = |_: &[RoleEntry]| Ok(9);
    assert!(pick(Plan::Unselected, listed(), &p, Some(&mut out_of_range)).is_err());
}

/// A request against `emulator`, with the token cache and the role cache
/// in `dir`.
fn request(emulator: &Emulator, dir: &Path, query: RoleQuery, cached: bool) -> Request {
    let profile = profile(None, None);
    let target = LoginTarget {
        profile: profile.clone(),
        scopes: None,
        cache_dir: dir.join("sso/cache"),
        lock_dir: dir.join("locks"),
        oidc: Oidc::new(&profile.sso_region, emulator.url(), Network::default()),
        keep_in_memory: false,
        store: Default::default(),
    };
    let path = target.token_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let token = serde_json::json!({
        "startUrl": profile.start_url,
        "region": profile.sso_region,
        "accessToken": TOKEN,
        "expiresAt": "2099-01-01T00:00:00Z",
    });
    std::fs::write(path, token.to_string()).unwrap();
    Request {
        portal: Portal::new(&profile, emulator.url(), &Network::default()),
        region: credentials_region(None, &profile),
        profile,
        query,
        login: target,
        token: TokenPolicy {
            refresh_window: Duration::from_secs(900),
            lock_timeout: Duration::from_secs(5),
            on_expiry: OnExpiry::Fail,
            verbose: false,
        },
        cache: cached.then(|| RoleCache::new(dir.join("cli/cache"), Duration::from_secs(15 * 60))),
        concurrency: 4,
        trace: Trace::default(),
        network: Network::default(),
        chain: None,
    }
}

fn emulator() -> Emulator {
    Emulator::start(
        EmulatorConfig::new()
            .account(Account::new(PROD, "Prod").role("ReadOnly").role("Admin"))
            .account(Account::new(DEV, "Dev").role("Developer"))
            .with_token(TOKEN),
    )
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn one_role_is_fetched_then_answered_from_the_role_cache() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let read_only = arn(&format!("arn:aws:iam::{PROD}:role/ReadOnly"));
    let req = request(
        &emulator,
        dir.path(),
        query(Some(RoleChoice::Arn(read_only.clone())), false),
        true,
    );
    let Plan::Role(role) = req.plan().unwrap() else {
        panic!("an ARN needs no listing");
    };
    let fetch = req.role_fetch(role, Some("Prod".into()));
    let rt = runtime();
    let first = rt.block_on(fetch.fetch()).unwrap();
    let second = rt.block_on(fetch.fetch()).unwrap();
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 1);
    assert_eq!(emulator.count(Operation::ListAccounts), 0);
    let issued = emulator.issued().pop().unwrap();
    for sets in [&first, &second] {
        let [set] = sets.as_slice() else {
            panic!("one set");
        };
        assert_eq!(set.access_key_id, issued.access_key_id);
        assert_eq!(set.role_arn, read_only.as_str());
        assert_eq!(set.account_name.as_deref(), Some("Prod"));
        assert_eq!(set.region.as_deref(), Some("us-east-1"));
    }
    // Without the cache every round calls the portal.
    let uncached =
        request(&emulator, dir.path(), query(None, false), false).role_fetch(read_only, None);
    rt.block_on(uncached.fetch()).unwrap();
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 2);
}

#[test]
fn a_listing_plan_lists_picks_and_fetches_every_match() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let req = request(
        &emulator,
        dir.path(),
        query(Some(patterns(Some("prod"), None)), true),
        true,
    );
    let rt = runtime();
    let session = rt.block_on(req.open_session(&mut Vec::new())).unwrap();
    let mut pages = 0;
    let listed = rt
        .block_on(session.list(req.concurrency, &mut |_| pages += 1))
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert!(pages > 0);
    let picked = pick(req.plan().unwrap(), listed, &req.profile, None).unwrap();
    let Fetch::Many(many) = req.fetch(picked, session).unwrap() else {
        panic!("--all fetches many");
    };
    let sets = rt.block_on(many.fetch()).unwrap();
    let mut names: Vec<_> = sets
        .iter()
        .map(|s| (s.role_name.as_str(), s.account_name.as_deref()))
        .collect();
    names.sort();
    assert_eq!(names, [("Admin", Some("Prod")), ("ReadOnly", Some("Prod"))]);
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 2);
}

#[test]
fn a_rejected_token_is_login_required() {
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let req = request(&emulator, dir.path(), query(None, false), false);
    emulator.revoke_tokens();
    let fetch = req.role_fetch(arn(&format!("arn:aws:iam::{DEV}:role/Developer")), None);
    let e = runtime().block_on(fetch.fetch()).unwrap_err();
    assert_eq!(e.exit_code(), crate::ExitClass::LoginRequired, "{e}");
    assert!(!e.to_string().contains(TOKEN));
}

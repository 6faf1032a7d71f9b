//! A portal call over the emulator's HTTPS: the CA bundle replaces the
//! system's roots, and an untrusted certificate is one readable error.

use std::io::Write;
use std::path::PathBuf;

use ssocred_core::aws::portal::Portal;
use ssocred_core::domain::network::{CaBundle, Network, Trust};
use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::{RoleArn, SecretString};
use ssocred_emulator::{Account, Emulator, EmulatorConfig, Operation};

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn ca() -> String {
    ssocred_emulator::tls::unrelated_ca_pem().unwrap()
}

fn tls_emulator() -> Emulator {
    Emulator::start(
        EmulatorConfig::new()
            .account(Account::new("111111111111", "Prod").role("ReadOnly"))
            .with_token("tok")
            .tls(true),
    )
    .unwrap()
}

fn profile() -> SsoProfile {
    SsoProfile {
        name: "corp".into(),
        session: None,
        start_url: "https://d-corp.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        region: None,
        account_id: None,
        role_name: None,
    }
}

fn fetch(
    emulator: &Emulator,
    network: &Network,
) -> Result<ssocred_core::CredentialSet, ssocred_core::Error> {
    let portal = Portal::new(&profile(), emulator.url(), network);
    let role = RoleArn::parse("arn:aws:iam::111111111111:role/ReadOnly").unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(portal.credential_set(&SecretString::from("tok"), &profile(), &role, None))
}

#[test]
fn the_bundle_replaces_the_system_roots() {
    let emulator = tls_emulator();
    let dir = tempfile::tempdir().unwrap();
    let ours = file(&dir, "ours.pem", emulator.ca_pem().unwrap().as_bytes());
    let trusted = Network {
        trust: Trust::Bundle(CaBundle::load(&ours, "test").unwrap()),
        ..Network::default()
    };
    fetch(&emulator, &trusted).unwrap();
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 1);
    // The system's roots do not know the emulator's CA, nor does another CA.
    let other = file(&dir, "other.pem", ca().as_bytes());
    let untrusted = Network {
        trust: Trust::Bundle(CaBundle::load(&other, "test").unwrap()),
        ..Network::default()
    };
    for network in [Network::default(), untrusted] {
        let e = fetch(&emulator, &network).unwrap_err();
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Portal, "{e}");
        assert!(e.to_string().contains("certificate not trusted"), "{e}");
    }
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 1);
}

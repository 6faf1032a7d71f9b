//! One credentials-file update in a 500-profile file, through the sink as
//! the binary drives it: lock, read, parse with the SDK parser, edit one
//! section, write a 0600 temp file, fsync, rename, fsync the directory.
//!
//! `cargo bench -p ssocred-sink-credentials-file --bench update`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ssocred_core::sink::build;
use ssocred_core::{CredentialSet, SinkContext, SinkSpec};
use ssocred_sink_credentials_file as _;

fn file_with_profiles(n: usize) -> String {
    let mut text = String::from("# a large hand-kept credentials file\n");
    for i in 0..n {
        text.push_str(&format!(
            "[profile-{i:03}]\naws_access_key_id = ASIA{i:016}\naws_secret_access_key = {}\naws_session_token = {}\nregion = eu-west-1\n\n",
            "s".repeat(40),
            "t".repeat(380),
        ));
    }
    text
}

fn set() -> CredentialSet {
    CredentialSet {
        account_id: "123456789012".into(),
        account_name: None,
        role_name: "ReadOnly".into(),
        role_arn: "arn:aws:iam::123456789012:role/ReadOnly".into(),
        access_key_id: "ASIANEWNEWNEWNEW0000".into(),
        secret_access_key: "n".repeat(40).into(),
        session_token: "m".repeat(380).into(),
        expiration: time::macros::datetime!(2099-01-01 00:00 UTC),
        region: Some("us-east-1".into()),
        sso_profile: "sso".into(),
        sso_session: None,
        start_url: "https://x/start".into(),
    }
}

fn update_in_500_profiles(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, file_with_profiles(500)).unwrap();
    let ctx = SinkContext {
        config_file: dir.path().join("config"),
        credentials_file: path.clone(),
        cwd: dir.path().to_path_buf(),
    };
    let set = set();
    let mut group = c.benchmark_group("credentials-file");
    let spec = SinkSpec::parse("credentials-file:profile-250").unwrap();
    group.bench_function("update one profile of 500", |b| {
        b.iter(|| {
            let mut sink = build(&spec, &ctx).unwrap();
            sink.accept(black_box(&set)).unwrap();
            sink.commit(&mut std::io::sink()).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, update_in_500_profiles);
criterion_main!(benches);

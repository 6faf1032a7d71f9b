//! Updating one profile of a credentials file that already holds 500: the
//! whole path a run takes (sidecar lock, read, SDK-parser validation, the
//! byte-preserving edit, 0600 temp file, fsync, rename, directory fsync).
//!
//! Run: `cargo bench -p ssocred-sink-credentials-file --bench update`

use criterion::{Criterion, criterion_group, criterion_main};
use ssocred_core::domain::variables::sample_set;
use ssocred_core::os::fs;
use ssocred_core::store::{ini_edit, profile};
use ssocred_core::{SinkContext, SinkSpec, sink};
use ssocred_sink_credentials_file as _;

fn file_with_profiles(n: usize) -> String {
    let mut text = String::from("# hand-written header\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[profile-{i:03}]\naws_access_key_id = ASIA{i:016}\naws_secret_access_key = {}\naws_session_token = {}\nregion = eu-west-1\n",
            "s".repeat(40),
            "t".repeat(600)
        ));
    }
    text
}

fn update_500(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(&path, file_with_profiles(500)).unwrap();
    let ctx = SinkContext {
        config_file: dir.path().join("config"),
        credentials_file: path.clone(),
        cwd: dir.path().to_path_buf(),
    };
    let set = sample_set();
    let mut group = c.benchmark_group("credentials-file");
    for (label, profile) in [
        ("update profile 250 of 500", "profile-250"),
        ("append to 500 profiles", "new-profile"),
    ] {
        let spec = SinkSpec::parse(&format!("credentials-file:{profile}")).unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut sink = sink::build(&spec, &ctx).unwrap();
                sink.accept(&set).unwrap();
                sink.commit(&mut std::io::sink()).unwrap();
            })
        });
        // Keep the file at 500 profiles plus at most the one appended.
        std::fs::write(&path, file_with_profiles(500)).unwrap();
    }

    // The steps alone, to show where the time goes.
    let text = file_with_profiles(500);
    let entries = [
        ("aws_access_key_id", "ASIANEW"),
        ("aws_secret_access_key", "secret"),
        ("aws_session_token", "token"),
    ];
    group.bench_function("step: SDK parser validates 500 profiles", |b| {
        b.iter(|| profile::parse_sections(None, Some(&text)).unwrap())
    });
    group.bench_function("step: byte-preserving edit of 500 profiles", |b| {
        b.iter(|| ini_edit::set_section(&text, "profile-250", &entries))
    });
    let target = dir.path().join("plain");
    group.bench_function("step: atomic write (temp, fsync, rename)", |b| {
        b.iter(|| fs::write_atomic(&target, text.as_bytes()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, update_500);
criterion_main!(benches);

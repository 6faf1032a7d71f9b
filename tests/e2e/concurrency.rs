//! Many ssocred processes at once: single-flight GetRoleCredentials through
//! the role cache's lock, and concurrent writers of one credentials file.

use std::process::{Child, Stdio};
use std::time::Duration;

use ssocred_emulator::Operation;

use crate::world::*;

const N: usize = 32;

fn spawn_all(w: &World, args: impl Fn(usize) -> Vec<String>) -> Vec<Child> {
    (0..N)
        .map(|i| {
            w.cmd()
                .args(args(i))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

#[test]
fn thirty_two_cold_process_calls_make_one_portal_call() {
    let w = World::new();
    // Long enough that every process starts while the first call is in flight.
    w.emulator.set_latency(Duration::from_millis(400));
    let children = spawn_all(&w, |_| {
        ["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"]
            .map(String::from)
            .to_vec()
    });
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| ok(&c.wait_with_output().unwrap()))
        .collect();
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
    let issued = w.only_issued();
    for out in &outputs {
        assert_eq!(out, &outputs[0]);
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[0]).unwrap();
    assert_eq!(json["AccessKeyId"], issued.access_key_id);
    assert_eq!(json["SecretAccessKey"], issued.secret_access_key);
    assert_eq!(json["SessionToken"], issued.session_token);
    assert_eq!(json["Expiration"], expiration_z(&issued));
}

#[test]
fn thirty_two_writers_keep_every_profile_and_every_old_byte() {
    let w = World::new();
    let before = "# hand-written, keep me\n[default]\naws_access_key_id = AKIAKEEP\r\naws_secret_access_key = keep/me+\n\n; odd spacing\n[  spaced  ]\nx=1\n";
    std::fs::create_dir_all(w.aws_dir()).unwrap();
    std::fs::write(w.credentials_path(), before).unwrap();
    // Without the cache each writer fetches its own credentials, so the
    // writes race with distinct contents.
    let children = spawn_all(&w, |i| {
        vec![
            "-p".into(),
            "modern".into(),
            "-r".into(),
            READ_ONLY_ARN.into(),
            "--no-cache".into(),
            "--sink".into(),
            format!("credentials-file:writer-{i}"),
        ]
    });
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    let after = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(
        after.starts_with(before),
        "pre-existing bytes changed:\n{after}"
    );
    let sections = ssocred_core::store::profile::parse_sections(None, Some(&after)).unwrap();
    let issued = w.emulator.issued();
    assert_eq!(issued.len(), N);
    let mut keys: Vec<String> = (0..N)
        .map(|i| {
            let p = sections.get_profile(&format!("writer-{i}")).unwrap();
            let key = p.get("aws_access_key_id").unwrap().to_owned();
            let secret = issued.iter().find(|c| c.access_key_id == key).unwrap();
            assert_eq!(
                p.get("aws_secret_access_key"),
                Some(secret.secret_access_key.as_str())
            );
            assert_eq!(
                p.get("aws_session_token"),
                Some(secret.session_token.as_str())
            );
            key
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), N, "two writers got the same credentials");
    assert_eq!(
        ssocred_core::store::ini_edit::section_headers(&after).len(),
        N + 2
    );
}

//! The role-credential cache: hits, misses, the expiry window, corrupt
//! entries, `--no-cache` and `ssocred cache clear`.

use std::path::PathBuf;
use std::time::Duration;

use ssocred_emulator::Operation;

use crate::world::*;

const PROCESS: &[&str] = &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"];

pub fn cache_dir(w: &World) -> PathBuf {
    w.aws_dir().join("cli/cache")
}

/// The `.json` entries in the cache directory.
pub fn entries(w: &World) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(cache_dir(w)) else {
        return Vec::new();
    };
    let mut all: Vec<_> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    all.sort();
    all
}

fn calls(w: &World) -> u64 {
    w.emulator.count(Operation::GetRoleCredentials)
}

#[test]
fn a_second_call_is_answered_from_the_cache() {
    let w = World::new();
    let first = ok(&w.run(PROCESS));
    assert_eq!(calls(&w), 1);
    let [entry] = entries(&w).try_into().unwrap();
    assert_eq!(mode_of(&entry), PRIVATE_FILE);
    assert_eq!(mode_of(&cache_dir(&w)), PRIVATE_DIR);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    let issued = w.only_issued();
    assert_eq!(json["ProviderType"], "sso");
    assert_eq!(json["Credentials"]["AccessKeyId"], issued.access_key_id);
    assert_eq!(json["Credentials"]["Expiration"], expiration_z(&issued));

    let second = ok(&w.run(PROCESS));
    assert_eq!(calls(&w), 1, "the cache hit called the portal");
    assert_eq!(first, second);

    // The hit needs no SSO login: cached credentials outlive the token, as in the AWS CLI.
    std::fs::remove_dir_all(w.aws_dir().join("sso")).unwrap();
    assert_eq!(ok(&w.run(PROCESS)), first);
    // Every sink is served from the cache, not only `process`.
    ok(&w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "env"]));
    assert_eq!(calls(&w), 1);
    // A different role, or the same role through another login, is another entry.
    w.write_token("corp", TOKEN, "2099-01-01T00:00:00Z");
    w.write_token(
        "https://d-legacy.awsapps.com/start",
        TOKEN,
        "2099-01-01T00:00:00Z",
    );
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        "arn:aws:iam::123456789012:role/Admin",
        "--sink",
        "process",
    ]));
    ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "process"]));
    assert_eq!(calls(&w), 3);
    assert_eq!(entries(&w).len(), 3);
}

/// Every sink that needs nothing but the set is answered from the role
/// cache, with the output the fetch gave it: the file sinks write the same
/// bytes, and a file that already holds them is left alone.
#[test]
fn every_sink_gets_from_the_cache_what_the_fetch_gave_it() {
    let w = World::new();
    let sinks = [
        "process",
        "env",
        "env:fish",
        "env:powershell",
        "env:cmd",
        "json",
        "json:array",
        "dotenv",
        "docker-env",
        "template:credentials-ini",
        "template:github-actions",
    ];
    for (n, sink) in sinks.iter().enumerate() {
        let _ = std::fs::remove_dir_all(cache_dir(&w));
        let argv = ["-p", "modern", "-r", READ_ONLY_ARN, "--sink", sink];
        let fetched = ok(&w.run(&argv));
        assert_eq!(calls(&w), n as u64 + 1, "{sink}: the first call fetches");
        let cached = ok(&w.run(&argv));
        assert_eq!(calls(&w), n as u64 + 1, "{sink}: the second call fetched");
        assert_eq!(cached, fetched, "{sink}");
        assert!(!cached.is_empty(), "{sink}");
    }

    // A file sink, named or the default.
    let credentials = w.aws_dir().join("credentials");
    let before = calls(&w);
    let _ = std::fs::remove_dir_all(cache_dir(&w));
    let fetched = w.run(&["-p", "modern", "-r", READ_ONLY_ARN]);
    ok(&fetched);
    let written = std::fs::read_to_string(&credentials).unwrap();
    let modified = std::fs::metadata(&credentials).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let cached = w.run(&["-p", "modern", "-r", READ_ONLY_ARN]);
    ok(&cached);
    assert_eq!(calls(&w), before + 1);
    assert_eq!(std::fs::read_to_string(&credentials).unwrap(), written);
    assert_eq!(
        std::fs::metadata(&credentials).unwrap().modified().unwrap(),
        modified,
        "the credentials file was rewritten with what it held"
    );
    // The default sink says where the keys went, either way.
    assert!(
        stderr(&fetched).contains("wrote [default] in "),
        "{}",
        stderr(&fetched)
    );
    assert_eq!(stderr(&cached), stderr(&fetched));
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:other",
    ]));
    assert_eq!(calls(&w), before + 1);
    let both = std::fs::read_to_string(&credentials).unwrap();
    assert!(
        both.starts_with(&written) && both.contains("[other]"),
        "{both}"
    );
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    let w = World::new();
    let mut no_cache = PROCESS.to_vec();
    no_cache.push("--no-cache");
    ok(&w.run(&no_cache));
    assert!(entries(&w).is_empty());
    ok(&w.run(PROCESS));
    assert_eq!(calls(&w), 2);
    ok(&w.run(&no_cache));
    assert_eq!(calls(&w), 3);
    let out = w
        .cmd()
        .args(PROCESS)
        .env("SSOCRED_NO_CACHE", "1")
        .run_to_end();
    ok(&out);
    assert_eq!(calls(&w), 4);
}

#[test]
fn the_config_file_sets_the_cache_and_flags_and_environment_override_it() {
    let w = World::new();
    let config = w.home().join("ssocred.toml");
    std::fs::write(
        &config,
        "[cache]\nenabled = false\n\n[preset.cached.cache]\nenabled = true\nwindow_minutes = 5\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = w.cmd();
        cmd.args(PROCESS).args(["--config", config]).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        ok(&cmd.run_to_end());
    };
    // Off at the top level: every call reaches the portal, nothing is kept.
    with(&[], &[]);
    with(&[], &[]);
    assert_eq!((calls(&w), entries(&w).len()), (2, 0));
    // The environment turns it back on; the next call hits.
    with(&[], &[("SSOCRED_NO_CACHE", "0")]);
    with(&[], &[("SSOCRED_NO_CACHE", "false")]);
    assert_eq!((calls(&w), entries(&w).len()), (3, 1));
    // A preset turns it on, with its own window: ten minutes of life pass a
    // five-minute window but not the default fifteen.
    w.emulator.set_credential_lifetime(Duration::from_secs(600));
    for entry in entries(&w) {
        std::fs::remove_file(entry).unwrap();
    }
    with(&["--preset", "cached", "--no-cache"], &[]);
    assert_eq!(calls(&w), 4, "--no-cache beats the preset");
    with(&["--preset", "cached"], &[]);
    assert_eq!(
        calls(&w),
        5,
        "the entry from the --no-cache call was not written"
    );
    with(&["--preset", "cached"], &[]);
    assert_eq!(calls(&w), 5, "the preset's 5-minute window accepts it");
    with(&["--preset", "cached", "--cache-window", "15"], &[]);
    with(&["--preset", "cached"], &[("SSOCRED_CACHE_WINDOW", "15")]);
    assert_eq!(calls(&w), 7, "the flag and the environment beat the preset");
    // A value that is not a yes/no is an error naming the variable.
    let out = w
        .cmd()
        .args(PROCESS)
        .env("SSOCRED_NO_CACHE", "maybe")
        .run_to_end();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SSOCRED_NO_CACHE=maybe"));
    assert_eq!(calls(&w), 7);
}

#[test]
fn entries_close_to_expiry_are_refetched() {
    let w = World::new();
    // Ten minutes of life is inside the default fifteen-minute window.
    w.emulator.set_credential_lifetime(Duration::from_secs(600));
    ok(&w.run(PROCESS));
    ok(&w.run(PROCESS));
    assert_eq!(calls(&w), 2);
    let mut narrow = PROCESS.to_vec();
    narrow.extend(["--cache-window", "5"]);
    let out = ok(&w.run(&narrow));
    assert_eq!(calls(&w), 2, "a 5-minute window accepts a 10-minute entry");
    assert!(out.contains(&w.emulator.issued()[1].access_key_id));
    let out = w
        .cmd()
        .args(PROCESS)
        .env("SSOCRED_CACHE_WINDOW", "5")
        .run_to_end();
    ok(&out);
    assert_eq!(calls(&w), 2);
    // The window never falls below --refresh-before (plus a minute), or a
    // long-running refresh would get the same credentials back.
    narrow.extend(["--refresh-before", "600"]);
    ok(&w.run(&narrow));
    assert_eq!(calls(&w), 3);
}

#[test]
fn corrupt_entries_are_ignored_and_replaced() {
    let w = World::new();
    ok(&w.run(PROCESS));
    let [entry] = entries(&w).try_into().unwrap();
    for garbage in [
        &b""[..],
        b"{\"ProviderType\":\"sso\",\"Cred",
        b"\xff\x00garbage",
        b"[]",
    ] {
        std::fs::write(&entry, garbage).unwrap();
        let before = calls(&w);
        let out = w.run(&[PROCESS, &["-v"]].concat());
        let stdout = ok(&out);
        assert_eq!(calls(&w), before + 1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("unusable cache entry"), "{stderr}");
        let latest = w.emulator.issued().pop().unwrap();
        assert!(stdout.contains(&latest.access_key_id));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
        assert_eq!(json["Credentials"]["AccessKeyId"], latest.access_key_id);
    }
    // Well-formed entries whose values are hostile: each is ignored and
    // replaced, never a panic (a panic would dump a core holding the secret).
    let valid: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    for (field, value) in [
        ("Expiration", serde_json::json!("9999-12-31T23:59:59-23:59")),
        (
            "Expiration",
            serde_json::json!("-0001-01-01T00:00:00+23:59"),
        ),
        ("Expiration", serde_json::json!("2026-02-30T00:00:00Z")),
        ("Expiration", serde_json::json!(1e308)),
        ("Expiration", serde_json::json!(null)),
        ("AccessKeyId", serde_json::json!(-1)),
        ("SessionToken", serde_json::json!("")),
    ] {
        let mut hostile = valid.clone();
        hostile["Credentials"][field] = value.clone();
        std::fs::write(&entry, serde_json::to_vec(&hostile).unwrap()).unwrap();
        let before = calls(&w);
        let out = w.run(&[PROCESS, &["-v"]].concat());
        let stdout = ok(&out);
        assert_eq!(calls(&w), before + 1, "{field} = {value}");
        let latest = w.emulator.issued().pop().unwrap();
        assert!(stdout.contains(&latest.access_key_id), "{field} = {value}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
        assert_eq!(json["Credentials"]["AccessKeyId"], latest.access_key_id);
    }
    // A directory where the entry should be: still not fatal.
    std::fs::remove_file(&entry).unwrap();
    std::fs::create_dir(&entry).unwrap();
    ok(&w.run(PROCESS));
}

#[test]
fn an_unwritable_cache_is_not_fatal() {
    let w = World::new();
    std::fs::create_dir_all(w.aws_dir().join("cli")).unwrap();
    // A file where the cache directory should be.
    std::fs::write(cache_dir(&w), "not a directory").unwrap();
    let out = w.run(&[PROCESS, &["-v"]].concat());
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fetching without it"), "{stderr}");
}

#[test]
fn cache_clear_removes_sso_entries_only() {
    let w = World::new();
    ok(&w.run(PROCESS));
    ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "process"]));
    let other = cache_dir(&w).join("assume-role.json");
    std::fs::write(&other, r#"{"Credentials":{"AccessKeyId":"A"}}"#).unwrap();
    assert_eq!(entries(&w).len(), 3);
    let out = ok(&w.run(&["cache", "clear"]));
    assert!(
        out.starts_with("removed 2 cached role credential(s)"),
        "{out}"
    );
    assert_eq!(entries(&w), [other]);
    ok(&w.run(PROCESS));
    assert_eq!(calls(&w), 3);
    // Nothing to clear is fine too.
    let empty = World::new();
    let out = ok(&empty.run(&["cache", "clear"]));
    assert!(out.starts_with("removed 0"), "{out}");
}

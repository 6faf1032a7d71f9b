//! The dotenv, docker-env, json and template sinks through the real binary,
//! against the emulator's credentials.

use ssocred_emulator::{IssuedCredentials, Operation};

use crate::world::*;

fn vars(i: &IssuedCredentials, region: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", i.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", i.secret_access_key.clone()),
        ("AWS_SESSION_TOKEN", i.session_token.clone()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration_z(i)),
        ("AWS_REGION", region.to_owned()),
        ("AWS_DEFAULT_REGION", region.to_owned()),
    ]
}

#[test]
fn dotenv_prints_and_merges() {
    let w = World::new();
    let out = ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "dotenv"]));
    let i = w.only_issued();
    let expected: String = vars(&i, "eu-central-1")
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\"\n"))
        .collect();
    assert_eq!(out, expected);

    let env_file = w.home().join("app/.env");
    std::fs::create_dir_all(env_file.parent().unwrap()).unwrap();
    std::fs::write(&env_file, "# app\nPORT=8080\nAWS_REGION=old\n").unwrap();
    let mode_before = mode_of(&env_file);
    w.emulator.reset_counts();
    let out = ok(&w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "dotenv:app/.env",
    ]));
    assert_eq!(out, "");
    let i = w.emulator.issued().pop().unwrap();
    let v = vars(&i, "eu-central-1");
    let mut want = "# app\nPORT=8080\nAWS_REGION=\"eu-central-1\"\n".to_owned();
    for (k, val) in &v {
        if *k != "AWS_REGION" {
            want.push_str(&format!("{k}=\"{val}\"\n"));
        }
    }
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), want);
    // The user's file keeps the mode it had; only a file ssocred creates is
    // made private.
    assert_eq!(mode_of(&env_file), mode_before);
}

#[test]
fn docker_env_prints_unquoted_lines_and_writes_files() {
    let w = World::new();
    let out = ok(&w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "docker-env"]));
    let i = w.only_issued();
    let expected: String = vars(&i, "us-east-1")
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    assert_eq!(out, expected);
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "docker-env:path=aws.env",
    ]));
    let file = w.home().join("aws.env");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("AWS_ACCESS_KEY_ID=ASIA")
    );
    assert_eq!(mode_of(&file), PRIVATE_FILE);
}

#[test]
fn a_region_with_a_line_break_is_refused_before_any_sink_writes() {
    let w = World::new();
    let config = w.home().join("ssocred.toml");
    std::fs::write(&config, "region = \"eu-west-1\\nEVIL=1\"\n").unwrap();
    let sink = ["--sink", "docker-env:aws.env"];
    let role = ["-p", "modern", "-r", READ_ONLY_ARN];
    let flag = w.run(&[&role[..], &sink, &["--region", "eu-west-1\nEVIL=1"]].concat());
    let env = w
        .cmd()
        .args(role)
        .args(sink)
        .env("SSOCRED_REGION", "eu-west-1\nEVIL=1")
        .run_to_end();
    let file = w.run(&[&role[..], &sink, &["--config", config.to_str().unwrap()]].concat());
    for (out, code, names) in [
        (flag, 2, "--region"),
        (env, 2, "SSOCRED_REGION"),
        (file, 3, "ssocred.toml"),
    ] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(
            stderr.contains(names) && stderr.contains("not a region name"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(!w.home().join("aws.env").exists());
    assert!(w.emulator.issued().is_empty());
}

#[test]
fn json_prints_every_field() {
    let w = World::new();
    for spec in ["json", "json:array"] {
        w.emulator.reset_counts();
        let out = ok(&w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", spec]));
        let i = w.emulator.issued().pop().unwrap();
        let object = format!(
            "{{\"account_id\":\"{PROD}\",\"account_name\":null,\"role_name\":\"ReadOnly\",\"role_arn\":\"{READ_ONLY_ARN}\",\"access_key_id\":\"{}\",\"secret_access_key\":\"{}\",\"session_token\":\"{}\",\"expiration\":\"{}\",\"region\":\"us-east-1\",\"sso_profile\":\"modern\",\"sso_session\":\"corp\",\"start_url\":\"https://d-corp.awsapps.com/start\"}}",
            i.access_key_id,
            i.secret_access_key,
            i.session_token,
            expiration_z(&i)
        );
        let expected = if spec == "json" {
            format!("{object}\n")
        } else {
            format!("[{object}]\n")
        };
        assert_eq!(out, expected, "{spec}");
    }
}

#[test]
fn every_bundled_template_renders_from_the_installed_binary() {
    let w = World::new();
    for name in [
        "credentials-ini",
        "envrc",
        "github-actions",
        "k8s-secret",
        "powershell",
        "tfvars",
    ] {
        w.emulator.reset_counts();
        let out = ok(&w.run(&[
            "-p",
            "legacy",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            &format!("template:{name}"),
        ]));
        let i = w.emulator.issued().pop().unwrap();
        for value in [&i.access_key_id, &i.secret_access_key, &i.session_token] {
            assert!(out.contains(value.as_str()), "{name}: {out}");
        }
    }
}

#[test]
fn a_user_template_writes_a_private_file() {
    let w = World::new();
    std::fs::write(
        w.home().join("mine.hbs"),
        "{{upper role_name}} {{account_id}} {{sh secret_access_key}} {{date expiration \"[year]\"}}\n",
    )
    .unwrap();
    let out = ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "template:mine.hbs,out=out/creds.txt",
    ]));
    assert_eq!(out, "");
    let i = w.only_issued();
    let file = w.home().join("out/creds.txt");
    let year = &expiration_z(&i)[..4];
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("READONLY {PROD} '{}' {year}\n", i.secret_access_key)
    );
    assert_eq!(mode_of(&file), PRIVATE_FILE);
}

#[test]
fn template_errors_are_clear_write_nothing_and_call_nothing() {
    let w = World::new();
    std::fs::write(w.home().join("syntax.hbs"), "ok\n{{#each sets}}\n{{/if}}\n").unwrap();
    std::fs::write(w.home().join("typo.hbs"), "{{acces_key_id}}\n").unwrap();
    let cases: [(&str, &[&str], u64); 4] = [
        (
            "template:missing.hbs,out=o.txt",
            &["cannot read template file", "missing.hbs"],
            0,
        ),
        (
            "template:syntax.hbs,out=o.txt",
            &["template `syntax.hbs` line 3", "nothing was written"],
            0,
        ),
        (
            "template:typo.hbs,out=o.txt",
            &["unknown field `acces_key_id`", "strict mode", "line 1"],
            1,
        ),
        (
            "template:k8s,out=o.txt",
            &["no bundled template `k8s`", "k8s-secret"],
            0,
        ),
    ];
    for (spec, fragments, calls) in cases {
        w.emulator.reset_counts();
        let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", spec]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        for f in fragments {
            assert!(stderr.contains(f), "{spec}: `{f}` not in {stderr}");
        }
        assert!(out.stdout.is_empty(), "{spec}");
        assert!(!w.home().join("o.txt").exists(), "{spec}");
        // Unreadable or malformed templates fail before any network call.
        assert_eq!(
            w.emulator.count(Operation::GetRoleCredentials),
            calls,
            "{spec}"
        );
    }
}

// Unix only: makes a FIFO (mkfifo).
#[cfg(unix)]
#[test]
fn hostile_templates_exit_2_with_a_message_and_no_crash() {
    let w = World::new();
    let home = w.home();
    std::fs::write(
        home.join("rec.hbs"),
        r#"{{#*inline "p"}}{{> p}}{{/inline}}{{> p}}"#,
    )
    .unwrap();
    let nested = |n| format!("{}x{}", "{{#if count}}".repeat(n), "{{/if}}".repeat(n));
    std::fs::write(home.join("deep.hbs"), nested(3_000)).unwrap();
    std::fs::write(home.join("huge.hbs"), nested(20_000)).unwrap();
    std::fs::write(
        home.join("date.hbs"),
        r#"{{date "9999-12-31T23:59:59-23:59" "rfc3339"}}"#,
    )
    .unwrap();
    let fifo = home.join("fifo.hbs");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let cases: [(&str, &[&str], u64); 6] = [
        (
            "template:rec.hbs,out=o.txt",
            &["template `rec.hbs`", "the partial `p` includes itself"],
            0,
        ),
        (
            "template:deep.hbs,out=o.txt",
            &["template `deep.hbs`", "nest more than 64 levels"],
            0,
        ),
        (
            "template:huge.hbs,out=o.txt",
            &["huge.hbs", "larger than the 64 KiB"],
            0,
        ),
        (
            "template:/dev/zero,out=o.txt",
            &["/dev/zero", "not a regular file"],
            0,
        ),
        (
            "template:fifo.hbs,out=o.txt",
            &["fifo.hbs", "not a regular file"],
            0,
        ),
        (
            "template:date.hbs,out=o.txt",
            &["template `date.hbs`", "helper `date`", "out of range"],
            1,
        ),
    ];
    for (spec, fragments, calls) in cases {
        w.emulator.reset_counts();
        let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", spec]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Exit 2, not a panic (101) or a signal (no code).
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        assert!(!stderr.contains("panicked"), "{spec}: {stderr}");
        for f in fragments {
            assert!(stderr.contains(f), "{spec}: `{f}` not in {stderr}");
        }
        assert!(out.stdout.is_empty(), "{spec}");
        assert!(!home.join("o.txt").exists(), "{spec}");
        assert_eq!(
            w.emulator.count(Operation::GetRoleCredentials),
            calls,
            "{spec}"
        );
    }
}

#[test]
fn bad_sink_options_name_the_sink_and_option() {
    let w = World::new();
    for (spec, fragments) in [
        ("dotenv:.env,mode=600", ["sink `dotenv`", "mode"]),
        ("json:yaml", ["sink `json`", "yaml"]),
        (
            "docker-env:a,b",
            ["sink `docker-env`", "more than one argument"],
        ),
        ("process:x", ["sink `process`", "takes no argument"]),
    ] {
        let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", spec]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        for f in fragments {
            assert!(stderr.contains(f), "{spec}: `{f}` not in {stderr}");
        }
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
}

#[test]
fn sinks_verbose_documents_every_new_sink_and_the_syntax() {
    let w = World::new();
    let out = ok(&w.run(&["sinks", "--verbose"]));
    for fragment in [
        "usage: --sink dotenv[:PATH][,KEY=VALUE...]",
        "usage: --sink docker-env[:PATH][,KEY=VALUE...]",
        "usage: --sink json[:FORMAT][,KEY=VALUE...]",
        "usage: --sink template[:NAME|PATH][,KEY=VALUE...]",
        "format: ndjson (default: one object per line) or array",
        "out: write this file (atomic, 0600) instead of stdout",
        "template: a bundled template (credentials-ini, envrc, github-actions, k8s-secret, powershell, tfvars)",
        "A sink spec is NAME[:ARG][,KEY=VALUE...]",
    ] {
        assert!(out.contains(fragment), "`{fragment}` not in:\n{out}");
    }
}

/// `account_name` is filled in wherever the accounts were listed to pick
/// the role; a role named outright by ARN is fetched without a listing, and
/// its account name is null (documented).
#[test]
fn account_name_comes_with_a_role_picked_from_the_listing() {
    let w = World::new();
    let name_of = |args: &[&str]| {
        let json = ok_json(&w.run(&[args, &["--sink", "json"]].concat()));
        json["account_name"].clone()
    };
    assert_eq!(
        name_of(&["-p", "modern", "--account", "Dev*", "--role", "Developer"]),
        "Dev ünïcode 'quoted'"
    );
    assert_eq!(
        name_of(&["-p", "modern", "--account", PROD, "--role", "Read*"]),
        "Prod"
    );
    // A cache hit of the same role still carries the name of this run's listing.
    assert_eq!(
        name_of(&["-p", "modern", "--account", PROD, "--role", "Read*"]),
        "Prod"
    );
    assert_eq!(
        name_of(&["-p", "modern", "-r", READ_ONLY_ARN]),
        serde_json::Value::Null
    );
    assert_eq!(
        w.emulator.issued().len(),
        2,
        "the third run was a cache hit"
    );
}

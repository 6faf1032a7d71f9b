//! Every sink's whole output, for both profile styles.

use ssocred_emulator::Operation;

use crate::world::*;

/// The sinks the binary must list: one per `ssocred-sink-NAME` crate it
/// links (cli/build.rs reads them from cli/Cargo.toml), named NAME, sorted.
pub fn linked_sinks() -> Vec<&'static str> {
    let mut names: Vec<&str> = env!("SSOCRED_SINK_CRATES")
        .split(',')
        .map(|c| c.strip_prefix("ssocred-sink-").unwrap())
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn process_sink_prints_credential_process_json_for_both_profile_styles() {
    for (profile, region) in [("legacy", "eu-central-1"), ("modern", "us-east-1")] {
        let w = World::new();
        let out = ok(&w.run(&["-p", profile, "-r", READ_ONLY_ARN, "--sink", "process"]));
        let i = w.only_issued();
        assert_eq!(
            (i.account_id.as_str(), i.role_name.as_str()),
            (PROD, "ReadOnly")
        );
        let expected = format!(
            "{{\"Version\":1,\"AccessKeyId\":\"{}\",\"SecretAccessKey\":\"{}\",\"SessionToken\":\"{}\",\"Expiration\":\"{}\",\"AccountId\":\"{PROD}\"}}\n",
            i.access_key_id,
            i.secret_access_key,
            i.session_token,
            expiration_z(&i)
        );
        assert_eq!(out, expected, "profile {profile} (region {region})");
        assert!(
            !w.credentials_path().exists(),
            "process must not write files"
        );
    }
}

#[test]
fn env_sink_writes_every_shell_syntax() {
    let w = World::new();
    let cases = [
        ("env", "export {K}='{V}'\n"),
        ("env:sh", "export {K}='{V}'\n"),
        ("env:bash", "export {K}='{V}'\n"),
        ("env:zsh", "export {K}='{V}'\n"),
        ("env:no-export", "{K}='{V}'\n"),
        ("env:fish", "set -gx {K} '{V}';\n"),
        ("env:powershell", "$env:{K} = '{V}'\n"),
        ("env:cmd", "set \"{K}={V}\"\r\n"),
    ];
    for (spec, pattern) in cases {
        w.emulator.reset_counts();
        let out = ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", spec]));
        let i = w.emulator.issued().pop().unwrap();
        let exp = expiration_z(&i);
        let vars = [
            ("AWS_ACCESS_KEY_ID", i.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", i.secret_access_key.as_str()),
            ("AWS_SESSION_TOKEN", i.session_token.as_str()),
            ("AWS_CREDENTIAL_EXPIRATION", exp.as_str()),
            ("AWS_REGION", "eu-central-1"),
            ("AWS_DEFAULT_REGION", "eu-central-1"),
        ];
        let expected: String = vars
            .iter()
            .map(|(k, v)| pattern.replace("{K}", k).replace("{V}", v))
            .collect();
        assert_eq!(out, expected, "{spec}");
    }
}

// Unix only: evaluates the output with `sh`.
#[cfg(unix)]
#[test]
fn env_output_evaluated_by_sh_sets_exactly_the_credentials() {
    let w = World::new();
    let out = ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "env",
        "--region",
        "ap-south-1",
    ]));
    let i = w.only_issued();
    let script = format!(
        "{out}\nprintf '%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\" \"$AWS_REGION\" \"$AWS_DEFAULT_REGION\""
    );
    let shell = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .run_to_end();
    assert!(shell.status.success());
    let expected = format!(
        "{}\n{}\n{}\n{}\nap-south-1\nap-south-1\n",
        i.access_key_id,
        i.secret_access_key,
        i.session_token,
        expiration_z(&i)
    );
    assert_eq!(String::from_utf8(shell.stdout).unwrap(), expected);
}

/// The credentials-file sink keeps the mode of the file it rewrites (only
/// a file it creates is 0600), and refuses a read-only one, leaving it as
/// it was.
// Unix only: permission bits (a Windows file inherits its directory's ACL).
#[cfg(unix)]
#[test]
fn credentials_file_keeps_its_mode_and_a_read_only_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let path = w.credentials_path();
    let set =
        |bits: u32| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bits)).unwrap();
    let before = "[other]\naws_access_key_id = AKIAOTHER\n";
    std::fs::write(&path, before).unwrap();
    set(0o640);
    ok(&w.run(&["-p", "modern", "-r", READ_ONLY_ARN]));
    assert_eq!(mode_of(&path), Some(0o640));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[default]")
    );

    std::fs::write(&path, before).unwrap();
    set(0o444);
    let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(
        err.contains(&path.display().to_string()) && err.contains("read-only"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(mode_of(&path), Some(0o444));
}

#[test]
fn credentials_file_is_created_private_with_the_default_profile() {
    let w = World::new();
    assert!(!w.credentials_path().exists());
    let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN]);
    assert_eq!(ok(&out), "");
    let i = w.only_issued();
    let text = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert_eq!(
        text,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\nregion = us-east-1\n",
            i.access_key_id, i.secret_access_key, i.session_token
        )
    );
    assert_eq!(mode_of(&w.credentials_path()), PRIVATE_FILE);
}

/// The sink nobody chose writes static keys that go stale: the run says
/// which section of which file, and until when; `-q` and a chosen sink
/// keep it quiet.
#[test]
fn the_default_sink_says_what_it_wrote_where_and_until_when() {
    let w = World::new();
    let out = w.run(&["-p", "modern", "-r", READ_ONLY_ARN]);
    ok(&out);
    let clock = format!("{}Z", &expiration_z(&w.only_issued())[11..16]);
    let shown = std::path::Path::new("~").join(".aws").join("credentials");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "ssocred: wrote [default] in {}, expires {clock}\n",
            shown.display()
        )
    );

    // Outside the home directory the path is shown whole.
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("creds");
    let out = w
        .cmd()
        .env("AWS_SHARED_CREDENTIALS_FILE", &file)
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "ssocred: wrote [default] in {}, expires ",
            file.display()
        )),
        "{stderr}"
    );

    for quiet in [
        &["-p", "modern", "-r", READ_ONLY_ARN, "-q"][..],
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "credentials-file",
        ],
    ] {
        let out = w.run(quiet);
        ok(&out);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{quiet:?}");
    }
    assert!(
        std::fs::read_to_string(w.credentials_path())
            .unwrap()
            .starts_with("[default]\n")
    );
}

#[test]
fn credentials_file_in_a_missing_aws_dir_creates_it_0700() {
    let w = World::new();
    let elsewhere = w.home().join("fresh/.aws/credentials");
    let mut cmd = w.cmd();
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", &elsewhere);
    ok(&cmd.args(["-p", "legacy", "-r", READ_ONLY_ARN]).run_to_end());
    assert_eq!(mode_of(elsewhere.parent().unwrap()), PRIVATE_DIR);
    assert!(
        std::fs::read_to_string(&elsewhere)
            .unwrap()
            .starts_with("[default]\naws_access_key_id = ASIA")
    );
}

#[test]
fn credentials_file_keeps_every_byte_outside_the_written_section() {
    let w = World::new();
    let before = "# Managed by hand; do not lose this comment\n\
[default]\n\
aws_access_key_id=AKIAOLDDEFAULT ; old\n\
aws_secret_access_key   =   old/secret\n\
\n\
[work]   # the work profile\n\
region = eu-north-1\n\
aws_access_key_id = AKIAOLDWORK\n\
aws_secret_access_key = s3cr3t\n\
aws_session_token = oldtoken\n\
cli_pager=\n\
\n\
\n\
[personal]\n\
aws_access_key_id = AKIAPERSONAL\n\
\taws_secret_access_key = continuation-looking\n\
; between profiles\n\
[ci]\r\n\
aws_access_key_id = AKIACI\n\
[last]\n\
x = 1";
    std::fs::write(w.credentials_path(), before).unwrap();
    ok(&w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:work",
    ]));
    let i = w.only_issued();
    let after = std::fs::read_to_string(w.credentials_path()).unwrap();
    let expected = before.replace(
        "region = eu-north-1\naws_access_key_id = AKIAOLDWORK\naws_secret_access_key = s3cr3t\naws_session_token = oldtoken\n",
        &format!(
            "region = eu-central-1\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            i.access_key_id, i.secret_access_key, i.session_token
        ),
    );
    assert_ne!(expected, before);
    assert_eq!(after, expected);

    // A new profile is appended after a blank line; the rest stays.
    ok(&w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:brand-new",
    ]));
    let again = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(
        again.starts_with(&format!("{after}\n\n[brand-new]\naws_access_key_id = ")),
        "{again}"
    );
}

#[test]
fn several_sinks_are_served_from_one_api_call() {
    let w = World::new();
    let out = ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "env",
        "--sink",
        "credentials-file:both",
        "--sink",
        "process",
    ]));
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
    let i = w.only_issued();
    assert!(out.starts_with(&format!("export AWS_ACCESS_KEY_ID='{}'\n", i.access_key_id)));
    assert!(out.ends_with(&format!("\"AccountId\":\"{PROD}\"}}\n")));
    let creds = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(creds.contains(&format!(
        "[both]\naws_access_key_id = {}\n",
        i.access_key_id
    )));
}

#[test]
fn predecessor_flags_are_aliases() {
    let w = World::new();
    let env = ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--env_vars"]));
    assert!(env.starts_with("export AWS_ACCESS_KEY_ID='ASIA"), "{env}");
    let json = ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--external-source"]));
    assert!(json.starts_with("{\"Version\":1,"), "{json}");
    assert!(!w.credentials_path().exists());
}

#[test]
fn roles_by_account_and_name_and_from_the_profile() {
    let w = World::new();
    let out = ok(&w.run(&[
        "-p",
        "modern",
        "--account",
        DEV,
        "--role",
        "My.Role+x=y,z@w",
        "--sink",
        "process",
    ]));
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "My.Role+x=y,z@w")
    );
    assert!(out.contains(&format!("\"AccountId\":\"{DEV}\"")));

    let w = World::new();
    ok(&w.run(&["-p", "pinned", "--sink", "process"]));
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "Developer")
    );
}

#[test]
fn aws_profile_and_generic_endpoint_variables_are_honoured() {
    let w = World::new();
    let url = w.emulator.url();
    let mut cmd = w.cmd();
    cmd.env_remove("AWS_ENDPOINT_URL_SSO")
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_PROFILE", "modern");
    ok(&cmd
        .args(["-r", READ_ONLY_ARN, "--sink", "process"])
        .run_to_end());
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
}

#[test]
fn throttling_is_retried() {
    let w = World::new();
    // Request 1 passes; request 2 is throttled, its retry (3) passes.
    w.emulator.set_throttle_every(Some(2));
    // --no-cache: the second call must reach the portal, not the role cache.
    let args = [
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "process",
        "--no-cache",
    ];
    ok(&w.run(&args));
    let out = ok(&w.run(&args));
    assert!(out.starts_with("{\"Version\":1"));
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 3);
    assert_eq!(w.emulator.throttled(), 1);
}

#[test]
fn sinks_lists_exactly_the_registered_sinks() {
    let w = World::new();
    let out = ok(&w.run(&["sinks"]));
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, linked_sinks());
    for line in out.lines() {
        assert!(
            line.split_whitespace().count() > 2,
            "no description: {line}"
        );
    }
    let verbose = ok(&w.run(&["sinks", "--verbose"]));
    assert!(verbose.contains("usage: --sink env[:SHELL]"), "{verbose}");
}

#[test]
fn verbose_output_never_shows_secrets() {
    let w = World::new();
    let out = w.run(&[
        "-v",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file",
    ]);
    ok(&out);
    let i = w.only_issued();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("GetRoleCredentials"), "{stderr}");
    for secret in [TOKEN, &i.secret_access_key, &i.session_token] {
        assert!(!stderr.contains(secret), "secret in stderr: {stderr}");
    }
}

#[test]
fn the_example_sink_registers_and_runs_with_only_its_dependency_line() {
    // Linked through its one line in cli/Cargo.toml, under the feature of
    // its name that scripts/test turns on; listed only when linked.
    let w = World::new();
    let listed = ok(&w.run(&["sinks", "--verbose"]));
    let linked = cfg!(feature = "ssocred-sink-example");
    assert_eq!(linked_sinks().contains(&"example"), linked);
    let described = listed
        .lines()
        .any(|l| l.starts_with("example ") && l.contains("ACCOUNT_ID ROLE_NAME lines"));
    assert_eq!(described, linked, "{listed}");
    if !linked {
        let out = w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "example"]);
        assert_eq!(out.status.code(), Some(2));
        return;
    }
    // Its option help comes from the doc comment of its options field.
    assert!(
        listed.contains("    prefix: the text before each line (default: none)\n"),
        "{listed}"
    );
    let out = ok(&w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "example:> "]));
    assert_eq!(out, format!("> {PROD} ReadOnly\n"));
    let out = w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "example,colour=red",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sink `example`: bad option"));
}

#[test]
fn a_role_sink_chosen_for_credentials_is_refused_before_any_call() {
    let w = World::new();
    let out = w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "config-profiles",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "sink `config-profiles`: writes profiles of discovered roles, not credentials; use it with `ssocred discover`"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    let config = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(!config.contains("ssocred discover"), "{config}");
}

#[test]
fn config_check_and_show_validate_sinks_without_opening_ports_or_files() {
    let w = World::new();
    // A port in use: building the serve sink would fail to bind it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let template = w.home().join("missing.hbs");
    let config = w.home().join("team.toml");
    std::fs::write(
        &config,
        format!(
            // A literal string: a Windows path's `\` is no escape there.
            "profile = \"legacy\"\nsinks = [\"serve,listen=127.0.0.1:{port}\", 'template:{}']\n",
            template.display()
        ),
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let out = ok(&w.run(&["config", "check", path]));
    assert_eq!(out, format!("{path}: ok (no presets)\n"));
    let out = ok(&w.run(&["config", "show", "--config", path]));
    assert!(out.contains(&format!("listen=127.0.0.1:{port}")), "{out}");
    assert!(!template.exists());
    // Building them is what reports the port and the file.
    let out = w.run(&["--config", path, "-r", READ_ONLY_ARN]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    drop(taken);
}

//! Discovery: `ssocred list`, `ssocred discover`, `--all` and the chooser,
//! against the emulator, with the portal calls counted.

use std::process::Output;
use std::time::Duration;

use ssocred_emulator::{Account, EmulatorConfig, Operation};

use crate::world::*;

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn counts(w: &World) -> (u64, u64, u64) {
    (
        w.emulator.count(Operation::ListAccounts),
        w.emulator.count(Operation::ListAccountRoles),
        w.emulator.count(Operation::GetRoleCredentials),
    )
}

const TABLE: &str = "\
ACCOUNT ID    ACCOUNT NAME          ROLE             ROLE ARN
123456789012  Prod                  ReadOnly         arn:aws:iam::123456789012:role/ReadOnly
123456789012  Prod                  Admin            arn:aws:iam::123456789012:role/Admin
210987654321  Dev ünïcode 'quoted'  Developer        arn:aws:iam::210987654321:role/Developer
210987654321  Dev ünïcode 'quoted'  My.Role+x=y,z@w  arn:aws:iam::210987654321:role/My.Role+x=y,z@w
";

#[test]
fn list_prints_every_role_with_the_fewest_calls() {
    let w = World::new();
    assert_eq!(ok(&w.run(&["list", "-p", "modern"])), TABLE);
    assert_eq!(counts(&w), (1, 2, 0));

    let json = ok(&w.run(&["list", "-p", "legacy", "--json", "--role", "my.*"]));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!([{
            "account_id": DEV,
            "account_name": "Dev ünïcode 'quoted'",
            "role_name": "My.Role+x=y,z@w",
            "role_arn": "arn:aws:iam::210987654321:role/My.Role+x=y,z@w",
        }])
    );
}

/// One huge account name among many accounts: the table's name column is
/// capped, so the name is cut with a mark instead of padding every row
/// (900 KB once made `list` write 360 MB); `--json` keeps it whole.
#[test]
fn a_huge_account_name_is_cut_and_pads_no_row() {
    let huge = "N".repeat(200_000);
    let w = World::with_emulator(
        EmulatorConfig::generated(100, 1)
            .account(Account::new("333333333333", &huge).role("Dev"))
            .with_token(TOKEN),
    );
    let table = ok(&w.run(&["list", "-p", "modern", "-q"]));
    assert_eq!(table.lines().count(), 102, "{}", &table[..300]);
    assert!(
        table.len() < 64 * 1024,
        "the table is {} bytes",
        table.len()
    );
    let cut = format!("333333333333  {}…  Dev  ", "N".repeat(63));
    assert!(table.contains(&cut), "{}", &table[..300]);
    let json = ok(&w.run(&["list", "-p", "modern", "-q", "--json", "--account", "3*"]));
    assert!(json.contains(&huge), "--json keeps the name whole");
}

#[test]
fn pagination_edges() {
    // No accounts at all: one call, a header and nothing else.
    let w = World::with_emulator(EmulatorConfig::new().with_token(TOKEN));
    let out = ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(counts(&w), (1, 0, 0));

    // Exactly one full page: ssocred asks for 100, gets 100 and no token.
    let w = World::with_emulator(
        EmulatorConfig::generated(100, 1)
            .with_token(TOKEN)
            .page_size(100),
    );
    let out = ok(&w.run(&["list", "-p", "modern", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(counts(&w), (1, 100, 0));

    // A last page that is empty but was promised by a nextToken, for the
    // account listing and every role listing.
    let w = World::with_emulator(
        EmulatorConfig::generated(7, 2)
            .with_token(TOKEN)
            .page_size(3)
            .trailing_empty_page(true),
    );
    let out = ok(&w.run(&["list", "-p", "modern", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["account_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..7)
        .flat_map(|i| {
            let id = format!("{:012}", 100_000_000_000u64 + i);
            [id.clone(), id]
        })
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(counts(&w), (4, 14, 0));
}

#[test]
fn many_accounts_are_listed_in_order_with_minimum_calls() {
    let w = World::with_emulator(
        EmulatorConfig::generated(250, 3)
            .with_token(TOKEN)
            .page_size(100),
    );
    let out = ok(&w.run(&["list", "-p", "modern", "--concurrency", "7"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 750);
    assert!(
        lines[1].starts_with("100000000000  account-0  "),
        "{}",
        lines[1]
    );
    assert!(
        lines[750].starts_with("100000000249  account-249"),
        "{}",
        lines[750]
    );
    assert!(lines[750].ends_with("role/Developer"), "{}", lines[750]);
    assert_eq!(counts(&w), (3, 250, 0));
}

#[test]
fn throttling_is_retried_until_the_give_up_time() {
    let w = World::with_emulator(
        EmulatorConfig::generated(30, 2)
            .with_token(TOKEN)
            .throttle_every(4),
    );
    let out = ok(&w.run(&["list", "-p", "modern", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 60);
    let throttled = w.emulator.throttled();
    assert!(throttled >= 7, "only {throttled} throttled");
    let (accounts, roles, _) = counts(&w);
    assert_eq!(accounts + roles, 2 + 30 + throttled);

    // A portal that never lets a call through: exit 6 once the give-up time
    // (shortened here) has passed with no success.
    w.emulator.set_throttle_every(Some(1));
    w.emulator.reset_counts();
    let out = w
        .cmd()
        .env("SSOCRED_THROTTLE_GIVE_UP_SECS", "1")
        .args(["list", "-p", "modern", "--refresh"])
        .run_to_end();
    assert_eq!(code(&out), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("throttled (429): no call to the portal succeeded for 1 s"),
        "{}",
        stderr(&out)
    );
    let (accounts, roles, credentials) = counts(&w);
    assert!(accounts >= 2, "ListAccounts sent {accounts} times");
    assert_eq!((roles, credentials), (0, 0));
    assert!(out.stdout.is_empty());
}

#[test]
fn unauthorized_stops_the_listing_at_once() {
    let w = World::with_emulator(
        EmulatorConfig::generated(60, 1)
            .with_token(TOKEN)
            .page_size(5)
            .latency(Duration::from_millis(150)),
    );
    // Revoke the token as soon as the first role listing arrives: it is
    // answered 401 once its latency has passed.
    std::thread::scope(|scope| {
        let emulator = &w.emulator;
        scope.spawn(move || {
            while emulator.count(Operation::ListAccountRoles) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            emulator.revoke_tokens();
        });
        let out = w.run(&["list", "-p", "modern", "--concurrency", "2"]);
        assert_eq!(code(&out), Some(4), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("rejected the access token of profile `modern` (401)")
                && err.contains("ssocred login -p modern"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    });
    let (accounts, roles, _) = counts(&w);
    assert!(
        accounts <= 3 && roles <= 4,
        "kept going: {accounts} {roles}"
    );

    let out = w.run(&["discover", "-p", "modern"]);
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    assert!(
        !std::fs::read_to_string(w.config_path())
            .unwrap()
            .contains("BEGIN")
    );
}

fn block(instance: &str, profiles: &[(&str, String)]) -> String {
    let mut out = format!(
        "# BEGIN ssocred discover: {instance}\n# Written by `ssocred discover`; edits inside this block are replaced on the next run.\n"
    );
    for (name, body) in profiles {
        out.push_str(&format!("\n[profile {name}]\n{body}"));
    }
    out.push_str(&format!("\n# END ssocred discover: {instance}\n"));
    out
}

fn process_profile(profile: &str, arn: &str, region: &str) -> String {
    format!(
        "credential_process = {} -p {profile} -r {arn} --sink process\nregion = {region}\n",
        program_word()
    )
}

/// How discover writes ssocred's path: in double quotes for `sh` and
/// `shlex`; bare on Windows, where `cmd.exe /C` and botocore read quotes
/// differently (docs/commands.md).
fn program_word() -> String {
    let exe = env!("CARGO_BIN_EXE_ssocred");
    if cfg!(windows) {
        // The path as ssocred.exe sees itself: the build names it by its
        // Linux path when cross-compiled (scripts/cross-check).
        dunce::canonicalize(exe).unwrap().display().to_string()
    } else {
        format!("\"{exe}\"")
    }
}

/// Each discovered line runs as this system's readers run it, and prints
/// that role's credentials: through the shell as the Rust and Go SDKs do
/// (`sh -c`, or `cmd.exe /C` on Windows, given the line as one argument),
/// and split into words run directly as botocore does.
#[test]
fn discovered_lines_run_as_the_sdks_and_botocore_run_them() {
    let w = World::new();
    ok(&w.run(&["discover", "-p", "modern"]));
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("credential_process = "))
        .collect();
    assert!(lines.len() >= 2, "{text}");
    let (shell, flag) = if cfg!(windows) {
        ("cmd.exe", "/C")
    } else {
        ("sh", "-c")
    };
    for line in lines {
        let role = line
            .split(" -r ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let through_shell = w.command(shell).arg(flag).arg(line).run_to_end();
        let words = ssocred_core::domain::command_line::COMMAND_LINE_RULES
            .split(line)
            .unwrap();
        let program = std::path::Path::new(&words[0]).file_stem();
        assert_eq!(program.and_then(|p| p.to_str()), Some("ssocred"), "{line}");
        let split = w.command(&words[0]).args(&words[1..]).run_to_end();
        for out in [through_shell, split] {
            let got = ok_json(&out);
            assert_eq!(got["Version"], 1, "{line}");
            let issued = w.emulator.issued();
            let last = issued.last().unwrap();
            assert_eq!(got["AccessKeyId"], last.access_key_id, "{line}");
            assert!(role.ends_with(&format!("/{}", last.role_name)), "{line}");
        }
    }
}

/// A versioned install reached through a link on PATH, as Homebrew makes
/// it: `brew/Cellar/ssocred/VERSION/bin/ssocred`, and `brew/bin/ssocred`
/// leading to it.
// Unix only: a symbolic link needs a privilege on Windows, where package
// managers use shims instead.
#[cfg(unix)]
fn brew_install(root: &std::path::Path, version: &str) {
    let dir = root.join("Cellar/ssocred").join(version).join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("ssocred");
    let built = env!("CARGO_BIN_EXE_ssocred");
    if std::fs::hard_link(built, &exe).is_err() {
        std::fs::copy(built, &exe).unwrap();
    }
    let link = root.join("bin/ssocred");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&exe, &link).unwrap();
}

/// A line written by a versioned install run through its link on PATH names
/// the link, so it still runs after an upgrade has deleted that version.
// Unix only, as `brew_install`.
#[cfg(unix)]
#[test]
fn discovered_lines_name_the_link_on_path_and_survive_an_upgrade() {
    let w = World::new();
    let root = w.home().join("brew");
    brew_install(&root, "1.0");
    let line = discover_as(&w, &root.join("bin"), "ssocred");
    let line = line.as_str();

    // The upgrade: a new version, the old one deleted, the link moved.
    brew_install(&root, "2.0");
    std::fs::remove_dir_all(root.join("Cellar/ssocred/1.0")).unwrap();
    let got = ok_json(&w.command("sh").args(["-c", line]).run_to_end());
    assert_eq!(got["Version"], 1, "{line}");
    assert_eq!(
        got["AccessKeyId"],
        w.emulator.issued().last().unwrap().access_key_id
    );
}

/// Run through a link of another name on PATH, a line names that link: the
/// name comes from the command line's first word, which ssocred's own entry
/// point reads from `argv` (without it, the line would name the versioned
/// file the link leads to).
// Unix only, as `brew_install`.
#[cfg(unix)]
#[test]
fn discovered_lines_name_the_link_that_was_run_under_its_own_name() {
    let w = World::new();
    let root = w.home().join("brew");
    brew_install(&root, "1.0");
    let link = root.join("bin/creds");
    std::os::unix::fs::symlink(root.join("Cellar/ssocred/1.0/bin/ssocred"), &link).unwrap();
    std::fs::remove_file(root.join("bin/ssocred")).unwrap();
    discover_as(&w, &root.join("bin"), "creds");
}

/// Runs `NAME discover -p modern` from a shell, `dir` first on PATH, and
/// returns the first `credential_process` line written, checked to name
/// `dir/NAME`, the link that was run.
// Unix only, as `brew_install`.
#[cfg(unix)]
fn discover_as(w: &World, dir: &std::path::Path, name: &str) -> String {
    let mut path = vec![dir.to_path_buf()];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    let path = std::env::join_paths(path).unwrap();
    let out = w
        .command("sh")
        .env("PATH", &path)
        .args(["-c", &format!("{name} discover -p modern")])
        .run_to_end();
    ok(&out);
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("credential_process = "))
        .unwrap_or_else(|| panic!("no credential_process line:\n{text}"));
    let link = dir.join(name);
    assert!(
        line.starts_with(&format!("\"{}\" -p modern -r ", link.display())),
        "{text}"
    );
    line.to_owned()
}

#[test]
fn discover_writes_a_managed_block_and_reruns_identically() {
    let w = World::new();
    let user = format!(
        "# my settings\n{CONFIG}\n[profile 123456789012-Admin]\nregion = hand-written\n; the end\n"
    );
    w.write_config(&user);
    let out = w.run(&["discover", "-p", "modern"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("profile `123456789012-Admin` already exists outside ssocred's block")
            && err.contains("3 added"),
        "{err}"
    );
    let arn = |a: &str, r: &str| format!("arn:aws:iam::{a}:role/{r}");
    let expected = format!(
        "{user}\n{}",
        block(
            "sso-session corp",
            &[
                (
                    "123456789012-ReadOnly",
                    process_profile("modern", &arn(PROD, "ReadOnly"), "us-east-1")
                ),
                (
                    "210987654321-Developer",
                    process_profile("modern", &arn(DEV, "Developer"), "us-east-1")
                ),
                (
                    "210987654321-My.Role+x_y_z@w",
                    process_profile("modern", &arn(DEV, "My.Role+x=y,z@w"), "us-east-1")
                ),
            ]
        )
    );
    let first = std::fs::read_to_string(w.config_path()).unwrap();
    assert_eq!(first, expected);
    assert_eq!(counts(&w), (1, 2, 0), "discovery fetches no credentials");

    ok(&w.run(&["discover", "-p", "modern"]));
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), first);
    // The predecessor's flag does the same.
    ok(&w.run(&["-p", "modern", "--discover-roles"]));
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), first);
}

/// `discover` keeps the mode of the config it rewrites (a 0644 config
/// stayed 0600), and refuses a read-only one, leaving it as it was.
// Unix only: permission bits (a Windows file inherits its directory's ACL).
#[cfg(unix)]
#[test]
fn discover_keeps_the_configs_mode_and_refuses_a_read_only_config() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let set = |bits: u32| {
        std::fs::set_permissions(w.config_path(), std::fs::Permissions::from_mode(bits)).unwrap()
    };
    set(0o644);
    ok(&w.run(&["discover", "-p", "modern"]));
    assert_eq!(mode_of(&w.config_path()), Some(0o644));
    assert!(
        std::fs::read_to_string(w.config_path())
            .unwrap()
            .contains("credential_process")
    );

    w.write_config(CONFIG);
    set(0o444);
    let out = w.run(&["discover", "-p", "modern"]);
    assert_eq!(code(&out), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&w.config_path().display().to_string()) && err.contains("read-only"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), CONFIG);
    assert_eq!(mode_of(&w.config_path()), Some(0o444));
}

#[test]
fn prune_dry_run_and_names() {
    let w = World::with_emulator(
        EmulatorConfig::new()
            .account(Account::new(PROD, "Prod EU").role("ReadOnly").role("Admin"))
            .with_token(TOKEN),
    );
    ok(&w.run(&[
        "discover",
        "-p",
        "legacy",
        "--profile-name",
        "{{lower account_name}}.{{role_name}}",
        "--region",
        "ap-south-1",
    ]));
    let first = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(first.starts_with(CONFIG), "{first}");
    assert!(
        first.contains("\n[profile prod_eu.Admin]\ncredential_process = "),
        "{first}"
    );
    assert!(first.contains("-p legacy -r arn:aws:iam::123456789012:role/Admin --sink process\nregion = ap-south-1\n"), "{first}");
    assert!(
        first.contains("# BEGIN ssocred discover: start URL https://d-legacy.awsapps.com/start\n"),
        "{first}"
    );

    // Admin is unassigned: kept without --prune, shown then removed with it.
    let w2 = World::with_emulator(
        EmulatorConfig::new()
            .account(Account::new(PROD, "Prod EU").role("ReadOnly"))
            .with_token(TOKEN),
    );
    w2.write_config(&first);
    let args = [
        "discover",
        "-p",
        "legacy",
        "--profile-name",
        "{{lower account_name}}.{{role_name}}",
        "--region",
        "ap-south-1",
    ];
    ok(&w2.run(&args));
    assert_eq!(std::fs::read_to_string(w2.config_path()).unwrap(), first);
    let diff = ok(&w2.run(&[&args[..], &["--prune", "--dry-run"]].concat()));
    assert_eq!(
        std::fs::read_to_string(w2.config_path()).unwrap(),
        first,
        "dry run wrote"
    );
    let path = w2.config_path().display().to_string();
    assert!(
        diff.starts_with(&format!("--- {path}\n+++ {path}\n@@ ")),
        "{diff}"
    );
    assert!(
        diff.contains("\n-[profile prod_eu.Admin]\n-credential_process = "),
        "{diff}"
    );
    assert_eq!(
        diff.lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count(),
        0,
        "{diff}"
    );
    ok(&w2.run(&[&args[..], &["--prune"]].concat()));
    let pruned = std::fs::read_to_string(w2.config_path()).unwrap();
    assert!(
        !pruned.contains("Admin") && pruned.contains("[profile prod_eu.ReadOnly]"),
        "{pruned}"
    );

    // No roles assigned at all: the block is kept, and --prune removes it,
    // leaving the user's lines as they were.
    let w_none = World::with_emulator(EmulatorConfig::new().with_token(TOKEN));
    w_none.write_config(&pruned);
    let kept = ok(&w_none.run(&args));
    assert!(kept.is_empty(), "{kept}");
    assert_eq!(
        std::fs::read_to_string(w_none.config_path()).unwrap(),
        pruned
    );
    let out = w_none.run(&[&args[..], &["--prune"]].concat());
    ok(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("profile `legacy` has no roles assigned")
            && said.contains("0 added, 0 changed, 0 unchanged, 1 removed"),
        "{said}"
    );
    let emptied = std::fs::read_to_string(w_none.config_path()).unwrap();
    assert!(!emptied.contains("ssocred discover"), "{emptied}");
    assert_eq!(emptied.trim_end(), CONFIG.trim_end());

    // Two roles, one name: an error naming both, nothing written.
    let w3 = World::new();
    let out = w3.run(&[
        "discover",
        "-p",
        "modern",
        "--profile-name",
        "{{account_id}}",
    ]);
    assert_eq!(code(&out), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("role/ReadOnly")
            && err.contains("role/Admin")
            && err.contains("`123456789012`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(w3.config_path()).unwrap(), CONFIG);
    let out = w3.run(&["discover", "-p", "modern", "--profile-name", "{{acount}}"]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("--profile-name"), "{}", stderr(&out));
}

#[test]
fn discover_sso_style_writes_native_profiles() {
    let w = World::new();
    ok(&w.run(&["discover", "-p", "modern", "--style", "sso"]));
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(text.contains("[profile 210987654321-Developer]\nsso_session = corp\nsso_account_id = 210987654321\nsso_role_name = Developer\nregion = us-east-1\n"), "{text}");
    assert!(!text.contains("credential_process"), "{text}");
    // The same names in another instance's block count as taken.
    let out = ok_err(&w.run(&["discover", "-p", "legacy", "--style", "sso"]));
    assert!(out.contains("4 skipped"), "{out}");
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), text);
    ok(&w.run(&[
        "discover",
        "-p",
        "legacy",
        "--style",
        "sso",
        "--profile-name",
        "legacy-{{account_id}}-{{role_name}}",
    ]));
    let both = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(both.starts_with(&text), "{both}");
    assert!(both.contains("[profile legacy-123456789012-Admin]\nsso_start_url = https://d-legacy.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-central-1\n"), "{both}");
}

/// stderr of a successful run.
fn ok_err(out: &Output) -> String {
    ok(out);
    stderr(out)
}

#[test]
fn all_streams_every_matching_role() {
    let w = World::new();
    ok(&w.run(ALL_DEV));
    let issued = w.emulator.issued();
    assert_eq!(issued.len(), 2);
    let creds = std::fs::read_to_string(w.credentials_path()).unwrap();
    for i in &issued {
        let name = all_dev_profile(&i.role_name);
        assert!(
            creds.contains(&format!(
                "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                i.access_key_id, i.secret_access_key
            )),
            "{creds}"
        );
    }
    assert_eq!(creds.matches("aws_access_key_id").count(), 2);

    // A one-set sink refuses several before any credentials are fetched.
    w.emulator.reset_counts();
    let before = w.emulator.issued().len();
    let out = w.run(&["-p", "modern", "--all", "--sink", "env"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sink `env`: holds one credential set, but this run produced 4"),
        "{}",
        stderr(&out)
    );
    assert_eq!(w.emulator.issued().len(), before);
    assert!(out.stdout.is_empty());

    // Without --all, patterns must pick exactly one role.
    let out = ok(&w.run(&[
        "-p",
        "modern",
        "--account",
        "Prod",
        "--role",
        "admin",
        "--sink",
        "process",
    ]));
    assert!(out.contains(&format!("\"AccountId\":\"{PROD}\"")), "{out}");
    assert_eq!(w.emulator.issued().last().unwrap().role_name, "Admin");
    let out = w.run(&["-p", "modern", "--account", "Prod", "--sink", "process"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("2 roles match --account 'Prod'") && stderr(&out).contains("--all"),
        "{}",
        stderr(&out)
    );
    let out = w.run(&["-p", "modern", "--account", "nomatch*", "--all"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("no role of profile `modern` matches --account 'nomatch*'"),
        "{}",
        stderr(&out)
    );
    // A role name almost right gets the closest names of the listing.
    let out = w.run(&["-p", "modern", "--role", "Admn", "--sink", "process"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("matches --role 'Admn'; did you mean `Admin`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_a_terminal_the_chooser_explains_how_to_pass_a_role() {
    let w = World::new();
    let out = w.run(&["-p", "modern"]);
    assert_eq!(code(&out), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no terminal for the interactive chooser")
            && err.contains("-r/--role-arn ARN"),
        "{err}"
    );
    assert_eq!(counts(&w), (0, 0, 0), "no call before the usage error");
}

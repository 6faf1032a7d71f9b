//! `ssocred docker-credential` and `docker-credential-ssocred`: Docker's
//! credential-helper protocol for ECR registries, against the emulator's
//! ECR `GetAuthorizationToken`, which names the role each password belongs
//! to.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use ssocred_emulator::Operation;
use ssocred_test_support::run_with_stdin;

use crate::world::*;

const NOT_FOUND: &str = "credentials not found in native keychain\n";
/// A registry of the `pinned` profile's own account (DEV), whose default
/// role is Developer.
const DEV_REGISTRY: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
const PROD_REGISTRY: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

/// `ssocred docker-credential ACTION` in the world, ECR at the emulator,
/// the `pinned` profile as the default.
fn helper_cmd(w: &World, action: &str) -> Command {
    let mut cmd = w.cmd();
    cmd.args(["docker-credential", action])
        .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
        .env("AWS_PROFILE", "pinned");
    cmd
}

fn get(w: &World, url: &str) -> Output {
    run_with_stdin(&mut helper_cmd(w, "get"), url.as_bytes())
}

/// The `{"ServerURL","Username","Secret"}` of a successful `get`.
fn answer(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn secret(out: &Output) -> String {
    answer(out)["Secret"].as_str().unwrap().to_owned()
}

/// The account and role whose credentials asked for `password`.
fn owner(w: &World, password: &str) -> (String, String, String) {
    let o = w
        .emulator
        .ecr_token_owner(password)
        .expect("the emulator never issued this password");
    (o.account_id, o.role_name, o.region)
}

fn assert_not_found(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), NOT_FOUND);
}

fn write_ssocred_config(w: &World, text: &str) {
    let dir = w.home().join(".config/ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Every call the emulator received: portal, ECR, OIDC and federation.
fn ecr_dir(w: &World) -> PathBuf {
    w.home().join(".cache/ssocred/ecr")
}

#[test]
fn every_form_of_a_registry_url_gets_the_default_roles_token() {
    for url in [
        DEV_REGISTRY,
        "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com",
        "HTTPS://210987654321.DKR.ECR.EU-WEST-1.AMAZONAWS.COM/",
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com/v2/",
        "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com:443",
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com\n",
    ] {
        let w = World::new();
        let out = get(&w, url);
        let doc = answer(&out);
        assert_eq!(doc["ServerURL"], url.trim(), "{url:?}");
        assert_eq!(doc["Username"], "AWS");
        let password = doc["Secret"].as_str().unwrap();
        assert_eq!(
            owner(&w, password),
            (
                DEV.to_owned(),
                "Developer".to_owned(),
                "eu-west-1".to_owned()
            ),
            "{url:?}"
        );
        assert_eq!(w.emulator.count(Operation::GetAuthorizationToken), 1);
        assert_eq!(w.only_issued().role_name, "Developer");
    }
}

/// China, FIPS and dual-stack registries get a token signed for their own
/// region (the emulator reads it from the SigV4 credential scope).
#[test]
fn china_fips_and_dual_stack_registries_get_tokens_of_their_region() {
    let w = World::new();
    for (host, region) in [
        (
            "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "cn-north-1",
        ),
        (
            "210987654321.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "us-gov-west-1",
        ),
        (
            "https://210987654321.dkr-ecr.ap-southeast-2.on.aws/",
            "ap-southeast-2",
        ),
        ("210987654321.DKR-ECR-FIPS.us-east-2.ON.AWS", "us-east-2"),
    ] {
        let password = secret(&get(&w, host));
        assert_eq!(
            owner(&w, &password),
            (DEV.to_owned(), "Developer".to_owned(), region.to_owned()),
            "{host}"
        );
    }
    assert_eq!(w.emulator.count(Operation::GetAuthorizationToken), 4);
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
}

/// With no endpoint override, each registry variant's call goes to its
/// own ECR API endpoint: seen in the error, through a proxy that refuses
/// every connection (so nothing leaves the machine).
#[test]
fn each_variant_and_partition_calls_its_own_ecr_endpoint() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let w = World::new();
    for (host, endpoint) in [
        (DEV_REGISTRY, "https://api.ecr.eu-west-1.amazonaws.com"),
        (
            "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "https://api.ecr.cn-north-1.amazonaws.com.cn",
        ),
        (
            "210987654321.dkr.ecr-fips.us-east-1.amazonaws.com",
            "https://ecr-fips.us-east-1.amazonaws.com",
        ),
        (
            "210987654321.dkr-ecr.eu-central-1.on.aws",
            "https://ecr.eu-central-1.api.aws",
        ),
        (
            "210987654321.dkr-ecr-fips.us-west-2.on.aws",
            "https://ecr-fips.us-west-2.api.aws",
        ),
    ] {
        let mut cmd = helper_cmd(&w, "get");
        cmd.env_remove("AWS_ENDPOINT_URL_ECR")
            .env("HTTPS_PROXY", &proxy);
        let out = run_with_stdin(&mut cmd, host.as_bytes());
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(6), "{host}: {said}");
        assert!(
            said.starts_with(&format!("ssocred: ECR at {endpoint}: ")),
            "{host}: {said}"
        );
        assert!(
            said.contains(host) && said.contains("arn:aws:iam::210987654321:role/Developer"),
            "{said}"
        );
        assert_eq!(said.lines().count(), 1, "{said}");
    }
    // The role's credentials came once, from the portal; then the role cache.
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
}

#[test]
fn mappings_by_host_glob_account_and_preset_pick_their_roles() {
    let w = World::new();
    write_ssocred_config(
        &w,
        &format!(
            r#"
[preset.dev]
profile = "modern"
account = "{DEV}"
role = "My.Role+x=y,z@w"

[[registry]]
match = "*.dkr.ecr.eu-west-1.amazonaws.com"
profile = "legacy"
role_arn = "{READ_ONLY_ARN}"

[[registry]]
match = "{DEV}"
preset = "dev"

[[registry]]
match = "999999999999.DKR-ECR.us-east-1.on.aws"
profile = "modern"
account = "{PROD}"
role = "Admin"
"#
        ),
    );
    // The glob comes first, so the DEV registry in eu-west-1 gets ReadOnly
    // (another account's role: a mapping may cross accounts).
    for (url, account, role) in [
        (PROD_REGISTRY, PROD, "ReadOnly"),
        (DEV_REGISTRY, PROD, "ReadOnly"),
        (
            "210987654321.dkr.ecr.us-east-2.amazonaws.com",
            DEV,
            "My.Role+x=y,z@w",
        ),
        (
            "https://999999999999.dkr-ecr.us-east-1.on.aws",
            PROD,
            "Admin",
        ),
    ] {
        let password = secret(&get(&w, url));
        let (a, r, _) = owner(&w, &password);
        assert_eq!((a.as_str(), r.as_str()), (account, role), "{url}");
    }
    // Unmapped, and the default role's account (DEV) is not this one.
    assert_not_found(&get(&w, "123456789012.dkr.ecr.us-east-2.amazonaws.com"));
}

#[test]
fn the_default_role_of_another_account_or_none_is_not_found_without_a_call() {
    let w = World::new();
    assert_not_found(&get(&w, PROD_REGISTRY));
    // `modern` names no role at all; `plain` is no SSO profile; `nowhere`
    // does not exist: with nothing mapped, Docker goes on without.
    for profile in ["modern", "plain", "nowhere"] {
        let mut cmd = helper_cmd(&w, "get");
        cmd.env("AWS_PROFILE", profile);
        assert_not_found(&run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes()));
    }
    // A mapping to a profile that does not exist is an error, not a silence.
    write_ssocred_config(
        &w,
        &format!(
            "[[registry]]\nmatch = '{DEV}'\nprofile = 'nowhere'\nrole_arn = '{READ_ONLY_ARN}'\n"
        ),
    );
    let out = get(&w, DEV_REGISTRY);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("nowhere"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(all_calls(&w), 0);
}

#[test]
fn a_registry_that_is_not_ecr_is_not_found_exactly() {
    let w = World::new();
    for url in [
        "https://index.docker.io/v1/",
        "ghcr.io",
        "public.ecr.aws",
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com.evil.example",
    ] {
        let out = get(&w, url);
        assert_not_found(&out);
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
    assert_eq!(all_calls(&w), 0);
}

#[test]
fn a_warm_cache_answers_with_no_call_and_no_token_read() {
    let w = World::new();
    let first = secret(&get(&w, DEV_REGISTRY));
    w.emulator.reset_counts();
    // Nothing else could answer: no SSO token, no role-cache entry.
    std::fs::remove_file(w.token_path("corp")).unwrap();
    std::fs::remove_dir_all(w.aws_dir().join("cli/cache")).unwrap();
    // Any registry of the role's region, any form, reuses the token.
    for url in [
        DEV_REGISTRY,
        "https://210987654321.dkr-ecr.eu-west-1.on.aws/v2/",
    ] {
        let mut cmd = helper_cmd(&w, "get");
        cmd.args(["-v"]);
        let out = run_with_stdin(&mut cmd, url.as_bytes());
        assert_eq!(secret(&out), first, "{url}");
        assert!(
            text(&out.stderr).contains("from the cache"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(all_calls(&w), 0);
    // Another region is another token, which needs the login.
    let out = get(&w, "210987654321.dkr.ecr.eu-west-2.amazonaws.com");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).starts_with("ssocred: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_token_near_or_past_its_expiry_is_fetched_again() {
    let w = World::new();
    // Ten minutes is inside the 15-minute window: never served from cache.
    w.emulator.set_ecr_token_lifetime(Duration::from_secs(600));
    let first = secret(&get(&w, DEV_REGISTRY));
    let second = secret(&get(&w, DEV_REGISTRY));
    assert_ne!(first, second);
    assert_eq!(w.emulator.count(Operation::GetAuthorizationToken), 2);

    w.emulator
        .set_ecr_token_lifetime(Duration::from_secs(12 * 3600));
    let third = secret(&get(&w, DEV_REGISTRY));
    assert_eq!(secret(&get(&w, DEV_REGISTRY)), third);
    assert_eq!(w.emulator.count(Operation::GetAuthorizationToken), 3);
    // An entry whose expiry has passed (edited here) is refetched.
    let entry = only_entry(&w);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    doc["ExpiresAt"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(&entry, doc.to_string()).unwrap();
    assert_ne!(secret(&get(&w, DEV_REGISTRY)), third);
    assert_eq!(w.emulator.count(Operation::GetAuthorizationToken), 4);
}

fn only_entry(w: &World) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(ecr_dir(w))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

#[test]
fn the_cache_is_private_honours_xdg_and_is_cleared_with_the_login() {
    let w = World::new();
    let password = secret(&get(&w, DEV_REGISTRY));
    let entry = only_entry(&w);
    assert_eq!(mode_of(&entry), PRIVATE_FILE);
    assert_eq!(mode_of(&ecr_dir(&w)), PRIVATE_DIR);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    assert_eq!(doc["RoleArn"], format!("arn:aws:iam::{DEV}:role/Developer"));
    assert_eq!(doc["Region"], "eu-west-1");
    assert_eq!(doc["Password"], password.as_str());

    // `cache clear` removes it with the role credentials.
    let out = w.run(&["cache", "clear"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 cached ECR token"),
        "{}",
        text(&out.stdout)
    );
    assert!(!entry.exists());

    // `logout` removes the tokens of its login only.
    secret(&get(&w, DEV_REGISTRY));
    let out = w.run(&["logout", "-p", "legacy"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(only_entry(&w).exists());
    let out = w.run(&["logout", "-p", "pinned"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json_files(&ecr_dir(&w)), 0);

    // XDG_CACHE_HOME moves the cache.
    let w = World::new();
    let xdg = w.home().join("xdg-cache");
    let mut cmd = helper_cmd(&w, "get");
    cmd.env("XDG_CACHE_HOME", &xdg);
    answer(&run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes()));
    assert_eq!(json_files(&xdg.join("ssocred/ecr")), 1);
    assert!(!ecr_dir(&w).exists());
}

#[test]
fn store_and_erase_keep_nothing_and_list_names_the_mapped_registries() {
    let w = World::new();
    let creds = r#"{"ServerURL":"https://210987654321.dkr.ecr.eu-west-1.amazonaws.com","Username":"AWS","Secret":"docker-login-SECRET"}"#;
    for (action, input) in [("store", creds), ("erase", DEV_REGISTRY)] {
        let out = run_with_stdin(&mut helper_cmd(&w, action), input.as_bytes());
        assert!(out.status.success(), "{action}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{action}");
    }
    assert!(!w.home().join(".cache").exists());
    assert_eq!(all_calls(&w), 0);

    write_ssocred_config(
        &w,
        &format!(
            "[[registry]]\nmatch = '*.dkr.ecr.us-east-2.amazonaws.com'\nprofile = 'legacy'\nrole_arn = '{READ_ONLY_ARN}'\n\
             [[registry]]\nmatch = '111122223333.dkr-ecr.us-east-1.on.aws'\nrole_arn = '{READ_ONLY_ARN}'\n\
             [[registry]]\nmatch = '{PROD}'\nrole_arn = '{READ_ONLY_ARN}'\n"
        ),
    );
    let mut cmd = helper_cmd(&w, "list");
    cmd.env("SSOCRED_REGION", "us-east-2");
    let listed = answer(&run_with_stdin(&mut cmd, b""));
    assert_eq!(
        listed,
        serde_json::json!({
            "https://111122223333.dkr-ecr.us-east-1.on.aws": "AWS",
            "https://123456789012.dkr.ecr.us-east-2.amazonaws.com": "AWS",
            "https://210987654321.dkr.ecr.us-east-2.amazonaws.com": "AWS",
        })
    );
    assert_eq!(all_calls(&w), 0);
}

/// The same binary, run by Docker as `docker-credential-ssocred`.
// Unix only: the helper is reached through a symlink, as `install` makes it on Unix.
#[cfg(unix)]
#[test]
fn argv0_makes_the_binary_the_docker_helper() {
    let w = World::new();
    let bin = w.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("docker-credential-ssocred");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ssocred"), &link).unwrap();
    let mut cmd = w.command(&link);
    cmd.arg("get")
        .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
        .env("AWS_PROFILE", "pinned");
    let password = secret(&run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes()));
    assert_eq!(owner(&w, &password).1, "Developer");
    let mut cmd = w.command(&link);
    cmd.arg("get");
    assert_not_found(&run_with_stdin(&mut cmd, b"ghcr.io"));
    let out = w.command(&link).arg("version").run_to_end();
    assert!(text(&out.stdout).starts_with("docker-credential-ssocred (ssocred) "));
    // A copy under that name works the same.
    let copy = bin.join("copy/docker-credential-ssocred");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_ssocred"), &copy).unwrap();
    let mut cmd = w.command(&copy);
    cmd.arg("erase");
    assert!(
        run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes())
            .status
            .success()
    );
}

// Unix only: install makes a symlink there (a hard link or a copy on
// Windows, docs/platforms.md), which this test reads back.
#[cfg(unix)]
#[test]
fn install_links_the_helper_once_and_refuses_a_foreign_file() {
    let w = World::new();
    write_ssocred_config(
        &w,
        &format!(
            "[[registry]]\nmatch = '{PROD}'\nprofile = 'legacy'\nrole_arn = '{READ_ONLY_ARN}'\n"
        ),
    );
    let default_link = w.home().join(".local/bin/docker-credential-ssocred");
    let out = w.run(&["docker-credential", "install"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let target = std::fs::read_link(&default_link).unwrap();
    assert_eq!(
        target.canonicalize().unwrap(),
        Path::new(env!("CARGO_BIN_EXE_ssocred"))
            .canonicalize()
            .unwrap()
    );
    let err = text(&out.stderr);
    assert!(err.contains("is not on PATH"), "{err}");
    let printed = text(&out.stdout);
    let json = printed.split_once('\n').unwrap().1;
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    // legacy's region is eu-central-1.
    assert_eq!(
        doc,
        serde_json::json!({"credHelpers": {"123456789012.dkr.ecr.eu-central-1.amazonaws.com": "ssocred"}})
    );

    // Again, with the directory on PATH: nothing changes, no warning.
    let mut cmd = w.cmd();
    cmd.args(["docker-credential", "install"])
        .env("PATH", w.home().join(".local/bin"));
    let out = cmd.run_to_end();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("already links"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("PATH"), "{}", text(&out.stderr));

    // A file of someone else's in the way is left alone.
    let dir = w.home().join("other-bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("docker-credential-ssocred"),
        "#!/bin/sh\necho mine\n",
    )
    .unwrap();
    let out = w.run(&[
        "docker-credential",
        "install",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("docker-credential-ssocred"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("docker-credential-ssocred")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

/// Failures are one line on stdout, where Docker reads it, with the codes
/// of docs/exit-codes.md, and never a secret.
#[test]
fn failures_are_one_line_on_stdout_with_their_codes_and_no_secret() {
    let w = World::new();
    w.emulator.deny_ecr(DEV, "Developer");
    let out = get(&w, DEV_REGISTRY);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    for part in [
        DEV_REGISTRY,
        "arn:aws:iam::210987654321:role/Developer",
        "AccessDeniedException",
        "ecr:GetAuthorizationToken",
    ] {
        assert!(said.contains(part), "{part} not in {said}");
    }
    let issued = w.only_issued();
    for secret in [
        &issued.secret_access_key,
        &issued.session_token,
        &TOKEN.to_owned(),
    ] {
        assert!(!said.contains(secret.as_str()) && !text(&out.stderr).contains(secret.as_str()));
    }
    // No login: exit 4, saying how to log in.
    let w = World::new();
    std::fs::remove_file(w.token_path("corp")).unwrap();
    let out = get(&w, DEV_REGISTRY);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stdout).contains("ssocred login -p pinned"),
        "{}",
        text(&out.stdout)
    );
    // A mapping naming no role is a config error naming the line.
    write_ssocred_config(&w, "[[registry]]\nmatch = '*'\nprofile = 'modern'\n");
    let out = get(&w, DEV_REGISTRY);
    assert_eq!(out.status.code(), Some(3));
    let said = text(&out.stdout);
    assert!(
        said.contains("config.toml") && said.contains("line 1") && said.contains("[[registry]]"),
        "{said}"
    );
    // Nothing on stdin.
    let out = get(&w, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("no credentials server URL"));
}

#[test]
fn verbose_explains_each_step_without_a_secret() {
    let w = World::new();
    let mut cmd = helper_cmd(&w, "get");
    cmd.arg("-v");
    let out = run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes());
    let password = secret(&out);
    let err = text(&out.stderr);
    for step in [
        "registry 210987654321.dkr.ecr.eu-west-1.amazonaws.com",
        "GetRoleCredentials",
        "GetAuthorizationToken",
        "cached in",
    ] {
        assert!(err.contains(step), "{step} not in {err}");
    }
    let issued = w.only_issued();
    for secret in [
        password.as_str(),
        &issued.secret_access_key,
        &issued.session_token,
        TOKEN,
    ] {
        assert!(!err.contains(secret), "a secret in: {err}");
    }
}

/// docker-py's credential store (`docker.credentials.Store('ssocred')`)
/// finds `docker-credential-ssocred` on PATH, as Docker does, gets the
/// secret the emulator attributes to the role, and reads an unmapped
/// registry as `CredentialsNotFound`.
// Unix only: the helper is reached through a symlink, as `install` makes it on Unix.
#[cfg(unix)]
#[test]
fn docker_py_gets_the_roles_secret_through_the_helper_on_path() {
    let Some(python) = python("docker-py credential store interop test") else {
        return;
    };
    let w = World::new();
    let bin = w.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_ssocred"),
        bin.join("docker-credential-ssocred"),
    )
    .unwrap();
    let mut path = std::ffi::OsString::from(&bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let script = format!(
        "{}/../tests/interop/docker_store.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let unmapped = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let out = w
        .command(&python)
        .arg(script)
        .args([DEV_REGISTRY, "https://index.docker.io/v1/", unmapped])
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
        .env("AWS_PROFILE", "pinned")
        .run_to_end();
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got[DEV_REGISTRY]["Username"], "AWS");
    let password = got[DEV_REGISTRY]["Secret"].as_str().unwrap();
    assert_eq!(
        owner(&w, password),
        (
            DEV.to_owned(),
            "Developer".to_owned(),
            "eu-west-1".to_owned()
        )
    );
    assert_eq!(got["https://index.docker.io/v1/"], "not found");
    assert_eq!(got[unmapped], "not found");
}

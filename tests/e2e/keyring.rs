//! Tokens in the OS keyring (`[login] token_store`; docs/security.md):
//! the kernel keyring (keyutils), a real Secret Service (GNOME Keyring
//! under its own D-Bus session), a locked one that cannot prompt, and no
//! Secret Service at all.
//!
//! The tests share the user's keyring with every other test of the run, so
//! each names its own sso-session: the keyring entries are named after it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use ssocred_emulator::OidcConfig;

use crate::world::*;

/// A sso-session name no other test (or run) uses.
fn session() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "kr-{}-{now}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A world whose device-code logins are approved at once, with profile
/// `kr` of a session of its own.
fn world() -> World {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    let session = session();
    w.write_config(&format!(
        "[profile kr]\nsso_session = {session}\nsso_account_id = {PROD}\nsso_role_name = ReadOnly\n\n[sso-session {session}]\nsso_start_url = https://d-corp.awsapps.com/start\nsso_region = us-east-1\n"
    ));
    w
}

/// The files of the AWS CLI's SSO cache but the world's own logins (the
/// tokens it starts with), which belong to other sessions.
fn sso_files(w: &World) -> Vec<String> {
    let theirs: Vec<String> = ["corp", "https://d-legacy.awsapps.com/start"]
        .iter()
        .filter_map(|key| {
            let path = w.token_path(key);
            path.file_name().map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    std::fs::read_dir(w.aws_dir().join("sso").join("cache"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !theirs.contains(name) && !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of the role-credential cache (its `.json` files; a lock's
/// sidecar holds nothing).
fn role_cache_files(w: &World) -> usize {
    std::fs::read_dir(w.aws_dir().join("cli").join("cache"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

/// Runs `script` (sh, with `$1` = `mode`) in a kernel session keyring of
/// its own (`keyctl session`), as a login session has one, with ssocred
/// on PATH and the token kept by keyutils: stdout and stderr. `None` after
/// a loud skip when keyctl is missing.
fn in_session_keyring(w: &World, script: &str, mode: &str) -> Option<std::process::Output> {
    let Some(keyctl) = ssocred_test_support::find_program("keyctl") else {
        ssocred_test_support::skip(
            "the kernel keyring test",
            "keyctl is missing; scripts/install-test-tools installs it (package keyutils)",
            "SSOCRED_REQUIRE_TOOLS",
        );
        return None;
    };
    let path = w.home().join("keyutils.sh");
    std::fs::write(&path, script).unwrap();
    Some(
        w.command(keyctl)
            .args(["session", "-", "sh"])
            .arg(&path)
            .arg(mode)
            .env("PATH", path_with(&[ssocred_dir()]))
            .env("SSOCRED_KEYRING", "keyutils")
            .run_to_end(),
    )
}

#[test]
fn keyutils_keeps_the_login_out_of_every_file_until_logout() {
    let w = world();
    let script = "export SSOCRED_TOKEN_STORE=keyring\n\
                  ssocred login -p kr --no-browser || echo \"login-exit=$?\"\n\
                  echo \"files=$(ls \"$HOME/.aws/sso/cache\" | wc -l)\"\n\
                  ssocred -p kr --sink process || echo \"get-exit=$?\"\n\
                  ssocred status -p kr --json | tr -d '\\n'; echo\n\
                  SSOCRED_TOKEN_STORE=file ssocred -p kr --sink process 2>/dev/null || echo \"file-mode-exit=$?\"\n\
                  ssocred logout -p kr\n\
                  ssocred -p kr --sink process 2>/dev/null || echo \"after-logout-exit=$?\"\n";
    let Some(out) = in_session_keyring(&w, script, "") else {
        return;
    };
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let said = stderr(&out);
    assert_eq!(lines.len(), 5, "{stdout}\n{said}");
    // The world starts with the tokens of its own two sessions: nothing
    // of this login was added to the files.
    assert_eq!(lines[0], "files=2", "{said}");
    let json: Value =
        serde_json::from_str(lines[1]).unwrap_or_else(|e| panic!("{e}: {stdout}\n{said}"));
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
    assert_eq!(
        role_cache_files(&w),
        0,
        "role credentials stay off the disk"
    );
    let status: Value = serde_json::from_str(lines[2]).unwrap();
    let login = &status["profiles"][0]["login"];
    assert_eq!(login["state"], "valid", "{status}");
    assert_eq!(login["kept_in"], "the OS keyring (keyutils)", "{status}");
    // The login lives in the keyring alone, and logout takes it away.
    assert_eq!(lines[3], "file-mode-exit=4");
    assert_eq!(lines[4], "after-logout-exit=4");
    assert!(
        said.contains("removed the token from the OS keyring (keyutils)"),
        "{said}"
    );
    assert_eq!(sso_files(&w), Vec::<String>::new());
}

#[test]
fn both_also_writes_the_aws_cli_file_and_a_file_login_moves_to_the_keyring() {
    let w = world();
    // A login kept in the file, as the AWS CLI or ssocred's default makes
    // it; `login --token-store keyring` moves it (the files go); `both`
    // writes the file again for the tools that read it, and reads the
    // keyring first; its logout takes the token from both.
    let script = "ssocred login -p kr --no-browser || echo \"login-exit=$?\"\n\
                  echo \"file=$(ls \"$HOME/.aws/sso/cache\" | wc -l)\"\n\
                  ssocred login -p kr --no-browser --token-store keyring || echo \"keyring-exit=$?\"\n\
                  echo \"keyring=$(ls \"$HOME/.aws/sso/cache\" | wc -l)\"\n\
                  ssocred login -p kr --no-browser --token-store both || echo \"both-exit=$?\"\n\
                  echo \"both=$(ls \"$HOME/.aws/sso/cache\" | wc -l)\"\n\
                  ssocred -p kr --sink process >/dev/null || echo \"get-exit=$?\"\n\
                  SSOCRED_TOKEN_STORE=both ssocred logout -p kr\n\
                  echo \"logout=$(ls \"$HOME/.aws/sso/cache\" | wc -l)\"\n";
    let Some(out) = in_session_keyring(&w, script, "") else {
        return;
    };
    let stdout = text(&out.stdout);
    let said = stderr(&out);
    // The world's own two token files, plus this login's: token and
    // registration in file mode; none in keyring mode; the token again in
    // both (the registration, still valid, is reused from the keyring: the
    // token file holds what the AWS CLI and the SDKs need to refresh);
    // none after logout.
    assert_eq!(stdout, "file=4\nkeyring=2\nboth=3\nlogout=2\n", "{said}");
    assert!(said.contains("the OS keyring (keyutils) and "), "{said}");
}

#[test]
fn no_secret_service_is_an_error_naming_the_setting_not_a_fallback() {
    let w = world();
    let start = Instant::now();
    // No D-Bus session at all (as over SSH): the default store of Linux.
    let out = w
        .cmd()
        .env("SSOCRED_TOKEN_STORE", "keyring")
        .args(["-p", "kr", "--sink", "process"])
        .run_to_end();
    assert_ne!(out.status.code(), Some(0));
    let text = stderr(&out);
    assert!(text.contains("token_store"), "{text}");
    assert!(text.contains("secret-service"), "{text}");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(
        sso_files(&w),
        Vec::<String>::new(),
        "no silent fallback to the file"
    );
}

/// The Secret Service of a real GNOME Keyring, in a D-Bus session of the
/// test's own: unlocked, the login and the role work from it; locked,
/// with no way to show the unlock prompt, the call fails within the
/// timeout and names the fix.
#[test]
fn a_real_secret_service_keeps_the_login_and_a_locked_one_does_not_hang() {
    let (Some(dbus), Some(_)) = (
        ssocred_test_support::find_program("dbus-run-session"),
        ssocred_test_support::find_program("gnome-keyring-daemon"),
    ) else {
        ssocred_test_support::skip(
            "the Secret Service test",
            "dbus-run-session or gnome-keyring-daemon is missing; scripts/install-test-tools installs them",
            "SSOCRED_REQUIRE_TOOLS",
        );
        return;
    };
    let w = world();
    let script = w.home().join("keyring.sh");
    std::fs::write(
        &script,
        "set -u\n\
         if [ \"$1\" = unlocked ]; then\n\
           printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         else\n\
           gnome-keyring-daemon --start --components=secrets >/dev/null\n\
         fi\n\
         ssocred login -p kr --no-browser || echo \"login-exit=$?\"\n\
         ssocred -p kr --sink process || echo \"get-exit=$?\"\n",
    )
    .unwrap();
    let run = |mode: &str| {
        let started = Instant::now();
        let out = w
            .command(&dbus)
            .args(["--", "sh"])
            .arg(&script)
            .arg(mode)
            .env("PATH", path_with(&[ssocred_dir()]))
            .env("SSOCRED_TOKEN_STORE", "keyring")
            .run_to_end();
        (out, started.elapsed())
    };
    let (out, _) = run("unlocked");
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("-exit="), "{stdout}\n{}", stderr(&out));
    let json: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
    assert_eq!(sso_files(&w), Vec::<String>::new());

    let (out, took) = run("locked");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("login-exit="), "{stdout}\n{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("credential store"), "{said}");
    assert!(said.contains("token_store"), "{said}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

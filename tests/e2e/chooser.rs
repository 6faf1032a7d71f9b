//! The chooser in a real terminal (tmux): one list of every role, filtered
//! by words in any order, with the roles chosen often and recently first;
//! `[chooser] order = "alphabetical"` keeps the plain order.
//!
//! Needs tmux: `scripts/install-test-tools` installs it and `scripts/test`
//! makes this test mandatory (SSOCRED_REQUIRE_SHELLS=1); elsewhere a
//! missing tmux is a loud skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::running::PATIENCE;
use crate::shell_use::shell;
use crate::world::*;

/// A tmux server of its own, in the world's HOME, killed on drop.
struct Terminal<'a> {
    w: &'a World,
    tmux: PathBuf,
    socket: PathBuf,
}

impl Drop for Terminal<'_> {
    fn drop(&mut self) {
        let _ = self.tmux_cmd().arg("kill-server").output();
    }
}

impl<'a> Terminal<'a> {
    fn new(w: &'a World, tmux: PathBuf) -> Terminal<'a> {
        let socket = w.home().join("tmux.sock");
        Terminal { w, tmux, socket }
    }

    fn tmux_cmd(&self) -> Command {
        let mut cmd = self.w.command(&self.tmux);
        cmd.arg("-S")
            .arg(&self.socket)
            .env("TERM", "xterm-256color");
        cmd
    }

    /// Runs `ssocred ARGS` in a fresh 120x40 window: stdout to `out`, its
    /// exit code to `rc`, the chooser on the terminal.
    fn start(&self, args: &str) {
        for name in ["out", "rc"] {
            let _ = std::fs::remove_file(self.w.home().join(name));
        }
        let bin = env!("CARGO_BIN_EXE_ssocred");
        let line = format!("'{bin}' {args} > out; echo $? > rc");
        let _ = self.tmux_cmd().arg("kill-server").output();
        // The server killed above may still be going away when the new one
        // starts on the same socket ("server exited unexpectedly" on a
        // loaded machine): a few tries, then the last error.
        let mut last = String::new();
        for _ in 0..5 {
            let out = self
                .tmux_cmd()
                .args([
                    "-f",
                    "/dev/null",
                    "new-session",
                    "-d",
                    "-s",
                    "t",
                    "-x",
                    "120",
                    "-y",
                    "40",
                ])
                .arg(&line)
                .output()
                .unwrap();
            if out.status.success() {
                return;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("tmux new-session failed: {last}");
    }

    fn screen(&self) -> String {
        let out = self
            .tmux_cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .run_to_end();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once `ready` holds for it.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        wait_for(PATIENCE, || {
            let screen = self.screen();
            if ready(&screen) {
                return Ok(screen);
            }
            Err(format!("waiting for {what}; screen:\n{screen}"))
        })
    }

    fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux_cmd()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit code and stdout of the command once it has ended.
    fn finished(&self) -> (i32, String) {
        let rc = self.w.home().join("rc");
        wait_for(PATIENCE, || match std::fs::read_to_string(&rc) {
            Ok(t) if !t.trim().is_empty() => Ok(()),
            _ => Err(format!("never finished; screen:\n{}", self.screen())),
        });
        let code = std::fs::read_to_string(rc).unwrap().trim().parse().unwrap();
        let out = std::fs::read_to_string(self.w.home().join("out")).unwrap_or_default();
        (code, out)
    }
}

/// The role lines the chooser shows, top to bottom, without the cursor.
fn listed(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.contains(PROD) || l.contains(DEV))
        .map(|l| {
            let l = l.trim_start_matches('>').trim();
            l.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

const PROD_READ_ONLY: &str = "Prod 123456789012 ReadOnly";
const PROD_ADMIN: &str = "Prod 123456789012 Admin";
const DEV_DEVELOPER: &str = "Dev ünïcode 'quoted' 210987654321 Developer";
const DEV_MY_ROLE: &str = "Dev ünïcode 'quoted' 210987654321 My.Role+x=y,z@w";

/// Chooses by typing `words` in the chooser and checks what was fetched.
fn choose_by_typing(t: &Terminal<'_>, words: &str, shown: &[&str], role: &str) {
    t.start("-p modern --sink process");
    t.wait_for("the chooser", |s| listed(s).len() == 4);
    t.keys(&["-l", words]);
    let screen = t.wait_for("the filter", |s| listed(s).len() == shown.len());
    assert_eq!(listed(&screen), shown, "typing `{words}`:\n{screen}");
    t.keys(&["Enter"]);
    let (code, out) = t.finished();
    assert_eq!(code, 0, "{}", t.screen());
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["AccountId"], PROD, "{out}");
    // The set may come from the role-credential cache: found by its key.
    let issued = t.w.emulator.issued();
    let set = issued
        .iter()
        .find(|i| doc["AccessKeyId"] == i.access_key_id.as_str())
        .unwrap();
    assert_eq!(set.role_name, role);
}

#[test]
fn the_chooser_learns_and_matches_words_in_any_order() {
    let Some(tmux) = shell("tmux") else {
        return;
    };
    let w = World::new();
    let t = Terminal::new(&w, tmux);

    // Nothing chosen yet: alphabetical, one question for every role.
    t.start("-p modern --sink process");
    let screen = t.wait_for("the chooser", |s| listed(s).len() == 4);
    assert_eq!(
        listed(&screen),
        [DEV_DEVELOPER, DEV_MY_ROLE, PROD_ADMIN, PROD_READ_ONLY],
        "{screen}"
    );
    assert!(screen.contains("Role:"), "{screen}");
    t.keys(&["Escape"]);
    assert_eq!(t.finished().0, 2, "a cancelled chooser is exit 2");

    // Words in order, reversed, and with an account id.
    choose_by_typing(&t, "prod read", &[PROD_READ_ONLY], "ReadOnly");
    choose_by_typing(&t, "admin prod", &[PROD_ADMIN], "Admin");
    choose_by_typing(&t, "readonly 1234", &[PROD_READ_ONLY], "ReadOnly");

    // ReadOnly twice, Admin once: they lead, the rest stay alphabetical.
    t.start("-p modern --sink process");
    let screen = t.wait_for("the chooser", |s| listed(s).len() == 4);
    assert_eq!(
        listed(&screen),
        [PROD_READ_ONLY, PROD_ADMIN, DEV_DEVELOPER, DEV_MY_ROLE],
        "{screen}"
    );
    t.keys(&["Escape"]);
    t.finished();
    let history = std::fs::read_to_string(w.state_dir().join("chooser-history.json")).unwrap();
    assert!(history.contains("role/ReadOnly"), "{history}");

    // `[chooser] order = "alphabetical"` ignores the history.
    let config = w.home().join(".config/ssocred/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[chooser]\norder = \"alphabetical\"\n").unwrap();
    t.start("-p modern --sink process");
    let screen = t.wait_for("the chooser", |s| listed(s).len() == 4);
    assert_eq!(
        listed(&screen),
        [DEV_DEVELOPER, DEV_MY_ROLE, PROD_ADMIN, PROD_READ_ONLY],
        "{screen}"
    );
    t.keys(&["Escape"]);
    t.finished();
    let shown = ok(&w.run(&["config", "show"]));
    assert!(
        shown.contains("[chooser]\norder = \"alphabetical\"  # config\n"),
        "{shown}"
    );
    assert_history_unchanged(&w, &history);
}

fn assert_history_unchanged(w: &World, before: &str) {
    let path: &Path = &w.state_dir().join("chooser-history.json");
    assert_eq!(std::fs::read_to_string(path).unwrap(), before);
}

/// A role a person names outright on a terminal (`-r`, or `--role` that
/// matches one role) counts as a use, as a pick of the chooser does; a run
/// without a terminal (a credential_process) does not. Of two roles as
/// strong, the one used last comes first.
#[test]
fn roles_named_on_a_terminal_count_and_ties_go_to_the_last_used() {
    let Some(tmux) = shell("tmux") else {
        return;
    };
    let w = World::new();
    let t = Terminal::new(&w, tmux);
    ok(&w.run(&["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"]));
    t.start(&format!(
        "-p modern -r arn:aws:iam::{DEV}:role/Developer --sink process"
    ));
    assert_eq!(t.finished().0, 0, "{}", t.screen());
    // The history counts in seconds: the next use is a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    t.start("-p modern --role Admin --sink process");
    assert_eq!(t.finished().0, 0, "{}", t.screen());
    t.start("-p modern --sink process");
    let screen = t.wait_for("the chooser", |s| listed(s).len() == 4);
    assert_eq!(
        listed(&screen),
        [PROD_ADMIN, DEV_DEVELOPER, DEV_MY_ROLE, PROD_READ_ONLY],
        "{screen}"
    );
    t.keys(&["Escape"]);
    t.finished();
}

/// The filter line takes a shell's editing keys: Ctrl-W deletes the last
/// word, Ctrl-U the whole line; a filter that matches nothing says so, and
/// Enter then waits for one that does.
#[test]
fn the_filter_takes_readline_keys_and_says_when_nothing_matches() {
    let Some(tmux) = shell("tmux") else {
        return;
    };
    let w = World::new();
    let t = Terminal::new(&w, tmux);
    t.start("-p modern --sink process");
    t.wait_for("the chooser", |s| listed(s).len() == 4);
    t.keys(&["-l", "prod read"]);
    t.wait_for("the filter", |s| listed(s) == [PROD_READ_ONLY]);
    t.keys(&["C-w"]);
    let screen = t.wait_for("a word deleted", |s| listed(s).len() == 2);
    assert!(screen.contains("Role: prod"), "{screen}");
    t.keys(&["C-u"]);
    t.wait_for("the line cleared", |s| listed(s).len() == 4);
    t.keys(&["-l", "zzz"]);
    let screen = t.wait_for("no match", |s| s.contains("no role matches `zzz`"));
    assert!(listed(&screen).is_empty(), "{screen}");
    t.keys(&["Enter"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !w.home().join("rc").exists(),
        "Enter on no match ends nothing:\n{}",
        t.screen()
    );
    t.keys(&["C-u"]);
    t.keys(&["-l", "admin"]);
    t.wait_for("the filter", |s| listed(s) == [PROD_ADMIN]);
    t.keys(&["Enter"]);
    let (code, out) = t.finished();
    assert_eq!(code, 0, "{}", t.screen());
    assert!(out.contains(PROD), "{out}");
    assert_eq!(w.emulator.issued().last().unwrap().role_name, "Admin");
}

/// The tags a synced team source gives an account follow its roles in the
/// chooser, and typed words match them: `env=prod` keeps the two roles of
/// the account tagged so, which nothing else on their lines would match.
#[cfg(unix)]
#[test]
fn the_chooser_shows_and_matches_a_team_sources_tags() {
    let Some(tmux) = shell("tmux") else {
        return;
    };
    let Some(repo) = crate::sources::Repo::new(
        "the chooser's tags",
        &[("ssocred-team.toml", crate::sources::TEAM)],
    ) else {
        return;
    };
    let w = World::new();
    let url = repo.bare().display().to_string();
    ok(&w.run(&["source", "add", "team", &url, "--ref", "v1"]));
    ok(&w.run(&["sync"]));
    let t = Terminal::new(&w, tmux);
    t.start("-p modern --sink process");
    let screen = t.wait_for("the chooser", |s| listed(s).len() == 4);
    let tagged = [
        format!("{PROD_ADMIN} env=prod"),
        format!("{PROD_READ_ONLY} env=prod"),
    ];
    assert_eq!(
        listed(&screen),
        [
            DEV_DEVELOPER,
            DEV_MY_ROLE,
            tagged[0].as_str(),
            tagged[1].as_str()
        ],
        "{screen}"
    );
    t.keys(&["-l", "env=prod read"]);
    let screen = t.wait_for("the filter", |s| listed(s).len() == 1);
    assert_eq!(listed(&screen), [tagged[1].as_str()], "{screen}");
    t.keys(&["Enter"]);
    let (code, out) = t.finished();
    assert_eq!(code, 0, "{}", t.screen());
    assert!(out.contains(PROD), "{out}");
}

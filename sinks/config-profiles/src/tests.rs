use super::*;
use ssocred_core::domain::role::RoleEntry;
use ssocred_core::domain::sso_profile::SsoProfile;

fn sso(session: Option<&str>) -> SsoProfile {
    SsoProfile {
        name: "corp".into(),
        session: session.map(str::to_owned),
        start_url: "https://d-1.awsapps.com/start".into(),
        sso_region: "eu-west-1".into(),
        region: None,
        account_id: None,
        role_name: None,
    }
}

fn role(id: &str, name: &str) -> RoleEntry {
    RoleEntry::new(
        id,
        &format!("acct {id}"),
        name,
        &format!("arn:aws:iam::{id}:role/{name}"),
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Fixture {
    fn new(initial: Option<&str>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        if let Some(text) = initial {
            std::fs::write(&path, text).unwrap();
        }
        Fixture { _dir: dir, path }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap()
    }

    /// Runs the sink with `options` over `roles` (named `ID-ROLE`); returns stdout.
    fn run(
        &self,
        options: &str,
        sso: &SsoProfile,
        roles: &[RoleEntry],
    ) -> Result<String, SinkError> {
        let ctx = SinkContext {
            config_file: self.path.clone(),
            credentials_file: self.path.with_file_name("credentials"),
            cwd: self.path.parent().unwrap().to_path_buf(),
        };
        let spec = format!("config-profiles:command={COMMAND}{options}");
        let mut sink = build(&SinkSpec::parse(&spec).unwrap(), &ctx)?;
        sink.begin_roles(sso, &[])?;
        let names: Vec<String> = roles
            .iter()
            .map(|r| format!("{}-{}", r.account_id(), r.role_name()))
            .collect();
        for (role, name) in roles.iter().zip(&names) {
            let profile = RoleProfile {
                name,
                role,
                sso,
                region: Some("eu-central-1"),
                assume: &[],
            };
            sink.accept_role(&profile)?;
        }
        let mut out = Vec::new();
        sink.commit(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }
}

/// The command the fixture passes: a path with a space, written in double
/// quotes for `sh` and `shlex`. On Windows such a path cannot be written
/// (`cmd.exe /C` and botocore read quotes differently, docs/commands.md):
/// there a path without one, written bare.
#[cfg(not(windows))]
const COMMAND: &str = "/opt/my tools/ssocred";
#[cfg(not(windows))]
const COMMAND_WORD: &str = "\"/opt/my tools/ssocred\"";
#[cfg(windows)]
const COMMAND: &str = r"C:\tools\ssocred.exe";
#[cfg(windows)]
const COMMAND_WORD: &str = r"C:\tools\ssocred.exe";

/// [`BLOCK_TWO`] with this system's [`COMMAND_WORD`].
fn block_two() -> String {
    BLOCK_TWO.replace("\"/opt/my tools/ssocred\"", COMMAND_WORD)
}

const BLOCK_TWO: &str = "\
# BEGIN ssocred discover: start URL https://d-1.awsapps.com/start
# Written by `ssocred discover`; edits inside this block are replaced on the next run.

[profile 111111111111-Admin]
credential_process = \"/opt/my tools/ssocred\" -p corp -r arn:aws:iam::111111111111:role/Admin --sink process
region = eu-central-1

[profile 111111111111-ReadOnly]
credential_process = \"/opt/my tools/ssocred\" -p corp -r arn:aws:iam::111111111111:role/ReadOnly --sink process
region = eu-central-1

# END ssocred discover: start URL https://d-1.awsapps.com/start
";

fn two() -> Vec<RoleEntry> {
    vec![
        role("111111111111", "ReadOnly"),
        role("111111111111", "Admin"),
    ]
}

#[test]
fn writes_a_sorted_block_into_a_new_file() {
    let f = Fixture::new(None);
    f.run("", &sso(None), &two()).unwrap();
    assert_eq!(f.text(), block_two());
}

#[test]
fn keeps_every_byte_outside_the_block_and_reruns_identically() {
    let user = "# my config ; with comments\n[default]\nregion = us-east-1   # inline\n\n[profile mine]\ncredential_process = /bin/true\n\tcontinued = x\n";
    let f = Fixture::new(Some(user));
    f.run("", &sso(None), &two()).unwrap();
    let first = f.text();
    assert_eq!(first, format!("{user}\n{}", block_two()));
    f.run("", &sso(None), &two()).unwrap();
    assert_eq!(f.text(), first, "a rerun must give identical bytes");

    // Text after the block, and edits around it, survive a rewrite.
    let edited = format!("# above\n{first}[profile after]\nregion = x\n; tail");
    std::fs::write(&f.path, &edited).unwrap();
    f.run("", &sso(None), &[role("111111111111", "Admin")])
        .unwrap();
    assert_eq!(f.text(), edited, "the stale role is kept without prune");
    f.run(",prune=true", &sso(None), &[role("111111111111", "Admin")])
        .unwrap();
    let pruned = f.text();
    assert!(!pruned.contains("ReadOnly"), "{pruned}");
    assert!(pruned.starts_with(&format!("# above\n{user}\n# BEGIN")));
    assert!(pruned.ends_with("# END ssocred discover: start URL https://d-1.awsapps.com/start\n[profile after]\nregion = x\n; tail"));
}

#[test]
fn a_block_edited_out_of_order_is_merged_as_a_sorted_one_is() {
    // Read in step with the new profiles, a sorted block; sorted first, one
    // a hand reordered (with a profile given twice, whose last wins).
    let f = Fixture::new(Some("[default]\n"));
    f.run("", &sso(None), &two()).unwrap();
    let sorted = f.text();
    let old = role("000000000000", "Old");
    let body = |id: &str, role: &str, region: &str| {
        format!(
            "[profile {id}-{role}]\ncredential_process = {COMMAND_WORD} -p corp -r arn:aws:iam::{id}:role/{role} --sink process\nregion = {region}\n"
        )
    };
    let block = |profiles: &[String]| {
        format!(
            "[default]\n\n# BEGIN ssocred discover: start URL https://d-1.awsapps.com/start\n{}# END ssocred discover: start URL https://d-1.awsapps.com/start\n",
            profiles.concat()
        )
    };
    let kept = body(old.account_id(), old.role_name(), "eu-central-1");
    let read_only = body("111111111111", "ReadOnly", "eu-central-1");
    let stale_read_only = body("111111111111", "ReadOnly", "us-east-1");
    let admin = body("111111111111", "Admin", "us-west-2");
    for (name, text) in [
        (
            "sorted",
            block(&[kept.clone(), admin.clone(), read_only.clone()]),
        ),
        (
            "hand-ordered",
            block(&[
                read_only.clone(),
                stale_read_only.clone(),
                kept.clone(),
                admin.clone(),
                read_only.clone(),
            ]),
        ),
    ] {
        std::fs::write(&f.path, &text).unwrap();
        f.run("", &sso(None), &two()).unwrap();
        let merged = f.text();
        assert!(merged.contains(&kept), "{name}: {merged}");
        let at = |what: &str| merged.find(what).unwrap();
        assert!(
            at("000000000000-Old") < at("111111111111-Admin")
                && at("111111111111-Admin") < at("111111111111-ReadOnly"),
            "{name}: {merged}"
        );
        assert_eq!(merged.matches("-ReadOnly]").count(), 1, "{name}: {merged}");
        assert!(
            !merged.contains("us-west-2"),
            "{name}: the new Admin replaces the old"
        );
        f.run(",prune=true", &sso(None), &two()).unwrap();
        assert_eq!(f.text(), sorted, "{name}");
    }
}

#[test]
fn an_unchanged_file_is_not_written_again() {
    let f = Fixture::new(Some("[default]\nregion = x\n"));
    f.run("", &sso(None), &two()).unwrap();
    let first = std::fs::metadata(&f.path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    f.run("", &sso(None), &two()).unwrap();
    let again = std::fs::metadata(&f.path).unwrap().modified().unwrap();
    assert_eq!(again, first, "neither written nor replaced");
    // One changed byte in the block is put right.
    let text = f
        .text()
        .replace("region = eu-central-1", "region = eu-central-2");
    std::fs::write(&f.path, &text).unwrap();
    f.run("", &sso(None), &two()).unwrap();
    assert!(!f.text().contains("eu-central-2"));
}

#[test]
fn a_file_changed_between_two_reads_is_not_written() {
    let f = Fixture::new(Some("[default]\n"));
    let file = TargetFile::open_for_update(&f.path).unwrap();
    let stamp = Some(Stamp::of(&file.reader().unwrap().unwrap()).unwrap());
    assert!(
        reopen(&file, stamp, &f.path).unwrap().is_some(),
        "as it was"
    );
    // Another program, which takes no lock, edits the file meanwhile.
    std::fs::write(&f.path, "[default]\nregion = x\n").unwrap();
    let e = reopen(&file, stamp, &f.path).unwrap_err();
    assert!(
        e.to_string()
            .contains("changed while ssocred was updating it"),
        "{e}"
    );
    assert_eq!(e.exit_code(), ssocred_core::domain::exit::ExitClass::Output);
    // A file that appears where there was none is a change too.
    let gone = f.path.with_file_name("new");
    let file = TargetFile::open_for_update(&gone).unwrap();
    std::fs::write(&gone, "").unwrap();
    assert!(reopen(&file, None, &gone).is_err());
}

#[test]
fn prune_replaces_the_block_contents() {
    let f = Fixture::new(Some("[default]\nregion = x\n"));
    f.run("", &sso(None), &two()).unwrap();
    let listed = f.text();
    // An instance with no roles left: kept without prune...
    f.run("", &sso(None), &[]).unwrap();
    assert_eq!(f.text(), listed);
    // ...and its whole block removed with it, every other byte kept.
    f.run(",prune=true", &sso(None), &[]).unwrap();
    assert_eq!(f.text(), "[default]\nregion = x\n\n");
    f.run("", &sso(None), &two()).unwrap();
    assert_eq!(f.text(), listed, "the block comes back where it was");
    let only_new = [role("333333333333", "X")];
    f.run(",prune=true", &sso(None), &only_new).unwrap();
    let text = f.text();
    assert!(
        text.contains("333333333333-X") && !text.contains("111111111111"),
        "{text}"
    );
}

#[test]
fn never_overwrites_a_profile_written_outside_the_block() {
    let user = "[profile 111111111111-ReadOnly]\n# hand written\nregion = ap-south-1\n";
    let f = Fixture::new(Some(user));
    f.run("", &sso(None), &two()).unwrap();
    let text = f.text();
    assert!(text.starts_with(user), "{text}");
    assert_eq!(text.matches("111111111111-ReadOnly").count(), 1, "{text}");
    assert!(text.contains("[profile 111111111111-Admin]"), "{text}");
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let user = "[default]\nregion = us-east-1\n";
    let f = Fixture::new(Some(user));
    let out = f.run(",dry-run=true", &sso(None), &two()).unwrap();
    assert_eq!(f.text(), user);
    let path = f.path.display().to_string();
    assert!(
        out.starts_with(&format!("--- {path}\n+++ {path}\n@@ -1,2 +1,15 @@\n")),
        "{out}"
    );
    assert!(out.contains("+[profile 111111111111-Admin]\n"), "{out}");
    assert!(out.contains(" region = us-east-1\n"), "{out}");
    // Nothing to change: an empty diff.
    f.run("", &sso(None), &two()).unwrap();
    let out = f.run(",dry-run=true", &sso(None), &two()).unwrap();
    assert_eq!(out, "");
    let missing = Fixture::new(None);
    missing.run(",dry-run", &sso(None), &two()).unwrap();
    assert!(!missing.path.exists());
}

#[test]
fn sso_style_writes_native_keys_and_never_credential_process() {
    let f = Fixture::new(None);
    f.run(
        ",style=sso",
        &sso(Some("corp-session")),
        &[role("111111111111", "Admin")],
    )
    .unwrap();
    assert_eq!(
        f.text(),
        "# BEGIN ssocred discover: sso-session corp-session\n\
         # Written by `ssocred discover`; edits inside this block are replaced on the next run.\n\n\
         [profile 111111111111-Admin]\nsso_session = corp-session\nsso_account_id = 111111111111\n\
         sso_role_name = Admin\nregion = eu-central-1\n\n\
         # END ssocred discover: sso-session corp-session\n"
    );
    let f = Fixture::new(None);
    f.run(",style=sso", &sso(None), &[role("111111111111", "Admin")])
        .unwrap();
    let text = f.text();
    assert!(text.contains("sso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\n"), "{text}");
    // Switching style replaces the keys: no profile holds both kinds.
    f.run("", &sso(None), &[role("111111111111", "Admin")])
        .unwrap();
    let text = f.text();
    assert!(
        text.contains("credential_process") && !text.contains("sso_account_id"),
        "{text}"
    );
}

#[test]
fn each_sso_instance_has_its_own_block() {
    let f = Fixture::new(None);
    f.run("", &sso(None), &two()).unwrap();
    f.run("", &sso(Some("s2")), &[role("222222222222", "Dev")])
        .unwrap();
    let text = f.text();
    assert!(text.starts_with(&block_two()), "{text}");
    assert!(
        text.ends_with("# END ssocred discover: sso-session s2\n"),
        "{text}"
    );
    // Rerunning the first keeps the second as it is.
    f.run(",prune=true", &sso(None), &[role("111111111111", "Admin")])
        .unwrap();
    assert!(f.text().contains("222222222222-Dev"));
}

#[test]
fn leaves_broken_files_untouched() {
    for (text, expect) in [
        ("[profile ok]\na = b\n[broken\n", "line 3"),
        (
            "# BEGIN ssocred discover: start URL https://d-1.awsapps.com/start\n[profile x]\na = b\n",
            "has no `# END",
        ),
        (
            "# END ssocred discover: start URL https://d-1.awsapps.com/start\n",
            "without its",
        ),
    ] {
        let f = Fixture::new(Some(text));
        let e = f.run("", &sso(None), &two()).unwrap_err().to_string();
        assert!(e.contains(expect) && e.contains("left untouched"), "{e}");
        assert_eq!(f.text(), text);
    }
}

#[test]
fn follows_crlf_files() {
    let f = Fixture::new(Some("[default]\r\nregion = x\r\n"));
    f.run("", &sso(None), &two()).unwrap();
    let text = f.text();
    assert_eq!(
        text,
        format!(
            "[default]\r\nregion = x\r\n\r\n{}",
            block_two().replace('\n', "\r\n")
        )
    );
    f.run("", &sso(None), &two()).unwrap();
    assert_eq!(f.text(), text);
}

#[test]
fn an_unwritable_path_falls_back_to_ssocred_on_path_else_names_the_way_out() {
    // A quote cannot be written by either system's rules.
    let path = "/opt/a\"b/ssocred";
    assert_eq!(
        command_word(path, |name| name == "ssocred").unwrap(),
        "ssocred"
    );
    let e = command_word(path, |_| false).unwrap_err().to_string();
    assert!(e.contains(path) && e.contains("command=PATH"), "{e}");
    let e = command_word("/opt/a\"b/other", |_| true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("command=PATH"), "{e}");
    let e = shell_word("it's \"quoted\"").unwrap_err().to_string();
    assert!(e.contains("credential_process"), "{e}");
}

// Unix only: splits the line with `sh`.
#[cfg(unix)]
#[test]
fn comment_markers_in_the_command_line_survive_the_sdk_parser_and_sh() {
    let path = "/opt/my #tools ;x/ssocred";
    let line = format!(
        "{} -p {} -r arn:aws:iam::1:role/R --sink process",
        command_word(path, |_| false).unwrap(),
        shell_word("corp #1 ;2").unwrap()
    );
    assert!(!line.contains(" #") && !line.contains(" ;"), "{line}");
    let text = format!("[profile p]\ncredential_process = {line}\n");
    let sections = ssocred_core::store::profile::parse_sections(Some(&text), None).unwrap();
    let read = sections.get_profile("p").unwrap().get("credential_process");
    assert_eq!(read, Some(line.as_str()));
    let words = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\n' {line}"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(words.stdout).unwrap(),
        format!("{path}\n-p\ncorp #1 ;2\n-r\narn:aws:iam::1:role/R\n--sink\nprocess\n")
    );
}

#[test]
fn refuses_credentials_and_bad_options() {
    let f = Fixture::new(None);
    for bad in [",style=both", ",prune=yes", ",colour=red"] {
        let e = f.run(bad, &sso(None), &two()).unwrap_err().to_string();
        assert!(e.contains("config-profiles"), "{e}");
    }
    assert!(!f.path.exists());
}

#[test]
fn a_profile_body_compares_by_its_setting_lines() {
    let plain = Body::new("a = 1\nb = 2\n");
    assert_eq!(plain, Body::new("a = 1\r\n\n# c\nb = 2"));
    assert_ne!(plain, Body::new("a = 1\n"));
    assert_ne!(plain, Body::new("b = 2\na = 1\n"));
    assert_ne!(plain, Body::new("a = 1\nb = 3\n"));
}

#[test]
fn an_existing_block_is_read_back_profile_by_profile() {
    let mut lines = Lines::new(BLOCK_TWO.as_bytes());
    // Just past the begin marker, as the walk hands the block over.
    while lines
        .next_line()
        .unwrap()
        .is_some_and(|l| !l.starts_with("# BEGIN"))
    {}
    let block: Vec<(String, String)> = OldBlock {
        lines: &mut lines,
        end: end_marker("sso-session corp"),
        next: None,
        done: false,
    }
    .collect::<Result<_, _>>()
    .unwrap();
    let names: Vec<&str> = block.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["111111111111-Admin", "111111111111-ReadOnly"]);
    let admin: Vec<&str> = Body::new(&block[0].1).lines().collect();
    assert_eq!(
        admin,
        [
            "credential_process = \"/opt/my tools/ssocred\" -p corp -r arn:aws:iam::111111111111:role/Admin --sink process",
            "region = eu-central-1"
        ]
    );
}

#[test]
fn an_appended_block_is_set_off_by_exactly_one_blank_line() {
    for (before, eol, sep) in [
        ("", "\n", ""),
        ("\n", "\n", ""),
        ("\r\n", "\r\n", ""),
        ("x = 1", "\n", "\n\n"),
        ("x = 1\n", "\n", "\n"),
        ("x = 1\n\n", "\n", ""),
        ("x = 1\r\n", "\r\n", "\r\n"),
        ("x = 1\r\n\r\n", "\r\n", ""),
        ("; a long comment that ends in é", "\n", "\n\n"),
        ("; ends in ééééé\n", "\n", "\n"),
    ] {
        assert_eq!(separator(before, eol), sep, "{before:?}");
    }
}

#[test]
fn same_as_tells_an_identical_rendering_from_any_other() {
    use std::fmt::Write as _;
    let check = |pieces: &[&str]| {
        let mut same = SameAs::new(Some("abc\ndef\n".as_bytes()));
        for p in pieces {
            same.write_str(p).unwrap();
        }
        same.matched().unwrap()
    };
    assert!(check(&["abc\n", "def\n"]));
    assert!(check(&["a", "bc\nde", "f\n"]));
    assert!(!check(&["abc\n"]), "a prefix is not the whole");
    assert!(!check(&["abc\n", "def\n", "x"]), "nor is a longer text");
    assert!(!check(&["abc\n", "dEf\n"]));
    assert!(!check(&["abd", "c\ndef\n"]), "a mismatch is never undone");
    let mut none = SameAs::<&[u8]>::new(None);
    none.write_str("").unwrap();
    assert!(none.matched().unwrap(), "no file is the empty text");
    let mut none = SameAs::<&[u8]>::new(None);
    none.write_str("x").unwrap();
    assert!(!none.matched().unwrap());
}

#[test]
fn two_roles_with_one_profile_name_are_refused_and_nothing_is_written() {
    let f = Fixture::new(Some("[default]\n"));
    // The fixture names roles ID-ROLE, so the same role twice collides.
    let twice = [role("111111111111", "Admin"), role("111111111111", "Admin")];
    let err = f.run("", &sso(None), &twice).unwrap_err().to_string();
    assert!(
        err.contains("two roles share the profile name `111111111111-Admin`"),
        "{err}"
    );
    assert_eq!(f.text(), "[default]\n");
}

#[test]
fn a_refused_profile_leaves_no_trace_in_the_pending_set() {
    let mut pending = Pending::default();
    pending
        .push("a", |out| {
            out.push_str("k = 1\n");
            Ok(())
        })
        .unwrap();
    let refused = pending.push("b", |out| {
        out.push_str("half");
        Err(SinkError::refused(NAME, "no".to_owned()))
    });
    assert!(refused.is_err());
    pending
        .push("c", |out| {
            out.push_str("k = 3\n");
            Ok(())
        })
        .unwrap();
    pending.sort().unwrap();
    let seen: Vec<(&str, Vec<&str>)> = pending
        .profiles()
        .map(|(name, body)| (name, body.lines().collect()))
        .collect();
    assert_eq!(seen, [("a", vec!["k = 1"]), ("c", vec!["k = 3"])]);
}

#[test]
fn pending_profiles_survive_many_chunks_and_one_larger_than_a_chunk() {
    let mut pending = Pending::default();
    let big = "x".repeat(CHUNK + 10);
    for i in (0..3000).rev() {
        let name = format!("p{i:05}");
        let value = if i == 1500 {
            big.clone()
        } else {
            format!("v{i:0>100}")
        };
        pending
            .push(&name, |out| {
                out.push_str(&format!("k = {value}\n"));
                Ok(())
            })
            .unwrap();
    }
    assert!(pending.chunks.len() > 3, "{} chunks", pending.chunks.len());
    assert!(
        pending
            .chunks
            .iter()
            .all(|c| c.len() <= c.capacity() && c.capacity() >= CHUNK),
        "no chunk grew past what it was given"
    );
    pending.sort().unwrap();
    let all: Vec<_> = pending.profiles().collect();
    assert_eq!(all.len(), 3000);
    for (i, (name, body)) in all.iter().enumerate() {
        assert_eq!(*name, format!("p{i:05}"));
        let want = if i == 1500 {
            format!("k = {big}")
        } else {
            format!("k = v{i:0>100}")
        };
        assert_eq!(body.lines().collect::<Vec<_>>(), [want.as_str()]);
    }
}

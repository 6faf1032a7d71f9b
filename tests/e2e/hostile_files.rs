//! File sinks against hostile targets: FIFOs and devices are written in
//! place and never replaced, `/dev/stdout` works into a pipe, links planted
//! in shared directories are refused (exit 7), and two names for one file
//! share one lock.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::world::*;

const OTHER_UID: &str = "54321";

fn run_ok(cmd: &mut Command) {
    let status = cmd.status().unwrap();
    assert!(status.success(), "{cmd:?} failed: {status}");
}

fn json_to(w: &World, out: &Path) -> Output {
    w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        &format!("json,out={}", out.display()),
    ])
}

/// A failed run's exit code and stderr.
fn failed(out: &Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn json_into_a_fifo_is_written_in_place_for_its_reader() {
    let w = World::new();
    let dir = w.home().join("pipes");
    std::fs::create_dir(&dir).unwrap();
    let fifo = dir.join("out.json");
    run_ok(Command::new("mkfifo").arg(&fifo));
    let (sender, read) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || sender.send(std::fs::read_to_string(fifo).unwrap()));
    }
    ok(&json_to(&w, &fifo));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    // ssocred has exited, so the reader has its EOF; the margin is for a
    // loaded machine.
    let read = read
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the reader never got the output");
    let json: serde_json::Value = serde_json::from_str(&read).unwrap();
    assert_eq!(json["access_key_id"], w.only_issued().access_key_id);
    assert_eq!(names_in(&dir), ["out.json"], "a lock or temp file was left");
}

#[test]
fn json_to_dev_stdout_into_a_pipe() {
    let w = World::new();
    let out = w
        .cmd()
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .args(["--sink", "json,out=/dev/stdout"])
        .stdout(Stdio::piped())
        .run_to_end();
    let json = ok_json(&out);
    assert_eq!(json["access_key_id"], w.only_issued().access_key_id);
}

#[test]
fn a_full_device_exits_7_and_stays_a_device() {
    let w = World::new();
    // As root, a private twin of /dev/full, so a regression replaces that
    // and not the system's.
    let full = if rustix::process::geteuid().is_root() {
        let twin = w.home().join("full");
        run_ok(Command::new("mknod").arg(&twin).args(["c", "1", "7"]));
        twin
    } else {
        "/dev/full".into()
    };
    let (code, stderr) = failed(&json_to(&w, &full));
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains(&full.display().to_string()), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let kind = std::fs::symlink_metadata(&full).unwrap().file_type();
    assert!(kind.is_char_device(), "{} was replaced", full.display());
}

#[test]
fn a_link_planted_in_a_shared_directory_exits_7_and_spares_its_target() {
    if !ssocred_test_support::require_root(
        "a_link_planted_in_a_shared_directory_exits_7_and_spares_its_target",
        "it plants a link owned by another user",
    ) {
        return;
    }
    let w = World::new();
    let ssh = w.home().join(".ssh");
    std::fs::create_dir(&ssh).unwrap();
    let keys = ssh.join("authorized_keys");
    std::fs::write(&keys, "ssh-ed25519 AAAA me\n").unwrap();
    let shared = w.home().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let planted = shared.join("aws.env");
    std::os::unix::fs::symlink(&keys, &planted).unwrap();
    run_ok(Command::new("chown").args(["-h", OTHER_UID]).arg(&planted));
    let out = w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        &format!("docker-env:{}", planted.display()),
    ]);
    let (code, stderr) = failed(&out);
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains(&planted.display().to_string()), "{stderr}");
    assert!(
        stderr.contains(&format!("owned by uid {OTHER_UID}")),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&keys).unwrap(),
        "ssh-ed25519 AAAA me\n"
    );
    assert_eq!(names_in(&ssh), ["authorized_keys"]);
}

#[test]
fn a_world_writable_directory_without_sticky_bit_exits_7() {
    let w = World::new();
    let open = w.home().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, stderr) = failed(&json_to(&w, &open.join("out.json")));
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains("without the sticky bit"), "{stderr}");
    assert!(names_in(&open).is_empty());
}

#[test]
fn a_planted_lock_link_exits_7_and_creates_nothing() {
    let w = World::new();
    let elsewhere = w.home().join("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, w.home().join(".out.json.lock")).unwrap();
    let (code, stderr) = failed(&json_to(&w, &w.home().join("out.json")));
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains(".out.json.lock is a symlink"), "{stderr}");
    assert!(!elsewhere.exists());
    assert!(!w.home().join("out.json").exists());
}

#[test]
fn sixteen_writers_through_a_link_and_sixteen_through_the_real_path_keep_all_32() {
    let w = World::new();
    let shared = w.home().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let real = shared.join("creds");
    std::fs::create_dir_all(w.aws_dir()).unwrap();
    std::os::unix::fs::symlink("../shared/creds", w.credentials_path()).unwrap();
    // Without the cache each writer fetches its own credentials, so the
    // writes race.
    let children: Vec<_> = (0..32)
        .map(|i| {
            let sink = if i % 2 == 0 {
                format!("credentials-file:writer-{i}")
            } else {
                format!(
                    "credentials-file:profile=writer-{i},path={}",
                    real.display()
                )
            };
            w.cmd()
                .args(["-p", "modern", "-r", READ_ONLY_ARN, "--no-cache"])
                .args(["--sink", &sink])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    let after = std::fs::read_to_string(&real).unwrap();
    let sections = ssocred_core::store::profile::parse_sections(None, Some(&after)).unwrap();
    let mut names: Vec<&str> = sections.profiles().collect();
    names.sort();
    let mut expected: Vec<String> = (0..32).map(|i| format!("writer-{i}")).collect();
    expected.sort();
    assert_eq!(names, expected, "sections were lost:\n{after}");
    let link = std::fs::symlink_metadata(w.credentials_path()).unwrap();
    assert!(link.file_type().is_symlink());
}

#[test]
fn merging_sinks_refuse_a_fifo_instead_of_reading_it() {
    let w = World::new();
    let fifo = w.home().join("fifo");
    run_ok(Command::new("mkfifo").arg(&fifo));
    for sink in [
        format!("credentials-file:profile=ci,path={}", fifo.display()),
        format!("dotenv:{}", fifo.display()),
    ] {
        let mut child = w
            .cmd()
            .args(["-p", "modern", "-r", READ_ONLY_ARN, "--sink", &sink])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Reading a FIFO nobody writes would block for ever; the margin is
        // for a loaded machine.
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("{sink}: ssocred blocked on the FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let (code, stderr) = failed(&child.wait_with_output().unwrap());
        assert_eq!(code, Some(7), "{sink}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{sink}: {stderr}");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}

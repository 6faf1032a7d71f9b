//! Faults while writing: SIGKILL at many points, a read-only directory, a
//! full disk, symlinked targets. Each leaves the old content or the new one,
//! never a mix, and ends with a clear error naming the file.
//!
//! Read-only and full filesystems are real tmpfs mounts when the test may
//! mount (tests run as root, whom permission bits do not stop); the full disk
//! is also simulated everywhere with a file-size limit (`ulimit -f`), which
//! makes writes fail midway exactly as a full disk does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use ssocred_core::store::ini_edit;
use ssocred_core::store::role_cache;

use crate::world::*;

/// A credentials file big enough that writing it takes a while.
fn big_credentials(profiles: usize) -> String {
    let mut text = String::from("# managed by hand; every byte must survive\n");
    for i in 0..profiles {
        text.push_str(&format!(
            "[profile-{i}]\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = {}\n; note {i}\n\n",
            "s".repeat(40)
        ));
    }
    text
}

/// The credentials file after a completed write of the latest credentials.
fn expected_after(w: &World, before: &str, profile: &str) -> String {
    let last = w.emulator.issued().pop().unwrap();
    written(before, profile, &last)
}

/// The credentials file after a completed write of `last`.
fn written(before: &str, profile: &str, last: &ssocred_emulator::IssuedCredentials) -> String {
    ini_edit::set_section(
        before,
        profile,
        &[
            ("aws_access_key_id", &last.access_key_id),
            ("aws_secret_access_key", &last.secret_access_key),
            ("aws_session_token", &last.session_token),
            ("region", "us-east-1"),
        ],
    )
}

enum Seen {
    Old,
    New,
}

/// Runs `args` repeatedly, killing the process with SIGKILL after delays
/// spread from 0 to twice an uninterrupted run, and has `check` judge what
/// each kill left. Returns how often the old and the new content were seen.
fn kill_loop(
    w: &World,
    args: &[&str],
    reset: impl Fn(),
    check: impl Fn() -> Seen,
) -> (usize, usize) {
    reset();
    let start = Instant::now();
    ok(&w.run(args));
    let full = start.elapsed();
    const POINTS: u32 = 40;
    let (mut old, mut new) = (0, 0);
    // Delays spread over twice a calibrated run, then (only if a loaded
    // machine slowed the runs down) longer ones until a run completes.
    let delays = (0..=POINTS)
        .map(|i| full * 2 * i / POINTS)
        .chain((3..30).map(|k| full * k));
    for delay in delays {
        if loop_done(old, new, POINTS) {
            break;
        }
        reset();
        let mut child = w
            .cmd()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        match check() {
            Seen::Old => old += 1,
            Seen::New => new += 1,
        }
    }
    (old, new)
}

/// Whether the loop has covered its spread and seen a completed write.
fn loop_done(old: usize, new: usize, points: u32) -> bool {
    old + new > points as usize && new > 0
}

/// Files a killed writer may leave next to its target: only its own temp
/// files and the lock file. A temp file is 0600, or has the target's own
/// mode: a replaced file gets the target's mode before it is linked under
/// its temp name, so a kill between that link and the rename leaves the
/// complete new file with the mode the target was about to have.
fn assert_only_private_leftovers(dir: &Path, target: &str) {
    use std::os::unix::fs::PermissionsExt;
    let target_mode = std::fs::metadata(dir.join(target))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let ours = [
            target.to_owned(),
            format!(".{target}.lock"),
            "config".to_owned(),
        ];
        if ours.contains(&name) || entry.path().is_dir() {
            continue;
        }
        assert!(
            name.starts_with(&format!(".{target}.")) && name.ends_with(".tmp"),
            "unexpected file {name}"
        );
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert!(
            mode == 0o600 || mode == target_mode,
            "{name} has mode {mode:o}, neither 0600 nor the target's {target_mode:o}"
        );
    }
}

/// Where the platform has unnamed temp files (Linux), a killed writer
/// leaves no temp file at all: the file gets its name only once complete.
fn assert_no_temp_files_where_unnamed_temps_exist(dir: &Path, complete: impl Fn(&[u8]) -> bool) {
    let unnamed = ssocred_core::os::fs::kill_leaves_no_temp_file(dir);
    if std::env::consts::OS == "linux" {
        assert!(unnamed, "no O_TMPFILE in {} on Linux", dir.display());
    }
    if !unnamed {
        return;
    }
    // The temp file gets a name only once it is complete, for the two
    // calls that link it and rename it over the target: a kill that lands
    // between them (rare, more likely on a loaded machine) leaves a whole
    // copy, which the ten-minute sweep removes. Never a partial one.
    let partial: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .filter(|p| !complete(&std::fs::read(p).unwrap()))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        partial.is_empty(),
        "killed writers left partial temp files {partial:?}"
    );
}

#[test]
fn sigkill_while_writing_the_credentials_file_leaves_old_or_new() {
    let w = World::new();
    let before = big_credentials(1000);
    let path = w.credentials_path();
    let args = [
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--no-cache",
        "--sink",
        "credentials-file:target",
    ];
    let (old, new) = kill_loop(
        &w,
        &args,
        || std::fs::write(&path, &before).unwrap(),
        || {
            let after = std::fs::read_to_string(&path).unwrap();
            if after == before {
                Seen::Old
            } else {
                assert_eq!(after, expected_after(&w, &before, "target"), "mixed file");
                Seen::New
            }
        },
    );
    assert!(
        old > 0 && new > 0,
        "kills landed at too few points: {old} old, {new} new"
    );
    assert_only_private_leftovers(&w.aws_dir(), "credentials");
    // Any run's whole file: a kill between link and rename leaves the
    // file that run was writing.
    let wholes: Vec<String> = w
        .emulator
        .issued()
        .iter()
        .map(|c| written(&before, "target", c))
        .collect();
    assert_no_temp_files_where_unnamed_temps_exist(&w.aws_dir(), |bytes| {
        wholes.iter().any(|whole| bytes == whole.as_bytes())
    });
}

#[test]
fn sigkill_while_writing_the_role_cache_leaves_no_partial_entry() {
    let w = World::new();
    let args = ["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"];
    let dir = w.aws_dir().join("cli/cache");
    let entry = || {
        std::fs::read_dir(&dir).ok().and_then(|d| {
            d.map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "json"))
        })
    };
    let (old, new) = kill_loop(
        &w,
        &args,
        || {
            if let Some(e) = entry() {
                std::fs::remove_file(e).unwrap();
            }
        },
        || match entry() {
            None => Seen::Old,
            Some(path) => {
                let cached = role_cache::parse_entry(&std::fs::read(&path).unwrap())
                    .unwrap_or_else(|e| panic!("partial cache entry: {e}"));
                let last = w.emulator.issued().pop().unwrap();
                assert_eq!(cached.access_key_id, last.access_key_id);
                Seen::New
            }
        },
    );
    assert!(
        old > 0 && new > 0,
        "kills landed at too few points: {old} old, {new} new"
    );
    ok(&w.run(&args));
    let [name] = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert_only_private_leftovers(&dir, &name);
    assert_no_temp_files_where_unnamed_temps_exist(&dir, |bytes| {
        role_cache::parse_entry(bytes).is_ok()
    });
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    /// A tmpfs on `dir` for the test `what`; `None` after a loud skip where
    /// this process may not mount (a failure under SSOCRED_REQUIRE_ROOT=1:
    /// root in CI may).
    fn tmpfs(what: &str, dir: &Path, options: &str) -> Option<Mount> {
        if !ssocred_test_support::require_root(what, "it mounts a tmpfs") {
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        if !mounted.status.success() {
            ssocred_test_support::skip(
                what,
                &format!(
                    "root cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&mounted.stderr).trim()
                ),
                "SSOCRED_REQUIRE_ROOT",
            );
            return None;
        }
        Some(Mount(dir.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn write_to(w: &World, path: &Path) -> Output {
    w.cmd()
        .args([
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "credentials-file:new",
        ])
        .env("AWS_SHARED_CREDENTIALS_FILE", path)
        .run_to_end()
}

fn assert_output_error(out: &Output, path: &Path, reason: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert!(stderr.contains(reason), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}

#[test]
fn a_read_only_directory_is_a_clear_error_and_the_file_stays() {
    let w = World::new();
    let dir = w.home().join("ro");
    let Some(mount) = Mount::tmpfs(
        "a_read_only_directory_is_a_clear_error_and_the_file_stays",
        &dir,
        "size=1m,mode=0700",
    ) else {
        return;
    };
    let path = dir.join("credentials");
    let before = "[keep]\naws_access_key_id = AKIAKEEP\n";
    std::fs::write(&path, before).unwrap();
    mount.remount("ro");
    let out = write_to(&w, &path);
    assert_output_error(&out, &path, "Read-only file system");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file was left as it was"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_file_stays() {
    let w = World::new();
    let before = big_credentials(1000);
    let dir = w.home().join("full");
    // Without mount rights, the `ulimit -f` test still runs.
    let Some(_mount) = Mount::tmpfs(
        "a_full_disk_is_a_clear_error_and_the_file_stays",
        &dir,
        "size=512k,mode=0700",
    ) else {
        return;
    };
    let path = dir.join("credentials");
    std::fs::write(&path, &before).unwrap();
    // Fill what is left, so the new file cannot be written.
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    drop(f);
    let out = write_to(&w, &path);
    assert_output_error(&out, &path, "No space left on device");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file was left as it was"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_only_private_leftovers_except(&dir, "credentials", "filler");
}

fn assert_only_private_leftovers_except(dir: &Path, target: &str, other: &str) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n != other)
        .collect();
    // A failed write removes its temp file: only the target and the lock stay.
    let mut names = names;
    names.sort();
    assert_eq!(names, [format!(".{target}.lock"), target.to_owned()]);
}

/// Runs ssocred with `args` under `ulimit -f 128` (512-byte blocks in sh):
/// any write past 64 KiB fails with EFBIG, as a full disk fails a write;
/// SIGXFSZ is ignored so the write returns the error instead of killing the
/// process.
fn with_64k_file_limit(w: &World, args: &[&str]) -> Output {
    w.command("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_ssocred"),
        ])
        .args(args)
        .run_to_end()
}

#[test]
fn a_write_cut_short_by_a_file_size_limit_is_a_clear_error_and_the_file_stays() {
    let w = World::new();
    let path = w.credentials_path();
    let before = big_credentials(1000);
    std::fs::write(&path, &before).unwrap();
    // The new file is larger than 64 KiB, so writing it fails.
    let out = with_64k_file_limit(
        &w,
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "credentials-file:new",
        ],
    );
    assert_output_error(&out, &path, "File too large");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file was left as it was"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_only_private_leftovers_except(&w.aws_dir(), "credentials", "config");
}

#[test]
fn a_discover_write_cut_short_midway_is_a_clear_error_and_the_config_stays() {
    // 600 profiles make a block of about 90 KiB, streamed into the temp
    // file; a 64 KiB file-size limit stops it partway through.
    let w =
        World::with_emulator(ssocred_emulator::EmulatorConfig::generated(600, 1).with_token(TOKEN));
    let path = w.config_path();
    let before = std::fs::read_to_string(&path).unwrap();
    let out = with_64k_file_limit(&w, &["discover", "-p", "modern", "-q"]);
    assert_output_error(&out, &path, "File too large");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_only_private_leftovers_except(&w.aws_dir(), "config", "credentials");
    // Without the limit the same run lands whole.
    ok(&w.run(&["discover", "-p", "modern", "-q"]));
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.len() > 64 * 1024 && after.starts_with(&before));
    assert_eq!(after.matches("credential_process = ").count(), 600);
}

#[test]
fn symlinked_targets_are_followed_and_stay_links() {
    let w = World::new();
    let dotfiles = w.home().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("aws-credentials");
    let before = "# mine\n[keep]\naws_access_key_id = AKIAKEEP\n";
    std::fs::write(&real, before).unwrap();
    let link = w.credentials_path();
    std::os::unix::fs::symlink("../dotfiles/aws-credentials", &link).unwrap();
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:new",
    ]));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        expected_after(&w, before, "new")
    );

    // A link to a file that does not exist yet creates the file.
    let dangling = w.home().join("dangling");
    std::os::unix::fs::symlink(dotfiles.join("later"), &dangling).unwrap();
    ok(&write_to(&w, &dangling));
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(dotfiles.join("later"))
            .unwrap()
            .contains("[new]")
    );

    // A loop of links is a clear error.
    let a = w.home().join("loop-a");
    let b = w.home().join("loop-b");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let out = write_to(&w, &a);
    assert_output_error(&out, &a, "symbolic links");
}

#[test]
fn a_symlinked_role_cache_entry_is_followed() {
    let w = World::new();
    let args = ["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"];
    ok(&w.run(&args));
    let dir = w.aws_dir().join("cli/cache");
    let entry = crate::cache::entries(&w).pop().unwrap();
    let elsewhere = w.home().join("entry.json");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    // Expire it so the next call rewrites it through the link.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&elsewhere).unwrap()).unwrap();
    json["Credentials"]["Expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&elsewhere, json.to_string()).unwrap();
    ok(&w.run(&args));
    assert!(
        std::fs::symlink_metadata(&entry)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let cached = role_cache::parse_entry(&std::fs::read(&elsewhere).unwrap()).unwrap();
    assert_eq!(cached.access_key_id, w.emulator.issued()[1].access_key_id);
    assert!(dir.is_dir());
}

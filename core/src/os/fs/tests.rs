//! The safe-write rules of `crate::os::fs` on Unix.
// Unix only: these tests exercise modes, owners, the sticky-directory
// rule, symlinks planted by other users, FIFOs and devices, none of which
// exists on Windows (docs/platforms.md).
#![cfg(unix)]

use super::*;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};

/// Makes a FIFO at `path` with mkfifo(1) (rustix has no mkfifoat on macOS).
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `read` on another thread; fails when it has not returned
/// within a generous deadline (a blocking open would hang forever).
fn read_within_deadline(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (sender, done) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || sender.send(read_bounded(&path, limit)));
    done.recv_timeout(Duration::from_secs(30))
        .expect("read_bounded hung")
}

#[test]
fn bounded_reads_refuse_a_fifo_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("entry.json");
    mkfifo(&fifo);
    let e = read_within_deadline(&fifo, MAX_CACHE_FILE_BYTES).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains("not a regular file (it is a FIFO)"),
        "{e}"
    );
}

#[test]
fn bounded_reads_refuse_a_link_to_dev_zero() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ca.pem");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let e = read_within_deadline(&link, MAX_CA_BUNDLE_BYTES).unwrap_err();
    assert!(
        e.to_string()
            .contains("not a regular file (it is a character device)"),
        "{e}"
    );
}

#[test]
fn bounded_reads_stop_at_the_limit_and_keep_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entry.json");
    std::fs::write(&path, vec![b' '; 2048]).unwrap();
    assert_eq!(read_bounded(&path, 2048).unwrap().len(), 2048);
    let e = read_bounded(&path, 2047).unwrap_err();
    assert!(e.to_string().contains("larger than the 2047 bytes"), "{e}");
    let e = read_bounded(&path, 1024).unwrap_err();
    assert!(e.to_string().contains("larger than the 1 KiB"), "{e}");
    let e = read_bounded(&dir.path().join("missing"), 10).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
}

#[test]
fn writes_private_files_and_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new/.aws/credentials");
    write_atomic(&target, b"hello").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"hello");
    assert_eq!(mode(&target), 0o600);
    assert_eq!(mode(target.parent().unwrap()), 0o700);
    // No temp file stays behind.
    let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(names.len(), 1);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_replaced_user_file_keeps_its_mode_by_either_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config");
    for bits in [0o644, 0o640, 0o600, 0o664] {
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits)).unwrap();
        TargetFile::open(&target).unwrap().write(b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(mode(&target), bits, "{bits:o}");
    }
    // The named temp file, where no unnamed one can be made, alike.
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let replaced = std::fs::metadata(&target).unwrap();
    let to = To {
        dir: dir.path(),
        name: "config",
        target: &target,
        replaced: Some(&replaced),
    };
    replace_through_named(&to, |out| out.write_all(b"named")).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"named");
    assert_eq!(mode(&target), 0o644);
    // Set-id bits are never carried over.
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o4755)).unwrap();
    TargetFile::open(&target).unwrap().write(b"x").unwrap();
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    // ssocred's own files (caches, state) are 0600 whatever they were.
    write_atomic(&target, b"cache").unwrap();
    assert_eq!(mode(&target), 0o600);
}

#[test]
fn a_read_only_user_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config");
    for bits in [0o444, 0o400] {
        std::fs::write(&target, "keep").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits)).unwrap();
        let e = TargetFile::open(&target)
            .unwrap()
            .write(b"new")
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(
            e.to_string()
                .contains(&format!("{} is read-only", target.display())),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(mode(&target), bits);
        let temps = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(temps, 0, "no temp file was made");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn no_follow_reads_refuse_a_link_and_a_fifo_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "data").unwrap();
    let (bytes, meta) = read_bounded_no_follow(&file, 10).unwrap();
    assert_eq!(bytes, b"data");
    assert!(meta.is_file());
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let e = read_bounded_no_follow(&link, 10).unwrap_err();
    assert!(e.to_string().contains("it is a symlink"), "{e}");
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let (sender, done) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || sender.send(read_bounded_no_follow(&path, 10).map(|(b, _)| b)));
    let e = done
        .recv_timeout(Duration::from_secs(30))
        .expect("the read hung on a FIFO")
        .unwrap_err();
    assert!(e.to_string().contains("(it is a FIFO)"), "{e}");
    let e = read_bounded_no_follow(&file, 3).unwrap_err();
    assert!(e.to_string().contains("larger than the 3 bytes"), "{e}");
}

#[test]
fn a_killed_writers_temp_file_is_swept_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config");
    let place = |name: &str, age: Duration| {
        let path = dir.path().join(name);
        let file = File::create(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
        path
    };
    let stale = place(
        ".config.Ab12Cd.tmp",
        STALE_TEMP_AGE + Duration::from_secs(1),
    );
    let live = place(".config.Zz99Yy.tmp", Duration::from_secs(5));
    let other_file = place(".credentials.Ab12Cd.tmp", STALE_TEMP_AGE * 2);
    let not_a_temp = place(".config.old-01.tmp", STALE_TEMP_AGE * 2);
    write_atomic_with(&target, |out| {
        out.write_all(b"[default]\n")?;
        out.write_all(b"region = x\n")
    })
    .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"[default]\nregion = x\n");
    assert!(!stale.exists(), "the stale temp file stayed");
    for kept in [&live, &other_file, &not_a_temp] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }
}

#[test]
fn a_failing_fill_leaves_the_target_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config");
    std::fs::write(&target, "keep").unwrap();
    let err = write_atomic_with(&target, |out| {
        out.write_all(b"half")?;
        Err(io::Error::other("renderer failed"))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "renderer failed");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn follows_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("real", &link).unwrap();
    write_atomic(&link, b"new").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
}

#[test]
fn lock_excludes_a_second_holder() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    let held = FileLock::acquire(&target).unwrap();
    let e = FileLock::acquire_path(&lock_path(&target), Duration::from_millis(50)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    drop(held);
    FileLock::acquire_path(&lock_path(&target), Duration::from_millis(50)).unwrap();
}

/// Whether this process may create files owned by other users: root only,
/// and a loud skip otherwise (a failure under `SSOCRED_REQUIRE_ROOT=1`).
fn root_or_skip(test: &str) -> bool {
    ssocred_test_support::require_root(test, "it creates a link owned by another user")
}

const OTHER_UID: u32 = 54_321;

fn chown_link(link: &Path, uid: u32) {
    rustix::fs::chownat(
        rustix::fs::CWD,
        link,
        Some(rustix::fs::Uid::from_raw(uid)),
        None,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

fn shared_dir(mode: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

fn is_char_device(path: &str) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_char_device()
}

#[test]
fn a_fifo_is_written_in_place_without_lock_or_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.json");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let file = TargetFile::open(&fifo).unwrap();
    assert_eq!(file.target(), &Target::InPlace(fifo.clone()));
    file.write(b"{\"secret\":1}").unwrap();
    drop(file);
    assert_eq!(reader.join().unwrap(), b"{\"secret\":1}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_merging_writer_refuses_a_fifo_instead_of_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("credentials");
    mkfifo(&fifo);
    let e = TargetFile::open_for_update(&fifo).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = write_atomic(&fifo, b"x").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn dev_null_is_written_in_place_and_never_replaced() {
    let file = TargetFile::open(Path::new("/dev/null")).unwrap();
    assert_eq!(file.target(), &Target::InPlace("/dev/null".into()));
    file.write(b"secret").unwrap();
    assert!(is_char_device("/dev/null"));
    assert!(!Path::new("/dev/.null.lock").exists());
}

#[test]
fn dev_full_fails_with_enospc_and_stays_a_device() {
    let file = TargetFile::open(Path::new("/dev/full")).unwrap();
    // Checked before writing, so a regression cannot replace the device.
    assert_eq!(file.target(), &Target::InPlace("/dev/full".into()));
    let e = file.write(b"secret").unwrap_err();
    assert_eq!(
        e.raw_os_error(),
        Some(rustix::io::Errno::NOSPC.raw_os_error()),
        "{e}"
    );
    assert!(is_char_device("/dev/full"));
}

#[test]
fn dev_stdout_resolves_to_the_process_stdout_in_place() {
    let target = resolve(Path::new("/dev/stdout")).unwrap();
    assert_eq!(target, Target::InPlace("/proc/self/fd/1".into()));
}

#[test]
fn directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = resolve(dir.path()).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("is a directory"), "{e}");
}

#[test]
fn a_world_writable_directory_without_sticky_bit_is_refused() {
    let dir = shared_dir(0o777);
    let target = dir.path().join("aws.env");
    let e = TargetFile::open(&target).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("without the sticky bit"), "{e}");
    // Below it too: any user can rename `sub` away.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let e = resolve(&dir.path().join("sub/aws.env")).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_link_planted_by_another_user_in_a_sticky_directory_is_refused() {
    if !root_or_skip("a_link_planted_by_another_user_in_a_sticky_directory_is_refused") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let victim = home.path().join("authorized_keys");
    std::fs::write(&victim, "ssh-ed25519 AAAA me").unwrap();
    let shared = shared_dir(0o1777);
    let planted = shared.path().join("aws.env");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    chown_link(&planted, OTHER_UID);
    let e = TargetFile::open(&planted)
        .and_then(|file| file.write(b"AWS_SECRET_ACCESS_KEY=x"))
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(
        e.to_string().contains(&format!("owned by uid {OTHER_UID}")),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "ssh-ed25519 AAAA me"
    );
    assert!(!home.path().join(".authorized_keys.lock").exists());
}

#[test]
fn links_of_the_user_the_directory_owner_or_root_are_followed_in_a_sticky_directory() {
    let shared = shared_dir(0o1777);
    let real = shared.path().join("real");
    let link = shared.path().join("mine");
    std::os::unix::fs::symlink("real", &link).unwrap();
    assert_eq!(resolve(&link).unwrap(), Target::Replace(real.clone()));
    if !root_or_skip(
        "links_of_the_user_the_directory_owner_or_root_are_followed_in_a_sticky_directory",
    ) {
        return;
    }
    // Owned by the directory's owner: followed.
    rustix::fs::chown(
        shared.path(),
        Some(rustix::fs::Uid::from_raw(OTHER_UID)),
        None,
    )
    .unwrap();
    chown_link(&link, OTHER_UID);
    assert_eq!(resolve(&link).unwrap(), Target::Replace(real));
}

#[test]
fn a_planted_lock_link_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(".out.json.lock")).unwrap();
    let e = TargetFile::open(&dir.path().join("out.json")).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("is a symlink"), "{e}");
    assert!(!elsewhere.exists());
}

#[test]
fn two_names_for_one_file_share_one_lock() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::create_dir(dir.path().join("aws")).unwrap();
    let real = dir.path().join("shared/creds");
    let link = dir.path().join("aws/credentials");
    std::os::unix::fs::symlink("../shared/creds", &link).unwrap();
    let writers: Vec<_> = (0..32)
        .map(|i| {
            let name = if i % 2 == 0 {
                link.clone()
            } else {
                real.clone()
            };
            std::thread::spawn(move || {
                let file = TargetFile::open_for_update(&name).unwrap();
                let mut text = file.read().unwrap().unwrap_or_default();
                // Widen the window a lost update needs.
                std::thread::sleep(Duration::from_millis(2));
                text.push_str(&format!("[writer-{i}]\n"));
                file.write(text.as_bytes()).unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let text = std::fs::read_to_string(&real).unwrap();
    assert_eq!(text.lines().count(), 32, "{text}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn the_sweep_leaves_other_users_temp_files() {
    if !root_or_skip("the_sweep_leaves_other_users_temp_files") {
        return;
    }
    let dir = shared_dir(0o1777);
    let theirs = dir.path().join(".aws.env.Ab12Cd.tmp");
    let file = File::create(&theirs).unwrap();
    file.set_modified(std::time::SystemTime::now() - STALE_TEMP_AGE * 2)
        .unwrap();
    chown_link(&theirs, OTHER_UID);
    write_atomic(&dir.path().join("aws.env"), b"x").unwrap();
    assert!(theirs.exists());
}

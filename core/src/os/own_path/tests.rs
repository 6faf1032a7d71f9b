use super::*;

#[test]
fn a_bare_name_is_tried_with_each_extension_only_where_the_system_does() {
    assert_eq!(file_names(OsStr::new("ssocred"), None), ["ssocred"]);
    assert_eq!(
        file_names(OsStr::new("ssocred"), Some(OsStr::new(".COM;.EXE;"))),
        ["ssocred.com", "ssocred.exe"]
    );
    assert_eq!(
        file_names(OsStr::new("ssocred.exe"), Some(OsStr::new(".COM;.EXE"))),
        ["ssocred.exe"]
    );
}

#[test]
fn a_typed_path_loses_its_dots_but_keeps_its_parents() {
    assert_eq!(
        lexical(Path::new("/home/a/./bin/../x/./ssocred")),
        Path::new("/home/a/bin/../x/ssocred")
    );
}

#[test]
fn without_a_path_that_leads_here_the_real_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("ssocred");
    std::fs::write(&exe, "").unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    // Another ssocred first on PATH is not this one.
    std::fs::write(other.join("ssocred"), "").unwrap();
    let started = Started {
        exe: exe.clone(),
        argv0: Some("ssocred".into()),
        path: Some(std::env::join_paths([&other]).unwrap()),
        extensions: None,
        cwd: dir.path().to_path_buf(),
    };
    assert_eq!(lasting_path(&started), exe);
}

/// A versioned install (`Cellar/ssocred/1.0/bin/ssocred`) reached through a
/// link on PATH, as Homebrew installs it.
// Unix only: a symbolic link needs a privilege on Windows.
#[cfg(unix)]
mod linked {
    use super::*;

    struct Install {
        _dir: tempfile::TempDir,
        root: PathBuf,
        exe: PathBuf,
        bin: PathBuf,
    }

    fn install() -> Install {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let versioned = root.join("Cellar/ssocred/1.0/bin");
        std::fs::create_dir_all(&versioned).unwrap();
        let exe = versioned.join("ssocred");
        std::fs::write(&exe, "").unwrap();
        let bin = root.join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(&exe, bin.join("ssocred")).unwrap();
        Install {
            _dir: dir,
            root,
            exe,
            bin,
        }
    }

    fn started(i: &Install, argv0: &str, path: &[&Path]) -> Started {
        Started {
            exe: i.exe.clone(),
            argv0: Some(argv0.into()),
            path: Some(std::env::join_paths(path).unwrap()),
            extensions: None,
            cwd: i.root.clone(),
        }
    }

    #[test]
    fn the_path_entry_that_was_run_is_written_not_its_target() {
        let i = install();
        let empty = i.root.join("empty");
        std::fs::create_dir(&empty).unwrap();
        let s = started(&i, "ssocred", &[Path::new("relative"), &empty, &i.bin]);
        assert_eq!(lasting_path(&s), i.bin.join("ssocred"));
    }

    #[test]
    fn the_first_ssocred_on_path_serves_a_program_run_by_its_real_path() {
        let i = install();
        let s = started(&i, i.exe.to_str().unwrap(), &[&i.bin]);
        assert_eq!(lasting_path(&s), i.bin.join("ssocred"));
    }

    #[test]
    fn a_typed_path_through_a_link_is_kept_when_path_has_none() {
        let i = install();
        let s = started(&i, "./bin/ssocred", &[]);
        assert_eq!(lasting_path(&s), i.bin.join("ssocred"));
    }

    #[test]
    fn a_renamed_link_that_was_run_is_written() {
        let i = install();
        std::os::unix::fs::symlink(&i.exe, i.bin.join("sc")).unwrap();
        std::fs::remove_file(i.bin.join("ssocred")).unwrap();
        let s = started(&i, "sc", &[&i.bin]);
        assert_eq!(lasting_path(&s), i.bin.join("sc"));
    }
}

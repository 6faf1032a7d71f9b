//! The path under which this executable can be run again later, by a line
//! written into a file (a `credential_process` line of `discover`).
//!
//! The system names the executable by its real file
//! (`std::env::current_exe`, on Linux the target of every link). A package
//! manager keeps that file in a versioned directory and points a link on
//! PATH at it (Homebrew's `/opt/homebrew/bin/ssocred` leads to
//! `…/Cellar/ssocred/VERSION/bin/ssocred`), and the next upgrade deletes the
//! versioned directory. So the path written is the one that leads to this
//! executable through the links a user keeps: the PATH entry that was run,
//! else the first `ssocred` on PATH, else the path that was typed, and only
//! when none of them leads to this file, the real one.
//!
//! One module for every system: the inputs are injected ([`Started`]), and
//! the one difference, the extensions a bare name is tried with on Windows
//! (PATHEXT), is an input too.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path, PathBuf};

/// The extensions Windows tries a bare name with when PATHEXT is unset.
const DEFAULT_PATHEXT: &str = ".COM;.EXE;.BAT;.CMD";

/// How this process was started.
#[derive(Debug, Clone)]
pub struct Started {
    /// The executable's file as the system names it.
    pub exe: PathBuf,
    /// The first argument: the name or path the program was run by.
    pub argv0: Option<OsString>,
    /// PATH.
    pub path: Option<OsString>,
    /// The extensions a bare name is tried with (PATHEXT, `;`-separated);
    /// `None` on systems that run a name as it is.
    pub extensions: Option<OsString>,
    /// The directory a relative path is taken from.
    pub cwd: PathBuf,
}

impl Started {
    /// This process, as the system tells it.
    pub fn this_process() -> io::Result<Started> {
        let extensions = if cfg!(windows) {
            Some(std::env::var_os("PATHEXT").unwrap_or_else(|| DEFAULT_PATHEXT.into()))
        } else {
            None
        };
        Ok(Started {
            exe: std::env::current_exe()?,
            argv0: crate::os::start::argv0(),
            path: std::env::var_os("PATH"),
            extensions,
            cwd: std::env::current_dir()?,
        })
    }
}

/// The path to write for running this executable again: the first of these
/// that leads to the same file as [`Started::exe`], with its links kept:
/// the name that was run, found on PATH; the first `ssocred` on PATH; the
/// path that was run, taken from the working directory; else `exe` itself.
pub fn lasting_path(started: &Started) -> PathBuf {
    let Ok(real) = std::fs::canonicalize(&started.exe) else {
        return started.exe.clone();
    };
    let leads_here = |candidate: &Path| std::fs::canonicalize(candidate).is_ok_and(|c| c == real);
    let argv0 = started.argv0.as_deref().map(Path::new);
    // A name without a directory is what a shell looked up on PATH.
    let bare = argv0.filter(|a| a.components().count() == 1 && !a.is_absolute());
    let on_path = |name: &OsStr| first_on_path(started, name).filter(|p| leads_here(p));
    if let Some(found) = bare.and_then(|name| on_path(name.as_os_str())) {
        return found;
    }
    if let Some(found) = on_path(OsStr::new("ssocred")) {
        return found;
    }
    if let Some(typed) = argv0.filter(|_| bare.is_none()) {
        let typed = lexical(&started.cwd.join(typed));
        if leads_here(&typed) {
            return typed;
        }
    }
    started.exe.clone()
}

/// The first file on PATH that running `name` would start, links kept.
/// Relative PATH entries are skipped: they mean another file in another
/// directory.
fn first_on_path(started: &Started, name: &OsStr) -> Option<PathBuf> {
    let dirs = started.path.as_deref()?;
    let names = file_names(name, started.extensions.as_deref());
    std::env::split_paths(dirs)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|candidate| candidate.is_file())
}

/// The file names running `name` tries: the name itself where a name runs
/// as it is; on Windows, a name without an extension with each of
/// `extensions` in turn, as `cmd` does.
fn file_names(name: &OsStr, extensions: Option<&OsStr>) -> Vec<OsString> {
    let Some(extensions) = extensions else {
        return vec![name.to_owned()];
    };
    if Path::new(name).extension().is_some() {
        return vec![name.to_owned()];
    }
    extensions
        .to_string_lossy()
        .split(';')
        .filter(|ext| !ext.is_empty())
        .map(|ext| {
            let mut file = name.to_owned();
            file.push(ext.to_ascii_lowercase());
            file
        })
        .collect()
}

/// `path` without its `.` components, links kept (a `..` stays: after a
/// link it does not mean the lexical parent).
fn lexical(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests;

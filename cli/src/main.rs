//! The `ssocred` binary: arguments, settings and exit codes over
//! `ssocred-core` and the sink crates.

// Diagnostics go through `ssocred_core::stderr_line!`, which never panics.
#![warn(clippy::print_stderr)]
// The C runtime calls `main` below directly (see there); a test build keeps
// the test harness's.
#![cfg_attr(not(test), no_main)]

#[cfg(own_c_runtime)]
mod c_runtime;
mod commands;
mod deliver;
mod flags;
mod output;
mod progress;
mod prompt;
mod request;
mod role_table;
mod runtime;
mod selection;
mod settings;
mod shell_session;
mod sources;

// Each sink crate registers itself with inventory; a `use … as _;` line per
// ssocred-sink-* dependency of Cargo.toml (made by build.rs) keeps the
// linker from dropping it.
include!(concat!(env!("OUT_DIR"), "/sinks.rs"));

/// The program's entry point, called by the C runtime in place of the
/// standard library's start-up, which ssocred skips for speed: on Linux
/// that start-up asks glibc where the main thread's stack lies, and glibc
/// answers by reading and scanning `/proc/self/maps`, which cost 6 to 8 %
/// of every command, a role-cache hit included (docs/benchmarks.md). The stack's bounds only serve
/// the message of a stack overflow, which now ends the process with
/// SIGSEGV instead of that message and SIGABRT. What else the start-up did
/// that ssocred relies on, [`start::prepare`] does: a closed standard
/// descriptor is opened on `/dev/null`, and a closed pipe is an error to
/// write to, not a fatal signal.
///
/// [`start::prepare`]: ssocred_core::os::start::prepare
#[cfg(not(test))]
// `no_mangle` can clash with another symbol of the same name: nothing else
// in the program defines `main`, since the standard library does not
// under `no_main`.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    ssocred_core::os::start::prepare();
    // SAFETY: `argc` and `argv` are `main`'s own, as the C runtime passes
    // them: `argc` strings, alive until the process ends.
    let argv = unsafe { ssocred_core::os::start::args(argc, argv) };
    let code = run(argv);
    // `exit` flushes stdout, as a return from the standard library's main
    // would.
    std::process::exit(exit_status(code))
}

/// The number `code` holds. `ExitCode` shows it only by comparison
/// (`exit_process` is unstable); ssocred makes each of its codes from a
/// byte, so one of the 256 compares equal.
fn exit_status(code: std::process::ExitCode) -> std::ffi::c_int {
    (0..=u8::MAX)
        .find(|&n| std::process::ExitCode::from(n) == code)
        .map_or(1, std::ffi::c_int::from)
}

/// Everything after the entry point: the command line (its first word the
/// program's name) to an exit code.
#[cfg_attr(test, allow(dead_code))]
fn run(argv: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    make_undumpable();
    // Run as `docker-credential-ssocred ACTION`, this is
    // `ssocred docker-credential ACTION`.
    let argv = commands::docker_credential::helper_argv(argv);
    // The completion scripts' helper: answered before any parsing, so a Tab
    // costs no more than reading the files it lists.
    if argv.get(1).is_some_and(|a| a == commands::complete::NAME) {
        let args: Vec<String> = argv[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return commands::complete::run(&args);
    }
    // `ssocred` alone, where nothing is set up, shows how to start.
    let bare = argv.len() == 1;
    let cli = commands::Cli::from_argv(argv);
    let result = if bare && commands::getting_started::nothing_set_up() {
        commands::getting_started::show().map(|()| std::process::ExitCode::SUCCESS)
    } else {
        commands::run(cli)
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // Server text is escaped where it enters a message; this is the
            // net for anything that slipped through.
            ssocred_core::stderr_line!(
                "ssocred: error: {}",
                ssocred_core::domain::text::visible_lines(&err.to_string())
            );
            err.exit_code().into()
        }
    }
}

/// Keeps the secrets this process will hold out of core dumps and away from
/// other processes of the same user (ptrace, `/proc/PID/mem`), before any is
/// read. The kernel resets the flag on execve, so `ssocred exec`'s command
/// keeps its own. A kernel that refuses leaves the process as it was: there
/// is nothing better to do than go on.
fn make_undumpable() {
    ssocred_core::os::process::make_undumpable();
}

#[cfg(test)]
mod tests {
    use std::process::ExitCode;

    #[test]
    fn every_exit_code_gives_back_its_number() {
        for n in 0..=u8::MAX {
            assert_eq!(super::exit_status(ExitCode::from(n)), i32::from(n));
        }
        assert_eq!(super::exit_status(ExitCode::SUCCESS), 0);
        assert_eq!(super::exit_status(ExitCode::FAILURE), 1);
    }
}

//! The `ssocred` binary: arguments, settings and exit codes over
//! `ssocred-core` and the sink crates.

// Diagnostics go through `ssocred_core::stderr_line!`, which never panics.
#![warn(clippy::print_stderr)]

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

fn main() -> std::process::ExitCode {
    make_undumpable();
    // Run as `docker-credential-ssocred ACTION`, this is
    // `ssocred docker-credential ACTION`.
    let argv = commands::docker_credential::helper_argv(std::env::args_os().collect());
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

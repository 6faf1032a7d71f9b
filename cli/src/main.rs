//! The `ssocred` binary: arguments, settings and exit codes over
//! `ssocred-core` and the sink crates.

mod args;
mod discover;
mod progress;
mod run;
mod select;

// Each sink crate registers itself with inventory; naming the crates here
// keeps the linker from dropping them.
use ssocred_sink_config_profiles as _;
use ssocred_sink_credentials_file as _;
use ssocred_sink_env as _;
use ssocred_sink_process as _;

fn main() -> std::process::ExitCode {
    let cli = <args::Cli as clap::Parser>::parse();
    match run::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ssocred: error: {err}");
            std::process::ExitCode::from(err.exit_code() as u8)
        }
    }
}

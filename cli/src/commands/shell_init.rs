//! `ssocred shell-init SHELL`: the shell function that lets `ssocred use`
//! and `ssocred unuse` change the current shell. A program cannot change
//! its parent's environment, so the function runs ssocred and evaluates
//! what it prints; every other subcommand passes straight through.

use clap::{Args, ValueEnum};
use ssocred_core::Error;

use crate::output::write_stdout;

/// The shells `shell-init` writes a function for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitShell {
    /// GNU bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish 3 or later.
    Fish,
    /// PowerShell 7 (pwsh) or Windows PowerShell 5.1.
    Powershell,
}

// The arguments of `ssocred shell-init`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
#[command(
    after_help = "bash: eval \"$(ssocred shell-init bash)\" in ~/.bashrc; \
zsh: eval \"$(ssocred shell-init zsh)\" in ~/.zshrc; \
fish: ssocred shell-init fish | source in ~/.config/fish/config.fish; \
PowerShell: ssocred shell-init powershell | Out-String | Invoke-Expression in $PROFILE."
)]
pub struct ShellInitArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: InitShell,
}

/// The function for `shell`.
pub fn script(shell: InitShell) -> &'static str {
    match shell {
        InitShell::Bash | InitShell::Zsh => include_str!("shell_init/posix.sh"),
        InitShell::Fish => include_str!("shell_init/fish.fish"),
        InitShell::Powershell => include_str!("shell_init/powershell.ps1"),
    }
}

/// Runs the command.
pub fn run(args: &ShellInitArgs) -> Result<(), Error> {
    write_stdout(script(args.shell).as_bytes())
}

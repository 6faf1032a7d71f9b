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

#[cfg(test)]
mod tests {
    use super::*;

    /// The PowerShell function is what docs/shell.md describes: the line
    /// for `$PROFILE`, `use` and `unuse` run with the session's `$PID` and
    /// their output evaluated, every other subcommand passed through.
    #[test]
    fn the_powershell_function_is_the_documented_one() {
        let script = script(InitShell::Powershell);
        let docs = include_str!("../../../docs/shell.md");
        let rc_line = "ssocred shell-init powershell | Out-String | Invoke-Expression";
        assert!(docs.contains(&rc_line.replace('|', "\\|")), "docs/shell.md");
        assert!(script.contains(&format!("# Add to $PROFILE: {rc_line}")));
        assert!(script.contains("function ssocred {"));
        assert!(script.contains("$args[0] -eq 'use' -or $args[0] -eq 'unuse'"));
        assert!(script.contains("--shell powershell --shell-pid $PID @rest"));
        assert!(script.contains("Invoke-Expression ($out -join \"`n\")"));
        // A failed `use` is not evaluated; everything else runs as is.
        assert!(script.contains("if ($LASTEXITCODE -ne 0) { return }"));
        assert!(script.contains("& $ssocredExe @args"));
        assert!(docs.contains("| PowerShell | `$PID` |"));
    }
}

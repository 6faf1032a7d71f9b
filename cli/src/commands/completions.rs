//! `ssocred completions SHELL`: a completion script generated from the clap
//! definition, so it never drifts from the real flags.
//!
//! For bash, zsh and fish the script also completes the values only the
//! user's files know: profile names after `-p/--profile` and `use`, sink
//! names after `--sink`, and the roles known offline after `-r/--role-arn`
//! and `--role`. It asks `ssocred __complete` for them at each Tab (see
//! complete.rs), so the packaged script stays as static as the flags.

use ssocred_core::Error;

use crate::output::write_stdout;

/// Writes the completion script of `shell` for `command` to stdout.
pub fn run(shell: clap_complete::Shell, mut command: clap::Command) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "ssocred", &mut out);
    let script = String::from_utf8(out)
        .map_err(|_| Error::Internal("a completion script is not UTF-8".to_owned()))?;
    let script = match shell {
        clap_complete::Shell::Bash => with_bash_values(&script),
        clap_complete::Shell::Zsh => with_zsh_values(&script),
        clap_complete::Shell::Fish => with_fish_values(&script),
        _ => script,
    };
    write_stdout(script.as_bytes())
}

/// The helper's list of candidates for the value of `flag`, if it has one.
fn kind_of(flag: &str) -> Option<&'static str> {
    match flag {
        "-p" | "--profile" => Some("profiles"),
        "-s" | "--sink" => Some("sinks"),
        "-r" | "--role-arn" => Some("role-arns"),
        "--role" => Some("roles"),
        _ => None,
    }
}

// Bash: `_ssocred`, the function bash-completion's loader expects, is ours:
// it reads the word under the cursor from COMP_LINE itself, since bash
// splits COMP_WORDS at `:` and `=` (an ARN, `json:PATH`, `--sink=`), and
// hands every other word to clap's function, renamed `_ssocred_flags`.
const BASH_VALUES: &str = r#"
_ssocred() {
    local line=${COMP_LINE:0:COMP_POINT}
    local cur=${line##*[[:space:]]} kind= prev
    local -a typed
    read -r -a typed <<<"${line%"$cur"}"
    prev=${typed[${#typed[@]}-1]}
    case $cur in
        --profile=*) kind=profiles cur=${cur#*=} ;;
        --sink=*) kind=sinks cur=${cur#*=} ;;
        --role-arn=*) kind=role-arns cur=${cur#*=} ;;
        --role=*) kind=roles cur=${cur#*=} ;;
        -*) ;;
        *)
            case $prev in
                -p|--profile) kind=profiles ;;
                -s|--sink) kind=sinks ;;
                -r|--role-arn) kind=role-arns ;;
                --role) kind=roles ;;
                use) [[ ${typed[1]} == use ]] && kind=profiles ;;
            esac
            ;;
    esac
    if [[ -z $kind ]]; then
        _ssocred_flags "$@"
        return
    fi
    local value colon=${cur%"${cur##*:}"}
    COMPREPLY=()
    while IFS= read -r value; do
        [[ $value == "$cur"* ]] && COMPREPLY+=("${value#"$colon"}")
    done < <("${typed[0]}" __complete "$kind" "${typed[@]}" 2>/dev/null)
    [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
    return 0
}
"#;

fn with_bash_values(script: &str) -> String {
    let renamed = match script.strip_prefix("_ssocred() {") {
        Some(rest) => format!("_ssocred_flags() {{{rest}"),
        None => script.to_owned(),
    };
    let at = renamed
        .rfind("\nif [[ \"${BASH_VERSINFO")
        .unwrap_or(renamed.len());
    format!("{}{BASH_VALUES}{}", &renamed[..at], &renamed[at..])
}

// Zsh: the value of each such flag (and of `use`'s PROFILE) is completed by
// a function defined at the top, so it exists both when the script is
// sourced and when it is autoloaded from fpath as `_ssocred`. `_arguments`
// calls it with its own compadd options first, and the kind last.
const ZSH_VALUES: &str = r#"
_ssocred_values() {
    local -a values spaced bare
    values=(${(f)"$(ssocred __complete ${@[-1]} ${words[1,CURRENT-1]} 2>/dev/null)"})
    spaced=(${values:#*:}) bare=(${(M)values:#*:})
    compadd "${@[1,-2]}" -a spaced
    compadd "${@[1,-2]}" -S '' -a bare
}
"#;

fn with_zsh_values(script: &str) -> String {
    let mut out = String::new();
    for (i, line) in script.lines().enumerate() {
        let kind = if line.starts_with("'::name -- The profile") {
            Some("profiles")
        } else {
            zsh_flag(line).and_then(kind_of)
        };
        match kind.and_then(|k| Some((k, line.rfind(":_default'")?))) {
            Some((kind, at)) => {
                out.push_str(&line[..at]);
                out.push_str(&format!(":_ssocred_values {kind}'"));
                out.push_str(&line[at + ":_default'".len()..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
        if i == 0 {
            out.push_str(ZSH_VALUES);
        }
    }
    out
}

/// The flag an `_arguments` spec line declares: `'(EXCLUDED)*--sink=[...`
/// gives `--sink`.
fn zsh_flag(line: &str) -> Option<&str> {
    let spec = line.strip_prefix('\'')?;
    let spec = match spec.strip_prefix('(') {
        Some(rest) => &rest[rest.find(')')? + 1..],
        None => spec,
    };
    let spec = spec.strip_prefix('*').unwrap_or(spec);
    let name = &spec[..spec.find('[')?];
    Some(name.trim_end_matches(['+', '=']))
}

fn with_fish_values(script: &str) -> String {
    let mut out = String::new();
    for line in script.lines() {
        out.push_str(line);
        if let Some(kind) = fish_flag(line).as_deref().and_then(kind_of) {
            out.push_str(&format!(
                " -f -a \"(ssocred __complete {kind} (commandline -opc))\""
            ));
        }
        out.push('\n');
    }
    out.push_str(FISH_VALUES);
    out
}

// Fish: clap's condition for the flags before any subcommand parses the
// words typed so far, which fails while a flag still waits for its value
// (`ssocred -p <Tab>`); these lines answer at exactly that point. And
// `use`'s PROFILE.
const FISH_VALUES: &str = r#"function __fish_ssocred_value_at_top
    set -l cmd (commandline -opc)
    set -e cmd[1]
    contains -- "$cmd[-1]" -p --profile -s --sink -r --role-arn --role
    or return 1
    set -e cmd[-1]
    argparse -s (__fish_ssocred_global_optspecs) -- $cmd 2>/dev/null
    or return 1
    not set -q argv[1]
end
complete -c ssocred -n __fish_ssocred_value_at_top -s p -l profile -r -f -a "(ssocred __complete profiles (commandline -opc))"
complete -c ssocred -n __fish_ssocred_value_at_top -s s -l sink -r -f -a "(ssocred __complete sinks (commandline -opc))"
complete -c ssocred -n __fish_ssocred_value_at_top -s r -l role-arn -r -f -a "(ssocred __complete role-arns (commandline -opc))"
complete -c ssocred -n __fish_ssocred_value_at_top -l role -r -f -a "(ssocred __complete roles (commandline -opc))"
complete -c ssocred -n "__fish_ssocred_using_subcommand use" -f -a "(ssocred __complete profiles)"
"#;

/// The long flag a fish `complete` line declares, as `--NAME`, when it
/// takes a value.
fn fish_flag(line: &str) -> Option<String> {
    if !line.starts_with("complete -c ssocred ") || !line.ends_with(" -r") {
        return None;
    }
    let rest = &line[line.find(" -l ")? + " -l ".len()..];
    Some(format!("--{}", &rest[..rest.find(' ')?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each declaring line yields its flag, whatever clap puts before it.
    #[test]
    fn the_flag_of_a_spec_line_is_found() {
        assert_eq!(zsh_flag("'-p+[The SSO]:PROFILE:_default' \\"), Some("-p"));
        assert_eq!(
            zsh_flag("'(--account --role)--role-arn=[The role]:ARN:_default' \\"),
            Some("--role-arn")
        );
        assert_eq!(
            zsh_flag("'*--sink=[Where]:SPEC:_default' \\"),
            Some("--sink")
        );
        assert_eq!(zsh_flag("_ssocred() {"), None);
        assert_eq!(
            fish_flag("complete -c ssocred -n \"x\" -s r -l role-arn -d 'The role' -r").as_deref(),
            Some("--role-arn")
        );
        assert_eq!(
            fish_flag("complete -c ssocred -n \"x\" -l role -d 'The role name' -r").as_deref(),
            Some("--role")
        );
        assert_eq!(
            fish_flag("complete -c ssocred -n \"x\" -l all -d 'Every'"),
            None
        );
    }
}

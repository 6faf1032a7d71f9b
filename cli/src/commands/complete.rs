//! `ssocred __complete KIND [WORD...]`: the values the completion scripts of
//! `ssocred completions` offer at a Tab after `-p/--profile` (and `use`),
//! `--sink`, `-r/--role-arn` and `--role`, one a line. Read from local files
//! only, never the network: a Tab must answer at once, logged in or not.
//! The WORDs are the command line typed so far, where the roles' profile is
//! found. Hidden: it is the scripts' interface, not the user's.

use std::collections::BTreeSet;
use std::process::ExitCode;

use ssocred_core::domain::arn::RoleArn;
use ssocred_core::store::frecency::{RoleHistory, history_path};
use ssocred_core::store::profile::ProfileFiles;

use crate::output::write_stdout;
use crate::request;
use crate::shell_session;

/// The first argument that runs this instead of the command line.
pub const NAME: &str = "__complete";

/// Prints the candidates of `args[0]` (`profiles`, `sinks`, `role-arns` or
/// `roles`). Whatever goes wrong, the answer is fewer candidates and
/// success: a completion has no one to tell.
pub fn run(args: &[String]) -> ExitCode {
    let words = args.get(1..).unwrap_or_default();
    let candidates = match args.first().map(String::as_str) {
        Some("profiles") => profiles(),
        Some("sinks") => sinks(),
        Some("role-arns") => role_arns(words),
        Some("roles") => role_names(words),
        _ => return ExitCode::from(2),
    };
    let mut out = String::new();
    // A name with a blank or a control character would be typed into the
    // user's command line as something else: left out.
    for c in candidates.iter().filter(|c| is_plain(c)) {
        out.push_str(c);
        out.push('\n');
    }
    let _ = write_stdout(out.as_bytes());
    ExitCode::SUCCESS
}

fn is_plain(candidate: &str) -> bool {
    !candidate.is_empty()
        && !candidate
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
}

/// The profile names of the AWS config and credentials files.
fn profiles() -> Vec<String> {
    let Ok(paths) = request::paths() else {
        return Vec::new();
    };
    let Ok(files) = ProfileFiles::load(&paths) else {
        return Vec::new();
    };
    let names: BTreeSet<&str> = files.sections().profiles().collect();
    names.into_iter().map(str::to_owned).collect()
}

/// Every registered sink's name, and `NAME:` for those taking an argument.
fn sinks() -> Vec<String> {
    let mut out = Vec::new();
    for r in ssocred_core::sink::registered() {
        out.push(r.name.to_owned());
        if r.argument.is_some() {
            out.push(format!("{}:", r.name));
        }
    }
    out
}

/// The role ARNs known offline for the profile of `words`: the profile's
/// own role first, then those the chooser remembers, strongest first.
fn role_arns(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(own) = own_role(words) {
        out.push(own);
    }
    if let Ok(dir) = shell_session::state_dir() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let history = RoleHistory::load(&history_path(&dir));
        for arn in history.roles(now) {
            if RoleArn::parse(arn).is_ok() && !out.iter().any(|known| known == arn) {
                out.push(arn.to_owned());
            }
        }
    }
    out
}

/// The role names of [`role_arns`], each once.
fn role_names(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arn in role_arns(words) {
        if let Ok(arn) = RoleArn::parse(&arn) {
            let name = arn.role_name().to_owned();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The ARN of the role the profile of `words` names itself
/// (`sso_account_id` and `sso_role_name`), if it names one.
fn own_role(words: &[String]) -> Option<String> {
    let paths = request::paths().ok()?;
    let profile = profile_of(words)
        .or_else(|| std::env::var("SSOCRED_PROFILE").ok())
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_owned());
    let files = ProfileFiles::load_config(&paths, &profile).ok()?;
    let sso = files.sso_profile(&profile).ok()?;
    let region = sso.region.as_deref().unwrap_or(&sso.sso_region);
    RoleArn::for_role(
        sso.account_id.as_deref()?,
        sso.role_name.as_deref()?,
        region,
    )
    .ok()
    .map(|arn| arn.as_str().to_owned())
}

/// The profile the typed `words` name: the last `-p`/`--profile` value, else
/// the positional of `use`.
fn profile_of(words: &[String]) -> Option<String> {
    let mut found = None;
    let mut after_use = false;
    let mut iter = words.iter().peekable();
    while let Some(word) = iter.next() {
        if let Some(value) = word.strip_prefix("--profile=") {
            found = Some(value.to_owned());
        } else if word == "-p" || word == "--profile" {
            found = iter.peek().map(|v| (*v).clone()).or(found);
        } else if let Some(value) = word.strip_prefix("-p").filter(|v| !v.is_empty()) {
            found = Some(value.to_owned());
        } else if word == "use" {
            after_use = true;
            continue;
        } else if after_use && !word.starts_with('-') && found.is_none() {
            found = Some(word.clone());
        }
        after_use = false;
    }
    found.filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    /// The roles' profile comes from what was typed, in each of its forms.
    #[test]
    fn the_profile_is_read_from_the_typed_words() {
        for (line, profile) in [
            ("ssocred -p dev --role", Some("dev")),
            ("ssocred --profile dev -r", Some("dev")),
            ("ssocred --profile=dev -r", Some("dev")),
            ("ssocred -pdev -r", Some("dev")),
            ("ssocred use dev -r", Some("dev")),
            ("ssocred use --static -r", None),
            ("ssocred --sink env -r", None),
            ("ssocred -p", None),
        ] {
            assert_eq!(profile_of(&words(line)).as_deref(), profile, "{line}");
        }
    }

    /// A candidate with a blank or a control character is never offered.
    #[test]
    fn only_plain_names_are_offered() {
        assert!(is_plain("dev-admin"));
        for bad in ["", "a b", "a\tb", "a\u{1b}[31m"] {
            assert!(!is_plain(bad), "{bad:?}");
        }
    }
}

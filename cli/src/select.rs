//! Which role (or roles) a credentials run is for: an ARN, an account and a
//! role, the profile's own sso_account_id/sso_role_name, patterns with
//! `--all`, or the interactive chooser.

use ssocred_core::discovery::{RoleEntry, RoleFilter, is_pattern};
use ssocred_core::naming::ProfileNamer;
use ssocred_core::profile::SsoProfile;
use ssocred_core::sink::{SelectedSink, check_capacity};
use ssocred_core::text::visible;
use ssocred_core::{Error, RoleArn, deliver};

use crate::args::GetArgs;
use crate::discover::{ListingArgs, Session, interactive};
use crate::settings::{RoleChoice, Settings};

/// What selection needs before any network call is made.
#[derive(Debug)]
pub enum Plan {
    /// The role is known without listing.
    Role(RoleArn),
    /// List, filter, and take the one match (or let the user choose).
    One(RoleFilter),
    /// List, filter, and take every match.
    All(RoleFilter),
}

/// Decides how the role is selected; usage errors come here, before the
/// token is read.
pub fn plan(args: &GetArgs, settings: &Settings, profile: &SsoProfile) -> Result<Plan, Error> {
    let filter = || RoleFilter::new(args.account.as_deref(), args.role.as_deref());
    if args.all {
        return Ok(Plan::All(filter()?));
    }
    // One of --account/--role alone is a pattern for the chooser.
    if args.account.is_some() != args.role.is_some() {
        return Ok(Plan::One(filter()?));
    }
    let from_config = matches!(
        settings.role.as_ref().map(|r| &r.source),
        Some(crate::settings::Source::Config(_))
    );
    match settings.role.as_ref().map(|r| &r.value) {
        Some(RoleChoice::Arn(arn)) => {
            return RoleArn::parse(arn).map(Plan::Role).map_err(|e| {
                if from_config {
                    settings.config.error(None, format!("role_arn: {e}"))
                } else {
                    Error::Usage(format!("--role-arn: {e}"))
                }
            });
        }
        Some(RoleChoice::AccountRole(account, role))
            if ssocred_core::arn::is_account_id(account) && !is_pattern(role) =>
        {
            return RoleArn::for_role(account, role, &profile.sso_region)
                .map(Plan::Role)
                .map_err(|e| Error::Usage(format!("--role: {e}")));
        }
        Some(RoleChoice::AccountRole(account, role)) => {
            return Ok(Plan::One(RoleFilter::new(Some(account), Some(role))?));
        }
        None => {}
    }
    if let (Some(account), Some(role)) = (&profile.account_id, &profile.role_name) {
        return RoleArn::for_role(account, role, &profile.sso_region)
            .map(Plan::Role)
            .map_err(|e| {
                Error::Usage(format!(
                    "profile `{}`: sso_account_id and sso_role_name: {e}",
                    profile.name
                ))
            });
    }
    if !interactive() {
        return Err(Error::Usage(format!(
            "no role selected and no terminal for the interactive chooser: pass -r/--role-arn ARN, or --account ID --role NAME, or --all with --account/--role patterns, or set sso_account_id and sso_role_name in profile `{}`; `ssocred list -p {}` shows the roles you have",
            profile.name, profile.name
        )));
    }
    Ok(Plan::One(RoleFilter::default()))
}

/// The roles a plan that needs a listing resolves to.
pub enum Resolved {
    /// One role, with its account's name when the listing gave it.
    One(RoleArn, Option<String>),
    Many(Vec<RoleEntry>),
}

/// Lists the login's roles and applies the plan.
pub fn resolve(plan: Plan, args: &GetArgs, login: &Session<'_>) -> Result<Resolved, Error> {
    let (filter, all) = match plan {
        Plan::Role(role) => return Ok(Resolved::One(role, None)),
        Plan::One(filter) => (filter, false),
        Plan::All(filter) => (filter, true),
    };
    let listing = ListingArgs {
        profile: None,
        concurrency: args.concurrency,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let matches: Vec<RoleEntry> = login
        .list(&listing)?
        .into_iter()
        .filter(|e| filter.matches(e))
        .collect();
    let name = &login.profile.name;
    if matches.is_empty() {
        return Err(Error::Usage(format!(
            "no role of profile `{name}` matches {}; `ssocred list -p {name}` shows the roles you have",
            filter.describe()
        )));
    }
    if all {
        return Ok(Resolved::Many(matches));
    }
    if matches.len() == 1 || interactive() {
        let chosen = choose(&matches, &mut InquirePrompt)?;
        return RoleArn::parse(&chosen.role_arn)
            .map(|role| Resolved::One(role, Some(chosen.account_name.clone())))
            .map_err(|e| Error::Usage(e.to_string()));
    }
    let shown: Vec<&str> = matches
        .iter()
        .take(10)
        .map(|e| e.role_arn.as_str())
        .collect();
    Err(Error::Usage(format!(
        "{} roles match {}: {}{}; pass -r ARN for one of them, narrow the patterns, or add --all to take every one",
        matches.len(),
        filter.describe(),
        shown.join(", "),
        if matches.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )))
}

/// Fetches credentials for every role and delivers them, each set named by
/// the `--profile-name` template.
pub fn deliver_all(
    args: &GetArgs,
    login: &Session<'_>,
    entries: &[RoleEntry],
    region: Option<String>,
    sinks: &mut [SelectedSink],
) -> Result<(), Error> {
    let namer = ProfileNamer::new(&args.profile_name)?;
    let names = namer.name_all(entries, login.profile)?;
    // Refuse before spending calls on credentials a sink cannot hold.
    check_capacity(entries.len(), sinks)?;
    let sets = login.runtime.block_on(login.portal.credential_sets(
        login.token,
        login.profile,
        entries,
        region,
        args.concurrency,
    ))?;
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    deliver(&sets, Some(&names), sinks, &mut stdout)?;
    Ok(())
}

/// A way to ask the user to pick one of several options.
pub trait Prompt {
    /// The index of the option chosen.
    fn select(&mut self, message: &str, options: Vec<String>) -> Result<usize, Error>;
}

/// The chooser: the account first (skipped when there is one), then the role
/// (skipped when the account has one), as the predecessor asked.
pub fn choose<'a>(
    entries: &'a [RoleEntry],
    prompt: &mut dyn Prompt,
) -> Result<&'a RoleEntry, Error> {
    let mut accounts: Vec<(&str, &str)> = Vec::new();
    for e in entries {
        if !accounts.iter().any(|(id, _)| *id == e.account_id) {
            accounts.push((&e.account_id, &e.account_name));
        }
    }
    let account = match accounts.len() {
        0 => return Err(Error::Usage("there are no roles to choose from".to_owned())),
        1 => accounts[0].0,
        _ => {
            // Names come from the portal: shown escaped.
            let labels = accounts
                .iter()
                .map(|(id, name)| visible(&format!("{name} ({id})")).into_owned())
                .collect();
            let index = prompt.select("Account:", labels)?;
            accounts
                .get(index)
                .ok_or_else(|| Error::Usage("the chooser returned no account".to_owned()))?
                .0
        }
    };
    let roles: Vec<&RoleEntry> = entries.iter().filter(|e| e.account_id == account).collect();
    let index = match roles.len() {
        1 => 0,
        _ => prompt.select(
            &format!("Role in {}:", visible(account)),
            roles
                .iter()
                .map(|e| visible(&e.role_name).into_owned())
                .collect(),
        )?,
    };
    roles
        .get(index)
        .copied()
        .ok_or_else(|| Error::Usage("the chooser returned no role".to_owned()))
}

/// The terminal chooser: a fuzzy-filtered list on stderr.
struct InquirePrompt;

impl Prompt for InquirePrompt {
    fn select(&mut self, message: &str, options: Vec<String>) -> Result<usize, Error> {
        inquire::Select::new(message, options)
            .with_page_size(15)
            .with_help_message("type to filter, arrows to move, enter to choose, esc to cancel")
            .raw_prompt()
            .map(|chosen| chosen.index)
            .map_err(|e| match e {
                inquire::InquireError::OperationCanceled
                | inquire::InquireError::OperationInterrupted => {
                    Error::Usage("no role chosen: the chooser was cancelled".to_owned())
                }
                other => Error::Usage(format!(
                    "the interactive chooser failed ({other}); pass -r/--role-arn ARN instead"
                )),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: &str, role: &str) -> RoleEntry {
        RoleEntry {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
            role_arn: format!("arn:aws:iam::{id}:role/{role}"),
        }
    }

    /// Answers with the option whose label contains the scripted text, and
    /// records what it was shown.
    struct Scripted {
        answers: Vec<&'static str>,
        shown: Vec<(String, Vec<String>)>,
    }

    impl Prompt for Scripted {
        fn select(&mut self, message: &str, options: Vec<String>) -> Result<usize, Error> {
            let want = self.answers.remove(0);
            let index = options.iter().position(|o| o.contains(want)).unwrap();
            self.shown.push((message.to_owned(), options));
            Ok(index)
        }
    }

    #[test]
    fn chooses_account_then_role() {
        let entries = [
            entry("111111111111", "Prod", "ReadOnly"),
            entry("111111111111", "Prod", "Admin"),
            entry("222222222222", "Dev", "Developer"),
            entry("222222222222", "Dev", "ReadOnly"),
        ];
        let mut p = Scripted {
            answers: vec!["Dev", "ReadOnly"],
            shown: vec![],
        };
        let chosen = choose(&entries, &mut p).unwrap();
        assert_eq!(chosen.role_arn, "arn:aws:iam::222222222222:role/ReadOnly");
        assert_eq!(
            p.shown,
            [
                (
                    "Account:".to_owned(),
                    vec![
                        "Prod (111111111111)".to_owned(),
                        "Dev (222222222222)".to_owned()
                    ]
                ),
                (
                    "Role in 222222222222:".to_owned(),
                    vec!["Developer".to_owned(), "ReadOnly".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn the_chooser_shows_names_escaped() {
        let entries = [
            entry(
                "111111111111",
                "Prod\u{1b}[2J\nssocred: fake",
                "Read\u{202e}Only",
            ),
            entry("111111111111", "Prod\u{1b}[2J\nssocred: fake", "Admin"),
            entry("222222222222", "Dev", "Developer"),
        ];
        let mut p = Scripted {
            answers: vec!["Prod", "Admin"],
            shown: vec![],
        };
        assert_eq!(choose(&entries, &mut p).unwrap().role_name, "Admin");
        assert_eq!(
            p.shown,
            [
                (
                    "Account:".to_owned(),
                    vec![
                        "Prod\\u{1b}[2J\\nssocred: fake (111111111111)".to_owned(),
                        "Dev (222222222222)".to_owned()
                    ]
                ),
                (
                    "Role in 111111111111:".to_owned(),
                    vec!["Read\\u{202e}Only".to_owned(), "Admin".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn skips_questions_with_one_answer() {
        let entries = [
            entry("111111111111", "Prod", "ReadOnly"),
            entry("111111111111", "Prod", "Admin"),
        ];
        let mut p = Scripted {
            answers: vec!["Admin"],
            shown: vec![],
        };
        assert_eq!(choose(&entries, &mut p).unwrap().role_name, "Admin");
        assert_eq!(p.shown.len(), 1, "no account question for one account");
        let one = [entry("333333333333", "Solo", "Only")];
        let mut p = Scripted {
            answers: vec![],
            shown: vec![],
        };
        assert_eq!(choose(&one, &mut p).unwrap().role_name, "Only");
        assert!(p.shown.is_empty());
        assert!(choose(&[], &mut p).is_err());
    }
}

//! The interactive chooser: the account first (skipped when there is one),
//! then the role (skipped when the account has one), as the predecessor
//! asked. Server names are shown escaped.

use ssocred_core::Error;
use ssocred_core::discovery::RoleEntry;
use ssocred_core::text::visible;

/// The chooser for [`ssocred_core::pipeline::pick`] on a terminal: the index
/// of the entry chosen.
pub fn choose_on_terminal(entries: &[RoleEntry]) -> Result<usize, Error> {
    let chosen = choose(entries, &mut InquirePrompt)?;
    entries
        .iter()
        .position(|e| std::ptr::eq(e, chosen))
        .ok_or_else(|| Error::Internal("the chooser returned a role it was not shown".to_owned()))
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
                .ok_or_else(|| Error::Internal("the chooser returned no account".to_owned()))?
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
        .ok_or_else(|| Error::Internal("the chooser returned no role".to_owned()))
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

//! The interactive chooser: one list of every role, one line each as
//! "account name, account id, role", filtered by typing words that may
//! match any part of the line in any order (`prod admin`). Roles chosen
//! often and recently come first (`[chooser] order = "frecency"`, the
//! default), the rest alphabetically. Server names are shown escaped.

mod terminal;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ssocred_core::Error;
use ssocred_core::domain::role::RoleEntry;
use ssocred_core::domain::text::{visible, visible_column};
use ssocred_core::store::frecency::{RoleHistory, history_path};

use crate::settings::config_file::ChooserOrder;

/// The chooser for [`ssocred_core::pipeline::pick`] on a terminal: the index
/// of the entry chosen. With frecency, the choice is remembered in the
/// state directory (a failure to remember is only a warning).
pub fn choose_on_terminal(
    entries: &[RoleEntry],
    order: ChooserOrder,
    tags: &AccountTags,
) -> Result<usize, Error> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let history = match (history_file(), order) {
        (Some(path), ChooserOrder::Frecency) => RoleHistory::load(&path),
        _ => RoleHistory::default(),
    };
    let index = choose(entries, &history, now, tags, &mut TerminalPrompt)?;
    remember(entries[index].role_arn(), order);
    Ok(index)
}

/// Counts one use of `role_arn` in the chooser's history (with frecency):
/// for the chooser's pick, and for a role a person named outright (`use
/// PROFILE`, `--account`/`--role`), so the roles used most come first
/// however they were picked. A failure to remember is only a warning.
pub fn remember(role_arn: &str, order: ChooserOrder) {
    if order != ChooserOrder::Frecency {
        return;
    }
    let Some(path) = history_file() else {
        return;
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(e) = RoleHistory::record(&path, role_arn, now) {
        ssocred_core::stderr_line!(
            "ssocred: warning: cannot remember the choice in {}: {e}",
            path.display()
        );
    }
}

/// The chooser's history file; `None` without a state directory.
fn history_file() -> Option<std::path::PathBuf> {
    crate::shell_session::state_dir()
        .ok()
        .map(|dir| history_path(&dir))
}

/// The tags a synced team source gives accounts, by account id, as the
/// chooser shows them after the role (`env=prod team=web`): typed words
/// match them as they match the rest of the line.
pub type AccountTags = std::collections::BTreeMap<String, String>;

/// A way to ask the user to pick one of several options.
pub trait Prompt {
    /// The index of the option chosen.
    fn select(&mut self, message: &str, options: Vec<String>) -> Result<usize, Error>;
}

/// The chooser: one question over every role, in `history`'s order (an
/// empty history gives the alphabetical order); none when there is one
/// role. Returns the index in `entries` of the role chosen.
pub fn choose(
    entries: &[RoleEntry],
    history: &RoleHistory,
    now: i64,
    tags: &AccountTags,
    prompt: &mut dyn Prompt,
) -> Result<usize, Error> {
    match entries.len() {
        0 => return Err(Error::Usage("there are no roles to choose from".to_owned())),
        1 => return Ok(0),
        _ => {}
    }
    let order = ordered(entries, history, now);
    let labels = labels(entries, &order, tags);
    let picked = prompt.select("Role:", labels)?;
    order
        .get(picked)
        .copied()
        .ok_or_else(|| Error::Internal("the chooser returned a role it was not shown".to_owned()))
}

/// The indices of `entries` as listed: by frecency score, highest first,
/// then the role used last first, then by account name, account id and
/// role name.
fn ordered(entries: &[RoleEntry], history: &RoleHistory, now: i64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let key = |i: &usize| {
        let e = &entries[*i];
        (
            e.account_name().to_lowercase(),
            e.account_id(),
            e.role_name().to_lowercase(),
        )
    };
    order.sort_by(|a, b| {
        let (sa, sb) = (
            history.score(entries[*a].role_arn(), now),
            history.score(entries[*b].role_arn(), now),
        );
        let last = |i: &usize| history.last_used(entries[*i].role_arn());
        sb.total_cmp(&sa)
            .then_with(|| last(b).cmp(&last(a)))
            .then_with(|| key(a).cmp(&key(b)))
    });
    order
}

/// One line per role, in `order`, in aligned columns: account name (cut
/// to [`MAX_COLUMN`](ssocred_core::domain::text::MAX_COLUMN) characters, so
/// one huge name pads no line), account id, role name, then the account's
/// tags if it has any; names escaped.
fn labels(entries: &[RoleEntry], order: &[usize], tags: &AccountTags) -> Vec<String> {
    let names: Vec<String> = order
        .iter()
        .map(|i| visible_column(entries[*i].account_name()).into_owned())
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    order
        .iter()
        .zip(names)
        .map(|(i, name)| {
            let e = &entries[*i];
            let mut line = format!(
                "{name:<width$}  {}  {}",
                visible(e.account_id()),
                visible(e.role_name())
            );
            if let Some(tags) = tags.get(e.account_id()) {
                line.push_str("  ");
                line.push_str(&visible(tags));
            }
            line
        })
        .collect()
}

/// How well `input` matches `line`: every whitespace-separated word must
/// match somewhere in the line (fuzzily, case-insensitively), in any
/// order; the score is the sum. `Some(0)` for no input, so that the list
/// keeps its order.
pub fn match_score(matcher: &SkimMatcherV2, input: &str, line: &str) -> Option<i64> {
    input
        .split_whitespace()
        .map(|word| matcher.fuzzy_match(line, word))
        .sum()
}

/// The terminal chooser: a filtered list on stderr ([`terminal`]).
struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn select(&mut self, message: &str, options: Vec<String>) -> Result<usize, Error> {
        match terminal::ask(message, options) {
            Ok(Some(index)) => Ok(index),
            Ok(None) => Err(Error::Usage(
                "no role chosen: the chooser was cancelled".to_owned(),
            )),
            Err(e) => Err(Error::Usage(format!(
                "the interactive chooser failed ({e}); pass -r/--role-arn ARN instead"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: &str, role: &str) -> RoleEntry {
        RoleEntry::new(id, name, role, &format!("arn:aws:iam::{id}:role/{role}"))
    }

    /// Answers with the option that contains the scripted text, and
    /// records what it was shown.
    struct Scripted {
        answer: &'static str,
        shown: Vec<String>,
    }

    impl Prompt for Scripted {
        fn select(&mut self, _: &str, options: Vec<String>) -> Result<usize, Error> {
            let index = options
                .iter()
                .position(|o| o.contains(self.answer))
                .unwrap();
            self.shown = options;
            Ok(index)
        }
    }

    fn roles() -> [RoleEntry; 4] {
        [
            entry("111111111111", "Prod", "ReadOnly"),
            entry("111111111111", "Prod", "Admin"),
            entry("222222222222", "Dev", "Developer"),
            entry("222222222222", "Dev", "ReadOnly"),
        ]
    }

    #[test]
    fn one_question_alphabetical_without_history() {
        let entries = roles();
        let mut p = Scripted {
            answer: "Dev   222222222222  ReadOnly",
            shown: vec![],
        };
        let chosen = choose(
            &entries,
            &RoleHistory::default(),
            0,
            &AccountTags::new(),
            &mut p,
        )
        .unwrap();
        assert_eq!(chosen, 3);
        assert_eq!(
            p.shown,
            [
                "Dev   222222222222  Developer",
                "Dev   222222222222  ReadOnly",
                "Prod  111111111111  Admin",
                "Prod  111111111111  ReadOnly",
            ]
        );
    }

    #[test]
    fn frecent_roles_come_first() {
        let entries = roles();
        let mut history = RoleHistory::default();
        history.note(entries[0].role_arn(), 10);
        history.note(entries[0].role_arn(), 10);
        history.note(entries[3].role_arn(), 10);
        let mut p = Scripted {
            answer: "Admin",
            shown: vec![],
        };
        assert_eq!(
            choose(&entries, &history, 10, &AccountTags::new(), &mut p).unwrap(),
            1
        );
        assert_eq!(
            p.shown,
            [
                "Prod  111111111111  ReadOnly",
                "Dev   222222222222  ReadOnly",
                "Dev   222222222222  Developer",
                "Prod  111111111111  Admin",
            ]
        );
    }

    #[test]
    fn equal_scores_put_the_role_used_last_first() {
        let entries = roles();
        let mut history = RoleHistory::default();
        // Both once within the hour: the same score; Prod Admin, used
        // last, comes first although Dev sorts before it.
        history.note(entries[2].role_arn(), 100);
        history.note(entries[1].role_arn(), 200);
        let mut p = Scripted {
            answer: "Admin",
            shown: vec![],
        };
        assert_eq!(
            history.score(entries[1].role_arn(), 300),
            history.score(entries[2].role_arn(), 300)
        );
        assert_eq!(
            choose(&entries, &history, 300, &AccountTags::new(), &mut p).unwrap(),
            1
        );
        assert_eq!(
            p.shown,
            [
                "Prod  111111111111  Admin",
                "Dev   222222222222  Developer",
                "Dev   222222222222  ReadOnly",
                "Prod  111111111111  ReadOnly",
            ]
        );
    }

    #[test]
    fn words_match_anywhere_in_any_order() {
        let m = SkimMatcherV2::default().ignore_case();
        let line = "Prod  111111111111  Admin";
        assert!(match_score(&m, "prod admin", line).is_some());
        assert!(match_score(&m, "admin prod", line).is_some());
        assert!(match_score(&m, "1111 adm", line).is_some());
        assert!(match_score(&m, "dev admin", line).is_none());
        assert_eq!(match_score(&m, "", line), Some(0));
        assert!(match_score(&m, "prod admin", "Dev  222222222222  ReadOnly").is_none());
    }

    #[test]
    fn the_chooser_shows_names_escaped_and_skips_a_single_role() {
        let entries = [
            entry(
                "111111111111",
                "Prod\u{1b}[2J\nssocred: fake",
                "Read\u{202e}Only",
            ),
            entry("222222222222", "Dev", "Developer"),
        ];
        let mut p = Scripted {
            answer: "Only",
            shown: vec![],
        };
        assert_eq!(
            choose(
                &entries,
                &RoleHistory::default(),
                0,
                &AccountTags::new(),
                &mut p
            )
            .unwrap(),
            0
        );
        assert!(
            p.shown
                .iter()
                .all(|l| !l.contains('\u{1b}') && !l.contains('\n')),
            "{:?}",
            p.shown
        );
        assert!(
            p.shown[1].contains(r"Prod\u{1b}[2J\nssocred: fake"),
            "{:?}",
            p.shown
        );
        let one = [entry("333333333333", "Solo", "Only")];
        assert_eq!(
            choose(
                &one,
                &RoleHistory::default(),
                0,
                &AccountTags::new(),
                &mut p
            )
            .unwrap(),
            0
        );
        assert!(choose(&[], &RoleHistory::default(), 0, &AccountTags::new(), &mut p).is_err());
    }

    /// A synced source's tags follow the role, and typed words match them.
    #[test]
    fn tags_are_shown_after_the_role_and_matched_like_the_rest() {
        let entries = roles();
        let tags = AccountTags::from([(
            "111111111111".to_owned(),
            "env=prod team=\u{1b}web".to_owned(),
        )]);
        let mut p = Scripted {
            answer: "Developer",
            shown: vec![],
        };
        choose(&entries, &RoleHistory::default(), 0, &tags, &mut p).unwrap();
        let prod: Vec<&String> = p.shown.iter().filter(|l| l.contains("1111")).collect();
        assert_eq!(prod.len(), 2, "{:?}", p.shown);
        assert!(
            prod.iter()
                .all(|l| l.ends_with(r"  env=prod team=\u{1b}web")),
            "{prod:?}"
        );
        let m = SkimMatcherV2::default();
        let matching: Vec<&String> = p
            .shown
            .iter()
            .filter(|l| match_score(&m, "env=prod admin", l).is_some())
            .collect();
        assert_eq!(matching.len(), 1, "{matching:?}");
        assert!(matching[0].contains("Admin"), "{matching:?}");
        assert!(
            p.shown
                .iter()
                .filter(|l| l.contains("2222"))
                .all(|l| !l.contains("env=")),
            "{:?}",
            p.shown
        );
    }
}

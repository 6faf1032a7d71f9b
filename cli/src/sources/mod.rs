//! Team sources: a git repository (or an HTTPS file pinned by its
//! SHA-256) holding one organisation's `ssocred-team.toml` (its
//! sso-sessions, naming, aliases, regions and tags), recorded with `ssocred source add`, fetched by `ssocred sync`
//! into one marked block per source in the AWS config file, and read by
//! `discover`. See docs/sources.md.

pub mod auto;
pub mod fetch;
pub mod https;
pub mod store;
pub mod team_file;

use ssocred_core::Error;
use ssocred_core::store::{ini_edit, marked_block};

use crate::sources::store::SourceStore;
use crate::sources::team_file::{Origin, TeamFile};

/// The synced team source that defines `[sso-session.SESSION]`: its name
/// and its file as last synced (the first by name, when several do), for
/// `discover`. A synced copy changed since the sync is an error.
pub fn for_session(
    session: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(String, TeamFile)>, Error> {
    let store = SourceStore::from_env(env)?;
    for (name, source) in store.load()?.sources {
        let Some(synced) = &source.synced else {
            continue;
        };
        let text = store.snapshot(&name, synced)?;
        let origin = Origin {
            source: &name,
            file: &source.path,
        };
        let team = TeamFile::parse(origin, &text)?;
        if team.sessions.contains_key(session) {
            return Ok(Some((name, team)));
        }
    }
    Ok(None)
}

/// The begin marker of source `name`'s block.
pub fn begin_marker(name: &str) -> String {
    format!("# BEGIN ssocred source: {name}")
}

/// The end marker of source `name`'s block.
pub fn end_marker(name: &str) -> String {
    format!("# END ssocred source: {name}")
}

/// What writing one source's block did to the file's text.
#[derive(Debug)]
pub struct Applied {
    /// The new text.
    pub text: String,
    /// The sections left out because the user (or another source) has a
    /// section of that name outside the block: `[HEADER]`.
    pub clashes: Vec<String>,
}

/// `text` with source `name`'s block holding the sections of `team` (read
/// at `commit`), in place of the old block, or appended. A section whose
/// name is taken outside the block is left out and reported: what the
/// user wrote wins. Every byte outside the block stays. The error (broken
/// markers) names the line.
pub fn apply(text: &str, name: &str, commit: &str, team: &TeamFile) -> Result<Applied, String> {
    let (begin, end) = (begin_marker(name), end_marker(name));
    let cut = marked_block::cut(text, &begin, &end)?;
    let taken = ini_edit::section_headers(&cut.outside());
    let mut clashes = Vec::new();
    let mut body = String::new();
    for (header, entries) in team.sections() {
        if taken.contains(&header) {
            clashes.push(format!("[{header}]"));
            continue;
        }
        body.push('\n');
        body.push_str(&format!("[{header}]\n"));
        for (key, value) in entries {
            body.push_str(&format!("{key} = {value}\n"));
        }
    }
    let block = if body.is_empty() {
        String::new()
    } else {
        format!(
            "{begin}\n# Written by `ssocred sync` from team source `{name}` at {commit}; do not edit: the next sync replaces this block.\n{body}\n{end}\n"
        )
    };
    Ok(Applied {
        text: marked_block::replace(&cut, &block),
        clashes,
    })
}

/// `text` without source `name`'s block.
pub fn remove(text: &str, name: &str) -> Result<String, String> {
    let cut = marked_block::cut(text, &begin_marker(name), &end_marker(name))?;
    Ok(marked_block::replace(&cut, ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::team_file::Origin;

    fn team(text: &str) -> TeamFile {
        let origin = Origin {
            source: "team",
            file: "ssocred-team.toml",
        };
        TeamFile::parse(origin, text).unwrap()
    }

    const TEAM: &str = "[sso-session.corp]\nstart_url = 'https://d-corp.awsapps.com/start'\nregion = 'us-east-1'\n\n[profile.tools]\nregion = 'eu-west-1'\n";

    #[test]
    fn a_block_is_written_once_and_the_users_sections_win() {
        let mine = "# mine\n[profile tools]\nregion = us-west-2\n";
        let applied = apply(mine, "team", "abc", &team(TEAM)).unwrap();
        assert_eq!(applied.clashes, ["[profile tools]"]);
        assert!(applied.text.starts_with(mine), "{}", applied.text);
        assert!(applied.text.contains("[sso-session corp]\nsso_start_url = https://d-corp.awsapps.com/start\nsso_region = us-east-1\n"));
        assert!(!applied.text[mine.len()..].contains("[profile tools]"));
        // Again: the same bytes.
        let again = apply(&applied.text, "team", "abc", &team(TEAM)).unwrap();
        assert_eq!(again.text, applied.text);
        // Removing the source leaves the user's text as it was.
        assert_eq!(remove(&again.text, "team").unwrap(), format!("{mine}\n"));
    }
}

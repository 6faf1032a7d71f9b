//! The chooser's memory: which roles were chosen, how often and how
//! recently ("frecency"), so that the roles people use all day come first.
//! Kept in ssocred's state directory, bounded in entries and in bytes, and
//! replaced atomically; a missing, oversized or unreadable file is an empty
//! history, never an error.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::os::fs::{FileLock, write_atomic};

/// At most this many roles are remembered; the lowest-scoring go first.
pub const MAX_ROLES: usize = 200;

/// A history file larger than this is not read (and is replaced on the next
/// choice): 200 entries take about 30 KB.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The longest role ARN remembered (IAM allows 2048 characters).
const MAX_ARN_CHARS: usize = 2048;

/// One remembered role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Remembered {
    role_arn: String,
    /// How many times it was chosen.
    count: u32,
    /// When it was last chosen, in seconds since the Unix epoch.
    last_used: i64,
}

/// The roles chosen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleHistory {
    roles: Vec<Remembered>,
}

/// The history file in ssocred's state directory `state_dir`.
pub fn history_path(state_dir: &Path) -> PathBuf {
    state_dir.join("chooser-history.json")
}

impl RoleHistory {
    /// The history at `path`: empty when the file is missing, larger than
    /// [`MAX_FILE_BYTES`] or not a history.
    pub fn load(path: &Path) -> RoleHistory {
        let Ok(meta) = std::fs::metadata(path) else {
            return RoleHistory::default();
        };
        if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
            return RoleHistory::default();
        }
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// How strongly `role_arn` should come first at `now` (seconds since the
    /// epoch): how often it was chosen, weighted by how recently, as zoxide
    /// and browsers' address bars weigh them. 0 for a role never chosen.
    pub fn score(&self, role_arn: &str, now: i64) -> f64 {
        self.roles
            .iter()
            .find(|r| r.role_arn == role_arn)
            .map_or(0.0, |r| score(r, now))
    }

    /// When `role_arn` was last chosen (seconds since the epoch); `None`
    /// for a role never chosen. Breaks ties of [`score`](Self::score): of
    /// two roles as strong, the one used last comes first.
    pub fn last_used(&self, role_arn: &str) -> Option<i64> {
        self.roles
            .iter()
            .find(|r| r.role_arn == role_arn)
            .map(|r| r.last_used)
    }

    /// The roles remembered, strongest at `now` first (ties: the one used
    /// last first), for the completion of `--role-arn` and `--role`.
    pub fn roles(&self, now: i64) -> Vec<&str> {
        let mut roles: Vec<&Remembered> = self.roles.iter().collect();
        roles.sort_by(|a, b| {
            score(b, now)
                .total_cmp(&score(a, now))
                .then(b.last_used.cmp(&a.last_used))
        });
        roles.into_iter().map(|r| r.role_arn.as_str()).collect()
    }

    /// Counts one more choice of `role_arn` at `now`, keeping at most
    /// [`MAX_ROLES`] roles.
    pub fn note(&mut self, role_arn: &str, now: i64) {
        if role_arn.chars().count() > MAX_ARN_CHARS {
            return;
        }
        match self.roles.iter_mut().find(|r| r.role_arn == role_arn) {
            Some(r) => {
                r.count = r.count.saturating_add(1);
                r.last_used = now;
            }
            None => self.roles.push(Remembered {
                role_arn: role_arn.to_owned(),
                count: 1,
                last_used: now,
            }),
        }
        if self.roles.len() > MAX_ROLES {
            self.roles
                .sort_by(|a, b| score(b, now).total_cmp(&score(a, now)));
            self.roles.truncate(MAX_ROLES);
        }
    }

    /// Records one choice of `role_arn` at `now` in the file at `path`:
    /// read, counted and replaced atomically under the file's lock, so
    /// concurrent choosers lose no count.
    pub fn record(path: &Path, role_arn: &str, now: i64) -> io::Result<()> {
        let _lock = FileLock::acquire(path)?;
        let mut history = RoleHistory::load(path);
        history.note(role_arn, now);
        let text = serde_json::to_vec(&history).map_err(io::Error::other)?;
        write_atomic(path, &text)
    }
}

fn score(r: &Remembered, now: i64) -> f64 {
    const HOUR: i64 = 3600;
    let age = now.saturating_sub(r.last_used);
    let weight = if age < HOUR {
        4.0
    } else if age < 24 * HOUR {
        2.0
    } else if age < 7 * 24 * HOUR {
        0.5
    } else {
        0.25
    };
    f64::from(r.count) * weight
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    /// The completion lists the remembered roles strongest first.
    #[test]
    fn roles_come_strongest_first() {
        let mut h = RoleHistory::default();
        let now = 100 * DAY;
        h.note("once-long-ago", now - 30 * DAY);
        h.note("once-now", now);
        h.note("often-old", now - 3 * DAY);
        h.note("often-old", now - 3 * DAY);
        assert_eq!(h.roles(now), ["once-now", "often-old", "once-long-ago"]);
    }

    #[test]
    fn often_and_recent_beat_rare_and_old() {
        let mut h = RoleHistory::default();
        let now = 100 * DAY;
        for _ in 0..3 {
            h.note("often-old", now - 3 * DAY);
        }
        h.note("once-now", now);
        h.note("once-long-ago", now - 30 * DAY);
        assert_eq!(h.score("never", now), 0.0);
        assert!(h.score("once-now", now) > h.score("often-old", now));
        assert!(h.score("often-old", now) > h.score("once-long-ago", now));
        h.note("once-now", now);
        assert_eq!(h.score("once-now", now), 8.0);
    }

    #[test]
    fn the_history_is_bounded_and_keeps_the_strongest() {
        let mut h = RoleHistory::default();
        let now = 10 * DAY;
        h.note("favourite", now);
        h.note("favourite", now);
        for i in 0..MAX_ROLES + 50 {
            h.note(&format!("r{i}"), now - 30 * DAY);
        }
        assert_eq!(h.roles.len(), MAX_ROLES);
        assert!(h.score("favourite", now) > 0.0);
        h.note(&"x".repeat(MAX_ARN_CHARS + 1), now);
        assert!(h.roles.iter().all(|r| r.role_arn.len() <= MAX_ARN_CHARS));
    }

    #[test]
    fn a_file_is_counted_atomically_and_a_bad_one_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path());
        RoleHistory::record(&path, "a", 5).unwrap();
        RoleHistory::record(&path, "a", 6).unwrap();
        assert_eq!(RoleHistory::load(&path).score("a", 6), 8.0);
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(RoleHistory::load(&path), RoleHistory::default());
        RoleHistory::record(&path, "b", 7).unwrap();
        assert_eq!(RoleHistory::load(&path).score("b", 7), 4.0);
        let big = vec![b' '; usize::try_from(MAX_FILE_BYTES).unwrap() + 1];
        std::fs::write(&path, big).unwrap();
        assert_eq!(RoleHistory::load(&path), RoleHistory::default());
    }
}

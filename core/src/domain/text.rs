//! Text from servers (account and role names, error descriptions,
//! device-flow codes and URLs) made safe to show on a terminal.
//!
//! A hostile portal or redirect can put escape sequences in a name to
//! recolour, clear or rewrite the screen, a newline to forge a line of
//! ssocred's own output, or a bidi override to make text read backwards.
//! [`visible`] renders each such character as a Rust-style escape, so the
//! text reads as what it is and stays on its line.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every character a terminal would act on rather than show
/// written as an escape: C0 controls, DEL and C1 controls (`\n`, `\r`, `\t`
/// by name, the rest as `\u{1b}`), the line and paragraph separators, and
/// the bidi embedding, override, isolate and mark characters. Borrowed
/// when there is nothing to escape.
///
/// Only for terminals and messages: machine output such as `list --json`
/// keeps values exact and lets its own format escape them.
pub fn visible(text: &str) -> Cow<'_, str> {
    if printable_ascii(text) || !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `text` is printable ASCII alone, the common case: checked a
/// byte at a time with no early exit, so that it runs on whole vectors.
fn printable_ascii(text: &str) -> bool {
    text.bytes()
        .fold(true, |all, b| all & (b.wrapping_sub(0x20) < 0x5f))
}

/// [`visible`] and its width in characters, in one look at plain text.
pub fn visible_width(text: &str) -> (Cow<'_, str>, usize) {
    if printable_ascii(text) {
        return (Cow::Borrowed(text), text.len());
    }
    let shown = visible(text);
    let width = shown.chars().count();
    (shown, width)
}

/// [`visible_column`] and its width in characters, in one look at plain
/// text: for a table that pads 30,000 rows.
pub fn visible_column_width(text: &str) -> (Cow<'_, str>, usize) {
    if printable_ascii(text) && text.len() <= MAX_COLUMN {
        return (Cow::Borrowed(text), text.len());
    }
    let shown = visible_column(text);
    let width = shown.chars().count();
    (shown, width)
}

/// The widest a padded column of server text grows (an account or role
/// name in `list` or the role chooser): a table pads every row to its
/// widest cell, so one huge name would otherwise be repeated as padding on
/// every row.
pub const MAX_COLUMN: usize = 64;

/// The mark that ends a name cut to [`MAX_COLUMN`].
pub const CUT_MARK: char = '…';

/// [`visible`] for a padded column: escaped, then cut to [`MAX_COLUMN`]
/// characters, the last one [`CUT_MARK`], when longer.
pub fn visible_column(text: &str) -> Cow<'_, str> {
    let shown = visible(text);
    // No more bytes than that is no more characters either.
    if shown.len() <= MAX_COLUMN || shown.chars().count() <= MAX_COLUMN {
        return shown;
    }
    let mut cut: String = shown.chars().take(MAX_COLUMN - 1).collect();
    cut.push(CUT_MARK);
    Cow::Owned(cut)
}

/// Whether `text` reaches a terminal as it is: nothing in it but newlines
/// that [`visible_lines`] would escape. Printable ASCII is checked a byte at
/// a time, for whole tables.
pub fn shows_as_is(text: &str) -> bool {
    let plain = text.bytes().fold(true, |all, b| {
        all & (b.wrapping_sub(0x20) < 0x5f || b == b'\n')
    });
    plain || !text.chars().any(|c| c != '\n' && needs_escape(c))
}

/// [`visible`] for a message that may span lines on purpose: newlines stay,
/// every other character a terminal would act on is escaped. For the last
/// line of defence (ssocred's own error messages), not for server text,
/// which goes through [`visible`] where it enters a message.
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    if shows_as_is(text) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(visible).collect();
    Cow::Owned(lines.join("\n"))
}

/// The most characters of server text [`remote`] keeps: real AWS error
/// messages are one sentence; the rest of a longer one is cut.
pub const MAX_REMOTE_TEXT: usize = 300;

/// What stands in for a secret in server text.
pub const REDACTED: &str = "<redacted>";

/// Text from a server that is about to enter a message (an error's code
/// and message, an excerpt of a body): the one way every such text takes.
///
/// Every secret of the request that drew it (`secrets`: a bearer or access
/// token, a secret key, a session token, a client secret) is replaced by
/// [`REDACTED`], as sent and in the percent- and JSON-escaped forms an
/// echo may take; then the text is escaped with [`visible`] and cut to
/// [`MAX_REMOTE_TEXT`] characters, saying how much was cut. A server that
/// echoes the request, or answers with 300 KB, puts neither on a terminal.
pub fn remote(text: &str, secrets: &[&str]) -> String {
    let text = redact(text, secrets);
    let shown = visible(text.trim());
    let total = shown.chars().count();
    if total <= MAX_REMOTE_TEXT {
        return shown.into_owned();
    }
    let mut cut: String = shown.chars().take(MAX_REMOTE_TEXT).collect();
    let _ = write!(cut, "… ({} more characters cut)", total - MAX_REMOTE_TEXT);
    cut
}

/// `text` with every one of `secrets` replaced by [`REDACTED`], as sent and
/// percent- or JSON-escaped: the first step of [`remote`], alone for
/// ssocred's own messages that quote server text already passed through
/// [`remote`] and must not be cut.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let percent =
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let json = secret.replace('/', "\\/");
        for form in [secret, percent.as_str(), json.as_str()] {
            if text.contains(form) {
                text = text.replace(form, REDACTED);
            }
        }
    }
    text
}

/// Whether a terminal would act on `c` instead of showing it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Line and paragraph separators.
            '\u{2028}' | '\u{2029}'
            // Arabic letter mark, left-to-right and right-to-left marks.
            | '\u{061c}' | '\u{200e}' | '\u{200f}'
            // Embeddings, overrides and their terminator.
            | '\u{202a}'..='\u{202e}'
            // Isolates and their terminator.
            | '\u{2066}'..='\u{2069}'
        )
}

/// The names of `candidates` closest to `word` (case-insensitively), best
/// first, at most three: for "did you mean" when a profile or role name
/// was almost right. A name is close when a few edits (a letter added,
/// dropped, changed, or two swapped: one per four letters, at least one)
/// make it; the fewest edits come first, then the most alike (Jaro).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let word = word.to_lowercase();
    let most = 1 + word.chars().count() / 4;
    let mut near: Vec<(usize, f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let lower = c.to_lowercase();
            (
                strsim::osa_distance(&word, &lower),
                strsim::jaro(&word, &lower),
                c,
            )
        })
        .filter(|(edits, _, _)| *edits <= most)
        .collect();
    near.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| a.2.cmp(b.2))
    });
    near.dedup_by(|a, b| a.2 == b.2);
    near.into_iter()
        .take(3)
        .map(|(_, _, c)| c.to_owned())
        .collect()
}

/// `; did you mean `a`?` (or `` `a` or `b` ``) for the names of
/// [`closest`], escaped; empty when there are none.
pub fn did_you_mean(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", visible(n))).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-look widths agree with the plain functions on every kind of
    /// text: plain, non-ASCII, escaped, long, long and non-ASCII.
    #[test]
    fn widths_in_one_look_agree_with_counting() {
        let long = "x".repeat(MAX_COLUMN + 5);
        let long_wide = "é".repeat(MAX_COLUMN - 10);
        for text in [
            "",
            "Prod",
            "Dev ünïcode 'quoted'",
            "tab\there",
            "bell\u{7}",
            "del\u{7f}",
            "bidi\u{202e}",
            &long,
            &long_wide,
            &"ü".repeat(MAX_COLUMN + 1),
        ] {
            let (shown, width) = visible_width(text);
            assert_eq!(shown, visible(text), "{text:?}");
            assert_eq!(width, visible(text).chars().count(), "{text:?}");
            let (shown, width) = visible_column_width(text);
            assert_eq!(shown, visible_column(text), "{text:?}");
            assert_eq!(width, visible_column(text).chars().count(), "{text:?}");
        }
        assert_eq!(visible_column_width(&long).1, MAX_COLUMN);
        assert_eq!(visible_width("del\u{7f}").0, "del\\u{7f}");
    }

    #[test]
    fn near_misses_get_the_closest_names() {
        let names = ["dev", "prod", "staging", "default"];
        assert_eq!(closest("dve", names), vec!["dev"]);
        assert_eq!(closest("PROD", names), vec!["prod"]);
        assert_eq!(closest("qqqqqq", names), Vec::<String>::new());
        assert_eq!(closest("Admn", ["Admin", "ReadOnly"]), vec!["Admin"]);
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["dev".into()]), "; did you mean `dev`?");
        assert_eq!(
            did_you_mean(&["a".into(), "b".into(), "c\n".into()]),
            "; did you mean `a`, `b` or `c\\n`?"
        );
    }

    #[test]
    fn a_column_is_cut_at_the_cap_with_a_mark() {
        let exact = "a".repeat(MAX_COLUMN);
        assert_eq!(visible_column(&exact), exact.as_str());
        let long = "é".repeat(MAX_COLUMN * 3);
        let cut = visible_column(&long);
        assert_eq!(cut.chars().count(), MAX_COLUMN);
        assert_eq!(cut, format!("{}{CUT_MARK}", "é".repeat(MAX_COLUMN - 1)));
        // Escaped first: control characters never survive the cut.
        let escapes = "\u{1b}".repeat(100);
        let cut = visible_column(&escapes);
        assert!(cut.ends_with(CUT_MARK) && !cut.contains('\u{1b}'), "{cut}");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in [
            "",
            "Prod (EU)",
            "Dev ünïcode 'quoted'",
            "My.Role+x=y,z@w",
            "日本",
        ] {
            assert!(matches!(visible(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn controls_are_made_visible() {
        assert_eq!(
            visible("a\u{1b}[31mred\u{1b}[0m\nssocred: fake\r\t\0"),
            "a\\u{1b}[31mred\\u{1b}[0m\\nssocred: fake\\r\\t\\u{0}"
        );
        assert_eq!(visible("\u{7f}\u{85}\u{9b}2J"), "\\u{7f}\\u{85}\\u{9b}2J");
    }

    #[test]
    fn bidi_and_separators_are_made_visible() {
        assert_eq!(
            visible("admin\u{202e}txt.exe\u{2066}\u{2069}\u{200f}\u{61c}\u{2028}\u{2029}"),
            "admin\\u{202e}txt.exe\\u{2066}\\u{2069}\\u{200f}\\u{61c}\\u{2028}\\u{2029}"
        );
    }

    #[test]
    fn messages_keep_their_lines_and_lose_their_escapes() {
        assert!(matches!(visible_lines("a\nb"), Cow::Borrowed("a\nb")));
        assert_eq!(
            visible_lines("line 1\n\u{1b}[2Jline 2\r\u{202e}"),
            "line 1\n\\u{1b}[2Jline 2\\r\\u{202e}"
        );
    }

    #[test]
    fn remote_text_loses_the_requests_secrets_in_every_form() {
        let token = "tok/SECRET+x=";
        let session = "IQoJb3JpZ2luX2Vj/SESSION";
        let echoed = format!(
            "bad request: x-amz-sso_bearer_token: {token}\nX-Amz-Security-Token: {session}; \
             form sessionToken=IQoJb3JpZ2luX2Vj%2FSESSION json \"IQoJb3JpZ2luX2Vj\\/SESSION\""
        );
        let shown = remote(&echoed, &[token, "", session]);
        for secret in [token, session, "IQoJb3JpZ2luX2Vj"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert_eq!(shown.matches(REDACTED).count(), 4, "{shown}");
        assert!(shown.contains("bad request: x-amz-sso_bearer_token: <redacted>\\n"));
        let long = format!("{} {token}", "y".repeat(500));
        assert_eq!(
            redact(&long, &[token]),
            format!("{} <redacted>", "y".repeat(500))
        );
    }

    #[test]
    fn remote_text_is_cut_and_escaped() {
        let long = format!("\u{1b}[2J{}", "x".repeat(300_000));
        let shown = remote(&long, &[]);
        assert!(shown.starts_with("\\u{1b}[2Jxxx"), "{shown}");
        assert!(shown.ends_with("… (299709 more characters cut)"), "{shown}");
        assert!(shown.chars().count() < MAX_REMOTE_TEXT + 40);
        assert_eq!(remote(" short ", &[]), "short");
    }

    #[test]
    fn the_result_never_holds_a_character_that_needs_escaping() {
        let every: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let shown = visible(&every);
        assert!(!shown.chars().any(needs_escape));
        assert!(!shown.contains('\n'));
    }
}

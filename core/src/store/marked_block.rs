//! A block of lines that ssocred owns inside a user's file, between a begin
//! and an end marker line: found, replaced or removed while every byte
//! outside it stays as it was.
//!
//! `ssocred sync` keeps one such block per team source in the AWS config
//! file. The markers are whole lines; a begin without its end, an end
//! without its begin, or a second block of one name is an error (the file
//! is then left alone, since where the block ends is not known).

/// A file's text cut around one block: the text before it, the block
/// itself (markers included) and the text after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut<'a> {
    /// Everything before the begin marker.
    pub before: &'a str,
    /// The block, from its begin marker to its end marker's line ending;
    /// empty when the file has none.
    pub block: &'a str,
    /// Everything after the end marker's line.
    pub after: &'a str,
}

impl<'a> Cut<'a> {
    /// The text with the block taken out: what the user (and other blocks)
    /// wrote.
    pub fn outside(&self) -> String {
        format!("{}{}", self.before, self.after)
    }
}

/// Cuts `text` around the block marked by the lines `begin` and `end`. The
/// error names the line that is wrong.
pub fn cut<'a>(text: &'a str, begin: &str, end: &str) -> Result<Cut<'a>, String> {
    let mut offset = 0;
    let mut start: Option<(usize, usize)> = None;
    let mut found: Option<(usize, usize)> = None;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let number = index + 1;
        if content == begin {
            if start.is_some() || found.is_some() {
                return Err(format!(
                    "line {number}: a second `{begin}`; remove one of the blocks"
                ));
            }
            start = Some((offset, number));
        } else if content == end {
            match start.take() {
                Some((from, _)) => found = Some((from, offset + line.len())),
                None => {
                    return Err(format!("line {number}: `{end}` without its `{begin}`"));
                }
            }
        }
        offset += line.len();
    }
    if let Some((_, number)) = start {
        return Err(format!(
            "line {number}: `{begin}` has no `{end}` after it; restore the end marker or delete the block"
        ));
    }
    Ok(match found {
        Some((from, to)) => Cut {
            before: &text[..from],
            block: &text[from..to],
            after: &text[to..],
        },
        None => Cut {
            before: text,
            block: "",
            after: "",
        },
    })
}

/// The file with `block` (whole lines, markers included, each ending in
/// `\n`) in place of the old one; appended after a blank line when there
/// was none; the old one removed when `block` is empty. Line endings follow
/// the file's: a `\r\n` file gets `\r\n` in the new block.
pub fn replace(cut: &Cut<'_>, block: &str) -> String {
    let eol = line_ending(cut.before, cut.after);
    let block = if eol == "\r\n" {
        block.replace('\n', "\r\n")
    } else {
        block.to_owned()
    };
    let mut out = String::with_capacity(cut.before.len() + block.len() + cut.after.len() + 4);
    out.push_str(cut.before);
    if !block.is_empty() && cut.block.is_empty() && !cut.before.is_empty() {
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        if !out.ends_with(&format!("{eol}{eol}")) && out != eol {
            out.push_str(eol);
        }
    }
    out.push_str(&block);
    out.push_str(cut.after);
    out
}

/// The file's dominant line ending.
fn line_ending(before: &str, after: &str) -> &'static str {
    let crlf = before.matches("\r\n").count() + after.matches("\r\n").count();
    let lf = before.matches('\n').count() + after.matches('\n').count();
    if crlf > 0 && crlf * 2 > lf {
        "\r\n"
    } else {
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "# BEGIN x";
    const END: &str = "# END x";

    #[test]
    fn a_block_is_replaced_and_every_other_byte_stays() {
        let text =
            "[profile a]\r\nregion = x\r\n\r\n# BEGIN x\r\nold\r\n# END x\r\n[profile b]\r\n";
        let cut = cut(text, BEGIN, END).unwrap();
        assert_eq!(cut.block, "# BEGIN x\r\nold\r\n# END x\r\n");
        let after = replace(&cut, "# BEGIN x\nnew\n# END x\n");
        assert_eq!(
            after,
            "[profile a]\r\nregion = x\r\n\r\n# BEGIN x\r\nnew\r\n# END x\r\n[profile b]\r\n"
        );
        // Removing it leaves exactly the rest.
        assert_eq!(
            replace(&cut, ""),
            "[profile a]\r\nregion = x\r\n\r\n[profile b]\r\n"
        );
    }

    #[test]
    fn a_new_block_is_appended_after_a_blank_line() {
        let cut = cut("[default]\nregion = x", BEGIN, END).unwrap();
        assert_eq!(cut.block, "");
        assert_eq!(
            replace(&cut, "# BEGIN x\n# END x\n"),
            "[default]\nregion = x\n\n# BEGIN x\n# END x\n"
        );
        let empty = super::cut("", BEGIN, END).unwrap();
        assert_eq!(
            replace(&empty, "# BEGIN x\n# END x\n"),
            "# BEGIN x\n# END x\n"
        );
    }

    #[test]
    fn broken_markers_are_refused_naming_the_line() {
        for (text, line) in [
            ("a\n# BEGIN x\nb\n", "line 2"),
            ("# END x\n", "line 1"),
            ("# BEGIN x\n# END x\n# BEGIN x\n# END x\n", "line 3"),
        ] {
            let e = cut(text, BEGIN, END).unwrap_err();
            assert!(e.starts_with(line), "{text:?}: {e}");
        }
    }
}

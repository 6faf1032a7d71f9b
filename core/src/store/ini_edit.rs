//! Byte-preserving edits of AWS INI files.
//!
//! An edit touches only the lines of the section it owns: every other byte,
//! comments, blank lines, order and line endings included, stays as it was.
//! Callers validate the file with the SDK parser first, so this module only
//! has to find sections and keys; it reads lines the way that parser does.

/// One line of the file and what it is.
#[derive(Debug)]
struct Line<'a> {
    /// The full line including its terminator.
    raw: &'a str,
    kind: Kind,
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Section(String),
    Property(String),
    Continuation,
    Other,
}

fn classify(line: &str) -> Kind {
    let body = line.trim_end_matches(['\n', '\r']);
    let trimmed = body.trim_matches([' ', '\t']);
    if trimmed.is_empty() || body.starts_with(['#', ';']) {
        return Kind::Other;
    }
    if body.starts_with([' ', '\t']) {
        return Kind::Continuation;
    }
    if body.starts_with('[') {
        // As the SDK reads a header: a comment (`#` or `;`, no space needed)
        // ends the line, and the name runs to the LAST `]`, so `[a]x]` is
        // the (invalid, ignored) profile `a]x`, not `a`.
        let line = body.trim_matches([' ', '\t']);
        let line = line
            .find(['#', ';'])
            .map_or(line, |i| &line[..i])
            .trim_matches([' ', '\t']);
        let inner = &line[1..];
        let name = inner.strip_suffix(']').unwrap_or(inner);
        return Kind::Section(name.trim_matches([' ', '\t']).to_owned());
    }
    match body.split_once('=') {
        Some((key, _)) => Kind::Property(key.trim_matches([' ', '\t']).to_ascii_lowercase()),
        None => Kind::Other,
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|raw| Line {
            raw,
            kind: classify(raw),
        })
        .collect()
}

/// The sections whose header, trimmed, equals one of the given names.
fn owned(kind: &Kind, header: &str) -> bool {
    matches!(kind, Kind::Section(name) if name == header)
}

/// Sets `entries` (key, value) in section `[header]` of `text` and returns the
/// new text.
///
/// Existing keys (matched case-insensitively, as the SDKs do) get the new
/// value in place; duplicates of them in the section, and their continuation
/// lines, are dropped so the new value is the one read. Missing keys are added
/// after the section's last property. A missing section is appended at the
/// end, after a blank line. `header` is the text between the brackets, such
/// as `default` or `profile dev`. Values must be single lines.
pub fn set_section(text: &str, header: &str, entries: &[(&str, &str)]) -> String {
    // New lines follow the file's dominant line ending.
    let crlf = text.matches("\r\n").count();
    let eol = if crlf * 2 > text.matches('\n').count() {
        "\r\n"
    } else {
        "\n"
    };
    let all = lines(text);
    let mut out = String::with_capacity(text.len() + 256);
    let mut written = vec![false; entries.len()];
    let last_header = all.iter().rposition(|l| owned(&l.kind, header));

    let Some(last_header) = last_header else {
        out.push_str(text);
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(eol);
            }
            if !out.ends_with(&format!("{eol}{eol}")) && out != eol {
                out.push_str(eol);
            }
        }
        out.push_str(&format!("[{header}]{eol}"));
        for (k, v) in entries {
            out.push_str(&format!("{k} = {v}{eol}"));
        }
        return out;
    };

    // The index after which missing keys go: the last property or
    // continuation line of the last occurrence of the section.
    let mut insert_after = last_header;
    for (i, line) in all.iter().enumerate().skip(last_header + 1) {
        match line.kind {
            Kind::Section(_) => break,
            Kind::Property(_) | Kind::Continuation => insert_after = i,
            Kind::Other => {}
        }
    }

    let mut in_section = false;
    let mut dropping_continuations = false;
    for (i, line) in all.iter().enumerate() {
        match &line.kind {
            Kind::Section(_) => {
                in_section = owned(&line.kind, header);
                dropping_continuations = false;
                out.push_str(line.raw);
            }
            Kind::Property(key) if in_section => {
                dropping_continuations = false;
                match entries
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(key))
                {
                    Some(idx) => {
                        dropping_continuations = true;
                        if !written[idx] {
                            written[idx] = true;
                            let (k, v) = entries[idx];
                            out.push_str(&format!("{k} = {v}"));
                            out.push_str(line_ending(line.raw, eol));
                        }
                    }
                    None => out.push_str(line.raw),
                }
            }
            Kind::Continuation if in_section && dropping_continuations => {}
            // Blank lines and comments do not end a value's continuation
            // lines in the SDK grammar, so they do not stop the dropping.
            _ => out.push_str(line.raw),
        }
        if i == insert_after {
            if !out.ends_with('\n') && written.iter().any(|w| !w) {
                out.push_str(eol);
            }
            for (idx, (k, v)) in entries.iter().enumerate() {
                if !written[idx] {
                    written[idx] = true;
                    out.push_str(&format!("{k} = {v}{eol}"));
                }
            }
        }
    }
    out
}

/// Removes every occurrence of section `[header]` with its lines, up to the
/// next section header. Comments directly above it belong to whatever
/// precedes them and stay.
pub fn remove_section(text: &str, header: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_section = false;
    for line in lines(text) {
        if let Kind::Section(_) = line.kind {
            in_section = owned(&line.kind, header);
        }
        if !in_section {
            out.push_str(line.raw);
        }
    }
    out
}

/// The trimmed names of every section header, in file order.
pub fn section_headers(text: &str) -> Vec<String> {
    lines(text)
        .into_iter()
        .filter_map(|l| match l.kind {
            Kind::Section(name) => Some(name),
            _ => None,
        })
        .collect()
}

fn line_ending<'a>(raw: &'a str, eol: &'a str) -> &'a str {
    if raw.ends_with("\r\n") {
        "\r\n"
    } else if raw.ends_with('\n') {
        "\n"
    } else {
        // The last line of a file without a final newline.
        let _ = eol;
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[(&str, &str)] = &[
        ("aws_access_key_id", "NEW"),
        ("aws_secret_access_key", "S/+="),
    ];

    #[test]
    fn appends_a_missing_section() {
        assert_eq!(
            set_section("", "default", KEYS),
            "[default]\naws_access_key_id = NEW\naws_secret_access_key = S/+=\n"
        );
        assert_eq!(
            set_section("[a]\nx = 1", "b", &[("k", "v")]),
            "[a]\nx = 1\n\n[b]\nk = v\n"
        );
        assert_eq!(
            set_section("[a]\nx = 1\n\n", "b", &[("k", "v")]),
            "[a]\nx = 1\n\n[b]\nk = v\n"
        );
        assert_eq!(
            set_section("[a]\r\nx = 1\r\n", "b", &[("k", "v")]),
            "[a]\r\nx = 1\r\n\r\n[b]\r\nk = v\r\n"
        );
    }

    #[test]
    fn replaces_in_place_and_keeps_everything_else() {
        let before = "# top\n[default] ; mine\nregion=eu-west-1\nAWS_ACCESS_KEY_ID =  OLD   # c\n; inner comment\n\n[other]\naws_access_key_id = KEEP\n";
        let after = set_section(before, "default", KEYS);
        assert_eq!(
            after,
            "# top\n[default] ; mine\nregion=eu-west-1\naws_access_key_id = NEW\naws_secret_access_key = S/+=\n; inner comment\n\n[other]\naws_access_key_id = KEEP\n"
        );
    }

    #[test]
    fn drops_duplicates_and_continuations_of_replaced_keys() {
        let before = "[p]\naws_access_key_id = A\n  continued\n\n# note\n  more\nkeep = 1\n  keep-cont\n[q]\n[p]\naws_access_key_id = B\n";
        let after = set_section(before, "p", &[("aws_access_key_id", "N")]);
        assert_eq!(
            after,
            "[p]\naws_access_key_id = N\n\n# note\nkeep = 1\n  keep-cont\n[q]\n[p]\n"
        );
    }

    #[test]
    fn handles_a_last_line_without_newline() {
        assert_eq!(
            set_section("[p]\nk = old", "p", &[("k", "new"), ("z", "1")]),
            "[p]\nk = new\nz = 1\n"
        );
        assert_eq!(set_section("[p]", "p", &[("k", "v")]), "[p]\nk = v\n");
    }

    #[test]
    fn matches_trimmed_headers_only() {
        let before = "[ default ]\nk = 1\n[profile default]\nk = 2\n";
        let after = set_section(before, "default", &[("k", "9")]);
        assert_eq!(after, "[ default ]\nk = 9\n[profile default]\nk = 2\n");
    }

    #[test]
    fn reads_header_names_as_the_sdk_does() {
        // Found by the config_parser fuzz target: the SDK names this profile
        // `p]x` and ignores it, so an edit of `p` must not land inside it.
        let before = "[p]x]\nk = 1\n";
        let after = set_section(before, "p", &[("k", "2")]);
        assert_eq!(after, "[p]x]\nk = 1\n\n[p]\nk = 2\n");
        let sections = crate::store::profile::parse_sections(None, Some(&after)).unwrap();
        assert_eq!(sections.get_profile("p").unwrap().get("k"), Some("2"));
        assert_eq!(
            section_headers("[a];c]\n[b]#x\n[ c ] ; y\n"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn removes_sections() {
        let before = "[a]\nx = 1\n# about b\n[b]\ny = 2\n[c]\nz = 3\n[b]\nw = 4\n";
        assert_eq!(
            remove_section(before, "b"),
            "[a]\nx = 1\n# about b\n[c]\nz = 3\n"
        );
        assert_eq!(section_headers(before), ["a", "b", "c", "b"]);
    }
}

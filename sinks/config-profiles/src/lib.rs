//! The `config-profiles` sink: one profile per discovered role in the AWS
//! config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), inside a block
//! that ssocred owns.
//!
//! Each SSO instance gets its own block, between marker comments that name
//! its sso-session or start URL. Only that block is rewritten: every byte
//! outside it stays, a profile the user wrote outside it is never replaced
//! (a clash is reported and the role skipped), profiles are sorted by name
//! so a rerun gives a byte-identical file, roles no longer listed stay unless
//! `prune=true`, and `dry-run=true` prints a unified diff instead of writing.
//! The file is parsed with the SDK's parser before and after the edit, and
//! written atomically under a sidecar lock.

#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use ssocred_core::domain::command_line::COMMAND_LINE_RULES;
use ssocred_core::domain::hop::Hop;
use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::os::fs::TargetFile;
use ssocred_core::os::own_path::{Started, lasting_path};
use ssocred_core::store::profile;
use ssocred_core::{RoleProfile, RoleSink, SinkContext, SinkError, SinkKind, SinkSpec};

const NAME: &str = "config-profiles";

ssocred_core::sink_options! {
    struct Options {
        /// write this file instead of AWS_CONFIG_FILE
        path: Option<String>,
        /// process (credential_process pointing at ssocred, default) or sso (native SSO keys)
        style: Option<String>,
        /// true removes profiles of roles no longer assigned
        prune: Option<String>,
        /// true prints a unified diff and writes nothing
        dry_run: Option<String>,
        /// the executable credential_process runs (default: this ssocred)
        command: Option<String>,
    }
}

/// What a generated profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `credential_process` pointing back at ssocred, and `region`.
    Process,
    /// Native SSO keys, for tools that log in through SSO themselves.
    Sso,
}

struct ConfigProfilesSink {
    path: PathBuf,
    style: Style,
    prune: bool,
    dry_run: bool,
    command: String,
    /// The block's identity, set by the first role.
    instance: Option<String>,
    pending: Pending,
}

/// The profiles accepted for the next commit, packed: names and bodies
/// back to back in fixed-size chunks of text, with an index. Discovery can
/// hand over tens of thousands of roles; two small allocations per role
/// (plus a map node) would cost more than the text itself, and one string
/// grown by doubling would leave its old copies behind in the allocator.
#[derive(Default)]
struct Pending {
    chunks: Vec<String>,
    spots: Vec<Spot>,
    scratch: String,
}

/// Where one profile sits in [`Pending::chunks`]: the name, then the body.
struct Spot {
    chunk: u32,
    start: u32,
    name_len: u32,
    body_len: u32,
}

/// The size of one chunk of [`Pending`] text.
const CHUNK: usize = 64 * 1024;

impl Pending {
    /// Appends a profile whose body `render` writes; nothing stays when it
    /// fails.
    fn push(
        &mut self,
        name: &str,
        render: impl FnOnce(&mut String) -> Result<(), SinkError>,
    ) -> Result<(), SinkError> {
        self.scratch.clear();
        self.scratch.push_str(name);
        render(&mut self.scratch)?;
        let entry = self.scratch.as_str();
        let too_long = |_| SinkError::refused(NAME, format!("profile `{name}` is too long"));
        let fits = |chunk: &String| chunk.capacity() - chunk.len() >= entry.len();
        if !self.chunks.last().is_some_and(fits) {
            self.chunks
                .push(String::with_capacity(CHUNK.max(entry.len())));
        }
        let index = u32::try_from(self.chunks.len() - 1).map_err(too_long)?;
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        let spot = Spot {
            chunk: index,
            start: u32::try_from(chunk.len()).map_err(too_long)?,
            name_len: u32::try_from(name.len()).map_err(too_long)?,
            body_len: u32::try_from(entry.len() - name.len()).map_err(too_long)?,
        };
        chunk.push_str(entry);
        self.spots.push(spot);
        Ok(())
    }

    fn name(&self, spot: &Spot) -> &str {
        let start = spot.start as usize;
        &self.chunks[spot.chunk as usize][start..start + spot.name_len as usize]
    }

    fn body(&self, spot: &Spot) -> Body<'_> {
        let start = (spot.start + spot.name_len) as usize;
        Body::new(&self.chunks[spot.chunk as usize][start..start + spot.body_len as usize])
    }

    /// Every profile, sorted by name; two with one name are refused.
    fn sorted(&mut self) -> Result<Vec<(&str, Body<'_>)>, SinkError> {
        let mut spots = std::mem::take(&mut self.spots);
        spots.sort_unstable_by(|a, b| self.name(a).cmp(self.name(b)));
        self.spots = spots;
        let this = &*self;
        if let Some(pair) = this
            .spots
            .windows(2)
            .find(|w| this.name(&w[0]) == this.name(&w[1]))
        {
            return Err(SinkError::refused(
                NAME,
                format!("two roles share the profile name `{}`", this.name(&pair[0])),
            ));
        }
        Ok(this
            .spots
            .iter()
            .map(|spot| (this.name(spot), this.body(spot)))
            .collect())
    }
}

impl RoleSink for ConfigProfilesSink {
    fn begin_roles(&mut self, sso: &SsoProfile, assume: &[Hop]) -> Result<(), SinkError> {
        if !assume.is_empty() && self.style == Style::Sso {
            return Err(SinkError::usage(
                NAME,
                "style=sso cannot hold a role chain (--assume): native SSO profiles have no AssumeRole step; use style=process".to_owned(),
            ));
        }
        self.claim(instance_of(sso, assume))
    }

    fn accept_role(&mut self, role: &RoleProfile<'_>) -> Result<(), SinkError> {
        self.claim(instance_of(role.sso, role.assume))?;
        let (style, command) = (self.style, self.command.as_str());
        self.pending
            .push(role.name, |out| render(style, command, role, out))
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some(instance) = self.instance.take() else {
            return Ok(());
        };
        let pending = std::mem::take(&mut self.pending);
        self.update(&instance, pending, stdout)
    }
}

/// The identity a block is marked with: the sso-session, else the start
/// URL; and the roles of a chain, so chained profiles get a block of their
/// own beside the plain ones.
fn instance_of(sso: &SsoProfile, assume: &[Hop]) -> String {
    let login = match &sso.session {
        Some(session) => format!("sso-session {session}"),
        None => format!("start URL {}", sso.start_url),
    };
    if assume.is_empty() {
        return login;
    }
    let roles: Vec<&str> = assume.iter().map(|h| h.role.as_str()).collect();
    format!("{login} assume {}", roles.join(" > "))
}

fn begin_marker(instance: &str) -> String {
    format!("# BEGIN ssocred discover: {instance}")
}

fn end_marker(instance: &str) -> String {
    format!("# END ssocred discover: {instance}")
}

const NOTE: &str =
    "# Written by `ssocred discover`; edits inside this block are replaced on the next run.";

/// Writes a profile's lines after its header, each ending in `\n`.
fn render(
    style: Style,
    command: &str,
    role: &RoleProfile<'_>,
    out: &mut String,
) -> Result<(), SinkError> {
    let mut entries: Vec<(&str, String)> = Vec::new();
    match style {
        Style::Process => {
            let mut line = format!(
                "{command} -p {} -r {}",
                shell_word(&role.sso.name)?,
                shell_word(&role.role.role_arn)?
            );
            for hop in role.assume {
                line.push_str(" --assume ");
                line.push_str(&shell_word(&hop.spec())?);
            }
            line.push_str(" --sink process");
            entries.push(("credential_process", line));
        }
        Style::Sso => {
            match &role.sso.session {
                Some(session) => entries.push(("sso_session", session.clone())),
                None => {
                    entries.push(("sso_start_url", role.sso.start_url.clone()));
                    entries.push(("sso_region", role.sso.sso_region.clone()));
                }
            }
            entries.push(("sso_account_id", role.role.account_id.clone()));
            entries.push(("sso_role_name", role.role.role_name.clone()));
        }
    }
    if let Some(region) = role.region {
        entries.push(("region", region.to_owned()));
    }
    for (key, value) in entries {
        if value.contains(['\n', '\r']) || value.trim() != value || value.is_empty() {
            return Err(SinkError::refused(
                NAME,
                format!(
                    "the value of {key} for profile `{}` cannot be written to an INI file",
                    role.name
                ),
            ));
        }
        out.push_str(key);
        out.push_str(" = ");
        out.push_str(&value);
        out.push('\n');
    }
    Ok(())
}

impl ConfigProfilesSink {
    /// Binds this run to one instance's block; a second instance is refused.
    fn claim(&mut self, instance: String) -> Result<(), SinkError> {
        match &self.instance {
            Some(known) if *known != instance => Err(SinkError::refused(
                NAME,
                format!(
                    "one run writes the block of one SSO instance ({known}), not also {instance}"
                ),
            )),
            Some(_) => Ok(()),
            None => {
                self.instance = Some(instance);
                Ok(())
            }
        }
    }

    fn update(
        &self,
        instance: &str,
        mut pending: Pending,
        stdout: &mut dyn Write,
    ) -> Result<(), SinkError> {
        let path = &self.path;
        // A dry run takes no lock: its sidecar file would be a write.
        let file = if self.dry_run {
            TargetFile::open_for_reading(path)
        } else {
            TargetFile::open_for_update(path)
        }
        .map_err(|e| SinkError::io(path, &e))?;
        let before = file
            .read()
            .map_err(|e| SinkError::io(path, &e))?
            .unwrap_or_default();
        let unparseable = |detail: String| SinkError::Unparseable {
            path: path.clone(),
            detail,
        };
        let split = Split::find(&before, instance).map_err(&unparseable)?;
        // Everything but ssocred's own block must parse. The block is parsed
        // by ssocred alone and replaced whole, so a large block never goes
        // through the SDK parser in one piece (it needs ~1.5 KiB per profile).
        let outside = format!("{}{}", split.before, split.after);
        let taken: BTreeSet<String> = match profile::parse_sections(Some(&outside), None) {
            Ok(sections) => sections.profiles().map(str::to_owned).collect(),
            // Line numbers in the error should count the whole file.
            Err(detail) => {
                let whole = profile::parse_sections(Some(&before), None).err();
                return Err(unparseable(whole.unwrap_or(detail)));
            }
        };
        drop(outside);
        // The old block's profiles borrow from the file text and the new
        // ones from `pending`: a rerun over 30,000 profiles copies none.
        let old = parse_block(split.block);

        let (next, clashes, report) = merge(pending.sorted()?, old, &taken, self.prune);

        validate_block(&next).map_err(|detail| {
            SinkError::refused(
                NAME,
                format!(
                    "the new block for {} would not parse ({detail}); nothing was written",
                    path.display()
                ),
            )
        })?;
        let eol = line_ending(&before);
        let new_file = |out: &mut dyn fmt::Write| split.write_with(out, eol, instance, &next);
        // Compared as it is rendered, so an unchanged file is never built.
        let mut same = SameAs::new(&before);
        new_file(&mut same).expect("comparing never fails");
        let changed = !same.matched();

        for name in &clashes {
            ssocred_core::stderr_line!(
                "ssocred: warning: {}: profile `{name}` already exists outside ssocred's block and was left alone; rename or delete it, or pick other names with --profile-name",
                path.display()
            );
        }
        let io = |e: std::io::Error| SinkError::stdout(&e);
        if self.dry_run {
            if changed {
                let size = before.len() + block_size(instance, &next, eol) + 4;
                let mut after = String::with_capacity(size);
                new_file(&mut after).expect("a String takes any text");
                let shown = path.display().to_string();
                let diff = ssocred_core::store::setup::unified_diff(&before, &after, &shown);
                stdout.write_all(diff.as_bytes()).map_err(io)?;
            }
            ssocred_core::stderr_line!(
                "ssocred: {}: dry run, nothing written; {}",
                path.display(),
                report.describe(clashes.len())
            );
            return Ok(());
        }
        if changed {
            // Streamed into the temp file: the new text never exists whole
            // next to the old one.
            file.write_with(|file| {
                let mut out = IoText {
                    inner: file,
                    error: None,
                };
                new_file(&mut out).map_err(|fmt::Error| out.take_error())
            })
            .map_err(|e| SinkError::io(path, &e))?;
        }
        ssocred_core::stderr_line!(
            "ssocred: {}: {}",
            path.display(),
            report.describe(clashes.len())
        );
        Ok(())
    }
}

/// The new block: the pending profiles, but for the names taken outside
/// ssocred's block (the clashes, left alone), and the old block's profiles
/// that are not pending (kept, or dropped with `prune`); with the counts of
/// what changed.
fn merge<'a>(
    pending: Vec<(&'a str, Body<'a>)>,
    old: BTreeMap<&'a str, Body<'a>>,
    taken: &BTreeSet<String>,
    prune: bool,
) -> (BTreeMap<&'a str, Body<'a>>, Vec<&'a str>, Report) {
    let mut next: BTreeMap<&str, Body<'_>> = BTreeMap::new();
    let mut clashes = Vec::new();
    for (name, body) in pending {
        if taken.contains(name) {
            clashes.push(name);
        } else {
            next.insert(name, body);
        }
    }
    let mut report = Report::default();
    for (name, body) in old {
        match next.get(name) {
            Some(new) if *new == body => report.unchanged += 1,
            Some(_) => report.changed += 1,
            None if prune => report.removed += 1,
            None => {
                report.kept += 1;
                next.insert(name, body);
            }
        }
    }
    report.added = next.len() - report.unchanged - report.changed - report.kept;
    (next, clashes, report)
}

#[derive(Default)]
struct Report {
    added: usize,
    changed: usize,
    unchanged: usize,
    kept: usize,
    removed: usize,
}

impl Report {
    fn describe(&self, skipped: usize) -> String {
        let mut text = format!(
            "{} added, {} changed, {} unchanged, {} removed",
            self.added, self.changed, self.unchanged, self.removed
        );
        if self.kept > 0 {
            text.push_str(&format!(
                ", {} no longer assigned but kept (--prune removes them)",
                self.kept
            ));
        }
        if skipped > 0 {
            text.push_str(&format!(
                ", {skipped} skipped (name taken outside the block)"
            ));
        }
        text
    }
}

/// The file cut around one instance's block.
struct Split<'a> {
    before: &'a str,
    block: &'a str,
    after: &'a str,
    found: bool,
}

impl<'a> Split<'a> {
    fn find(text: &'a str, instance: &str) -> Result<Self, String> {
        let (begin, end) = (begin_marker(instance), end_marker(instance));
        let mut offset = 0;
        let mut start: Option<(usize, usize)> = None;
        for (number, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches(['\n', '\r']);
            if content == begin {
                if start.is_some() {
                    return Err(format!(
                        "line {}: a second `{begin}`; remove one of the blocks",
                        number + 1
                    ));
                }
                start = Some((offset, number + 1));
            } else if content == end {
                let Some((from, _)) = start else {
                    return Err(format!(
                        "line {}: `{end}` without its `{begin}`",
                        number + 1
                    ));
                };
                let to = offset + line.len();
                if text[to..]
                    .lines()
                    .any(|l| l.trim_end_matches('\r') == begin)
                {
                    return Err(format!(
                        "a second `{begin}` after line {}; remove one of the blocks",
                        number + 1
                    ));
                }
                return Ok(Split {
                    before: &text[..from],
                    block: &text[from..to],
                    after: &text[to..],
                    found: true,
                });
            }
            offset += line.len();
        }
        match start {
            Some((_, line)) => Err(format!(
                "line {line}: `{begin}` has no `{end}` after it; restore the end marker or delete the block"
            )),
            None => Ok(Split {
                before: text,
                block: "",
                after: "",
                found: false,
            }),
        }
    }

    /// Writes the file with a block of `profiles` in place of the old one
    /// (appended after a blank line when there was none; the old one removed
    /// when there are no profiles).
    fn write_with(
        &self,
        out: &mut dyn fmt::Write,
        eol: &str,
        instance: &str,
        profiles: &BTreeMap<&str, Body<'_>>,
    ) -> fmt::Result {
        out.write_str(self.before)?;
        if !profiles.is_empty() {
            if !self.found {
                out.write_str(&separator(self.before, eol))?;
            }
            render_block(out, instance, profiles, eol)?;
        }
        out.write_str(self.after)
    }
}

/// What goes between the user's text and a newly appended block: an end to
/// an unfinished last line, then one blank line, unless the text is empty,
/// already ends in a blank line, or is a lone line ending.
fn separator(before: &str, eol: &str) -> String {
    if before.is_empty() {
        return String::new();
    }
    // The decision needs only the last few bytes.
    let mut cut = before.len().saturating_sub(8);
    while !before.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut tail = before[cut..].to_owned();
    let kept = tail.len();
    if !tail.ends_with('\n') {
        tail.push_str(eol);
    }
    let lone = cut == 0 && tail == eol;
    if !tail.ends_with(&format!("{eol}{eol}")) && !lone {
        tail.push_str(eol);
    }
    tail.split_off(kept)
}

/// A `fmt::Write` that checks the text written equals `expected`, keeping
/// none of it.
struct SameAs<'a> {
    rest: &'a str,
    same: bool,
}

impl<'a> SameAs<'a> {
    fn new(expected: &'a str) -> Self {
        SameAs {
            rest: expected,
            same: true,
        }
    }

    /// Whether everything written, and nothing more, was `expected`.
    fn matched(&self) -> bool {
        self.same && self.rest.is_empty()
    }
}

impl fmt::Write for SameAs<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.rest.strip_prefix(s) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
        }
        Ok(())
    }
}

/// Text into an `io::Write`, keeping the I/O error that `fmt` cannot carry.
struct IoText<'a> {
    inner: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl IoText<'_> {
    fn take_error(&mut self) -> std::io::Error {
        self.error
            .take()
            .unwrap_or_else(|| std::io::Error::other("the profile block could not be rendered"))
    }
}

impl fmt::Write for IoText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

/// A profile's lines after its header, borrowed from wherever they are:
/// its setting lines, in order, without blank lines, comments or line ends.
#[derive(Debug, Clone, Copy)]
struct Body<'a> {
    text: &'a str,
}

impl<'a> Body<'a> {
    fn new(text: &'a str) -> Self {
        Body { text }
    }

    fn lines(self) -> impl Iterator<Item = &'a str> {
        self.text
            .lines()
            .map(|line| line.trim_end_matches('\r'))
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
    }
}

impl PartialEq for Body<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.lines().eq(other.lines())
    }
}

/// The profiles of an existing block, by name, borrowing from `block`.
fn parse_block(block: &str) -> BTreeMap<&str, Body<'_>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(&str, usize)> = None;
    let mut offset = 0;
    for line in block.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(header) = content.strip_prefix('[') {
            if let Some((name, from)) = current.take() {
                out.insert(name, Body::new(&block[from..offset]));
            }
            let inner = header.split(']').next().unwrap_or_default().trim();
            let name = inner.strip_prefix("profile").map_or(inner, str::trim);
            current = Some((name, offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((name, from)) = current {
        // The end marker and anything after the last profile are comments
        // or blank, which `Body::lines` skips.
        out.insert(name, Body::new(&block[from..]));
    }
    out
}

/// Checks the generated profiles with the SDK's parser, a bounded number at a
/// time so memory stays flat however many roles there are.
fn validate_block(profiles: &BTreeMap<&str, Body<'_>>) -> Result<(), String> {
    const CHUNK: usize = 256;
    let mut names: Vec<&str> = Vec::with_capacity(CHUNK);
    let mut text = String::new();
    let check = |names: &mut Vec<&str>, text: &mut String| -> Result<(), String> {
        let sections = profile::parse_sections(Some(text), None)?;
        // The SDK drops a profile whose name it rejects, with only a log line.
        if let Some(lost) = names.iter().find(|n| sections.get_profile(n).is_none()) {
            return Err(format!("profile `{lost}` is not read by the AWS SDKs"));
        }
        names.clear();
        text.clear();
        Ok(())
    };
    for (name, body) in profiles {
        text.push_str(&format!("[profile {name}]\n"));
        for line in body.lines() {
            text.push_str(line);
            text.push('\n');
        }
        names.push(name);
        if names.len() == CHUNK {
            check(&mut names, &mut text)?;
        }
    }
    check(&mut names, &mut text)
}

/// The exact length [`render_block`] writes; 0 for no profiles.
fn block_size(instance: &str, profiles: &BTreeMap<&str, Body<'_>>, eol: &str) -> usize {
    if profiles.is_empty() {
        return 0;
    }
    let (mut lines, mut text) = (0, 0);
    for (name, body) in profiles {
        text += "[profile ]".len() + name.len();
        for line in body.lines() {
            lines += 1;
            text += line.len();
        }
    }
    begin_marker(instance).len()
        + NOTE.len()
        + end_marker(instance).len()
        + text
        + eol.len() * (4 + 2 * profiles.len() + lines)
}

fn render_block(
    out: &mut dyn fmt::Write,
    instance: &str,
    profiles: &BTreeMap<&str, Body<'_>>,
    eol: &str,
) -> fmt::Result {
    write!(out, "{}{eol}{NOTE}{eol}", begin_marker(instance))?;
    for (name, body) in profiles {
        write!(out, "{eol}[profile {name}]{eol}")?;
        for line in body.lines() {
            out.write_str(line)?;
            out.write_str(eol)?;
        }
    }
    write!(out, "{eol}{}{eol}", end_marker(instance))
}

fn line_ending(text: &str) -> &'static str {
    let crlf = text.matches("\r\n").count();
    if crlf > 0 && crlf * 2 > text.matches('\n').count() {
        "\r\n"
    } else {
        "\n"
    }
}

/// One argument word of the credential_process line, by the rules of this
/// system's readers (ssocred_core::domain::command_line).
fn shell_word(word: &str) -> Result<String, SinkError> {
    COMMAND_LINE_RULES.word(word).map_err(|why| {
        SinkError::refused(
            NAME,
            format!("`{word}` cannot be written into a credential_process line: {why}"),
        )
    })
}

/// The program word of the credential_process line. When `path` cannot be
/// written by this system's rules (on Windows, a path with a space, such as
/// a user folder `C:\Users\Ann Lee`) and an `ssocred` of that name is found
/// on PATH, the line runs that one by name, as other tools' lines do.
fn command_word(path: &str, on_path: impl FnOnce(&str) -> bool) -> Result<String, SinkError> {
    let why = match COMMAND_LINE_RULES.program(path) {
        Ok(word) => return Ok(word),
        Err(why) => why,
    };
    let name = Path::new(path)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .filter(|stem| *stem == "ssocred");
    if let Some(name) = name.filter(|name| on_path(name)) {
        return Ok(name.to_owned());
    }
    Err(SinkError::usage(
        NAME,
        format!(
            "the path `{path}` cannot be written into a credential_process line ({why}), and no `ssocred` is on PATH; put ssocred's directory on PATH, install it elsewhere, or pass command=PATH"
        ),
    ))
}

/// Whether a program `name` is found in a directory of PATH.
fn found_on_path(name: &str) -> bool {
    let Some(dirs) = std::env::var_os("PATH") else {
        return false;
    };
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&dirs).any(|dir| dir.is_absolute() && dir.join(&file).is_file())
}

fn flag(name: &str, value: Option<String>) -> Result<bool, SinkError> {
    match value.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") | Some("") => Ok(true),
        Some(other) => Err(SinkError::usage(
            NAME,
            format!("option {name}={other}: expected true or false"),
        )),
    }
}

fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<ConfigProfilesSink, SinkError> {
    let options: Options = spec.options_as(Some("path"))?;
    let style = match options.style.as_deref() {
        None | Some("process") => Style::Process,
        Some("sso") => Style::Sso,
        Some(other) => {
            return Err(SinkError::usage(
                NAME,
                format!("option style={other}: expected process or sso"),
            ));
        }
    };
    // The path through the user's links, so an upgrade that replaces the
    // versioned file does not break every line.
    let command = match options.command {
        Some(c) => c,
        None => Started::this_process()
            .map(|started| lasting_path(&started))
            .map_err(|e| {
                SinkError::usage(NAME, format!("cannot find the ssocred executable: {e}"))
            })?
            .to_string_lossy()
            .into_owned(),
    };
    Ok(ConfigProfilesSink {
        path: match options.path {
            Some(p) => ctx.resolve(&p),
            None => ctx.config_file.clone(),
        },
        style,
        prune: flag("prune", options.prune)?,
        dry_run: flag("dry-run", options.dry_run)?,
        command: command_word(&command, found_on_path)?,
        instance: None,
        pending: Pending::default(),
    })
}

fn validate(spec: &SinkSpec, ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec, ctx).map(drop)
}

fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn RoleSink>, SinkError> {
    Ok(Box::new(configure(spec, ctx)?))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "one profile per discovered role in a managed block of the AWS config file (ssocred discover)",
        argument: Some("PATH"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Roles(build),
    }
}

#[cfg(test)]
mod tests;

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

    /// Sorts the profiles by name; two with one name are refused.
    fn sort(&mut self) -> Result<(), SinkError> {
        let mut spots = std::mem::take(&mut self.spots);
        spots.sort_unstable_by(|a, b| self.name(a).cmp(self.name(b)));
        self.spots = spots;
        if let Some(pair) = self
            .spots
            .windows(2)
            .find(|w| self.name(&w[0]) == self.name(&w[1]))
        {
            return Err(SinkError::refused(
                NAME,
                format!("two roles share the profile name `{}`", self.name(&pair[0])),
            ));
        }
        Ok(())
    }

    /// Every profile, in the order of the spots (by name once sorted).
    fn profiles(&self) -> impl Iterator<Item = (&str, Body<'_>)> {
        self.spots
            .iter()
            .map(|spot| (self.name(spot), self.body(spot)))
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
                shell_word(role.role.role_arn())?
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
            entries.push(("sso_account_id", role.role.account_id().to_owned()));
            entries.push(("sso_role_name", role.role.role_name().to_owned()));
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

    /// Rewrites the instance's block with `pending` merged in. A large
    /// file is never held whole: it is read line by line, once to find the
    /// block and check the text around it, once to check the new profiles,
    /// once to compare the new file with the old (an unchanged file is
    /// left alone), and once more to write it; the old block's profiles are
    /// read one at a time, in step with the sorted new ones.
    fn update(
        &self,
        instance: &str,
        mut pending: Pending,
        stdout: &mut dyn Write,
    ) -> Result<(), SinkError> {
        let path = &self.path;
        let io = |e: std::io::Error| SinkError::io(path, &e);
        // A dry run takes no lock: its sidecar file would be a write.
        let file = if self.dry_run {
            TargetFile::open_for_reading(path)
        } else {
            TargetFile::open_for_update(path)
        }
        .map_err(io)?;
        let unparseable = |detail: String| SinkError::Unparseable {
            path: path.clone(),
            detail,
        };
        let first = file.reader().map_err(io)?;
        let stamp = first.as_ref().map(Stamp::of).transpose().map_err(io)?;
        let scan = Scan::read(first, instance).map_err(|e| e.into_sink_error(path))?;
        // Everything but ssocred's own block must parse. The block is parsed
        // by ssocred alone and replaced whole, so a large block never goes
        // through the SDK parser in one piece (it needs ~1.5 KiB per profile).
        let taken: BTreeSet<String> = match profile::parse_sections(Some(&scan.outside), None) {
            Ok(sections) => sections.profiles().map(str::to_owned).collect(),
            // Line numbers in the error should count the whole file.
            Err(detail) => {
                let before = file.read().map_err(io)?.unwrap_or_default();
                let whole = profile::parse_sections(Some(&before), None).err();
                return Err(unparseable(whole.unwrap_or(detail)));
            }
        };
        pending.sort()?;
        let clashes: Vec<&str> = pending
            .profiles()
            .map(|(name, _)| name)
            .filter(|name| taken.contains(*name))
            .collect();
        let walk = Walk {
            scan: &scan,
            instance,
            pending: &pending,
            taken: &taken,
            prune: self.prune,
        };
        let reopen = || reopen(&file, stamp, path);

        let report = walk
            .new_profiles(reopen()?, validator())
            .map_err(|stop| match stop {
                Stop::Invalid(detail) => SinkError::refused(
                    NAME,
                    format!(
                        "the new block for {} would not parse ({detail}); nothing was written",
                        path.display()
                    ),
                ),
                other => other.into_sink_error(path),
            })?;
        // Compared as it is rendered, so an unchanged file is never built.
        let changed = {
            let mut same = SameAs::new(reopen()?);
            walk.render(reopen()?, &mut same)
                .map_err(|e| e.into_sink_error(path))?;
            !same.matched().map_err(io)?
        };

        for name in &clashes {
            ssocred_core::stderr_line!(
                "ssocred: warning: {}: profile `{name}` already exists outside ssocred's block and was left alone; rename or delete it, or pick other names with --profile-name",
                path.display()
            );
        }
        if self.dry_run {
            if changed {
                let before = file.read().map_err(io)?.unwrap_or_default();
                let mut after = String::with_capacity(before.len());
                walk.render(reopen()?, &mut after)
                    .map_err(|e| e.into_sink_error(path))?;
                let shown = path.display().to_string();
                let diff = ssocred_core::store::setup::unified_diff(&before, &after, &shown);
                stdout
                    .write_all(diff.as_bytes())
                    .map_err(|e| SinkError::stdout(&e))?;
            }
            ssocred_core::stderr_line!(
                "ssocred: {}: dry run, nothing written; {}",
                path.display(),
                report.describe(clashes.len())
            );
            return Ok(());
        }
        if changed {
            // Streamed into the temp file: the new text never exists whole.
            let source = reopen()?;
            file.write_with(|file| {
                let mut out = IoText {
                    inner: file,
                    error: None,
                };
                let rendered = walk.render(source, &mut out);
                rendered.map(drop).map_err(|stop| match stop {
                    Stop::Fmt => out.take_error(),
                    Stop::Io(e) => e,
                    Stop::Invalid(detail) | Stop::Unparseable(detail) => {
                        std::io::Error::other(detail)
                    }
                })
            })
            .map_err(io)?;
        }
        ssocred_core::stderr_line!(
            "ssocred: {}: {}",
            path.display(),
            report.describe(clashes.len())
        );
        Ok(())
    }
}

/// What stops a pass over the file.
#[derive(Debug)]
enum Stop {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The file's markers are broken (a line number, and what).
    Unparseable(String),
    /// A new profile would not be read back.
    Invalid(String),
    /// The text could not be written where it goes.
    Fmt,
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Stop::Io(e)
    }
}

impl From<fmt::Error> for Stop {
    fn from(_: fmt::Error) -> Self {
        Stop::Fmt
    }
}

impl Stop {
    fn into_sink_error(self, path: &Path) -> SinkError {
        match self {
            Stop::Io(e) => SinkError::io(path, &e),
            Stop::Unparseable(detail) => SinkError::Unparseable {
                path: path.to_path_buf(),
                detail,
            },
            Stop::Invalid(detail) => SinkError::refused(NAME, detail),
            Stop::Fmt => SinkError::io(
                path,
                &std::io::Error::other("the profile block could not be rendered"),
            ),
        }
    }
}

/// The file opened anew for another pass, checked to be as it was at the
/// first read (`stamp`): a program that edits it without ssocred's lock in
/// between fails the run, and nothing is written.
fn reopen(
    file: &TargetFile,
    stamp: Option<Stamp>,
    path: &Path,
) -> Result<Option<std::fs::File>, SinkError> {
    let io = |e: std::io::Error| SinkError::io(path, &e);
    let again = file.reader().map_err(io)?;
    let now = again.as_ref().map(Stamp::of).transpose().map_err(io)?;
    if now != stamp {
        return Err(io(std::io::Error::other(
            "the file changed while ssocred was updating it; nothing was written, run the command again",
        )));
    }
    Ok(again)
}

/// The file's length and modification time when it was first read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    fn of(file: &std::fs::File) -> std::io::Result<Stamp> {
        let meta = file.metadata()?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// A file's lines, each with its line end, read into one reused buffer.
struct Lines<R> {
    reader: std::io::BufReader<R>,
    line: String,
}

impl<R: std::io::Read> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            reader: std::io::BufReader::with_capacity(64 * 1024, inner),
            line: String::new(),
        }
    }

    /// The next line with its end, `None` at the end of the file.
    fn next_line(&mut self) -> std::io::Result<Option<&str>> {
        use std::io::BufRead as _;
        self.line.clear();
        if self.reader.read_line(&mut self.line)? == 0 {
            return Ok(None);
        }
        Ok(Some(&self.line))
    }
}

/// A line without its line end.
fn content(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

/// The profile a section header line names, if the line is one.
fn header_name(content: &str) -> Option<&str> {
    let header = content.strip_prefix('[')?;
    let inner = header.split(']').next().unwrap_or_default().trim();
    Some(inner.strip_prefix("profile").map_or(inner, str::trim))
}

/// What the first read of the file found.
struct Scan {
    /// The text before and after ssocred's block: the whole file when it has
    /// none.
    outside: String,
    /// Whether the file holds the instance's block.
    found: bool,
    /// Whether the block's profile names rise strictly, as ssocred writes
    /// them. Then its profiles are read one at a time, in step with the new
    /// ones; otherwise (a block edited by hand) they are read and sorted
    /// first.
    sorted: bool,
    /// The file's line ending.
    eol: &'static str,
}

impl Scan {
    fn read(file: Option<std::fs::File>, instance: &str) -> Result<Scan, Stop> {
        let (begin, end) = (begin_marker(instance), end_marker(instance));
        let mut scan = Scan {
            outside: String::new(),
            found: false,
            sorted: true,
            eol: "\n",
        };
        let Some(file) = file else {
            return Ok(scan);
        };
        let mut lines = Lines::new(file);
        let (mut crlf, mut lf) = (0usize, 0usize);
        // The line of the begin marker while inside the block, and of the
        // end marker after it.
        let (mut started, mut ended): (Option<usize>, Option<usize>) = (None, None);
        let mut last: Option<String> = None;
        let mut number = 0;
        while let Some(line) = lines.next_line()? {
            number += 1;
            crlf += usize::from(line.ends_with("\r\n"));
            lf += usize::from(line.ends_with('\n'));
            let text = content(line);
            match (started, ended) {
                (None, _) if text == begin => started = Some(number),
                (None, _) if text == end => {
                    return Err(Stop::Unparseable(format!(
                        "line {number}: `{end}` without its `{begin}`"
                    )));
                }
                (Some(_), None) if text == begin => {
                    return Err(Stop::Unparseable(format!(
                        "line {number}: a second `{begin}`; remove one of the blocks"
                    )));
                }
                (Some(_), None) if text == end => ended = Some(number),
                (Some(_), None) => {
                    if let Some(name) = header_name(text) {
                        if last.as_deref().is_some_and(|last| last >= name) {
                            scan.sorted = false;
                        }
                        let last = last.get_or_insert_with(String::new);
                        last.clear();
                        last.push_str(name);
                    }
                }
                (Some(_), Some(end_line)) if text == begin => {
                    return Err(Stop::Unparseable(format!(
                        "a second `{begin}` after line {end_line}; remove one of the blocks"
                    )));
                }
                _ => scan.outside.push_str(line),
            }
        }
        if let (Some(line), None) = (started, ended) {
            return Err(Stop::Unparseable(format!(
                "line {line}: `{begin}` has no `{end}` after it; restore the end marker or delete the block"
            )));
        }
        scan.found = started.is_some();
        if crlf > 0 && crlf * 2 > lf {
            scan.eol = "\r\n";
        }
        Ok(scan)
    }
}

/// The profiles of the old block, read from `lines` (just past its begin
/// marker) up to and including its end marker: each one's name and its
/// setting lines, joined by `\n`.
struct OldBlock<'a, R> {
    lines: &'a mut Lines<R>,
    end: String,
    /// The name of the profile whose header was read last.
    next: Option<String>,
    done: bool,
}

impl<R: std::io::Read> Iterator for OldBlock<'_, R> {
    type Item = std::io::Result<(String, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut body = String::new();
        loop {
            if self.done {
                return self.next.take().map(|name| Ok((name, body)));
            }
            let line = match self.lines.next_line() {
                Ok(Some(line)) => content(line),
                Ok(None) => {
                    self.done = true;
                    continue;
                }
                Err(e) => {
                    self.done = true;
                    self.next = None;
                    return Some(Err(e));
                }
            };
            if line == self.end {
                self.done = true;
            } else if let Some(name) = header_name(line) {
                let name = name.to_owned();
                if let Some(current) = self.next.replace(name) {
                    return Some(Ok((current, body)));
                }
            } else if self.next.is_some() && !line.trim().is_empty() && !line.starts_with('#') {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
}

/// A piece of the new file, in order.
enum Piece<'a> {
    /// Text outside the block, as it was.
    Text(&'a str),
    /// Where the block starts (only when it holds a profile).
    BlockStart,
    /// One profile of the new block.
    Profile(&'a str, Body<'a>),
    /// Where the block ends.
    BlockEnd,
}

/// The new file, produced piece by piece from the old one and the pending
/// profiles.
struct Walk<'a> {
    scan: &'a Scan,
    instance: &'a str,
    pending: &'a Pending,
    taken: &'a BTreeSet<String>,
    prune: bool,
}

impl Walk<'_> {
    /// Reads the file once and hands over the new file's pieces; returns
    /// what changed.
    fn pieces(
        &self,
        file: Option<std::fs::File>,
        piece: &mut dyn FnMut(Piece<'_>) -> Result<(), Stop>,
    ) -> Result<Report, Stop> {
        let begin = begin_marker(self.instance);
        let Some(file) = file else {
            return self.block(std::iter::empty(), piece);
        };
        let mut lines = Lines::new(file);
        let mut found = false;
        while let Some(line) = lines.next_line()? {
            if content(line) == begin {
                found = true;
                break;
            }
            piece(Piece::Text(line))?;
        }
        if !found {
            return self.block(std::iter::empty(), piece);
        }
        let old = OldBlock {
            lines: &mut lines,
            end: end_marker(self.instance),
            next: None,
            done: false,
        };
        let report = if self.scan.sorted {
            self.block(old, piece)?
        } else {
            // Sorted first; a name given twice keeps its last profile.
            let mut all = BTreeMap::new();
            for profile in old {
                let (name, body) = profile?;
                all.insert(name, body);
            }
            self.block(all.into_iter().map(Ok), piece)?
        };
        while let Some(line) = lines.next_line()? {
            piece(Piece::Text(line))?;
        }
        Ok(report)
    }

    /// The new block: the pending profiles, but for the names taken outside
    /// ssocred's block (the clashes, left alone), and the old block's
    /// profiles that are not pending (kept, or dropped with `prune`),
    /// merged in name order; with the counts of what changed. `old` comes
    /// sorted by name.
    fn block(
        &self,
        mut old: impl Iterator<Item = std::io::Result<(String, String)>>,
        piece: &mut dyn FnMut(Piece<'_>) -> Result<(), Stop>,
    ) -> Result<Report, Stop> {
        let mut report = Report::default();
        let mut started = false;
        let mut give = |name: &str, body: Body<'_>| -> Result<(), Stop> {
            if !started {
                started = true;
                piece(Piece::BlockStart)?;
            }
            piece(Piece::Profile(name, body))
        };
        let mut current = old.next().transpose()?;
        let mut new = self
            .pending
            .profiles()
            .filter(|(name, _)| !self.taken.contains(*name))
            .peekable();
        loop {
            // An old profile goes first while its name comes before the
            // next new one's.
            let old_first = match (&current, new.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((old_name, _)), Some((name, _))) => old_name.as_str() < *name,
            };
            if old_first {
                if let Some((old_name, old_body)) = &current {
                    if self.prune {
                        report.removed += 1;
                    } else {
                        report.kept += 1;
                        give(old_name, Body::new(old_body))?;
                    }
                }
                current = old.next().transpose()?;
                continue;
            }
            let Some((name, body)) = new.next() else {
                break;
            };
            match &current {
                Some((old_name, old_body)) if old_name == name => {
                    if Body::new(old_body) == body {
                        report.unchanged += 1;
                    } else {
                        report.changed += 1;
                    }
                    current = old.next().transpose()?;
                }
                _ => report.added += 1,
            }
            give(name, body)?;
        }
        if started {
            piece(Piece::BlockEnd)?;
        }
        Ok(report)
    }

    /// The new profiles, each handed to `check`; returns what changed.
    fn new_profiles(
        &self,
        file: Option<std::fs::File>,
        mut check: impl FnMut(Option<(&str, Body<'_>)>) -> Result<(), Stop>,
    ) -> Result<Report, Stop> {
        let report = self.pieces(file, &mut |piece| match piece {
            Piece::Profile(name, body) => check(Some((name, body))),
            _ => Ok(()),
        })?;
        check(None)?;
        Ok(report)
    }

    /// Writes the new file: the text outside the block as it was, and the
    /// block in place of the old one (appended after a blank line when
    /// there was none; the old one removed when there are no profiles).
    fn render(
        &self,
        file: Option<std::fs::File>,
        out: &mut dyn fmt::Write,
    ) -> Result<Report, Stop> {
        let (instance, eol) = (self.instance, self.scan.eol);
        self.pieces(file, &mut |piece| {
            match piece {
                Piece::Text(text) => out.write_str(text)?,
                Piece::BlockStart => {
                    if !self.scan.found {
                        out.write_str(&separator(&self.scan.outside, eol))?;
                    }
                    write!(out, "{}{eol}{NOTE}{eol}", begin_marker(instance))?;
                }
                Piece::Profile(name, body) => {
                    write!(out, "{eol}[profile {name}]{eol}")?;
                    for line in body.lines() {
                        out.write_str(line)?;
                        out.write_str(eol)?;
                    }
                }
                Piece::BlockEnd => write!(out, "{eol}{}{eol}", end_marker(instance))?,
            }
            Ok(())
        })
    }
}

/// Checks the new profiles with the SDK's parser, a bounded number at a
/// time so memory stays flat however many roles there are; `None` checks
/// what is left.
fn validator() -> impl FnMut(Option<(&str, Body<'_>)>) -> Result<(), Stop> {
    const CHUNK: usize = 256;
    let mut names: Vec<String> = Vec::with_capacity(CHUNK);
    let mut text = String::new();
    move |profile| {
        if let Some((name, body)) = profile {
            text.push_str("[profile ");
            text.push_str(name);
            text.push_str("]\n");
            for line in body.lines() {
                text.push_str(line);
                text.push('\n');
            }
            names.push(name.to_owned());
            if names.len() < CHUNK {
                return Ok(());
            }
        }
        let sections = profile::parse_sections(Some(&text), None).map_err(Stop::Invalid)?;
        // The SDK drops a profile whose name it rejects, with only a log line.
        if let Some(lost) = names.iter().find(|n| sections.get_profile(n).is_none()) {
            return Err(Stop::Invalid(format!(
                "profile `{lost}` is not read by the AWS SDKs"
            )));
        }
        names.clear();
        text.clear();
        Ok(())
    }
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

/// A `fmt::Write` that checks the text written equals a file's bytes,
/// reading the file as it goes and keeping none of it.
struct SameAs<R> {
    file: Option<std::io::BufReader<R>>,
    same: bool,
    error: Option<std::io::Error>,
}

impl<R: std::io::Read> SameAs<R> {
    fn new(file: Option<R>) -> Self {
        SameAs {
            file: file.map(|f| std::io::BufReader::with_capacity(64 * 1024, f)),
            same: true,
            error: None,
        }
    }

    /// Whether everything written, and nothing more, was the file (none:
    /// nothing at all).
    fn matched(mut self) -> std::io::Result<bool> {
        use std::io::BufRead as _;
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if !self.same {
            return Ok(false);
        }
        match &mut self.file {
            None => Ok(true),
            Some(file) => Ok(file.fill_buf()?.is_empty()),
        }
    }

    fn compare(&mut self, mut s: &[u8]) -> std::io::Result<bool> {
        use std::io::BufRead as _;
        let Some(file) = &mut self.file else {
            return Ok(s.is_empty());
        };
        while !s.is_empty() {
            let have = file.fill_buf()?;
            if have.is_empty() {
                return Ok(false);
            }
            let n = have.len().min(s.len());
            if have[..n] != s[..n] {
                return Ok(false);
            }
            file.consume(n);
            s = &s[n..];
        }
        Ok(true)
    }
}

impl<R: std::io::Read> fmt::Write for SameAs<R> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.same {
            match self.compare(s.as_bytes()) {
                Ok(same) => self.same = same,
                Err(e) => {
                    self.error = Some(e);
                    return Err(fmt::Error);
                }
            }
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

//! The sink contract: how credential sets and discovered roles leave ssocred.
//!
//! There are two kinds of sink, and a registration says which one it is
//! ([`SinkKind`]):
//!
//! - a [`Sink`] takes credential sets (`ssocred get`, `exec`, `serve`);
//! - a [`RoleSink`] takes discovered roles, without credentials
//!   (`ssocred discover`).
//!
//! Choosing a sink of the wrong kind is a usage error when the sinks are
//! chosen ([`build`], [`build_role_sink`], [`validate`]), before any call to
//! the portal.
//!
//! The producer drives and the sink only reacts. For each round of sets (the
//! first fetch, and every refresh in a long-running mode) [`deliver`] calls
//! [`Sink::accept`] (or [`Sink::accept_named`]) once per set, then
//! [`Sink::commit`] once; for roles, [`deliver_roles`] calls
//! [`RoleSink::begin_roles`], [`RoleSink::accept_role`] per role and
//! [`RoleSink::commit`]. Sinks buffer while accepting and write when
//! committing, so a failure anywhere before the commit writes nothing.
//!
//! A registration has two functions: `validate` parses and checks a spec's
//! options with no side effect (`ssocred config check` and `config show` call
//! only this), and `build` makes the sink, which may open a port or read a
//! template.
//!
//! # Writing a sink
//!
//! A sink is a crate under `sinks/` that registers a [`SinkRegistration`]
//! with `inventory::submit!`, and the binary links it once
//! `cli/Cargo.toml` depends on it: that is the whole of adding one (README,
//! "Writing a sink"). Its options are a struct declared with
//! [`sink_options!`](crate::sink_options), whose doc comments are the help
//! of `ssocred sinks --verbose`. The `example` sink (`sinks/example`), one
//! `ACCOUNT_ID ROLE_NAME` line per set, is a complete one. It is shown
//! here as text because it is compiled and tested as its own crate
//! (`ssocred-sink-example`, linked by the tests), not as a doctest:
//!
#![doc = concat!("```text\n", include_str!("../../sinks/example/src/lib.rs"), "```")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use crate::CredentialSet;
use crate::ExitClass;
use crate::discovery::RoleEntry;
use crate::network::Network;
use crate::pipeline::Trace;
use crate::profile::SsoProfile;

/// How many credential sets a sink can hold in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// Exactly one (environment variables, credential_process JSON).
    One,
    /// Any number (files with one section per set).
    Many,
}

/// A destination for credential sets.
pub trait Sink {
    /// Takes one set of the current round.
    ///
    /// `Ok(())` means the set is buffered for the next [`commit`](Sink::commit);
    /// `Err` stops the invocation before anything is committed.
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError>;

    /// Delivers everything accepted since the last commit: writes its file
    /// atomically, or prints to `stdout`.
    ///
    /// `Ok(())` means the output is complete and durable; `Err` means this
    /// sink delivered nothing and left any file it targets as it was.
    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError>;

    /// How many sets one round may hold; the producer refuses to send more.
    fn capacity(&self) -> Capacity {
        Capacity::Many
    }

    /// Whether the sink's output is only of use while ssocred keeps running
    /// (a served endpoint). `true` makes the producer keep refreshing the
    /// sets, round after round, until it is stopped, as `--watch` does.
    fn serves_continuously(&self) -> bool {
        false
    }

    /// `Some(why)` when the sink's output is one answer, once: a console
    /// URL for a person, a kubectl exec credential for the process that ran
    /// ssocred (which asks again when it needs to). Such a sink is refused,
    /// before any network call, by every mode that keeps running or hands
    /// the credentials to a program (`--watch`, next to a sink that serves
    /// continuously, `serve`, `exec`): see [`refuse_once`]. `why` says what
    /// the output is, for that usage error.
    fn delivers_once(&self) -> Option<&'static str> {
        None
    }

    /// Takes one set of a multi-role round (`--all`), with the profile name
    /// the `--profile-name` template gives its role.
    ///
    /// Sinks that write named profiles use `name`; the default ignores it and
    /// calls [`accept`](Sink::accept). `Ok` and `Err` mean what they mean
    /// there.
    fn accept_named(&mut self, name: &str, set: &CredentialSet) -> Result<(), SinkError> {
        let _ = name;
        self.accept(set)
    }

    /// Hands over the invocation's network (CA bundle, proxies) and its `-v`
    /// trace, once, before the first round, to a sink that calls a remote
    /// endpoint itself. The default ignores them.
    fn connect(&mut self, network: &Network, trace: Trace) {
        let _ = (network, trace);
    }
}

/// Refuses, in `mode` (such as `--watch` or `ssocred serve`), every sink
/// that delivers once ([`Sink::delivers_once`]): a usage error naming the
/// sink, what its output is, and the mode.
pub fn refuse_once(sinks: &[SelectedSink], mode: &str) -> Result<(), SinkError> {
    match sinks
        .iter()
        .find_map(|s| s.sink.delivers_once().map(|why| (s, why)))
    {
        Some((s, why)) => Err(SinkError::usage(
            &s.spec.name,
            format!("{why}; it cannot be used with {mode}"),
        )),
        None => Ok(()),
    }
}

/// A destination for discovered roles, without credentials
/// (`ssocred discover`).
pub trait RoleSink {
    /// Names the SSO instance whose roles follow, once, before any
    /// [`accept_role`](RoleSink::accept_role) and even when no role follows,
    /// so a sink that mirrors an instance's roles can tell "this instance has
    /// no roles now" from "nothing was discovered".
    ///
    /// `assume` is the role chain every profile of the run adds after its
    /// role (`discover --assume`), empty for none.
    ///
    /// `Err` stops the invocation before anything is committed; the default
    /// does nothing.
    fn begin_roles(
        &mut self,
        sso: &SsoProfile,
        assume: &[crate::chain::Hop],
    ) -> Result<(), SinkError> {
        let _ = (sso, assume);
        Ok(())
    }

    /// Takes one discovered role.
    ///
    /// `Ok(())` means the role is buffered for the next
    /// [`commit`](RoleSink::commit); `Err` stops the invocation before
    /// anything is committed.
    fn accept_role(&mut self, role: &RoleProfile<'_>) -> Result<(), SinkError>;

    /// Delivers every role accepted: writes its file atomically, or prints
    /// to `stdout`.
    ///
    /// `Ok(())` means the output is complete and durable; `Err` means this
    /// sink delivered nothing and left any file it targets as it was.
    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError>;
}

/// A discovered role and the profile that should point at it: what
/// discovery hands to sinks instead of credentials.
#[derive(Debug, Clone, Copy)]
pub struct RoleProfile<'a> {
    /// The profile name (from the `--profile-name` template, sanitised).
    pub name: &'a str,
    /// The role as the portal lists it.
    pub role: &'a RoleEntry,
    /// The SSO profile the role was discovered through.
    pub sso: &'a SsoProfile,
    /// The region to write next to it, when one is known.
    pub region: Option<&'a str>,
    /// The roles the profile assumes after its SSO role, in order.
    pub assume: &'a [crate::chain::Hop],
}

/// What every sink may know about the invocation.
#[derive(Debug, Clone)]
pub struct SinkContext {
    /// The AWS config file (`AWS_CONFIG_FILE`).
    pub config_file: PathBuf,
    /// The AWS credentials file (`AWS_SHARED_CREDENTIALS_FILE`).
    pub credentials_file: PathBuf,
    /// The working directory relative paths in sink options resolve against.
    pub cwd: PathBuf,
}

impl SinkContext {
    /// Resolves a path given in a sink option.
    pub fn resolve(&self, path: &str) -> PathBuf {
        self.cwd.join(path)
    }
}

/// Where a sink's text goes: stdout, or a file it replaces whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The invocation's stdout.
    Stdout,
    /// A file, written atomically (0600) under its sidecar lock; an existing
    /// FIFO or character device is written in place ([`crate::fs::Target`]).
    File(PathBuf),
}

impl Destination {
    /// Reads a sink's file option (`path`, `out`): absent means stdout, an
    /// empty value is refused naming the option, and a relative path
    /// resolves against the working directory.
    pub fn from_option(
        sink: &str,
        option: &str,
        value: Option<String>,
        ctx: &SinkContext,
    ) -> Result<Self, SinkError> {
        match value.as_deref() {
            None => Ok(Destination::Stdout),
            Some("") => Err(SinkError::usage(sink, format!("`{option}` is empty"))),
            Some(path) => Ok(Destination::File(ctx.resolve(path))),
        }
    }

    /// Writes `text` to stdout, or replaces the file with it.
    pub fn write(&self, stdout: &mut dyn Write, text: &[u8]) -> Result<(), SinkError> {
        match self {
            Destination::Stdout => write_stdout(stdout, text),
            Destination::File(path) => crate::fs::TargetFile::open(path)
                .and_then(|file| file.write(text))
                .map_err(|e| SinkError::io(path, &e)),
        }
    }
}

/// Writes `text` to a sink's stdout; a failure names `<stdout>`.
pub fn write_stdout(stdout: &mut dyn Write, text: &[u8]) -> Result<(), SinkError> {
    stdout.write_all(text).map_err(|e| SinkError::stdout(&e))
}

/// Checks a spec's options without any side effect: no port is opened, no
/// file is read or written.
pub type ValidateSink = fn(&SinkSpec, &SinkContext) -> Result<(), SinkError>;

/// Builds a credential sink from its spec; may open ports or read files.
pub type BuildSink = fn(&SinkSpec, &SinkContext) -> Result<Box<dyn Sink>, SinkError>;

/// Builds a role sink from its spec; may read files.
pub type BuildRoleSink = fn(&SinkSpec, &SinkContext) -> Result<Box<dyn RoleSink>, SinkError>;

/// What a sink takes, and how it is built.
#[derive(Debug, Clone, Copy)]
pub enum SinkKind {
    /// Credential sets: a [`Sink`].
    Credentials(BuildSink),
    /// Discovered roles: a [`RoleSink`].
    Roles(BuildRoleSink),
}

/// One option of a sink, for `ssocred sinks --verbose`: made by
/// [`sink_options!`](crate::sink_options) from the options type's field and
/// its doc comment.
#[derive(Debug)]
pub struct SinkOption {
    field: &'static str,
    doc: &'static [&'static str],
}

impl SinkOption {
    /// An option from its field name and doc comment lines.
    pub const fn new(field: &'static str, doc: &'static [&'static str]) -> Self {
        SinkOption { field, doc }
    }

    /// The option's name as a spec spells it (kebab-case).
    pub fn name(&self) -> String {
        self.field.replace('_', "-")
    }

    /// What the option means: its doc comment on one line.
    pub fn help(&self) -> String {
        let lines: Vec<&str> = self.doc.iter().map(|l| l.trim()).collect();
        lines.join(" ")
    }
}

/// Declares a sink's options type: a struct whose fields are the options,
/// each with a one-line doc comment that is its help.
///
/// It derives `serde::Deserialize` (so the sink crate depends on `serde`)
/// with unknown options refused and kebab-case names (`dry_run` is
/// `dry-run`), and adds `HELP`, the options with their help, for the
/// registration's `options`. The help is never kept in a second list.
#[macro_export]
macro_rules! sink_options {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])+
                $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(::serde::Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        $vis struct $name {
            $(
                $(#[doc = $doc])+
                $field: $ty,
            )*
        }

        impl $name {
            /// Each option and its help, from the fields and their docs.
            $vis const HELP: &'static [$crate::sink::SinkOption] = &[
                $($crate::sink::SinkOption::new(stringify!($field), &[$($doc),+]),)*
            ];
        }
    };
}

/// A sink's entry in the registry.
#[derive(Debug)]
pub struct SinkRegistration {
    /// The name used in `--sink NAME`.
    pub name: &'static str,
    /// One line for `ssocred sinks`.
    pub description: &'static str,
    /// The form of the positional argument, e.g. `PROFILE`, if the sink takes one.
    pub argument: Option<&'static str>,
    /// The options with their help: the `HELP` of the options type
    /// [`sink_options!`](crate::sink_options) declares.
    pub options: &'static [SinkOption],
    /// Checks a spec without side effects.
    pub validate: ValidateSink,
    /// What the sink takes, and its constructor.
    pub kind: SinkKind,
}

inventory::collect!(SinkRegistration);

/// Every registered sink, sorted by name.
pub fn registered() -> Vec<&'static SinkRegistration> {
    let mut all: Vec<_> = inventory::iter::<SinkRegistration>.into_iter().collect();
    all.sort_by_key(|r| r.name);
    all
}

/// The registration a spec names; an unknown name lists the registered ones.
pub fn find(spec: &SinkSpec) -> Result<&'static SinkRegistration, SinkError> {
    let registry = registered();
    if let Some(entry) = registry.iter().find(|r| r.name == spec.name) {
        return Ok(entry);
    }
    let names: Vec<_> = registry.iter().map(|r| r.name).collect();
    Err(SinkError::usage(
        &spec.name,
        format!("unknown sink; registered sinks: {}", names.join(", ")),
    ))
}

/// The credential sink a spec names, and its constructor; a role sink is
/// refused naming what it takes.
fn credential_sink(spec: &SinkSpec) -> Result<(&'static SinkRegistration, BuildSink), SinkError> {
    let entry = find(spec)?;
    match entry.kind {
        SinkKind::Credentials(build) => Ok((entry, build)),
        SinkKind::Roles(_) => Err(SinkError::usage(
            entry.name,
            "writes profiles of discovered roles, not credentials; use it with `ssocred discover`"
                .to_owned(),
        )),
    }
}

/// Checks a credential sink's spec, as [`build`] would, without building it:
/// no port is opened and no file is touched.
pub fn validate(spec: &SinkSpec, ctx: &SinkContext) -> Result<(), SinkError> {
    let (entry, _) = credential_sink(spec)?;
    (entry.validate)(spec, ctx)
}

/// Builds the credential sink a spec names; an unknown name lists the
/// registered ones, and a role sink is refused.
pub fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let (entry, build) = credential_sink(spec)?;
    (entry.validate)(spec, ctx)?;
    build(spec, ctx)
}

/// Builds the role sink a spec names; a credential sink is refused.
pub fn build_role_sink(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn RoleSink>, SinkError> {
    let entry = find(spec)?;
    let SinkKind::Roles(build) = entry.kind else {
        return Err(SinkError::usage(
            entry.name,
            "writes credentials, not role profiles; discovery writes through a sink that takes roles"
                .to_owned(),
        ));
    };
    (entry.validate)(spec, ctx)?;
    build(spec, ctx)
}

/// A credential sink built from a spec, ready to receive sets.
pub struct SelectedSink {
    /// The spec it was built from.
    pub spec: SinkSpec,
    /// The sink.
    pub sink: Box<dyn Sink>,
}

impl std::fmt::Debug for SelectedSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectedSink")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl SelectedSink {
    /// Parses and builds one `--sink` value.
    pub fn from_spec(text: &str, ctx: &SinkContext) -> Result<Self, SinkError> {
        let spec = SinkSpec::parse(text)?;
        let sink = build(&spec, ctx)?;
        Ok(SelectedSink { spec, sink })
    }
}

/// A role sink built from a spec, ready to receive roles.
pub struct SelectedRoleSink {
    /// The spec it was built from.
    pub spec: SinkSpec,
    /// The sink.
    pub sink: Box<dyn RoleSink>,
}

impl std::fmt::Debug for SelectedRoleSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectedRoleSink")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl SelectedRoleSink {
    /// Parses and builds one role sink spec.
    pub fn from_spec(text: &str, ctx: &SinkContext) -> Result<Self, SinkError> {
        let spec = SinkSpec::parse(text)?;
        let sink = build_role_sink(&spec, ctx)?;
        Ok(SelectedRoleSink { spec, sink })
    }
}

/// Delivers one round of sets, the one path every mode takes: checks every
/// sink can hold them, lets every sink accept every set, then commits each
/// sink in turn. Nothing is written unless every sink accepted every set.
///
/// With `names` (a round of several roles, `--all`), the `i`th set goes
/// through [`Sink::accept_named`] with `names[i]`; without, through
/// [`Sink::accept`].
pub fn deliver(
    sets: &[CredentialSet],
    names: Option<&[String]>,
    sinks: &mut [SelectedSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    check_capacity(sets.len(), sinks)?;
    for selected in sinks.iter_mut() {
        for (i, set) in sets.iter().enumerate() {
            match names.and_then(|n| n.get(i)) {
                Some(name) => selected.sink.accept_named(name, set)?,
                None => selected.sink.accept(set)?,
            }
        }
    }
    for selected in sinks.iter_mut() {
        selected.sink.commit(stdout)?;
    }
    stdout.flush().map_err(|e| SinkError::stdout(&e))
}

/// Delivers the roles discovered through `sso`, each with its profile name,
/// the one path for roles: every sink is told the instance, accepts every
/// role, then commits. Roles are taken one at a time, so a caller with many
/// can hand over its own copies as it goes. Nothing is written unless every
/// sink accepted every role.
pub fn deliver_roles(
    sso: &SsoProfile,
    region: Option<&str>,
    assume: &[crate::chain::Hop],
    roles: impl IntoIterator<Item = (RoleEntry, String)>,
    sinks: &mut [SelectedRoleSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    for selected in sinks.iter_mut() {
        selected.sink.begin_roles(sso, assume)?;
    }
    for (role, name) in roles {
        let profile = RoleProfile {
            name: &name,
            role: &role,
            sso,
            region,
            assume,
        };
        for selected in sinks.iter_mut() {
            selected.sink.accept_role(&profile)?;
        }
    }
    for selected in sinks.iter_mut() {
        selected.sink.commit(stdout)?;
    }
    stdout.flush().map_err(|e| SinkError::stdout(&e))
}

/// Refuses a round of `count` sets if a sink holds only one; callers use it
/// to refuse before fetching credentials a sink cannot hold.
pub fn check_capacity(count: usize, sinks: &[SelectedSink]) -> Result<(), SinkError> {
    for selected in sinks {
        if selected.sink.capacity() == Capacity::One && count > 1 {
            return Err(SinkError::refused(
                &selected.spec.name,
                format!(
                    "holds one credential set, but this run produced {count}; select one role or use a sink that holds many (credentials-file)"
                ),
            ));
        }
    }
    Ok(())
}

/// A parsed `--sink` value: `NAME[:ARG][,KEY=VALUE...]`.
///
/// After the colon come comma-separated items; `key=value` items whose key is
/// a lowercase identifier are options, and one other item is the positional
/// argument. `credentials-file:dev`, `env:fish`, `dotenv:.env`,
/// `template:k8s-secret,out=secret.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSpec {
    /// The sink name.
    pub name: String,
    /// The positional argument, if given.
    pub arg: Option<String>,
    /// The options, by name.
    pub options: BTreeMap<String, String>,
}

impl SinkSpec {
    /// A spec with only a name.
    pub fn named(name: &str) -> Self {
        SinkSpec {
            name: name.to_owned(),
            arg: None,
            options: BTreeMap::new(),
        }
    }

    /// Parses `NAME[:ARG][,KEY=VALUE...]`.
    pub fn parse(text: &str) -> Result<Self, SinkError> {
        // Options may follow the name directly (`json,format=array`) as the
        // grammar NAME[:ARG][,KEY=VALUE...] reads.
        let (name, rest) = match text.find([':', ',']) {
            Some(at) => (&text[..at], Some(&text[at + 1..])),
            None => (text, None),
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(SinkError::usage(
                text,
                "a sink spec is NAME[:ARG][,KEY=VALUE...] with a lowercase name".to_owned(),
            ));
        }
        let mut spec = SinkSpec::named(name);
        for item in rest.into_iter().flat_map(|r| r.split(',')) {
            match item.split_once('=').filter(|(k, _)| is_option_key(k)) {
                Some((key, value)) => {
                    if spec
                        .options
                        .insert(key.to_owned(), value.to_owned())
                        .is_some()
                    {
                        return Err(SinkError::usage(
                            name,
                            format!("option `{key}` is given twice"),
                        ));
                    }
                }
                None if item.is_empty() => {
                    return Err(SinkError::usage(name, format!("empty item in `{text}`")));
                }
                None if spec.arg.is_some() => {
                    return Err(SinkError::usage(
                        name,
                        format!("more than one argument in `{text}`; options are KEY=VALUE"),
                    ));
                }
                None => spec.arg = Some(item.to_owned()),
            }
        }
        Ok(spec)
    }

    /// Deserialises the options into a sink's options struct (which should
    /// deny unknown fields). The positional argument, if any, is taken as the
    /// option `positional`; a sink without one rejects an argument.
    pub fn options_as<T: DeserializeOwned>(
        &self,
        positional: Option<&str>,
    ) -> Result<T, SinkError> {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.options {
            map.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        if let Some(arg) = &self.arg {
            let Some(key) = positional else {
                return Err(SinkError::usage(
                    &self.name,
                    format!("takes no argument, got `{arg}`"),
                ));
            };
            if map
                .insert(key.to_owned(), serde_json::Value::String(arg.clone()))
                .is_some()
            {
                return Err(SinkError::usage(
                    &self.name,
                    format!("`{key}` is given both as the argument and as an option"),
                ));
            }
        }
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| SinkError::usage(&self.name, format!("bad option: {e}")))
    }
}

fn is_option_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The one error type of every sink. Messages name the sink and the file or
/// option at fault, and never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink spec or an option is wrong.
    #[error("sink `{sink}`: {message}")]
    Usage {
        /// The sink (or spec) at fault.
        sink: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A file the sink edits cannot be parsed, so it was left untouched.
    #[error("{path}: cannot parse {detail}; the file was left untouched")]
    Unparseable {
        /// The file.
        path: PathBuf,
        /// Where and what, e.g. `line 3: ...`.
        detail: String,
    },
    /// The sink cannot represent what it was given (several sets for a
    /// one-set sink, a value it cannot encode).
    #[error("sink `{sink}`: {message}")]
    Refused {
        /// The sink.
        sink: String,
        /// Why.
        message: String,
    },
    /// A remote endpoint the sink calls itself (the console sink's
    /// federation endpoint) failed or could not be reached.
    #[error("sink `{sink}`: {endpoint}: {message}")]
    Remote {
        /// The sink.
        sink: String,
        /// The endpoint, without query or secret.
        endpoint: String,
        /// What failed; never a secret.
        message: String,
    },
}

impl SinkError {
    /// A usage error of `sink`.
    pub fn usage(sink: &str, message: String) -> Self {
        SinkError::Usage {
            sink: sink.to_owned(),
            message,
        }
    }

    /// A failed write to stdout.
    pub fn stdout(err: &std::io::Error) -> Self {
        Self::io(Path::new("<stdout>"), err)
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        SinkError::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }

    /// A refusal by `sink`.
    pub fn refused(sink: &str, message: String) -> Self {
        SinkError::Refused {
            sink: sink.to_owned(),
            message,
        }
    }

    /// A failure of `endpoint`, called by `sink`.
    pub fn remote(sink: &str, endpoint: &str, message: String) -> Self {
        SinkError::Remote {
            sink: sink.to_owned(),
            endpoint: endpoint.to_owned(),
            message,
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitClass {
        match self {
            SinkError::Usage { .. } | SinkError::Refused { .. } => ExitClass::Usage,
            SinkError::Io { .. } | SinkError::Unparseable { .. } => ExitClass::Output,
            SinkError::Remote { .. } => ExitClass::Portal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::sink_options! {
        struct TestOptions {
            /// the first line
            /// and the second
            dry_run: Option<String>,
        }
    }

    struct Nothing;

    impl Sink for Nothing {
        fn accept(&mut self, _set: &CredentialSet) -> Result<(), SinkError> {
            Ok(())
        }

        fn commit(&mut self, _stdout: &mut dyn Write) -> Result<(), SinkError> {
            Ok(())
        }
    }

    impl RoleSink for Nothing {
        fn accept_role(&mut self, _role: &RoleProfile<'_>) -> Result<(), SinkError> {
            Ok(())
        }

        fn commit(&mut self, _stdout: &mut dyn Write) -> Result<(), SinkError> {
            Ok(())
        }
    }

    fn test_validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
        spec.options_as::<TestOptions>(None).map(drop)
    }

    fn test_sets(_spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
        Ok(Box::new(Nothing))
    }

    fn test_roles(_spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn RoleSink>, SinkError> {
        Ok(Box::new(Nothing))
    }

    inventory::submit! {
        SinkRegistration {
            name: "test-sets",
            description: "takes sets",
            argument: None,
            options: TestOptions::HELP,
            validate: test_validate,
            kind: SinkKind::Credentials(test_sets),
        }
    }

    inventory::submit! {
        SinkRegistration {
            name: "test-roles",
            description: "takes roles",
            argument: None,
            options: TestOptions::HELP,
            validate: test_validate,
            kind: SinkKind::Roles(test_roles),
        }
    }

    fn ctx() -> SinkContext {
        SinkContext {
            config_file: "config".into(),
            credentials_file: "credentials".into(),
            cwd: ".".into(),
        }
    }

    #[test]
    fn a_sink_of_the_other_kind_is_refused_when_chosen() {
        let ctx = ctx();
        let roles = SinkSpec::named("test-roles");
        let sets = SinkSpec::named("test-sets");
        for err in [
            validate(&roles, &ctx).unwrap_err(),
            build(&roles, &ctx).map(drop).unwrap_err(),
        ] {
            assert_eq!(
                err.to_string(),
                "sink `test-roles`: writes profiles of discovered roles, not credentials; use it with `ssocred discover`"
            );
            assert_eq!(err.exit_code(), ExitClass::Usage);
        }
        let err = build_role_sink(&sets, &ctx).map(drop).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sink `test-sets`: writes credentials"),
            "{err}"
        );
        assert_eq!(err.exit_code(), ExitClass::Usage);
        assert!(validate(&sets, &ctx).is_ok());
        assert!(build(&sets, &ctx).is_ok());
        assert!(build_role_sink(&roles, &ctx).is_ok());
        // Building validates first: a bad option never reaches `build`.
        let bad = SinkSpec::parse("test-sets,colour=red").unwrap();
        assert!(validate(&bad, &ctx).is_err());
        assert!(build(&bad, &ctx).is_err());
        let unknown = validate(&SinkSpec::named("nosuch"), &ctx).unwrap_err();
        assert!(
            unknown
                .to_string()
                .contains("registered sinks: test-roles, test-sets"),
            "{unknown}"
        );
    }

    #[test]
    fn option_help_comes_from_the_doc_comment_of_its_field() {
        let [option] = TestOptions::HELP else {
            panic!("one option")
        };
        assert_eq!(option.name(), "dry-run");
        assert_eq!(option.help(), "the first line and the second");
        let parsed: TestOptions = SinkSpec::parse("x,dry-run=true")
            .unwrap()
            .options_as(None)
            .unwrap();
        assert_eq!(parsed.dry_run.as_deref(), Some("true"));
    }

    #[test]
    fn a_destination_is_stdout_or_a_resolved_file_never_an_empty_path() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = SinkContext {
            config_file: dir.path().join("config"),
            credentials_file: dir.path().join("credentials"),
            cwd: dir.path().to_path_buf(),
        };
        assert_eq!(
            Destination::from_option("json", "out", None, &ctx).unwrap(),
            Destination::Stdout
        );
        let err = Destination::from_option("json", "out", Some(String::new()), &ctx).unwrap_err();
        assert_eq!(err.to_string(), "sink `json`: `out` is empty");
        assert_eq!(err.exit_code(), ExitClass::Usage);
        let file =
            Destination::from_option("json", "out", Some("sub/x.json".into()), &ctx).unwrap();
        let target = dir.path().join("sub/x.json");
        assert_eq!(file, Destination::File(target.clone()));

        let mut stdout = Vec::new();
        Destination::Stdout
            .write(&mut stdout, b"to stdout")
            .unwrap();
        file.write(&mut stdout, b"to the file").unwrap();
        assert_eq!(stdout, b"to stdout");
        assert_eq!(std::fs::read(&target).unwrap(), b"to the file");
        let meta = std::fs::metadata(&target).unwrap();
        assert_eq!(
            crate::os::file::mode_bits(&meta),
            crate::os::file::PRIVATE_FILE_MODE
        );
    }

    #[test]
    fn parses_specs() {
        assert_eq!(SinkSpec::parse("env").unwrap(), SinkSpec::named("env"));
        let s = SinkSpec::parse("credentials-file:dev").unwrap();
        assert_eq!(
            (s.name.as_str(), s.arg.as_deref()),
            ("credentials-file", Some("dev"))
        );
        let s = SinkSpec::parse("template:k8s-secret,out=secret.yaml,mode=0600").unwrap();
        assert_eq!(s.arg.as_deref(), Some("k8s-secret"));
        assert_eq!(s.options["out"], "secret.yaml");
        assert_eq!(s.options["mode"], "0600");
        let s = SinkSpec::parse("dotenv:path=a=b.env").unwrap();
        assert_eq!((s.arg, s.options["path"].as_str()), (None, "a=b.env"));
        let s = SinkSpec::parse("json,format=array,out=x.json").unwrap();
        assert_eq!((s.name.as_str(), s.arg.as_deref()), ("json", None));
        assert_eq!(s.options["format"], "array");
        let s = SinkSpec::parse("dotenv:./dir/A=b.env").unwrap();
        assert_eq!(s.arg.as_deref(), Some("./dir/A=b.env"));
    }

    #[test]
    fn rejects_bad_specs() {
        let grammar = "a sink spec is NAME[:ARG][,KEY=VALUE...] with a lowercase name";
        for (bad, why) in [
            ("", grammar),
            (":x", grammar),
            (",x", grammar),
            ("Env", grammar),
            ("a b", grammar),
            ("env:a,b", "more than one argument in `env:a,b`"),
            ("env:a,,b", "empty item in `env:a,,b`"),
            ("json,", "empty item in `json,`"),
            ("x:k=1,k=2", "option `k` is given twice"),
        ] {
            let e = SinkSpec::parse(bad).unwrap_err();
            assert!(matches!(e, SinkError::Usage { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Opts {
        shell: Option<String>,
    }

    #[test]
    fn options_are_validated_by_the_sink() {
        let o: Opts = SinkSpec::parse("env:fish")
            .unwrap()
            .options_as(Some("shell"))
            .unwrap();
        assert_eq!(o.shell.as_deref(), Some("fish"));
        let e = SinkSpec::parse("env:colour=red")
            .unwrap()
            .options_as::<Opts>(Some("shell"));
        let e = e.unwrap_err().to_string();
        assert!(e.contains("sink `env`") && e.contains("colour"), "{e}");
        let e = SinkSpec::parse("env:fish")
            .unwrap()
            .options_as::<Opts>(None)
            .unwrap_err();
        assert!(e.to_string().contains("takes no argument"), "{e}");
        let e = SinkSpec::parse("env:fish,shell=sh")
            .unwrap()
            .options_as::<Opts>(Some("shell"));
        assert!(e.is_err());
    }
}

//! The sink contract: how credential sets leave ssocred.
//!
//! The producer drives and the sink only reacts. For each round of sets (the
//! first fetch, and every refresh in a long-running mode) the producer calls
//! [`Sink::accept`] once per set and then [`Sink::commit`] once. Sinks buffer
//! in `accept` and write in `commit`, so a failure anywhere before the commit
//! writes nothing.
//!
//! Sink crates register a [`SinkRegistration`] with `inventory::submit!`; the
//! binary must name each sink crate so the linker keeps it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::discovery::RoleEntry;
use crate::profile::SsoProfile;
use crate::{CredentialSet, ExitClass};

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

    /// Takes one discovered role, without credentials (`ssocred discover`).
    ///
    /// `Ok(true)` means the role is buffered for the next
    /// [`commit`](Sink::commit); `Ok(false)`, the default, means this sink
    /// does not write role profiles, and the producer stops with an error
    /// naming it; `Err` stops the invocation before anything is committed.
    fn accept_role(&mut self, role: &RoleProfile<'_>) -> Result<bool, SinkError> {
        let _ = role;
        Ok(false)
    }

    /// Names the SSO instance whose roles follow (`ssocred discover`), once,
    /// before any [`accept_role`](Sink::accept_role) and even when no role
    /// follows, so a sink that mirrors an instance's roles can tell "this
    /// instance has no roles now" from "nothing was discovered".
    ///
    /// `Err` stops the invocation before anything is committed; the default
    /// does nothing.
    fn begin_roles(&mut self, sso: &SsoProfile) -> Result<(), SinkError> {
        let _ = sso;
        Ok(())
    }
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

/// The constructor a sink registers: builds the sink from its parsed spec.
pub type BuildSink = fn(&SinkSpec, &SinkContext) -> Result<Box<dyn Sink>, SinkError>;

/// A sink's entry in the registry.
#[derive(Debug)]
pub struct SinkRegistration {
    /// The name used in `--sink NAME`.
    pub name: &'static str,
    /// One line for `ssocred sinks`.
    pub description: &'static str,
    /// The form of the positional argument, e.g. `PROFILE`, if the sink takes one.
    pub argument: Option<&'static str>,
    /// Each option as (name, meaning), for `ssocred sinks --verbose`.
    pub options: &'static [(&'static str, &'static str)],
    /// Builds the sink from its spec.
    pub build: BuildSink,
}

inventory::collect!(SinkRegistration);

/// Every registered sink, sorted by name.
pub fn registered() -> Vec<&'static SinkRegistration> {
    let mut all: Vec<_> = inventory::iter::<SinkRegistration>.into_iter().collect();
    all.sort_by_key(|r| r.name);
    all
}

/// Builds the sink a spec names; an unknown name lists the registered ones.
pub fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let registry = registered();
    let Some(entry) = registry.iter().find(|r| r.name == spec.name) else {
        let names: Vec<_> = registry.iter().map(|r| r.name).collect();
        return Err(SinkError::usage(
            &spec.name,
            format!("unknown sink; registered sinks: {}", names.join(", ")),
        ));
    };
    (entry.build)(spec, ctx)
}

/// A sink built from a spec, ready to receive sets.
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

/// Delivers one round of sets: checks every sink can hold them, lets every
/// sink accept every set, then commits each sink in turn. Nothing is written
/// unless every sink accepted every set.
pub fn deliver(
    sets: &[CredentialSet],
    sinks: &mut [SelectedSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    for selected in sinks.iter() {
        if selected.sink.capacity() == Capacity::One && sets.len() > 1 {
            return Err(SinkError::refused(
                &selected.spec.name,
                format!(
                    "holds one credential set, but this run produced {}; select one role or use a sink that holds many (credentials-file)",
                    sets.len()
                ),
            ));
        }
    }
    for selected in sinks.iter_mut() {
        for set in sets {
            selected.sink.accept(set)?;
        }
    }
    for selected in sinks.iter_mut() {
        selected.sink.commit(stdout)?;
    }
    stdout.flush().map_err(|e| SinkError::stdout(&e))
}

/// Delivers one round of sets of several roles (`--all`), each with its
/// profile name: as [`deliver`], through [`Sink::accept_named`].
pub fn deliver_named(
    sets: &[(String, CredentialSet)],
    sinks: &mut [SelectedSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    check_capacity(sets.len(), sinks)?;
    for selected in sinks.iter_mut() {
        for (name, set) in sets {
            selected.sink.accept_named(name, set)?;
        }
    }
    commit_all(sinks, stdout)
}

/// Delivers discovered roles: every sink must take role profiles
/// ([`Sink::accept_role`]); nothing is written unless all of them took all
/// the roles.
pub fn deliver_roles(
    roles: &[RoleProfile<'_>],
    sinks: &mut [SelectedSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    offer_roles(roles, sinks)?;
    commit_all(sinks, stdout)
}

/// The first half of [`deliver_roles`]: every sink accepts every role, and
/// nothing is written yet. A caller with many roles can free its own copies
/// before [`commit_all`] writes.
pub fn offer_roles(roles: &[RoleProfile<'_>], sinks: &mut [SelectedSink]) -> Result<(), SinkError> {
    for selected in sinks.iter_mut() {
        for role in roles {
            if !selected.sink.accept_role(role)? {
                return Err(SinkError::refused(
                    &selected.spec.name,
                    "writes credentials, not role profiles; discovery writes through the config-profiles sink".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses a round of `count` sets if a sink holds only one.
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

/// Commits every sink in turn, then flushes `stdout`.
pub fn commit_all(sinks: &mut [SelectedSink], stdout: &mut dyn Write) -> Result<(), SinkError> {
    for selected in sinks.iter_mut() {
        selected.sink.commit(stdout)?;
    }
    stdout.flush().map_err(|e| SinkError::stdout(&e))
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

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitClass {
        match self {
            SinkError::Usage { .. } | SinkError::Refused { .. } => ExitClass::Usage,
            SinkError::Io { .. } | SinkError::Unparseable { .. } => ExitClass::Output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
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
        for bad in [
            "",
            ":x",
            ",x",
            "Env",
            "env:a,b",
            "env:a,,b",
            "x:k=1,k=2",
            "a b",
            "json,",
        ] {
            assert!(SinkSpec::parse(bad).is_err(), "{bad}");
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

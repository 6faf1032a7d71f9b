//! The sink contract: how credential sets and discovered roles leave ssocred.
//! This module holds the contract and delivery; `registry` the registrations
//! and specs, `destination` where a sink's text goes, and [`stream`] the
//! rounds of credential sets a long-running mode delivers. The contract
//! knows only plain types ([`crate::domain`]).
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
#![doc = concat!("```text\n", include_str!("../../../sinks/example/src/lib.rs"), "```")]

use std::io::Write;
use std::path::PathBuf;

mod destination;
mod registry;
pub mod stream;

pub use destination::{Destination, write_stdout};
pub use registry::{
    BuildRoleSink, BuildSink, SinkKind, SinkOption, SinkRegistration, SinkSpec, ValidateSink,
    build, build_role_sink, find, registered, validate,
};

pub use crate::CredentialSet;
use crate::domain::network::Network;
use crate::domain::role::RoleEntry;
pub use crate::domain::sink_error::SinkError;
use crate::domain::sso_profile::SsoProfile;
use crate::domain::trace::Trace;

/// How many credential sets a sink can hold in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// Exactly one (environment variables, credential_process JSON).
    One,
    /// Any number (files with one section per set).
    Many,
}

/// A section a sink's last commit wrote into a file: where a person's
/// credentials went, said when they did not choose the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The section's profile name (`default`).
    pub section: String,
    /// The file.
    pub path: PathBuf,
    /// When the credentials in it expire.
    pub expires: time::OffsetDateTime,
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

    /// The sections the last successful [`commit`](Sink::commit) wrote into
    /// files, so the caller can say where the credentials went. The default,
    /// for a sink that writes no named section, is none.
    fn written(&self) -> Vec<Written> {
        Vec::new()
    }

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

    /// Whether the sink calls a remote endpoint itself, and so needs
    /// [`connect`](Sink::connect) before its first round. A round of such a
    /// sink is never answered from the role cache alone. The default, for a
    /// sink that needs nothing but the sets, is `false`.
    fn calls_out(&self) -> bool {
        false
    }

    /// Hands over the invocation's network (CA bundle, proxies) and its `-v`
    /// trace, once, before the first round, to a sink that calls a remote
    /// endpoint itself ([`calls_out`](Sink::calls_out)). The default ignores
    /// them.
    fn connect(&mut self, network: &Network, trace: Trace) {
        let _ = (network, trace);
    }

    /// A refresh failed with `error`, after at least one round was
    /// delivered: what the sink holds is still the last round's, and the
    /// producer retries. A sink that serves can tell its clients why once
    /// its credentials have expired. The default ignores it.
    fn refresh_failed(&mut self, error: &crate::domain::error::Error) {
        let _ = error;
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
        assume: &[crate::domain::hop::Hop],
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
    pub assume: &'a [crate::domain::hop::Hop],
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

/// Delivers the roles discovered through `sso`, each with its profile name
/// and the region of its own, if it has one (else `region`): the one path
/// for roles: every sink is told the instance, accepts every role, then
/// commits. Roles are taken one at a time, so a caller with many can hand
/// over its own copies as it goes. Nothing is written unless every sink
/// accepted every role.
pub fn deliver_roles(
    sso: &SsoProfile,
    region: Option<&str>,
    assume: &[crate::domain::hop::Hop],
    roles: impl IntoIterator<Item = (RoleEntry, String, Option<String>)>,
    sinks: &mut [SelectedRoleSink],
    stdout: &mut dyn Write,
) -> Result<(), SinkError> {
    for selected in sinks.iter_mut() {
        selected.sink.begin_roles(sso, assume)?;
    }
    for (role, name, own_region) in roles {
        let profile = RoleProfile {
            name: &name,
            role: &role,
            sso,
            region: own_region.as_deref().or(region),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExitClass;

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

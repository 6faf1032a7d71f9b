//! The registry of sinks: each sink crate submits a [`SinkRegistration`]
//! with `inventory`, and a `--sink` value ([`SinkSpec`]) finds, validates
//! and builds one.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::{RoleSink, Sink, SinkContext};
use crate::domain::sink_error::SinkError;

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

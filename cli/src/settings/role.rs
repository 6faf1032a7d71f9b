//! Which profile, region, role and role chain: the settings that decide the
//! credentials a command gives, and the one rule for the chain.

use serde::{Deserialize, Serialize};
use ssocred_core::Error;
use ssocred_core::domain::hop::Hop;

use super::layer::{self, Layer};
use super::stack::{Origin, Stack};
use super::{Source, Sourced};

/// How the role was named, before the AWS profile is consulted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleChoice {
    /// A role ARN.
    Arn(String),
    /// An account id and role name (either may be a glob).
    AccountRole(String, String),
    /// An account or a role name alone (a glob, or a name): narrows the
    /// role listing, as `--account` or `--role` alone does on the command
    /// line; the chooser asks among what it leaves.
    Patterns(Option<String>, Option<String>),
}

impl RoleChoice {
    /// The role a layer names, if any.
    fn of(layer: &Layer) -> Option<RoleChoice> {
        match (&layer.role_arn, &layer.account, &layer.role) {
            (Some(arn), _, _) => Some(RoleChoice::Arn(arn.clone())),
            (None, Some(a), Some(r)) => Some(RoleChoice::AccountRole(a.clone(), r.clone())),
            (None, None, None) => None,
            (None, a, r) => Some(RoleChoice::Patterns(a.clone(), r.clone())),
        }
    }
}

/// Who the credentials are for.
#[derive(Debug)]
pub struct RoleSettings {
    /// The SSO profile.
    pub profile: Sourced<String>,
    /// The region, if one is set above the AWS profile.
    pub region: Option<Sourced<String>>,
    /// The role, if one is set above the AWS profile.
    pub role: Option<Sourced<RoleChoice>>,
    /// The roles to assume after the SSO role; empty for none.
    pub chain: Sourced<Vec<Hop>>,
    /// A chain a lower layer gives that does not apply, for `config show`.
    pub chain_passed_over: Option<Source>,
}

impl RoleSettings {
    /// Resolves the profile, region, role and chain.
    pub fn resolve(stack: &Stack<'_>) -> Result<RoleSettings, Error> {
        let profile = stack.get_or(&layer::PROFILE, |l| l.profile.clone(), "default".to_owned());
        let region = stack.get(&layer::REGION, |l| l.region.clone());
        if let Some((i, r)) = stack.first(|l| l.region.clone()) {
            ssocred_core::domain::sso_profile::check_region(&r).map_err(|why| {
                layer_error(stack, i, &layer::REGION, format!("region = {r:?}: {why}"))
            })?;
        }
        let (role, chain) = role_and_chain(stack)?;
        let chain_passed_over =
            match stack.first(|l| l.assume.as_ref().filter(|a| !a.is_empty()).map(|_| ())) {
                Some((i, _)) if chain.value.is_empty() => Some(stack.source(i, &layer::ASSUME)),
                _ => None,
            };
        Ok(RoleSettings {
            profile,
            region,
            role,
            chain,
            chain_passed_over,
        })
    }
}

/// The role, if a layer names one, and its chain.
pub type RoleAndChain = (Option<Sourced<RoleChoice>>, Sourced<Vec<Hop>>);

/// The role and its chain, by one rule for every command and path:
///
/// * `--assume` on the command line is the chain, whoever names the role;
/// * otherwise the chain goes with the role: it is the `assume` of the
///   layer that names the role, so a role named on the command line (as a
///   discovered `credential_process` line names it) has no chain but its
///   own `--assume`, and a project's or preset's chain applies only to the
///   role that project or preset chooses;
/// * a role that no layer names (the AWS profile's own) takes the `assume`
///   of the highest layer that has one.
pub fn role_and_chain(stack: &Stack<'_>) -> Result<RoleAndChain, Error> {
    let named = stack.first(RoleChoice::of);
    let role = named.as_ref().map(|(i, choice)| {
        let key = match choice {
            RoleChoice::Arn(_) => &layer::ROLE_ARN,
            RoleChoice::AccountRole(..) | RoleChoice::Patterns(Some(_), _) => &layer::ACCOUNT,
            RoleChoice::Patterns(None, _) => &layer::ROLE,
        };
        Sourced {
            value: choice.clone(),
            source: stack.source(*i, key),
        }
    });
    let given = |l: &Layer| l.assume.as_ref().filter(|a| !a.is_empty()).map(|_| ());
    let from_flags = stack
        .first(given)
        .filter(|(i, ())| stack.entry(*i).origin == Origin::Flags);
    let chain_layer = match (from_flags, &named) {
        (Some((i, ())), _) => Some(i),
        (None, Some((i, _))) => Some(*i),
        (None, None) => stack
            .first(|l| l.assume.as_ref().map(|_| ()))
            .map(|(i, ())| i),
    };
    let chain = match chain_layer {
        Some(i) if stack.entry(i).layer.assume.is_some() => Sourced {
            value: hops(stack, i)?,
            source: stack.source(i, &layer::ASSUME),
        },
        // No chain: none was given, or the one given goes with another role.
        _ => Sourced {
            value: Vec::new(),
            source: Source::Default,
        },
    };
    Ok((role, chain))
}

/// The checked hops of the layer at `index`; an error names the flag, or
/// the file and line.
fn hops(stack: &Stack<'_>, index: usize) -> Result<Vec<Hop>, Error> {
    let entry = stack.entry(index);
    let Some(entries) = &entry.layer.assume else {
        return Ok(Vec::new());
    };
    match entry.file {
        Some(file) => file.hops_of(entries),
        None => {
            let specs: Vec<String> = entries
                .iter()
                .map(|e| match e.get_ref() {
                    layer::AssumeEntry::Arn(spec) => spec.clone(),
                    layer::AssumeEntry::Table(t) => t.role_arn.clone(),
                })
                .collect();
            parse_assume(&specs)
        }
    }
}

/// The hops of repeated `--assume` flags, in order: at most
/// [`ssocred_core::domain::hop::MAX_HOPS`], each parsed and checked; an error
/// names the flag (exit 2).
pub fn parse_assume(specs: &[String]) -> Result<Vec<Hop>, Error> {
    ssocred_core::domain::hop::check_length(specs.len())
        .map_err(|e| Error::Usage(format!("--assume: {e}")))?;
    specs
        .iter()
        .map(|spec| Hop::parse(spec).map_err(|e| Error::Usage(format!("--assume {spec}: {e}"))))
        .collect()
}

/// An error in the value of `key` in the layer at `index`: the config's
/// own error (exit 3) for a config layer, else a usage error naming the
/// flag, variable or project file (exit 2).
pub fn layer_error(stack: &Stack<'_>, index: usize, key: &layer::Key, message: String) -> Error {
    let entry = stack.entry(index);
    match (&entry.origin, entry.file) {
        (Origin::Preset(_) | Origin::Config, Some(file)) => file.error(None, message),
        _ => Error::Usage(format!("{}: {message}", stack.source(index, key))),
    }
}

/// The preset the layers above the config choose (flag, environment, then
/// the project file).
pub fn preset_name(stack: &Stack<'_>) -> Option<Sourced<String>> {
    stack.get(&layer::PRESET, |l| l.preset_name().map(str::to_owned))
}

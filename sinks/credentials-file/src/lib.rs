//! The `credentials-file` sink: writes one profile of the shared credentials
//! file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`).
//!
//! Only the keys it owns in its own section change; every other byte of the
//! file stays. The file is rewritten atomically at 0600 under a sidecar lock,
//! and a file the SDK parser rejects is left untouched.

#![deny(missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};

use ssocred_core::os::fs::TargetFile;
use ssocred_core::sink::Written;
use ssocred_core::store::{ini_edit, profile};
use ssocred_core::{CredentialSet, ExposeSecret, Sink, SinkContext, SinkError, SinkKind, SinkSpec};

const NAME: &str = "credentials-file";

ssocred_core::sink_options! {
    struct Options {
        /// the profile to write (default: default)
        profile: Option<String>,
        /// write this file instead of AWS_SHARED_CREDENTIALS_FILE
        path: Option<String>,
    }
}

struct CredentialsFileSink {
    path: PathBuf,
    profile: String,
    /// Whether the profile was given in the spec, so it overrides the names
    /// of a multi-role round.
    explicit: bool,
    pending: Vec<Pending>,
    /// What the last commit wrote.
    written: Vec<Written>,
}

/// One section to write, and the role it is for (to name it in a clash).
struct Pending {
    profile: String,
    role_arn: String,
    expires: time::OffsetDateTime,
    entries: Vec<(&'static str, String)>,
}

/// Whether the SDKs accept `name` as a profile name.
fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-/.%@_:+".contains(c))
}

impl CredentialsFileSink {
    fn buffer(&mut self, profile: String, set: &CredentialSet) -> Result<(), SinkError> {
        if let Some(earlier) = self.pending.iter().find(|p| p.profile == profile) {
            let hint = if self.explicit {
                "; leave out the profile argument so each role gets the profile --profile-name gives it"
            } else {
                "; pick a --profile-name that tells them apart"
            };
            return Err(SinkError::refused(
                NAME,
                format!(
                    "profile `{profile}` would hold both {} and {}{hint}",
                    earlier.role_arn, set.role_arn
                ),
            ));
        }
        let mut entries = vec![
            ("aws_access_key_id", set.access_key_id.clone()),
            (
                "aws_secret_access_key",
                set.secret_access_key.expose_secret().to_owned(),
            ),
            (
                "aws_session_token",
                set.session_token.expose_secret().to_owned(),
            ),
        ];
        if let Some(region) = &set.region {
            entries.push(("region", region.clone()));
        }
        for (key, value) in &entries {
            if value.contains(['\n', '\r']) || value.trim() != value || value.is_empty() {
                return Err(SinkError::refused(
                    NAME,
                    format!("the value of {key} cannot be written to an INI file"),
                ));
            }
        }
        self.pending.push(Pending {
            profile,
            role_arn: set.role_arn.clone(),
            expires: set.expiration,
            entries,
        });
        Ok(())
    }
}

impl Sink for CredentialsFileSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.buffer(self.profile.clone(), set)
    }

    fn accept_named(&mut self, name: &str, set: &CredentialSet) -> Result<(), SinkError> {
        let profile = if self.explicit {
            self.profile.clone()
        } else {
            name.to_owned()
        };
        self.buffer(profile, set)
    }

    fn commit(&mut self, _stdout: &mut dyn Write) -> Result<(), SinkError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        update(&self.path, &pending)?;
        self.written = pending
            .into_iter()
            .map(|p| Written {
                section: p.profile,
                path: self.path.clone(),
                expires: p.expires,
            })
            .collect();
        Ok(())
    }

    fn written(&self) -> Vec<Written> {
        self.written.clone()
    }
}

/// Applies the section updates to `path` under its lock.
fn update(path: &Path, sections: &[Pending]) -> Result<(), SinkError> {
    // Failures name the step, and say that the file is as it was: every
    // step before the rename leaves it untouched.
    let failed = |step: &str, e: std::io::Error| SinkError::Io {
        path: path.to_path_buf(),
        message: format!("cannot {step}: {e}; the file was left as it was"),
    };
    let file = TargetFile::open_for_update(path).map_err(|e| failed("open and lock it", e))?;
    let before = file
        .read()
        .map_err(|e| SinkError::io(path, &e))?
        .unwrap_or_default();
    profile::parse_sections(None, Some(&before)).map_err(|detail| SinkError::Unparseable {
        path: path.to_path_buf(),
        detail,
    })?;
    let mut after = before.clone();
    for section in sections {
        let entries: Vec<(&str, &str)> = section
            .entries
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        after = ini_edit::set_section(&after, &section.profile, &entries);
    }
    // The file already holds these sections as they are (a second call
    // answered from the role cache): it is left alone, mtime and all.
    if after == before {
        return Ok(());
    }
    file.write(after.as_bytes())
        .map_err(|e| failed("write it", e))
}

fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<CredentialsFileSink, SinkError> {
    let options: Options = spec.options_as(Some("profile"))?;
    let explicit = options.profile.is_some();
    let profile = options.profile.unwrap_or_else(|| "default".to_owned());
    if !valid_profile_name(&profile) {
        return Err(SinkError::usage(
            NAME,
            format!("`{profile}` is not a valid profile name (letters, digits and -/.%@_:+)"),
        ));
    }
    let path = match options.path {
        Some(p) => ctx.resolve(&p),
        None => ctx.credentials_file.clone(),
    };
    Ok(CredentialsFileSink {
        path,
        profile,
        explicit,
        pending: Vec::new(),
        written: Vec::new(),
    })
}

fn validate(spec: &SinkSpec, ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec, ctx).map(drop)
}

fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(configure(spec, ctx)?))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "a profile in the shared credentials file, edited in place (atomic, 0600, locked)",
        argument: Some("PROFILE"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> CredentialSet {
        CredentialSet {
            account_id: "123456789012".into(),
            account_name: None,
            role_name: "ReadOnly".into(),
            role_arn: "arn:aws:iam::123456789012:role/ReadOnly".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et".to_owned().into(),
            session_token: "tok==".to_owned().into(),
            expiration: time::macros::datetime!(2030-01-01 00:00 UTC),
            region: Some("eu-west-1".into()),
            sso_profile: "sso".into(),
            sso_session: None,
            start_url: "https://x/start".into(),
            assumed_via: Vec::new(),
        }
    }

    fn run(path: &Path, spec: &str) -> Result<(), SinkError> {
        let ctx = SinkContext {
            config_file: path.with_file_name("config"),
            credentials_file: path.to_path_buf(),
            cwd: path.parent().unwrap().to_path_buf(),
        };
        let mut sink = build(&SinkSpec::parse(spec).unwrap(), &ctx)?;
        sink.accept(&set())?;
        sink.commit(&mut Vec::new())
    }

    #[test]
    fn says_what_its_commit_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let ctx = SinkContext {
            config_file: path.with_file_name("config"),
            credentials_file: path.clone(),
            cwd: dir.path().to_path_buf(),
        };
        let mut sink = build(&SinkSpec::parse("credentials-file").unwrap(), &ctx).unwrap();
        sink.accept(&set()).unwrap();
        assert_eq!(sink.written(), Vec::new(), "nothing before the commit");
        sink.commit(&mut Vec::new()).unwrap();
        assert_eq!(
            sink.written(),
            vec![Written {
                section: "default".into(),
                path,
                expires: set().expiration,
            }]
        );
    }

    #[test]
    fn keeps_every_byte_outside_its_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let before = "# my creds\n\n[alpha]\naws_access_key_id=A1   ; note\naws_secret_access_key = s1\n\n\
                      [dev]   # the one\nregion = us-east-1\naws_access_key_id = OLD\n  \n[beta]\nx = y\n\tcont\n\n\
                      ; trailing\n[gamma]\nk=v\n[delta]\nk = v";
        std::fs::write(&path, before).unwrap();
        let mode = || ssocred_core::os::file::mode_bits(&std::fs::metadata(&path).unwrap());
        let mode_before = mode();
        run(&path, "credentials-file:dev").unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        let expected = before.replace(
            "region = us-east-1\naws_access_key_id = OLD\n",
            "region = eu-west-1\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = se/cr+et\naws_session_token = tok==\n",
        );
        assert_eq!(after, expected);
        // The user's file keeps its mode; only a file the sink creates is
        // private.
        assert_eq!(mode(), mode_before);
    }

    #[test]
    fn a_file_that_already_holds_the_set_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        run(&path, "credentials-file:dev").unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert!(first.contains("aws_access_key_id = ASIAEXAMPLE"), "{first}");
        // A second write would replace the file, with a later mtime.
        let stamp = || std::fs::metadata(&path).unwrap().modified().unwrap();
        let before = stamp();
        std::thread::sleep(std::time::Duration::from_millis(20));
        run(&path, "credentials-file:dev").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        assert_eq!(stamp(), before, "the unchanged file was rewritten");
        // A changed set is still written.
        std::fs::write(&path, first.replace("ASIAEXAMPLE", "ASIAOLD")).unwrap();
        run(&path, "credentials-file:dev").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    }

    #[test]
    fn writes_one_profile_per_named_set_and_refuses_clashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let ctx = SinkContext {
            config_file: path.with_file_name("config"),
            credentials_file: path.clone(),
            cwd: dir.path().to_path_buf(),
        };
        let mut other = set();
        other.role_arn = "arn:aws:iam::123456789012:role/Admin".into();
        other.access_key_id = "ASIAOTHER".into();
        let mut sink = build(&SinkSpec::parse("credentials-file").unwrap(), &ctx).unwrap();
        sink.accept_named("a-ReadOnly", &set()).unwrap();
        sink.accept_named("a-Admin", &other).unwrap();
        sink.commit(&mut Vec::new()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("[a-ReadOnly]\naws_access_key_id = ASIAEXAMPLE\n"),
            "{text}"
        );
        assert!(
            text.contains("\n[a-Admin]\naws_access_key_id = ASIAOTHER\n"),
            "{text}"
        );

        let mut sink = build(&SinkSpec::parse("credentials-file:ci").unwrap(), &ctx).unwrap();
        sink.accept_named("a-ReadOnly", &set()).unwrap();
        let e = sink
            .accept_named("a-Admin", &other)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`ci`") && e.contains("role/ReadOnly") && e.contains("role/Admin"),
            "{e}"
        );
    }

    #[test]
    fn leaves_an_unparseable_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let before = "[ok]\nk = v\n[broken\n";
        std::fs::write(&path, before).unwrap();
        let err = run(&path, "credentials-file").unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("left untouched"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }

    #[test]
    fn rejects_bad_profile_names_and_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        for bad in ["has space", "a]b"] {
            let e = run(&path, &format!("credentials-file:{bad}")).unwrap_err();
            assert!(matches!(e, SinkError::Usage { .. }), "{e:?}");
            let why = format!("`{bad}` is not a valid profile name (letters, digits and -/.%@_:+)");
            assert!(e.to_string().contains(&why), "{e}");
        }
        assert!(!path.exists(), "nothing is written for a bad name");
        let e = run(&path, "credentials-file:x,colour=red")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("credentials-file") && e.contains("colour"),
            "{e}"
        );
        assert!(!path.exists());
    }
}

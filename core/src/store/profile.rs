//! The AWS config and credentials files, read exactly as the AWS SDKs read
//! them, and the SSO settings of one profile.
//!
//! Parsing is done by `aws-runtime`, the AWS SDK for Rust's own profile-file
//! parser, which is checked against the cross-SDK conformance suite: a
//! different reading of `sso_start_url` would mean a different token-cache
//! file, so ssocred does not keep a parser of its own.

use std::future::Future;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::section::EnvConfigSections;
use aws_types::os_shim_internal::{Env, Fs};

use crate::Error;
use crate::domain::sso_profile::{SsoProfile, USER_INFO_PROBLEM, check_region, has_user_info};

/// Where the AWS files of this user are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsPaths {
    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials: PathBuf,
    /// The home directory ([`crate::os::dirs::home`]).
    pub home: PathBuf,
}

impl AwsPaths {
    /// Resolves the paths from environment variables, looked up through `var`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let home = crate::os::dirs::home(&var).ok_or_else(|| {
            Error::Usage(format!(
                "{}, so ~/.aws cannot be found",
                crate::os::dirs::no_home()
            ))
        })?;
        let pick = |name: &str, default: &str| match var(name).filter(|v| !v.is_empty()) {
            Some(path) => expand_home(&path, &home),
            None => home.join(".aws").join(default),
        };
        Ok(AwsPaths {
            config: pick("AWS_CONFIG_FILE", "config"),
            credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            home,
        })
    }

    /// The process environment's paths.
    pub fn from_process_env() -> Result<Self, Error> {
        Self::from_env(|name| std::env::var(name).ok())
    }

    /// The AWS CLI v2 SSO token cache directory, `~/.aws/sso/cache`.
    pub fn sso_cache_dir(&self) -> PathBuf {
        self.home.join(".aws").join("sso").join("cache")
    }
}

/// `path` with a leading `~` or `~/` replaced by `home`, as the AWS tools
/// read paths in settings.
pub fn expand_home(path: &str, home: &Path) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None if path == "~" => home.to_path_buf(),
        None => PathBuf::from(path),
    }
}

/// The parsed config and credentials files.
#[derive(Debug)]
pub struct ProfileFiles {
    sections: EnvConfigSections,
    paths: AwsPaths,
    credentials_problem: Option<String>,
}

impl ProfileFiles {
    /// Reads and parses both files. A missing file counts as empty. A config
    /// file that cannot be read or parsed is an error naming it and the line.
    /// A credentials file that cannot be parsed is left out of the profiles
    /// (see [`credentials_problem`](Self::credentials_problem)): ssocred reads
    /// SSO settings from it only as the SDKs would, and the credentials-file
    /// sink reports it when it would write there.
    pub fn load(paths: &AwsPaths) -> Result<Self, Error> {
        Self::load_filtered(paths, None)
    }

    /// [`load`](Self::load) for a run that needs one profile: only the
    /// sections that can matter to `profile` are parsed (see
    /// [`relevant_sections`]), so a config holding thousands of generated
    /// profiles costs memory in proportion to the ones read, not the file.
    pub fn load_for(paths: &AwsPaths, profile: &str) -> Result<Self, Error> {
        Self::load_filtered(paths, Some(profile))
    }

    fn load_filtered(paths: &AwsPaths, profile: Option<&str>) -> Result<Self, Error> {
        let config = read_optional(&paths.config)?;
        let config = match profile {
            Some(name) => relevant_sections(&config, name),
            None => config,
        };
        parse_sections(Some(&config), None).map_err(|m| config_error(&paths.config, &m))?;
        let (credentials, credentials_problem) = match read_optional(&paths.credentials) {
            Ok(text) => match parse_sections(None, Some(&text)) {
                Ok(_) => (Some(text), None),
                Err(m) => (None, Some(format!("{}: {m}", paths.credentials.display()))),
            },
            Err(e) => (None, Some(e.to_string())),
        };
        let sections = parse_sections(Some(&config), credentials.as_deref())
            .map_err(|m| config_error(&paths.config, &m))?;
        Ok(ProfileFiles {
            sections,
            paths: paths.clone(),
            credentials_problem,
        })
    }

    /// The config file alone, for `profile` (as [`load_for`](Self::load_for)):
    /// the role-cache fast path needs the SSO settings, never the
    /// credentials file.
    pub fn load_config(paths: &AwsPaths, profile: &str) -> Result<Self, Error> {
        let config = relevant_sections(&read_optional(&paths.config)?, profile);
        let sections =
            parse_sections(Some(&config), None).map_err(|m| config_error(&paths.config, &m))?;
        Ok(ProfileFiles {
            sections,
            paths: paths.clone(),
            credentials_problem: None,
        })
    }

    /// Why the credentials file was left out, if it was.
    pub fn credentials_problem(&self) -> Option<&str> {
        self.credentials_problem.as_deref()
    }

    /// The paths these files were read from.
    pub fn paths(&self) -> &AwsPaths {
        &self.paths
    }

    /// The SDK's view of the merged files.
    pub fn sections(&self) -> &EnvConfigSections {
        &self.sections
    }

    /// The value of `key` in profile `name`, trimmed; `None` when absent or
    /// empty.
    pub fn profile_value(&self, name: &str, key: &str) -> Option<&str> {
        self.sections
            .get_profile(name)
            .and_then(|p| p.get(key))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// The `sso_registration_scopes` of `profile`'s sso-session, split on
    /// commas with blanks dropped, as the AWS CLI reads them; `None` when the
    /// key is absent or the profile is a legacy one (the CLI ignores it
    /// there).
    pub fn registration_scopes(&self, profile: &SsoProfile) -> Option<Vec<String>> {
        let session = self.sections.sso_session(profile.session.as_deref()?)?;
        let raw = session.get("sso_registration_scopes")?;
        Some(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The profile names closest to `name`, for "did you mean": read from
    /// the whole files, since this value may hold only `name`'s sections
    /// ([`load_for`](Self::load_for)). Only on the way to an error.
    pub fn near_profiles(&self, name: &str) -> Vec<String> {
        ProfileFiles::load(&self.paths)
            .map(|all| crate::domain::text::closest(name, all.sections.profiles()))
            .unwrap_or_default()
    }

    /// The SSO settings of profile `name`.
    pub fn sso_profile(&self, name: &str) -> Result<SsoProfile, Error> {
        let config = &self.paths.config;
        let Some(profile) = self.sections.get_profile(name) else {
            return Err(Error::UnknownProfile {
                profile: name.to_owned(),
                near: self.near_profiles(name),
                config: config.clone(),
                credentials: self.paths.credentials.clone(),
            });
        };
        let bad = |problem: String| Error::BadSsoProfile {
            profile: name.to_owned(),
            config: config.clone(),
            problem,
        };
        let get = |key: &str| profile.get(key).map(str::trim).filter(|v| !v.is_empty());
        // Before any message that could show the start URL: a password in
        // it is never echoed.
        let own_url = get("sso_start_url").map(|url| (url, "the profile".to_owned()));
        let session_url = get("sso_session").and_then(|name| {
            let url = self.sections.sso_session(name)?.get("sso_start_url")?;
            Some((url, format!("[sso-session {name}]")))
        });
        for (url, place) in own_url.into_iter().chain(session_url) {
            if has_user_info(url) {
                return Err(bad(format!("sso_start_url of {place} {USER_INFO_PROBLEM}")));
            }
        }
        let (session, start_url, sso_region) = match get("sso_session") {
            Some(session_name) => {
                let Some(session) = self.sections.sso_session(session_name) else {
                    return Err(bad(format!(
                        "sso_session = {session_name} names a section [sso-session {session_name}] that does not exist"
                    )));
                };
                let from_session = |key: &str| -> Result<String, Error> {
                    let value = session.get(key).map(str::trim).filter(|v| !v.is_empty());
                    let value = value
                        .ok_or_else(|| bad(format!("[sso-session {session_name}] has no {key}")))?;
                    // A profile may repeat the session's settings, but must agree.
                    if let Some(own) = get(key).filter(|own| *own != value) {
                        return Err(bad(format!(
                            "{key} = {own} differs from {key} = {value} in [sso-session {session_name}]"
                        )));
                    }
                    Ok(value.to_owned())
                };
                let start_url = from_session("sso_start_url")?;
                let region = from_session("sso_region")?;
                (Some(session_name.to_owned()), start_url, region)
            }
            None => match (get("sso_start_url"), get("sso_region")) {
                (Some(url), Some(region)) => (None, url.to_owned(), region.to_owned()),
                (None, None) if get("login_session").is_some() => {
                    return Err(bad(format!(
                        "it is a console session of `aws login` (login_session), not an SSO profile; console sessions give credentials to the sinks (`{} --sink ...`), `exec` and `use` (docs/console-sessions.md), not to this command",
                        crate::domain::shell_line::suggested(&["-p", name])
                    )));
                }
                (None, None) => {
                    return Err(Error::NotSsoProfile {
                        profile: name.to_owned(),
                        config: config.clone(),
                    });
                }
                (Some(_), None) => {
                    return Err(bad("sso_start_url is set but sso_region is missing".into()));
                }
                (None, Some(_)) => {
                    return Err(bad("sso_region is set but sso_start_url is missing".into()));
                }
            },
        };
        let sso_key = if session.is_some() {
            "sso_region (of its sso-session)"
        } else {
            "sso_region"
        };
        check_region(&sso_region).map_err(|why| bad(format!("{sso_key} = {sso_region}: {why}")))?;
        let region = get("region");
        if let Some(region) = region {
            check_region(region).map_err(|why| bad(format!("region = {region}: {why}")))?;
        }
        Ok(SsoProfile {
            name: name.to_owned(),
            session,
            start_url,
            sso_region,
            region: region.map(str::to_owned),
            account_id: get("sso_account_id").map(str::to_owned),
            role_name: get("sso_role_name").map(str::to_owned),
        })
    }
}

/// The config text with only the sections that can matter to `profile`
/// kept: `[default]`, `[profile default]`, the profile's own, and every
/// `[sso-session ...]` and `[services ...]` section. The lines of the other
/// sections become empty lines, which the parser skips, so line numbers in
/// errors stay those of the file. The test is generous (a header that merely
/// contains the name is kept): keeping a section too many costs memory,
/// dropping one would change what is read.
///
/// A line the SDK parser would refuse is kept even in a dropped section, so
/// the file is refused with the parser's own message and line whichever
/// profile is read: a broken file is broken for every command alike.
pub fn relevant_sections(text: &str, profile: &str) -> String {
    // Mostly line endings for a large file: not sized like `text`.
    let mut out = String::new();
    let mut keep = true;
    let mut dropped = DroppedLines::default();
    // Where the current section starts, in `text` and in `out`.
    let (mut section_in, mut section_out) = (0, 0);
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(header) = line.strip_prefix('[') {
            let first = header.split([' ', '\t', ']']).next().unwrap_or_default();
            keep =
                matches!(first, "default" | "sso-session" | "services") || header.contains(profile);
            dropped = DroppedLines::default();
            (section_in, section_out) = (at, out.len());
        }
        at += line.len();
        if !keep && dropped.refused(line) {
            // The parser's message may depend on the lines before (a
            // sub-property after an empty value): the section is kept whole.
            out.truncate(section_out);
            out.push_str(&text[section_in..at]);
            keep = true;
        } else if keep {
            out.push_str(line);
        } else if line.ends_with("\r\n") {
            out.push_str("\r\n");
        } else if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The SDK parser's rules for the lines of a section that is dropped, enough
/// to tell which of them it would refuse (aws-runtime's `env_config::parse`).
#[derive(Default)]
struct DroppedLines {
    /// After a property line: `Some(true)` when its value was empty, so the
    /// continuation lines are sub-properties (`k = v`).
    property: Option<bool>,
}

impl DroppedLines {
    const WHITESPACE: [char; 2] = [' ', '\t'];

    fn refused(&mut self, line: &str) -> bool {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim_matches(Self::WHITESPACE).is_empty() || line.starts_with(['#', ';']) {
            return false;
        }
        if line.starts_with('[') {
            let header = Self::without_comment(line, false);
            return !(header.starts_with('[') && header.ends_with(']'));
        }
        if line.starts_with(Self::WHITESPACE) {
            return match self.property {
                None => true,
                Some(false) => false,
                Some(true) => Self::property(line).is_none(),
            };
        }
        match Self::property(line) {
            Some(value_empty) => {
                self.property = Some(value_empty);
                false
            }
            None => true,
        }
    }

    /// `Some(value is empty)` for a well-formed `key = value` line.
    fn property(line: &str) -> Option<bool> {
        let (key, value) = Self::without_comment(line, true).split_once('=')?;
        let key = key.trim_matches(Self::WHITESPACE);
        (!key.is_empty()).then(|| value.trim_matches(Self::WHITESPACE).is_empty())
    }

    fn without_comment(line: &str, comments_need_whitespace: bool) -> &str {
        let line = line.trim_matches(Self::WHITESPACE);
        let mut after_whitespace = false;
        for (at, c) in line.char_indices() {
            if matches!(c, '#' | ';') && (after_whitespace || !comments_need_whitespace) {
                return line[..at].trim_matches(Self::WHITESPACE);
            }
            after_whitespace = c.is_whitespace();
        }
        line
    }
}

fn read_optional(path: &Path) -> Result<String, Error> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| Error::ConfigFile {
            path: path.to_path_buf(),
            message: "not valid UTF-8".to_owned(),
        }),
        // A path below a regular file cannot exist either.
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Ok(String::new())
        }
        Err(e) => Err(Error::ConfigFile {
            path: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        }),
    }
}

fn config_error(path: &Path, message: &str) -> Error {
    Error::ConfigFile {
        path: path.to_path_buf(),
        message: message.to_owned(),
    }
}

/// Parses file contents with the SDK's parser. The error text has the form
/// `line N: what is wrong`.
pub fn parse_sections(
    config: Option<&str>,
    credentials: Option<&str>,
) -> Result<EnvConfigSections, String> {
    let mut files = EnvConfigFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false);
    if let Some(text) = config {
        files = files.with_contents(EnvConfigFileKind::Config, text);
    }
    if let Some(text) = credentials {
        files = files.with_contents(EnvConfigFileKind::Credentials, text);
    }
    let files = files.build();
    let env = Env::from_slice(&[]);
    let fs = Fs::real();
    // With contents given, loading never waits on anything.
    let source = run_ready(aws_runtime::env_config::source::load(&env, &fs, &files))
        .ok_or("profile loading unexpectedly waited")?
        .map_err(|e| e.to_string())?;
    EnvConfigSections::parse(source).map_err(|e| tidy_parse_error(&e.to_string()))
}

/// The SDK's message reads "error parsing <path> on line N:\n  message"; the
/// caller names the file, so keep "line N: message".
fn tidy_parse_error(text: &str) -> String {
    match text.split_once(" on line ") {
        Some((_, rest)) => {
            let (line, message) = rest.split_once(':').unwrap_or((rest, ""));
            format!("line {line}: {}", message.trim())
        }
        None => text.to_owned(),
    }
}

fn run_ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(config: &str) -> (tempfile::TempDir, ProfileFiles) {
        let dir = tempfile::tempdir().unwrap();
        let paths = AwsPaths {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
            home: dir.path().to_path_buf(),
        };
        std::fs::write(&paths.config, config).unwrap();
        let files = ProfileFiles::load(&paths).unwrap();
        (dir, files)
    }

    #[test]
    fn resolves_legacy_and_session_profiles() {
        let (_d, f) = files(
            "[profile legacy]\nsso_start_url = https://a.awsapps.com/start\nsso_region = eu-west-1\nregion = eu-central-1\n\
             [profile modern]\nsso_session = corp\nsso_account_id = 123456789012\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start # inline\nsso_region = us-east-2\n",
        );
        let legacy = f.sso_profile("legacy").unwrap();
        assert_eq!(legacy.token_cache_key(), "https://a.awsapps.com/start");
        assert_eq!(legacy.sso_region, "eu-west-1");
        assert_eq!(legacy.region.as_deref(), Some("eu-central-1"));
        let modern = f.sso_profile("modern").unwrap();
        assert_eq!(modern.token_cache_key(), "corp");
        assert_eq!(modern.start_url, "https://corp.awsapps.com/start");
        assert_eq!(modern.sso_region, "us-east-2");
        assert_eq!(modern.account_id.as_deref(), Some("123456789012"));
    }

    #[test]
    fn explains_unusable_profiles() {
        let (_d, f) = files(
            "[profile plain]\nregion = eu-west-1\n[profile dangling]\nsso_session = nowhere\n\
             [profile half]\nsso_start_url = https://x/start\n\
             [profile clash]\nsso_session = s\nsso_region = eu-west-1\n[sso-session s]\nsso_start_url = u\nsso_region = us-east-1\n",
        );
        assert!(matches!(
            f.sso_profile("nope"),
            Err(Error::UnknownProfile { .. })
        ));
        assert!(matches!(
            f.sso_profile("plain"),
            Err(Error::NotSsoProfile { .. })
        ));
        let e = f.sso_profile("dangling").unwrap_err().to_string();
        assert!(
            e.contains("[sso-session nowhere]") && e.contains("`dangling`"),
            "{e}"
        );
        let e = f.sso_profile("half").unwrap_err().to_string();
        assert!(e.contains("sso_region is missing"), "{e}");
        let e = f.sso_profile("clash").unwrap_err().to_string();
        assert!(e.contains("differs"), "{e}");
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let paths = AwsPaths {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
            home: dir.path().to_path_buf(),
        };
        std::fs::write(&paths.config, "[profile ok]\na = b\n[broken\n").unwrap();
        let e = ProfileFiles::load(&paths).unwrap_err().to_string();
        assert!(e.starts_with(&paths.config.display().to_string()), "{e}");
        assert!(e.contains("line 3"), "{e}");

        std::fs::write(
            &paths.config,
            "[profile ok]\nsso_session = s\n[sso-session s]\nsso_start_url = u\nsso_region = r\n",
        )
        .unwrap();
        std::fs::write(&paths.credentials, "[x]\n[broken\n").unwrap();
        let files = ProfileFiles::load(&paths).unwrap();
        assert!(files.credentials_problem().unwrap().contains("line 2"));
        assert_eq!(files.sso_profile("ok").unwrap().start_url, "u");
    }

    #[test]
    fn reading_one_profile_keeps_what_it_needs_and_the_line_numbers() {
        let text = "[default]\nregion = a\n[profile gen-1]\nk = 1\n  cont\n[profile dev]\nsso_session = s\n\
                    [sso-session s]\nsso_start_url = u\nsso_region = r\n[profile gen-2]\nk = 2\n[services x]\ns3 =\n  a = b\n";
        let kept = relevant_sections(text, "dev");
        assert_eq!(kept.lines().count(), text.lines().count());
        let all = parse_sections(Some(text), None).unwrap();
        let some = parse_sections(Some(&kept), None).unwrap();
        for name in ["default", "dev"] {
            assert_eq!(
                some.get_profile(name)
                    .map(|p| (p.get("region"), p.get("sso_session"))),
                all.get_profile(name)
                    .map(|p| (p.get("region"), p.get("sso_session")))
            );
        }
        assert!(some.get_profile("gen-1").is_none() && some.get_profile("gen-2").is_none());
        assert_eq!(
            some.sso_session("s").and_then(|s| s.get("sso_start_url")),
            Some("u")
        );
        // An error in a kept section still names its real line.
        let broken = format!("{text}[profile dev]\n= nameless\n");
        let e = parse_sections(Some(&relevant_sections(&broken, "dev")), None).unwrap_err();
        assert!(e.starts_with("line 17:"), "{e}");
        assert_eq!(e, parse_sections(Some(&broken), None).unwrap_err());
    }

    #[test]
    fn a_line_the_parser_refuses_in_a_dropped_section_still_fails_the_read() {
        let head = "[profile dev]\nsso_session = s\n[profile gen-1]\nk = 1\n";
        for bad in [
            "[broken\n",
            "[profile x] junk\n",
            "[profile a#b]\n",
            "no equals sign\n",
            "= nameless\n",
            "k = ; comment\n  = nameless sub-property\n",
            "k =\n  sub without equals\n",
        ] {
            let text = format!("{head}{bad}[profile gen-2]\nk = 2\n");
            let whole = parse_sections(Some(&text), None).unwrap_err();
            let kept = parse_sections(Some(&relevant_sections(&text, "dev")), None);
            assert_eq!(kept.err().as_ref(), Some(&whole), "{bad:?}");
        }
        // What the parser accepts in a dropped section is still dropped.
        for good in [
            "k = v # comment\n",
            "k=\n  a = b\n\n  c=d\n",
            "k = v\n  continued\n",
            "# comment\n; other\n\t\n",
            "[profile ok] # note\n",
        ] {
            let text = format!("{head}{good}[profile gen-2]\nk = 2\n");
            parse_sections(Some(&text), None).unwrap();
            let kept = relevant_sections(&text, "dev");
            assert!(parse_sections(Some(&kept), None).is_ok(), "{good:?}");
            assert!(!kept.contains("k = 1") && !kept.contains("k = 2"), "{kept}");
        }
    }

    #[test]
    fn paths_follow_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let p = AwsPaths::from_env(env(&[("HOME", "/h")])).unwrap();
        assert_eq!(p.config, PathBuf::from("/h/.aws/config"));
        assert_eq!(p.credentials, PathBuf::from("/h/.aws/credentials"));
        assert_eq!(p.sso_cache_dir(), PathBuf::from("/h/.aws/sso/cache"));
        let p = AwsPaths::from_env(env(&[
            ("HOME", "/h"),
            ("AWS_CONFIG_FILE", "~/c"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/x/creds"),
        ]))
        .unwrap();
        assert_eq!(p.config, PathBuf::from("/h/c"));
        assert_eq!(p.credentials, PathBuf::from("/x/creds"));
        assert!(AwsPaths::from_env(env(&[])).is_err());
    }
}

//! A team source that is one file over HTTPS, pinned by its SHA-256: fetched
//! through ssocred's network settings (the CA bundle of `AWS_CA_BUNDLE` or
//! the `default` profile's `ca_bundle`, the proxies of the environment), at
//! most [`MAX_SOURCE_FILE_BYTES`] read, and used only when its digest is the
//! one pinned.

use ssocred_core::Error;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};

use crate::flags::NetworkFlags;
use crate::sources::fetch::Fetched;
use crate::sources::store::{Source, digest};
use crate::sources::team_file::MAX_SOURCE_FILE_BYTES;

/// Checks an HTTPS source: an `https://` URL of one line, with no user name
/// or password, and a SHA-256 of 64 hex digits.
pub fn check(url: &str, sha256: &str) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::Usage(format!("source URL: {what}")));
    if url.len() > 2048 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("must be one line of at most 2048 characters, without spaces");
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return bad("a file pinned by --sha256 is fetched over https:// only");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return bad("has no host name");
    }
    if authority.contains('@') {
        return bad("holds a user name or password; it would be sent and kept in the clear");
    }
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Usage(
            "--sha256: the file's SHA-256, 64 hex digits (sha256sum FILE)".to_owned(),
        ));
    }
    Ok(())
}

/// The name of the file an HTTPS source's URL ends in, for messages.
pub fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name.contains(':') {
        crate::sources::fetch::DEFAULT_PATH.to_owned()
    } else {
        ssocred_core::domain::text::visible(name).into_owned()
    }
}

/// Fetches source `name`'s file and checks it against the pinned SHA-256.
pub fn fetch(name: &str, source: &Source, paths: &AwsPaths) -> Result<Fetched, Error> {
    let Some(pinned) = &source.sha256 else {
        return Err(Error::Internal(
            "an https source without its SHA-256".to_owned(),
        ));
    };
    check(&source.url, pinned)?;
    let files = ProfileFiles::load_for(paths, "default")?;
    let network = crate::request::network(&NetworkFlags::default(), paths, &files, "default")?;
    // The query may carry a token: errors name the URL without it.
    let shown = source.url.split(['?', '#']).next().unwrap_or_default();
    let failed = |message: String| Error::Unreachable {
        service: format!("team source `{name}`"),
        endpoint: shown.to_owned(),
        message,
    };
    let limit = usize::try_from(MAX_SOURCE_FILE_BYTES).unwrap_or(usize::MAX);
    let (status, body) = crate::runtime::runtime()?
        .block_on(ssocred_core::aws::sdk::get_bounded(
            &source.url,
            shown,
            &network,
            limit,
        ))
        .map_err(failed)?;
    if status != 200 {
        return Err(failed(format!("answered HTTP {status}")));
    }
    let text = String::from_utf8(body)
        .map_err(|_| Error::Usage(format!("source `{name}`: {shown} is not valid UTF-8")))?;
    let got = digest(&text);
    if !got.eq_ignore_ascii_case(pinned) {
        return Err(Error::Usage(format!(
            "source `{name}`: {shown} has SHA-256 {got}, not the pinned {pinned}; nothing was written. If the team changed the file, review it, then pin the new one: `ssocred source add {name} {shown} --sha256 {got}`"
        )));
    }
    Ok(Fetched {
        commit: format!("sha256:{got}"),
        text,
        moving: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_source_is_checked_before_it_is_fetched() {
        let sha = "a".repeat(64);
        assert!(check("https://team.example/aws/ssocred-team.toml", &sha).is_ok());
        for (url, sha256) in [
            ("http://team.example/t.toml", sha.as_str()),
            ("https://me:secret@team.example/t.toml", sha.as_str()),
            ("https://team.example/t.toml", "abc"),
            ("https:///t.toml", sha.as_str()),
        ] {
            let e = check(url, sha256).unwrap_err();
            assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage, "{url}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        assert_eq!(file_name("https://h/a/team.toml?token=x"), "team.toml");
        assert_eq!(file_name("https://h/"), "ssocred-team.toml");
    }
}

//! How ssocred reaches AWS on a corporate network: whom it trusts (the
//! system's roots, or a CA bundle), which proxy it goes through, and which
//! endpoint variants it asks for. Every AWS client ssocred builds uses the
//! one [`Network`] of its invocation.
//!
//! Trust follows the AWS CLI: `AWS_CA_BUNDLE` (or `--ca-bundle`), else the
//! profile's `ca_bundle`, names a PEM file that *replaces* the default trust
//! roots for ssocred's AWS calls; without one the system store is used
//! (rustls-native-certs, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`).
//! A bundle is checked here, before any TLS code sees it: a file that is
//! missing, unreadable, not PEM, or holds no certificate the TLS stack
//! accepts is a config error naming the file and where its name came from.
//!
//! Proxies come from the environment, read as hyper-util (the HTTP stack of
//! the AWS SDK for Rust) reads them: `HTTPS_PROXY` for `https://` endpoints
//! and `HTTP_PROXY` for `http://` ones, `ALL_PROXY` for both when the
//! specific one is unset (each upper-case name first, then its lower-case
//! form), and `NO_PROXY` for the hosts that bypass them, matched by
//! hyper-util's rules: a comma-separated list of host names (a leading `.` or `*.` matches
//! subdomains; a bare name matches itself and its subdomains), IP addresses,
//! CIDR blocks, and `*` for every host; an entry with a port
//! (`host:port`) is matched as botocore matches it
//! ([`Proxies::bypasses_by_port`]). Credentials in a proxy URL
//! (`http://user:pass@proxy:3128`) are sent as basic auth; they are secrets,
//! kept out of every message and of `Debug`.

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret, SecretString};

use crate::Error;
use crate::domain::endpoints::EndpointOptions;

/// Whom TLS connections to AWS trust.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// The system's trust store.
    #[default]
    System,
    /// Only the certificates of a CA bundle.
    Bundle(CaBundle),
}

/// A checked CA bundle: PEM certificates the TLS stack accepts.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    source: String,
    pem: Vec<u8>,
    certificates: usize,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("source", &self.source)
            .field("certificates", &self.certificates)
            .finish_non_exhaustive()
    }
}

impl CaBundle {
    /// Reads and checks the bundle at `path`, named by `source` (such as
    /// `environment AWS_CA_BUNDLE`). Every failure is a config error (exit
    /// 3) naming the file and the source.
    pub fn load(path: &Path, source: &str) -> Result<CaBundle, Error> {
        Self::load_remembering(path, source, None)
    }

    /// [`CaBundle::load`], remembering in `checked_dir` (ssocred's cache)
    /// which bundle files passed the check: a file with the same device,
    /// inode, size, modification and change times as one that passed is not
    /// parsed certificate by certificate again. A system bundle of ~140
    /// certificates costs about half a millisecond to check, more than the
    /// rest of a cached call; the record costs one small read. The record
    /// only ever skips the check of a file that passed it: the certificates
    /// trusted are always the file's own.
    pub fn load_remembering(
        path: &Path,
        source: &str,
        checked_dir: Option<&Path>,
    ) -> Result<CaBundle, Error> {
        let bad = |message: String| Error::ConfigFile {
            path: path.to_path_buf(),
            message: format!("CA bundle from {source}: {message}"),
        };
        let (pem, meta) =
            crate::os::fs::read_bounded_with_metadata(path, crate::os::fs::MAX_CA_BUNDLE_BYTES)
                .map_err(|e| bad(format!("cannot read it: {e}")))?;
        let identity = FileIdentity::of(&meta);
        let record = checked_dir
            .zip(identity)
            .map(|(dir, identity)| (dir.join(record_name(path)), identity));
        let remembered = record
            .as_ref()
            .and_then(|(file, identity)| identity.remembered(file));
        let certificates = match remembered {
            Some(count) => count,
            None => {
                let count = check_pem(&pem).map_err(bad)?;
                if let Some((file, identity)) = &record {
                    // Only speed is lost when the record cannot be written.
                    let _ = identity.remember(file, count);
                }
                count
            }
        };
        Ok(CaBundle {
            path: path.to_path_buf(),
            source: source.to_owned(),
            pem,
            certificates,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where its name came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many certificates it holds.
    pub fn certificates(&self) -> usize {
        self.certificates
    }

    /// The PEM text, as checked.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileIdentity(String);

impl FileIdentity {
    fn of(meta: &std::fs::Metadata) -> Option<FileIdentity> {
        crate::os::file::identity(meta).map(FileIdentity)
    }

    /// The certificate count a record at `file` holds for this identity.
    fn remembered(&self, file: &Path) -> Option<usize> {
        let bytes = crate::os::fs::read_bounded(file, crate::os::fs::MAX_CACHE_FILE_BYTES).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (identity, count) = text.trim_end().rsplit_once(' ')?;
        (identity == self.0).then(|| count.parse().ok()).flatten()
    }

    fn remember(&self, file: &Path, count: usize) -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::os::fs::write_atomic(file, format!("{} {count}\n", self.0).as_bytes())
    }
}

/// The record file of the bundle at `path`: named by a digest of the path.
fn record_name(path: &Path) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(path.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.checked")
}

/// The number of certificates in `pem`, each one the TLS stack (rustls)
/// accepts as a trust anchor; else what is wrong. Parsed exactly as the
/// HTTP client will parse it, so it can never fail there.
fn check_pem(pem: &[u8]) -> Result<usize, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let mut count = 0;
    for (index, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let cert = cert.map_err(|e| format!("not a PEM file ({e})"))?;
        roots
            .add(cert)
            .map_err(|e| format!("certificate {} is not usable ({e})", index + 1))?;
        count += 1;
    }
    if count == 0 {
        return Err("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned());
    }
    Ok(count)
}

/// One proxy: its URL without credentials, the basic-auth credentials the
/// URL carried, and the variable it came from.
#[derive(Clone)]
pub struct ProxyUrl {
    url: String,
    user: Option<String>,
    password: Option<SecretString>,
    variable: &'static str,
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("url", &self.url)
            .field("user", &self.user.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("variable", &self.variable)
            .finish()
    }
}

impl ProxyUrl {
    /// Parses a proxy variable's value: `[http://]host:port`, with optional
    /// `user:password@` (percent-encoded) before the host.
    pub fn parse(value: &str, variable: &'static str) -> Result<ProxyUrl, Error> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "environment {variable}: {why}; expected http://[user:password@]host:port"
            ))
        };
        let value = value.trim();
        let (scheme, rest) = match value.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_owned(), value),
        };
        if scheme != "http" && scheme != "https" {
            return Err(bad(&format!("the scheme `{scheme}` is not http or https")));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, authority),
        };
        check_host_and_port(host).map_err(|why| bad(&why))?;
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (
                    Some(decode(user)),
                    Some(SecretString::from(decode(password))),
                ),
                None => (Some(decode(info)), None),
            },
        };
        Ok(ProxyUrl {
            url: format!("{scheme}://{host}"),
            user,
            password,
            variable,
        })
    }

    /// The URL without credentials, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The variable it came from.
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// Whether the URL carried credentials.
    pub fn has_credentials(&self) -> bool {
        self.user.is_some()
    }

    /// The user and password for basic auth (a missing password is empty).
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.user.as_deref().map(|user| {
            let password = self
                .password
                .as_ref()
                .map(|p| p.expose_secret())
                .unwrap_or_default();
            (user, password)
        })
    }
}

/// Whether `authority` (`host[:port]`, the host a name, an IPv4 address or
/// a bracketed IPv6 address) is one a proxy URL can name; else why not.
/// The reason never quotes the value, which may sit next to a password.
fn check_host_and_port(authority: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return Err("an IPv6 address without its closing `]`".to_owned());
        };
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("the address in brackets is not an IPv6 address".to_owned());
        }
        match after {
            "" => (address, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (address, Some(port)),
                None => return Err("text after the IPv6 address is not `:port`".to_owned()),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address must be written in brackets, [::1]:3128".to_owned());
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && !(port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p != 0))
    {
        return Err("the port is not a number from 1 to 65535".to_owned());
    }
    if host.is_empty() {
        return Err("no host".to_owned());
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '%');
    if !authority.starts_with('[') && !host.chars().all(name_char) {
        return Err("the host is not a host name or an IP address".to_owned());
    }
    Ok(())
}

/// The proxies of the environment.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    /// For `https://` endpoints.
    pub https: Option<ProxyUrl>,
    /// For `http://` endpoints.
    pub http: Option<ProxyUrl>,
    /// The hosts that bypass them, and the variable that named them.
    pub no_proxy: Option<(String, &'static str)>,
}

impl Proxies {
    /// Reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (each
    /// upper-case form first) from `var`; an empty value is unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Proxies, Error> {
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                var(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|value| (value, name))
            })
        };
        let parse = |names| {
            first(names)
                .map(|(value, name)| ProxyUrl::parse(&value, name))
                .transpose()
        };
        const ALL: [&str; 2] = ["ALL_PROXY", "all_proxy"];
        Ok(Proxies {
            https: parse(&["HTTPS_PROXY", "https_proxy", ALL[0], ALL[1]])?,
            http: parse(&["HTTP_PROXY", "http_proxy", ALL[0], ALL[1]])?,
            no_proxy: first(&["NO_PROXY", "no_proxy"]).map(|(v, name)| (v.trim().to_owned(), name)),
        })
    }

    /// The proxy for an endpoint URL, by its scheme; none when `NO_PROXY`
    /// holds `*`, or an entry with a port that matches the endpoint (see
    /// [`Proxies::bypasses_by_port`]).
    pub fn for_endpoint(&self, endpoint: &str) -> Option<&ProxyUrl> {
        if self.bypasses_every_host() || self.bypasses_by_port(endpoint) {
            return None;
        }
        if endpoint.starts_with("http://") {
            self.http.as_ref()
        } else {
            self.https.as_ref()
        }
    }
}

impl Proxies {
    /// Whether a `NO_PROXY` entry with a port (`host:port`, `[::1]:port`)
    /// exempts `endpoint`, as botocore (through Python's `urllib`) and
    /// requests read such entries: the entry, without leading dots and in
    /// any case, equals the endpoint's `host:port` or ends it after a `.`,
    /// where the port counts only when the endpoint URL writes it
    /// (`https://h:8443`, not `https://h` for 443). hyper-util, which
    /// applies the other entries, never matches one with a port.
    pub fn bypasses_by_port(&self, endpoint: &str) -> bool {
        let Some((rules, _)) = &self.no_proxy else {
            return false;
        };
        let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let netloc = authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .to_ascii_lowercase();
        rules
            .split(',')
            .map(|entry| entry.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|entry| has_port(entry))
            .any(|entry| {
                netloc == entry
                    || netloc
                        .strip_suffix(entry.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            })
    }

    /// Whether `NO_PROXY` holds `*`, which means every host, IP addresses
    /// included (hyper-util applies it to host names only).
    pub fn bypasses_every_host(&self) -> bool {
        self.no_proxy
            .as_ref()
            .is_some_and(|(rules, _)| rules.split(',').any(|r| r.trim() == "*"))
    }
}

/// Whether a `NO_PROXY` entry names a port: `name:digits` or
/// `[address]:digits` (a bare `::1` is an address without one).
fn has_port(entry: &str) -> bool {
    let port = match entry.strip_prefix('[') {
        Some(rest) => rest.split_once("]:").map(|(_, port)| port),
        None => entry
            .split_once(':')
            .filter(|(_, port)| !port.contains(':'))
            .map(|(_, port)| port),
    };
    port.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Everything about the network one invocation's AWS clients share.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Whom TLS trusts.
    pub trust: Trust,
    /// Which proxies, if any.
    pub proxies: Proxies,
    /// FIPS and dual-stack endpoints.
    pub endpoints: EndpointOptions,
}

#[cfg(test)]
mod tests;

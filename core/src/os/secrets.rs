//! Secrets in the OS credential store (`[login] token_store = "keyring"`
//! or `"both"`; docs/security.md): the SSO token and the client
//! registration, each one JSON document under service `ssocred`.
//!
//! The stores are the platform's ([`crate::os::keyring`]): the
//! Secret Service or the kernel keyring on Linux, the Keychain on macOS,
//! the Credential Manager on Windows. Two things are added here:
//!
//! - **Size.** The Credential Manager caps a secret at 2,560 bytes, and a
//!   token with its refresh token can be longer. A value over
//!   [`CHUNK`] bytes is stored in pieces (`NAME#1`, `NAME#2`, ...) under a
//!   manifest at `NAME` that gives their number and the SHA-256 of the
//!   whole, which a read checks; every store gets the same layout.
//! - **Time.** A store that cannot answer (a locked collection whose
//!   unlock dialog cannot appear over SSH, no session bus) would hang the
//!   credential call: each operation runs on a thread of its own and fails
//!   after [`TIMEOUT`], naming the store and the setting to change.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use sha2::{Digest, Sha256};

/// The service name of every entry.
pub const SERVICE: &str = "ssocred";

/// The largest piece stored as one secret: under the Credential Manager's
/// 2,560 bytes.
pub const CHUNK: usize = 2000;

/// How long one operation may take before the store counts as unreachable.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A value stored whole starts with this.
const WHOLE: &[u8] = b"ssocred-v1:";
/// A manifest starts with this, then `COUNT:SHA256HEX`.
const MANIFEST: &[u8] = b"ssocred-chunks-v1:";

/// An open credential store.
#[derive(Clone)]
pub struct Keyring {
    name: String,
    slots: Arc<dyn Slots>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("name", &self.name).finish()
    }
}

/// Why the store could not be used; the message names the store and never
/// a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringError(pub String);

impl std::fmt::Display for KeyringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a store's error says, without the bytes some variants carry.
fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match e {
        E::PlatformFailure(p) => format!("the store failed ({p})"),
        E::NoStorageAccess(p) => format!("the store cannot be reached ({p})"),
        E::NoEntry => "no such entry".to_owned(),
        E::BadEncoding(_) | E::BadDataFormat(..) => {
            "an entry is not in ssocred's format".to_owned()
        }
        E::BadStoreFormat(why) => format!("the store's data is damaged ({why})"),
        E::TooLong(what, max) => format!("{what} is longer than the store's {max}"),
        E::Invalid(what, why) => format!("{what}: {why}"),
        E::Ambiguous(_) => "more than one entry matches".to_owned(),
        E::NoDefaultStore => "no store".to_owned(),
        E::NotSupportedByStore(what) => format!("the store does not support {what}"),
        _ => "the store failed".to_owned(),
    }
}

/// Named secrets: the store's entries, one per name.
trait Slots: Send + Sync {
    fn get(&self, user: &str) -> Result<Option<Vec<u8>>, KeyringError>;
    fn set(&self, user: &str, bytes: Vec<u8>) -> Result<(), KeyringError>;
    /// Whether the entry was there.
    fn delete(&self, user: &str) -> Result<bool, KeyringError>;
}

/// A keyring-core store, each call on a thread of its own within a time.
struct StoreSlots {
    name: String,
    store: Arc<CredentialStore>,
    timeout: Duration,
}

impl StoreSlots {
    fn failed(&self, what: &str, e: &keyring_core::Error) -> KeyringError {
        KeyringError(format!(
            "the credential store `{}`: {what}: {}",
            self.name,
            describe(e)
        ))
    }

    fn call<T: Send + 'static>(
        &self,
        user: &str,
        op: impl FnOnce(Entry) -> Result<T, keyring_core::Error> + Send + 'static,
    ) -> Result<Result<T, keyring_core::Error>, KeyringError> {
        let entry = Entry::new_in_store(&self.store, SERVICE, user)
            .map_err(|e| self.failed("an entry", &e))?;
        on_thread(self.timeout, move || op(entry)).ok_or_else(|| timed_out(&self.name))
    }
}

impl Slots for StoreSlots {
    fn get(&self, user: &str) -> Result<Option<Vec<u8>>, KeyringError> {
        match self.call(user, |e| e.get_secret())? {
            Ok(bytes) => Ok(Some(bytes)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failed(&format!("reading `{user}`"), &e)),
        }
    }

    fn set(&self, user: &str, bytes: Vec<u8>) -> Result<(), KeyringError> {
        self.call(user, move |e| e.set_secret(&bytes))?
            .map_err(|e| self.failed(&format!("writing `{user}`"), &e))
    }

    fn delete(&self, user: &str) -> Result<bool, KeyringError> {
        match self.call(user, |e| e.delete_credential())? {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.failed(&format!("removing `{user}`"), &e)),
        }
    }
}

impl Keyring {
    /// Opens the store `name`, one of [`crate::os::keyring::STORES`] (the
    /// first, the system's default, when `None`).
    pub fn open(name: Option<&str>) -> Result<Keyring, KeyringError> {
        let stores = crate::os::keyring::STORES;
        let name = match name {
            Some(name) => name.to_owned(),
            None => (*stores.first().ok_or_else(|| {
                KeyringError("this system has no credential store ssocred can use".to_owned())
            })?)
            .to_owned(),
        };
        if !stores.contains(&name.as_str()) {
            return Err(KeyringError(format!(
                "no credential store `{name}` on this system (it has: {})",
                stores.join(", ")
            )));
        }
        let opened = {
            let name = name.clone();
            on_thread(TIMEOUT, move || crate::os::keyring::open(&name))
        };
        let store = match opened {
            Some(Ok(store)) => store,
            Some(Err(e)) => {
                return Err(KeyringError(format!(
                    "the credential store `{name}` cannot be opened: {}",
                    describe(&e)
                )));
            }
            None => return Err(timed_out(&name)),
        };
        Ok(Keyring {
            slots: Arc::new(StoreSlots {
                name: name.clone(),
                store,
                timeout: TIMEOUT,
            }),
            name,
        })
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value stored under `name`, whole or from its pieces.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, KeyringError> {
        let Some(head) = self.slots.get(name)? else {
            return Ok(None);
        };
        if let Some(value) = head.strip_prefix(WHOLE) {
            return Ok(Some(value.to_vec()));
        }
        let Some((count, digest)) = parse_manifest(&head) else {
            return Err(KeyringError(format!(
                "the credential store `{}`: `{name}` is not in ssocred's format",
                self.name
            )));
        };
        let mut value = Vec::new();
        for i in 1..=count {
            let piece = self.slots.get(&format!("{name}#{i}"))?.ok_or_else(|| {
                KeyringError(format!(
                    "the credential store `{}`: piece {i} of `{name}` is missing",
                    self.name
                ))
            })?;
            value.extend_from_slice(&piece);
        }
        if hex(&Sha256::digest(&value)) != digest {
            return Err(KeyringError(format!(
                "the credential store `{}`: the pieces of `{name}` do not match its manifest",
                self.name
            )));
        }
        Ok(Some(value))
    }

    /// Stores `value` under `name`, in pieces when it is over [`CHUNK`]
    /// bytes; pieces of an earlier, longer value are removed.
    pub fn set(&self, name: &str, value: &[u8]) -> Result<(), KeyringError> {
        let before = self.pieces(name)?;
        let count = if value.len() + WHOLE.len() <= CHUNK {
            let mut whole = WHOLE.to_vec();
            whole.extend_from_slice(value);
            self.slots.set(name, whole)?;
            0
        } else {
            let pieces: Vec<&[u8]> = value.chunks(CHUNK).collect();
            for (i, piece) in pieces.iter().enumerate() {
                self.slots
                    .set(&format!("{name}#{}", i + 1), piece.to_vec())?;
            }
            let mut manifest = MANIFEST.to_vec();
            manifest.extend_from_slice(
                format!("{}:{}", pieces.len(), hex(&Sha256::digest(value))).as_bytes(),
            );
            self.slots.set(name, manifest)?;
            pieces.len()
        };
        for i in count + 1..=before {
            self.slots.delete(&format!("{name}#{i}"))?;
        }
        Ok(())
    }

    /// Removes `name` and its pieces; whether anything was there.
    pub fn delete(&self, name: &str) -> Result<bool, KeyringError> {
        for i in 1..=self.pieces(name)? {
            self.slots.delete(&format!("{name}#{i}"))?;
        }
        self.slots.delete(name)
    }

    /// How many pieces the value under `name` has (0 when whole or absent).
    fn pieces(&self, name: &str) -> Result<usize, KeyringError> {
        Ok(self
            .slots
            .get(name)?
            .and_then(|h| parse_manifest(&h))
            .map_or(0, |(n, _)| n))
    }
}

/// The count and digest of a manifest.
fn parse_manifest(head: &[u8]) -> Option<(usize, String)> {
    let rest = std::str::from_utf8(head.strip_prefix(MANIFEST)?).ok()?;
    let (count, digest) = rest.split_once(':')?;
    Some((count.parse().ok().filter(|n| *n <= 64)?, digest.to_owned()))
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn timed_out(name: &str) -> KeyringError {
    KeyringError(format!(
        "the credential store `{name}` did not answer within {} s: it may be locked with no way to show its unlock dialog here (SSH, no desktop session); unlock it, or keep tokens in the AWS CLI's file ([login] token_store = \"file\", or --token-store file)",
        TIMEOUT.as_secs()
    ))
}

/// Runs `op` on a thread of its own; `None` when it has not finished
/// within `timeout` (the thread is left to end or hang on its own).
fn on_thread<T: Send + 'static>(
    timeout: Duration,
    op: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("ssocred-keyring".to_owned())
        .spawn(move || {
            let _ = tx.send(op());
        })
        .ok()?;
    rx.recv_timeout(timeout).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// An in-memory store.
    #[derive(Default)]
    struct Memory(Mutex<HashMap<String, Vec<u8>>>);

    impl Slots for Memory {
        fn get(&self, user: &str) -> Result<Option<Vec<u8>>, KeyringError> {
            Ok(self.0.lock().unwrap().get(user).cloned())
        }
        fn set(&self, user: &str, bytes: Vec<u8>) -> Result<(), KeyringError> {
            assert!(bytes.len() <= CHUNK, "{user}: {} bytes", bytes.len());
            self.0.lock().unwrap().insert(user.to_owned(), bytes);
            Ok(())
        }
        fn delete(&self, user: &str) -> Result<bool, KeyringError> {
            Ok(self.0.lock().unwrap().remove(user).is_some())
        }
    }

    fn memory() -> (Keyring, Arc<Memory>) {
        let slots = Arc::new(Memory::default());
        let keyring = Keyring {
            name: "memory".to_owned(),
            slots: Arc::clone(&slots) as Arc<dyn Slots>,
        };
        (keyring, slots)
    }

    #[test]
    fn short_and_long_values_come_back_whole_and_pieces_are_cleaned_up() {
        let (k, slots) = memory();
        assert_eq!(k.get("t").unwrap(), None);
        k.set("t", b"short").unwrap();
        assert_eq!(k.get("t").unwrap().as_deref(), Some(&b"short"[..]));
        let long: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        k.set("t", &long).unwrap();
        assert_eq!(k.get("t").unwrap(), Some(long.clone()));
        assert_eq!(slots.0.lock().unwrap().len(), 4, "a manifest and 3 pieces");
        // A shorter value leaves no piece of the longer one behind.
        k.set("t", b"again").unwrap();
        assert_eq!(slots.0.lock().unwrap().len(), 1);
        k.set("t", &long).unwrap();
        assert!(k.delete("t").unwrap());
        assert!(slots.0.lock().unwrap().is_empty());
        assert!(!k.delete("t").unwrap());
    }

    #[test]
    fn damaged_pieces_are_refused_not_returned() {
        let (k, slots) = memory();
        k.set("t", &vec![b'x'; 4500]).unwrap();
        slots.set("t#2", b"tampered".to_vec()).unwrap();
        let e = k.get("t").unwrap_err();
        assert!(e.0.contains("do not match"), "{e}");
        slots.delete("t#3").unwrap();
        assert!(k.get("t").unwrap_err().0.contains("piece 3"));
        slots.set("u", b"not ours".to_vec()).unwrap();
        assert!(
            k.get("u")
                .unwrap_err()
                .0
                .contains("not in ssocred's format")
        );
    }

    #[test]
    fn a_store_that_does_not_answer_times_out() {
        let start = std::time::Instant::now();
        let answer = on_thread(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
        });
        assert!(answer.is_none());
        assert!(start.elapsed() < Duration::from_secs(2));
        assert!(
            timed_out("secret-service")
                .0
                .contains("token_store = \"file\"")
        );
    }

    #[test]
    fn an_unknown_store_is_named_with_the_ones_there_are() {
        let e = Keyring::open(Some("floppy")).unwrap_err();
        assert!(e.0.contains("no credential store `floppy`"), "{e}");
    }
}

//! The role-cache entry parser: any bytes parse or are a miss, and the
//! secrets of a parsed entry never show in Debug output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssocred_core::ExposeSecret;
use ssocred_core::role_cache::parse_entry;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = parse_entry(data) {
        let shown = format!("{entry:?}");
        for secret in [
            entry.secret_access_key.expose_secret(),
            entry.session_token.expose_secret(),
        ] {
            if secret.len() >= 8 && !entry.access_key_id.contains(secret) {
                assert!(!shown.contains(secret));
            }
        }
    }
});

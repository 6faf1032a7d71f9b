//! The SSO token-cache parser: any bytes parse or fail with a message that
//! never quotes the file, and a parsed token never shows in Debug output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssocred_core::ExposeSecret;
use ssocred_core::domain::time_fmt;
use ssocred_core::login::sso_cache;

fuzz_target!(|data: &[u8]| {
    match sso_cache::parse(data) {
        Ok(parsed) => {
            let secret = parsed.access_token.expose_secret();
            assert!(!secret.is_empty());
            let _ = time_fmt::parse_expiry(&parsed.expires_at);
            let elsewhere = [
                Some(parsed.expires_at.as_str()),
                parsed.start_url.as_deref(),
                parsed.region.as_deref(),
            ];
            let shown_elsewhere = elsewhere.iter().flatten().any(|f| f.contains(secret));
            if secret.len() >= 8 && !shown_elsewhere {
                assert!(!format!("{parsed:?}").contains(secret));
            }
        }
        Err(message) => assert!(!message.is_empty()),
    }
});

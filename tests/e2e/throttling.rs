//! A portal that throttles: every call of an invocation is paced by one
//! adaptive limiter, a 429 is sent again until it succeeds, and a run fails
//! for throttling only after no call has succeeded for the give-up time.

use std::time::{Duration, Instant};

use ssocred_emulator::{EmulatorConfig, Operation};

use crate::world::*;

/// Shortens the give-up time (120 s) for tests; see docs/security.md.
const GIVE_UP: &str = "SSOCRED_THROTTLE_GIVE_UP_SECS";

/// Listing calls sent, 429s included.
fn listing_calls(w: &World) -> u64 {
    w.emulator.count(Operation::ListAccounts) + w.emulator.count(Operation::ListAccountRoles)
}

#[test]
fn list_and_discover_get_every_role_from_a_rate_limited_portal() {
    // 1 account page + 60 role listings against a portal that admits 15
    // calls a second after a burst of 3: the default concurrency (16) sends
    // far faster than that.
    let w = World::with_emulator(
        EmulatorConfig::generated(60, 3)
            .with_token(TOKEN)
            .page_size(100)
            .rate_limit(15.0, 3),
    );
    for args in [
        &["list", "-p", "modern", "--json"][..],
        &[
            "list",
            "-p",
            "modern",
            "--json",
            "--concurrency",
            "4",
            "--refresh",
        ],
    ] {
        w.emulator.reset_counts();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&ok(&w.run(args))).unwrap();
        assert_eq!(rows.len(), 180, "{args:?}");
        assert_eq!(rows[179]["account_id"], "100000000059", "{args:?}");
        let throttled = w.emulator.throttled();
        assert!(throttled > 0, "{args:?}: the portal never throttled");
        // Every 429 was sent again; nothing else was repeated.
        assert_eq!(listing_calls(&w), 1 + 60 + throttled, "{args:?}");
    }

    w.emulator.reset_counts();
    let out = w.run(&["discover", "-p", "modern"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(w.emulator.throttled() > 0, "the portal never throttled");
    let config = std::fs::read_to_string(w.config_path()).unwrap();
    let block = &config[config.find("# BEGIN ssocred discover").unwrap()..];
    assert_eq!(block.matches("\n[profile ").count(), 180, "{block}");
    assert!(block.contains("[profile 100000000059-"), "{block}");
}

#[test]
fn a_portal_that_throttles_every_call_fails_after_the_give_up_time() {
    let w = World::with_emulator(
        EmulatorConfig::generated(3, 1)
            .with_token(TOKEN)
            .throttle_every(1),
    );
    let started = Instant::now();
    let out = w
        .cmd()
        .env(GIVE_UP, "2")
        .args(["list", "-p", "modern"])
        .run_to_end();
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("ListAccounts still throttled (429): no call to the portal succeeded for 2 s")
            && err.contains("lower --concurrency")
            && err.contains(&w.emulator.url()),
        "{err}"
    );
    // Not a fixed number of attempts: the call was sent again and again
    // until the give-up time had passed.
    assert!(took >= Duration::from_secs(2), "gave up after {took:?}");
    let sent = w.emulator.count(Operation::ListAccounts);
    assert!(sent >= 2, "sent {sent} times");
    assert_eq!(w.emulator.throttled(), sent);
    assert_eq!(w.emulator.count(Operation::ListAccountRoles), 0);
}

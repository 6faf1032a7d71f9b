//! `rate_limit`: a token bucket over portal calls, answered with 429
//! `TooManyRequestsException` as the portal does, that refused calls do not
//! drain.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use ssocred_emulator::{Emulator, EmulatorConfig, Operation};
use support::{Response, TOKEN, get, logout};

const CREDENTIALS: &str = "/federation/credentials?role_name=ReadOnly&account_id=100000000000";

fn start(per_second: f64, burst: u32) -> Emulator {
    Emulator::start(
        EmulatorConfig::generated(1, 1)
            .with_token(TOKEN)
            .rate_limit(per_second, burst),
    )
    .expect("emulator starts")
}

fn credentials(emulator: &Emulator) -> Response {
    get(emulator.port(), CREDENTIALS, Some(TOKEN))
}

/// `calls` requests for credentials released at the same moment.
fn burst(emulator: &Emulator, calls: usize) -> Vec<Response> {
    let port = emulator.port();
    let start = Arc::new(Barrier::new(calls));
    let threads: Vec<_> = (0..calls)
        .map(|_| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                get(port, CREDENTIALS, Some(TOKEN))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn a_burst_of_b_plus_k_calls_gets_b_answers_and_k_429s() {
    // One token every 5 s: none comes back while the burst is served.
    let emulator = start(0.2, 5);

    let answers = burst(&emulator, 8);

    let (ok, refused): (Vec<_>, Vec<_>) = answers.iter().partition(|r| r.status == 200);
    assert_eq!(ok.len(), 5, "{answers:?}");
    for answer in &refused {
        let message = answer.expect_error(429, "TooManyRequestsException");
        assert_eq!(message, "Rate exceeded");
    }
    assert_eq!(refused.len(), 3);
    assert_eq!(emulator.throttled(), 3);
    assert_eq!(emulator.counts()["Throttled"], 3);
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 8);
    assert_eq!(emulator.issued().len(), 5, "a 429 issues nothing");
}

#[test]
fn one_more_token_is_there_after_one_over_r_seconds() {
    let per_second = 0.5;
    let emulator = start(per_second, 1);
    let refill = Duration::from_secs_f64(1.0 / per_second);

    assert_eq!(credentials(&emulator).status, 200);
    // The token was taken before this point, so a full refill period is
    // over once `refill` has passed from here.
    let first_answered = Instant::now();
    credentials(&emulator).expect_error(429, "TooManyRequestsException");
    credentials(&emulator).expect_error(429, "TooManyRequestsException");
    thread::sleep(refill.saturating_sub(first_answered.elapsed()));

    // The two refused calls took nothing: exactly one token is back.
    assert_eq!(credentials(&emulator).status, 200);
    credentials(&emulator).expect_error(429, "TooManyRequestsException");
    assert_eq!(emulator.throttled(), 3);
}

#[test]
fn the_admitted_rate_converges_to_r() {
    let per_second = 20.0;
    let burst = 2;
    let emulator = start(per_second, burst);
    let port = emulator.port();
    let window = Duration::from_secs(3);

    // Four clients call as fast as they can (with a short pause, to bound
    // the number of calls), far more often than 20 times a second.
    let started = Instant::now();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                let mut admitted = 0u32;
                while started.elapsed() < window {
                    if get(port, CREDENTIALS, Some(TOKEN)).status == 200 {
                        admitted += 1;
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                admitted
            })
        })
        .collect();
    let admitted: u32 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let elapsed = started.elapsed().as_secs_f64();

    // Every call fell inside `elapsed`, so the bucket cannot have handed out
    // more than the burst plus R a second over it.
    let most = f64::from(burst) + per_second * elapsed;
    assert!(f64::from(admitted) <= most + 0.5, "{admitted} > {most}");
    let rate = f64::from(admitted - burst) / elapsed;
    assert!(
        (per_second * 0.8..=per_second * 1.05).contains(&rate),
        "{admitted} admitted in {elapsed:.2} s: {rate:.1}/s, not about {per_second}/s"
    );
    assert!(emulator.throttled() > 0);
    assert_eq!(u64::from(admitted), emulator.issued().len() as u64);
}

#[test]
fn the_bucket_covers_every_portal_operation_but_not_oidc() {
    let emulator = start(0.2, 3);
    let port = emulator.port();

    let accounts = get(port, "/assignment/accounts", Some(TOKEN));
    let roles = get(
        port,
        "/assignment/roles?account_id=100000000000",
        Some(TOKEN),
    );
    let creds = credentials(&emulator);
    let refused_logout = logout(port, TOKEN);
    let registrations: Vec<u16> = (0..3).map(|_| register_client(port)).collect();

    assert_eq!(
        [accounts.status, roles.status, creds.status],
        [200, 200, 200]
    );
    refused_logout.expect_error(429, "TooManyRequestsException");
    assert!(
        emulator.logged_out_tokens().is_empty(),
        "a throttled logout does nothing"
    );
    assert_eq!(registrations, [200, 200, 200], "OIDC is not rate limited");
    assert_eq!(emulator.throttled(), 1);
}

#[test]
fn unauthorised_calls_take_no_token() {
    let emulator = start(0.2, 1);

    get(emulator.port(), CREDENTIALS, None).expect_error(401, "UnauthorizedException");
    get(emulator.port(), CREDENTIALS, Some("wrong")).expect_error(401, "UnauthorizedException");

    assert_eq!(credentials(&emulator).status, 200);
    credentials(&emulator).expect_error(429, "TooManyRequestsException");
    assert_eq!(emulator.throttled(), 1);
}

#[test]
fn reset_refills_the_bucket_and_the_limit_can_change_at_runtime() {
    let emulator = start(0.2, 1);

    assert_eq!(credentials(&emulator).status, 200);
    credentials(&emulator).expect_error(429, "TooManyRequestsException");
    emulator.reset_counts();
    let after_reset = credentials(&emulator).status;
    emulator.set_rate_limit(None);
    let unlimited: Vec<u16> = (0..5).map(|_| credentials(&emulator).status).collect();
    emulator.set_rate_limit(Some((0.2, 2)));
    let limited: Vec<u16> = (0..3).map(|_| credentials(&emulator).status).collect();

    assert_eq!(after_reset, 200);
    assert_eq!(unlimited, [200; 5]);
    assert_eq!(limited, [200, 200, 429]);
}

#[test]
fn no_rate_limit_by_default() {
    let emulator = Emulator::start(EmulatorConfig::generated(1, 1).with_token(TOKEN)).unwrap();

    let answers = burst(&emulator, 20);

    assert!(answers.iter().all(|r| r.status == 200), "{answers:?}");
    assert_eq!(emulator.throttled(), 0);
}

/// RegisterClient on the OIDC side of the same port; returns the status.
fn register_client(port: u16) -> u16 {
    let body = json!({"clientName": "t", "clientType": "public"}).to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /client/register HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {reply:?}"))
}

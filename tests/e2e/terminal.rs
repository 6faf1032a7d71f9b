//! Text from the portal on the terminal: account and role names with
//! control characters are shown escaped, and stay exact in JSON.

use ssocred_emulator::Account;

use crate::world::*;

const HOSTILE: &str = "Evil\u{1b}[31m\nssocred: fake line\u{202e}";
const SHOWN: &str = r"Evil\u{1b}[31m\nssocred: fake line\u{202e}";

fn hostile_world(role: &str) -> World {
    World::with_emulator(base_emulator().account(Account::new("333333333333", HOSTILE).role(role)))
}

#[test]
fn list_shows_an_account_name_with_controls_escaped() {
    let w = hostile_world("Admin");
    let out = ok(&w.run(&["list", "-p", "modern"]));
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("333333333333"))
        .unwrap_or_else(|| panic!("no row for the account in {out}"));
    assert!(row.contains(SHOWN), "{row}");
    assert!(
        row.ends_with("arn:aws:iam::333333333333:role/Admin"),
        "{row}"
    );
    // A header and one line per role: the newline forged no line.
    assert_eq!(out.lines().count(), 1 + 5, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("ssocred:")), "{out}");

    // JSON is for machines: the value stays exact, escaped by JSON itself.
    let json = ok_json(&w.run(&["list", "-p", "modern", "--json"]));
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["account_name"].as_str())
        .collect();
    assert!(names.contains(&HOSTILE), "{names:?}");
}

#[test]
fn a_role_name_that_smuggles_controls_into_its_arn_is_refused_escaped() {
    let w = hostile_world("x\u{1b}[2J\nssocred: fake/Admin");
    let out = w.run(&["list", "-p", "modern"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("no valid ARN"), "{stderr}");
    assert!(
        stderr.contains(r"role/x\u{1b}[2J\nssocred: fake/Admin"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// A server that answers every request with 400 and a hostile message, as
/// both the portal and OIDC would word an error. Returns its URL.
fn hostile_error_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            let _ = stream.read_exact(&mut body);
            let reply = r#"{"__type":"InvalidRequestException","message":"\u001b[2Jbad\nssocred: fake line"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nx-amzn-errortype: InvalidRequestException\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    url
}

#[test]
fn portal_and_oidc_error_messages_are_shown_escaped() {
    let w = World::new();
    let url = hostile_error_server();
    let portal = w
        .cmd()
        .env("AWS_ENDPOINT_URL_SSO", &url)
        .args(["list", "-p", "modern"])
        .run_to_end();
    let oidc = w
        .cmd()
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &url)
        .args(["login", "-p", "modern", "--device-code", "--no-browser"])
        .run_to_end();
    for out in [portal, oidc] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{stderr}");
        assert!(
            stderr.contains(r"\u{1b}[2Jbad\nssocred: fake line"),
            "{stderr}"
        );
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
        assert!(
            !stderr.lines().any(|l| l.starts_with("ssocred: fake")),
            "{stderr}"
        );
    }
}

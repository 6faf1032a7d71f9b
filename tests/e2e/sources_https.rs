//! A team source that is one file over HTTPS, pinned by its SHA-256: served
//! by the emulator with a private CA, reached through ssocred's network
//! settings (`AWS_CA_BUNDLE`), written by `ssocred sync` only when the
//! digest is the pinned one.

use sha2::{Digest, Sha256};

use crate::world::*;

const MINE: &str = "# mine\n[profile mine]\nregion = us-west-2\n";

const TEAM: &str = "[sso-session.corp]\nstart_url = \"https://d-corp.awsapps.com/start\"\nregion = \"us-east-1\"\n\n[profile.team-prod]\nsso_session = \"corp\"\nsso_account_id = \"123456789012\"\nsso_role_name = \"ReadOnly\"\nregion = \"eu-west-1\"\n";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn an_https_file_pinned_by_sha256_is_synced_through_the_private_ca_and_nothing_else_is() {
    let huge = "# x\n".repeat(70 * 1024);
    let w = World::with_emulator(
        base_emulator()
            .tls(true)
            .file("/aws/ssocred-team.toml", TEAM)
            .file("/aws/huge.toml", huge.as_str()),
    );
    w.write_config(MINE);
    let bundle = w.home().join("corp-ca.pem");
    std::fs::write(&bundle, w.emulator.ca_pem().unwrap()).unwrap();
    let url = format!("{}/aws/ssocred-team.toml", w.emulator.url());
    let sync = |name: &str| {
        w.cmd()
            .args(["sync", name])
            .env("AWS_CA_BUNDLE", &bundle)
            .run_to_end()
    };
    let unchanged = |what: &str| {
        assert_eq!(
            std::fs::read(w.config_path()).unwrap(),
            MINE.as_bytes(),
            "{what}: nothing is written"
        );
    };

    // A digest that is not the file's: exit 2, naming the one it has.
    ok(&w.run(&["source", "add", "team", &url, "--sha256", &"0".repeat(64)]));
    let out = sync("team");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&sha256(TEAM)), "{}", stderr(&out));
    unchanged("a wrong digest");

    // The right one: written, through the private CA.
    ok(&w.run(&["source", "add", "team", &url, "--sha256", &sha256(TEAM)]));
    let without_ca = w.run(&["sync", "team"]);
    assert_eq!(without_ca.status.code(), Some(6), "{}", stderr(&without_ca));
    unchanged("an untrusted certificate");
    let diff = ok(&sync("team"));
    assert!(
        diff.contains(&format!(
            "+# Written by `ssocred sync` from team source `team` at sha256:{}",
            sha256(TEAM)
        )),
        "{diff}"
    );
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(
        text.starts_with(MINE) && text.contains("[profile team-prod]\n"),
        "{text}"
    );
    let listed = ok(&w.run(&["source", "list"]));
    assert!(
        listed.contains(&format!("sha256={}", sha256(TEAM))),
        "{listed}"
    );

    // A missing file and one over the limit fail, and write nothing.
    let before = std::fs::read(w.config_path()).unwrap();
    for (name, path, body, says) in [
        ("gone", "/aws/missing.toml", TEAM, "HTTP 404"),
        (
            "huge",
            "/aws/huge.toml",
            huge.as_str(),
            "refused the answer",
        ),
    ] {
        let url = format!("{}{path}", w.emulator.url());
        ok(&w.run(&["source", "add", name, &url, "--sha256", &sha256(body)]));
        let out = sync(name);
        assert_eq!(out.status.code(), Some(6), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("team source `{name}`")) && err.contains(says),
            "{err}"
        );
        assert_eq!(std::fs::read(w.config_path()).unwrap(), before, "{name}");
    }
    // --sha256 takes no --ref, and only https.
    let out = w.run(&[
        "source",
        "add",
        "x",
        &url,
        "--sha256",
        &sha256(TEAM),
        "--ref",
        "v1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let plain = url.replace("https://", "http://");
    let out = w.run(&["source", "add", "x", &plain, "--sha256", &sha256(TEAM)]);
    assert_eq!(out.status.code(), Some(2));
}

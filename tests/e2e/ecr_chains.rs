//! The ECR token cache and role chains (issue 21): two chains whose hops
//! differ only in how their options split get tokens of their own.

use ssocred_emulator::StsOperation;

use crate::world::*;

/// The review's collision: a preset whose hop has the external id
/// `ext-1,session-name=xy`, and one whose hop has the external id `ext-1`
/// and the session name `xy`. Only the second is trusted; the first must
/// never be served the second's cached ECR token.
#[test]
fn two_chains_that_only_split_their_options_differently_get_their_own_ecr_tokens() {
    const PUSH: &str = "arn:aws:iam::555555555555:role/Push";
    let w =
        World::with_emulator(base_emulator().trust_with_external_id(PUSH, READ_ONLY_ARN, "ext-1"));
    let dir = w.home().join(".config/ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    let config = |external_id: &str, session: Option<&str>| {
        let session = session
            .map(|s| format!(", session_name = \"{s}\""))
            .unwrap_or_default();
        format!(
            "[preset.push]\nprofile = \"modern\"\nrole_arn = \"{READ_ONLY_ARN}\"\nassume = [{{ role_arn = \"{PUSH}\", external_id = \"{external_id}\"{session} }}]\n\n\
             [[registry]]\nmatch = \"555555555555\"\npreset = \"push\"\n"
        )
    };
    let get = || {
        let mut cmd = w.cmd();
        cmd.args(["docker-credential", "get"])
            .env("AWS_ENDPOINT_URL_ECR", w.emulator.url());
        ssocred_test_support::run_with_stdin(
            &mut cmd,
            b"https://555555555555.dkr.ecr.us-east-1.amazonaws.com",
        )
    };
    std::fs::write(dir.join("config.toml"), config("ext-1", Some("xy"))).unwrap();
    let json = ok_json(&get());
    let owner = w
        .emulator
        .ecr_token_owner(json["Secret"].as_str().unwrap())
        .expect("a password the emulator issued");
    assert_eq!(owner.role_name, "Push");

    // The other chain: STS refuses it (the external id does not match), so
    // the helper fails; a shared cache entry would have answered it.
    std::fs::write(
        dir.join("config.toml"),
        config("ext-1,session-name=xy", None),
    )
    .unwrap();
    let out = get();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains(json["Secret"].as_str().unwrap()),
        "{stdout}"
    );
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 2);
}

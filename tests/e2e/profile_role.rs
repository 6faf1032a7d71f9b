//! A profile that names its own role (`sso_account_id`, `sso_role_name`)
//! serves every command that needs one role, as it serves `--sink`:
//! `kubeconfig` and `exec` included.

use crate::world::*;

const CLUSTER: &str = "demo";

#[test]
fn kubeconfig_takes_the_role_of_a_profile_that_names_one() {
    let w = World::new();
    let out = ok(&w.run(&["kubeconfig", "--cluster", CLUSTER, "-p", "pinned"]));
    assert!(
        out.contains(&format!(
            "      args: [\"-p\", \"pinned\", \"--sink\", \"eks,cluster={CLUSTER}\"]\n"
        )),
        "{out}"
    );
    // A profile from the environment is written into the entry, so kubectl's
    // own environment cannot pick another.
    let out = w
        .cmd()
        .env("AWS_PROFILE", "pinned")
        .args(["kubeconfig", "--cluster", CLUSTER, "--kubectl"])
        .run_to_end();
    assert!(
        ok(&out).contains("--exec-arg=-p --exec-arg=pinned --exec-arg=--sink"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // What kubectl will run works, with the profile's role.
    ok(&w.run(&["-p", "pinned", "--sink", &format!("eks,cluster={CLUSTER}")]));
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "Developer")
    );

    // A profile without a role still needs one named.
    let out = w.run(&["kubeconfig", "--cluster", CLUSTER, "-p", "modern"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sso_account_id and sso_role_name"));
}

#[test]
fn exec_takes_the_role_of_a_profile_that_names_one() {
    let w = World::new();
    // The command prints its environment: `env`, or `set` in `cmd` on
    // Windows (with CRLF line ends).
    let printer: &[&str] = if cfg!(windows) {
        &["cmd", "/C", "set"]
    } else {
        &["env"]
    };
    let mut args = vec!["exec", "-p", "pinned", "--"];
    args.extend(printer);
    let out = ok(&w.run(&args)).replace("\r\n", "\n");
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "Developer")
    );
    assert!(
        out.contains(&format!("AWS_ACCESS_KEY_ID={}\n", i.access_key_id)),
        "{out}"
    );
}

//! `list --changes` and `discover`: the roles added and removed since the
//! last listing of a login. Two emulators with different assignments stand
//! for the portal before and after an administrator's change.

use ssocred_emulator::{Account, Emulator};

use crate::world::*;

/// The portal after the change: Admin is gone from prod, and a new account
/// with one role is assigned.
fn changed_portal() -> Emulator {
    Emulator::start(
        ssocred_emulator::EmulatorConfig::new()
            .account(Account::new(PROD, "Prod").role("ReadOnly"))
            .account(
                Account::new(DEV, "Dev ünïcode 'quoted'")
                    .role("Developer")
                    .role("My.Role+x=y,z@w"),
            )
            .account(Account::new("333333333333", "New").role("Ops"))
            .with_token(TOKEN),
    )
    .unwrap()
}

#[test]
fn list_changes_names_the_roles_added_and_removed_since_the_last_listing() {
    let w = World::new();
    let after = changed_portal();
    let first = w.run(&["list", "-p", "modern", "--changes"]);
    let all = ok(&first);
    assert_eq!(all.lines().count(), 4, "{all}");
    assert!(
        all.lines().all(|l| l.starts_with("+ arn:aws:iam::")),
        "{all}"
    );
    assert!(
        stderr(&first).contains("no earlier listing"),
        "{}",
        stderr(&first)
    );

    let on_after = |args: &[&str]| {
        w.cmd()
            .args(args)
            .env("AWS_ENDPOINT_URL_SSO", after.url())
            .run_to_end()
    };
    let changes = ok(&on_after(&["list", "-p", "modern", "--changes"]));
    assert_eq!(
        changes,
        "+ arn:aws:iam::333333333333:role/Ops\n- arn:aws:iam::123456789012:role/Admin\n"
    );
    // Nothing changed since: nothing printed.
    assert_eq!(ok(&on_after(&["list", "-p", "modern", "--changes"])), "");
    // A plain list records too, and --json says when the last one was.
    let json = ok_json(&w.run(&["list", "-p", "modern", "--changes", "--json"]));
    assert_eq!(
        json["added"][0], "arn:aws:iam::123456789012:role/Admin",
        "{json}"
    );
    assert_eq!(
        json["removed"][0], "arn:aws:iam::333333333333:role/Ops",
        "{json}"
    );
    assert!(json["since"].as_i64().unwrap() > 1_700_000_000, "{json}");

    // discover says what changed since, on stderr; a dry run records
    // nothing, so the change is still there for the real run.
    for args in [
        &["discover", "-p", "modern", "--dry-run"][..],
        &["discover", "-p", "modern"],
    ] {
        let out = on_after(args);
        ok(&out);
        let err = stderr(&out);
        assert!(
            err.contains("1 role(s) added, 1 removed")
                && err.contains("+ arn:aws:iam::333333333333:role/Ops")
                && err.contains("- arn:aws:iam::123456789012:role/Admin"),
            "{args:?}: {err}"
        );
    }
    let out = on_after(&["discover", "-p", "modern"]);
    assert!(
        !stderr(&out).contains("since the last listing"),
        "{}",
        stderr(&out)
    );

    // Tags come from a team source; this login has none.
    let out = w.run(&["list", "-p", "modern", "--tag", "env=prod"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no synced team source"),
        "{}",
        stderr(&out)
    );

    // Changes are of whole listings.
    let out = w.run(&["list", "-p", "modern", "--changes", "--account", "Prod"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

//! The recorded listing of a login's roles: `list` and a pick among
//! several roles answer from it while it is younger than
//! `[listing] max_age_hours` (a day unless set), with no call and no login;
//! `--refresh`, a max age of 0 and an older listing list anew.

use ssocred_emulator::Operation;

use crate::world::*;

/// The listing files of the world's logins.
fn listing_files(w: &World) -> Vec<std::path::PathBuf> {
    let dir = w.home().join(".cache").join("ssocred").join("listings");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "listing"))
                .collect()
        })
        .unwrap_or_default()
}

/// Moves the one recorded listing `hours` into the past.
fn age_listing(w: &World, hours: i64) {
    let files = listing_files(w);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let at: i64 = first.rsplit(' ').next().unwrap().parse().unwrap();
    let older = format!("ssocred-listing 1 {}\n{rest}", at - hours * 3600);
    std::fs::write(&files[0], older).unwrap();
}

fn listings(w: &World) -> u64 {
    w.emulator.count(Operation::ListAccounts)
}

#[test]
fn list_answers_from_a_fresh_listing_without_a_call_or_a_login() {
    let w = World::new();
    let first = ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 1);
    assert_eq!(first.lines().count(), 5, "a header and four roles: {first}");

    // The second answer needs neither the portal nor a valid login.
    std::fs::remove_dir_all(w.aws_dir().join("sso")).unwrap();
    let again = w
        .cmd()
        .args(["list", "-p", "modern"])
        .env("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")
        .run_to_end();
    assert_eq!(ok(&again), first);
    assert_eq!(listings(&w), 1);
    let json = ok_json(&w.run(&["list", "-p", "modern", "--json"]));
    assert_eq!(json.as_array().unwrap().len(), 4, "{json}");
    assert_eq!(json[0]["account_name"], "Prod", "{json}");
    let filtered = ok(&w.run(&["list", "-p", "modern", "--role", "dev*"]));
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    assert_eq!(listings(&w), 1, "filters work on the recorded listing");

    // --refresh lists anew, and needs the login again.
    let out = w.run(&["list", "-p", "modern", "--refresh"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    w.write_token(
        "corp",
        TOKEN,
        &(time::OffsetDateTime::now_utc() + time::Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
    );
    ok(&w.run(&["list", "-p", "modern", "--refresh"]));
    assert_eq!(listings(&w), 2);
    // A max age of 0, from the environment or the config, lists each time.
    let zero = w
        .cmd()
        .args(["list", "-p", "modern"])
        .env("SSOCRED_LISTING_MAX_AGE_HOURS", "0")
        .run_to_end();
    ok(&zero);
    assert_eq!(listings(&w), 3);
    let config = w.home().join(".config").join("ssocred").join("config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[listing]\nmax_age_hours = 0\n").unwrap();
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 4);
    std::fs::write(&config, "[listing]\nmax_age_hours = 2\n").unwrap();
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 4, "younger than 2 hours");
    // A listing older than the max age is listed anew.
    age_listing(&w, 3);
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 5);
    // A bad value names its variable.
    let bad = w
        .cmd()
        .args(["list", "-p", "modern"])
        .env("SSOCRED_LISTING_MAX_AGE_HOURS", "soon")
        .run_to_end();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("SSOCRED_LISTING_MAX_AGE_HOURS=soon"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn the_default_max_age_is_a_day() {
    let w = World::new();
    ok(&w.run(&["list", "-p", "modern"]));
    age_listing(&w, 23);
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 1, "23 hours old is fresh");
    age_listing(&w, 2);
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 2, "25 hours old is listed anew");
}

/// A pick by patterns takes its role from the recorded listing; a role
/// the listing lacks (perhaps granted since) lists anew; `--all` always
/// lists.
#[test]
fn a_pick_among_roles_uses_the_recorded_listing_and_lists_for_what_it_lacks() {
    let w = World::new();
    ok(&w.run(&["list", "-p", "modern"]));
    let pick = |role: &str| {
        w.run(&[
            "-p",
            "modern",
            "--account",
            "Prod",
            "--role",
            role,
            "--sink",
            "process",
        ])
    };
    ok_json(&pick("Read*"));
    assert_eq!(listings(&w), 1, "the pick came from the recorded listing");
    assert_eq!(
        w.emulator.issued().last().unwrap().role_name,
        "ReadOnly",
        "the role picked"
    );
    let missing = pick("Nothing*");
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert_eq!(listings(&w), 2, "a role the listing lacks is listed anew");
    ok(&w.run(&[
        "-p",
        "modern",
        "--account",
        "Prod",
        "--all",
        "--sink",
        "json",
    ]));
    assert_eq!(listings(&w), 3, "--all lists anew");
}

/// A listing file that is not one (garbled, or a directory) is no listing:
/// `list` asks the portal and writes a good one.
#[test]
fn a_garbled_listing_is_listed_anew_and_replaced() {
    let w = World::new();
    ok(&w.run(&["list", "-p", "modern"]));
    let file = listing_files(&w).remove(0);
    // Fresh, and (unlike the table beside it) not of the first listing's
    // second.
    let then = time::OffsetDateTime::now_utc().unix_timestamp() - 100;
    std::fs::write(&file, format!("ssocred-listing 1 {then}\nnot\ta listing\n")).unwrap();
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 2);
    ok(&w.run(&["list", "-p", "modern"]));
    assert_eq!(listings(&w), 2, "the listing was replaced with a good one");
}

/// The table of every role, rendered when the listing was recorded, is
/// what `list` copies; one of another listing is passed over, and one that
/// would put a control character on the terminal is refused (exit 3,
/// naming it) without printing it.
#[test]
fn the_recorded_table_is_copied_checked_and_matched_to_its_listing() {
    let w = World::new();
    let first = ok(&w.run(&["list", "-p", "modern"]));
    let table = listing_files(&w).remove(0).with_extension("table");
    let text = std::fs::read_to_string(&table).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    assert!(header.starts_with("ssocred-table 1 "), "{header}");
    assert_eq!(body, first, "the table is what list printed");
    // The copy is what is printed: a change to it shows.
    std::fs::write(
        &table,
        format!("{header}\n{}", body.replace("Prod", "Pr0d")),
    )
    .unwrap();
    assert!(ok(&w.run(&["list", "-p", "modern"])).contains("Pr0d"));
    // Another listing's table: the roles are read from the listing itself.
    std::fs::write(&table, "ssocred-table 1 12345\nstale\n").unwrap();
    assert_eq!(ok(&w.run(&["list", "-p", "modern"])), first);
    // A control character: refused, never printed.
    std::fs::write(&table, format!("{header}\n{body}\u{1b}[2J\n")).unwrap();
    let out = w.run(&["list", "-p", "modern"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!out.stdout.contains(&0x1b), "{}", text_of(&out.stdout));
    assert!(
        stderr(&out).contains(&table.display().to_string()) && stderr(&out).contains("--refresh"),
        "{}",
        stderr(&out)
    );
    // Filters and --json read the listing, not the table.
    let json = ok_json(&w.run(&["list", "-p", "modern", "--json"]));
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(listings(&w), 1);
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

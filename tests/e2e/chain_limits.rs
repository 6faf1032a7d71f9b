//! The limits of role chaining (issue 21): at most `MAX_HOPS` hops from
//! every source (`--assume`, a preset, the top level, `config check`,
//! `discover`, `kubeconfig`), refused before any call, and a chain at the
//! limit assumed and then read from the cache; misspelt `--assume` options
//! and a repeated `duration=` refused before any call, while role names
//! holding `,` and `=` (which IAM allows) are not.

use ssocred_emulator::{EmulatorConfig, StsOperation};

use crate::world::*;

/// The cap documented in docs/chaining.md.
const MAX_HOPS: usize = 10;

/// `Step1` .. `StepN` in account 555555555555, each trusting the one before
/// it, the first trusting the SSO role ReadOnly.
fn steps(n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| format!("arn:aws:iam::555555555555:role/Step{i}"))
        .collect()
}

fn ladder(n: usize) -> EmulatorConfig {
    let roles = steps(n);
    let mut config = base_emulator();
    let mut source = READ_ONLY_ARN.to_owned();
    for role in &roles {
        config = config.trust(role.as_str(), source.as_str());
        source.clone_from(role);
    }
    config
}

fn assume_args(roles: &[String]) -> Vec<&str> {
    roles
        .iter()
        .flat_map(|r| ["--assume", r.as_str()])
        .collect()
}

#[test]
fn a_chain_at_the_limit_is_assumed_once_then_read_from_the_cache() {
    let w = World::with_emulator(ladder(MAX_HOPS));
    let roles = steps(MAX_HOPS);
    let mut args = vec!["-p", "modern", "-r", READ_ONLY_ARN];
    args.extend(assume_args(&roles));
    args.extend(["--sink", "process"]);
    let first = ok_json(&w.run(&args));
    assert_eq!(
        w.emulator.sts_count(StsOperation::AssumeRole),
        MAX_HOPS as u64
    );
    let last = w
        .emulator
        .issued_for_key(first["AccessKeyId"].as_str().unwrap())
        .unwrap();
    assert_eq!(last.role_arn.as_deref(), Some(roles[MAX_HOPS - 1].as_str()));
    // Every prefix is cached: the whole chain is one read.
    w.emulator.reset_counts();
    assert_eq!(ok_json(&w.run(&args)), first);
    assert_eq!(all_calls(&w), 0);
    // A chain that shares all but its last hop assumes only that one.
    std::fs::remove_file(
        w.home()
            .join(".aws/cli/cache")
            .join(most_recent_json(&w.home().join(".aws/cli/cache"))),
    )
    .unwrap();
    let again = ok_json(&w.run(&args));
    assert_ne!(again, first);
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 1);
}

/// The newest `*.json` in `dir`: the last entry written.
fn most_recent_json(dir: &std::path::Path) -> std::ffi::OsString {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .max_by_key(|e| e.metadata().unwrap().modified().unwrap())
        .unwrap()
        .file_name()
}

#[test]
fn longer_chains_are_refused_from_every_source_before_any_call() {
    let w = World::with_emulator(ladder(MAX_HOPS + 1));
    let roles = steps(MAX_HOPS + 1);
    let expected = format!(
        "a role chain has at most {MAX_HOPS} hops, and this one has {}",
        MAX_HOPS + 1
    );

    // The command line: get, discover, kubeconfig.
    let mut get = vec!["-p", "modern", "-r", READ_ONLY_ARN];
    get.extend(assume_args(&roles));
    get.extend(["--sink", "process"]);
    let mut discover = vec!["discover", "-p", "modern", "-q"];
    discover.extend(assume_args(&roles));
    let mut kubeconfig = vec![
        "kubeconfig",
        "--cluster",
        "demo",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
    ];
    kubeconfig.extend(assume_args(&roles));
    for args in [&get, &discover, &kubeconfig] {
        let out = w.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("--assume: {expected}")), "{err}");
        assert!(out.stdout.is_empty());
    }

    // The review's case: a thousand hops, once a stack overflow. Windows
    // caps a command line at 32,767 characters, which holds 600 of them.
    let hops = if cfg!(windows) { 600 } else { 1000 };
    let many: Vec<String> = (0..hops).map(|_| roles[0].clone()).collect();
    let mut args = vec!["-p", "modern", "-r", READ_ONLY_ARN];
    args.extend(assume_args(&many));
    args.extend(["--sink", "process"]);
    let out = w.run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("and this one has {hops}")),
        "{}",
        stderr(&out)
    );

    // The config: a preset, the top level, and `config check`; a config
    // error names the file and the line (exit 3, as every config error).
    let list: Vec<String> = roles.iter().map(|r| format!("  \"{r}\",\n")).collect();
    let list = list.concat();
    let preset = w.home().join("long-preset.toml");
    std::fs::write(
        &preset,
        format!(
            "[preset.long]\nprofile = \"modern\"\nrole_arn = \"{READ_ONLY_ARN}\"\nassume = [\n{list}]\n"
        ),
    )
    .unwrap();
    let top = w.home().join("long-top.toml");
    std::fs::write(
        &top,
        format!("profile = \"modern\"\nrole_arn = \"{READ_ONLY_ARN}\"\nassume = [\n{list}]\n"),
    )
    .unwrap();
    let (preset, top) = (preset.to_str().unwrap(), top.to_str().unwrap());
    // The line is the first hop's.
    for (args, line) in [
        (
            vec!["--config", preset, "--preset", "long", "--sink", "process"],
            5,
        ),
        (vec!["--config", top, "--sink", "process"], 4),
        (vec!["config", "check", preset], 5),
        (vec!["config", "check", top], 4),
    ] {
        let out = w.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains(&format!("line {line}: assume: {expected}")),
            "{err}"
        );
    }
    assert_eq!(all_calls(&w), 0);
}

#[test]
fn misspelt_options_and_a_repeated_duration_exit_2_before_any_call() {
    let w = World::with_emulator(ladder(1));
    let hub = &steps(1)[0];
    let cases = [
        (
            format!("{hub},Duration=900"),
            "unknown option `Duration`: did you mean `duration`?",
        ),
        (
            format!("{hub},external_id=x1"),
            "unknown option `external_id`: did you mean `external-id`?",
        ),
        (
            format!("{hub},external-id=abc,ExternalId=x1"),
            "unknown option `ExternalId`: did you mean `external-id`?",
        ),
        (
            format!("{hub},duration=900,duration=1h"),
            "`duration` is given twice",
        ),
    ];
    for (spec, expected) in &cases {
        let out = w.run(&[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--assume",
            spec,
            "--sink",
            "process",
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{spec}: {err}");
        assert!(
            err.contains(&format!("--assume {spec}: {expected}")),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert_eq!(all_calls(&w), 0);
}

/// IAM allows `,` and `=` in role names: such a role is assumed as named.
#[test]
fn a_role_whose_name_holds_commas_and_equals_signs_is_assumed() {
    const ODD: &str = "arn:aws:iam::555555555555:role/team,env=prod";
    let w = World::with_emulator(base_emulator().trust(ODD, READ_ONLY_ARN));
    let json = ok_json(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--assume",
        ODD,
        "--sink",
        "process",
    ]));
    let issued = w
        .emulator
        .issued_for_key(json["AccessKeyId"].as_str().unwrap())
        .unwrap();
    assert_eq!(issued.role_arn.as_deref(), Some(ODD));
}

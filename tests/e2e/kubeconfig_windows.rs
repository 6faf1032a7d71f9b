//! The kubectl command of `ssocred kubeconfig` on Windows, run as a user
//! would run it: the `cmd` line by `cmd.exe`, and the PowerShell line's
//! `Start-Process` command line by Windows itself (no PowerShell runs
//! here), each with a stand-in for kubectl (`cli/examples/argv_json.rs`)
//! that prints the words it gets. kubectl, a Go program, splits its
//! command line by the C runtime's rules, as the stand-in does, and reads
//! each `--exec-arg` value as a CSV record (Go's `encoding/csv`), as
//! [`csv_record`] does here: the words must be the arguments ssocred
//! should run with, as the Linux test with a real kubectl checks
//! (`real_tools::kubectl_runs_the_printed_command_and_entry_and_the_cluster_accepts_the_token`).

use std::path::PathBuf;

use crate::world::*;

const CLUSTER: &str = "prod-cluster";
const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
const TARGET: &str = "arn:aws:iam::666666666666:role/Target";

/// The stand-in, copied as `kubectl.exe` into a directory of its own.
fn kubectl_stand_in(w: &World) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let built = deps
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("argv_json.exe");
    assert!(
        built.is_file(),
        "{} is missing: `cargo test` builds it",
        built.display()
    );
    let dir = w.home().join("kubectl-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let kubectl = dir.join("kubectl.exe");
    std::fs::copy(&built, &kubectl).unwrap();
    kubectl
}

/// The fields of one CSV record as Go's `encoding/csv` reads it with
/// kubectl's settings (comma-separated, no lazy quotes): a field that
/// starts with `"` is quoted, `""` in it is one `"`, and a `"` anywhere
/// else is an error.
fn csv_record(value: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(format!("unterminated quoted field in {value}")),
                }
            }
            fields.push(field);
            match chars.next() {
                None => return Ok(fields),
                Some(',') => {}
                Some(c) => return Err(format!("{c:?} after a quoted field in {value}")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err(format!("bare \" in {value}")),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// What kubectl makes of the words it got: the user, the command and the
/// exec arguments, checked word by word against `config set-credentials`.
fn as_kubectl(words: &[String], api: &str) -> (String, String, Vec<String>) {
    assert_eq!(words[..2], ["config", "set-credentials"], "{words:?}");
    assert_eq!(
        words[3],
        format!("--exec-api-version=client.authentication.k8s.io/{api}")
    );
    let command = words[4].strip_prefix("--exec-command=").unwrap().to_owned();
    let mut args = Vec::new();
    for word in &words[5..] {
        if let Some(value) = word.strip_prefix("--exec-arg=") {
            args.extend(csv_record(value).unwrap());
        } else {
            assert_eq!(word, "--exec-interactive-mode=IfAvailable", "{words:?}");
        }
    }
    (words[2].clone(), command, args)
}

/// The value of a PowerShell single-quoted string (`''` is one `'`).
fn powershell_single(text: &str) -> String {
    let inner = text.strip_prefix('\'').unwrap().strip_suffix('\'').unwrap();
    assert!(!inner.replace("''", "").contains('\''), "{text}");
    inner.replace("''", "'")
}

fn words_of(out: &std::process::Output, line: &str) -> Vec<String> {
    assert!(
        out.status.success(),
        "{line}\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        stderr(out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{line}: {e}: {}", text(&out.stdout)))
}

/// For a plain role, a role name with commas, a chain whose external id
/// holds commas, and values with quotes, commas, spaces and `cmd`'s
/// operators: the `cmd` line run by `cmd.exe`, and the command line of the
/// PowerShell line's `Start-Process`, give kubectl exactly the words whose
/// CSV reading is the arguments the YAML entry holds.
#[test]
fn the_printed_windows_commands_give_kubectl_the_exact_words() {
    let w = World::new();
    let kubectl = kubectl_stand_in(&w);
    let path = path_with(&[kubectl.parent().unwrap()]);
    let comma_role_arn = format!("arn:aws:iam::{DEV}:role/My.Role+x=y,z@w");
    let chain_hop = format!("{TARGET},external-id=ext,42=a,b");
    let hostile_profile = r#"we"ird, 'profile' a&b|c^d (x) <y> !z"#;
    let cases: [(&str, Vec<&str>); 4] = [
        ("plain", vec!["-p", "legacy", "-r", READ_ONLY_ARN]),
        ("comma-role", vec!["-p", "modern", "-r", &comma_role_arn]),
        (
            "chain",
            vec![
                "-p",
                "legacy",
                "-r",
                READ_ONLY_ARN,
                "--assume",
                HUB,
                "--assume",
                &chain_hop,
            ],
        ),
        ("hostile", vec!["-p", hostile_profile, "-r", READ_ONLY_ARN]),
    ];
    let user = r#"it's me, "you" & (them) ^"#;
    let command = r"C:\my tools,x\ssocred.exe";
    for api in ["v1beta1", "v1"] {
        for (name, role_args) in &cases {
            let mut args = vec![
                "kubeconfig",
                "--cluster",
                CLUSTER,
                "--exec-api-version",
                api,
                "--user",
                user,
                "--command",
                command,
                "--kubectl",
            ];
            args.extend(role_args);
            let mut expected: Vec<String> = role_args.iter().map(|a| a.to_string()).collect();
            expected.extend(["--sink".to_owned(), format!("eks,cluster={CLUSTER}")]);

            // cmd: the line as typed at its prompt.
            let mut cmd_args = args.clone();
            cmd_args.extend(["--shell", "cmd"]);
            let line = ok(&w.run(&cmd_args));
            let line = line.trim_end();
            let mut cmd = w.command("cmd");
            cmd.env("PATH", &path);
            {
                // cmd reads its command line as typed: no C runtime quoting.
                use std::os::windows::process::CommandExt;
                cmd.arg("/C").raw_arg(line);
            }
            let words = words_of(&cmd.run_to_end(), line);
            let got = as_kubectl(&words, api);
            assert_eq!(
                got,
                (user.to_owned(), command.to_owned(), expected.clone()),
                "cmd {api} {name}: {line}"
            );

            // PowerShell: Start-Process hands its -ArgumentList string to
            // the program as its command line; so does this.
            let mut ps_args = args.clone();
            ps_args.extend(["--shell", "powershell"]);
            let line = ok(&w.run(&ps_args));
            let quoted = line
                .trim_end()
                .strip_prefix("Start-Process -FilePath kubectl -ArgumentList ")
                .and_then(|rest| rest.strip_suffix(" -NoNewWindow -Wait"))
                .unwrap_or_else(|| panic!("{line}"));
            let arguments = powershell_single(quoted);
            let mut program = w.command(&kubectl);
            {
                use std::os::windows::process::CommandExt;
                program.raw_arg(&arguments);
            }
            let words = words_of(&program.run_to_end(), &arguments);
            let got = as_kubectl(&words, api);
            assert_eq!(
                got,
                (user.to_owned(), command.to_owned(), expected),
                "powershell {api} {name}: {line}"
            );
        }
    }
    // The default on Windows is PowerShell.
    let line = ok(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "--kubectl",
    ]));
    assert!(
        line.starts_with("Start-Process -FilePath kubectl "),
        "{line}"
    );
}

/// `%` has no quoting in `cmd`: refused, exit 2, naming the flag; the
/// YAML entry and the PowerShell line still hold it.
#[test]
fn a_percent_sign_is_refused_for_cmd_only() {
    let w = World::new();
    let base = [
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "-p",
        "100%",
    ];
    let out = w.run(&[&base[..], &["--shell", "cmd", "--kubectl"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--shell cmd") && stderr(&out).contains('%'),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    ok(&w.run(&[&base[..], &["--shell", "powershell"]].concat()));
}

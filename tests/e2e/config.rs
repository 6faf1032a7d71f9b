//! The ssocred config file through the real binary: locations, presets,
//! precedence over the environment, `config check` and `config show`.

use ssocred_emulator::Operation;

use crate::world::*;

const CONFIG_TOML: &str = r#"# team defaults
profile = "legacy"
sinks = ["process"]

[preset.ci]
profile = "modern"
region = "ap-south-1"
role_arn = "arn:aws:iam::210987654321:role/Developer"

[preset.ci.cache]
window_minutes = 5

[[preset.ci.sink]]
type = "dotenv"
path = "ci.env"

[[preset.ci.sink]]
type = "json"
"#;

fn write(w: &World, rel: &str, text: &str) -> std::path::PathBuf {
    let path = w.home().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_default_location_supplies_profile_and_sinks() {
    let w = World::new();
    write(&w, ".config/ssocred/config.toml", CONFIG_TOML);
    let out = ok(&w.run(&["-r", READ_ONLY_ARN]));
    assert!(out.starts_with("{\"Version\":1,"), "{out}");
    let i = w.only_issued();
    assert_eq!(i.account_id, PROD);
    // A flag beats the config: env instead of process.
    w.emulator.reset_counts();
    let out = ok(&w.run(&["-r", READ_ONLY_ARN, "--sink", "env"]));
    assert!(out.starts_with("export AWS_ACCESS_KEY_ID="), "{out}");
}

#[test]
fn xdg_config_home_and_ssocred_config_are_honoured() {
    let w = World::new();
    write(&w, "xdg/ssocred/config.toml", "sinks = [\"json\"]\n");
    write(&w, "elsewhere.toml", "sinks = [\"docker-env\"]\n");
    let mut cmd = w.cmd();
    cmd.env("XDG_CONFIG_HOME", w.home().join("xdg"));
    let out = ok(&cmd.args(["-p", "modern", "-r", READ_ONLY_ARN]).run_to_end());
    assert!(out.starts_with("{\"account_id\""), "{out}");
    let mut cmd = w.cmd();
    cmd.env("XDG_CONFIG_HOME", w.home().join("xdg"))
        .env("SSOCRED_CONFIG", w.home().join("elsewhere.toml"));
    let out = ok(&cmd.args(["-p", "modern", "-r", READ_ONLY_ARN]).run_to_end());
    assert!(out.starts_with("AWS_ACCESS_KEY_ID=ASIA"), "{out}");
}

#[test]
fn a_preset_selects_profile_role_region_and_sinks() {
    let w = World::new();
    let cfg = write(&w, "team.toml", CONFIG_TOML);
    let cfg = cfg.to_str().unwrap();
    let out = ok(&w.run(&["--config", cfg, "--preset", "ci"]));
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "Developer")
    );
    assert!(
        out.starts_with(&format!("{{\"account_id\":\"{DEV}\"")),
        "{out}"
    );
    assert!(out.contains("\"region\":\"ap-south-1\""), "{out}");
    let dotenv = std::fs::read_to_string(w.home().join("ci.env")).unwrap();
    assert!(dotenv.contains(&format!("AWS_SESSION_TOKEN=\"{}\"", i.session_token)));
    assert!(dotenv.contains("AWS_REGION=\"ap-south-1\""));

    // Environment beats the preset; flags beat the environment.
    w.emulator.reset_counts();
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_PRESET", "ci")
        .env("SSOCRED_REGION", "eu-north-1");
    let out = ok(&cmd.args(["--config", cfg, "--sink", "json"]).run_to_end());
    assert!(out.contains("\"region\":\"eu-north-1\""), "{out}");
    w.emulator.reset_counts();
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_PRESET", "ci")
        .env("SSOCRED_REGION", "eu-north-1");
    let out = ok(&cmd
        .args(["--config", cfg, "--sink", "json", "--region", "sa-east-1"])
        .run_to_end());
    assert!(out.contains("\"region\":\"sa-east-1\""), "{out}");
}

#[test]
fn config_errors_name_file_line_and_key_and_call_nothing() {
    let w = World::new();
    let cases: [(&str, &str, i32, &[&str]); 7] = [
        (
            "typo.toml",
            "profile = \"legacy\"\nsinkz = [\"env\"]\n",
            3,
            &["typo.toml", "line 2", "sinkz"],
        ),
        (
            "badval.toml",
            "[login]\nmethod = \"telepathy\"\n",
            3,
            &["badval.toml", "line 2", "method", "telepathy"],
        ),
        (
            "badcache.toml",
            "[cache]\nenabled = \"sometimes\"\n",
            3,
            &["badcache.toml", "line 2", "enabled"],
        ),
        (
            "badsink.toml",
            "profile = \"legacy\"\n\n[[sink]]\ntype = \"json\"\nformat = \"xml\"\n",
            3,
            &["badsink.toml", "line 3", "sink `json`", "xml"],
        ),
        (
            "syntax.toml",
            "profile = \"legacy\n",
            3,
            &["syntax.toml", "line 1"],
        ),
        (
            "ok.toml",
            "profile = \"legacy\"\n",
            2,
            &["no preset `nope`", "ok.toml"],
        ),
        (
            "missing.toml",
            "",
            3,
            &["missing.toml", "cannot read the ssocred config"],
        ),
    ];
    for (name, text, code, fragments) in cases {
        let path = if text.is_empty() {
            w.home().join(name)
        } else {
            write(&w, name, text)
        };
        let mut args = vec!["--config", path.to_str().unwrap(), "-r", READ_ONLY_ARN];
        if name == "ok.toml" {
            args.extend(["--preset", "nope"]);
        }
        let out = w.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        for f in fragments {
            assert!(stderr.contains(f), "{name}: `{f}` not in {stderr}");
        }
        assert!(out.stdout.is_empty());
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    assert!(!w.credentials_path().exists());
}

#[test]
fn config_check_validates_every_preset() {
    let w = World::new();
    let good = write(&w, "good.toml", CONFIG_TOML);
    let out = ok(&w.run(&["config", "check", good.to_str().unwrap()]));
    assert_eq!(out, format!("{}: ok (presets: ci)\n", good.display()));

    let bad = write(
        &w,
        "bad.toml",
        &format!(
            "{CONFIG_TOML}\n[preset.broken]\n[[preset.broken.sink]]\ntype = \"template\"\ntemplate = \"nope\"\n"
        ),
    );
    let out = w.run(&["config", "check", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("bad.toml: line 21: sink `template`: no bundled template `nope`"),
        "{stderr}"
    );

    // Without a PATH: the default location, which must exist.
    let out = w.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .replace(std::path::MAIN_SEPARATOR, "/")
            .contains(".config/ssocred/config.toml")
    );
    write(
        &w,
        ".config/ssocred/config.toml",
        "region = \"eu-west-1\"\n",
    );
    let out = ok(&w.run(&["config", "check"]));
    assert!(out.ends_with("config.toml: ok (no presets)\n"), "{out}");
}

#[test]
fn config_show_prints_effective_settings_and_sources() {
    let w = World::new();
    let cfg = write(&w, "team.toml", CONFIG_TOML);
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_REGION", "eu-west-3");
    let out = ok(&cmd
        .args([
            "config",
            "show",
            "--config",
            cfg.to_str().unwrap(),
            "--preset",
            "ci",
            "-p",
            "pinned",
        ])
        .run_to_end());
    // The network the AWS profile and the environment give, then the rest.
    let (out, network) = out.split_once("\n[network]\n").unwrap();
    let url = w.emulator.url();
    assert_eq!(
        network,
        format!(
            "# ca_bundle: none, the system's trust store\n\
# https_proxy: none\n\
# http_proxy: none\n\
use_fips_endpoint = false  # default\n\
use_dualstack_endpoint = false  # default\n\
# portal endpoint: {url}\n\
# oidc endpoint: {url}\n"
        )
    );
    assert_eq!(
        out,
        format!(
            "# config file: {}\n\
preset = \"ci\"  # flag --preset\n\
profile = \"pinned\"  # flag --profile\n\
region = \"eu-west-3\"  # environment SSOCRED_REGION\n\
role_arn = \"arn:aws:iam::210987654321:role/Developer\"  # config [preset.ci]\n\
# assume: none, no role chain after the SSO role\n\
sinks = [\"dotenv:path=ci.env\", \"json\"]  # config [preset.ci]\n\
refresh_before = 300  # default\n\
\n\
[login]\n\
method = \"auto\"  # default\n\
open_browser = true  # default\n\
# redirect_port: none, a random port  # default\n\
# browser: none, the system's  # default\n\
auto_login = false  # default\n\
token_store = \"file\"  # default\n\
# keyring: none, the system's default store  # default\n\
\n\
[cache]\n\
enabled = true  # default\n\
window_minutes = 5  # config [preset.ci]\n\
\n\
[chooser]\n\
order = \"frecency\"  # default\n\
\n\
[listing]\n\
max_age_hours = 24  # default\n\
\n\
[sources]\n\
sync = \"manual\"  # default\n\
\n\
# presets: ci\n\
# final role: arn:aws:iam::210987654321:role/Developer\n",
            cfg.display()
        )
    );
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
}

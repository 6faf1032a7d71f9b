//! `ssocred kubeconfig --cluster NAME -p P [-r ARN]`: the kubeconfig `users[]`
//! entry whose exec plugin runs ssocred with the `eks` sink, and the
//! `kubectl config set-credentials` command that installs it, written for
//! the shell `--shell` names (default: the system's, sh or PowerShell). The cluster
//! entry (endpoint and CA) is left to `aws eks update-kubeconfig`. Without
//! a role flag, the profile must name its own role (`sso_account_id` and
//! `sso_role_name`), which each run then reads, as `--sink` does.

use clap::{Args, ValueEnum};
use ssocred_core::Error;
use ssocred_core::domain::shell_line::{LineShell, USER_SHELL};
use ssocred_core::sink::{SinkContext, SinkSpec, validate};

use crate::flags::{AssumeFlags, ProfileFlag, RoleFlags};
use crate::output::write_stdout;

/// Print a kubeconfig user whose exec plugin runs ssocred for an EKS cluster.
#[derive(Debug, Clone, Args)]
pub struct KubeconfigArgs {
    /// The EKS cluster name, signed into every token.
    #[arg(long, value_name = "NAME")]
    pub cluster: String,

    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub role: RoleFlags,

    #[command(flatten)]
    pub assume: AssumeFlags,

    /// The STS region the token is presigned for (default: the role's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// The kubeconfig user name (default: ssocred-CLUSTER).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// The ExecCredential apiVersion kubectl asks for.
    #[arg(long, value_enum, default_value_t = ExecApi::V1beta1)]
    pub exec_api_version: ExecApi,

    /// The ssocred kubectl runs: a name on PATH or an absolute path.
    #[arg(long, value_name = "PATH", default_value = "ssocred")]
    pub command: String,

    /// Print only the `kubectl config set-credentials` command.
    #[arg(long)]
    pub kubectl: bool,

    /// The shell the kubectl command is written for (default: sh, or
    /// powershell on Windows).
    #[arg(long, value_enum, value_name = "SHELL")]
    pub shell: Option<KubectlShell>,
}

/// The shells the kubectl command can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KubectlShell {
    /// POSIX sh, bash, zsh.
    Sh,
    /// Windows cmd.exe.
    Cmd,
    /// Windows PowerShell 5.1 and PowerShell 7.
    Powershell,
}

impl KubectlShell {
    fn line_shell(shell: Option<KubectlShell>) -> LineShell {
        match shell {
            None => USER_SHELL,
            Some(KubectlShell::Sh) => LineShell::Sh,
            Some(KubectlShell::Cmd) => LineShell::Cmd,
            Some(KubectlShell::Powershell) => LineShell::PowerShell,
        }
    }
}

/// The ExecCredential versions kubectl speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecApi {
    /// client.authentication.k8s.io/v1beta1 (kubectl 1.11 and later).
    V1beta1,
    /// client.authentication.k8s.io/v1 (kubectl 1.22 and later).
    V1,
}

impl ExecApi {
    fn api_version(self) -> &'static str {
        match self {
            ExecApi::V1beta1 => "client.authentication.k8s.io/v1beta1",
            ExecApi::V1 => "client.authentication.k8s.io/v1",
        }
    }
}

/// kubectl passes its stdin to the plugin when it has one, so a login that
/// needs the terminal can still run; `v1` requires the field.
const INTERACTIVE_MODE: &str = "IfAvailable";

/// Runs the command: checks the cluster and region as the sink will, then
/// prints. Nothing is written; the AWS config is read only when no role
/// flag is given.
pub fn run(args: &KubeconfigArgs) -> Result<(), Error> {
    refuse_control_characters(args)?;
    let sink = sink_spec(args);
    let spec = SinkSpec::parse(&sink)?;
    let nowhere = SinkContext {
        config_file: "".into(),
        credentials_file: "".into(),
        cwd: "".into(),
    };
    validate(&spec, &nowhere)?;
    let exec_args = exec_args(args, &sink)?;
    let user = args
        .user
        .clone()
        .unwrap_or_else(|| format!("ssocred-{}", args.cluster));
    // kubectl would read `-x` as a flag, and an empty name as none.
    if user.is_empty() || user.starts_with('-') {
        return Err(Error::Usage(format!(
            "--user `{user}`: a kubeconfig user name must not be empty or start with `-`"
        )));
    }
    let kubectl = kubectl_command(args, &user, &exec_args)?;
    let text = if args.kubectl {
        format!("{kubectl}\n")
    } else {
        format!(
            "{}# Install it with:\n# {kubectl}\n",
            users_yaml(args, &user, &exec_args)
        )
    };
    write_stdout(text.as_bytes())
}

/// A control character in a value could end the YAML line or the comment
/// that holds the kubectl command; so could U+2028 and U+2029, which YAML
/// 1.1 parsers (kubectl's included) read as line breaks, as they do U+0085
/// (a control character). No real name has one.
fn refuse_control_characters(args: &KubeconfigArgs) -> Result<(), Error> {
    let values = [
        ("--cluster", Some(args.cluster.as_str())),
        ("--region", args.region.as_deref()),
        ("--profile", args.profile.profile.as_deref()),
        ("--role-arn", args.role.role_arn.as_deref()),
        ("--account", args.role.account.as_deref()),
        ("--role", args.role.role.as_deref()),
        ("--user", args.user.as_deref()),
        ("--command", Some(args.command.as_str())),
    ];
    let hops = args
        .assume
        .assume
        .iter()
        .map(|a| ("--assume", Some(a.as_str())));
    for (flag, value) in values.into_iter().chain(hops) {
        let Some(value) = value else { continue };
        if let Some(c) = value.chars().find(|&c| c.is_control()) {
            return Err(Error::Usage(format!(
                "{flag} contains a control character (U+{:04X}); kubeconfig values are one line",
                u32::from(c)
            )));
        }
        if let Some(c) = value.chars().find(|c| matches!(c, '\u{2028}' | '\u{2029}')) {
            return Err(Error::Usage(format!(
                "{flag} contains U+{:04X}, a line break to YAML; kubeconfig values are one line",
                u32::from(c)
            )));
        }
    }
    Ok(())
}

fn sink_spec(args: &KubeconfigArgs) -> String {
    match &args.region {
        Some(region) => format!("eks,cluster={},region={region}", args.cluster),
        None => format!("eks,cluster={}", args.cluster),
    }
}

/// The arguments kubectl runs ssocred with.
fn exec_args(args: &KubeconfigArgs, sink: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    if let Some(profile) = &args.profile.profile {
        out.extend(["-p".to_owned(), profile.clone()]);
    }
    match (&args.role.role_arn, &args.role.account, &args.role.role) {
        (Some(arn), _, _) => out.extend(["-r".to_owned(), arn.clone()]),
        (None, Some(account), Some(role)) => out.extend([
            "--account".to_owned(),
            account.clone(),
            "--role".to_owned(),
            role.clone(),
        ]),
        _ => match profile_with_role(args)? {
            // The run reads the profile's role itself; the profile is
            // named, so kubectl's environment cannot pick another.
            Some(name) if args.profile.profile.is_none() => out.extend(["-p".to_owned(), name]),
            Some(_) => {}
            None => {
                return Err(Error::Usage(
                    "kubeconfig needs the role: -r ARN, or --account ID --role NAME, or a profile with sso_account_id and sso_role_name (kubectl cannot answer a chooser)".to_owned(),
                ));
            }
        },
    }
    ssocred_core::domain::hop::check_length(args.assume.assume.len())
        .map_err(|e| Error::Usage(format!("--assume: {e}")))?;
    for hop in &args.assume.assume {
        // Checked now, so kubectl never runs a chain that cannot parse.
        ssocred_core::domain::hop::Hop::parse(hop)
            .map_err(|e| Error::Usage(format!("--assume {hop}: {e}")))?;
        out.extend(["--assume".to_owned(), hop.clone()]);
    }
    out.extend(["--sink".to_owned(), sink.to_owned()]);
    Ok(out)
}

/// The SSO profile the settings name, when it names its own role.
fn profile_with_role(args: &KubeconfigArgs) -> Result<Option<String>, Error> {
    let flags = crate::settings::Flags {
        profile: args.profile.profile.clone(),
        ..Default::default()
    };
    let settings = crate::settings::Settings::from_process(&flags)?;
    let paths = crate::request::paths()?;
    let (_, profile) = crate::request::sso_profile(&settings, &paths)?;
    Ok((profile.account_id.is_some() && profile.role_name.is_some()).then_some(profile.name))
}

/// A YAML double-quoted scalar: JSON's string syntax is a subset of it.
fn yaml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn users_yaml(args: &KubeconfigArgs, user: &str, exec_args: &[String]) -> String {
    let list: Vec<String> = exec_args.iter().map(|a| yaml_string(a)).collect();
    format!(
        "users:\n- name: {}\n  user:\n    exec:\n      apiVersion: {}\n      command: {}\n      args: [{}]\n      interactiveMode: {INTERACTIVE_MODE}\n      provideClusterInfo: false\n",
        yaml_string(user),
        yaml_string(args.exec_api_version.api_version()),
        yaml_string(&args.command),
        list.join(", ")
    )
}

/// One value of kubectl's `--exec-arg`, a string-slice flag that reads each
/// value as a CSV record: `a,b` would become two arguments and a bare `"`
/// is a parse error, so anything but a plain word is one quoted CSV field
/// (`"a,b"`, with `"` doubled). An empty value must be quoted too, or
/// kubectl drops it.
fn csv_field(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+%".contains(&b));
    if plain {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('"', "\"\""))
    }
}

/// The command for the chosen shell, or a usage error saying why that
/// shell cannot hold one of the values.
fn kubectl_command(
    args: &KubeconfigArgs,
    user: &str,
    exec_args: &[String],
) -> Result<String, Error> {
    let mut words = vec![
        "config".to_owned(),
        "set-credentials".to_owned(),
        user.to_owned(),
        format!("--exec-api-version={}", args.exec_api_version.api_version()),
        format!("--exec-command={}", args.command),
    ];
    for arg in exec_args {
        words.push(format!("--exec-arg={}", csv_field(arg)));
    }
    // v1beta1 defaults to IfAvailable, and kubectl before 1.23 has no such
    // flag: only v1, which requires the field, names it.
    if args.exec_api_version == ExecApi::V1 {
        words.push(format!("--exec-interactive-mode={INTERACTIVE_MODE}"));
    }
    let shell = KubectlShell::line_shell(args.shell);
    shell.line("kubectl", &words).map_err(|why| {
        let name = match shell {
            LineShell::Sh => "sh",
            LineShell::Cmd => "cmd",
            LineShell::PowerShell => "powershell",
        };
        Error::Usage(format!(
            "--shell {name}: a value cannot be written into the kubectl command ({why}); the YAML entry (without --kubectl) holds any value"
        ))
    })
}

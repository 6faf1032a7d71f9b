use super::*;
use ssocred_core::domain::variables::sample_set;

fn ctx(dir: &Path) -> SinkContext {
    SinkContext {
        config_file: dir.join("config"),
        credentials_file: dir.join("credentials"),
        cwd: dir.to_path_buf(),
    }
}

fn run_in(dir: &Path, spec: &str, sets: &[CredentialSet]) -> Result<String, SinkError> {
    let mut sink = build(&SinkSpec::parse(spec).unwrap(), &ctx(dir))?;
    for set in sets {
        sink.accept(set)?;
    }
    let mut out = Vec::new();
    sink.commit(&mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

fn run(spec: &str, sets: &[CredentialSet]) -> Result<String, SinkError> {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), spec, sets)
}

fn render(text: &str, set: &CredentialSet) -> Result<String, SinkError> {
    Template::compile("t", text, true)?.render(vec![data::set_object(set)])
}

const ROLE: &str = "arn:aws:iam::123456789012:role/ReadOnly";

#[test]
fn bundled_envrc() {
    assert_eq!(
        run("template:envrc", &[sample_set()]).unwrap(),
        format!(
            "# direnv: credentials for role {ROLE}, expiring 2030-01-02T03:04:05Z.\n\
export AWS_ACCESS_KEY_ID='ASIAEXAMPLEKEY'\n\
export AWS_SECRET_ACCESS_KEY='wJalr/XUtnFEMI+K7MDENG=='\n\
export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjE/token+=='\n\
export AWS_CREDENTIAL_EXPIRATION='2030-01-02T03:04:05Z'\n\
export AWS_REGION='eu-west-1'\n\
export AWS_DEFAULT_REGION='eu-west-1'\n"
        )
    );
}

#[test]
fn bundled_github_actions() {
    let out = run("template:github-actions", &[sample_set()]).unwrap();
    assert_eq!(
        out,
        format!(
            "# GitHub Actions: masks the secrets in the log and appends the credentials to\n\
# $GITHUB_ENV for the following steps. Role {ROLE}, expires 2030-01-02T03:04:05Z.\n\
# Use in a bash step: eval \"$(ssocred ... --sink template:github-actions)\"\n\
printf '::add-mask::%s\\n' 'ASIAEXAMPLEKEY'\n\
printf '::add-mask::%s\\n' 'wJalr/XUtnFEMI+K7MDENG=='\n\
printf '::add-mask::%s\\n' 'IQoJb3JpZ2luX2VjE/token+=='\n\
{{\n\
printf 'AWS_ACCESS_KEY_ID=%s\\n' 'ASIAEXAMPLEKEY'\n\
printf 'AWS_SECRET_ACCESS_KEY=%s\\n' 'wJalr/XUtnFEMI+K7MDENG=='\n\
printf 'AWS_SESSION_TOKEN=%s\\n' 'IQoJb3JpZ2luX2VjE/token+=='\n\
printf 'AWS_CREDENTIAL_EXPIRATION=%s\\n' '2030-01-02T03:04:05Z'\n\
printf 'AWS_REGION=%s\\n' 'eu-west-1'\n\
printf 'AWS_DEFAULT_REGION=%s\\n' 'eu-west-1'\n\
}} >> \"$GITHUB_ENV\"\n"
        )
    );
}

// Unix only: runs the snippet with `sh`.
#[cfg(unix)]
#[test]
fn github_actions_snippet_run_by_sh_masks_and_sets_exactly_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut set = sample_set();
    set.region = Some("x'$(touch pwned)`id`\\".to_owned());
    let script = run("template:github-actions", &[set.clone()]).unwrap();
    let env_file = dir.path().join("github_env");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("GITHUB_ENV", &env_file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "::add-mask::ASIAEXAMPLEKEY\n::add-mask::wJalr/XUtnFEMI+K7MDENG==\n::add-mask::IQoJb3JpZ2luX2VjE/token+==\n"
    );
    let region = set.region.as_deref().unwrap();
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        format!(
            "AWS_ACCESS_KEY_ID=ASIAEXAMPLEKEY\nAWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG==\n\
AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE/token+==\nAWS_CREDENTIAL_EXPIRATION=2030-01-02T03:04:05Z\n\
AWS_REGION={region}\nAWS_DEFAULT_REGION={region}\n"
        )
    );
    assert!(!dir.path().join("pwned").exists());
    // A line break would let a value inject another variable: refused.
    set.region = Some("x\nEVIL=1".to_owned());
    let e = run("template:github-actions", &[set])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line break") && e.contains("github-actions"),
        "{e}"
    );
}

#[test]
fn bundled_k8s_secret() {
    let want = r#"# A Kubernetes Secret for role ROLE; apply with kubectl apply -f -
apiVersion: v1
kind: Secret
metadata:
  name: aws-credentials
  annotations:
    ssocred/role-arn: "ROLE"
    ssocred/account-name: "Prod"
    ssocred/expiration: "2030-01-02T03:04:05Z"
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: "ASIAEXAMPLEKEY"
  AWS_SECRET_ACCESS_KEY: "wJalr/XUtnFEMI+K7MDENG=="
  AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjE/token+=="
  AWS_CREDENTIAL_EXPIRATION: "2030-01-02T03:04:05Z"
  AWS_REGION: "eu-west-1"
  AWS_DEFAULT_REGION: "eu-west-1"
"#;
    assert_eq!(
        run("template:k8s-secret", &[sample_set()]).unwrap(),
        want.replace("ROLE", ROLE)
    );
}

#[test]
fn bundled_tfvars() {
    let mut set = sample_set();
    set.region = None;
    assert_eq!(
        run("template:tfvars", &[set]).unwrap(),
        format!(
            "# Terraform / OpenTofu variables for role {ROLE}, expiring 2030-01-02T03:04:05Z.\n\
aws_access_key_id         = \"ASIAEXAMPLEKEY\"\n\
aws_secret_access_key     = \"wJalr/XUtnFEMI+K7MDENG==\"\n\
aws_session_token         = \"IQoJb3JpZ2luX2VjE/token+==\"\n\
aws_credential_expiration = \"2030-01-02T03:04:05Z\"\n\
aws_account_id            = \"123456789012\"\n\
aws_role_arn              = \"{ROLE}\"\n\
aws_account_name          = \"Prod\"\n"
        )
    );
}

#[test]
fn bundled_powershell() {
    let mut set = sample_set();
    set.region = Some("it's".to_owned());
    assert_eq!(
        run("template:powershell", &[set]).unwrap(),
        format!(
            "# PowerShell: credentials for role '{ROLE}'; run with | Invoke-Expression\n\
$env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEKEY'\n\
$env:AWS_SECRET_ACCESS_KEY = 'wJalr/XUtnFEMI+K7MDENG=='\n\
$env:AWS_SESSION_TOKEN = 'IQoJb3JpZ2luX2VjE/token+=='\n\
$env:AWS_CREDENTIAL_EXPIRATION = '2030-01-02T03:04:05Z'\n\
$env:AWS_REGION = 'it''s'\n\
$env:AWS_DEFAULT_REGION = 'it''s'\n"
        )
    );
}

#[test]
fn bundled_credentials_ini_holds_every_set_and_parses() {
    let mut second = sample_set();
    second.account_id = "210987654321".into();
    second.role_name = "My Role+x=y,z@w".into();
    second.region = None;
    let out = run("template:credentials-ini", &[sample_set(), second]).unwrap();
    assert_eq!(
        out,
        format!(
            "# {ROLE}, expires 2030-01-02T03:04:05Z\n[123456789012-ReadOnly]\n\
aws_access_key_id = ASIAEXAMPLEKEY\naws_secret_access_key = wJalr/XUtnFEMI+K7MDENG==\n\
aws_session_token = IQoJb3JpZ2luX2VjE/token+==\nregion = eu-west-1\n\n\
# {ROLE}, expires 2030-01-02T03:04:05Z\n[210987654321-My_Role+x_y_z@w]\n\
aws_access_key_id = ASIAEXAMPLEKEY\naws_secret_access_key = wJalr/XUtnFEMI+K7MDENG==\n\
aws_session_token = IQoJb3JpZ2luX2VjE/token+==\n"
        )
    );
    let ini = ini::Ini::load_from_str(&out).unwrap();
    let first = ini.section(Some("123456789012-ReadOnly")).unwrap();
    assert_eq!(
        first.get("aws_secret_access_key"),
        Some("wJalr/XUtnFEMI+K7MDENG==")
    );
    assert_eq!(first.get("region"), Some("eu-west-1"));
    let second = ini.section(Some("210987654321-My_Role+x_y_z@w")).unwrap();
    assert_eq!(
        second.get("aws_session_token"),
        Some("IQoJb3JpZ2luX2VjE/token+==")
    );
    assert_eq!(second.get("region"), None);
}

#[test]
fn one_set_templates_refuse_several_sets() {
    let two = [sample_set(), sample_set()];
    let dir = tempfile::tempdir().unwrap();
    let sink = build(
        &SinkSpec::parse("template:envrc").unwrap(),
        &ctx(dir.path()),
    )
    .unwrap();
    assert_eq!(sink.capacity(), Capacity::One);
    assert_eq!(
        run("template:credentials-ini", &two)
            .unwrap()
            .matches('[')
            .count(),
        2
    );
}

#[test]
fn data_model_exposes_every_documented_field() {
    let text: String = data::FIELDS
        .iter()
        .filter(|f| !matches!(**f, "sets"))
        .map(|f| format!("{f}={{{{{f}}}}}\n"))
        .collect();
    let out = render(&text, &sample_set()).unwrap();
    assert_eq!(
        out,
        "account_id=123456789012\naccount_name=Prod\nrole_name=ReadOnly\n\
role_arn=arn:aws:iam::123456789012:role/ReadOnly\naccess_key_id=ASIAEXAMPLEKEY\n\
secret_access_key=wJalr/XUtnFEMI+K7MDENG==\nsession_token=IQoJb3JpZ2luX2VjE/token+==\n\
expiration=2030-01-02T03:04:05Z\nexpiration_unix=1893553445\nexpiration_unix_ms=1893553445000\n\
expiration_rfc2822=Wed, 02 Jan 2030 03:04:05 +0000\nregion=eu-west-1\nsso_profile=my-sso\n\
profile=my-sso\nsso_session=corp\nstart_url=https://d-corp.awsapps.com/start\n\
profile_name=123456789012-ReadOnly\ncount=1\n"
    );
    let many = Template::compile(
        "t",
        "{{#each sets}}{{@index}}:{{role_name}};{{/each}}",
        true,
    )
    .unwrap()
    .render(vec![
        data::set_object(&sample_set()),
        data::set_object(&sample_set()),
    ])
    .unwrap();
    assert_eq!(many, "0:ReadOnly;1:ReadOnly;");
}

#[test]
fn helpers() {
    let mut set = sample_set();
    set.account_name = Some("Dév 'a' \"b\" $x `y` \\z".to_owned());
    let cases = [
        ("{{sh account_name}}", r#"'Dév '\''a'\'' "b" $x `y` \z'"#),
        (
            "{{powershell account_name}}",
            r#"'Dév ''a'' "b" $x `y` \z'"#,
        ),
        ("{{json account_name}}", r#""Dév 'a' \"b\" $x `y` \\z""#),
        ("{{json count}}", "1"),
        ("{{hcl account_name}}", r#""Dév 'a' \"b\" $x `y` \\z""#),
        ("{{hcl \"${a} %{b} $c\"}}", r#""$${a} %%{b} $c""#),
        (
            "{{upper role_name}} {{lower role_name}}",
            "READONLY readonly",
        ),
        ("{{sh (upper role_name)}}", "'READONLY'"),
        (
            "{{date expiration \"[year]/[month]/[day] [hour]h\"}}",
            "2030/01/02 03h",
        ),
        (
            "{{date expiration_unix \"rfc3339\"}}",
            "2030-01-02T03:04:05Z",
        ),
        ("{{date expiration \"unix\"}}", "1893553445"),
        (
            "{{date expiration \"rfc2822\"}}",
            "Wed, 02 Jan 2030 03:04:05 +0000",
        ),
        ("{{line role_name}}", "ReadOnly"),
        // No HTML escaping.
        ("{{secret_access_key}}<&>", "wJalr/XUtnFEMI+K7MDENG==<&>"),
    ];
    for (text, want) in cases {
        assert_eq!(render(text, &set).unwrap(), want, "{text}");
    }
    for (text, word) in [
        ("{{date role_name \"unix\"}}", "RFC 3339"),
        ("{{date expiration \"[nonsense]\"}}", "bad format"),
        ("{{sh}}", "takes 1 parameter"),
    ] {
        let e = render(text, &set).unwrap_err().to_string();
        assert!(e.contains(word), "{text}: {e}");
    }
    set.role_name = "a\nb".to_owned();
    let e = render("{{line role_name}}", &set).unwrap_err().to_string();
    assert!(e.contains("line break"), "{e}");
    set.region = None;
    let e = render("{{sh region}}", &set).unwrap_err().to_string();
    assert!(e.contains("null"), "{e}");
    assert_eq!(
        render("{{#if region}}x{{else}}none{{/if}}", &set).unwrap(),
        "none"
    );
}

#[test]
fn user_templates_by_path_and_out_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.hbs"), "key={{access_key_id}}\n").unwrap();
    assert_eq!(
        run_in(dir.path(), "template:mine.hbs", &[sample_set()]).unwrap(),
        "key=ASIAEXAMPLEKEY\n"
    );
    assert_eq!(
        run_in(
            dir.path(),
            "template:./mine.hbs,out=sub/out.txt",
            &[sample_set()]
        )
        .unwrap(),
        ""
    );
    let out = dir.path().join("sub/out.txt");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "key=ASIAEXAMPLEKEY\n"
    );
    let mode = ssocred_core::os::file::mode_bits(&std::fs::metadata(&out).unwrap());
    assert_eq!(mode, ssocred_core::os::file::PRIVATE_FILE_MODE);
}

#[test]
fn template_errors_are_clear_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.hbs"),
        "line one\nline two {{#if x}}{{/each}}\nline three\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("typo.hbs"), "ok\n{{acess_key_id}}\n").unwrap();
    let err = |spec: &str| {
        run_in(dir.path(), spec, &[sample_set()])
            .unwrap_err()
            .to_string()
    };
    let e = err("template:missing.hbs,out=o");
    assert!(
        e.contains("cannot read template file") && e.contains("missing.hbs"),
        "{e}"
    );
    let e = err("template:bad.hbs,out=o");
    assert!(
        e.contains("template `bad.hbs` line 2") && e.contains("nothing was written"),
        "{e}"
    );
    let e = err("template:typo.hbs,out=o");
    assert!(
        e.contains("unknown field `acess_key_id`") && e.contains("line 2"),
        "{e}"
    );
    let e = err("template:nope,out=o");
    assert!(
        e.contains("no bundled template `nope`") && e.contains("k8s-secret"),
        "{e}"
    );
    let e = err("template");
    assert!(e.contains("needs a template"), "{e}");
    let e = err("template:envrc,colour=red");
    assert!(e.contains("sink `template`") && e.contains("colour"), "{e}");
    assert!(!dir.path().join("o").exists());
}

#[test]
fn every_bundled_template_is_in_templates_dir_and_documented() {
    let readme = include_str!("../../../README.md");
    for b in BUNDLED {
        assert!(
            readme.contains(&format!("`{}`", b.name)),
            "{} not in README",
            b.name
        );
        Template::compile(b.name, b.text, b.many).unwrap();
    }
    let mut on_disk: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".hbs").map(str::to_owned)
            })
            .collect();
    on_disk.sort();
    let bundled: Vec<_> = BUNDLED.iter().map(|b| b.name.to_owned()).collect();
    assert_eq!(on_disk, bundled);
}

#[test]
fn date_helper_refuses_hostile_values_without_panicking() {
    let set = sample_set();
    for (text, word) in [
        (
            r#"{{date "9999-12-31T23:59:59-23:59" "rfc3339"}}"#,
            "out of range",
        ),
        ("{{date 99999999999999999 \"rfc3339\"}}", "not a Unix time"),
        ("{{date -99999999999999999 \"rfc3339\"}}", "not a Unix time"),
        ("{{date 1E300 \"rfc3339\"}}", "not a Unix time"),
        ("{{date 1.5 \"rfc3339\"}}", "not a Unix time"),
    ] {
        let e = render(text, &set).unwrap_err().to_string();
        assert!(
            e.contains(word) && e.contains("helper `date`"),
            "{text}: {e}"
        );
    }
    // The extremes that are in range still format.
    assert_eq!(
        render(r#"{{date "9999-12-31T23:59:59Z" "rfc3339"}}"#, &set).unwrap(),
        "9999-12-31T23:59:59Z"
    );
    assert_eq!(
        render("{{date -62135596800 \"rfc3339\"}}", &set).unwrap(),
        "0001-01-01T00:00:00Z"
    );
}

/// Compiles and renders `text` for `sets` sample sets; the error's text and
/// exit code, or the output.
fn hostile(text: &str, sets: usize) -> Result<String, (String, ssocred_core::ExitClass)> {
    let started = std::time::Instant::now();
    let result = Template::compile("hostile.hbs", text, true)
        .and_then(|t| t.render((0..sets).map(|_| data::set_object(&sample_set())).collect()))
        .map_err(|e| (e.to_string(), e.exit_code()));
    // Generous for a loaded machine and a debug build; the unguarded cases
    // overflow the stack, or run for minutes.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    result
}

fn refused(text: &str, sets: usize, words: &[&str]) {
    let (e, code) = hostile(text, sets).map(|_| ()).unwrap_err();
    assert_eq!(code, ssocred_core::ExitClass::Usage, "{e}");
    assert!(e.contains("template `hostile.hbs`"), "{e}");
    for w in words {
        assert!(e.contains(w), "`{w}` not in: {e}");
    }
}

#[test]
fn recursive_partials_are_refused_before_rendering() {
    for text in [
        r#"{{#*inline "p"}}{{> p}}{{/inline}}{{> p}}"#,
        r#"{{#*inline "p"}}x{{> q}}{{/inline}}{{#*inline "q"}}{{#if count}}{{> p}}{{/if}}{{/inline}}{{> p}}"#,
        r#"{{#*inline "p"}}{{> hostile.hbs}}{{/inline}}{{> p}}"#,
        r#"{{#*inline "p"}}{{#> p}}{{/p}}{{/inline}}{{> p}}"#,
    ] {
        refused(text, 1, &["includes itself"]);
    }
    refused("{{> (upper role_name)}}", 1, &["written out"]);
    refused(
        r#"{{#*inline role_name}}x{{/inline}}"#,
        1,
        &["quoted string"],
    );
    // A chain of partials each using the previous one twice: 2^15 expansions.
    let mut text = r#"{{#*inline "p0"}}x{{/inline}}"#.to_owned();
    for k in 1..=15 {
        text += &format!(
            r#"{{{{#*inline "p{k}"}}}}{{{{> p{j}}}}}{{{{> p{j}}}}}{{{{/inline}}}}"#,
            j = k - 1
        );
    }
    refused(&(text.clone() + "{{> p15}}"), 1, &["expand more than 1000"]);
    // A few partials are fine.
    assert_eq!(hostile(&(text + "{{> p3}}"), 1).unwrap(), "x".repeat(8));
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let blocks = format!(
        "{}x{}",
        "{{#if count}}".repeat(20_000),
        "{{/if}}".repeat(20_000)
    );
    refused(&blocks, 1, &["nest more than 64"]);
    let subexpressions = format!(
        "{{{{sh {}role_name{}}}}}",
        "(upper ".repeat(20_000),
        ")".repeat(20_000)
    );
    refused(&subexpressions, 1, &["nest more than 64"]);
    let arrays = format!("{{{{json {}1{}}}}}", "[".repeat(60_000), "]".repeat(60_000));
    refused(&arrays, 1, &["nest more than 64"]);
    // An else-if chain nests in the parsed template, not in the text.
    let chain = format!(
        "{{{{#if region}}}}{}{{{{/if}}}}",
        "{{else if count}}".repeat(500)
    );
    refused(&chain, 1, &["nest more than 64"]);
    // Closing tags hidden where handlebars reads text still count.
    for hide in [
        r"{{!-- {{/if}} --}}",
        r"{{! {{/if}} }}",
        r"{{{{raw}}}}{{/if}}{{{{/raw}}}}",
        r"\{{/if}}",
    ] {
        let text = format!(
            "{}{}",
            format!("{{{{#if count}}}}{hide}").repeat(100),
            "{{/if}}".repeat(100)
        );
        refused(&text, 1, &["nest more than 64"]);
    }
    refused(
        r#"{{#if count}}{{sh "}}{{/if}}"}}{{/if}}"#,
        1,
        &["`{{` or `}}`"],
    );
    // A path key can hold quotes and brackets; such a tag must not hide the
    // tags after it from the count.
    let deep = format!("{}x{}", "{{#if count}}".repeat(100), "{{/if}}".repeat(100));
    refused(
        &format!("{{{{lookup this [it's]}}}}{deep}"),
        1,
        &["`{{` or `}}`"],
    );
    refused(
        &format!("{{{{lookup this [x{{]}}}}{deep}"),
        1,
        &["brackets"],
    );
    // Reasonable nesting renders.
    let ok = format!("{}x{}", "{{#if count}}".repeat(30), "{{/if}}".repeat(30));
    assert_eq!(hostile(&ok, 1).unwrap(), "x");
    assert_eq!(
        hostile(
            r#"{{{{raw}}}}{{x}}{{{{/raw}}}} \{{y}} {{!-- }} --}}{{json "a\"b"}}"#,
            1
        )
        .unwrap(),
        r#"{{x}} {{y}} "a\"b""#
    );
}

#[test]
fn tags_and_loops_are_bounded() {
    refused(&"{{count}}".repeat(2_001), 1, &["2001 `{{` tags", "2000"]);
    // Six nested loops over the data: at least 32^6 steps.
    let loops = format!("{}x{}", "{{#each @root}}".repeat(6), "{{/each}}".repeat(6));
    refused(&loops, 1, &["more than 1000000 steps"]);
    // The bound follows the number of sets.
    let two = "{{#each sets}}{{#each ../sets}}{{#each ../../sets}}x{{/each}}{{/each}}{{/each}}";
    assert_eq!(hostile(two, 3).unwrap(), "x".repeat(27));
    refused(
        two,
        200,
        &["200 credential set(s)", "more than 1000000 steps"],
    );
    let nested = "{{#each @root.sets}}{{#each @root.sets}}x{{/each}}{{/each}}";
    assert_eq!(hostile(nested, 3).unwrap(), "x".repeat(9));
    // Unguarded, 100^5 turns that write nothing: hours.
    let five = format!(
        "{}x{}",
        "{{#each @root.sets}}".repeat(5),
        "{{/each}}".repeat(5)
    );
    refused(&five, 100, &["more than 1000000 steps"]);
    // A literal list counts as what a loop may run over.
    let list = format!(
        "{{{{#each [{}]}}}}{{{{#each [{}]}}}}x{{{{/each}}}}{{{{/each}}}}",
        "1,".repeat(5_000) + "1",
        "1"
    );
    refused(&list, 1, &["more than 1000000 steps"]);
}

#[test]
fn output_is_capped() {
    let big = format!("{{{{#each sets}}}}{}{{{{/each}}}}", "y".repeat(60_000));
    refused(&big, 300, &["output grew past 16 MiB"]);
    assert_eq!(hostile(&big, 2).unwrap().len(), 120_000);
}

// Unix only: reads /dev/zero through the template path.
#[cfg(unix)]
#[test]
fn template_files_are_regular_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let err = |spec: &str| {
        let started = std::time::Instant::now();
        let e = run_in(dir.path(), spec, &[sample_set()]).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
        e.to_string()
    };
    let e = err("template:/dev/zero");
    assert!(
        e.contains("/dev/zero") && e.contains("not a regular file"),
        "{e}"
    );
    std::fs::create_dir(dir.path().join("dir.hbs")).unwrap();
    let e = err("template:dir.hbs");
    assert!(e.contains("not a regular file"), "{e}");
    std::fs::write(dir.path().join("big.hbs"), "x".repeat(64 * 1024 + 1)).unwrap();
    let e = err("template:big.hbs");
    assert!(e.contains("big.hbs") && e.contains("64 KiB"), "{e}");
    std::fs::write(dir.path().join("max.hbs"), "x".repeat(64 * 1024)).unwrap();
    assert_eq!(
        run_in(dir.path(), "template:max.hbs", &[sample_set()])
            .unwrap()
            .len(),
        64 * 1024
    );
    std::fs::write(dir.path().join("bin.hbs"), b"\xff\xfe").unwrap();
    let e = err("template:bin.hbs");
    assert!(e.contains("not UTF-8"), "{e}");
}

// Unix only: makes a FIFO (mkfifo).
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.hbs");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Run it on a thread: unguarded, opening the FIFO blocks for ever.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let _ =
            tx.send(run_in(&path, "template:fifo.hbs", &[sample_set()]).map_err(|e| e.to_string()));
    });
    let e = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("opening the FIFO blocked")
        .unwrap_err();
    assert!(
        e.contains("fifo.hbs") && e.contains("not a regular file"),
        "{e}"
    );
}

#[test]
fn a_bad_date_format_is_quoted_short_in_the_error() {
    let format = format!("[nonsense]{}", "x".repeat(50_000));
    let e = render(
        &format!("{{{{date expiration \"{format}\"}}}}"),
        &sample_set(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad format `[nonsense]xxx") && e.contains("…`"),
        "{e}"
    );
    assert!(e.len() < 400, "{} bytes: {e}", e.len());
}

#[test]
fn the_parsed_template_is_checked_for_depth_too() {
    // Whatever the scan of the text lets through, the parsed template's
    // depth is checked again before anything renders it.
    let n = 100;
    for text in [
        format!("{}x{}", "{{#if count}}".repeat(n), "{{/if}}".repeat(n)),
        format!(
            "{{{{sh {}role_name{}}}}}",
            "(upper ".repeat(n),
            ")".repeat(n)
        ),
        format!("{{{{json {}1{}}}}}", "[".repeat(n), "]".repeat(n)),
        format!("{{{{> p {}1{}}}}}", "[".repeat(n), "]".repeat(n)),
    ] {
        let ast = handlebars::Template::compile(&text).unwrap();
        let e = limits::check_partials("t", &ast).unwrap_err();
        assert!(e.contains("nest more than 64"), "{e}");
    }
    let ast = handlebars::Template::compile(&format!(
        "{{{{sh {}role_name{}}}}}",
        "(upper ".repeat(60),
        ")".repeat(60)
    ))
    .unwrap();
    limits::check_partials("t", &ast).unwrap();
}

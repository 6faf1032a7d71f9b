use super::*;

const ARN: &str = "arn:aws:iam::111111111111:role/My.Role+x=y,z@w";

#[test]
fn posix_words_are_bare_or_single_quoted() {
    assert_eq!(Rules::Posix.word("corp").unwrap(), "corp");
    assert_eq!(Rules::Posix.word(ARN).unwrap(), ARN);
    assert_eq!(Rules::Posix.word("has space").unwrap(), "'has space'");
    assert_eq!(Rules::Posix.word("").unwrap(), "''");
    assert_eq!(Rules::Posix.word("corp #1").unwrap(), "'corp ''#1'");
    for bad in ["it's", "a\nb", "a\rb"] {
        assert!(Rules::Posix.word(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        Rules::Posix.program("/a b/ssocred").unwrap(),
        "\"/a b/ssocred\""
    );
    for bad in ["/a\"b", "/a$b", "/a`b", "/a\\b", ""] {
        assert!(Rules::Posix.program(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn windows_words_are_bare_or_refused_with_the_reason() {
    let exe = r"C:\Users\jürgen\scoop\apps\ssocred\1.2.0\ssocred.exe";
    assert_eq!(Rules::Windows.program(exe).unwrap(), exe);
    assert_eq!(
        Rules::Windows
            .program(r"C:\PROGRA~1\ssocred\ssocred.exe")
            .unwrap(),
        r"C:\PROGRA~1\ssocred\ssocred.exe"
    );
    assert_eq!(Rules::Windows.word(ARN).unwrap(), ARN);
    assert_eq!(Rules::Windows.word("corp").unwrap(), "corp");
    let spaced = Rules::Windows
        .program(r"C:\Program Files\ssocred\ssocred.exe")
        .unwrap_err();
    assert!(spaced.to_string().contains("space"), "{spaced}");
    for bad in [
        "my corp",
        "",
        "a\"b",
        "a&b",
        "a|b",
        "a<b",
        "a>b",
        "a^b",
        "%USERNAME%",
        "a!b",
        "(a)",
        "#corp",
        ";corp",
        "a\nb",
    ] {
        assert!(Rules::Windows.word(bad).is_err(), "{bad:?}");
    }
    // `cmd` ends a program's name at these; an argument keeps them.
    for bad in [
        r"C:\a,b\ssocred.exe",
        r"C:\a=b\ssocred.exe",
        r"C:\a;b\x.exe",
    ] {
        assert!(Rules::Windows.program(bad).is_err(), "{bad}");
    }
}

#[test]
fn each_rule_set_reads_back_what_it_writes() {
    let words = [
        "-p",
        "corp",
        "-r",
        ARN,
        "--assume",
        "arn:aws:iam::2:role/D,external-id=a,b",
    ];
    for (rules, program) in [
        (Rules::Posix, "/opt/my tools #1/ssocred"),
        (Rules::Windows, r"C:\Users\me\ssocred.exe"),
    ] {
        let mut line = rules.program(program).unwrap();
        for word in words {
            line.push(' ');
            line.push_str(&rules.word(word).unwrap());
        }
        let mut expected = vec![program.to_owned()];
        expected.extend(words.map(str::to_owned));
        assert_eq!(rules.split(&line).unwrap(), expected, "{rules:?}: {line}");
    }
    let posix = format!("ssocred -p {}", Rules::Posix.word("my corp ;x").unwrap());
    assert_eq!(
        Rules::Posix.split(&posix).unwrap(),
        ["ssocred", "-p", "my corp ;x"]
    );
}

#[test]
fn windows_lines_split_by_the_c_runtime_rules() {
    let split = |line: &str| Rules::Windows.split(line).unwrap();
    // The program name: quotes group, backslashes are literal.
    assert_eq!(
        split(r#""C:\Program Files\ssocred\ssocred.exe" -p corp"#),
        [r"C:\Program Files\ssocred\ssocred.exe", "-p", "corp"]
    );
    assert_eq!(split(r"  C:\x\ssocred.exe"), [r"C:\x\ssocred.exe"]);
    // Backslashes count only before a quote.
    assert_eq!(split(r"x a\\b a\\\\"), ["x", r"a\\b", r"a\\\\"]);
    assert_eq!(
        split(r#"x "a b" c\"d e\\"f g" h"#),
        ["x", "a b", r#"c"d"#, r"e\f g", "h"]
    );
    assert_eq!(split(r#"x "a ""quoted"" b""#), ["x", r#"a "quoted" b"#]);
    assert_eq!(split(r#"x "" y"#), ["x", "", "y"]);
    assert_eq!(split("x\ta \t b "), ["x", "a", "b"]);
    assert_eq!(split(""), Vec::<String>::new());
    assert!(Rules::Windows.split(r#""C:\x.exe -p"#).is_none());
    assert!(Rules::Windows.split(r#"x -p "corp"#).is_none());
    // POSIX quotes mean nothing here, and backslashes stay.
    assert_eq!(split(r"x 'a b' C:\dir\"), ["x", "'a", "b'", r"C:\dir\"]);
}

#[test]
fn posix_lines_split_as_sh_does() {
    let split = |line: &str| Rules::Posix.split(line).unwrap();
    assert_eq!(
        split(r#""/opt/my tools/ssocred" --profile='my corp' a\ b "c\"d\x" ''"#),
        [
            "/opt/my tools/ssocred",
            "--profile=my corp",
            "a b",
            r#"c"d\x"#,
            ""
        ]
    );
    assert!(Rules::Posix.split("x 'open").is_none());
    assert!(Rules::Posix.split("x \"open").is_none());
    assert!(Rules::Posix.split("x end\\").is_none());
}

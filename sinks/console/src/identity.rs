//! One browser identity per role: a Chromium-family browser gets a
//! user-data directory of the role's own, and Firefox a container through
//! the "Open external links in a container" extension's `ext+container:`
//! URL scheme. Two roles' console sessions then never share cookies.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// `browser_profile`: `auto` names the identity after the account and the
/// role ([`BrowserProfile::name`]); anything else is the name itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserProfile {
    /// `ACCOUNT-ROLE`.
    Auto,
    /// A name of the user's.
    Named(String),
}

impl BrowserProfile {
    /// Parses the option: `auto`, or a name of 1 to 64 letters, digits,
    /// `.`, `_`, `-` that does not start with `.` (it becomes a directory).
    pub fn parse(text: &str) -> Result<BrowserProfile, String> {
        if text == "auto" {
            return Ok(BrowserProfile::Auto);
        }
        let fits = !text.is_empty()
            && text.len() <= 64
            && !text.starts_with('.')
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if fits {
            Ok(BrowserProfile::Named(text.to_owned()))
        } else {
            Err(format!(
                "`browser-profile` is `auto` or a name of 1 to 64 letters, digits, `.`, `_` and `-` not starting with `.`, not `{}`",
                ssocred_core::domain::text::visible(text)
            ))
        }
    }

    /// The identity's name for a role: `auto` gives `ACCOUNT-ROLE`, kept as
    /// it is when it holds only letters, digits, `.`, `_` and `-`; otherwise
    /// each other character becomes `_` and `~` and the first 12 hex digits
    /// of the SHA-256 of the exact role ARN follow. `~` is in no account id
    /// or role name, so two roles never share a name (`Dev+Ops` and
    /// `Dev_Ops` differ), and the partition is part of the hash.
    pub fn name(&self, account_id: &str, role_name: &str, role_arn: &str) -> String {
        match self {
            BrowserProfile::Named(name) => name.clone(),
            BrowserProfile::Auto => {
                let plain = format!("{account_id}-{role_name}");
                let keep = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
                if plain.chars().all(keep) {
                    return plain;
                }
                let readable: String = plain
                    .chars()
                    .map(|c| if keep(c) { c } else { '_' })
                    .collect();
                let digest = Sha256::digest(role_arn.as_bytes());
                let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
                format!("{readable}~{hash}")
            }
        }
    }
}

/// Which kind of browser a command runs, by its program's file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Chrome, Chromium, Edge, Brave, Vivaldi: `--user-data-dir`.
    Chromium,
    /// Firefox: containers.
    Firefox,
    /// Anything else (`xdg-open`, `open`): no identity of its own.
    Other,
}

impl Family {
    /// The family of `program`.
    pub fn of(program: &str) -> Family {
        let name = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let any = |words: &[&str]| words.iter().any(|w| name.contains(w));
        if any(&[
            "chrome",
            "chromium",
            "msedge",
            "microsoft-edge",
            "brave",
            "vivaldi",
        ]) {
            Family::Chromium
        } else if any(&["firefox", "librewolf"]) {
            Family::Firefox
        } else {
            Family::Other
        }
    }
}

/// The user-data directory of identity `name`.
pub fn user_data_dir(state: &Path, name: &str) -> PathBuf {
    state.join("browser-profiles").join(name)
}

/// The container colours the extension accepts.
const COLOURS: [&str; 8] = [
    "blue",
    "turquoise",
    "green",
    "yellow",
    "orange",
    "red",
    "pink",
    "purple",
];

/// The colour of container `name`: one of [`COLOURS`], picked by a hash of
/// the name (FNV-1a), so a role keeps its colour from run to run.
pub fn colour(name: &str) -> &'static str {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    COLOURS[(hash % COLOURS.len() as u64) as usize]
}

/// The `ext+container:` URL that opens `url` in container `name`, created
/// with its colour and the fingerprint icon if it does not exist yet.
pub fn container_url(name: &str, url: &str) -> String {
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "ext+container:name={}&color={}&icon=fingerprint&url={}",
        encode(name),
        colour(name),
        encode(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_role_or_the_user() {
        let auto = BrowserProfile::parse("auto").unwrap();
        assert_eq!(
            auto.name(
                "123456789012",
                "Admin",
                "arn:aws:iam::123456789012:role/Admin"
            ),
            "123456789012-Admin"
        );
        let odd = auto.name(
            "123456789012",
            "My.Role+x=y,z@w",
            "arn:aws:iam::123456789012:role/My.Role+x=y,z@w",
        );
        assert!(odd.starts_with("123456789012-My.Role_x_y_z_w~"), "{odd}");
        assert_eq!(odd.len(), "123456789012-My.Role_x_y_z_w~".len() + 12);
        assert_eq!(
            BrowserProfile::parse("work").unwrap().name("1", "r", "arn"),
            "work"
        );
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(65)] {
            assert!(BrowserProfile::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn two_roles_never_share_an_identity() {
        let auto = BrowserProfile::Auto;
        let name = |role: &str| {
            let arn = format!("arn:aws:iam::111100000001:role/{role}");
            auto.name("111100000001", role, &arn)
        };
        let names: std::collections::HashSet<String> = [
            "Dev+Ops", "Dev_Ops", "Dev=Ops", "Dev,Ops", "Dev@Ops", "Dev-Ops", "Dev.Ops",
        ]
        .iter()
        .map(|r| name(r))
        .collect();
        assert_eq!(names.len(), 7, "{names:?}");
        // A role whose own name looks like a hashed one keeps it, and the
        // hashed one carries `~`, which no role name holds.
        let hashed = name("Dev+Ops");
        // The example in docs/console.md.
        assert_eq!(hashed, "111100000001-Dev_Ops~6b5cef06d271");
        let (readable, hash) = hashed.split_once('~').unwrap();
        assert_eq!(readable, "111100000001-Dev_Ops");
        assert_ne!(name(&format!("Dev_Ops-{hash}")), hashed);
        // The same role in another partition is another identity.
        let cn = auto.name(
            "111100000001",
            "Dev+Ops",
            "arn:aws-cn:iam::111100000001:role/Dev+Ops",
        );
        assert_ne!(cn, hashed);
        // Each is one plain directory name.
        for n in &names {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._~-".contains(c)),
                "{n}"
            );
        }
    }

    #[test]
    fn families_by_program_name() {
        for chromium in [
            "chromium",
            "/usr/bin/google-chrome-stable",
            "microsoft-edge",
            "brave-browser",
            "msedge.exe",
        ] {
            assert_eq!(Family::of(chromium), Family::Chromium, "{chromium}");
        }
        assert_eq!(Family::of("/usr/bin/firefox"), Family::Firefox);
        assert_eq!(Family::of("xdg-open"), Family::Other);
    }

    #[test]
    fn containers_keep_their_colour_and_carry_the_url_encoded() {
        let url = container_url("123456789012-Admin", "https://s.example/federation?a=1&b=2");
        assert!(
            url.starts_with("ext+container:name=123456789012%2DAdmin&color="),
            "{url}"
        );
        assert!(
            url.ends_with(
                "&icon=fingerprint&url=https%3A%2F%2Fs%2Eexample%2Ffederation%3Fa%3D1%26b%3D2"
            ),
            "{url}"
        );
        assert_eq!(colour("123456789012-Admin"), colour("123456789012-Admin"));
        let spread: std::collections::HashSet<_> =
            (0..40).map(|i| colour(&format!("role-{i}"))).collect();
        assert!(spread.len() > 4, "{spread:?}");
    }
}

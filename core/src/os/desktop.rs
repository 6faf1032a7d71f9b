//! The desktop around ssocred: whether a browser can be shown, which
//! command opens one (WSL included), which command shows a notification,
//! and the terminal's clipboard. Every choice that depends on the operating
//! system is made here, from injected inputs, so it can be tested anywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

/// The file whose content names a WSL kernel (`...-microsoft-standard-WSL2`).
pub const OSRELEASE_FILE: &str = "/proc/sys/kernel/osrelease";

/// Whether this is Linux under the Windows Subsystem for Linux.
///
/// The rule: `WSL_DISTRO_NAME` or `WSL_INTEROP` is set (WSL sets both in
/// every session it starts), or the kernel release (`osrelease`, the content
/// of [`OSRELEASE_FILE`]) contains `microsoft` in any case, which also holds
/// under `sudo` or `env -i`, where those variables are gone.
pub fn is_wsl(var: impl Fn(&str) -> Option<String>, osrelease: Option<&str>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    set("WSL_DISTRO_NAME")
        || set("WSL_INTEROP")
        || osrelease.is_some_and(|r| r.to_ascii_lowercase().contains("microsoft"))
}

/// The kernel release of this machine, for [`is_wsl`]; `None` off Linux.
pub fn osrelease() -> Option<String> {
    std::fs::read_to_string(OSRELEASE_FILE).ok()
}

/// How a URL reaches a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opener {
    /// The desktop's opener: `open` on macOS, `xdg-open` elsewhere.
    System,
    /// WSL's `wslview` (from wslu), which hands the URL to Windows.
    Wslview(PathBuf),
    /// Windows' `cmd.exe /c start "" URL`, reached through WSL interop.
    WindowsStart(PathBuf),
}

/// `name` in one of the directories of `path` (a `PATH` value) as a file.
pub fn find_in_path(
    name: &str,
    path: Option<&str>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| exists(candidate))
}

/// The WSL opener: `wslview` when installed, else `cmd.exe`; `None` when
/// neither is on `PATH` (interop turned off), so the login falls back to the
/// device code.
pub fn wsl_opener(path: Option<&str>, exists: impl Fn(&Path) -> bool) -> Option<Opener> {
    find_in_path("wslview", path, &exists)
        .map(Opener::Wslview)
        .or_else(|| find_in_path("cmd.exe", path, &exists).map(Opener::WindowsStart))
}

/// Where a browser can show a page, and how to open one there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desktop {
    /// Whether a browser can show a page on this machine: not over SSH; on
    /// macOS always; under WSL when an opener was found; elsewhere with an
    /// X11 or Wayland display.
    pub display: bool,
    /// How to open a URL.
    pub opener: Opener,
}

impl Desktop {
    /// The desktop described by the environment `var`, the kernel release
    /// and a test for files (for the `PATH` lookups under WSL).
    pub fn detect(
        var: impl Fn(&str) -> Option<String>,
        osrelease: Option<&str>,
        exists: impl Fn(&Path) -> bool,
    ) -> Desktop {
        let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
        if set("SSH_CONNECTION") || set("SSH_TTY") {
            return Desktop {
                display: false,
                opener: Opener::System,
            };
        }
        if !cfg!(target_os = "macos") && is_wsl(&var, osrelease) {
            return match wsl_opener(var("PATH").as_deref(), exists) {
                Some(opener) => Desktop {
                    display: true,
                    opener,
                },
                None => Desktop {
                    display: false,
                    opener: Opener::System,
                },
            };
        }
        Desktop {
            display: cfg!(target_os = "macos") || set("DISPLAY") || set("WAYLAND_DISPLAY"),
            opener: Opener::System,
        }
    }

    /// The desktop of this process.
    pub fn of_process() -> Desktop {
        Desktop::detect(
            |name| std::env::var(name).ok(),
            osrelease().as_deref(),
            Path::is_file,
        )
    }

    /// The command that opens `url`, or `None` for anything but a plain web
    /// address (see [`is_web_url`]).
    pub fn open_command(&self, url: &str) -> Option<Command> {
        is_web_url(url).then(|| self.opener_command(url))
    }

    /// Whether this opener's browser reads files of this system: not under
    /// WSL, whose Windows browser cannot open a page in Linux's runtime
    /// directory.
    pub fn reads_local_pages(&self) -> bool {
        self.opener == Opener::System
    }

    /// The command that opens a private page ([`crate::os::page`]) by its
    /// `file://` URL; `None` for another URL, or where the browser cannot
    /// read the page ([`Desktop::reads_local_pages`]).
    pub fn open_page_command(&self, file_url: &str) -> Option<Command> {
        (self.reads_local_pages() && is_page_url(file_url)).then(|| self.opener_command(file_url))
    }

    fn opener_command(&self, url: &str) -> Command {
        let mut cmd;
        match &self.opener {
            Opener::System if cfg!(target_os = "macos") => {
                cmd = Command::new("open");
                cmd.arg(url);
            }
            Opener::System => {
                cmd = Command::new("xdg-open");
                cmd.arg(url);
            }
            Opener::Wslview(path) => {
                cmd = Command::new(path);
                cmd.arg(url);
            }
            Opener::WindowsStart(path) => {
                // cmd.exe reads `&`, `|`, `<`, `>`, `^` and parentheses as
                // its own syntax; `^` makes each literal. The empty title
                // (WSL interop passes an empty argument as `""`) keeps
                // `start` from taking the URL for a window title.
                cmd = Command::new(path);
                cmd.args(["/c", "start", ""]).arg(cmd_escaped(url));
            }
        }
        cmd
    }
}

/// A browser command of the user's (`[login] browser`), split on spaces,
/// with `%s` replaced by `url`, else `url` as its last argument; `None` for
/// an empty command or anything but a plain web address.
pub fn browser_command(browser: &str, url: &str) -> Option<Command> {
    if !is_web_url(url) {
        return None;
    }
    user_browser(browser, url)
}

/// [`browser_command`] for a private page's `file://` URL; `None` for
/// another URL.
pub fn browser_page_command(browser: &str, file_url: &str) -> Option<Command> {
    if !is_page_url(file_url) {
        return None;
    }
    user_browser(browser, file_url)
}

fn user_browser(browser: &str, url: &str) -> Option<Command> {
    let mut words = browser.split_whitespace();
    let mut cmd = Command::new(words.next()?);
    let mut args: Vec<String> = words.map(str::to_owned).collect();
    if args.iter().any(|a| a.contains("%s")) {
        args = args.iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_owned());
    }
    cmd.args(args);
    Some(cmd)
}

/// Whether `url` is a `file://` URL with nothing a command line would
/// treat specially, as [`crate::os::page::Page::file_url`] makes them.
fn is_page_url(url: &str) -> bool {
    url.starts_with("file:///") && url.chars().all(|c| c.is_ascii_graphic() && c != '"')
}

/// `text` with every character cmd.exe treats specially prefixed by `^`.
fn cmd_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "^&|<>()%!\"".contains(c) {
            out.push('^');
        }
        out.push(c);
    }
    out
}

/// Whether `url` is an `http`/`https` address with nothing a terminal or a
/// command line would treat specially.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    // Printable ASCII only: a real address is percent-encoded, and any
    // other character (a control, a bidi override) could disguise it.
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.chars().all(|c| c.is_ascii_graphic() && c != '"')
}

/// The OSC 52 sequence that asks the terminal to put `text` on the system
/// clipboard. Terminals without OSC 52 ignore it.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\u{1b}]52;c;{encoded}\u{7}")
}

/// Whether the terminal named by `TERM` may take OSC 52 (anything but an
/// absent or `dumb` terminal).
pub fn terminal_may_copy(var: impl Fn(&str) -> Option<String>) -> bool {
    var("TERM").is_some_and(|t| !t.is_empty() && t != "dumb")
}

/// The command that shows a desktop notification with `title` and `body`
/// on this operating system: `notify-send` on Linux and the BSDs,
/// `osascript` on macOS, a PowerShell toast on Windows. The texts travel as
/// arguments or environment, never inside a script.
pub fn notification_command(title: &str, body: &str) -> Command {
    if cfg!(target_os = "macos") {
        let mut cmd = Command::new("osascript");
        cmd.args([
            "-e",
            "on run argv",
            "-e",
            "display notification (item 2 of argv) with title (item 1 of argv)",
            "-e",
            "end run",
            title,
            body,
        ]);
        cmd
    } else if cfg!(windows) {
        let mut cmd = Command::new("powershell.exe");
        cmd.args(["-NoProfile", "-NonInteractive", "-Command", WINDOWS_TOAST])
            .env("SSOCRED_NOTIFY_TITLE", title)
            .env("SSOCRED_NOTIFY_BODY", body);
        cmd
    } else {
        let mut cmd = Command::new("notify-send");
        cmd.args(["--app-name=ssocred", "--", title, body]);
        cmd
    }
}

/// `command` run by the system shell: `sh -c` (`cmd` on Windows; see
/// [`crate::os::process::shell`]).
pub fn shell_command(command: &str) -> Command {
    crate::os::process::shell(command)
}

/// A toast through the Windows Runtime, reading its texts from the
/// environment so that nothing in them is PowerShell syntax.
const WINDOWS_TOAST: &str = "$null = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]; \
$xml = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02); \
$t = $xml.GetElementsByTagName('text'); \
$null = $t.Item(0).AppendChild($xml.CreateTextNode($env:SSOCRED_NOTIFY_TITLE)); \
$null = $t.Item(1).AppendChild($xml.CreateTextNode($env:SSOCRED_NOTIFY_BODY)); \
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('ssocred').Show([Windows.UI.Notifications.ToastNotification]::new($xml))";

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn wsl_is_told_by_its_variables_or_its_kernel() {
        assert!(is_wsl(env(&[("WSL_DISTRO_NAME", "Debian")]), None));
        assert!(is_wsl(env(&[("WSL_INTEROP", "/run/WSL/1_interop")]), None));
        assert!(is_wsl(
            env(&[]),
            Some("5.15.153.1-microsoft-standard-WSL2\n")
        ));
        assert!(is_wsl(env(&[]), Some("4.4.0-19041-Microsoft")));
        assert!(!is_wsl(env(&[]), Some("6.8.0-45-generic")));
        assert!(!is_wsl(env(&[("WSL_DISTRO_NAME", "")]), None));
        assert!(!is_wsl(env(&[]), None));
    }

    #[test]
    fn wsl_opens_with_wslview_else_cmd_else_falls_back_to_the_device_code() {
        // WSL is a Linux: macOS and Windows never take its branch.
        if cfg!(target_os = "macos") || cfg!(windows) {
            return;
        }
        let kernel = Some("5.15.153.1-microsoft-standard-WSL2");
        let path = &[
            ("PATH", "/usr/bin:relative:/mnt/c/Windows/system32"),
            ("DISPLAY", ":0"),
        ];
        let both = |p: &Path| {
            p == Path::new("/usr/bin/wslview") || p == Path::new("/mnt/c/Windows/system32/cmd.exe")
        };
        let desktop = Desktop::detect(env(path), kernel, both);
        assert_eq!(
            desktop,
            Desktop {
                display: true,
                opener: Opener::Wslview(PathBuf::from("/usr/bin/wslview"))
            }
        );
        let cmd_only = |p: &Path| p == Path::new("/mnt/c/Windows/system32/cmd.exe");
        let desktop = Desktop::detect(env(path), kernel, cmd_only);
        assert_eq!(
            desktop.opener,
            Opener::WindowsStart(PathBuf::from("/mnt/c/Windows/system32/cmd.exe"))
        );
        assert!(desktop.display);
        // A relative PATH entry is never searched.
        let relative = |p: &Path| p == Path::new("relative/wslview");
        let none = Desktop::detect(env(path), kernel, relative);
        assert!(!none.display, "WSL without an opener uses the device code");
        // Over SSH nothing opens, WSL or not.
        let ssh = &[("PATH", "/usr/bin"), ("SSH_CONNECTION", "a b c d")];
        assert!(!Desktop::detect(env(ssh), kernel, both).display);
        // Not WSL: the display variables decide, as before.
        let plain = Desktop::detect(env(&[("DISPLAY", ":0")]), Some("6.8.0"), both);
        assert_eq!(plain.opener, Opener::System);
        assert!(plain.display);
        assert!(!Desktop::detect(env(&[]), Some("6.8.0"), both).display);
    }

    #[test]
    fn windows_start_escapes_what_cmd_would_read() {
        let desktop = Desktop {
            display: true,
            opener: Opener::WindowsStart(PathBuf::from("/c/cmd.exe")),
        };
        let cmd = desktop
            .open_command("https://a.example/authorize?x=1&y=%2F(z)")
            .unwrap();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "/c",
                "start",
                "",
                "https://a.example/authorize?x=1^&y=^%2F^(z^)"
            ]
        );
        assert!(desktop.open_command("https://a.example/\"&calc").is_none());
    }

    #[test]
    fn only_plain_web_urls_are_opened() {
        for url in [
            "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
            "http://127.0.0.1:8080/device?user_code=X",
        ] {
            assert!(is_web_url(url), "{url}");
        }
        for url in [
            "--help",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://a.example/\u{1b}[2J",
            "https://a.example/ --new-window",
            "https://a.example/\u{202e}moc.elgoog",
            "https",
            "",
        ] {
            assert!(!is_web_url(url), "{url}");
        }
    }

    #[test]
    fn pages_open_by_their_file_url_where_the_browser_can_read_them() {
        let system = Desktop {
            display: true,
            opener: Opener::System,
        };
        let page = "file:///run/user/1/ssocred/signin-1-2.html";
        let cmd = system.open_page_command(page).unwrap();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(args, [page]);
        assert!(system.open_page_command("https://a.example/").is_none());
        assert!(
            system.open_command(page).is_none(),
            "a page is not a web URL"
        );
        let wsl = Desktop {
            display: true,
            opener: Opener::Wslview(PathBuf::from("/usr/bin/wslview")),
        };
        assert!(!wsl.reads_local_pages());
        assert!(wsl.open_page_command(page).is_none());
        let cmd = browser_page_command("chromium --new-window", page).unwrap();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(args, ["--new-window", page]);
        assert!(browser_page_command("chromium", "https://a.example/").is_none());
        assert!(browser_command("chromium", page).is_none());
    }

    #[test]
    fn osc52_carries_the_text_in_base64() {
        assert_eq!(osc52("ABCD-EFGH"), "\u{1b}]52;c;QUJDRC1FRkdI\u{7}");
        assert!(terminal_may_copy(env(&[("TERM", "xterm-256color")])));
        assert!(!terminal_may_copy(env(&[("TERM", "dumb")])));
        assert!(!terminal_may_copy(env(&[])));
    }

    #[test]
    fn notification_texts_are_arguments() {
        let cmd = notification_command("ssocred: dev", "expires in 14m; $(rm -rf ~)");
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert!(args.contains(&"expires in 14m; $(rm -rf ~)") || cfg!(windows));
    }
}

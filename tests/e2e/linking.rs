//! What the binary loads when it starts. On glibc Linux it carries its
//! unwinder and `pow` (cli/src/c_runtime.rs), so the loader maps the C
//! library alone; the e2e tests are linked the same way, so their panics
//! unwind through that unwinder.

use std::process::Command;

/// What `ldd` (glibc's libc-bin) prints for the binary, with `options`
/// before it; it runs the loader itself, which maps what the binary needs.
fn ldd(options: &[&str]) -> String {
    let output = Command::new("ldd")
        .args(options)
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .output()
        .expect("ldd runs (glibc's libc-bin)");
    let listed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "ldd {options:?} failed: {listed}");
    listed
}

/// Every shared library `ldd` lists for the binary.
#[test]
fn the_loader_maps_the_c_library_alone() {
    let listed = ldd(&[]);
    let libraries: Vec<&str> = listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        libraries.contains(&"libc.so.6"),
        "no libc.so.6 in:\n{listed}"
    );
    for library in libraries {
        let allowed = library == "libc.so.6"
            || library.starts_with("linux-vdso.so")
            || library.contains("/ld-linux");
        assert!(allowed, "the binary loads {library}:\n{listed}");
    }
}

/// A panic unwinds and a backtrace names its frames with the unwinder of
/// GCC's libgcc_eh.a, linked into this test binary as into ssocred: no
/// libgcc_s.so.1 is mapped to do it. (This test binary does map libm.so.6:
/// it does not have the binary's `pow`.)
#[test]
fn panics_unwind_and_backtraces_resolve_without_libgcc_s() {
    let caught = std::panic::catch_unwind(|| {
        std::panic::panic_any("unwound through the binary's own unwinder")
    });
    assert!(caught.is_err(), "the panic was caught after unwinding");
    let backtrace = std::backtrace::Backtrace::force_capture().to_string();
    assert!(
        backtrace.contains("panics_unwind_and_backtraces_resolve_without_libgcc_s"),
        "the backtrace does not name this test:\n{backtrace}"
    );
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    assert!(!maps.contains("libgcc_s"), "libgcc_s is mapped:\n{maps}");
}

/// The newest glibc symbol version the binary asks for is at most 2.35,
/// the minimum docs/packages.md gives (Ubuntu 22.04). The static unwinder
/// of GCC 12 or newer asks for 2.35 itself (`_dl_find_object`), where the
/// shared `libgcc_s` did not: nothing may raise it further unnoticed.
#[test]
fn the_binary_needs_no_glibc_newer_than_2_35() {
    let listed = ldd(&["-v"]);
    // The binary's own block of "Version information:" comes first; the
    // libraries' blocks after it start with their paths.
    let own: Vec<&str> = listed
        .lines()
        .skip_while(|line| line.trim() != "Version information:")
        .skip(2)
        .take_while(|line| line.starts_with("\t\t"))
        .collect();
    let versions: Vec<(u32, u32)> = own
        .iter()
        .filter_map(|line| line.split("(GLIBC_").nth(1)?.split(')').next())
        .filter_map(|version| {
            let mut parts = version.split('.').map(str::parse::<u32>);
            Some((parts.next()?.ok()?, parts.next()?.ok()?))
        })
        .collect();
    assert!(
        versions.len() > 10,
        "no glibc versions read from:\n{listed}"
    );
    let newest = versions.iter().max().unwrap();
    assert!(
        *newest <= (2, 35),
        "the binary needs glibc 2.{}:\n{listed}",
        newest.1
    );
}

//! What the binary loads when it starts. On glibc Linux it carries its
//! unwinder and `pow` (cli/src/c_runtime.rs), so the loader maps the C
//! library alone; the e2e tests are linked the same way, so their panics
//! unwind through that unwinder.

use std::process::Command;

/// Every shared library `ldd` lists for the binary: it runs the loader
/// itself, which maps what the binary needs and prints each one.
#[test]
fn the_loader_maps_the_c_library_alone() {
    let output = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .output()
        .expect("ldd runs (glibc's libc-bin)");
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "ldd failed: {listed}");
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

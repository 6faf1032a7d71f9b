//! Diagnostics on stderr that never panic.
//!
//! `eprintln!` panics when stderr cannot be written (a closed pipe, as in
//! `ssocred … 2>&1 | head -c 10`), and the release build aborts on a panic:
//! an error with a documented exit code would end as SIGABRT. A diagnostic
//! nobody can read is dropped instead, and the exit code still says what
//! happened.

use std::io::Write as _;

/// Writes `args` and a newline to stderr; a failed write is ignored.
pub fn line(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// `eprintln!` that never panics: see [`line`](crate::os::stderr::line).
#[macro_export]
macro_rules! stderr_line {
    ($($arg:tt)*) => {
        $crate::os::stderr::line(format_args!($($arg)*))
    };
}

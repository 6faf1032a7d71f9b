//! What the binary carries of the C runtime on glibc Linux, so that the
//! loader maps the C library alone (build.rs sets the cfg `own_c_runtime`
//! there and links the unwinder).
//!
//! Every shared library costs every start: the loader opens and maps it,
//! relocates it, and looks each of the binary's symbols up in it before
//! the C library. ssocred loaded two for almost nothing:
//! - `libgcc_s.so.1`, for the unwinder behind a panic's backtrace, which
//!   build.rs now links from GCC's static `libgcc_eh.a`;
//! - `libm.so.6`, for one function, `pow`: the SDK's retry rate limiter
//!   calls `f64::powf`. The binary defines `pow` below.
//!
//! Without them a role-cache hit starts faster (docs/benchmarks.md, "The
//! loader maps the C library alone").

/// C's `pow`, as the `libm` crate computes it (musl's algorithm, within
/// one unit in the last place, as glibc's is). `f64::powf` compiles to a
/// call of `pow`, which the linker now finds here instead of in
/// `libm.so.6`.
// `no_mangle` can clash with another symbol of the same name. The only
// other `pow` was libm.so.6's, which the binary no longer links; the
// executable's own definition is the one its calls bind to, and no shared
// library the binary loads calls `pow`.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn pow(base: f64, exponent: f64) -> f64 {
    libm::pow(base, exponent)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pow_gives_what_the_c_library_gives() {
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(9.0, 0.5), 3.0);
        assert_eq!(super::pow(2.0, -2.0), 0.25);
        assert_eq!(super::pow(f64::NAN, 0.0), 1.0);
        assert_eq!(super::pow(0.0, -1.0), f64::INFINITY);
        assert!(super::pow(-8.0, 1.0 / 3.0).is_nan());
        // The cube root the SDK's rate limiter takes, to the last bit of
        // the correctly rounded result.
        assert_eq!(super::pow(27.0, 1.0 / 3.0).to_bits(), 3.0_f64.to_bits());
        // What Rust code calls: `powf` ends here.
        assert_eq!(std::hint::black_box(1.5_f64).powf(2.0), 2.25);
    }
}

//! The floor of a whole-process benchmark: a program that opens one file
//! and copies it to stdout, with the standard library alone. The wine
//! benchmark (`scripts/cross-check --bench-wine`) times ssocred.exe against
//! it, each a Rust program started by wine.

fn main() {
    let path = std::env::args_os().nth(1).expect("usage: read_file PATH");
    let mut file = std::fs::File::open(path).expect("the file opens");
    std::io::copy(&mut file, &mut std::io::stdout().lock()).expect("the file is copied");
}

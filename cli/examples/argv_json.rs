//! A stand-in for a program that a printed command line runs (kubectl in
//! the end-to-end tests of `ssocred kubeconfig --shell cmd`): prints the
//! words it was started with, after its own name, as one JSON array. Its
//! words come from Rust's standard library, which splits a Windows
//! command line by the C runtime's rules, as Go's `os.Args` does for the
//! lines ssocred writes (docs/platforms.md).

fn main() {
    let words: Vec<String> = std::env::args().skip(1).collect();
    println!("{}", serde_json::Value::from(words));
}

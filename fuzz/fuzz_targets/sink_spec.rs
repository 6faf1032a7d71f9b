//! The `--sink` spec parser: any text parses or is rejected with a message
//! naming the spec, and what parses is consistent with the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssocred_core::SinkSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match SinkSpec::parse(text) {
        Ok(spec) => {
            assert!(!spec.name.is_empty());
            assert!(text.starts_with(&spec.name));
            for (key, value) in &spec.options {
                assert!(text.contains(&format!("{key}={value}")));
            }
            if let Some(arg) = &spec.arg {
                assert!(text.contains(arg.as_str()));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});

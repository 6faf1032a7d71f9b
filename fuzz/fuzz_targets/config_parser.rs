//! The AWS config and credentials parser path: any text either parses or
//! is rejected with a line number, never a panic; and a file that parses
//! still parses after ssocred edits a section, with the edit read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssocred_core::store::ini_edit;
use ssocred_core::store::profile::parse_sections;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(message) = parse_sections(Some(text), None) {
        assert!(!message.is_empty());
    }
    if parse_sections(None, Some(text)).is_err() {
        return;
    }
    let edited = ini_edit::set_section(
        text,
        "fuzzed",
        &[("aws_access_key_id", "ASIAFUZZ"), ("region", "eu-west-1")],
    );
    let sections = parse_sections(None, Some(&edited)).expect("an edit broke a valid file");
    let profile = sections
        .get_profile("fuzzed")
        .expect("edited profile missing");
    assert_eq!(profile.get("aws_access_key_id"), Some("ASIAFUZZ"));
    assert_eq!(profile.get("region"), Some("eu-west-1"));
    let removed = ini_edit::remove_section(&edited, "fuzzed");
    parse_sections(None, Some(&removed)).expect("removing a section broke a valid file");
});

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| glue_rules_fuzz::pattern(data));

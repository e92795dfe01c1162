#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| winhttp_fuzz::h2_headers(data));

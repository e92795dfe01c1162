#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| winhttp_fuzz::ffi16(data));

//! Replays every committed fuzz input through the fuzz targets' own bodies, without libFuzzer:
//! the seed corpora (`fuzz/corpus/<target>/`) and the inputs of crashes that were found and fixed
//! (`fuzz/regressions/<target>/`). A target that panics on any of them fails this test, naming
//! the file. See `docs/FUZZING.md`.

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    let mut failed = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "{target}: {} of {count} inputs fail:\n{}", failed.len(), failed.join("\n"));
    assert!(count > 0, "{target}: no seed corpus in fuzz/corpus/{target}");
}

#[test]
fn head() {
    replay("head", targets::head);
}

#[test]
fn chunked() {
    replay("chunked", targets::chunked);
}

#[test]
fn url() {
    replay("url", targets::url);
}

#[test]
fn headers() {
    replay("headers", targets::headers);
}

#[test]
fn time() {
    replay("time", targets::time);
}

#[test]
fn ffi() {
    replay("ffi", targets::ffi);
}

#[test]
fn auth_challenge() {
    replay("auth_challenge", targets::auth_challenge);
}

#[test]
fn auth_client() {
    replay("auth_client", targets::auth_client);
}

#[test]
fn ntlm() {
    replay("ntlm", targets::ntlm);
}

#[test]
fn ws() {
    replay("ws", targets::ws);
}

#[test]
fn pac() {
    replay("pac", targets::pac);
}

#[test]
fn cookie() {
    replay("cookie", targets::cookie);
}

#[test]
fn coding() {
    replay("coding", targets::coding);
}

#[test]
fn ffi16() {
    replay("ffi16", targets::ffi16);
}

#[test]
fn h2_headers() {
    replay("h2_headers", targets::h2_headers);
}

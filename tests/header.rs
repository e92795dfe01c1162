//! `include/winhttp.h` must be exactly what cbindgen generates from the sources today.
//! Regenerate it with `WINHTTP_UPDATE_HEADER=1 cargo test --test header`.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generation")
        .write(&mut fresh);
    let path = root.join("include/winhttp.h");
    if std::env::var_os("WINHTTP_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write include/winhttp.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/winhttp.h is stale: run `WINHTTP_UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}

//! Gives the shared library its versioned name for the dynamic loader, set at link time so that every
//! `cargo build` (not only `ci/install.sh`) produces the same library:
//!
//! - Linux and other ELF systems: `DT_SONAME` = `libwinhttp.so.<major>` (`libwinhttp.so.0` while the version is
//!   0.x). A program linked with `-lwinhttp` records that name, so the installed `libwinhttp.so.0` symlink (to
//!   `libwinhttp.so.<full version>`) is what it loads; a future incompatible `libwinhttp.so.1` can sit beside it.
//! - macOS: install name `@rpath/libwinhttp.<major>.dylib` with the package version as the current and
//!   compatibility version; `ci/install.sh` rewrites the install name to the installed path.
//!
//! `cargo:rustc-cdylib-link-arg` touches only the cdylib link: the static library, the rlib and the test programs
//! are unaffected. (The same flags in `RUSTFLAGS` would be lost as soon as a user builds without them, and would
//! reach every binary the build links.)
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    if os == "macos" || os == "ios" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libwinhttp.{major}.dylib");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-current_version,{version}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-compatibility_version,{major}.0.0");
    } else if family == "unix" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwinhttp.so.{major}");
    }
}

//! The library as an installed package: `ci/install.sh` into a temporary prefix, then the consumer project of
//! `tests/consumer/` built against that prefix only, three ways, and run against the test HTTP server:
//!
//! 1. `cc main.c $(pkg-config --cflags --libs winhttp)` (the shared library, found through an rpath),
//! 2. `pkg-config --static` (libwinhttp.a and its `Libs.private`),
//! 3. CMake: `find_package(WinHTTP)` with `WinHTTP::winhttp` (shared; static with `WinHTTP_USE_STATIC_LIBS=ON`)
//!    and `WinHTTP::winhttp_static`.
//!
//! It also checks the soname and the symlinks, the installed `winhttp-fetch` client (GET, POST of a file with
//! headers, HEAD, the async mode), a `DESTDIR` staging install and that `uninstall` leaves nothing behind.
//!
//! `ci/install.sh` runs cargo: a release build of the library (fresh after `ci/demo.sh`, which runs the same
//! command). Without `pkg-config` or `cmake` the way that needs it is skipped with a message saying so
//! (`ci/test.sh` installs both).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_of(cmd: &mut Command, what: &str) -> String {
    String::from_utf8_lossy(&run(cmd, what).stdout).trim().to_string()
}

/// `bash ci/install.sh ARGS` in the environment of a shell, not of this test: cargo gives a test `CARGO_PKG_*`,
/// `CARGO_MANIFEST_DIR`, `OUT_DIR`... of this crate, and build scripts that watch those (ring's does) would make
/// the inner cargo rebuild them, and the next build outside the test rebuild them again.
fn install_sh(args: &[&str]) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("ci/install.sh")).args(args).env_remove("DESTDIR");
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        let from_cargo =
            ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CFG_", "CARGO_BIN_", "__CARGO"].iter().any(|p| k.starts_with(p))
                || [
                    "OUT_DIR",
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .contains(&k.as_ref());
        if from_cargo {
            cmd.env_remove(k.as_ref());
        }
    }
    cmd
}

fn install(prefix: &str, destdir: Option<&Path>) {
    let mut cmd = install_sh(&[]);
    cmd.env("PREFIX", prefix);
    if let Some(d) = destdir {
        cmd.env("DESTDIR", d);
    }
    run(&mut cmd, "ci/install.sh");
}

fn uninstall(prefix: &str, destdir: Option<&Path>) {
    let mut cmd = install_sh(&["uninstall"]);
    cmd.env("PREFIX", prefix);
    if let Some(d) = destdir {
        cmd.env("DESTDIR", d);
    }
    run(&mut cmd, "ci/install.sh uninstall");
}

/// Every file (not directory) under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs a consumer binary against the test server; it must pass every check.
fn run_consumer(exe: &Path, port: u16, how: &str) {
    let out =
        run(Command::new(exe).arg(port.to_string()).env_remove("LD_LIBRARY_PATH").env_remove("DYLD_LIBRARY_PATH"), how);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" passed, 0 failed"), "{how}: {text}");
    println!("{how}: {}", text.trim());
}

/// The shared libraries an ELF program asks the loader for (readelf, from binutils).
fn needed(exe: &Path) -> Option<Vec<String>> {
    let out = Command::new("readelf").arg("-d").arg(exe).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter(|l| l.contains("(NEEDED)") || l.contains("(SONAME)"))
            .filter_map(|l| l.split('[').nth(1).map(|s| s.trim_end_matches(']').to_string()))
            .collect(),
    )
}

#[test]
fn install_consume_three_ways_and_uninstall() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let version = env!("CARGO_PKG_VERSION");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let prefix = tmp.join("prefix");
    let prefix_s = prefix.to_str().unwrap().to_string();
    install(&prefix_s, None);

    // The layout, the soname and the symlinks.
    let lib = prefix.join("lib");
    for f in ["include/winhttp.h", "lib/libwinhttp.a", "lib/pkgconfig/winhttp.pc", "bin/winhttp-fetch"] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
    }
    for f in ["lib/cmake/WinHTTP/WinHTTPConfig.cmake", "lib/cmake/WinHTTP/WinHTTPConfigVersion.cmake"] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
    }
    let (real, so_major, dev) = if cfg!(target_os = "macos") {
        (format!("libwinhttp.{version}.dylib"), format!("libwinhttp.{major}.dylib"), "libwinhttp.dylib".to_string())
    } else {
        (format!("libwinhttp.so.{version}"), format!("libwinhttp.so.{major}"), "libwinhttp.so".to_string())
    };
    assert!(lib.join(&real).is_file() && !lib.join(&real).is_symlink(), "{real} is not a file");
    assert_eq!(std::fs::read_link(lib.join(&so_major)).unwrap(), Path::new(&real));
    assert_eq!(std::fs::read_link(lib.join(&dev)).unwrap(), Path::new(&so_major));
    if cfg!(target_os = "linux") {
        match needed(&lib.join(&real)) {
            Some(entries) => assert!(entries.contains(&so_major), "no SONAME {so_major} in {entries:?}"),
            None => println!("SKIPPED: soname check (readelf not found; it comes with binutils)"),
        }
    }
    let pc = std::fs::read_to_string(lib.join("pkgconfig/winhttp.pc")).unwrap();
    assert!(pc.contains(&format!("prefix={prefix_s}\n")), "{pc}");
    assert!(pc.lines().any(|l| l.starts_with("Libs.private: -l")), "no Libs.private in {pc}");

    let port = support::servers().http_port;
    let src = root().join("tests/consumer/main.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut skipped = Vec::new();

    // 1 and 2: pkg-config.
    if have("pkg-config") {
        let pkg = |args: &[&str]| {
            stdout_of(
                Command::new("pkg-config").args(args).arg("winhttp").env("PKG_CONFIG_PATH", lib.join("pkgconfig")),
                "pkg-config",
            )
        };
        assert_eq!(pkg(&["--modversion"]), version);
        let cflags = pkg(&["--cflags"]);
        let libs = pkg(&["--libs"]);
        let libdir = pkg(&["--variable=libdir"]);
        let exe = tmp.join("consumer_pc_shared");
        run(
            Command::new(&cc)
                .arg(&src)
                .args(cflags.split_whitespace())
                .args(libs.split_whitespace())
                .arg(format!("-Wl,-rpath,{libdir}"))
                .arg("-o")
                .arg(&exe),
            "cc with pkg-config --cflags --libs",
        );
        if let Some(n) = needed(&exe) {
            assert!(n.contains(&so_major), "the shared build does not load {so_major}: {n:?}");
        }
        run_consumer(&exe, port, "pkg-config --libs (shared)");

        // With both libraries in one directory the linker picks the shared one for -lwinhttp: name the archive.
        let static_libs = pkg(&["--static", "--libs"]);
        let static_libs = static_libs.replace("-lwinhttp", "-l:libwinhttp.a");
        let exe = tmp.join("consumer_pc_static");
        run(
            Command::new(&cc)
                .arg(&src)
                .args(cflags.split_whitespace())
                .args(static_libs.split_whitespace())
                .arg("-o")
                .arg(&exe),
            "cc with pkg-config --static --libs",
        );
        if let Some(n) = needed(&exe) {
            assert!(!n.iter().any(|l| l.starts_with("libwinhttp")), "the static build loads libwinhttp: {n:?}");
        }
        run_consumer(&exe, port, "pkg-config --static --libs (static)");
    } else {
        skipped.push("pkg-config builds (pkg-config not found: apt-get install pkg-config)");
    }

    // 3: CMake.
    if have("cmake") {
        let build = tmp.join("cmake-build");
        run(
            Command::new("cmake")
                .arg("-S")
                .arg(root().join("tests/consumer"))
                .arg("-B")
                .arg(&build)
                .arg(format!("-DCMAKE_PREFIX_PATH={prefix_s}"))
                .env("CC", &cc),
            "cmake configure (find_package(WinHTTP))",
        );
        run(Command::new("cmake").arg("--build").arg(&build), "cmake --build");
        let shared = build.join("consumer_cmake");
        let stat = build.join("consumer_cmake_static");
        if let (Some(a), Some(b)) = (needed(&shared), needed(&stat)) {
            assert!(a.contains(&so_major), "WinHTTP::winhttp does not load {so_major}: {a:?}");
            assert!(!b.iter().any(|l| l.starts_with("libwinhttp")), "WinHTTP::winhttp_static loads it: {b:?}");
        }
        run_consumer(&shared, port, "cmake WinHTTP::winhttp (shared)");
        run_consumer(&stat, port, "cmake WinHTTP::winhttp_static (static)");

        // WinHTTP_USE_STATIC_LIBS=ON makes WinHTTP::winhttp the static library.
        let build = tmp.join("cmake-build-static");
        run(
            Command::new("cmake")
                .arg("-S")
                .arg(root().join("tests/consumer"))
                .arg("-B")
                .arg(&build)
                .arg(format!("-DCMAKE_PREFIX_PATH={prefix_s}"))
                .arg("-DWinHTTP_USE_STATIC_LIBS=ON")
                .env("CC", &cc),
            "cmake configure with WinHTTP_USE_STATIC_LIBS=ON",
        );
        run(Command::new("cmake").arg("--build").arg(&build).args(["--target", "consumer_cmake"]), "cmake --build");
        let exe = build.join("consumer_cmake");
        if let Some(n) = needed(&exe) {
            assert!(!n.iter().any(|l| l.starts_with("libwinhttp")), "WinHTTP_USE_STATIC_LIBS ignored: {n:?}");
        }
        run_consumer(&exe, port, "cmake WinHTTP::winhttp with WinHTTP_USE_STATIC_LIBS=ON (static)");
    } else {
        skipped.push("CMake build (cmake not found: apt-get install cmake)");
    }

    // The installed client.
    let fetch = prefix.join("bin/winhttp-fetch");
    let url = format!("http://127.0.0.1:{port}");
    let get = stdout_of(Command::new(&fetch).arg(format!("{url}/hello")), "winhttp-fetch GET");
    assert_eq!(get, "Hello, world!");
    let body_file = tmp.join("body.txt");
    std::fs::write(&body_file, "the body of the file\n").unwrap();
    for mode in [None, Some("-a")] {
        let mut cmd = Command::new(&fetch);
        cmd.args(mode).args(["-X", "POST", "-H", "X-One: 1", "-H", "X-Two: 2", "-T"]).arg(&body_file);
        let echo = stdout_of(cmd.arg(format!("{url}/echo")), "winhttp-fetch POST -T");
        assert!(echo.starts_with("POST /echo"), "{echo}");
        for needle in ["x-one: 1", "x-two: 2", "content-length: 21", "the body of the file"] {
            assert!(echo.contains(needle), "{needle} not echoed ({mode:?}): {echo}");
        }
        let mut cmd = Command::new(&fetch);
        let head = stdout_of(cmd.args(mode).arg("-I").arg(format!("{url}/hello")), "winhttp-fetch -I");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-length: 13"), "{head}");
        let mut cmd = Command::new(&fetch);
        let out_file = tmp.join("out.bin");
        run(cmd.args(mode).arg("-o").arg(&out_file).arg(format!("{url}/len/300000")), "winhttp-fetch -o");
        assert_eq!(std::fs::metadata(&out_file).unwrap().len(), 300000);
    }
    let refused =
        Command::new(&fetch).arg(format!("http://127.0.0.1:{}/", support::servers().closed_port)).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("ERROR_WINHTTP_CANNOT_CONNECT"));

    // Uninstall leaves nothing (the directories stay, empty).
    uninstall(&prefix_s, None);
    let left = files_under(&prefix);
    assert!(left.is_empty(), "left after uninstall: {left:?}");

    // DESTDIR: files under the staging root, paths inside them without it.
    let stage = tmp.join("stage");
    install("/opt/winhttp-test", Some(&stage));
    let staged = stage.join("opt/winhttp-test");
    let pc = std::fs::read_to_string(staged.join("lib/pkgconfig/winhttp.pc")).unwrap();
    assert!(pc.contains("prefix=/opt/winhttp-test\n") && !pc.contains(stage.to_str().unwrap()), "{pc}");
    let cfg = std::fs::read_to_string(staged.join("lib/cmake/WinHTTP/WinHTTPConfig.cmake")).unwrap();
    assert!(cfg.contains("/opt/winhttp-test/lib/libwinhttp.a") && !cfg.contains(stage.to_str().unwrap()));
    uninstall("/opt/winhttp-test", Some(&stage));
    let left = files_under(&stage);
    assert!(left.is_empty(), "left after uninstall: {left:?}");

    let _ = std::fs::remove_dir_all(&tmp);
    for s in &skipped {
        println!("SKIPPED: {s}");
    }
}

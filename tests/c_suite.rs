//! Runs the C suite: every `tests/c/test_*.c` is compiled against `include/winhttp.h` and linked
//! twice, once with the static library and once with the shared one (both built by `cargo test`
//! next to this test's executable), then run. Each program prints "N passed, N failed".
//!
//! `CC` picks the compiler (default `cc`). `WINHTTP_C_RUNNER` (e.g. `valgrind --error-exitcode=99 -q
//! --leak-check=full --errors-for-leak-kinds=definite`) runs every program under that command, with
//! `WINHTTP_TEST_UNDER_CHECKER=1` in its environment (programs widen timing slack and scale their
//! stress loops down). `WINHTTP_C_FILTER=name` runs only matching programs; `WINHTTP_C_SHOW=1`
//! prints all they print.
//!
//! Programs run one at a time, in order; under a checker two at a time (valgrind runs a program's
//! threads one at a time, so the second core would idle), or `WINHTTP_C_PARALLEL=N` at a time.
//! A program whose source has the line `c_suite: alone` (it reads a log or counter of a server
//! the programs share) always runs with no other beside it.
//!
//! Before the programs run, the test servers of `support` start on 127.0.0.1 and every program gets
//! their ports in `WINHTTP_TEST_PORT` (HTTP), `WINHTTP_TEST_RAW_PORT` (raw fault server),
//! `WINHTTP_TEST_CLOSED_PORT` (refuses connections), `WINHTTP_TEST_HANGUP_PORT` (closes every
//! connection as soon as it is accepted) and, where available,
//! `WINHTTP_TEST_BLACKHOLE_PORT` (connects hang).
//!
//! A program whose source contains the line `c_suite: preload shim_resolver` runs (on Linux) with
//! `LD_PRELOAD` set to `tests/c/shim_resolver.c`, built once as a shared object: a `getaddrinfo`
//! that resolves `*.loopback.test` to 127.0.0.1, fails `*.invalid` at once and answers
//! `*.slow.test` only after a delay (see that file).
//!
//! A line `c_suite: env NAME=VALUE` in a program's source adds `NAME=VALUE` to its environment
//! (one per line; `{exe}` in the value becomes the program's path, different for each link), for
//! settings read at the library's first use such as `WINHTTP_LOG`.
//!
//! Character widths: every program is built and run with the platform's 32-bit `wchar_t` against
//! both libraries, and again with `-fshort-wchar` (16-bit `wchar_t`: the header's UTF-16 mode,
//! every wide-string function mapped to its `_u16` twin) against the static one (both with
//! `WINHTTP_C_RUNNER_LINKS=both`: the width does not depend on the link). A program with the line
//! `c_suite: char16` is built a third way, with `WINHTTP_WCHAR16` (`WCHAR` is `char16_t`, the
//! platform `wchar_t` stays 32-bit), and one with `c_suite: utf16 only` (Wine-style sources) is
//! built only the 16-bit ways. Under `WINHTTP_C_RUNNER` (valgrind) only the 32-bit build runs:
//! the 16-bit builds run the same library code through the same generic bodies; and only against
//! the static library unless `WINHTTP_C_RUNNER_LINKS=both` (the shared one is the same code).
//! (`WINHTTP_C_RUNNER_LINKS=both` also restores the 16-bit builds against the shared library.)

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The directory holding libwinhttp.a / libwinhttp.so for this build.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().expect("deps dir").to_path_buf()
}

fn shared_lib_name() -> &'static str {
    if cfg!(target_os = "macos") { "libwinhttp.dylib" } else { "libwinhttp.so" }
}

/// The name the shared library gives the loader (its soname, set by build.rs): a program linked with
/// `-lwinhttp` asks for this name, so it must exist beside `libwinhttp.so` in the build directory.
fn soname() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    if cfg!(target_os = "macos") { format!("libwinhttp.{major}.dylib") } else { format!("libwinhttp.so.{major}") }
}

/// Points `soname()` at the freshly built shared library (what ci/install.sh's symlink does when installed).
fn link_soname(dir: &Path) {
    let link = dir.join(soname());
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(shared_lib_name(), &link).expect("soname symlink");
}

/// The system libraries a static link needs (what `--print native-static-libs` reports).
fn native_static_libs() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["-lSystem", "-lc", "-lm"]
    } else {
        &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"]
    }
}

#[derive(Clone, Copy, Debug)]
enum Link {
    Static,
    Shared,
}

/// The program's `WCHAR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Width {
    /// The platform `wchar_t` (32-bit): the plain exports.
    Wchar32,
    /// `-fshort-wchar`: a 16-bit `wchar_t`, `L"..."` literals in UTF-16, the `_u16` twins.
    ShortWchar,
    /// `-DWINHTTP_WCHAR16`: `WCHAR` is `char16_t` beside a 32-bit `wchar_t` (`u"..."` literals).
    Char16,
}

impl Width {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Width::Wchar32 => &[],
            Width::ShortWchar => &["-fshort-wchar"],
            Width::Char16 => &["-DWINHTTP_WCHAR16"],
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Width::Wchar32 => "",
            Width::ShortWchar => "_shortwchar",
            Width::Char16 => "_char16",
        }
    }
}

/// The line with which a program asks for the `WINHTTP_WCHAR16` build too.
const CHAR16_MARKER: &str = "c_suite: char16";
/// The line of a program that only builds with a 16-bit `WCHAR` (Wine-style string arrays).
const UTF16_ONLY_MARKER: &str = "c_suite: utf16 only";

/// The widths `src` is built in: `ShortWchar` and `Char16` (when asked for) after `Wchar32`;
/// under a checker (`WINHTTP_C_RUNNER`) the 32-bit build only, unless there is none.
fn widths(src: &Path) -> Vec<Width> {
    let text = std::fs::read_to_string(src).unwrap_or_default();
    let mut v = Vec::new();
    if !text.contains(UTF16_ONLY_MARKER) {
        v.push(Width::Wchar32);
    }
    let checker = std::env::var_os("WINHTTP_C_RUNNER").is_some_and(|r| !r.is_empty());
    if checker && !v.is_empty() {
        return v;
    }
    v.push(Width::ShortWchar);
    if text.contains(CHAR16_MARKER) || text.contains(UTF16_ONLY_MARKER) {
        v.push(Width::Char16);
    }
    v
}

fn compile(src: &Path, out: &Path, link: Link, width: Width) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let dir = lib_dir();
    let mut cmd = Command::new(&cc);
    cmd.args(["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.join("tests/c").display()))
        .args(width.flags())
        .arg(src)
        .arg("-o")
        .arg(out);
    match link {
        Link::Static => {
            cmd.arg(dir.join("libwinhttp.a"));
            cmd.args(native_static_libs());
        }
        Link::Shared => {
            cmd.arg(format!("-L{}", dir.display())).arg("-lwinhttp").arg(format!("-Wl,-rpath,{}", dir.display()));
        }
    }
    let output = cmd.output().map_err(|e| format!("cannot run {cc}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "compile {} ({link:?}, {width:?}) failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// Runs a compiled test program with a deadline; returns its stdout or a description of failure.
fn run(exe: &Path, envs: &[(String, String)], limit: Duration) -> Result<String, String> {
    // cargo puts target/<profile> on the loader path, where an older libwinhttp may sit; the
    // programs must load the one they were linked against (found through their rpath).
    // WINHTTP_C_RUNNER="valgrind --error-exitcode=99 -q" runs every program under a checker.
    let runner: Vec<String> =
        std::env::var("WINHTTP_C_RUNNER").map(|r| r.split_whitespace().map(String::from).collect()).unwrap_or_default();
    let mut command = match runner.split_first() {
        Some((tool, args)) => {
            let mut c = Command::new(tool);
            c.args(args).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let limit = if runner.is_empty() { limit } else { limit * 10 };
    if !runner.is_empty() {
        // Tests widen their timing slack and scale stress loops down under a checker.
        command.env("WINHTTP_TEST_UNDER_CHECKER", "1");
    }
    let mut child = command
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_LIBRARY_PATH")
        .env_remove("DYLD_FALLBACK_LIBRARY_PATH")
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    // Both pipes are drained while the program runs: a checker's report can exceed a pipe's buffer.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut out);
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    use std::io::Read;
    let stdout_reader = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr_reader = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout_reader.join().unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    match status {
        None => Err(format!("{} timed out after {limit:?}\n{stdout}", exe.display())),
        Some(status) => {
            let summary_ok = stdout.lines().any(|l| l.ends_with(" passed, 0 failed"));
            if status.success() && summary_ok {
                Ok(stdout)
            } else {
                Err(format!("{} exited with {status}\n{stdout}{stderr}", exe.display()))
            }
        }
    }
}

/// One program to build and run: a source, a character width, a link.
struct Job {
    src: PathBuf,
    stem: String,
    width: Width,
    link: Link,
    exe: PathBuf,
}

/// The build results of the jobs, filled by the workers as they finish, waited for in order.
struct Built {
    results: std::sync::Mutex<Vec<Option<Result<(), String>>>>,
    done: std::sync::Condvar,
}

impl Built {
    fn new(n: usize) -> Built {
        Built { results: std::sync::Mutex::new(vec![None; n]), done: std::sync::Condvar::new() }
    }

    fn set(&self, i: usize, r: Result<(), String>) {
        self.results.lock().unwrap()[i] = Some(r);
        self.done.notify_all();
    }

    fn wait(&self, i: usize) -> Result<(), String> {
        let mut results = self.results.lock().unwrap();
        loop {
            if let Some(r) = results[i].take() {
                return r;
            }
            results = self.done.wait(results).unwrap();
        }
    }
}

/// The line with which a C program asks for the resolver shim.
const PRELOAD_MARKER: &str = "c_suite: preload shim_resolver";

/// The marker of a `c_suite: env NAME=VALUE` line.
const ENV_MARKER: &str = "c_suite: env ";

/// The extra environment a program's source asks for, with `{exe}` replaced by `exe`.
fn extra_env(src: &Path, exe: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(src).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(ENV_MARKER).map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_whitespace().next()?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("{exe}", &exe.display().to_string())))
        .collect()
}

/// Builds `tests/c/shim_resolver.c` as a shared object for `LD_PRELOAD` (Linux only).
fn build_shim(out_dir: &Path) -> Result<Option<PathBuf>, String> {
    if !cfg!(target_os = "linux") {
        return Ok(None);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = out_dir.join("libshim_resolver.so");
    let output = Command::new(&cc)
        .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC"])
        .arg(root.join("tests/c/shim_resolver.c"))
        .arg("-o")
        .arg(&out)
        .arg("-ldl")
        .output()
        .map_err(|e| format!("cannot run {cc}: {e}"))?;
    if !output.status.success() {
        return Err(format!("compile shim_resolver.c failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(Some(out))
}

/// The line of a program that must run with no other program beside it (it reads a log of a
/// server the programs share: nginx's, squid's).
const ALONE_MARKER: &str = "c_suite: alone";

/// What the runs add up to.
struct Tally {
    failures: Vec<String>,
    programs: usize,
    sixteen: Duration,
}

/// How many programs run at once: `WINHTTP_C_PARALLEL`, else 2 under a checker (valgrind runs a
/// program's threads one at a time, so a second program uses the other core) and 1 otherwise.
fn runners() -> usize {
    let checker = std::env::var_os("WINHTTP_C_RUNNER").is_some_and(|r| !r.is_empty());
    std::env::var("WINHTTP_C_PARALLEL").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(if checker {
        2
    } else {
        1
    })
}

fn c_tests() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let filter = std::env::var("WINHTTP_C_FILTER").ok();
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("tests/c"))
        .expect("tests/c")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("test_") && name.ends_with(".c")
        })
        .filter(|p| filter.as_deref().is_none_or(|f| p.to_string_lossy().contains(f)))
        .collect();
    v.sort();
    v
}

#[test]
fn c_suite_against_static_and_shared_library() {
    let dir = lib_dir();
    assert!(dir.join("libwinhttp.a").exists(), "libwinhttp.a not found in {}", dir.display());
    assert!(dir.join(shared_lib_name()).exists(), "{} not found in {}", shared_lib_name(), dir.display());
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("c_suite-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    link_soname(&dir);

    let tests = c_tests();
    assert!(!tests.is_empty(), "no C tests found");
    let envs = support::env_vars();
    let wants_shim = |src: &Path| std::fs::read_to_string(src).is_ok_and(|s| s.contains(PRELOAD_MARKER));
    let shim = if tests.iter().any(|t| wants_shim(t)) { build_shim(&out_dir).expect("resolver shim") } else { None };
    let tally = std::sync::Mutex::new(Tally { failures: Vec::new(), programs: 0, sixteen: Duration::ZERO });
    let started = Instant::now();
    // Under a checker (valgrind) the static link only, unless WINHTTP_C_RUNNER_LINKS=both: the
    // shared library is the same code, and the first pass runs every program against it.
    let checker = std::env::var_os("WINHTTP_C_RUNNER").is_some_and(|r| !r.is_empty());
    let both = std::env::var("WINHTTP_C_RUNNER_LINKS").is_ok_and(|v| v == "both");
    let links: &[Link] = if checker && !both { &[Link::Static] } else { &[Link::Static, Link::Shared] };
    let jobs: Vec<Job> = tests
        .iter()
        .flat_map(|src| widths(src).into_iter().map(move |width| (src, width)))
        // The 16-bit builds link the static library only (unless both are asked for): they
        // check the header's width and the `_u16` twins, which do not depend on the link.
        .flat_map(|(src, width)| {
            links
                .iter()
                .filter(move |&&link| width == Width::Wchar32 || both || matches!(link, Link::Static))
                .map(move |&link| (src, width, link))
        })
        .map(|(src, width, link)| {
            let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
            let exe = out_dir.join(format!("{stem}{}_{link:?}", width.tag()).to_lowercase());
            Job { src: src.clone(), stem, width, link, exe }
        })
        .collect();
    // Programs are compiled and linked ahead by two workers (linking the debug static library is
    // most of a program's build time) and run in order, one at a time except under a checker
    // (see `runners` and `ALONE_MARKER`): programs share the test servers and some of their logs.
    let built = Built::new(jobs.len());
    let next_run = std::sync::atomic::AtomicUsize::new(0);
    let gate = std::sync::RwLock::new(());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(j) = jobs.get(i) else { break };
                    built.set(i, compile(&j.src, &j.exe, j.link, j.width));
                }
            });
        }
        // Programs run `runners` at a time (one, unless under a checker: see `runners`), in order;
        // one whose source says `c_suite: alone` (it reads a shared server's log) runs with no
        // other beside it.
        for _ in 0..runners() {
            scope.spawn(|| {
                loop {
                    let i = next_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(j) = jobs.get(i) else { break };
                    let mut envs = envs.clone();
                    if let Some(shim) = shim.as_ref().filter(|_| wants_shim(&j.src)) {
                        envs.push(("LD_PRELOAD".to_string(), shim.display().to_string()));
                    }
                    envs.extend(extra_env(&j.src, &j.exe));
                    let (stem, width, link) = (&j.stem, j.width, j.link);
                    let what =
                        if width == Width::Wchar32 { format!("{link:?}") } else { format!("{link:?}, {width:?}") };
                    let alone = std::fs::read_to_string(&j.src).is_ok_and(|s| s.contains(ALONE_MARKER));
                    let result = built.wait(i).and_then(|()| {
                        let _exclusive = alone.then(|| gate.write().unwrap_or_else(|e| e.into_inner()));
                        let _shared = (!alone).then(|| gate.read().unwrap_or_else(|e| e.into_inner()));
                        let begun = Instant::now();
                        run(&j.exe, &envs, Duration::from_secs(120)).map(|out| (out, begun.elapsed()))
                    });
                    let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
                    t.programs += 1;
                    match result {
                        Ok((stdout, took)) => {
                            // Say which checks a program skipped (a missing facility of this system);
                            // everything it printed with WINHTTP_C_SHOW=1.
                            let show = std::env::var_os("WINHTTP_C_SHOW").is_some();
                            for line in stdout.lines().filter(|l| show || l.contains("skipped")) {
                                println!("{stem} ({what}): {line}");
                            }
                            let summary = stdout.lines().last().unwrap_or("");
                            println!("{stem} ({what}): {summary} [{:.1} s]", took.as_secs_f64());
                            if width != Width::Wchar32 {
                                t.sixteen += took;
                            }
                        }
                        Err(e) => {
                            println!("{stem} ({what}): FAILED");
                            t.failures.push(e);
                        }
                    }
                }
            });
        }
    });
    let Tally { failures, programs, sixteen } = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    println!(
        "{programs} programs in {:.1} s, of which the 16-bit builds took {:.1} s",
        started.elapsed().as_secs_f64(),
        sixteen.as_secs_f64()
    );
    assert!(failures.is_empty(), "{} of {programs} C test programs failed:\n{}", failures.len(), failures.join("\n"));
    // A passing run leaves nothing behind (each run's programs take ~500 MB; a failing run keeps them,
    // to be run again by hand).
    let _ = std::fs::remove_dir_all(&out_dir);
}

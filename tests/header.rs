//! `include/winhttp.h` must be exactly what cbindgen generates from the sources today.
//! Regenerate it with `WINHTTP_UPDATE_HEADER=1 cargo test --test header`.
//!
//! Only `src/abi` (types, structs, constants) and `src/ffi` (the exports) are fed to cbindgen:
//! it emits every constant it sees, `pub(crate)` ones included, so parsing the whole crate would
//! leak the engine's and protocol core's internal constants into the public header.
//!
//! cbindgen's output then gets three cosmetic passes (see [`tidy`]); they change no declaration.

use std::collections::HashMap;
use std::path::Path;

#[test]
fn committed_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let raw = generate(root, &config);
    let hex = hex_literals(&[root.join("src/abi/consts.rs"), root.join("src/abi/errors.rs")]);
    let fresh = tidy(&raw, &hex);

    let path = root.join("include/winhttp.h");
    if std::env::var_os("WINHTTP_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write include/winhttp.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/winhttp.h is stale: run `WINHTTP_UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}

/// Runs cbindgen twice and joins the outputs. cbindgen orders types by a dependency walk that
/// starts from the functions, which scatters the base types among the structs; so the first pass
/// sees `src/abi` alone (types come in `[export] include` order, then the constants) and the second
/// adds `src/ffi` but emits only the functions (and the trailer).
fn generate(root: &Path, config: &cbindgen::Config) -> String {
    let run = |srcs: &[&str], config: cbindgen::Config| {
        let mut builder = cbindgen::Builder::new().with_config(config);
        for src in srcs {
            builder = builder.with_src(root.join(src));
        }
        let mut out = Vec::new();
        builder.generate().expect("cbindgen generation").write(&mut out);
        String::from_utf8(out).expect("cbindgen writes UTF-8")
    };

    let mut vocabulary = config.clone();
    vocabulary.trailer = None;
    let mut functions = config.clone();
    functions.export.item_types = vec![cbindgen::ItemType::Functions];
    functions.header = None;
    functions.autogen_warning = None;
    functions.after_includes = None;
    functions.no_includes = true;
    functions.sys_includes.clear();
    functions.includes.clear();

    let mut out = run(&["src/abi/mod.rs"], vocabulary);
    out.push('\n');
    out.push_str(&run(&["src/abi/mod.rs", "src/ffi/mod.rs"], functions));
    out
}

/// Constants written in hexadecimal in the Rust sources, as C literals: `0x80000000_u32` becomes
/// `0x80000000u`, `0x1_u64` becomes `0x1ull`.
fn hex_literals(files: &[std::path::PathBuf]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("read Rust source");
        for item in text.split("pub const ").skip(1) {
            let Some((decl, _)) = item.split_once(';') else { continue };
            let Some((name_ty, value)) = decl.split_once('=') else { continue };
            let name = name_ty.split(':').next().unwrap().trim();
            let value = value.trim();
            let Some(digits) = value.strip_prefix("0x") else { continue };
            let (digits, suffix) = match digits.split_once('_') {
                Some((d, "u32")) => (d, "u"),
                Some((d, "u64")) => (d, "ull"),
                Some(_) => continue,
                None => (digits, ""),
            };
            if digits.chars().all(|c| c.is_ascii_hexdigit()) {
                out.insert(name.to_string(), format!("0x{digits}{suffix}"));
            }
        }
    }
    out
}

/// Cosmetic passes over cbindgen's output:
/// 1. adjacent `#if` blocks with the same condition (cbindgen wraps every `cfg` item on its own)
///    become one block;
/// 2. runs of one-line `#define`s and `typedef`s lose the blank line cbindgen puts between any
///    two items;
/// 3. flag values written in hexadecimal in Rust are printed in hexadecimal (cbindgen prints every
///    literal in decimal). The value is checked to be the same.
fn tidy(raw: &str, hex: &HashMap<String, String>) -> String {
    let lines: Vec<&str> = raw.lines().collect();
    let mut merged: Vec<String> = Vec::with_capacity(lines.len());
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("#if") {
            open.push(line);
        } else if line.starts_with("#endif") {
            let closing = open.pop();
            // `#endif`, blank, the same `#if` again: keep the block open instead.
            let reopened = closing.filter(|cond| lines.get(i + 1) == Some(&"") && lines.get(i + 2) == Some(cond));
            if let Some(cond) = reopened {
                open.push(cond);
                merged.push(String::new());
                i += 3;
                continue;
            }
        }
        merged.push(rewrite_define(line, hex));
        i += 1;
    }

    let mut out = String::with_capacity(raw.len());
    for (i, line) in merged.iter().enumerate() {
        let one_liner = |l: &String| l.starts_with("#define ") || (l.starts_with("typedef ") && l.ends_with(';'));
        let between_one_liners =
            line.is_empty() && i > 0 && one_liner(&merged[i - 1]) && merged.get(i + 1).is_some_and(one_liner);
        if !between_one_liners {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `#define NAME 268435456` -> `#define NAME 0x10000000` when NAME is written in hex in Rust.
fn rewrite_define(line: &str, hex: &HashMap<String, String>) -> String {
    let Some(rest) = line.strip_prefix("#define ") else { return line.to_string() };
    let Some((name, value)) = rest.split_once(' ') else { return line.to_string() };
    let Some(lit) = hex.get(name) else { return line.to_string() };
    let parse = |s: &str, radix| u128::from_str_radix(s.trim_start_matches("0x").trim_end_matches(['u', 'l']), radix);
    assert_eq!(parse(value, 10).ok(), parse(lit, 16).ok(), "hex rewrite of {name} would change its value");
    format!("#define {name} {lit}")
}

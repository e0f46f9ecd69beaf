#!/usr/bin/env bash
# The whole test suite: release and ASan+UBSan builds, unit tests on both,
# DuckDB-oracle tests (release, and the conformance + malformed-input tests
# again on the ASan build), and a bounded libFuzzer run of every fuzz target.
# Ends with one line "N passed, N failed".
#   FUZZ_SECONDS=N   seconds per fuzz target (default 30)
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
PASS=0
FAIL=0
FAILED_NAMES=()
LOG=build/test-logs
mkdir -p "$LOG"

count() { # name passed failed
    PASS=$((PASS + $2))
    FAIL=$((FAIL + $3))
    [ "$3" -gt 0 ] && FAILED_NAMES+=("$1")
    return 0
}

step() { echo; echo "=== $*"; }

step "dependencies"
if ! scripts/setup.sh --deps; then
    echo "setup failed"; count setup 0 1
fi

for mode in release asan; do
    step "build ($mode)"
    if make -s -j2 MODE=$mode all unit >"$LOG/build-$mode.log" 2>&1; then
        count "build-$mode" 1 0
    else
        cat "$LOG/build-$mode.log"; count "build-$mode" 0 1
    fi
done

for mode in release asan; do
    for t in build/$mode/tests/test_*; do
        [ -x "$t" ] || continue
        step "unit $(basename "$t") ($mode)"
        out=$("$t" 2>&1); rc=$?
        echo "$out" | grep -v '^ok ' | tail -n 20
        line=$(echo "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
        p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        [ -z "$line" ] && { p=0; f=1; }
        [ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
        count "$(basename "$t")-$mode" "$p" "$f"
    done
done

run_node() { # label bin files...
    local label=$1 bin=$2; shift 2
    step "oracle tests: $label"
    SLUICE_BIN=$bin node --test --test-reporter=tap "$@" >"$LOG/oracle-$label.tap" 2>&1
    local rc=$?
    grep -E '^not ok|^# (Subtest|pass|fail|skipped)|^# .*skip' "$LOG/oracle-$label.tap" | grep -v '^# Subtest' | tail -n 40
    grep -B2 -A30 '^not ok' "$LOG/oracle-$label.tap" | head -n 120
    local p f
    p=$(grep -E '^# pass ' "$LOG/oracle-$label.tap" | tail -n1 | awk '{print $3}')
    f=$(grep -E '^# fail ' "$LOG/oracle-$label.tap" | tail -n1 | awk '{print $3}')
    p=${p:-0}; f=${f:-0}
    [ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
    count "oracle-$label" "$p" "$f"
}
run_node release "$PWD/build/release/sluice" tests/oracle/*.test.mjs
asan_files=$(ls tests/oracle/parquet_testing.test.mjs tests/oracle/malformed.test.mjs 2>/dev/null)
[ -n "$asan_files" ] && run_node asan "$PWD/build/asan/sluice" $asan_files

step "fuzz (${FUZZ_SECONDS}s per target)"
if make -s -j2 fuzz >"$LOG/build-fuzz.log" 2>&1; then
    for fz in build/fuzz/fuzz_*; do
        name=$(basename "$fz")
        corpus=build/fuzz-corpus/$name
        mkdir -p "$corpus"
        # seeds are copied into the working corpus: libFuzzer rewrites the
        # directories it is given, and fuzz/seeds is part of the repository
        [ -d "fuzz/seeds/$name" ] && cp -n fuzz/seeds/$name/* "$corpus/" 2>/dev/null
        # seed the reader with real files
        if [ "$name" = fuzz_reader ]; then
            for f in ../shared/data/parquet-testing/*.parquet build/oracle-data/*.parquet; do
                [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 200000 ] && cp -n "$f" "$corpus/" 2>/dev/null
            done
        fi
        if "$fz" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
            -artifact_prefix="$LOG/$name-" "$corpus" >"$LOG/$name.log" 2>&1; then
            echo "$name: ok ($(grep -Eo 'cov: [0-9]+' "$LOG/$name.log" | tail -n1))"
            count "$name" 1 0
        else
            echo "$name: FAILED"; tail -n 40 "$LOG/$name.log"; count "$name" 0 1
        fi
    done
else
    cat "$LOG/build-fuzz.log"; count fuzz-build 0 1
fi

echo
[ ${#FAILED_NAMES[@]} -gt 0 ] && echo "failing: ${FAILED_NAMES[*]}"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

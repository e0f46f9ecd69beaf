#!/usr/bin/env bash
# Resume after kill -9 (docs/compose.md) against its anchor, a full rerun.
#
#   bench/run_resume.sh [ROWS [ORDER]]   (default 20000000 runs)
#
# The input: ORDER runs is the pipeline benchmark's file (bench/run_pipeline.sh
# makes it: per-instance runs, generated once into build/bench-data/; its
# order needs the external sort at the default memory, so the resumed run
# reads it again); ORDER sorted is the same rows sorted by arrival time (the
# resumed run seeks past the committed rows and does not read them).  Side by side in
# one run: (1) `sluice run FILE --hot H --cold C` uninterrupted, timed; (2) the
# same command into fresh stores, killed with SIGKILL as soon as its committed
# checkpoint covers 90% of the rows (polled in the hot store), then (3) the
# same command again, timed: it resumes the checkpoint.  Prints both times,
# the ratio, the rows resumed, peak RSS, and checks that the resumed run's
# tables equal the uninterrupted run's.  SLUICE_STORE_DIR=DIR puts the stores
# there (default: a temporary directory under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-20000000}
ORDER=${2:-runs}
SLUICE=${SLUICE_BIN:-build/release/sluice}
DATA=build/bench-data
f=$DATA/pipeline_${ORDER}_$ROWS.parquet
mkdir -p "$DATA"
if [ ! -f "$f" ]; then
    echo "== generating $f (sluice gen --rows $ROWS --order $ORDER --seed 1)"
    "$SLUICE" gen --rows "$ROWS" --order "$ORDER" --seed 1 --out "$f" --quiet
fi
base=${SLUICE_STORE_DIR:-/tmp}
dir=$(mktemp -d "$base/sluice-resume-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT

run() { # run HOT COLD -> prints "seconds peak_rss_bytes resumed_rows"
    "$SLUICE" run "$f" --speed max --hot "$1" --cold "$2" --quiet --summary "$1.json"
    python3 - "$1.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["seconds"], s["peak_rss_bytes"], s["resumed_rows"], s.get("resume_unread_rows", 0), s["strategy"])
EOF
}

echo "== uninterrupted: sluice run $f --speed max --hot H --cold C"
read -r full_s full_rss _ _ strategy < <(run "$dir/full.db" "$dir/full-cold")

echo "== killed at 90% of the rows committed, then the same command"
"$SLUICE" run "$f" --speed max --hot "$dir/k.db" --cold "$dir/k-cold" --quiet &
pid=$!
target=$((ROWS * 9 / 10))
while kill -0 "$pid" 2>/dev/null; do
    done_rows=$(sqlite3 -readonly "$dir/k.db" "SELECT coalesce(max(rows), 0) FROM checkpoints" 2>/dev/null || echo 0)
    if [ "${done_rows:-0}" -ge "$target" ]; then
        kill -9 "$pid"
        break
    fi
    sleep 0.2
done
wait "$pid" 2>/dev/null || true
committed=$(sqlite3 -readonly "$dir/k.db" "SELECT coalesce(max(rows), 0) FROM checkpoints")
[ "$committed" -ge "$target" ] || { echo "the run ended before its checkpoint reached 90% ($committed rows)"; exit 1; }
read -r res_s res_rss resumed unread _ < <(run "$dir/k.db" "$dir/k-cold")

for t in query_hourly utilization_hourly top_tables_hourly; do
    a=$(sqlite3 -readonly "$dir/full.db" "SELECT count(*), total(final) FROM $t")
    b=$(sqlite3 -readonly "$dir/k.db" "SELECT count(*), total(final) FROM $t")
    [ "$a" = "$b" ] || { echo "MISMATCH $t: uninterrupted $a, resumed $b"; exit 1; }
done
python3 - "$full_s" "$res_s" "$resumed" "$ROWS" "$full_rss" "$res_rss" "$unread" "$strategy" <<'EOF'
import sys
full, res, resumed, rows, frss, rrss = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
unread, strategy = int(sys.argv[7]), sys.argv[8]
print(f"uninterrupted run: {rows} rows in {full:.2f} s ({rows / full:.0f} events/s, {strategy}), peak RSS {frss / 1e6:.0f} MB")
print(f"resumed run: {resumed} of {rows} rows already committed, {unread} not read again; {res:.2f} s "
      f"({(rows - resumed) / res:.0f} new events/s), peak RSS {rrss / 1e6:.0f} MB")
print(f"ratio resume/full rerun time: {res / full:.2f}")
EOF

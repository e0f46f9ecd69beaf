#!/usr/bin/env bash
# The main job on a sample: generate a Redset-shaped Parquet file (DuckDB
# writes it, so the reader is checked against an independent writer), then
# inspect it, print a few rows and decode every value.  Uses the real Redset
# sample too when ../shared/data is present.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/sluice
OUT=build/demo
mkdir -p "$OUT"
ROWS=${DEMO_ROWS:-200000}
if [ ! -f "$OUT/redset_sample.parquet" ]; then
    echo "demo: generating $ROWS Redset-shaped rows -> $OUT/redset_sample.parquet"
    node bench/gen_redset.mjs "$ROWS" "$OUT" --codec zstd --name redset_sample.parquet >/dev/null
fi
echo
echo "== sluice inspect $OUT/redset_sample.parquet"
$BIN inspect "$OUT/redset_sample.parquet" | head -45
echo
echo "== sluice cat $OUT/redset_sample.parquet --limit 3"
$BIN cat "$OUT/redset_sample.parquet" --limit 3
echo
echo "== sluice cat --columns instance_id,arrival_timestamp,query_type --limit 3 --format csv"
$BIN cat "$OUT/redset_sample.parquet" --columns instance_id,arrival_timestamp,query_type --limit 3 --format csv
echo
echo "== sluice scan (decode every value of every column)"
$BIN scan "$OUT/redset_sample.parquet" | head -c 400; echo " ..."
REAL=../shared/data/redset/serverless_sample_0.001.csv
if [ -f "$REAL" ]; then
    node tests/oracle/redset_to_parquet.mjs "$REAL" "$OUT/real_serverless_sample.parquet" >/dev/null
    echo
    echo "== real Redset rows: sluice cat $OUT/real_serverless_sample.parquet --limit 2"
    $BIN cat "$OUT/real_serverless_sample.parquet" --limit 2
fi
echo
echo "demo: done. Files are in $OUT/; try: $BIN cat $OUT/redset_sample.parquet --format csv | less"

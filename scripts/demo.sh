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
SAMPLE=$OUT/redset_${ROWS}_zstd.parquet
if [ ! -f "$SAMPLE" ]; then
    echo "demo: generating $ROWS Redset-shaped rows with DuckDB -> $SAMPLE"
    node bench/gen_redset.mjs "$ROWS" "$OUT" >/dev/null
fi
echo
echo "== sluice inspect $SAMPLE"
$BIN inspect "$SAMPLE" | head -45
echo
echo "== sluice cat $SAMPLE --limit 3"
$BIN cat "$SAMPLE" --limit 3
echo
echo "== sluice cat --columns instance_id,arrival_timestamp,query_type --limit 3 --format csv"
$BIN cat "$SAMPLE" --columns instance_id,arrival_timestamp,query_type --limit 3 --format csv
echo
echo "== sluice scan (decode every value of every column)"
$BIN scan "$SAMPLE" | head -c 400; echo " ..."
REAL=../shared/data/redset/serverless_sample_0.001.csv
if [ -f "$REAL" ]; then
    node scripts/redset_csv_to_parquet.mjs "$REAL" "$OUT/real_serverless_sample.parquet" >/dev/null
    echo
    echo "== real Redset rows: sluice cat $OUT/real_serverless_sample.parquet --limit 2"
    $BIN cat "$OUT/real_serverless_sample.parquet" --limit 2
fi
echo
echo "demo: done. Files are in $OUT/; try: $BIN cat $SAMPLE --format csv | less"

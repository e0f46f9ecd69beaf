#!/usr/bin/env bash
# The main job on a sample: sluice generates a Redset-shaped Parquet file
# (realistic per-instance hourly rates from ../shared/data when present),
# inspects it, prints a few rows and decodes every value.  DuckDB's reading
# of the same file is the test oracle; the real Redset sample is shown too
# when ../shared/data is present.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/sluice
OUT=build/demo
mkdir -p "$OUT"
ROWS=${DEMO_ROWS:-1000000}
SAMPLE=$OUT/redset_sample.parquet
echo "== sluice gen --rows $ROWS --kind serverless --order runs --seed 1 --out $SAMPLE"
$BIN gen --rows "$ROWS" --kind serverless --order runs --seed 1 --out "$SAMPLE"
echo
echo "== sluice inspect $SAMPLE (first lines)"
{ $BIN inspect "$SAMPLE" || true; } | head -32
echo
echo "== sluice cat $SAMPLE --limit 2"
$BIN cat "$SAMPLE" --limit 2
echo
echo "== sluice cat $SAMPLE --columns instance_id,arrival_timestamp,query_type,execution_duration_ms --limit 3 --format csv"
$BIN cat "$SAMPLE" --columns instance_id,arrival_timestamp,query_type,execution_duration_ms --limit 3 --format csv
echo
echo "== sluice scan $SAMPLE (decode every value of every column)"
{ $BIN scan "$SAMPLE" || true; } | head -c 300; echo " ..."
REAL=../shared/data/redset/serverless_sample_0.001.csv
if [ -f "$REAL" ]; then
    node scripts/redset_csv_to_parquet.mjs "$REAL" "$OUT/real_serverless_sample.parquet" >/dev/null
    echo
    echo "== the real Redset rows: sluice cat $OUT/real_serverless_sample.parquet --limit 2"
    $BIN cat "$OUT/real_serverless_sample.parquet" --limit 2
fi
echo
echo "demo: done. Files are in $OUT/. Try: $BIN cat $SAMPLE --format csv | less"

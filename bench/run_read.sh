#!/bin/sh
# Usage: bench/run_read.sh [ROWS]   (default 10000000)
# Generates build/bench-data/redset_<ROWS>_{zstd,snappy}.parquet once, then runs the read benchmark.
set -eu
ROWS=${1:-10000000}
REPO=$(cd "$(dirname "$0")/.." && pwd)
DATA="$REPO/build/bench-data"
if [ ! -d "$REPO/tests/oracle/node_modules/@duckdb/node-api" ]; then
  (cd "$REPO/tests/oracle" && npm install --no-save --no-audit --no-fund)
fi
if [ ! -f "$DATA/redset_${ROWS}_zstd.parquet" ] || [ ! -f "$DATA/redset_${ROWS}_snappy.parquet" ]; then
  node "$REPO/bench/gen_redset.mjs" "$ROWS" "$DATA"
fi
# the same rows in one single row group: memory must not grow with the row-group size
if [ ! -f "$DATA/redset_${ROWS}_zstd_onerg.parquet" ]; then
  node "$REPO/bench/gen_redset.mjs" "$ROWS" "$DATA" --one-row-group
fi
exec node "$REPO/bench/read_bench.mjs" "$DATA/redset_${ROWS}_zstd.parquet" "$DATA/redset_${ROWS}_snappy.parquet" \
  "$DATA/redset_${ROWS}_zstd_onerg.parquet"

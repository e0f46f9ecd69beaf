#!/bin/sh
# Usage: bench/run_write.sh [ROWS]   (default 10000000)
# Generates build/bench-data/redset_<ROWS>_zstd.parquet once, then runs the write benchmark:
# `sluice convert IN OUT --codec zstd` vs DuckDB COPY ... (FORMAT parquet, COMPRESSION zstd), threads=1.
set -eu
ROWS=${1:-10000000}
REPO=$(cd "$(dirname "$0")/.." && pwd)
DATA="$REPO/build/bench-data"
if [ ! -d "$REPO/tests/oracle/node_modules/@duckdb/node-api" ]; then
  (cd "$REPO/tests/oracle" && npm install --no-save --no-audit --no-fund)
fi
if [ ! -f "$DATA/redset_${ROWS}_zstd.parquet" ]; then
  node "$REPO/bench/gen_redset.mjs" "$ROWS" "$DATA"
fi
exec node "$REPO/bench/write_bench.mjs" "$DATA/redset_${ROWS}_zstd.parquet" "$DATA/write-out"

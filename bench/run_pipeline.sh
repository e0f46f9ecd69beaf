#!/bin/sh
# Pipeline benchmark (see bench/README.md): bench/run_pipeline.sh [ROWS...]
# (default 20000000 60000000).  For each size: a Redset-shaped Parquet file in
# per-instance runs (like full.parquet), generated once with `sluice gen
# --order runs` into build/bench-data/, then `sluice run FILE --speed max --hot
# /tmp/.../x.db --cold /tmp/.../cold` side by side with DuckDB (threads=2)
# computing the same final metric tables in batch from the same file.
# SLUICE_STORE_DIR=DIR puts the hot and cold stores there (e.g. /dev/shm, to
# leave out this VM's ext4 inode-allocation cost; see bench/README.md).
set -e
cd "$(dirname "$0")/.."
SLUICE=${SLUICE_BIN:-build/release/sluice}
D=build/bench-data
mkdir -p "$D"
[ $# -gt 0 ] || set -- 20000000 60000000
for ROWS in "$@"; do
  f="$D/pipeline_runs_${ROWS}.parquet"
  if [ ! -f "$f" ]; then
    echo "== generating $f (sluice gen --rows $ROWS --order runs --seed 1)"
    "$SLUICE" gen --rows "$ROWS" --order runs --seed 1 --out "$f" --quiet
  fi
  echo "== $ROWS rows"
  node bench/pipeline_bench.mjs "$f"
done

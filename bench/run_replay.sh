#!/bin/sh
# Replay ordering benchmark (see bench/README.md): bench/run_replay.sh [ROWS] (default 20000000)
set -e
cd "$(dirname "$0")/.."
ROWS=${1:-20000000}
MEM=${MEMORY_MB:-256}
SLUICE=${SLUICE_BIN:-build/release/sluice}
D=build/bench-data
mkdir -p "$D"
for order in shuffled runs; do
  f="$D/replay_${order}_${ROWS}.parquet"
  [ -f "$f" ] || "$SLUICE" gen --rows "$ROWS" --order "$order" --out "$f" --quiet
done
echo "== shuffled (external sort expected)"
node bench/replay_bench.mjs "$D/replay_shuffled_${ROWS}.parquet" "$MEM"
echo "== runs (per-instance runs)"
node bench/replay_bench.mjs "$D/replay_runs_${ROWS}.parquet" "$MEM"

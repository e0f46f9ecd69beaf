#!/usr/bin/env bash
# The main job on a sample: sluice generates a Redset-shaped Parquet file
# (realistic per-instance hourly rates from ../shared/data when present),
# inspects it, prints a few rows, then runs the pipeline on it (`sluice run`:
# replay, cleaning, hour windows, every metric table) into the hot store
# build/demo/sluice.db (SQLite) and the cold store build/demo/cold (Parquet),
# and queries the results.  The real Redset sample is run too (as its own
# source) when ../shared/data is present.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/sluice
OUT=build/demo
mkdir -p "$OUT"
ROWS=${DEMO_ROWS:-1000000}
SAMPLE=$OUT/redset_sample.parquet
SAMPLE_B=$OUT/redset_sample_b.parquet
# Two fleets with the faults a real feed has (duplicates, bad rows, repairable rows, rows
# out of order) and overloaded episodes, so that every chart of the dashboard has
# something to show: oversubscribed hours, late events, quarantined rows (docs/gen.md).
FAULTS="--duplicates 0.01 --bad-rows 0.002 --repairs 0.01 --displaced 0.002 --max-displacement 30m --overload 0.02"
echo "== sluice gen --rows $((ROWS * 6 / 10)) --kind serverless --order runs --seed 1 $FAULTS --out $SAMPLE"
# shellcheck disable=SC2086
$BIN gen --rows $((ROWS * 6 / 10)) --kind serverless --order runs --seed 1 $FAULTS --out "$SAMPLE"
echo "== sluice gen --rows $((ROWS * 4 / 10)) --kind provisioned --order runs --seed 2 $FAULTS --out $SAMPLE_B"
# shellcheck disable=SC2086
$BIN gen --rows $((ROWS * 4 / 10)) --kind provisioned --order runs --seed 2 $FAULTS --out "$SAMPLE_B"
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
INPUTS="--source fleet-a $SAMPLE --source fleet-b $SAMPLE_B"
if [ -f "$REAL" ]; then
    INPUTS="$INPUTS --source serverless $REAL"
    echo
    echo "== the real Redset rows: sluice cat is for Parquet; the CSV sample goes straight into sluice run"
    head -n 3 "$REAL" | cut -c1-160
fi
HOT=$OUT/sluice.db
COLD=$OUT/cold
rm -rf "$HOT" "$HOT-wal" "$HOT-shm" "$COLD"
echo
echo "== sluice run $INPUTS --hot $HOT --cold $COLD --speed max"
# shellcheck disable=SC2086
$BIN run $INPUTS --hot "$HOT" --cold "$COLD" --speed max --summary "$OUT/run_summary.json"
echo
if command -v sqlite3 >/dev/null 2>&1; then
    echo "== sqlite3 $HOT: final hours and queries per source"
    sqlite3 -readonly -box "$HOT" "SELECT source, count(DISTINCT hour) AS hours, sum(queries) AS queries,
        sum(aborted) AS aborted, sum(cached) AS cached, sum(spilled) AS spilled
        FROM query_hourly WHERE final = 1 GROUP BY source ORDER BY source;"
    echo "== sqlite3 $HOT: oversubscribed instance-hours per source (composite >= the threshold, 0.5)"
    sqlite3 -readonly -box "$HOT" "SELECT source, sum(oversubscribed) AS oversubscribed, count(*) AS instance_hours,
        round(max(composite), 3) AS max_composite FROM utilization_hourly WHERE final = 1 GROUP BY source ORDER BY source;"
    echo "== sqlite3 $HOT: the most oversubscribed instance-hours"
    sqlite3 -readonly -box "$HOT" "SELECT hour, source, instance_id, round(busy_ms / 1000.0) AS busy_s,
        round(q_score, 2) AS queue, round(s_score, 2) AS spill, round(p_score, 2) AS parallel,
        round(composite, 3) AS composite, round(slowdown, 2) AS slowdown
        FROM utilization_hourly WHERE final = 1 AND oversubscribed = 1 ORDER BY composite DESC, hour LIMIT 5;"
    echo "== sqlite3 $HOT: pipeline health (non-zero counters)"
    sqlite3 -readonly -box "$HOT" "SELECT name, value FROM pipeline_health
        WHERE (name LIKE 'sluice_events_%' OR name LIKE 'sluice_windows%') AND value > 0 ORDER BY name;"
fi

# The second pipeline, from its pipeline file: product analytics events.
PE=$OUT/product_events.jsonl
PE_ROWS=${DEMO_PRODUCT_ROWS:-300000}
rm -rf "$OUT/product_events.db" "$OUT/product_events.db-wal" "$OUT/product_events.db-shm" "$OUT/product_events_cold"
echo
echo "== sluice gen --kind product-events --rows $PE_ROWS --seed 1 --out $PE"
$BIN gen --kind product-events --rows "$PE_ROWS" --seed 1 --out "$PE"
echo
echo "== sluice run --config examples/product_events.yaml   (sluice config --example product_events)"
$BIN run --config examples/product_events.yaml
if command -v sqlite3 >/dev/null 2>&1; then
    echo "== sqlite3 $OUT/product_events.db: the busiest event names"
    sqlite3 -readonly -box "$OUT/product_events.db" "SELECT event, sum(events) AS events, max(users) AS max_users_in_an_hour
        FROM event_hourly WHERE final = 1 GROUP BY event ORDER BY events DESC LIMIT 5;"
fi
echo
echo "demo: done. Files are in $OUT/:"
printf '  %-34s %s\n' "$SAMPLE" "the generated events" \
    "$HOT" "hot store (SQLite): metric tables (final = 1 once an hour closes), bad_rows," \
    "" "late_events, recent events, pipeline_health" \
    "$COLD/<table>/date=*/hr=*/" "cold store: hour-partitioned Parquet (also events/, _manifests/)" \
    "$OUT/run_summary.json" "the run's summary (counts, strategy, throughput)" \
    "$OUT/product_events.db" "the product-events pipeline's hot store (events, event_hourly)"
echo "Try: sqlite3 -readonly -box $HOT 'SELECT * FROM cache_hourly WHERE final = 1 LIMIT 10'"
echo " or: $BIN cat \$(ls $COLD/query_hourly/*/*/part-00000.parquet | head -n 1) --limit 5"
echo "Dashboard: $BIN serve --hot $HOT    (then open http://127.0.0.1:8080/; Ctrl-C to stop)"
echo "      or, live while it runs: $BIN run --serve --speed 3600 --hot $OUT/live.db $SAMPLE"

#!/bin/sh
# API benchmark for sluice serve (see bench/README.md, "sluice serve benchmark"):
#   bench/run_serve.sh
# Builds (once) a hot store of 90 days x 200 instances with a row for every
# instance-hour, then runs wrk (50 connections, 2 threads, rotating over the
# dashboard's requests, bench/serve.lua) against `sluice serve`: once on the
# idle store and once while a second `sluice run` writes newer hours into a
# copy of it.  Prints p50/p99, requests/s, non-2xx answers and the server's
# peak RSS, and p99 against the 50 ms target.
# Environment: RATE (events per hour for the fleet, default 2600),
# DURATION (wrk, default 20s), CONNS (default 50), THREADS (serve --threads,
# default 4), WRITE_SPEED (the writer's --speed, default 36000 = 10 event
# hours per second; max = unpaced), SLUICE_BIN.
set -eu
cd "$(dirname "$0")/.."
SLUICE=${SLUICE_BIN:-build/release/sluice}
RATE=${RATE:-2600}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-50}
THREADS=${THREADS:-4}
WRITE_SPEED=${WRITE_SPEED:-36000}
D=build/bench-data/serve
mkdir -p "$D"
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/setup.sh --deps)" >&2; exit 2; }
[ -x "$SLUICE" ] || { echo "$SLUICE not found: run make" >&2; exit 2; }

PROFILE=$D/profile.parquet
BASE=$D/events_90d_r$RATE.parquet
MORE=$D/events_more_r$RATE.parquet
HOT=$D/hot_90d_r$RATE.db
WORK=$D/hot_work.db

# A flat profile (every instance active every hour): the real Redset profiles
# are sparse, so `sluice gen` with them cannot fill every instance-hour.
[ -f "$PROFILE" ] || node bench/serve_profile.mjs "$PROFILE" 200 2024-02-26 2024-07-01
if [ ! -f "$BASE" ]; then
  echo "== generating $BASE (90 days, 200 instances, $RATE events/hour)"
  "$SLUICE" gen --instances 200 --start 2024-03-01 --end 2024-05-30 --rate "$RATE" --profile "$PROFILE" \
    --seed 1 --out "$BASE" --quiet
fi
if [ ! -f "$MORE" ]; then
  echo "== generating $MORE (the writer's input: the 30 days after)"
  "$SLUICE" gen --instances 200 --start 2024-05-30 --end 2024-06-29 --rate "$RATE" --profile "$PROFILE" \
    --seed 2 --out "$MORE" --quiet
fi
if [ ! -f "$HOT" ]; then
  echo "== building $HOT (sluice run --speed max)"
  rm -f "$HOT" "$HOT-wal" "$HOT-shm"
  "$SLUICE" run --source fleet "$BASE" --speed max --hot "$HOT.tmp" --quiet
  mv "$HOT.tmp" "$HOT"
fi
echo "== hot store $HOT ($(du -m "$HOT" | cut -f1) MB):"
sqlite3 -readonly "$HOT" "SELECT '   query_hourly ' || (SELECT count(*) FROM query_hourly) || ', cache_hourly ' ||
  (SELECT count(*) FROM cache_hourly) || ', utilization_hourly ' || (SELECT count(*) FROM utilization_hourly) ||
  ', top_tables_hourly ' || (SELECT count(*) FROM top_tables_hourly) || ' rows; hours ' ||
  (SELECT min(hour) FROM query_hourly) || ' .. ' || (SELECT max(hour) FROM query_hourly)"

SERVE_PID=
WRITER_PID=
cleanup() {
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null || true
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_serve() { # db
  rm -f "$D/serve.out"
  "$SLUICE" serve --hot "$1" --listen 127.0.0.1:0 --threads "$THREADS" >"$D/serve.out" 2>"$D/serve.err" &
  SERVE_PID=$!
  i=0
  until grep -q 'http://' "$D/serve.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$D/serve.err"; exit 2; }; sleep 0.05
  done
  URL=$(grep -o 'http://[^ ]*' "$D/serve.out" | head -n1)
  URL=${URL%/}
  [ -n "$URL" ] || { echo "no URL from sluice serve" >&2; exit 2; }
}
stop_serve() {
  RSS=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
  M=$(curl -s "$URL/metrics")
  CACHE=$(printf '%s\n' "$M" | awk '/^sluice_http_cache_requests_total/ {sub(/.*outcome="/, ""); sub(/"}/, ""); printf "%s ", $0}
    /^sluice_http_cache_refreshes_total/ { printf "(background recomputations %s)", $2 }')
  # server-side time per request (handler only, no queueing): the histogram's
  # bucket holding the 99th percentile
  SERVER_P99=$(printf '%s\n' "$M" | awk -F'[" ]' 'BEGIN { n = 0 } /^sluice_http_request_duration_seconds_bucket/ { le[n] = $2; c[n] = $NF; n++ }
    END { for (i = 0; i < n; i++) if (c[i] >= 0.99 * c[n - 1]) { print (le[i] == "+Inf" ? "+Inf" : le[i] * 1000) " ms"; exit } }')
  kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=
}
report() { # label wrk-output
  line=$(printf '%s\n' "$2" | grep '^RESULT')
  p99=$(printf '%s\n' "$line" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/')
  verdict=$(awk -v p="$p99" 'BEGIN { print (p < 50) ? "under" : "OVER" }')
  echo "$1: $line peak_rss_mb=$((RSS / 1024))"
  echo "$1: p99 $p99 ms vs target 50 ms: $verdict; server-side p99 <= $SERVER_P99; cache outcomes: $CACHE"
}
warm() { # one pass over the requests: what a dashboard's first load costs
  for p in /api/v1/status /api/v1/live /api/v1/spill "/api/v1/cache?limit=50" /api/v1/top_tables /api/v1/compile \
           "/api/v1/utilization?limit=50" /api/v1/health "/api/v1/table/query_hourly?limit=100"; do
    curl -s -o /dev/null -w "   first $p: %{http_code} %{time_total}s %{size_download} B\n" "$URL$p"
  done
  # the historical view over all 90 days (not cached yet: computed now)
  R="from=2024-03-01&to=2024-05-30"
  for p in "/api/v1/spill?$R" "/api/v1/spill?$R&source=fleet" "/api/v1/cache?$R&limit=50" "/api/v1/top_tables?$R" \
           "/api/v1/compile?$R" "/api/v1/utilization?$R&limit=50"; do
    curl -s -o /dev/null -w "   90 days $p: %{http_code} %{time_total}s %{size_download} B\n" "$URL$p"
  done
}

echo "== idle: wrk -t2 -c$CONNS -d$DURATION --latency -s bench/serve.lua (serve --threads $THREADS)"
start_serve "$HOT"
warm
OUT=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/serve.lua "$URL")
stop_serve
printf '%s\n' "$OUT" | sed -n '/Latency Distribution/,/99%/p'
report idle "$OUT"

echo "== while writing: sluice run --speed $WRITE_SPEED into a copy of the store, same wrk"
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
cp "$HOT" "$WORK"
start_serve "$WORK"
warm >/dev/null
"$SLUICE" run --source fleet "$MORE" --speed "$WRITE_SPEED" --hot "$WORK" --quiet --summary "$D/writer.json" &
WRITER_PID=$!
sleep 2
OUT=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/serve.lua "$URL")
WRITING=yes
kill -0 "$WRITER_PID" 2>/dev/null || WRITING="no (the writer finished early: use more hours or a lower WRITE_SPEED)"
CHANGES=$(curl -s "$URL/metrics" | awk '/^sluice_http_store_changes_total/ {print $2}')
stop_serve
kill -INT "$WRITER_PID" 2>/dev/null || true
wait "$WRITER_PID" 2>/dev/null || true
WRITER_PID=
printf '%s\n' "$OUT" | sed -n '/Latency Distribution/,/99%/p'
report writing "$OUT"
echo "writing: writer still running at the end: $WRITING; store versions seen by the server: $CHANGES"
echo "writer: $(cat "$D/writer.json" 2>/dev/null | head -c 300)"
rm -f "$WORK" "$WORK-wal" "$WORK-shm"

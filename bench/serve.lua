-- wrk script for bench/run_serve.sh: each connection rotates over the
-- dashboard's requests (live view, historical view with its default range,
-- health view, a raw table page) and done() prints one machine-readable line.
local paths = {
  "/api/v1/status",
  "/api/v1/live",
  "/api/v1/spill",
  "/api/v1/cache?limit=50",
  "/api/v1/top_tables",
  "/api/v1/compile",
  "/api/v1/utilization?limit=50",
  "/api/v1/health",
  "/api/v1/table/query_hourly?limit=100",
}
local n = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  n = offset or 0
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.0f mean_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p99.9_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

// Pipeline benchmark: `sluice run FILE --speed max --hot H --cold C` (replay +
// cleaning + windows + every metric table + both stores) against DuckDB
// (threads=2) computing the same final metric tables in batch from the same
// Parquet file: the cleaning rules of docs/metrics.md section 2 in SQL, the
// duplicates dropped (first copy per source, instance, query and hour), then
// the metric SQL of tests/oracle/metrics_oracle.mjs, each table materialized.
// The two results are cross-checked (row counts of every final table, total
// queries, total busy time).
//   node bench/pipeline_bench.mjs FILE      (SLUICE_BIN overrides the binary)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SLUICE_BIN, sqlStr, duck as duckConn, closeDuck } from '../tests/oracle/lib.mjs';
import { allTablesSql } from '../tests/oracle/metrics_oracle.mjs';

const file = process.argv[2];
if (!file) { console.error('usage: node bench/pipeline_bench.mjs FILE'); process.exit(2); }
const SOURCE = 'bench';
const CAP = 604800000;
const TABLES = ['query_hourly', 'spill_hourly', 'cache_hourly', 'top_tables_hourly', 'compile_joins_hourly',
  'compile_corr_hourly', 'utilization_hourly'];

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', '-json', db, sql], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// SLUICE_STORE_DIR: where the hot and cold stores go (default: the temp dir).
// The replay's external-sort spill always goes to the temp dir (disk).
const STORE_DIR = process.env.SLUICE_STORE_DIR || os.tmpdir();

function sluice() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pipeline-bench-'));
  const stores = fs.mkdtempSync(path.join(STORE_DIR, 'sluice-pipeline-stores-'));
  console.log(`stores in ${stores}, spill in ${tmp}`);
  const hot = path.join(stores, 'x.db'), cold = path.join(stores, 'cold'), sumf = path.join(tmp, 'summary.json');
  const args = ['run', '--source', SOURCE, file, '--speed', 'max', '--hot', hot, '--cold', cold, '--tmpdir', tmp,
    '--summary', sumf, '--quiet'];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(SLUICE_BIN, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`sluice ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(fs.readFileSync(sumf, 'utf8'));
  const counts = {};
  for (const t of TABLES) counts[t] = sqlite(hot, `SELECT count(*) AS n FROM ${t} WHERE final = 1`)[0].n;
  const [tot] = sqlite(hot, `SELECT (SELECT sum(queries) FROM query_hourly WHERE final = 1) AS q,
    (SELECT sum(busy_ms) FROM utilization_hourly WHERE final = 1) AS busy`);
  const du = spawnSync('du', ['-sb', hot, cold], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => Number(l.split('\t')[0]));
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(stores, { recursive: true, force: true });
  return { ...s, wall, counts, q: tot.q, busy: tot.busy, hot_bytes: du[0], cold_bytes: du[1] };
}

// The cleaning rules over typed Parquet columns (no text parsing needed):
// bad rows are left out, durations capped, query_type trimmed and lower-cased;
// the metric SQL repairs NULL measures and flags itself.
function acceptedSql(f) {
  const neg = ['compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms', 'num_permanent_tables_accessed',
    'num_external_tables_accessed', 'num_system_tables_accessed', 'mbytes_scanned', 'mbytes_spilled', 'num_joins',
    'num_scans', 'num_aggregations'];
  const dbl = ['cluster_size', 'compile_duration_ms', 'cache_source_query_id', 'num_permanent_tables_accessed',
    'num_external_tables_accessed', 'num_system_tables_accessed', 'mbytes_scanned', 'mbytes_spilled'];
  return `WITH raw AS (SELECT * FROM read_parquet(${sqlStr(f)})),
clean AS (
  SELECT ${sqlStr(SOURCE)} AS source, instance_id, query_id, arrival_timestamp,
    least(coalesce(compile_duration_ms, 0), ${CAP}) AS compile_duration_ms,
    least(coalesce(queue_duration_ms, 0), ${CAP}) AS queue_duration_ms,
    least(coalesce(execution_duration_ms, 0), ${CAP}) AS execution_duration_ms,
    feature_fingerprint, was_aborted, was_cached, lower(trim(query_type, ' ')) AS query_type,
    read_table_ids, mbytes_scanned, mbytes_spilled, num_joins
  FROM raw
  WHERE arrival_timestamp IS NOT NULL AND instance_id IS NOT NULL AND query_id IS NOT NULL
    AND query_type IS NOT NULL AND trim(query_type, ' ') <> ''
    AND arrival_timestamp >= TIMESTAMP '2000-01-01' AND arrival_timestamp < TIMESTAMP '2100-01-01'
    AND ${neg.map((c) => `coalesce(${c} >= 0, true)`).join(' AND ')}
    AND ${dbl.map((c) => `coalesce(isfinite(${c}), true)`).join(' AND ')}
)
SELECT * EXCLUDE (k) FROM (
  SELECT *, row_number() OVER (PARTITION BY source, instance_id, query_id, date_trunc('hour', arrival_timestamp)
                               ORDER BY arrival_timestamp) AS k FROM clean)
WHERE k = 1`;
}

async function duck() {
  const c = await duckConn();
  await c.run('SET threads=2');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duck-pipeline-bench-'));
  await c.run(`SET temp_directory=${sqlStr(tmp)}`);
  const sql = allTablesSql('accepted');
  const t0 = process.hrtime.bigint();
  await c.run(`CREATE TEMP TABLE accepted AS ${acceptedSql(file)}`);
  const counts = {};
  for (const t of TABLES) {
    await c.run(`CREATE TEMP TABLE r_${t} AS ${sql[t]}`);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const t of TABLES) counts[t] = Number((await c.runAndReadAll(`SELECT count(*) FROM r_${t}`)).getRows()[0][0]);
  const [[acc, q, busy]] = (await c.runAndReadAll(`SELECT (SELECT count(*) FROM accepted), (SELECT sum(queries) FROM r_query_hourly),
    (SELECT sum(busy_ms) FROM r_utilization_hourly)`)).getRows();
  closeDuck();
  fs.rmSync(tmp, { recursive: true, force: true });
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return { secs, counts, accepted: Number(acc), q: Number(q), busy: Number(busy), rss: hwm ? Number(hwm[1]) * 1024 : 0 };
}

const s = sluice();
const d = await duck();
const mb = (b) => (b / 1048576).toFixed(0);
console.log(`file ${file}`);
console.log(`sluice run --speed max (hot + cold): ${s.rows_read} rows in ${s.seconds.toFixed(2)} s (wall ${s.wall.toFixed(2)} s), ` +
  `${Math.round(s.events_per_s)} events/s; strategy ${s.strategy}; accepted ${s.accepted}, duplicates ${s.duplicates}, ` +
  `late ${s.late}, bad ${s.bad_total}; ${s.windows_final} windows; sink time hot ${s.sink_seconds.hot.toFixed(1)} s, ` +
  `cold ${s.sink_seconds.cold.toFixed(1)} s; peak RSS ${mb(s.peak_rss_bytes)} MB; hot ${mb(s.hot_bytes)} MB, cold ${mb(s.cold_bytes)} MB`);
console.log(`duckdb (threads=2, batch, in-memory result tables): ${d.accepted} accepted rows -> 7 tables in ${d.secs.toFixed(2)} s ` +
  `(${Math.round(s.rows_read / d.secs)} rows/s); node+duckdb peak RSS ${mb(d.rss)} MB`);
console.log(`ratio sluice/duckdb rows/s: ${((s.rows_read / s.seconds) / (s.rows_read / d.secs)).toFixed(2)}`);
let ok = s.accepted === d.accepted && s.q === d.q && Math.abs(s.busy - d.busy) <= 1e-9 * Math.abs(d.busy);
for (const t of TABLES) {
  if (s.counts[t] !== d.counts[t]) ok = false;
}
console.log(`cross-check (accepted, rows per table, total queries, total busy_ms): ${ok ? 'equal' : 'MISMATCH'}`);
if (!ok) {
  console.error(JSON.stringify({ sluice: { accepted: s.accepted, counts: s.counts, q: s.q, busy: s.busy },
    duckdb: { accepted: d.accepted, counts: d.counts, q: d.q, busy: d.busy } }, null, 1));
  process.exit(1);
}

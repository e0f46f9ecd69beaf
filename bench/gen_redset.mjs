#!/usr/bin/env node
// Usage: node bench/gen_redset.mjs ROWS OUTDIR
// Writes OUTDIR/redset_<ROWS>_zstd.parquet and OUTDIR/redset_<ROWS>_snappy.parquet: a
// deterministic, Redset-shaped table (the 24 columns and physical types of Redset's
// serverless Parquet), generated with DuckDB SQL only (range() + hash()).
import fs from 'node:fs';
import path from 'node:path';
import { exec, query, sqlStr, closeDuck, REDSET_COLUMNS } from '../tests/oracle/lib.mjs';

export function redsetSql(rows) {
  // u(k): deterministic uniform in [0,1) per row and salt k.
  const u = (k) => `((hash(i, ${k}) % 1000000007)::DOUBLE / 1000000007)`;
  const casts = REDSET_COLUMNS.map(([n, t]) => `CAST(${n} AS ${t}) AS ${n}`).join(', ');
  return `
SELECT ${casts} FROM (
WITH base AS (
  SELECT i,
    -- ~400 instances, Zipf-like skew; rows come in per-instance runs of 64..4096 rows
    (i // (64 + (hash(i // 4096, 1) % 4033)::BIGINT)) AS run_id
  FROM range(${rows}) t(i)
), r AS (
  SELECT i, run_id,
    LEAST(399, floor(400 * pow(((hash(run_id, 2) % 1000003)::DOUBLE / 1000003), 1.7)))::INTEGER AS inst,
    ${u(3)} AS u_type, ${u(4)} AS u_cache, ${u(5)} AS u_abort, ${u(6)} AS u_dur, ${u(7)} AS u_q,
    ${u(8)} AS u_fp, ${u(9)} AS u_scan, ${u(10)} AS u_tbl, ${u(11)} AS u_join, ${u(12)} AS u_spill
  FROM base
), t AS (
  SELECT *,
    CASE WHEN u_type < 0.62 THEN 'select' WHEN u_type < 0.74 THEN 'insert' WHEN u_type < 0.82 THEN 'other'
         WHEN u_type < 0.88 THEN 'copy' WHEN u_type < 0.93 THEN 'update' WHEN u_type < 0.96 THEN 'delete'
         WHEN u_type < 0.98 THEN 'ctas' WHEN u_type < 0.99 THEN 'analyze' ELSE 'vacuum' END AS qt,
    (u_cache < 0.05) AS cached
  FROM r
)
SELECT
  inst AS instance_id,
  NULL::DOUBLE AS cluster_size,
  (hash(inst, 20) % 50 + floor(10 * pow(${u(21)}, 3)))::BIGINT AS user_id,
  (hash(inst, 22) % 4 + CASE WHEN ${u(23)} < 0.9 THEN 0 ELSE 1 END)::BIGINT AS database_id,
  (i * 7 + hash(inst, 24) % 1000)::BIGINT AS query_id,
  -- 3 months: 2024-03-01 .. 2024-05-31; each run starts at a hashed time, rows ~1-30 s apart
  make_timestamp(1709251200000000 + (hash(run_id, 25) % 7776000000000)::BIGINT + (i % 4096) * (1000000 + (hash(i, 26) % 29000000)::BIGINT)) AS arrival_timestamp,
  CASE WHEN cached THEN 0.0 ELSE round(floor(20 * pow(1 - u_q, -0.9)) + 0.0, 0) END::DOUBLE AS compile_duration_ms,
  CASE WHEN u_q < 0.85 THEN 0 ELSE floor(5 * pow(1 - ${u(27)}, -1.3)) END::BIGINT AS queue_duration_ms,
  CASE WHEN cached THEN floor(2 + 10 * u_dur) ELSE floor(30 * pow(1 - u_dur, -1.1)) END::BIGINT AS execution_duration_ms,
  -- fingerprints repeat with skew: ~N/20 distinct, popular ones much more frequent
  lower(printf('%016x%016x%016x%016x', hash(fp, 31), hash(fp, 32), hash(fp, 33), hash(fp, 34))) AS feature_fingerprint,
  (NOT cached AND u_abort < 0.01)::INTEGER AS was_aborted,
  cached::INTEGER AS was_cached,
  CASE WHEN cached THEN (i * 7 - 1000 * (1 + hash(i, 35) % 500))::DOUBLE ELSE NULL END AS cache_source_query_id,
  qt AS query_type,
  CASE WHEN cached THEN NULL ELSE floor(4 * pow(u_tbl, 2))::DOUBLE END AS num_permanent_tables_accessed,
  CASE WHEN cached THEN NULL WHEN ${u(36)} < 0.97 THEN 0.0 ELSE 1.0 END AS num_external_tables_accessed,
  CASE WHEN cached THEN NULL WHEN ${u(37)} < 0.9 THEN 0.0 ELSE floor(3 * ${u(38)})::DOUBLE END AS num_system_tables_accessed,
  CASE WHEN cached OR qt IN ('vacuum', 'analyze') AND u_tbl < 0.5 OR u_tbl < 0.1 THEN NULL
       WHEN u_tbl < 0.6 THEN (hash(inst, 40) % 300 + hash(fp, 41) % 20)::VARCHAR
       ELSE (hash(inst, 40) % 300 + hash(fp, 41) % 20)::VARCHAR || ',' || (hash(fp, 42) % 400)::VARCHAR
            || CASE WHEN u_tbl > 0.9 THEN ',' || (hash(fp, 43) % 400)::VARCHAR ELSE '' END END AS read_table_ids,
  CASE WHEN cached OR qt IN ('select', 'analyze', 'other') THEN NULL ELSE (hash(inst, 44) % 300 + hash(fp, 45) % 10)::VARCHAR END AS write_table_ids,
  CASE WHEN cached THEN NULL WHEN u_scan < 0.3 THEN 0.0 ELSE floor(pow(1 - u_scan, -2.0) * 3)::DOUBLE END AS mbytes_scanned,
  CASE WHEN cached THEN NULL WHEN u_spill < 0.995 THEN 0.0 ELSE floor(100 * pow(1 - ${u(46)}, -1.5))::DOUBLE END AS mbytes_spilled,
  CASE WHEN cached THEN 0 ELSE floor(6 * pow(u_join, 3)) END::BIGINT AS num_joins,
  CASE WHEN cached THEN 0 ELSE floor(1 + 8 * pow(u_join, 2)) END::BIGINT AS num_scans,
  CASE WHEN cached THEN 0 ELSE floor(5 * pow(${u(47)}, 2)) END::BIGINT AS num_aggregations
FROM (SELECT *, (hash(inst, 30) % 1000 + floor(${Math.max(1, Math.floor(rows / 20))} * pow(u_fp, 3)))::BIGINT AS fp FROM t)
ORDER BY i)`;
}

async function main() {
  const args = process.argv.slice(2);
  const big = args.includes('--one-row-group');
  const [rowsArg, outdir] = args.filter((a) => !a.startsWith('--'));
  if (!rowsArg || !outdir) { console.error('usage: gen_redset.mjs ROWS OUTDIR [--one-row-group]'); process.exit(2); }
  const rows = Number(rowsArg);
  fs.mkdirSync(outdir, { recursive: true });
  await exec(`SET preserve_insertion_order = true`);
  await exec(`CREATE TEMP TABLE gen AS ${redsetSql(rows)}`);
  // --one-row-group: the whole table in a single row group, to show that the
  // reader's memory does not grow with the row-group size.
  for (const codec of big ? ['zstd'] : ['zstd', 'snappy']) {
    const f = path.join(outdir, `redset_${rows}_${codec}${big ? '_onerg' : ''}.parquet`);
    const tmp = f + '.tmp';
    const rg = big ? `, ROW_GROUP_SIZE ${rows}` : '';
    await exec(`COPY gen TO ${sqlStr(tmp)} (FORMAT parquet, COMPRESSION ${codec}${rg})`);
    fs.renameSync(tmp, f);
    const [[n, sz]] = await query(`SELECT num_rows::VARCHAR, file_size_bytes::VARCHAR FROM parquet_file_metadata(${sqlStr(f)})`);
    console.log(`wrote ${f}: ${n} rows, ${(Number(sz) / 1e6).toFixed(1)} MB`);
  }
  closeDuck();
}
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen_redset.mjs')) await main();

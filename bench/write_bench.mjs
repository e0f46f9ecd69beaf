#!/usr/bin/env node
// Usage: node bench/write_bench.mjs IN.parquet [OUTDIR]
// Write benchmark: `sluice convert IN OUT --codec zstd` vs DuckDB (SET threads=1)
//   COPY (SELECT * FROM read_parquet(IN)) TO OUT2 (FORMAT parquet, COMPRESSION zstd)
// Both sides read the same input and write the same rows with the same codec.  DuckDB runs in a
// child process so its peak RSS can be reported (process.resourceUsage().maxRSS); its time is the
// COPY statement alone (no process or database start-up), sluice's is the `seconds` it reports
// (open input .. fsync + rename of the output; process start-up excluded).  Best of RUNS (default 2)
// after one warm-up each.  Before reporting, the sluice output is checked against the input with
// DuckDB: row count and a checksum over every column (sum of hash(all columns)).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { query, exec, closeDuck, sluiceOk, parseJsonLossless, sqlStr, ident, SLUICE_BIN, REPO } from '../tests/oracle/lib.mjs';

const RUNS = Number(process.env.RUNS || 2);
const HERE = path.dirname(fileURLToPath(import.meta.url));

function duckChild(inp, out) {
  // one fresh DuckDB process per run; prints {seconds, maxrss_bytes}
  const script = `
    import { DuckDBInstance } from '@duckdb/node-api';
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run('SET threads = 1');
    await c.run("SET preserve_insertion_order = true");
    const t0 = process.hrtime.bigint();
    await c.run(${JSON.stringify(`COPY (SELECT * FROM read_parquet(${sqlStr(inp)})) TO ${sqlStr(out)} (FORMAT parquet, COMPRESSION zstd)`)});
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ seconds: s, maxrss_bytes: process.resourceUsage().maxRSS * 1024 }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.join(REPO, 'tests', 'oracle'), encoding: 'utf8', maxBuffer: 1 << 24, timeout: 1_800_000,
  });
  if (r.status !== 0) throw new Error(`DuckDB child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function sluiceRun(inp, out) {
  const o = parseJsonLossless(sluiceOk(['convert', inp, out, '--codec', 'zstd'], { timeout: 1_800_000 }).trim());
  const g = (k) => Number(o.get(k).num);
  return { seconds: g('seconds'), rows: g('rows'), row_groups: g('row_groups'), bytes: g('bytes'), rss: g('peak_rss_bytes') };
}

async function checksum(file) {
  const cols = (await query(`SELECT name FROM parquet_schema(${sqlStr(file)}) WHERE num_children IS NULL OR num_children = 0`)).map((r) => r[0]);
  const [row] = await query(`SELECT count(*), sum(hash(${cols.map(ident).join(', ')})::HUGEINT)::VARCHAR FROM read_parquet(${sqlStr(file)})`);
  return { count: String(row[0]), sum: row[1], ncols: cols.length };
}

async function main() {
  const inp = process.argv[2];
  if (!inp) { console.error('usage: write_bench.mjs IN.parquet [OUTDIR]'); process.exit(2); }
  const outdir = process.argv[3] || path.join(REPO, 'build', 'bench-data', 'write-out');
  fs.mkdirSync(outdir, { recursive: true });
  const base = path.basename(inp, '.parquet');
  const sOut = path.join(outdir, `${base}.sluice.parquet`);
  const dOut = path.join(outdir, `${base}.duckdb.parquet`);

  let s = null; let d = null;
  sluiceRun(inp, sOut); // warm-up (page cache)
  for (let k = 0; k < RUNS; k++) { const r = sluiceRun(inp, sOut); if (!s || r.seconds < s.seconds) s = r; }
  duckChild(inp, dOut); // warm-up
  for (let k = 0; k < RUNS; k++) { const r = duckChild(inp, dOut); if (!d || r.seconds < d.seconds) d = r; }

  // verify: the sluice output holds exactly the input's rows (count + checksum over all columns)
  await exec('SET threads = 2');
  const ci = await checksum(inp); const cs = await checksum(sOut); const cd = await checksum(dOut);
  const problems = [];
  if (ci.count !== cs.count || ci.sum !== cs.sum || ci.ncols !== cs.ncols) problems.push(`sluice output differs from input: input ${JSON.stringify(ci)}, sluice ${JSON.stringify(cs)}`);
  if (ci.count !== cd.count || ci.sum !== cd.sum) problems.push(`DuckDB output differs from input: ${JSON.stringify(cd)}`);
  const rows = Number(ci.count);
  const sSize = fs.statSync(sOut).size; const dSize = fs.statSync(dOut).size;
  const [[dRg]] = await query(`SELECT num_row_groups FROM parquet_file_metadata(${sqlStr(dOut)})`);
  const summary = {
    rows, columns: ci.ncols,
    sluice_s: +s.seconds.toFixed(3), duckdb_s: +d.seconds.toFixed(3),
    sluice_rows_per_s: Math.round(rows / s.seconds), duckdb_rows_per_s: Math.round(rows / d.seconds),
    speed_ratio: +((rows / s.seconds) / (rows / d.seconds)).toFixed(3),
    sluice_bytes: sSize, duckdb_bytes: dSize, size_ratio: +(sSize / dSize).toFixed(3),
    sluice_row_groups: s.row_groups, duckdb_row_groups: Number(dRg),
    sluice_peak_rss_mb: +(s.rss / 1048576).toFixed(1), duckdb_peak_rss_mb: +(d.maxrss_bytes / 1048576).toFixed(1),
    output_matches_input: problems.length === 0,
  };
  console.log(`sluice: ${SLUICE_BIN}; DuckDB threads=1 (child process); best of ${RUNS} after one warm-up`);
  console.table([summary]);
  console.log(JSON.stringify(summary));
  if (problems.length) console.error('MISMATCH:\n  ' + problems.join('\n  '));
  closeDuck();
  process.exit(problems.length ? 1 : 0);
}
await main();

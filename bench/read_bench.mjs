#!/usr/bin/env node
// Usage: node bench/read_bench.mjs FILE [FILE...]
// For each file: `sluice scan FILE` vs DuckDB (SET threads=1) computing the same per-column
// count/sum over all columns, timed in-process (query only).  Checks both give the same numbers
// (integers exact, doubles within 1e-9 relative) and prints rows/s, ratio and sluice peak RSS.
import path from 'node:path';
import {
  duck, exec, closeDuck, parquetColumns, scanExprs, wrapInt64, sluiceOk, parseJsonLossless, Num, Obj,
  sqlStr, ident, SLUICE_BIN,
} from '../tests/oracle/lib.mjs';

async function duckScan(file, cols) {
  const parts = [];
  for (const col of cols) {
    const e = scanExprs(col);
    parts.push(`count(${ident(col.name)})`);
    parts.push(e ? e.sum : 'NULL');
  }
  const sql = `SELECT count(*), ${parts.join(', ')} FROM read_parquet(${sqlStr(file)})`;
  const c = await duck();
  await c.run(sql); // warm-up (OS page cache, metadata cache off by default)
  const best = [];
  let row;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    const r = await c.runAndReadAll(sql);
    best.push(Number(process.hrtime.bigint() - t0) / 1e9);
    row = r.getRows()[0];
  }
  return { seconds: Math.min(...best), row };
}

function sluiceScan(file) {
  let best = null;
  sluiceOk(['scan', file]); // warm-up
  for (let k = 0; k < 3; k++) {
    const out = parseJsonLossless(sluiceOk(['scan', file], { timeout: 600_000 }).trim());
    const s = Number(out.get('seconds').num);
    if (!best || s < best.seconds) best = { seconds: s, out };
  }
  return best;
}

async function main() {
  const files = process.argv.slice(2);
  if (!files.length) { console.error('usage: read_bench.mjs FILE...'); process.exit(2); }
  await exec('SET threads = 1');
  let failed = false;
  const summary = [];
  for (const file of files) {
    const cols = await parquetColumns(file);
    const d = await duckScan(file, cols);
    const s = sluiceScan(file);
    const rows = Number(d.row[0]);
    // verify
    const problems = [];
    const g = s.out;
    if (g.get('rows').num !== String(d.row[0])) problems.push(`rows: duckdb ${d.row[0]} sluice ${g.get('rows').num}`);
    const gcols = g.get('columns');
    cols.forEach((col, k) => {
      const gc = gcols.find((x) => x instanceof Obj && x.get('name') === col.name);
      if (!gc) { problems.push(`column ${col.name} missing in sluice output`); return; }
      const cnt = String(d.row[1 + 2 * k]);
      if (gc.get('count')?.num !== cnt) problems.push(`${col.name} count: duckdb ${cnt} sluice ${gc.get('count')?.num}`);
      const e = scanExprs(col);
      if (!e) return;
      const ds = d.row[2 + 2 * k];
      const gs = gc.get('sum');
      if (e.type === 'int') {
        const want = ds === null ? '0' : wrapInt64(String(ds));
        if (!(gs instanceof Num && gs.num === want)) problems.push(`${col.name} sum: duckdb ${want} sluice ${gs?.num ?? gs}`);
      } else {
        const want = ds === null ? 0 : Number(ds);
        const got = gs instanceof Num ? Number(gs.num) : (gs === null ? 0 : Number(gs));
        if (!(got === want || Math.abs(got - want) <= 1e-9 * Math.abs(want))) problems.push(`${col.name} sum: duckdb ${want} sluice ${got}`);
      }
    });
    if (problems.length) { failed = true; console.error(`MISMATCH ${path.basename(file)}:\n  ` + problems.join('\n  ')); }
    const sr = rows / s.seconds; const dr = rows / d.seconds;
    const rss = Number(g.get('peak_rss_bytes').num);
    summary.push({ file: path.basename(file), rows, sluice_s: s.seconds, duckdb_s: d.seconds, sluice_rows_per_s: Math.round(sr),
      duckdb_rows_per_s: Math.round(dr), ratio: +(sr / dr).toFixed(3), sluice_peak_rss_mb: +(rss / 1048576).toFixed(1),
      results_match: problems.length === 0 });
  }
  console.log(`sluice: ${SLUICE_BIN}; DuckDB threads=1; best of 3 after one warm-up`);
  console.table(summary);
  console.log(JSON.stringify(summary));
  closeDuck();
  process.exit(failed ? 1 : 0);
}
await main();

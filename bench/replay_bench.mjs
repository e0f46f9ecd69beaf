// Replay ordering benchmark: `sluice replay FILE --speed max --memory M --discard`
// against DuckDB sorting the same file by the same key with the same memory
// limit (threads=1).  Usage: node bench/replay_bench.mjs FILE [MEMORY_MB=256] [RUNS=1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SLUICE_BIN, sqlStr, duck as duckConn, closeDuck } from '../tests/oracle/lib.mjs';

const file = process.argv[2];
const memMB = Number(process.argv[3] || 256);
const runs = Number(process.env.RUNS || process.argv[4] || 1);
if (!file) { console.error('usage: node bench/replay_bench.mjs FILE [MEMORY_MB] [RUNS]'); process.exit(2); }

function sluice() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  const sumf = path.join(tmp, 'summary.json');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(SLUICE_BIN, ['replay', file, '--speed', 'max', '--memory', `${memMB}M`, '--discard',
    '--tmpdir', tmp, '--summary', sumf, '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`sluice failed: ${r.stderr}`);
  const s = JSON.parse(fs.readFileSync(sumf, 'utf8'));
  const left = fs.readdirSync(tmp).filter((f) => f !== 'summary.json');
  fs.rmSync(tmp, { recursive: true, force: true });
  return { ...s, wall, tmp_left: left.length };
}

async function duck() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'duck-bench-'));
  const c = await duckConn();
  await c.run('SET threads=1');
  await c.run(`SET memory_limit='${memMB}MB'`);
  await c.run(`SET temp_directory=${sqlStr(tmp)}`);
  await c.run('SET preserve_insertion_order=true');
  const t0 = process.hrtime.bigint();
  // every column, fully ordered, delivered chunk by chunk to the client and discarded
  const res = await c.stream(`SELECT * FROM read_parquet(${sqlStr(file)}) ORDER BY arrival_timestamp NULLS FIRST, instance_id NULLS FIRST, query_id NULLS FIRST`);
  let rows = 0;
  for (;;) {
    const ch = await res.fetchChunk();
    if (!ch || ch.rowCount === 0) break;
    rows += ch.rowCount;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  closeDuck();
  fs.rmSync(tmp, { recursive: true, force: true });
  return { rows, secs };
}

let best = null;
for (let i = 0; i < runs; i++) { const s = sluice(); if (!best || s.seconds < best.seconds) best = s; }
let bestD = null;
for (let i = 0; i < runs; i++) { const d = await duck(); if (!bestD || d.secs < bestD.secs) bestD = d; }
const sr = best.rows / best.seconds, dr = bestD.rows / bestD.secs;
console.log(`file ${file}  memory ${memMB} MB`);
console.log(`sluice: ${best.rows} rows in ${best.seconds.toFixed(2)} s (${Math.round(sr)} rows/s; plan+sort ${best.plan_seconds.toFixed(2)} s, wall ${best.wall.toFixed(2)} s) ` +
  `strategy ${best.strategy}, segments ${best.segments}, runs spilled ${best.runs_spilled}, temp bytes ${best.spill_bytes}, ` +
  `peak RSS ${(best.peak_rss_bytes / 1048576).toFixed(1)} MB, temp files left ${best.tmp_left}`);
console.log(`duckdb (threads=1, memory_limit=${memMB}MB): ${bestD.rows} rows in ${bestD.secs.toFixed(2)} s (${Math.round(dr)} rows/s)`);
console.log(`ratio sluice/duckdb rows/s: ${(sr / dr).toFixed(2)}`);
if (best.rows !== bestD.rows) { console.error('row count mismatch'); process.exit(1); }

// sluice replay's ordering engine vs DuckDB's ORDER BY over the same files.
// For sorted, runs and shuffled generated inputs (and several files with
// different --source labels), the replay's rows must come in the order of
//   ORDER BY arrival_timestamp NULLS FIRST, source, instance_id NULLS FIRST,
//            query_id NULLS FIRST, _input, _row
// (the last two: sluice's documented tie rule, reading order), with the
// same content.  A small --memory must spill (summary: strategy
// external_sort, runs_spilled > 0), keep peak RSS under budget + constant,
// and leave the temporary directory empty.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  SLUICE_BIN, ensureDataDir, sqlStr, query, closeDuck, requireSluice, runSluice, parseJsonLines,
} from './lib.mjs';

const ROWS = Number(process.env.REPLAY_ORDER_ROWS || 300000);
const RSS_CONSTANT_MB = 96; // input reader (page + window per column), batches, allocator slack
after(() => closeDuck());

function checkCli() {
  requireSluice();
  const r = runSluice(['replay', '--help']);
  if (r.status !== 0 || !/--memory/.test(r.stdout + r.stderr)) {
    throw new Error(`'${SLUICE_BIN} replay --help' failed or lacks --memory: sluice replay is missing`);
  }
}

function gen(order, rows, seed, extra = []) {
  const d = ensureDataDir('replay-order');
  const f = path.join(d, `gen_${order}_${rows}_${seed}.parquet`);
  if (!fs.existsSync(f)) {
    const r = runSluice(['gen', '--rows', String(rows), '--order', order, '--seed', String(seed), '--out', f, '--quiet', ...extra], { timeout: 300_000 });
    if (r.status !== 0) throw new Error(`sluice gen failed: ${r.stderr}`);
  }
  return f;
}

const KEY = `arrival_timestamp NULLS FIRST, source, instance_id NULLS FIRST, query_id NULLS FIRST, _input, _row`;

async function expected(inputs) {
  const parts = inputs.map(({ file, source }, i) =>
    `SELECT instance_id, query_id, arrival_timestamp, feature_fingerprint, execution_duration_ms, ${sqlStr(source)} AS source, ` +
    `${i} AS _input, file_row_number AS _row FROM read_parquet(${sqlStr(file)}, file_row_number=true)`);
  return query(`SELECT CAST(instance_id AS VARCHAR), CAST(query_id AS VARCHAR),
      strftime(arrival_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ'), feature_fingerprint, CAST(execution_duration_ms AS VARCHAR),
      source, CAST(_input AS VARCHAR), CAST(_row AS VARCHAR)
    FROM (${parts.join(' UNION ALL ')}) ORDER BY ${KEY}`);
}

function replay(inputs, memory) {
  const tmp = fs.mkdtempSync(path.join(ensureDataDir('replay-order'), 'tmp-'));
  const sum = path.join(tmp, '..', `summary-${path.basename(tmp)}.json`);
  const args = ['replay'];
  for (const { file, source } of inputs) args.push('--source', source, file);
  args.push('--speed', 'max', '--format', 'jsonl', '--memory', memory, '--tmpdir', tmp, '--summary', sum, '--quiet');
  const r = runSluice(args, { timeout: 600_000 });
  if (r.status !== 0) throw new Error(`sluice ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const summary = JSON.parse(fs.readFileSync(sum, 'utf8'));
  const left = fs.readdirSync(tmp);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(sum, { force: true });
  return { rows: parseJsonLines(r.stdout), summary, left };
}

const txt = (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));

function compare(got, exp) {
  assert.equal(got.length, exp.length, 'row count');
  const cols = ['instance_id', 'query_id', 'arrival_timestamp', 'feature_fingerprint', 'execution_duration_ms', 'source', '_input', '_row'];
  for (let i = 0; i < exp.length; i++) {
    const g = got[i];
    for (let c = 0; c < cols.length; c++) {
      const gv = txt(g.get(cols[c]));
      if (gv !== exp[i][c]) {
        assert.fail(`row ${i}: ${cols[c]} = ${gv}, expected ${exp[i][c]} (expected row ${JSON.stringify(exp[i])})`);
      }
    }
  }
}

for (const order of ['sorted', 'runs', 'shuffled']) {
  test(`replay order: ${order} input (${ROWS} rows) equals DuckDB ORDER BY`, { timeout: 900_000 }, async () => {
    checkCli();
    const f = gen(order, ROWS, 7);
    const inputs = [{ file: f, source: 'fleet' }];
    const exp = await expected(inputs);
    const r = replay(inputs, '1G');
    compare(r.rows, exp);
    const want = { sorted: 'stream', runs: null, shuffled: 'external_sort' }[order];
    if (want) assert.equal(r.summary.strategy, want);
    assert.deepEqual(r.left, [], 'temporary directory empty after the run');
  });
}

test('replay order: several files with different sources, spilling', { timeout: 900_000 }, async () => {
  checkCli();
  const inputs = [
    { file: gen('shuffled', ROWS, 11, ['--bad-rows', '0.02']), source: 'serverless' },
    { file: gen('runs', Math.floor(ROWS / 2), 12), source: 'provisioned' },
    { file: gen('sorted', Math.floor(ROWS / 3), 13), source: 'b-fleet' },
  ];
  const exp = await expected(inputs);
  const memMB = 32;
  const r = replay(inputs, `${memMB}M`);
  compare(r.rows, exp);
  assert.equal(r.summary.strategy, 'external_sort');
  assert.ok(r.summary.runs_spilled > 0, `spilled runs: ${JSON.stringify(r.summary)}`);
  assert.ok(r.summary.spill_bytes > 0);
  assert.ok(r.summary.peak_rss_bytes < (memMB + RSS_CONSTANT_MB) * 1048576,
    `peak RSS ${r.summary.peak_rss_bytes} over ${memMB} MB + ${RSS_CONSTANT_MB} MB`);
  assert.deepEqual(r.left, [], 'temporary directory empty after the run');
});

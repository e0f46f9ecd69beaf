// `sluice run` end to end against DuckDB (docs/pipeline.md, docs/metrics.md 3.6).
//
// For each input set: `sluice run ... --speed max --hot H --cold C`, then
//  - the accepted events are derived independently: the cleaning oracle
//    (make_clean_fixture.mjs, DuckDB SQL over the CSV text) gives each row's
//    status and typed values; the late events are taken from sluice's
//    late_events (lateness depends on order) after checking that each one's
//    window was final at its watermark; duplicates are removed (first copy
//    per (source, instance_id, query_id, hour) in replay order);
//  - bad_rows equal the oracle's bad rows (position and reason), the events
//    table equals the accepted set, and bad + duplicates + late + accepted =
//    rows read;
//  - every final metric table in the hot store equals metrics_oracle.mjs over
//    the accepted events (integers and text exactly, doubles within 1e-9
//    relative);
//  - the cold store (DuckDB read_parquet, hive partitioning) equals the hot
//    store's final rows, table by table, and its events the accepted events;
//  - a second run into a new cold directory writes byte-identical files.
// Plus a SIGINT test (--speed 3600, interrupted once a window is final) and
// option / store errors.  Stores go to /dev/shm when present (the cold store
// fsyncs every file it publishes).
import { spawn } from 'node:child_process';
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeDuck, ensureDataDir, exec, ident, METRIC_KEYS, METRIC_TABLES, query, queryObjects, REDSET_COLUMNS, REDSET_CSV, requireSluice, runSluice, SLUICE_BIN, sluiceOk, sqlite, sqlStr } from './lib.mjs';
import { CAP, REASONS, cleanOracle } from './make_clean_fixture.mjs';
import { allTables } from './metrics_oracle.mjs';

const HOUR_US = 3600000000n;
const DATA = ensureDataDir('run');
const STORE_ROOT = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/sluice-run-test-') : ensureDataDir('run-stores');
const COLD_URL = 's3://bucket/sluice/';
const TABLES = METRIC_TABLES;
const KEYS = METRIC_KEYS;

test.after(() => {
  closeDuck();
  if (STORE_ROOT.startsWith('/dev/shm/')) fs.rmSync(STORE_ROOT, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers

function hourText(micros) {
  const d = new Date(Number(BigInt(micros) / 1000n));
  return d.toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
}

const tsText = (micros) => new Date(Number(BigInt(micros) / 1000n)).toISOString().slice(0, 19).replace('T', ' ') +
  '.' + String(((BigInt(micros) % 1000000n) + 1000000n) % 1000000n).padStart(6, '0');

// Oracle values (DuckDB row objects) -> the hot store's JSON shape.
function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && 'micros' in v) return hourText(v.micros);
  return v;
}

function close(a, b) {
  if (a === b) return true;
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  const d = Math.abs(a - b);
  return d <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) || d <= 1e-12;
}

function compareRows(label, got, exp) {
  const cols = exp.length ? Object.keys(exp[0]) : got.length ? Object.keys(got[0]) : [];
  assert.equal(got.length, exp.length, `${label}: ${got.length} rows, expected ${exp.length}` +
    (got.length !== exp.length ? `\n first expected ${JSON.stringify(exp[0], (k, v) => norm(v))}\n first got ${JSON.stringify(got[0])}` : ''));
  let bad = 0;
  const msgs = [];
  for (let i = 0; i < exp.length; i++) {
    for (const c of cols) {
      const e = norm(exp[i][c]);
      const g = norm(got[i][c]);
      if (!close(g, e)) {
        bad++;
        if (msgs.length < 5) msgs.push(`row ${i} col ${c}: got ${JSON.stringify(g)} expected ${JSON.stringify(e)}; ` +
          `got row ${JSON.stringify(got[i])}`);
      }
    }
  }
  assert.equal(bad, 0, `${label}: ${bad} differing cells\n${msgs.join('\n')}`);
}

function hotFinal(db, table) {
  const rows = sqlite(db, `SELECT * FROM ${table} WHERE final = 1 ORDER BY ${KEYS[table].join(', ')}`);
  for (const r of rows) delete r.final;
  return rows;
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function runPipeline(inputs, hot, cold, extra = []) {
  for (const f of [hot, `${hot}-wal`, `${hot}-shm`]) fs.rmSync(f, { force: true });
  fs.rmSync(cold, { recursive: true, force: true });
  const summary = `${hot}.summary.json`;
  const args = ['run'];
  for (const [file, label] of inputs) {
    if (label) args.push('--source', label);
    args.push(file);
  }
  args.push('--speed', 'max', '--hot', hot, '--cold', cold, '--cold-url', COLD_URL, '--retention-hours', '1000000',
    '--summary', summary, '--quiet', ...extra);
  const r = runSluice(args, { timeout: 120_000 });
  assert.equal(r.status, 0, `sluice ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(fs.readFileSync(summary, 'utf8'));
}

// ------------------------------------------------------------------ the oracle

const EV_COLS = REDSET_COLUMNS.map(([n]) => n);

/** Load every input through the cleaning oracle into table all_in(_input, _row, source, code, <24 cols>). */
async function loadInputs(inputs) {
  await exec(`DROP TABLE IF EXISTS all_in`);
  for (let i = 0; i < inputs.length; i++) {
    const [file, label] = inputs[i];
    await cleanOracle(file); // temp table s: r, code, typed columns
    const sel = `SELECT ${i}::INTEGER AS _input, r::BIGINT AS _row, ${sqlStr(label)} AS source, code, ${EV_COLS.map(ident).join(', ')} FROM s`;
    await exec(i === 0 ? `CREATE TABLE all_in AS ${sel}` : `INSERT INTO all_in ${sel}`);
  }
}

/** The accepted events: cleaned, not late (late set from sluice, checked), first copy per key and hour. */
async function acceptedEvents(hot) {
  const late = sqlite(hot, `SELECT hour, source, _input, _row, watermark FROM late_events`);
  for (const l of late) {
    // window hour was final: hour + 1h <= W
    assert.ok(Date.parse(l.hour.replace(' ', 'T') + 'Z') + 3600e3 <= Date.parse(l.watermark.replace(' ', 'T') + 'Z'),
      `late event ${JSON.stringify(l)}: its window was not final at W`);
  }
  await exec(`CREATE OR REPLACE TABLE late_set (source VARCHAR, _input INTEGER, _row BIGINT)`);
  for (let k = 0; k < late.length; k += 1000) {
    const chunk = late.slice(k, k + 1000).map((l) => `(${sqlStr(l.source)}, ${l._input}, ${l._row})`).join(',');
    await exec(`INSERT INTO late_set VALUES ${chunk}`);
  }
  const UP = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', LO = 'abcdefghijklmnopqrstuvwxyz';
  const cleaned = EV_COLS.map((c) => {
    if (['compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms'].includes(c))
      return `least(coalesce(${ident(c)}, 0), ${CAP}) AS ${ident(c)}`;
    if (c === 'query_type') return `translate(trim(query_type, ' '), '${UP}', '${LO}') AS query_type`;
    return ident(c);
  }).join(', ');
  await exec(`CREATE OR REPLACE TABLE clean_ok AS SELECT _input, _row, source, ${cleaned} FROM all_in WHERE code = 0`);
  await exec(`CREATE OR REPLACE TABLE accepted AS
    SELECT * EXCLUDE (k) FROM (
      SELECT *, row_number() OVER (PARTITION BY source, instance_id, query_id, date_trunc('hour', arrival_timestamp)
                                   ORDER BY arrival_timestamp, _input, _row) AS k
      FROM clean_ok c WHERE NOT EXISTS (SELECT 1 FROM late_set l WHERE l.source = c.source AND l._input = c._input AND l._row = c._row))
    WHERE k = 1`);
  const [[nClean, nAcc]] = await query(`SELECT (SELECT count(*) FROM clean_ok), (SELECT count(*) FROM accepted)`);
  return { late: late.length, clean: Number(nClean), accepted: Number(nAcc) };
}

/** Everything checked for one input set. */
async function checkRun(name, inputs, { secondRun = false } = {}) {
  const hot = path.join(STORE_ROOT, `${name}.db`);
  const cold = path.join(STORE_ROOT, `${name}-cold`);
  const sum = runPipeline(inputs, hot, cold);
  await loadInputs(inputs);

  // bad rows: position and reason
  const expBad = await query(`SELECT source, _input, _row, code FROM all_in WHERE code <> 0 ORDER BY _input, _row`);
  const gotBad = sqlite(hot, `SELECT source, _input, _row, reason FROM bad_rows ORDER BY _input, _row`);
  assert.equal(gotBad.length, expBad.length, `${name}: bad_rows count`);
  for (let i = 0; i < expBad.length; i++) {
    const [s, inp, row, code] = expBad[i];
    const g = gotBad[i];
    assert.deepEqual([g.source, g._input, g._row, g.reason], [s, inp, Number(row), REASONS[code - 1]], `${name}: bad row ${i}`);
  }
  const [[nRows]] = await query(`SELECT count(*) FROM all_in`);
  const byReason = Object.fromEntries(REASONS.map((r) => [r, 0]));
  for (const [, , , code] of expBad) byReason[REASONS[code - 1]]++;
  assert.deepEqual(sum.bad, byReason, `${name}: summary bad by reason`);

  // accepted events, duplicates, late, the identity
  const acc = await acceptedEvents(hot);
  assert.equal(sum.rows_read, Number(nRows), `${name}: rows read`);
  assert.equal(sum.late, acc.late, `${name}: late`);
  assert.equal(sum.accepted, acc.accepted, `${name}: accepted`);
  assert.equal(sum.duplicates, acc.clean - acc.late - acc.accepted, `${name}: duplicates`);
  assert.equal(sum.bad_total + sum.duplicates + sum.late + sum.accepted, sum.rows_read, `${name}: accounting identity`);
  assert.equal(sum.identity_ok, true);
  assert.equal(sum.interrupted, false);
  assert.equal(sum.open_windows, 0, `${name}: every window final at the end`);
  const [[qsum]] = [[sqlite(hot, `SELECT coalesce(sum(queries), 0) AS q FROM query_hourly WHERE final = 1`)[0].q]];
  const nLateHot = sqlite(hot, `SELECT count(*) AS n FROM late_events`)[0].n;
  assert.equal(qsum + nLateHot + gotBad.length + sum.duplicates, sum.rows_read, `${name}: identity over the hot store`);
  assert.equal(sqlite(hot, `SELECT (SELECT count(*) FROM query_hourly WHERE final = 0) AS n`)[0].n, 0,
    `${name}: provisional rows left after the end of input`);

  // the events table (retention set very high) = the accepted events, by position
  const gotEv = sqlite(hot, `SELECT source, _input, _row, arrival_timestamp FROM events ORDER BY _input, _row`);
  const expEv = await query(`SELECT source, _input, _row, epoch_us(arrival_timestamp) FROM accepted ORDER BY _input, _row`);
  assert.equal(gotEv.length, expEv.length, `${name}: events table rows`);
  for (let i = 0; i < expEv.length; i++) {
    const [s, inp, row, ts] = expEv[i];
    assert.deepEqual([gotEv[i].source, gotEv[i]._input, gotEv[i]._row, gotEv[i].arrival_timestamp],
      [s, inp, Number(row), tsText(ts)], `${name}: event ${i}`);
  }

  // every final metric table = the batch oracle over the accepted events
  const conn = await (await import('./lib.mjs')).duck();
  const exp = await allTables(conn, 'accepted', {});
  const hotRows = {};
  for (const t of TABLES) {
    hotRows[t] = hotFinal(hot, t);
    compareRows(`${name}: ${t} (hot, final) vs DuckDB`, hotRows[t], exp[t]);
  }

  // the cold store = the hot store's final rows
  for (const t of TABLES) {
    const glob = path.join(cold, t, '*', '*', '*.parquet');
    const files = listFiles(cold).filter((f) => f.startsWith(t + '/') && f.endsWith('.parquet'));
    let rows = [];
    if (files.length) {
      rows = await queryObjects(`SELECT * EXCLUDE (date, hr) FROM read_parquet(${sqlStr(glob)}, hive_partitioning = true)
        ORDER BY ${KEYS[t].map(ident).join(', ')}`);
    }
    compareRows(`${name}: ${t} (cold) vs hot final`, rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)]))), hotRows[t]);
  }
  const [[coldEv]] = await query(`SELECT count(*) FROM read_parquet(${sqlStr(path.join(cold, 'events', '*', '*', '*.parquet'))}, hive_partitioning = true)`);
  assert.equal(Number(coldEv), acc.accepted, `${name}: cold events = accepted`);
  assert.ok(!listFiles(cold).some((f) => f.includes('.tmp-')), `${name}: temporary files left in the cold store`);
  const manifests = listFiles(cold).filter((f) => f.startsWith('_manifests/'));
  assert.ok(manifests.length > 0 && manifests.length === listFiles(cold).filter((f) => f.endsWith('.parquet')).length,
    `${name}: one manifest per data file`);

  if (secondRun) {
    const hot2 = path.join(STORE_ROOT, `${name}-2.db`);
    const cold2 = path.join(STORE_ROOT, `${name}-cold-2`);
    runPipeline(inputs, hot2, cold2);
    const a = listFiles(cold), b = listFiles(cold2);
    assert.deepEqual(b, a, `${name}: second run wrote another file set`);
    for (const f of a) {
      assert.ok(fs.readFileSync(path.join(cold, f)).equals(fs.readFileSync(path.join(cold2, f))), `${name}: ${f} differs between runs`);
    }
  }
  return sum;
}

// ------------------------------------------------------------------ inputs

const GEN_BASE = ['--start', '2024-03-01', '--end', '2024-03-03', '--format', 'csv', '--quiet'];
function gen(name, args) {
  const out = path.join(DATA, name);
  if (!fs.existsSync(out)) sluiceOk(['gen', ...GEN_BASE, ...args, '--out', out]);
  return out;
}

// A hand-made CSV: queries running for hours (busy time spilling into later
// windows, one past the last arrival and one clamped to the 7-day cap),
// fingerprint groups, odd table-id lists, a repaired query_type, a duplicate.
function handMade() {
  const out = path.join(DATA, 'long_queries.csv');
  const H = EV_COLS.join(',');
  const fp = (c) => c.repeat(64);
  // instance_id,cluster_size,user_id,database_id,query_id,arrival_timestamp,compile,queue,exec,fingerprint,
  // aborted,cached,cache_src,query_type,perm,ext,sys,read_ids,write_ids,mb_scanned,mb_spilled,joins,scans,aggs
  const rows = [
    `1,,7,1,100,2024-03-01 10:30:00.000000,1500.5,600000,14400000,${fp('a')},0,0,,select,2.0,0.0,1.0,"1, 2,abc,2",9,100.5,0.0,2,3,1`,
    `1,,7,1,101,2024-03-01 10:45:10.123456,0.0,0,10800000,${fp('a')},0,0,,select,1.0,0.0,0.0,2,,10.0,5.25,2,1,0`,
    `1,,7,1,102,2024-03-01 11:05:00.000000,250.0,1000,7200000,${fp('a')},0,0,,  SELECT ,1.0,0.0,0.0,"2,3",,10.0,0.0,5,1,0`,
    `1,,7,1,103,2024-03-01 11:59:59.999999,12.0,5,700000000,${fp('b')},0,0,,insert,1.0,0.0,0.0,007,4,0.0,0.0,0,1,0`,
    `2,,8,1,200,2024-03-01 10:00:00.000000,3000.0,0,36000000,${fp('c')},0,0,,select,3.0,1.0,0.0,"5,6,7",,1000.0,250.0,11,4,2`,
    `2,,8,1,201,2024-03-01 10:59:59.999999,,,,,,,,select,,,,,,,,,,`,
    `2,,8,1,201,2024-03-01 10:59:59.999999,,,,,,,,select,,,,,,,,,,`,
    `2,,8,1,202,2024-03-01 12:00:00.000000,10.0,0,1,${fp('c')},1,0,,select,1.0,0.0,0.0,5,,1.0,0.0,0,1,0`,
    `2,,8,1,203,2024-03-01 12:00:00.000001,,,,,,1,200.0,other,,,,,,,,,,`,
    `3,,9,1,300,2024-03-01 13:10:00.000000,5.0,0,90000000,,0,0,,copy,0.0,0.0,0.0,,,5000.0,0.0,0,1,0`,
    `3,,9,1,301,2024-03-01 14:20:00.000000,-1.0,0,1000,,0,0,,copy,0.0,0.0,0.0,,,1.0,0.0,0,1,0`,
  ];
  fs.writeFileSync(out, [H, ...rows].join('\n') + '\n');
  return out;
}

// ------------------------------------------------------------------ tests

test('sluice run exists', () => {
  requireSluice();
  const r = runSluice(['run', '--help']);
  assert.equal(r.status, 0, `'sluice run --help' exited ${r.status}: ${r.stderr} -- is 'sluice run' implemented?`);
  assert.match(r.stdout, /usage: sluice run/);
});

test('sorted + runs + hand-made long queries, three sources; second run byte-identical', async () => {
  const a = gen('sorted.csv', ['--rows', '12000', '--seed', '11', '--order', 'sorted', '--duplicates', '0.02',
    '--bad-rows', '0.05', '--repairs', '0.1', '--displaced', '0.03', '--max-displacement', '5m']);
  const b = gen('runs.csv', ['--rows', '12000', '--seed', '12', '--kind', 'provisioned', '--order', 'runs',
    '--duplicates', '0.02', '--bad-rows', '0.03', '--repairs', '0.1', '--displaced', '0.05', '--max-displacement', '3h']);
  const c = handMade();
  const sum = await checkRun('multi', [[a, 'alpha'], [b, 'beta'], [c, 'handmade']], { secondRun: true });
  assert.ok(sum.duplicates > 0 && sum.bad_total > 0 && sum.repaired > 0, JSON.stringify(sum));
  assert.ok(Object.values(sum.bad).every((n) => n > 0), `every bad-row kind present: ${JSON.stringify(sum.bad)}`);
});

test('shuffled with faults and late events beyond the lateness', async () => {
  const s = gen('shuffled.csv', ['--rows', '15000', '--seed', '13', '--order', 'shuffled', '--duplicates', '0.02',
    '--bad-rows', '0.05', '--repairs', '0.1', '--displaced', '0.05', '--max-displacement', '2h']);
  await checkRun('shuffled', [[s, 'shuf']]);
});

test('real Redset sample (serverless_sample_0.001.csv)', async (t) => {
  if (!fs.existsSync(REDSET_CSV)) { t.skip(`${REDSET_CSV} not present`); return; }
  await checkRun('real', [[REDSET_CSV, 'serverless']]);
});

// `sluice run --serve`: the API answers while the pipeline runs and after it
// (the results stay on view), and the numbers are the hot store's; Ctrl-C after
// a complete run stops the server and exits 0.
test('run --serve: live API during and after the run, exit 0 on Ctrl-C after it', async () => {
  const f = path.join(DATA, 'sigint.csv');
  if (!fs.existsSync(f)) sluiceOk(['gen', '--rows', '60000', '--seed', '21', '--order', 'sorted', '--start', '2024-03-01',
    '--end', '2024-03-11', '--format', 'csv', '--quiet', '--out', f]);
  const hot = path.join(STORE_ROOT, 'serve.db');
  for (const x of [hot, `${hot}-wal`, `${hot}-shm`]) fs.rmSync(x, { force: true });
  const child = spawn(SLUICE_BIN, ['run', f, '--speed', '200000', '--hot', hot, '--serve', '--listen', '127.0.0.1:0', '--quiet'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  try {
    const t0 = Date.now();
    let url = null;
    while (!url && Date.now() - t0 < 10000) {
      url = /dashboard and API at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `no URL on stderr: ${stderr}`);
    // while running: the status answers, running = true at some point
    let sawRunning = false, st = null;
    while (Date.now() - t0 < 60000 && !/still serving/.test(stderr)) {
      st = await (await fetch(`${url}api/v1/status`)).json();
      if (st.running === true) sawRunning = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stderr, /still serving/, 'the run ended and the server stays up');
    assert.ok(sawRunning, 'status showed the pipeline running');
    // an answer as of now, not the server's cached one (docs/api.md, X-Sluice-Fresh)
    const fresh = { headers: { 'X-Sluice-Fresh': '1' } };
    st = await (await fetch(`${url}api/v1/status`, fresh)).json();
    const health = Object.fromEntries(sqlite(hot, `SELECT name, value FROM pipeline_health`).map((x) => [x.name, x.value]));
    assert.equal(st.running, false);
    assert.equal(st.events_read, 60000);
    assert.equal(st.events_read, health.sluice_events_read_total);
    assert.equal(st.events_accepted, health.sluice_events_accepted_total);
    const q = sqlite(hot, `SELECT sum(queries) AS n FROM query_hourly WHERE final = 1`)[0].n;
    assert.equal(q, health.sluice_events_accepted_total, 'every accepted event is in a final hour');
    const metrics = await (await fetch(`${url}metrics`, fresh)).text();
    assert.match(metrics, new RegExp(`^sluice_events_read_total ${60000}$`, 'm'));
  } finally {
    child.kill('SIGINT');
  }
  const { code } = await exited;
  assert.equal(code, 0, `exit after Ctrl-C once the run was complete: ${code}: ${stderr}`);
});

test('SIGINT: drains the bus, commits, leaves open windows provisional, exit 130', async () => {
  const f = path.join(DATA, 'sigint.csv');
  if (!fs.existsSync(f)) sluiceOk(['gen', '--rows', '60000', '--seed', '21', '--order', 'sorted', '--start', '2024-03-01',
    '--end', '2024-03-11', '--format', 'csv', '--quiet', '--out', f]);
  const hot = path.join(STORE_ROOT, 'sigint.db');
  const cold = path.join(STORE_ROOT, 'sigint-cold');
  for (const x of [hot, `${hot}-wal`, `${hot}-shm`]) fs.rmSync(x, { force: true });
  fs.rmSync(cold, { recursive: true, force: true });
  const summary = `${hot}.summary.json`;
  const child = spawn(SLUICE_BIN, ['run', f, '--speed', '3600', '--hot', hot, '--cold', cold, '--summary', summary],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  // interrupt after ~1 s, once the hot store shows a final window (at most 8 s)
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  while (Date.now() - t0 < 8000) {
    let n = 0;
    try { n = sqlite(hot, `SELECT value FROM pipeline_health WHERE name = 'sluice_windows_final_total'`)[0]?.value ?? 0; } catch { /* not yet */ }
    if (n >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  const { code } = await exited;
  assert.equal(code, 130, `exit ${code}: ${stderr}`);
  assert.match(stderr, /interrupted/);
  const sum = JSON.parse(fs.readFileSync(summary, 'utf8'));
  assert.equal(sum.interrupted, true);
  assert.equal(sum.signal, 'SIGINT');
  assert.ok(sum.rows_read > 0 && sum.rows_read < 60000, `rows read ${sum.rows_read}`);
  assert.equal(sum.bad_total + sum.duplicates + sum.late + sum.accepted, sum.rows_read, 'accounting identity');
  assert.ok(sum.windows_final >= 1 && sum.open_windows >= 1, JSON.stringify(sum));
  // final rows only for finalized windows: below the watermark's hour, and exactly windows_final of them
  const wmHour = hourText((BigInt(Date.parse(sum.watermark)) * 1000n / HOUR_US) * HOUR_US);
  for (const t of TABLES) {
    const bad = sqlite(hot, `SELECT count(*) AS n FROM ${t} WHERE (final = 1 AND hour >= '${wmHour}') OR (final = 0 AND hour < '${wmHour}')`)[0].n;
    assert.equal(bad, 0, `${t}: final flag does not match the watermark ${sum.watermark}`);
  }
  const finalHours = sqlite(hot, `SELECT count(DISTINCT hour) AS n FROM utilization_hourly WHERE final = 1`)[0].n;
  assert.equal(finalHours, sum.windows_final, 'final hours in the hot store');
  // nothing accepted is lost: final + provisional rows hold every accepted event (all committed)
  const q = sqlite(hot, `SELECT coalesce(sum(queries), 0) AS n FROM query_hourly`)[0].n;
  assert.equal(q, sum.accepted, 'accepted events in query_hourly (final + provisional)');
  assert.equal(sqlite(hot, `SELECT count(*) AS n FROM events`)[0].n, sum.accepted, 'events table');
  const health = Object.fromEntries(sqlite(hot, `SELECT name, value FROM pipeline_health`).map((r) => [r.name, r.value]));
  assert.equal(health.sluice_events_read_total, sum.rows_read);
  assert.equal(health.sluice_running, 0);
  // the cold store: only the finalized hours, no temporary files
  const files = listFiles(cold);
  assert.ok(!files.some((x) => x.includes('.tmp-')), 'temporary files left');
  const coldHours = new Set(files.filter((x) => x.startsWith('utilization_hourly/')).map((x) => x.split('/').slice(1, 3).join('/')));
  assert.equal(coldHours.size, sum.windows_final, 'cold hours published');
});

// The hot store's events table holds exactly the last --retention-hours of
// event time (relative to the newest accepted arrival), whatever the speed:
// at --speed max most events expire in the write-behind buffer and are never
// written (sluice_hot_events_expired_total); the cold store has all of them.
test('events retention: hot store keeps the last N hours, cold store all; 0 keeps none', async () => {
  const f = path.join(DATA, 'sorted.csv');
  const hot = path.join(STORE_ROOT, 'retention.db'), cold = path.join(STORE_ROOT, 'retention-cold');
  // the third case: a buffer far too small for 3 hours of events, so the run sheds its
  // oldest rows and reads the ones still needed back from the cold store at the end
  for (const [hours, speedArgs] of [[3, ['--speed', 'max']], [0, ['--speed', 'max']],
    [3, ['--speed', 'max', '--hot-events-buffer', '64K']]]) {
    for (const x of [hot, `${hot}-wal`, `${hot}-shm`]) fs.rmSync(x, { force: true });
    fs.rmSync(cold, { recursive: true, force: true });
    const r = runSluice(['run', f, ...speedArgs, '--hot', hot, '--cold', cold, '--retention-hours', String(hours), '--quiet'],
      { timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const coldEv = `read_parquet('${cold}/events/*/*/*.parquet', hive_partitioning = true)`;
    const [all] = await queryObjects(`SELECT count(*)::BIGINT AS n, max(arrival_timestamp) AS mx FROM ${coldEv}`);
    assert.ok(Number(all.n) > 1000, 'cold store has the accepted events');
    const got = sqlite(hot, `SELECT source, _input, _row FROM events ORDER BY source, _input, _row`);
    const health = Object.fromEntries(sqlite(hot, `SELECT name, value FROM pipeline_health`).map((x) => [x.name, x.value]));
    if (hours === 0) {
      assert.equal(got.length, 0, 'retention 0: no events in the hot store');
      continue;
    }
    const want = await queryObjects(`SELECT source, _input, _row FROM ${coldEv}
      WHERE arrival_timestamp >= (SELECT max(arrival_timestamp) FROM ${coldEv}) - INTERVAL ${hours} HOUR
      ORDER BY source, _input, _row`);
    assert.ok(want.length > 0 && want.length < Number(all.n), `retention window is a strict subset (${want.length} of ${all.n})`);
    assert.deepEqual(got.map((x) => `${x.source}/${x._input}/${x._row}`), want.map((x) => `${x.source}/${x._input}/${Number(x._row)}`));
    assert.equal(health.sluice_hot_events_written_total + health.sluice_hot_events_expired_total +
      health.sluice_hot_events_shed_total, Number(all.n), 'every accepted event was written, expired or shed');
    if (speedArgs.includes('--hot-events-buffer')) {
      assert.ok(health.sluice_hot_events_shed_total > 0, 'the small buffer shed rows');
      assert.ok(health.sluice_hot_events_reloaded_total > 0, 'rows still needed were read back from the cold store');
    } else {
      assert.equal(health.sluice_hot_events_shed_total, 0);
      assert.ok(health.sluice_hot_events_written_total >= want.length);
    }
  }
});

test('errors: bad option values, unwritable hot store, missing input', () => {
  const f = path.join(DATA, 'sorted.csv');
  const cases = [
    [['run', f, '--lateness', 'soon'], 1, /--lateness/],
    [['run', f, '--speed', '0'], 1, /--speed/],
    [['run', f, '--k', '0'], 1, /--k/],
    [['run', f, '--slots', '-1'], 1, /--slots/],
    [['run', f, '--weights', '1,1,1'], 1, /--weights/],
    [['run', f, '--weights', '0,0,0,0'], 1, /--weights/],
    [['run', f, '--threshold', 'x'], 1, /--threshold/],
    [['run', f, '--duration-cap', '0'], 1, /--duration-cap/],
    [['run', f, '--retention-hours', '-1'], 1, /--retention-hours needs an integer >= 0/],
    [['run', f, '--hot-events-buffer', '1'], 1, /--hot-events-buffer needs a size/],
    [['run', f, '--memory', 'lots'], 1, /--memory/],
    [['run', f, '--bogus'], 1, /unknown option '--bogus'/],
    [['run'], 1, /no INPUT/],
    [['run', f, '--hot', '/nonexistent-dir/x.db'], 2, /nonexistent-dir/],
    [['run', f, '--hot', STORE_ROOT], 2, /directory/],
    [['run', path.join(DATA, 'missing.csv'), '--hot', path.join(STORE_ROOT, 'e.db')], 2, /missing\.csv/],
  ];
  for (const [args, code, re] of cases) {
    const r = runSluice(args);
    assert.equal(r.status, code, `sluice ${args.join(' ')}: exit ${r.status}, expected ${code}: ${r.stderr}`);
    assert.match(r.stderr, re, `sluice ${args.join(' ')}: message`);
  }
});

// Results compose (docs/compose.md): any split of the input into runs -- by
// time with mid-hour boundaries, by source, overlapping pieces, repeated
// pieces -- loaded in random order into one hot store and one cold store
// gives the tables of one whole load.
//
// For each seeded random plan:
//  - the whole load: every input in one `sluice run` (hot W, cold W);
//  - the pieces: each input cut at 2-3 random instants (mid-hour, to the
//    microsecond) into --from/--to runs, plus an overlapping piece and a
//    repeated piece, shuffled, each its own `sluice run` into hot S, cold S;
//  - S's cold events (the union of every run's accepted events, each once)
//    equal W's, event by event;
//  - every final metric table of S's hot store equals the batch oracle
//    (metrics_oracle.mjs, DuckDB SQL) over those events, and equals W's;
//  - S's cold metric files equal S's hot final rows; no provisional row,
//    no temporary file is left; every run exits 0.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeDuck, duck, ensureDataDir, exec, ident, METRIC_KEYS, METRIC_TABLES, queryObjects, requireSluice, rng, runSluice, sluiceOk, sqlite, sqlStr } from './lib.mjs';
import { allTables } from './metrics_oracle.mjs';

const DATA = ensureDataDir('compose');
const ROOT = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : DATA, 'sluice-compose-'));
const HOUR_MS = 3600e3;
const T0 = Date.parse('2024-03-01T00:00:00Z');
const T1 = Date.parse('2024-03-03T00:00:00Z');
const TABLES = METRIC_TABLES;
const KEYS = METRIC_KEYS;

test.after(() => {
  closeDuck();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

// An instant inside [T0, T1) that is not on an hour boundary, with microseconds.
function midHour(r) {
  const h = Math.floor(r() * ((T1 - T0) / HOUR_MS));
  const ms = T0 + h * HOUR_MS + 1000 + Math.floor(r() * (HOUR_MS - 2000));
  const us = String(Math.floor(r() * 1000)).padStart(3, '0');
  return new Date(ms).toISOString().replace('Z', '') + us + 'Z';
}

function input(name, seed, rows) {
  const out = path.join(DATA, name);
  if (!fs.existsSync(out))
    sluiceOk(['gen', '--rows', String(rows), '--seed', String(seed), '--instances', '20', '--start', '2024-03-01',
      '--end', '2024-03-03', '--format', 'csv', '--quiet', '--out', out]);
  return out;
}

function run(files, hot, cold, extra = []) {
  const args = ['run'];
  for (const [f, label] of files) args.push('--source', label, f);
  args.push('--speed', 'max', '--hot', hot, '--cold', cold, '--quiet', ...extra);
  const r = runSluice(args, { timeout: 120_000 });
  assert.equal(r.status, 0, `sluice ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

const norm = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && 'micros' in v)
    return new Date(Number(BigInt(v.micros) / 1000n)).toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
  return v;
};
const close = (a, b) => a === b || (typeof a === 'number' && typeof b === 'number' &&
  (Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) <= 1e-12));

function compareRows(label, got, exp) {
  assert.equal(got.length, exp.length, `${label}: ${got.length} rows, expected ${exp.length}`);
  const cols = exp.length ? Object.keys(exp[0]) : [];
  const msgs = [];
  for (let i = 0; i < exp.length && msgs.length < 5; i++)
    for (const c of cols) {
      const g = norm(got[i][c]), e = norm(exp[i][c]);
      if (!close(g, e)) msgs.push(`row ${i} ${c}: got ${JSON.stringify(g)} expected ${JSON.stringify(e)}`);
    }
  assert.equal(msgs.length, 0, `${label}:\n${msgs.join('\n')}`);
}

function hotFinal(db, t) {
  const rows = sqlite(db, `SELECT * FROM ${t} ORDER BY ${KEYS[t].join(', ')}`);
  for (const r of rows) {
    assert.equal(r.final, 1, `${db}: ${t}: a provisional row after every run ended: ${JSON.stringify(r)}`);
    delete r.final;
  }
  return rows;
}

async function coldRows(cold, t) {
  const glob = path.join(cold, t, '*', '*', '*.parquet');
  const rows = await queryObjects(`SELECT * EXCLUDE (date, hr) FROM read_parquet(${sqlStr(glob)}, hive_partitioning = true)
    ORDER BY ${KEYS[t].map(ident).join(', ')}`);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)])));
}

const EVENT_KEY = 'source, instance_id, query_id, arrival_timestamp';

async function checkPlan(seed, inputs) {
  const r = rng(seed);
  const dir = path.join(ROOT, `plan-${seed}`);
  fs.mkdirSync(dir, { recursive: true });
  const W = path.join(dir, 'whole.db'), WC = path.join(dir, 'whole-cold');
  const S = path.join(dir, 'split.db'), SC = path.join(dir, 'split-cold');
  run(inputs, W, WC);

  // pieces: per input, cuts at random mid-hour instants; one overlapping, one repeated
  const pieces = [];
  for (const inp of inputs) {
    const cuts = Array.from({ length: 2 + Math.floor(r() * 2) }, () => midHour(r)).sort();
    const bounds = [null, ...cuts, null];
    for (let i = 0; i + 1 < bounds.length; i++) pieces.push({ inp, from: bounds[i], to: bounds[i + 1] });
  }
  const [a, b] = [midHour(r), midHour(r)].sort();
  pieces.push({ inp: inputs[Math.floor(r() * inputs.length)], from: a, to: b, kind: 'overlapping' });
  pieces.push({ ...pieces[Math.floor(r() * (pieces.length - 1))], kind: 'repeated' });
  for (let i = pieces.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [pieces[i], pieces[j]] = [pieces[j], pieces[i]];
  }
  for (const p of pieces) {
    const extra = [];
    if (p.from) extra.push('--from', p.from);
    if (p.to) extra.push('--to', p.to);
    run([p.inp], S, SC, extra);
  }
  const plan = pieces.map((p) => `${p.inp[1]}[${p.from ?? '-'}, ${p.to ?? '-'})${p.kind ? ' ' + p.kind : ''}`).join('; ');

  // the union of the runs' events = the whole load's events, each once
  const ev = (cold) => `read_parquet(${sqlStr(path.join(cold, 'events', '*', '*', '*.parquet'))}, hive_partitioning = true)`;
  await exec(`CREATE OR REPLACE TABLE split_events AS SELECT * EXCLUDE (date, hr) FROM ${ev(SC)}`);
  const [cnt] = await queryObjects(`SELECT (SELECT count(*) FROM split_events) AS s, (SELECT count(*) FROM ${ev(WC)}) AS w,
    (SELECT count(*) FROM (SELECT ${EVENT_KEY} FROM split_events EXCEPT ALL SELECT ${EVENT_KEY} FROM ${ev(WC)})) AS d1,
    (SELECT count(*) FROM (SELECT ${EVENT_KEY} FROM ${ev(WC)} EXCEPT ALL SELECT ${EVENT_KEY} FROM split_events)) AS d2`);
  assert.ok(cnt.w > 1000n, `seed ${seed}: whole load has ${cnt.w} events`);
  assert.deepEqual([cnt.s, cnt.d1, cnt.d2], [cnt.w, 0n, 0n], `seed ${seed}: split events vs whole (plan: ${plan})`);

  // every final table: batch oracle over the union, the whole load, and the cold store
  const exp = await allTables(await duck(), 'split_events', {});
  for (const t of TABLES) {
    const got = hotFinal(S, t);
    compareRows(`seed ${seed}: ${t} (split, hot) vs DuckDB batch oracle (plan: ${plan})`, got, exp[t]);
    compareRows(`seed ${seed}: ${t} (split, hot) vs whole load`, got, hotFinal(W, t));
    compareRows(`seed ${seed}: ${t} (split, cold) vs split hot`, await coldRows(SC, t), got);
  }
  const tmp = fs.readdirSync(SC, { recursive: true }).filter((f) => /\.tmp-/.test(f));
  assert.deepEqual(tmp, [], `seed ${seed}: temporary files left`);
  // one contribution per (run owner, hour); the owners table names every distinct piece
  const owners = sqlite(S, `SELECT count(*) AS n FROM owners`)[0].n;
  assert.equal(owners, pieces.length - 1, `seed ${seed}: owners (the repeated piece is the same owner)`);
}

test('random splits by time, source, overlap and repetition compose to the whole load', async (t) => {
  requireSluice(t);
  const inputs = [[input('a.csv', 11, 6000), 'fleet-a'], [input('b.csv', 12, 4000), 'fleet-b']];
  for (const seed of [1, 2, 3]) await checkPlan(seed, inputs);
});

test('an hour a run covers only in part stays provisional until another run covers the rest', async (t) => {
  requireSluice(t);
  const inp = [input('a.csv', 11, 6000), 'fleet-a'];
  const dir = path.join(ROOT, 'partial');
  fs.mkdirSync(dir, { recursive: true });
  const H = path.join(dir, 'hot.db'), C = path.join(dir, 'cold');
  run([inp], H, C, ['--to', '2024-03-01T10:30:00Z']);
  const byHour = sqlite(H, `SELECT hour, min(final) AS lo, max(final) AS hi FROM query_hourly GROUP BY hour ORDER BY hour`);
  assert.ok(byHour.length > 10, `${byHour.length} hours`);
  for (const h of byHour) {
    const want = h.hour < '2024-03-01 10:00:00' ? 1 : 0;
    assert.deepEqual([h.lo, h.hi], [want, want], `hour ${h.hour} after the first half`);
  }
  const hr10 = path.join(C, 'query_hourly', 'date=2024-03-01', 'hr=10');
  assert.ok(!fs.existsSync(hr10), 'no metric file for the hour covered in part');
  assert.ok(fs.readdirSync(path.join(C, 'events', 'date=2024-03-01', 'hr=10')).some((f) => f.endsWith('.parquet')),
    'the events of the part are published');
  run([inp], H, C, ['--from', '2024-03-01T10:30:00Z']);
  assert.equal(sqlite(H, `SELECT count(*) AS n FROM query_hourly WHERE final = 0`)[0].n, 0, 'provisional rows left');
  assert.ok(fs.existsSync(path.join(hr10, 'part-00000.parquet')), 'hour 10 published once complete');
  const W = path.join(dir, 'whole.db');
  run([inp], W, path.join(dir, 'whole-cold'));
  for (const tb of TABLES) compareRows(`${tb}: two halves vs whole`, hotFinal(H, tb), hotFinal(W, tb));
});

// An hour that only busy time reaches (no event arrives in it: a query of the
// hour before runs past midnight) is in no run's events.  A run that ends at
// midnight leaves it provisional; a run that covers it -- even one with no
// events at all -- makes it final, whichever of the two runs first.
test('an hour only spilled busy time reaches becomes final once a run covers it, in either order', async (t) => {
  requireSluice(t);
  const out = path.join(DATA, 'spill.csv');
  if (!fs.existsSync(out))
    sluiceOk(['gen', '--rows', '6000', '--seed', '11', '--instances', '20', '--start', '2024-03-01', '--end', '2024-03-03',
      '--profile', 'none', '--format', 'csv', '--quiet', '--out', out]);
  const inp = [out, 'fleet-a'];
  const MID = '2024-03-03T00:00:00Z', S = '2024-03-03 00:00:00';
  const W = path.join(ROOT, 'spill-whole.db');
  run([inp], W, path.join(ROOT, 'spill-whole-cold'));
  const whole = hotFinal(W, 'utilization_hourly').filter((r) => r.hour === S);
  assert.ok(whole.length > 0, 'the generated data has busy time past its last hour');
  assert.equal(sqlite(W, `SELECT count(*) AS n FROM events WHERE arrival_timestamp >= '${S}'`)[0].n, 0,
    'no event arrives in the spilled-into hour');
  for (const order of [['before', 'after'], ['after', 'before']]) {
    const dir = path.join(ROOT, `spill-${order[0]}-first`);
    fs.mkdirSync(dir, { recursive: true });
    const H = path.join(dir, 'hot.db'), C = path.join(dir, 'cold');
    for (const piece of order) {
      run([inp], H, C, piece === 'before' ? ['--to', MID] : ['--from', MID]);
      const rows = sqlite(H, `SELECT * FROM utilization_hourly WHERE hour = '${S}' ORDER BY source, instance_id`);
      if (order[0] === 'before' && piece === 'before') {
        assert.deepEqual(rows.map((r) => r.final), whole.map(() => 0), `${order}: provisional after the first run`);
        assert.ok(!fs.existsSync(path.join(C, 'utilization_hourly', 'date=2024-03-03')), 'no metric file yet');
      }
    }
    // the covering run had no event: the hour's only contribution is the other run's
    assert.equal(sqlite(H, `SELECT count(*) AS n FROM contributions WHERE hour = '${S}'`)[0].n, 1);
    const rows = hotFinal(H, 'utilization_hourly').filter((r) => r.hour === S);
    compareRows(`${order.join(' then ')}: hour ${S}`, rows, whole);
    for (const tb of TABLES) {
      const got = hotFinal(H, tb);
      compareRows(`${order.join(' then ')}: ${tb} vs whole`, got, hotFinal(W, tb));
      compareRows(`${order.join(' then ')}: ${tb} cold vs hot`, await coldRows(C, tb), got);
    }
  }
});

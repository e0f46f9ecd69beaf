// `sluice serve` end to end (docs/api.md).
//
// A server is started on an ephemeral loopback port *before* its hot store
// exists (503 naming the file; /metrics still answers), then `sluice run`
// writes the store (two generated inputs labelled alpha and beta, with
// duplicates and bad rows) and a cold store.  Every endpoint's answer is
// compared with numbers computed independently:
//  - DuckDB SQL over the cold store Parquet (every hour is final at the end
//    of the run, so the cold store holds exactly the hot store's metric rows):
//    spill, cache, top_tables, compile, utilization, live, status hours;
//  - the hot store read with the sqlite3 shell (-readonly -json): raw rows of
//    /table/<name> (paged), pipeline_health for status, health and /metrics,
//    bad_rows;
//  - the inputs: sources, and `sluice gen`'s count of injected bad rows.
// Plus: bad parameters (400, the message names the parameter), unknown paths
// (404), other methods (405), /metrics parsed by a strict Prometheus text
// parser, the address rules (no non-loopback bind without --listen-any, a
// port in use), concurrent requests, and a second `sluice run` writing into
// a copy of the store while the API is polled.
import { spawn, spawnSync } from 'node:child_process';
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeDuck, ensureDataDir, query, queryObjects, requireSluice, SLUICE_BIN, sluiceOk, sqlite, sqlStr } from './lib.mjs';

const DATA = ensureDataDir('api');
const ROOT = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/sluice-api-test-') : fs.mkdtempSync(path.join(DATA, 'stores-'));
const HOT = path.join(ROOT, 'hot.db');
const COLD = path.join(ROOT, 'cold');
const A = path.join(DATA, 'alpha.parquet');
const B = path.join(DATA, 'beta.parquet');
const MORE = path.join(DATA, 'more.parquet');
const ALL = 'from=2024-03-01&to=2024-03-12'; // every hour of the inputs

const servers = [];
test.after(() => {
  for (const s of servers) s.stop();
  closeDuck();
  if (ROOT.startsWith('/dev/shm/')) fs.rmSync(ROOT, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers

/** Start `sluice serve ARGS`; resolves once it printed its URL. */
function startServe(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(SLUICE_BIN, ['serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`sluice serve ${args.join(' ')}: no URL within 10 s; stderr ${errText}`)); }, 10_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+?\//.exec(out);
      if (m) {
        clearTimeout(timer);
        const s = { proc, url: m[0].replace('0.0.0.0', '127.0.0.1').replace(/\/$/, ''), printed: m[0], stderr: () => errText,
          stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); } };
        servers.push(s);
        resolve(s);
      }
    });
    proc.stderr.on('data', (d) => { errText += d; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sluice serve ${args.join(' ')} exited ${code}: ${errText}`)); });
  });
}

async function get(base, p, opts = {}) {
  const r = await fetch(base + p, opts);
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, body };
}

async function ok(base, p, opts) {
  const r = await get(base, p, opts);
  assert.equal(r.status, 200, `GET ${p}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8', `GET ${p}: content type`);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return r.body;
}

const close = (a, b, rel = 1e-9) => {
  if (a === b) return true;
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  const d = Math.abs(a - b);
  return d <= rel * Math.max(Math.abs(a), Math.abs(b)) || d <= 1e-9;
};
const num = (v) => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : v);

/** Deep comparison with a relative tolerance for non-integers (sums in another order). */
function same(label, got, exp) {
  const probs = [];
  const walk = (g, e, at) => {
    if (probs.length > 8) return;
    if (typeof e === 'bigint') e = Number(e);
    if (Array.isArray(e)) {
      if (!Array.isArray(g) || g.length !== e.length) { probs.push(`${at}: got ${JSON.stringify(g)?.slice(0, 200)}, expected ${e.length} items ${JSON.stringify(e, (k, v) => num(v)).slice(0, 200)}`); return; }
      e.forEach((x, i) => walk(g[i], x, `${at}[${i}]`));
      return;
    }
    if (e && typeof e === 'object') {
      if (!g || typeof g !== 'object') { probs.push(`${at}: got ${JSON.stringify(g)}, expected an object`); return; }
      for (const k of Object.keys(e)) walk(g[k], e[k], `${at}.${k}`);
      return;
    }
    if (typeof e === 'number' && !Number.isInteger(e) ? !close(g, e) : g !== e) probs.push(`${at}: got ${JSON.stringify(g)}, expected ${JSON.stringify(e)}`);
  };
  walk(got, exp, label);
  assert.equal(probs.length, 0, probs.join('\n'));
}

// DuckDB over the cold store
const cold = (t) => `read_parquet('${COLD}/${t}/*/*/*.parquet', hive_partitioning = true)`;
const HOUR = `strftime(hour, '%Y-%m-%d %H:%M:%S')`;
const RANGE = `hour >= TIMESTAMPTZ '2024-03-01 00:00:00+00' AND hour < TIMESTAMPTZ '2024-03-12 00:00:00+00'`;

/** Hours with data and a value per hour (0 / null default) from rows [{h, key, ...}]. */
function perHour(hours, rows, key, field, dflt) {
  const m = new Map(rows.filter((r) => r.k === key).map((r) => [r.h, r[field]]));
  return hours.map((h) => (m.has(h) ? num(m.get(h)) : dflt));
}

// ------------------------------------------------------------------ the store

let S; // the main server
let genBad = 0;

test('serve starts before its store exists (503 naming the file), then sluice run fills it', async () => {
  requireSluice();
  if (!fs.existsSync(A)) {
    const s = JSON.parse(sluiceOk(['gen', '--rows', '12000', '--duplicates', '0.01', '--bad-rows', '0.01', '--start', '2024-03-01',
      '--end', '2024-03-11', '--seed', '7', '--out', A + '.tmp.parquet', '--summary', '-', '--quiet']));
    fs.renameSync(A + '.tmp.parquet', A);
    fs.writeFileSync(A + '.summary.json', JSON.stringify(s));
  }
  if (!fs.existsSync(B)) {
    sluiceOk(['gen', '--rows', '6000', '--instances', '20', '--kind', 'provisioned', '--start', '2024-03-03', '--end', '2024-03-11',
      '--seed', '8', '--duplicates', '0.02', '--out', B + '.tmp.parquet', '--quiet']);
    fs.renameSync(B + '.tmp.parquet', B);
  }
  genBad = JSON.parse(fs.readFileSync(A + '.summary.json', 'utf8')).bad_rows;
  assert.ok(genBad > 50, `the generator injected ${genBad} bad rows`);

  S = await startServe(['--hot', HOT, '--listen', '127.0.0.1:0', '--quiet']);
  assert.match(S.printed, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const r = await get(S.url, '/api/v1/status');
  assert.equal(r.status, 503);
  assert.ok(r.body.error.includes(HOT) && r.body.error.includes('does not exist'), r.body.error);
  const m = await get(S.url, '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.text, /\nsluice_http_store_up 0\n/);

  const sum = JSON.parse(sluiceOk(['run', '--source', 'alpha', A, '--source', 'beta', B, '--speed', 'max', '--hot', HOT,
    '--cold', COLD, '--json', '--quiet']));
  assert.equal(sum.open_windows, 0);
  const st = await ok(S.url, '/api/v1/status');
  assert.deepEqual(st.sources, ['alpha', 'beta']);
  const m2 = await get(S.url, '/metrics');
  assert.match(m2.text, /\nsluice_http_store_up 1\n/);
});

// ------------------------------------------------------------------ live view

test('status: pipeline_health, hours and sources', async () => {
  const st = await ok(S.url, '/api/v1/status');
  const h = Object.fromEntries(sqlite(HOT, 'SELECT name, value FROM pipeline_health').map((r) => [r.name, r.value]));
  const ts = (v) => {
    if (v === null || v === undefined) return null;
    const us = BigInt(Math.round(v * 1e6));
    const d = new Date(Number(us / 1000n));
    return d.toISOString().slice(0, 19).replace('T', ' ') + '.' + String(us % 1000000n).padStart(6, '0');
  };
  const bad = Object.entries(h).filter(([k]) => k.startsWith('sluice_events_bad_total{')).reduce((s, [, v]) => s + v, 0);
  const [[first, last, lastFinal]] = await query(`SELECT strftime(min(hour), '%Y-%m-%d %H:%M:%S'), strftime(max(hour), '%Y-%m-%d %H:%M:%S'),
    strftime(max(hour), '%Y-%m-%d %H:%M:%S') FROM ${cold('query_hourly')}`);
  const [{ u }] = sqlite(HOT, 'SELECT max(updated_at) AS u FROM pipeline_health');
  same('status', st, {
    state: 'stopped', running: false, uptime_s: h.sluice_uptime_seconds, event_time: ts(h.sluice_replay_position_seconds),
    watermark: ts(h.sluice_watermark_seconds), events_per_second: 0,
    replay_lag_s: h.sluice_replay_lag_seconds, open_windows: 0, events_read: h.sluice_events_read_total,
    events_accepted: h.sluice_events_accepted_total, bad, late: h.sluice_events_late_total,
    duplicates: h.sluice_events_duplicate_total, first_hour: first, last_hour: last, last_final_hour: lastFinal,
    sources: ['alpha', 'beta'], health_updated_at: u,
  });
  assert.equal(h.sluice_events_per_second, 0, 'the last health commit of a finished run writes 0 events/s');
  assert.equal(st.events_read, st.events_accepted + st.bad + st.duplicates + st.late, 'accounting identity');
  assert.equal(bad, genBad, 'bad rows = what sluice gen injected');
  assert.match(st.now, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  const age = Date.now() - Date.parse(st.now.replace(' ', 'T') + 'Z');
  assert.ok(Math.abs(age) < 60_000, `now is the current time (${st.now})`);
});

test('live: the newest hour by query_type, totals, instances; source filter', async () => {
  for (const src of [null, 'beta', 'nosuch']) {
    const lv = await ok(S.url, '/api/v1/live' + (src ? `?source=${src}` : ''));
    const where = src ? `AND source = ${sqlStr(src)}` : '';
    const [[newest]] = await query(`SELECT strftime(max(hour), '%Y-%m-%d %H:%M:%S') FROM ${cold('query_hourly')}`);
    const rows = await queryObjects(`SELECT query_type, sum(queries) AS queries, sum(aborted) AS aborted, sum(cached) AS cached,
      sum(spilled) AS spilled, sum(exec_ms_sum) AS exec_ms_sum, sum(queue_ms_sum) AS queue_ms_sum,
      sum(compile_ms_sum) AS compile_ms_sum, sum(mbytes_scanned_sum) AS mbytes_scanned_sum,
      sum(mbytes_spilled_sum) AS mbytes_spilled_sum
      FROM ${cold('query_hourly')} WHERE ${HOUR} = ${sqlStr(newest)} ${where} GROUP BY query_type ORDER BY query_type`);
    const [[inst]] = await query(`SELECT count(DISTINCT (source, instance_id)) FROM ${cold('query_hourly')}
      WHERE ${HOUR} = ${sqlStr(newest)} ${where}`);
    const fields = ['queries', 'aborted', 'cached', 'spilled', 'exec_ms_sum', 'queue_ms_sum', 'compile_ms_sum', 'mbytes_scanned_sum', 'mbytes_spilled_sum'];
    const totals = Object.fromEntries(fields.map((f) => [f, rows.reduce((s, r) => s + num(r[f]), 0)]));
    same(`live ${src}`, lv, { hour: newest, final: true, by_query_type: rows, totals, instances: inst });
    if (src === 'nosuch') assert.equal(lv.by_query_type.length, 0);
    else assert.ok(lv.by_query_type.length > 0);
  }
});

// ------------------------------------------------------------------ historical view

async function expectSpill(table, where) {
  const rows = await queryObjects(`SELECT ${HOUR} AS h, query_type AS k, sum(spilled) AS spilled, sum(mbytes_spilled_sum) AS mbytes,
    sum(queries) AS queries FROM ${cold(table)} WHERE ${RANGE} ${where} GROUP BY ALL ORDER BY 1, 2`);
  const hours = [...new Set(rows.map((r) => r.h))];
  const types = [...new Set(rows.map((r) => r.k))].sort();
  return {
    from: '2024-03-01 00:00:00', to: '2024-03-12 00:00:00', hours,
    series: types.map((t) => ({ query_type: t, spilled: perHour(hours, rows, t, 'spilled', 0),
      mbytes: perHour(hours, rows, t, 'mbytes', 0), queries: perHour(hours, rows, t, 'queries', 0) })),
  };
}

test('spill: per hour and query_type, unfiltered (spill_hourly) and filtered (query_hourly)', async () => {
  same('spill', await ok(S.url, `/api/v1/spill?${ALL}`), await expectSpill('spill_hourly', ''));
  // unfiltered equals query_hourly summed over sources and instances
  same('spill = query_hourly', await ok(S.url, `/api/v1/spill?${ALL}`), await expectSpill('query_hourly', ''));
  same('spill beta', await ok(S.url, `/api/v1/spill?${ALL}&source=beta`), await expectSpill('query_hourly', `AND source = 'beta'`));
  const [[i1], [i2]] = await query(`SELECT DISTINCT instance_id FROM ${cold('query_hourly')} WHERE source = 'alpha' ORDER BY 1 LIMIT 2`);
  same('spill instances', await ok(S.url, `/api/v1/spill?${ALL}&instance=${i2},${i1}&query_type=select`),
    await expectSpill('query_hourly', `AND instance_id IN (${i1}, ${i2}) AND query_type = 'select'`));
  same('spill final=0', await ok(S.url, `/api/v1/spill?${ALL}&final=0`), { hours: [], series: [] });
  // the default range: 7 days ending after the newest hour
  const [[newest]] = await query(`SELECT max(hour) FROM ${cold('query_hourly')}`);
  const toMs = Number(newest.micros / 1000n) + 3600e3;
  const fmt = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const d = await ok(S.url, '/api/v1/spill');
  assert.equal(d.to, fmt(toMs));
  assert.equal(d.from, fmt(toMs - 7 * 86400e3));
  assert.ok(d.hours.length > 0 && d.hours.every((h) => h >= d.from && h < d.to), 'hours inside the default range');
  const full = await ok(S.url, `/api/v1/spill?${ALL}`);
  assert.deepEqual(d.hours, full.hours.filter((h) => h >= d.from));
});

test('cache: hit rate by instance (ordering, limit) and per hour', async () => {
  for (const [q, where, limit] of [['', '', 1000], ['&source=alpha&limit=7', `AND source = 'alpha'`, 7]]) {
    const inst = await queryObjects(`SELECT source, instance_id, sum(queries) AS queries, sum(cached) AS cached
      FROM ${cold('cache_hourly')} WHERE ${RANGE} ${where} GROUP BY ALL ORDER BY queries DESC, source, instance_id`);
    const hours = await queryObjects(`SELECT ${HOUR} AS h, sum(cached) AS c, sum(queries) AS q FROM ${cold('cache_hourly')}
      WHERE ${RANGE} ${where} GROUP BY ALL ORDER BY 1`);
    const got = await ok(S.url, `/api/v1/cache?${ALL}&limit=1000${q.replace('&limit=7', '')}`.replace('limit=1000', `limit=${limit}`));
    same(`cache ${q}`, got, {
      from: '2024-03-01 00:00:00', to: '2024-03-12 00:00:00',
      instances: inst.slice(0, limit).map((r) => ({ source: r.source, instance_id: r.instance_id, queries: num(r.queries), cached: num(r.cached),
        hit_rate: Number(r.queries) ? Number(r.cached) / Number(r.queries) : null })),
      instances_total: inst.length,
      hours: hours.map((r) => r.h),
      hit_rate: hours.map((r) => (Number(r.q) ? Number(r.c) / Number(r.q) : null)),
    });
  }
  // the default limit is 50
  assert.equal((await ok(S.url, `/api/v1/cache?${ALL}`)).instances.length, 50);
});

test('top_tables: reads summed per (source, instance_id, table_id) over the hourly top-k rows, k, filters', async () => {
  for (const [q, where, k] of [['k=100', '', 100], ['', '', 10], ['k=5&source=beta', `AND source = 'beta'`, 5]]) {
    const exp = await queryObjects(`SELECT source, instance_id, table_id, sum(reads) AS reads, count(DISTINCT hour) AS hours
      FROM ${cold('top_tables_hourly')} WHERE ${RANGE} ${where} GROUP BY ALL
      ORDER BY reads DESC, source, instance_id, table_id LIMIT ${k}`);
    const got = await ok(S.url, `/api/v1/top_tables?${ALL}${q ? '&' + q : ''}`);
    same(`top_tables ${q}`, got, { tables: exp });
    assert.equal(got.tables.length, k);
  }
});

test('compile: buckets in order with the correlation per hour', async () => {
  const b = await queryObjects(`SELECT joins_bucket, sum(queries) AS queries, sum(compile_ms_sum) AS s, max(compile_ms_max) AS mx
    FROM ${cold('compile_joins_hourly')} WHERE ${RANGE} GROUP BY ALL`);
  const order = ['0', '1', '2', '3', '4-5', '6-9', '10+'];
  const byB = new Map(b.map((r) => [r.joins_bucket, r]));
  const corr = await queryObjects(`SELECT ${HOUR} AS h, n, corr FROM ${cold('compile_corr_hourly')} WHERE ${RANGE} ORDER BY 1`);
  const got = await ok(S.url, `/api/v1/compile?${ALL}`);
  same('compile', got, {
    buckets: order.map((o) => {
      const r = byB.get(o);
      const q = r ? Number(r.queries) : 0;
      return { joins_bucket: o, queries: q, compile_ms_sum: r ? r.s : 0, compile_ms_avg: q ? r.s / q : null, compile_ms_max: r ? r.mx : null };
    }),
    hours: corr.map((r) => r.h), corr: corr.map((r) => r.corr), n: corr.map((r) => num(r.n)),
  });
  assert.ok(got.corr.some((c) => c === null) || got.corr.every((c) => typeof c === 'number'));
});

test('utilization: per-hour scores, oversubscribed counts, slowdown and the top rows', async () => {
  for (const [q, where, limit] of [['limit=1000', '', 1000], ['limit=10&source=beta', `AND source = 'beta'`, 10]]) {
    const hours = await queryObjects(`SELECT ${HOUR} AS h, max(composite) AS mx, avg(composite) AS av, sum(oversubscribed) AS o,
      avg(slowdown) AS sl, count(*) AS n FROM ${cold('utilization_hourly')} WHERE ${RANGE} ${where} GROUP BY ALL ORDER BY 1`);
    const top = await queryObjects(`SELECT ${HOUR} AS hour, source, instance_id, composite, q_score, c_score, s_score, p_score,
      oversubscribed = 1 AS oversubscribed, slowdown FROM ${cold('utilization_hourly')} WHERE ${RANGE} ${where}
      ORDER BY oversubscribed DESC, composite DESC, hour DESC, source, instance_id LIMIT ${limit}`);
    const got = await ok(S.url, `/api/v1/utilization?${ALL}&${q}`);
    same(`utilization ${q}`, got, {
      hours: hours.map((r) => r.h), composite_max: hours.map((r) => r.mx), composite_avg: hours.map((r) => r.av),
      oversubscribed: hours.map((r) => num(r.o)), slowdown_avg: hours.map((r) => r.sl), instances: hours.map((r) => num(r.n)), top,
    });
    assert.equal(got.top.length, Math.min(limit, hours.reduce((s, r) => s + Number(r.n), 0)));
  }
});

// ------------------------------------------------------------------ raw tables

const KEYS = {
  query_hourly: 'hour, source, instance_id, query_type', spill_hourly: 'hour, query_type', cache_hourly: 'hour, source, instance_id',
  top_tables_hourly: 'hour, source, instance_id, rank', compile_joins_hourly: 'hour, joins_bucket', compile_corr_hourly: 'hour',
  utilization_hourly: 'hour, source, instance_id', bad_rows: 'source, _input, _row', late_events: 'source, _input, _row',
};

// The quarantine tables as the API shows them: the table's columns (without the store's
// owner), then input_file: the path of the row's input, by (owner, _input) in table inputs.
const QCOLS = {
  bad_rows: 'source, _input, _row, reason, detail, raw',
  late_events: 'hour, source, _input, _row, arrival_timestamp, instance_id, query_id, watermark, raw',
};
const quarantineSql = (t, where = '') => `SELECT ${QCOLS[t].split(', ').map((c) => `q.${c}`).join(', ')}, i.path AS input_file
  FROM ${t} AS q LEFT JOIN inputs AS i ON i.owner = q.owner AND i.input = q._input ${where}
  ORDER BY ${KEYS[t].split(', ').map((c) => `q.${c}`).join(', ')}, q.owner`;

test('table/<name>: raw rows in key order equal the hot store, paged with limit/offset', async () => {
  for (const t of Object.keys(KEYS)) {
    const hourly = t.endsWith('_hourly');
    const exp = QCOLS[t] ? sqlite(HOT, quarantineSql(t))
      : sqlite(HOT, `SELECT * FROM ${t} ${hourly ? `WHERE hour >= '2024-03-01 00:00:00' AND hour < '2024-03-12 00:00:00'` : ''} ORDER BY ${KEYS[t]}`);
    const page = 5000;
    const rows = [];
    let cols = null;
    for (let off = 0; ; off += page) {
      const g = await ok(S.url, `/api/v1/table/${t}?limit=${page}&offset=${off}${hourly ? '&' + ALL : ''}`);
      assert.equal(g.table, t);
      cols = g.columns;
      rows.push(...g.rows);
      assert.equal(g.truncated, off + g.rows.length < exp.length, `${t} truncated at offset ${off}`);
      if (!g.truncated) break;
    }
    assert.deepEqual(cols, exp.length ? Object.keys(exp[0]) : QCOLS[t] ? [...QCOLS[t].split(', '), 'input_file'] : cols, `${t} columns`);
    same(t, rows, exp.map((r) => cols.map((c) => r[c])));
    if (hourly) assert.ok(rows.length > 0, `${t} has rows`);
  }
  // filters
  const f = await ok(S.url, `/api/v1/table/query_hourly?${ALL}&source=beta&query_type=select&final=1&limit=50000`);
  same('query_hourly filtered', f.rows, sqlite(HOT, `SELECT * FROM query_hourly WHERE source = 'beta' AND query_type = 'select'
    ORDER BY ${KEYS.query_hourly}`).map((r) => f.columns.map((c) => r[c])));
  const [{ reason }] = sqlite(HOT, 'SELECT reason FROM bad_rows LIMIT 1');
  const br = await ok(S.url, `/api/v1/table/bad_rows?reason=${reason}&source=alpha`);
  same('bad_rows by reason', br.rows, sqlite(HOT, quarantineSql('bad_rows', `WHERE q.reason = '${reason}' AND q.source = 'alpha'`))
    .map((r) => br.columns.map((c) => r[c])));
  assert.ok(br.rows.length > 0);
  // alpha's bad rows came from A (the run's input 0)
  assert.deepEqual([...new Set(br.rows.map((r) => r[br.columns.indexOf('input_file')]))], [fs.realpathSync(A)]);
  const lim = await ok(S.url, `/api/v1/table/cache_hourly?${ALL}&limit=3&offset=10`);
  assert.equal(lim.rows.length, 3);
  assert.equal(lim.truncated, true);
  assert.equal(lim.limit, 3);
  assert.equal(lim.offset, 10);
});

test('quarantined rows name their input file: two runs over two files into one store', async () => {
  // Two runs under the same source label, so their rows share (source, _input = 0, _row)
  // keys; each keeps its own rows and names its own file.
  const C = path.join(DATA, 'gamma.parquet');
  if (!fs.existsSync(C)) {
    const s = JSON.parse(sluiceOk(['gen', '--rows', '5000', '--bad-rows', '0.02', '--start', '2024-03-02', '--end', '2024-03-06',
      '--seed', '9', '--out', C + '.tmp.parquet', '--summary', '-', '--quiet']));
    fs.renameSync(C + '.tmp.parquet', C);
    fs.writeFileSync(C + '.summary.json', JSON.stringify(s));
  }
  const badC = JSON.parse(fs.readFileSync(C + '.summary.json', 'utf8')).bad_rows;
  assert.ok(badC > 20, `the generator injected ${badC} bad rows`);
  const TWO = path.join(ROOT, 'two.db');
  sluiceOk(['run', '--source', 'fleet', A, '--speed', 'max', '--hot', TWO, '--quiet']);
  sluiceOk(['run', '--source', 'fleet', C, '--speed', 'max', '--hot', TWO, '--quiet']);
  const fa = fs.realpathSync(A);
  const fc = fs.realpathSync(C);
  // the store, read with sqlite3: every bad row of both runs is kept, each with its run's owner
  assert.equal(sqlite(TWO, 'SELECT count(*) AS n FROM bad_rows')[0].n, genBad + badC);
  assert.deepEqual(sqlite(TWO, 'SELECT count(DISTINCT owner) AS n FROM bad_rows')[0].n, 2);
  const ins = sqlite(TWO, 'SELECT i.owner, i.input, i.path, i.source, i.format, o.description FROM inputs AS i JOIN owners AS o USING (owner) ORDER BY path');
  assert.deepEqual(ins.map((r) => [r.input, r.path, r.source, r.format]), [[0, fa, 'fleet', 'parquet'], [0, fc, 'fleet', 'parquet']].sort((x, y) => (x[1] < y[1] ? -1 : 1)));
  for (const r of ins) assert.ok(r.description.includes(`${r.path} (source fleet)`), `owner ${r.owner} is the run over ${r.path}: ${r.description}`);
  // the API
  const srv = await startServe(['--hot', TWO, '--listen', '127.0.0.1:0', '--quiet']);
  const g = await ok(srv.url, '/api/v1/table/bad_rows?limit=50000');
  srv.stop();
  assert.equal(g.truncated, false);
  assert.deepEqual(g.columns, ['source', '_input', '_row', 'reason', 'detail', 'raw', 'input_file']);
  const rows = g.rows.map((a) => Object.fromEntries(g.columns.map((c, i) => [c, a[i]])));
  assert.equal(rows.length, genBad + badC);
  assert.equal(rows.filter((r) => r.input_file === fa).length, genBad, 'rows named after A');
  assert.equal(rows.filter((r) => r.input_file === fc).length, badC, 'rows named after C');
  // independently: each row's raw event is the row _row of the file it names (DuckDB reads the files)
  const KEYC = ['instance_id', 'query_id', 'execution_duration_ms', 'queue_duration_ms'];
  const fileRows = {};
  for (const f of [fa, fc]) {
    fileRows[f] = new Map((await queryObjects(`SELECT file_row_number AS r, ${KEYC.join(', ')} FROM read_parquet(${sqlStr(f)}, file_row_number = true)`))
      .map((o) => [Number(o.r), KEYC.map((k) => num(o[k]))]));
  }
  let other = 0;
  for (const r of rows) {
    const raw = JSON.parse(r.raw);
    const want = KEYC.map((k) => raw[k]);
    assert.deepEqual(fileRows[r.input_file].get(r._row), want, `bad row ${r._row} (${r.reason}) is row ${r._row} of ${r.input_file}`);
    if (JSON.stringify(fileRows[r.input_file === fa ? fc : fa].get(r._row)) === JSON.stringify(want)) other++;
  }
  assert.equal(other, 0, 'no bad row is also the same row of the other file (the check tells the files apart)');
});

// ------------------------------------------------------------------ health

test('health: counters, bad rows by reason with the newest sample, late events, sinks', async () => {
  const hrows = sqlite(HOT, 'SELECT name, value, updated_at FROM pipeline_health ORDER BY name');
  const h = Object.fromEntries(hrows.map((r) => [r.name, r.value]));
  for (const limit of [null, 200]) {
    const got = await ok(S.url, '/api/v1/health' + (limit ? `?limit=${limit}` : ''));
    same('health', got, {
      counters: h,
      updated_at: hrows.reduce((m, r) => (r.updated_at > m ? r.updated_at : m), ''),
      bad_total: genBad,
      bad_by_reason: sqlite(HOT, 'SELECT reason, count(*) AS count FROM bad_rows GROUP BY reason ORDER BY count(*) DESC, reason'),
      bad_sample: sqlite(HOT, `SELECT q.source, q._input, q._row, q.reason, q.detail, q.raw, i.path AS input_file FROM bad_rows AS q
        LEFT JOIN inputs AS i ON i.owner = q.owner AND i.input = q._input ORDER BY q.rowid DESC LIMIT ${limit ?? 20}`),
      late: { count: 0, sample: [] },
      duplicates: h.sluice_events_duplicate_total,
      replay_lag_s: h.sluice_replay_lag_seconds,
      sink: {
        hot: { seconds_total: h['sluice_sink_write_seconds_total{store="hot"}'], max_seconds: h['sluice_sink_write_max_seconds{store="hot"}'],
          errors: h['sluice_sink_errors_total{store="hot"}'] },
        cold: { seconds_total: h['sluice_sink_write_seconds_total{store="cold"}'], max_seconds: h['sluice_sink_write_max_seconds{store="cold"}'],
          errors: h['sluice_sink_errors_total{store="cold"}'] },
      },
    });
    assert.equal(Object.keys(got.counters).length, hrows.length);
    assert.equal(got.bad_sample.length, Math.min(limit ?? 20, genBad));
  }
  assert.ok(Object.keys(h).length > 40);
});

// ------------------------------------------------------------------ /metrics

/** A strict parser of the Prometheus text format 0.0.4. */
function parseProm(text) {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const fams = new Map(); // name -> {help, type, samples: [{name, labels, value}]}
  let cur = null;
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1} '${line}'`;
    if (line.startsWith('# HELP ')) {
      const m = /^# HELP (\S+) (.*)$/.exec(line);
      assert.ok(m && NAME.test(m[1]), `${at}: HELP`);
      assert.ok(!fams.has(m[1]), `${at}: second HELP for ${m[1]}`);
      cur = { help: m[2], type: null, samples: [] };
      fams.set(m[1], cur);
      cur.name = m[1];
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      assert.ok(m, `${at}: TYPE`);
      assert.ok(cur && cur.name === m[1] && cur.type === null && cur.samples.length === 0, `${at}: TYPE right after its HELP`);
      cur.type = m[2];
      continue;
    }
    if (line.startsWith('#')) continue; // a comment
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `${at}: sample syntax`);
    const [, name, , lab, val] = m;
    const labels = {};
    if (lab !== undefined && lab !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let k = 0;
      while (k < lab.length) {
        re.lastIndex = k;
        const lm = re.exec(lab);
        assert.ok(lm, `${at}: labels`);
        assert.ok(!(lm[1] in labels), `${at}: label ${lm[1]} twice`);
        labels[lm[1]] = lm[2];
        k = re.lastIndex;
      }
    }
    assert.ok(/^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(val), `${at}: value`);
    assert.ok(cur && cur.type, `${at}: a sample before its TYPE`);
    const base = cur.type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
    assert.equal(base, cur.name, `${at}: sample of family ${cur.name}`);
    if (cur.type === 'counter') assert.ok(cur.name.endsWith('_total'), `${at}: counters end in _total`);
    const v = val === 'NaN' ? NaN : val === '+Inf' ? Infinity : val === '-Inf' ? -Infinity : Number(val);
    const key = name + JSON.stringify(labels);
    assert.ok(!cur.samples.some((s) => s.key === key), `${at}: duplicate sample`);
    cur.samples.push({ name, labels, value: v, key });
  }
  return fams;
}

test('/metrics: strict Prometheus text; values equal pipeline_health; the server counts requests', async () => {
  const r = await get(S.url, '/metrics');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const fams = parseProm(r.text);
  const rows = sqlite(HOT, 'SELECT name, value FROM pipeline_health');
  for (const { name, value } of rows) {
    const fam = name.replace(/\{.*$/, '');
    const f = fams.get(fam);
    assert.ok(f, `family ${fam} exported`);
    assert.equal(f.type, fam.endsWith('_total') ? 'counter' : 'gauge', `${fam} type`);
    assert.ok(f.help.length > 0);
    const s = f.samples.find((x) => x.name + (Object.keys(x.labels).length ? `{${Object.entries(x.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : '') === name);
    assert.ok(s, `sample ${name}`);
    if (value === null) assert.ok(Number.isNaN(s.value), `${name}: NULL -> NaN`);
    else assert.equal(s.value, value, `${name}`);
  }
  assert.match(r.text, /\nsluice_build_info\{version="\d+\.\d+\.\d+",commit="(?:[0-9a-f]{7,40}|unknown)"\} 1\n/);
  const pipelineSamples = [...fams.values()].filter((f) => !f.name.startsWith('sluice_http_') && f.name !== 'sluice_health_updated_timestamp_seconds'
    && f.name !== 'sluice_build_info')
    .reduce((n, f) => n + f.samples.length, 0);
  assert.equal(pipelineSamples, rows.length, 'one sample per pipeline_health row');
  const [{ u }] = sqlite(HOT, 'SELECT max(updated_at) AS u FROM pipeline_health');
  assert.ok(close(fams.get('sluice_health_updated_timestamp_seconds').samples[0].value, Date.parse(u.replace(' ', 'T') + 'Z') / 1000, 1e-12));
  // the server's own families
  const before = fams.get('sluice_http_requests_total').samples.find((s) => s.labels.code === '404')?.value ?? 0;
  await get(S.url, '/nope');
  await get(S.url, '/nope2');
  const f2 = parseProm((await get(S.url, '/metrics')).text);
  assert.equal(f2.get('sluice_http_requests_total').samples.find((s) => s.labels.code === '404').value, before + 2);
  assert.equal(f2.get('sluice_http_request_duration_seconds').type, 'histogram');
  const b = f2.get('sluice_http_request_duration_seconds').samples.filter((s) => s.name.endsWith('_bucket'));
  for (let i = 1; i < b.length; i++) assert.ok(b[i].value >= b[i - 1].value, 'cumulative buckets');
  assert.equal(b.at(-1).labels.le, '+Inf');
  const count = f2.get('sluice_http_request_duration_seconds').samples.find((s) => s.name.endsWith('_count')).value;
  assert.equal(b.at(-1).value, count);
  assert.equal(f2.get('sluice_http_requests_total').samples.reduce((s, x) => s + x.value, 0), count, 'requests by code add up');
  assert.equal(f2.get('sluice_http_request_seconds_total').type, 'counter');
  assert.equal(f2.get('sluice_http_store_up').samples[0].value, 1);
});

// ------------------------------------------------------------------ errors

// ------------------------------------------------------------------ issue 12: the dashboard's additions

/** RFC 4180 CSV -> rows of strings (quoted fields, doubled quotes, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(f); rows.push(row); row = []; f = ''; i++; } else f += c;
  }
  assert.equal(row.length + f.length, 0, 'the CSV ends with CRLF');
  return rows;
}
const csvVal = (v) => (v === null || v === undefined ? '' : v === true ? '1' : v === false ? '0' : String(v));

test('instances: the (source, instance_id) of query_hourly in range with their queries', async () => {
  for (const [q, where] of [['', ''], ['&source=beta', `AND source = 'beta'`]]) {
    const exp = await queryObjects(`SELECT source, instance_id, sum(queries) AS queries FROM ${cold('query_hourly')}
      WHERE ${RANGE} ${where} GROUP BY ALL ORDER BY source, instance_id`);
    const got = await ok(S.url, `/api/v1/instances?${ALL}${q}`);
    same(`instances ${q}`, got, { from: '2024-03-01 00:00:00', to: '2024-03-12 00:00:00', instances: exp });
    assert.equal(got.instances.length, exp.length);
    assert.ok(exp.length > 5);
  }
});

test('live?hours=N: the series of the last N hours (totals per hour, final), source filter', async () => {
  const [[newest]] = await query(`SELECT max(hour) FROM ${cold('query_hourly')}`);
  const newestMs = Number(newest.micros / 1000n);
  const fmt = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  for (const [q, where] of [['?hours=30', ''], ['?hours=5&source=beta', `AND source = 'beta'`]]) {
    const n = Number(/hours=(\d+)/.exec(q)[1]);
    const rows = await queryObjects(`SELECT ${HOUR} AS h, sum(queries) AS queries, sum(spilled) AS spilled, sum(cached) AS cached,
      sum(exec_ms_sum) AS exec_ms_sum FROM ${cold('query_hourly')} WHERE 1 = 1 ${where} GROUP BY ALL`);
    const by = new Map(rows.map((r) => [r.h, r]));
    const exp = [];
    for (let i = n - 1; i >= 0; i--) {
      const h = fmt(newestMs - i * 3600e3);
      const r = by.get(h);
      exp.push({ hour: h, final: true, queries: r ? num(r.queries) : 0, spilled: r ? num(r.spilled) : 0, cached: r ? num(r.cached) : 0,
        exec_ms_sum: r ? num(r.exec_ms_sum) : 0 });
    }
    const got = await ok(S.url, `/api/v1/live${q}`);
    same(`live series ${q}`, got.series, exp);
    assert.equal(got.series.length, n);
  }
  assert.equal((await ok(S.url, '/api/v1/live')).series.length, 1, 'default: 1 hour');
  assert.equal((await get(S.url, '/api/v1/live?hours=169')).status, 400);
});

test('health/history: the health samples of every commit, by wall-clock time', async () => {
  const rows = sqlite(HOT, 'SELECT ts, name, value FROM health_history ORDER BY ts, name');
  assert.ok(rows.length > 0, 'sluice run wrote health_history');
  const sec = (t) => Date.parse(t.slice(0, 19).replace(' ', 'T') + 'Z') / 1000 + Number('0' + t.slice(19));
  const pick = (name) => rows.filter((r) => r.name === name).map((r) => [sec(r.ts), r.value]);
  const times = [...new Set(rows.map((r) => r.ts))];
  const qsum = times.map((t) => rows.filter((r) => r.ts === t && r.name.startsWith('sluice_sink_queue_wait_seconds_total{'))
    .reduce((s, r) => s + r.value, 0));
  const queue = [];
  for (let i = 1; i < times.length; i++) queue.push([sec(times[i]), qsum[i] >= qsum[i - 1] ? qsum[i] - qsum[i - 1] : qsum[i]]);
  const got = await ok(S.url, `/api/v1/health/history?from=-30d&to=${encodeURIComponent('now+1d')}`);
  same('history', got.series, {
    events_per_second: pick('sluice_events_per_second'), replay_lag_s: pick('sluice_replay_lag_seconds'), queue_wait_s: queue,
    hot_write_s: pick('sluice_sink_write_max_seconds{store="hot"}'), cold_write_s: pick('sluice_sink_write_max_seconds{store="cold"}'),
  });
  assert.equal(got.series.events_per_second.at(-1)[1], 0, 'the last sample of a finished run: 0 events/s');
  // the default: the last hour of samples; relative times against the wall clock
  const d = await ok(S.url, '/api/v1/health/history');
  assert.equal(d.series.events_per_second.length, got.series.events_per_second.length);
  const rel = await ok(S.url, '/api/v1/health/history?from=now-10d');
  assert.equal(rel.series.events_per_second.length, got.series.events_per_second.length);
  const none = await ok(S.url, '/api/v1/health/history?from=2000-01-01&to=2000-01-02');
  assert.deepEqual(none.series.events_per_second, []);
});

test('format=csv: the same rows as JSON, RFC 4180, a download', async () => {
  const lists = [['top_tables', `${ALL}&k=20`, 'tables'], ['cache', ALL, 'instances'], ['instances', ALL, 'instances'],
    ['compile', ALL, 'buckets'], ['utilization', `${ALL}&limit=30`, 'top']];
  for (const [ep, q, key] of lists) {
    const j = await ok(S.url, `/api/v1/${ep}?${q}`);
    const r = await get(S.url, `/api/v1/${ep}?${q}&format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(r.headers.get('content-disposition'), `attachment; filename="${ep}.csv"`);
    const rows = parseCsv(r.text);
    const cols = Object.keys(j[key][0]);
    assert.deepEqual(rows[0], cols, `${ep} header`);
    // numbers: the same value (the CSV keeps the JSON's shortest form, e.g. 6.5e-05)
    assert.deepEqual(rows.slice(1).map((r, ri) => r.map((v, i) => (typeof j[key][ri]?.[cols[i]] === 'number' ? Number(v) : v))),
      j[key].map((o) => cols.map((c) => (typeof o[c] === 'number' ? o[c] : csvVal(o[c])))), `${ep} rows`);
  }
  // spill: long form
  const sp = await ok(S.url, `/api/v1/spill?${ALL}`);
  const spc = parseCsv((await get(S.url, `/api/v1/spill?${ALL}&format=csv`)).text);
  assert.deepEqual(spc[0], ['hour', 'query_type', 'spilled', 'mbytes', 'queries']);
  const expSp = [];
  sp.hours.forEach((h, i) => sp.series.forEach((s) => expSp.push([h, s.query_type, String(s.spilled[i]), String(s.mbytes[i]), String(s.queries[i])])));
  assert.deepEqual(spc.slice(1), expSp);
  // tables: bad_rows (raw JSON with quotes and commas) equals the hot store
  const br = parseCsv((await get(S.url, '/api/v1/table/bad_rows?limit=50000&format=csv')).text);
  const exp = sqlite(HOT, quarantineSql('bad_rows'));
  assert.deepEqual(br[0], Object.keys(exp[0]));
  assert.equal(br[0].at(-1), 'input_file');
  assert.deepEqual(br.slice(1), exp.map((o) => br[0].map((c) => csvVal(o[c]))));
  assert.ok(exp.some((o) => o.raw && o.raw.includes('"')), 'quoted fields were exercised');
  assert.equal((await get(S.url, '/api/v1/status?format=csv')).status, 400);
  assert.equal((await get(S.url, '/api/v1/spill?format=xml')).status, 400);
});

test('table/events and table/pipeline_health equal the hot store', async () => {
  const ev = sqlite(HOT, 'SELECT * FROM events ORDER BY source, _input, _row');
  assert.ok(ev.length > 0);
  const cols = Object.keys(ev[0]).filter((c) => c !== 'hour');
  const g = await ok(S.url, '/api/v1/table/events?limit=50000');
  assert.deepEqual(g.columns, cols);
  same('events', g.rows, ev.map((r) => cols.map((c) => r[c])));
  const t0 = ev[Math.floor(ev.length / 2)].arrival_timestamp.slice(0, 13);
  const inst = ev[0].instance_id;
  const from = `${t0.replace(' ', 'T')}:00:00Z`;
  const f = await ok(S.url, `/api/v1/table/events?limit=50000&source=${ev[0].source}&instance=${inst}&from=${from}&to=${from.replace(/T(\d\d)/, (m, h) => `T${String(+h + 1).padStart(2, '0')}`)}`);
  const exp = sqlite(HOT, `SELECT * FROM events WHERE source = ${sqlStr(ev[0].source)} AND instance_id = ${inst}
    AND arrival_timestamp >= '${t0}:00:00' AND arrival_timestamp < '${t0.slice(0, 11)}${String(+t0.slice(11, 13) + 1).padStart(2, '0')}:00:00'
    ORDER BY source, _input, _row`);
  same('events filtered', f.rows, exp.map((r) => cols.map((c) => r[c])));
  const ph = await ok(S.url, '/api/v1/table/pipeline_health?limit=50000');
  same('pipeline_health', ph.rows, sqlite(HOT, 'SELECT name, value, updated_at FROM pipeline_health ORDER BY name')
    .map((r) => [r.name, r.value, r.updated_at]));
});

test('relative times, ISO offsets and query_type in any case', async () => {
  const [[newest]] = await query(`SELECT max(hour) FROM ${cold('query_hourly')}`);
  const endMs = Number(newest.micros / 1000n) + 3600e3;
  const fmt = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const a = await ok(S.url, '/api/v1/spill?from=now-24h&to=now');
  assert.equal(a.from, fmt(endMs - 86400e3));
  assert.equal(a.to, fmt(endMs));
  const b = await ok(S.url, `/api/v1/spill?from=${encodeURIComponent(fmt(endMs - 86400e3).replace(' ', 'T') + 'Z')}&to=${endMs / 1000}`);
  same('now-24h = the absolute range', a, b);
  const c = await ok(S.url, '/api/v1/spill?from=-2d');
  assert.equal(c.from, fmt(endMs - 2 * 86400e3));
  // +01:00: 10:00 local is 09:00 UTC
  const o = await ok(S.url, `/api/v1/spill?from=${encodeURIComponent('2024-03-05T10:00:00+01:00')}&to=${encodeURIComponent('2024-03-05T12:00:00+01:00')}`);
  assert.equal(o.from, '2024-03-05 09:00:00');
  assert.equal(o.to, '2024-03-05 11:00:00');
  same('query_type any case', await ok(S.url, `/api/v1/spill?${ALL}&query_type=SeLeCt&source=alpha`),
    await expectSpill('query_hourly', `AND source = 'alpha' AND query_type = 'select'`));
  for (const bad of ['now-', 'now-3x', 'now+-1h', '2024-03-05T10:00:00+']) {
    const r = await get(S.url, `/api/v1/spill?from=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, bad);
    assert.match(r.body.error, /^from: /);
  }
});

test('/healthz: 200 when the store can be read, 503 otherwise', async () => {
  const r = await get(S.url, '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { ok: true });
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const missing = await startServe(['--hot', path.join(ROOT, 'nosuch.db'), '--listen', '127.0.0.1:0', '--quiet']);
  const m = await get(missing.url, '/healthz');
  assert.equal(m.status, 503);
  assert.equal(m.body.ok, false);
  assert.ok(m.body.error.includes('nosuch.db'));
  missing.stop();
});

test('status: state running / stale / stopped; events_per_second 0 unless running', async () => {
  const copy = path.join(ROOT, 'state.db');
  assert.equal(spawnSync('sqlite3', [HOT, `VACUUM INTO '${copy}'`]).status, 0);
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '000');
  const set = (running, at) => spawnSync('sqlite3', [copy, `UPDATE pipeline_health SET value = ${running} WHERE name = 'sluice_running';
    UPDATE pipeline_health SET value = 123.5 WHERE name = 'sluice_events_per_second'; UPDATE pipeline_health SET updated_at = '${at}';`]);
  const srv = await startServe(['--hot', copy, '--listen', '127.0.0.1:0', '--quiet']);
  const fresh = { headers: { 'X-Sluice-Fresh': '1' } };
  const prom = async () => Number(/\nsluice_events_per_second (\S+)\n/.exec((await get(srv.url, '/metrics', fresh)).text)[1]);
  set(1, now);
  let st = await ok(srv.url, '/api/v1/status', fresh);
  assert.equal(st.state, 'running');
  assert.equal(st.events_per_second, 123.5);
  assert.equal(await prom(), 123.5);
  set(1, '2020-01-01 00:00:00.000000'); // a killed run: its row stopped moving
  st = await ok(srv.url, '/api/v1/status', fresh);
  assert.equal(st.state, 'stale');
  assert.equal(st.running, true);
  assert.equal(st.events_per_second, 0);
  assert.equal(await prom(), 0);
  set(0, now);
  st = await ok(srv.url, '/api/v1/status', fresh);
  assert.equal(st.state, 'stopped');
  assert.equal(st.events_per_second, 0);
  assert.equal(await prom(), 0);
  srv.stop();
});

test('serve --cold is refused with the reason', () => {
  const r = spawnSync(SLUICE_BIN, ['serve', '--hot', HOT, '--cold', COLD, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--cold .*not implemented.*hot store keeps every metric row/);
});

test('bad parameters: 400 naming the parameter; unknown paths 404; other methods 405', async () => {
  const cases = [
    ['/api/v1/spill?from=yesterday', 'from', /expected YYYY-MM-DD/],
    ['/api/v1/spill?to=2024-13-01', 'to', /not a valid date/],
    ['/api/v1/spill?from=2024-03-01T25', 'from', /not a valid date/],
    ['/api/v1/spill?from=2024-03-02&to=2024-03-01', 'to', /must be after from/],
    ['/api/v1/spill?from=2023-01-01&to=2024-03-01', 'to', /longer than 400 days/],
    ['/api/v1/spill?from=2022-01-01', 'from', /longer than 400 days/],
    ['/api/v1/spill?from=2024-03-01&from=2024-03-02', 'from', /more than once/],
    ['/api/v1/spill?source=', 'source', /empty/],
    ['/api/v1/spill?source=' + 'x'.repeat(65), 'source', /longer than 64 bytes/],
    ['/api/v1/spill?source=a%0Ab', 'source', /control character/],
    ['/api/v1/spill?source=%FF', 'source', /UTF-8/],
    ['/api/v1/spill?instance=abc', 'instance', /integer/],
    ['/api/v1/spill?instance=1,,2', 'instance', /integer/],
    ['/api/v1/spill?instance=99999999999', 'instance', /integer/],
    ['/api/v1/spill?instance=' + Array.from({ length: 201 }, (_, i) => i).join(','), 'instance', /more than 200/],
    ['/api/v1/spill?query_type=' + 'q'.repeat(33), 'query_type', /longer than 32/],
    ['/api/v1/spill?final=2', 'final', /expected 1, 0 or all/],
    ['/api/v1/spill?final', 'final', /missing value/],
    ['/api/v1/spill?limit=5', 'limit', /not a parameter of \/api\/v1\/spill/],
    ['/api/v1/cache?limit=0', 'limit', /from 1 to 1000/],
    ['/api/v1/cache?limit=1001', 'limit', /from 1 to 1000/],
    ['/api/v1/cache?query_type=select', 'query_type', /cache_hourly/],
    ['/api/v1/utilization?limit=-1', 'limit', /from 1 to 1000/],
    ['/api/v1/top_tables?k=0', 'k', /from 1 to 100/],
    ['/api/v1/top_tables?k=101', 'k', /from 1 to 100/],
    ['/api/v1/top_tables?k=1.5', 'k', /from 1 to 100/],
    ['/api/v1/compile?instance=1', 'instance', /compile_joins_hourly/],
    ['/api/v1/compile?source=alpha', 'source', /compile_joins_hourly/],
    ['/api/v1/live?from=2024-03-01', 'from', /\/api\/v1\/live takes no time range/],
    ['/api/v1/status?to=2024-03-01', 'to', /takes no time range/],
    ['/api/v1/status?x=1', "'x'", /takes no parameters/],
    ['/api/v1/spill?frm=2024-03-01', "'frm'", /unknown parameter/],
    ['/api/v1/health?limit=201', 'limit', /from 1 to 200/],
    ['/api/v1/table/query_hourly?limit=50001', 'limit', /from 1 to 50000/],
    ['/api/v1/table/query_hourly?offset=10000001', 'offset', /from 0 to 10000000/],
    ['/api/v1/table/spill_hourly?instance=1', 'instance', /spill_hourly/],
    ['/api/v1/table/bad_rows?from=2024-03-01', 'from', /bad_rows/],
    ['/api/v1/table/bad_rows?reason=Bad%20Row', 'reason', /bad-row reason/],
    ['/api/v1/table/cache_hourly?k=3', 'k', /not a parameter/],
  ];
  for (const [p, name, re] of cases) {
    const r = await get(S.url, p);
    assert.equal(r.status, 400, `${p}: status ${r.status} ${r.text}`);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.ok(r.body && typeof r.body.error === 'string', `${p}: {"error": ...}`);
    assert.ok(r.body.error.startsWith(name) || r.body.error.includes(name), `${p}: message names ${name}: ${r.body.error}`);
    assert.match(r.body.error, re, p);
  }
  for (const p of ['/api/v1/nope', '/api/v2/status', '/api/v1/table/contributions', '/api/v1/status/', '/nope', '/api/v1']) {
    const r = await get(S.url, p);
    assert.equal(r.status, 404, p);
    assert.ok(r.body.error.length > 0);
  }
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const r = await get(S.url, '/api/v1/status', { method, body: method === 'DELETE' ? undefined : 'x' });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
  const h = await fetch(S.url + '/api/v1/status', { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal((await h.text()), '');
});

test('concurrent requests all get the same complete answers', async () => {
  const paths = ['/api/v1/status', '/api/v1/spill', '/api/v1/cache', '/api/v1/top_tables', '/api/v1/compile', '/api/v1/utilization',
    '/api/v1/health', '/api/v1/live', `/api/v1/top_tables?${ALL}&k=7`, `/api/v1/utilization?${ALL}&limit=3`];
  const res = await Promise.all(Array.from({ length: 200 }, (_, i) => get(S.url, paths[i % paths.length])));
  const first = new Map();
  res.forEach((r, i) => {
    const p = paths[i % paths.length];
    assert.equal(r.status, 200, `${p}: ${r.text.slice(0, 200)}`);
    const t = p === '/api/v1/status' ? r.text.replace(/"now":"[^"]*"/, '') : r.text;
    if (!first.has(p)) first.set(p, t);
    else assert.equal(t, first.get(p), `${p}: same answer`);
  });
});

// ------------------------------------------------------------------ addresses

test('listen addresses: loopback only unless --listen-any; a port in use is an error', async () => {
  let r = spawnSync(SLUICE_BIN, ['serve', '--hot', HOT, '--listen', '0.0.0.0:0'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /not a loopback address.*--listen-any/);
  const any = await startServe(['--hot', HOT, '--listen', '0.0.0.0:0', '--listen-any', '--quiet']);
  assert.match(any.printed, /^http:\/\/0\.0\.0\.0:\d+\/$/);
  assert.equal((await get(any.url, '/api/v1/live')).status, 200);
  any.stop();
  const port = new URL(S.url).port;
  r = spawnSync(SLUICE_BIN, ['serve', '--hot', HOT, '--listen', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /already in use/);
  for (const args of [['--listen', 'nonsense'], ['--threads', '0'], ['--cold', path.join(ROOT, 'nope')], []]) {
    r = spawnSync(SLUICE_BIN, ['serve', ...(args.length ? ['--hot', HOT] : []), ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^sluice: serve: /);
  }
  r = spawnSync(SLUICE_BIN, ['serve', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--listen-any/);
});

// ------------------------------------------------------------------ while the pipeline writes

test('a second sluice run writes into the store while the API is polled', async () => {
  if (!fs.existsSync(MORE)) {
    sluiceOk(['gen', '--rows', '3000', '--start', '2024-03-11', '--end', '2024-03-11T12', '--seed', '9', '--out', MORE + '.tmp.parquet', '--quiet']);
    fs.renameSync(MORE + '.tmp.parquet', MORE);
  }
  const hot2 = path.join(ROOT, 'hot2.db');
  // a consistent copy (the store's recent pages may be in its -wal: the server
  // above keeps it open, so sluice run's close did not checkpoint)
  const bk = spawnSync('sqlite3', ['-readonly', HOT, `.backup '${hot2}'`], { encoding: 'utf8' });
  assert.equal(bk.status, 0, bk.stderr);
  const s2 = await startServe(['--hot', hot2, '--listen', '127.0.0.1:0', '--quiet']);
  const before = await ok(s2.url, '/api/v1/status');
  const writer = spawn(SLUICE_BIN, ['run', '--source', 'alpha', MORE, '--speed', '14400', '--hot', hot2, '--quiet'], { stdio: 'ignore' });
  const done = new Promise((res) => writer.on('exit', (code) => res(code)));
  let exited = null;
  done.then((c) => { exited = c; });
  const seen = new Set();
  let polls = 0;
  let last = before.last_hour;
  while (exited === null) {
    const [st, lv, tt] = await Promise.all([get(s2.url, '/api/v1/status'), get(s2.url, '/api/v1/live'), get(s2.url, '/api/v1/top_tables')]);
    for (const r of [st, lv, tt]) assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.ok(st.body.last_hour >= last, 'the newest hour never goes back');
    last = st.body.last_hour;
    seen.add(`${st.body.last_hour} ${st.body.running}`);
    polls++;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(exited, 0, 'the writer was never blocked into failing');
  assert.ok(polls > 5 && seen.size > 2, `the API followed the writer (${polls} polls, ${seen.size} states)`);
  // after the writer: the API agrees with the store again -- at once when asked
  // for a fresh answer, and within moments for everyone (the background
  // recomputation replaces the stale answers)
  const FRESH = { headers: { 'X-Sluice-Fresh': '1' } };
  const st = await ok(s2.url, '/api/v1/status', FRESH);
  const [{ m }] = sqlite(hot2, 'SELECT max(hour) AS m FROM query_hourly');
  assert.equal(st.last_hour, m);
  assert.equal(st.last_hour, '2024-03-11 11:00:00');
  const lv = await ok(s2.url, '/api/v1/live', FRESH);
  const [{ q }] = sqlite(hot2, `SELECT sum(queries) AS q FROM query_hourly WHERE hour = '${m}'`);
  assert.equal(lv.totals.queries, q);
  let tt;
  for (let i = 0; i < 100; i++) {
    tt = await get(s2.url, '/api/v1/top_tables');
    if (tt.headers.get('x-sluice-cache') !== 'stale') break;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.notEqual(tt.headers.get('x-sluice-cache'), 'stale', 'the stale answer was replaced');
  assert.deepEqual(tt.body, (await ok(s2.url, '/api/v1/top_tables', FRESH)));
  s2.stop();
});

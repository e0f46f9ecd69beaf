// Standalone check of metrics_oracle.mjs on a small hand-made event table whose
// answers are worked out by hand below (the same cases as tests/unit/test_proc.c).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { allTables, topTablesHourly } from './metrics_oracle.mjs';

let inst, conn;
const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
const hour = (r) => new Date(Number(r.hour.micros / 1000n)).toISOString();
const H = (h) => `2024-03-01T${String(h).padStart(2, '0')}:00:00.000Z`;

// columns: source, instance_id, query_id, arrival_timestamp, query_type, compile, queue, exec,
//          aborted, cached, mbytes_scanned, mbytes_spilled, num_joins, read_table_ids, fingerprint
const EVENTS = [
  // hour 10: every table (test_all_tables)
  ['p', 1, 1, '2024-03-01 10:00:00', 'select', 10, 5, 100, 0, 0, 1.5, 0, 2, '5,7', null],
  ['p', 1, 2, '2024-03-01 10:10:00', 'select', 20, 0, 200, 1, 0, 2.5, 3.0, 2, '7', null],
  ['p', 1, 3, '2024-03-01 10:20:00', 'insert', null, 1, 10, 0, 0, null, 0.5, 0, null, null],
  ['p', 2, 1, '2024-03-01 10:30:00', 'other', null, 0, 0, 0, 1, null, null, 0, null, null],
  ['s', 1, 1, '2024-03-01 10:40:00', 'select', 30, 0, 0, 0, 0, 0, 1.0, 4, '', null],
  // hour 13: long query (13:30 + 2 h: 30 min in 13, 60 in 14, 30 in 15) and a 1 ms query starting at
  // 13:59:59.999400 + 101 us (compile 0.1006 ms rounded): 0.499 ms in 13, 0.501 ms in 14
  ['q', 1, 1, '2024-03-01 13:30:00', 'select', null, 0, 7200000, 0, 0, 0, 0, 0, null, null],
  ['q', 2, 1, '2024-03-01 13:59:59.9994', 'select', 0.1006, 0, 1, 0, 0, 0, 0, 0, null, null],
  // hour 16: slowdown groups A (100,200,300) and B (50,50); excluded rows; top-k ties
  ['r', 1, 1, '2024-03-01 16:00:00', 'select', 0, 0, 100, 0, 0, 0, 0, 1, '40,10,20,30', 'A'],
  ['r', 1, 2, '2024-03-01 16:00:00', 'select', 0, 0, 200, 0, 0, 0, 0, 3, '20, 30', 'A'],
  ['r', 1, 3, '2024-03-01 16:00:00', 'select', 0, 0, 300, 0, 0, 0, 0, 5, '030,10,abc', 'A'],
  ['r', 1, 4, '2024-03-01 16:00:00', 'select', 0, 0, 1000, 1, 0, 0, 0, 0, '40', 'A'],
  ['r', 1, 5, '2024-03-01 16:00:00', 'select', 0, 0, 50, 0, 0, 0, 0, 0, '50,50,50', 'B'],
  ['r', 1, 6, '2024-03-01 16:00:00', 'select', 0, 0, 50, 0, 0, 0, 0, 0, '99999999999999999999', 'B'],
  ['r', 1, 7, '2024-03-01 16:00:00', 'select', 0, 0, 0, 0, 0, 0, 0, 0, null, 'B'],
  ['r', 1, 8, '2024-03-01 16:00:00', 'select', 0, 0, 10, 0, 0, 0, 0, 0, null, 'C'],
  ['r', 1, 9, '2024-03-01 16:00:00', 'select', 0, 0, 10, 0, 1, 0, 0, 0, null, 'D'],
  ['r', 1, 10, '2024-03-01 16:00:00', 'select', 0, 0, 20, 0, 1, 0, 0, 0, null, 'D'],
  ['r', 1, 11, '2024-03-01 16:00:00', 'insert', 0, 0, 10, 0, 0, 0, 0, 0, null, 'E'],
  ['r', 1, 12, '2024-03-01 16:00:00', 'insert', 0, 0, 30, 0, 0, 0, 0, 0, null, 'E'],
];

before(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
  await conn.run(`SET TimeZone='UTC'`);
  await conn.run(`CREATE TABLE accepted (source VARCHAR, instance_id INTEGER, query_id BIGINT,
    arrival_timestamp TIMESTAMP, query_type VARCHAR, compile_duration_ms DOUBLE, queue_duration_ms BIGINT,
    execution_duration_ms BIGINT, was_aborted INTEGER, was_cached INTEGER, mbytes_scanned DOUBLE,
    mbytes_spilled DOUBLE, num_joins BIGINT, read_table_ids VARCHAR, feature_fingerprint VARCHAR)`);
  const lit = (v) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));
  const vals = EVENTS.map((e) => `(${e.map(lit).join(', ')})`).join(',\n');
  await conn.run(`INSERT INTO accepted VALUES ${vals}`);
});
after(() => {
  try { conn.closeSync(); } catch { /* ignore */ }
  try { inst.closeSync(); } catch { /* ignore */ }
});

test('metric tables of the hand-made events', async () => {
  const t = await allTables(conn, 'accepted', { k: 3 });

  // query_hourly, hour 10 (sorted by source, instance, query_type)
  const q10 = t.query_hourly.filter((r) => hour(r) === H(10));
  assert.deepEqual(q10.map((r) => [r.source, r.instance_id, r.query_type, Number(r.queries), Number(r.aborted),
    Number(r.cached), Number(r.spilled), r.compile_ms_sum, Number(r.queue_ms_sum), Number(r.exec_ms_sum),
    r.mbytes_scanned_sum, r.mbytes_spilled_sum]), [
    ['p', 1, 'insert', 1, 0, 0, 1, 0, 1, 10, 0, 0.5],
    ['p', 1, 'select', 2, 1, 0, 1, 30, 5, 300, 4, 3],
    ['p', 2, 'other', 1, 0, 1, 0, 0, 0, 0, 0, 0],
    ['s', 1, 'select', 1, 0, 0, 1, 30, 0, 0, 0, 1],
  ]);
  assert.deepEqual(t.spill_hourly.filter((r) => hour(r) === H(10))
    .map((r) => [r.query_type, Number(r.spilled), r.mbytes_spilled_sum, Number(r.queries)]),
  [['insert', 1, 0.5, 1], ['other', 0, 0, 1], ['select', 2, 4, 3]]);
  assert.deepEqual(t.cache_hourly.filter((r) => hour(r) === H(10))
    .map((r) => [r.source, r.instance_id, Number(r.cached), Number(r.queries), r.hit_rate]),
  [['p', 1, 0, 3, 0], ['p', 2, 1, 1, 1], ['s', 1, 0, 1, 0]]);
  assert.deepEqual(t.compile_joins_hourly.filter((r) => hour(r) === H(10))
    .map((r) => [r.joins_bucket, Number(r.queries), r.compile_ms_sum, r.compile_ms_max]),
  [['2', 2, 30, 20], ['4-5', 1, 30, 30]]);
  const c10 = t.compile_corr_hourly.find((r) => hour(r) === H(10));
  assert.equal(Number(c10.n), 3);
  assert.ok(close(c10.corr, Math.sqrt(3) / 2), `corr ${c10.corr}`);

  // utilization hour 10: p|1 busy 310 ms, q = 6/346, c = 30/346, s = 2/3; s|1 composite 0.5 -> 1
  const u10 = t.utilization_hourly.filter((r) => hour(r) === H(10));
  assert.equal(u10.length, 3);
  const conc = 310 / 3.6e6;
  assert.equal(u10[0].busy_ms, 310);
  assert.ok(close(u10[0].q_score, 6 / 346) && close(u10[0].c_score, 30 / 346) && close(u10[0].s_score, 2 / 3));
  assert.ok(close(u10[0].composite, (6 / 346 + 2 / 3 + conc / 5 + 30 / 346) / 4));
  assert.equal(u10[0].oversubscribed, 0);
  assert.equal(u10[0].slowdown, null);
  assert.equal(Number(u10[0].fp_groups), 0);
  assert.deepEqual([u10[1].busy_ms, u10[1].q_score, u10[1].c_score, u10[1].s_score, u10[1].composite], [0, 0, 0, 0, 0]);
  assert.deepEqual([u10[2].c_score, u10[2].s_score, u10[2].composite, u10[2].oversubscribed], [1, 1, 0.5, 1]);

  // busy spill-over: hours 13, 14, 15 (15 and q|1 in 14 have no arrivals)
  const uq = t.utilization_hourly.filter((r) => r.source === 'q')
    .map((r) => [hour(r), r.instance_id, r.busy_ms, r.p_score, r.composite, r.s_score]);
  assert.deepEqual(uq.map((r) => r.slice(0, 3)), [
    [H(13), 1, 1800000], [H(13), 2, 0.499], [H(14), 1, 3600000], [H(14), 2, 0.501], [H(15), 1, 1800000],
  ]);
  assert.ok(close(uq[0][3], 0.1) && close(uq[0][4], 0.025));
  assert.ok(close(uq[2][3], 0.2) && close(uq[2][4], 0.05) && uq[2][5] === 0);
  assert.equal(t.query_hourly.filter((r) => r.source === 'q').length, 2);

  // hour 16: slowdown (600 + 100) / (300 + 100) = 1.75 over 2 groups
  const u16 = t.utilization_hourly.filter((r) => hour(r) === H(16));
  assert.equal(u16.length, 1);
  assert.ok(close(u16[0].slowdown, 1.75));
  assert.equal(Number(u16[0].fp_groups), 2);
  // top 3 of r|1: 30 -> 3, then 10, 20, 40 with 2 (40 loses the tie); 50 once (a set); overflow id ignored
  assert.deepEqual(t.top_tables_hourly.filter((r) => r.source === 'r')
    .map((r) => [r.rank, Number(r.table_id), Number(r.reads)]), [[1, 30, 3], [2, 10, 2], [3, 20, 2]]);
  // hour 16 corr: selects not cached: x = joins (1,3,5,0,0,0,0), y all 0 -> NULL (y constant)
  const c16 = t.compile_corr_hourly.find((r) => hour(r) === H(16));
  assert.equal(Number(c16.n), 8);
  assert.equal(c16.corr, null);
  // hour 13: one x value only (0,0) -> NULL
  assert.equal(t.compile_corr_hourly.find((r) => hour(r) === H(13)).corr, null);

  // accounting: sum of queries = accepted events
  assert.equal(t.query_hourly.reduce((a, r) => a + Number(r.queries), 0), EVENTS.length);
});

test('top_k parameter', async () => {
  const r = await topTablesHourly(conn, 'accepted', 10);
  // r|1 ids: 10, 20, 30, 40, 50
  assert.deepEqual(r.filter((x) => x.source === 'r').map((x) => Number(x.table_id)), [30, 10, 20, 40, 50]);
});

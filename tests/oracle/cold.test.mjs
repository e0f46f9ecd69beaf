// Oracle test for the cold store (src/store/cold.c): DuckDB reads the Hive-partitioned Parquet
// directory that the unit test tests/unit/test_cold.c writes.
//
// There is no CLI for the cold store yet, so the store is produced from C: the unit test binary
// (build/release/tests/test_cold, or $SLUICE_TEST_COLD) is run with SLUICE_KEEP_COLD=1 from the
// repository root; it leaves the store in build/test-cold/ and the rows it wrote, as JSON lines
// (timestamps as epoch microseconds, doubles with 17 digits), in build/test-cold-expected/.
// Checks, per table and for the events:
//  - read_parquet('DIR/<table>/*/*/*.parquet', hive_partitioning=true) returns exactly the rows
//    written, in hour order then write order (file name, file_row_number);
//  - the `date` and `hr` partition columns match the row's own hour (events: arrival_timestamp).
//    (The hour key is `hr` because DuckDB lets a partition key shadow a file column of the
//    same name, and every metric table has an `hour` column.)
//  - schemas: `hour`/`arrival_timestamp` are TIMESTAMP WITH TIME ZONE, events hold the 24 Redset
//    columns + source, _input, _row; the key-value metadata holds only the writer name;
//  - every manifest is valid JSON listing one existing file with its exact size.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, REDSET_COLUMNS, query, queryObjects, closeDuck, sqlStr, ident, parseJsonLossless, Num, Obj } from './lib.mjs';

after(() => closeDuck());

const BIN = process.env.SLUICE_TEST_COLD || path.join(REPO, 'build', 'release', 'tests', 'test_cold');
const DIR = path.join(REPO, 'build', 'test-cold');
const EXP = path.join(REPO, 'build', 'test-cold-expected');
const TABLES = ['query_hourly', 'spill_hourly', 'cache_hourly', 'top_tables_hourly', 'compile_joins_hourly',
  'compile_corr_hourly', 'utilization_hourly', 'events'];

let produced = false;
function produce() {
  if (produced) return;
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} not found: build it with 'make unit' (or set SLUICE_TEST_COLD)`);
  const r = spawnSync(BIN, [], { cwd: REPO, env: { ...process.env, SLUICE_KEEP_COLD: '1' }, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${BIN} exited ${r.status}: ${r.stdout}\n${r.stderr}`);
  produced = true;
}

function expected(table) {
  const text = fs.readFileSync(path.join(EXP, `${table}.jsonl`), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => parseJsonLossless(l));
}

function same(exp, got) {
  if (exp === null) return got === null;
  if (exp instanceof Num) {
    if (typeof got === 'bigint') return String(got) === exp.num;
    if (typeof got === 'number') return Object.is(Number(exp.num), got);
    return false;
  }
  return exp === got;
}

for (const table of TABLES) {
  test(`cold store: ${table} read back by DuckDB with hive partitioning`, async () => {
    produce();
    const rows = expected(table);
    assert.ok(rows.length > 0, `no expected rows for ${table}`);
    const cols = rows[0].keys();
    const tsCol = table === 'events' ? 'arrival_timestamp' : 'hour';
    const glob = sqlStr(path.join(DIR, table, '*', '*', '*.parquet'));

    // schema as stored in the files (no partition columns)
    const desc = await queryObjects(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning=false)`);
    assert.deepEqual(desc.map((d) => d.column_name), cols, 'file columns');
    const types = Object.fromEntries(desc.map((d) => [d.column_name, d.column_type]));
    assert.equal(types[tsCol], 'TIMESTAMP WITH TIME ZONE', `${tsCol} type`);
    if (table === 'events') {
      assert.deepEqual(cols, [...REDSET_COLUMNS.map(([n]) => n), 'source', '_input', '_row']);
      for (const [n, t] of REDSET_COLUMNS) assert.equal(types[n], t === 'TIMESTAMP' ? 'TIMESTAMP WITH TIME ZONE' : t, `events.${n}`);
    }
    const isTs = (c) => types[c] === 'TIMESTAMP WITH TIME ZONE';

    // the rows through hive_partitioning=true: the partition keys (date, hr) do not
    // collide with any column, so every file column comes back as stored
    const sel = cols.map((c) => (isTs(c) ? `epoch_us(b.${ident(c)}) AS ${ident(c)}` : `b.${ident(c)}`)).join(', ');
    const sql = `
      WITH a AS (SELECT filename AS f, file_row_number AS r, ${ident(tsCol)} AS ts
                   FROM read_parquet(${glob}, hive_partitioning=false, filename=true, file_row_number=true)),
           b AS (SELECT * RENAME (filename AS f, file_row_number AS r)
                   FROM read_parquet(${glob}, hive_partitioning=true, filename=true, file_row_number=true))
      SELECT ${sel},
             (b.date = CAST(a.ts AS DATE)) AS date_ok,
             (CAST(b.hr AS INTEGER) = hour(a.ts)) AS hour_ok,
             CAST(b.hr AS VARCHAR) AS hour_part, strftime(a.ts, '%H') AS hh
        FROM a JOIN b USING (f, r)
       ORDER BY f, r`;
    const got = await query(sql);
    assert.equal(got.length, rows.length, `${table}: row count`);
    const problems = [];
    got.forEach((g, i) => {
      cols.forEach((c, k) => {
        const e = rows[i].get(c);
        if (!same(e, g[k])) problems.push(`${table} row ${i} column ${c}: expected ${e instanceof Num ? e.num : JSON.stringify(e)}, got ${String(g[k])}`);
      });
      const n = cols.length;
      if (g[n] !== true) problems.push(`${table} row ${i}: date partition does not match ${tsCol}`);
      if (g[n + 1] !== true) problems.push(`${table} row ${i}: hour partition ${g[n + 2]} does not match ${tsCol} hour ${g[n + 3]}`);
    });
    assert.deepEqual(problems.slice(0, 20), []);

    // only the writer name in the key-value metadata: no times, no paths
    const kv = await query(`SELECT DISTINCT decode(key), decode(value) FROM parquet_kv_metadata(${glob})`);
    assert.deepEqual(kv, [['writer', kv[0]?.[1]]]);
    assert.match(String(kv[0][1]), /^sluice /);
  });
}

test('cold store: hour partitions are pruned by date/hour filters', async () => {
  produce();
  const glob = sqlStr(path.join(DIR, 'query_hourly', '*', '*', '*.parquet'));
  const [[n, files]] = await query(`SELECT count(*), count(DISTINCT filename) FROM read_parquet(${glob}, hive_partitioning=true, filename=true)
     WHERE date = DATE '2024-03-01' AND hr = 6`);
  const exp = expected('query_hourly').filter((r) => r.get('hour').num === String(Date.UTC(2024, 2, 1, 6) * 1000)).length;
  assert.equal(Number(n), exp);
  assert.equal(Number(files), 1);
});

test('cold store: manifests list exactly the data files with their sizes', () => {
  produce();
  const mroot = path.join(DIR, '_manifests');
  const manifests = fs.readdirSync(mroot, { recursive: true }).filter((f) => f.endsWith('.manifest'));
  const data = TABLES.flatMap((t) => fs.readdirSync(path.join(DIR, t), { recursive: true })
    .filter((f) => f.endsWith('.parquet')).map((f) => path.join(t, f)));
  assert.equal(manifests.length, data.length, 'one manifest per data file');
  const listed = [];
  for (const m of manifests) {
    const j = parseJsonLossless(fs.readFileSync(path.join(mroot, m), 'utf8').trim());
    assert.ok(j instanceof Obj && Array.isArray(j.get('entries')), `${m}: entries`);
    const entries = j.get('entries');
    assert.equal(entries.length, 1, `${m}: one entry`);
    const e = entries[0];
    assert.equal(e.get('mandatory'), true);
    const url = e.get('url');
    const prefix = 'file://' + fs.realpathSync(DIR) + '/';
    assert.ok(url.startsWith(prefix), `${m}: url ${url}`);
    const rel = url.slice(prefix.length);
    // _manifests/<t>/date=D/hr=HH.manifest lists <t>/date=D/hr=HH/part-00000.parquet
    assert.equal(rel, m.replace(/\.manifest$/, '/part-00000.parquet'));
    assert.equal(e.get('meta').get('content_length').num, String(fs.statSync(path.join(DIR, rel)).size));
    listed.push(rel);
  }
  assert.deepEqual(listed.sort(), data.sort());
  const leftovers = fs.readdirSync(DIR, { recursive: true }).filter((f) => /\.tmp-/.test(f));
  assert.deepEqual(leftovers, []);
});

// sluice scan vs DuckDB count(c) / sum(c) / sum(octet_length(c)) on generated files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  closeDuck, compareScan, ensureDataDir, exec, expectedScan, parquetColumns, parseJsonLossless,
  requireSluice, sluiceOk, sqlStr,
} from './lib.mjs';

after(closeDuck);
const DIR = ensureDataDir('scan');

const SQL = `
SELECT
  CASE WHEN i % 9 = 0 THEN NULL ELSE (hash(i) >> 1)::BIGINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END AS big,  -- sum wraps int64
  (hash(i, 1) % 1000000)::INTEGER AS i32,
  ((hash(i, 2) % 200)::INTEGER - 100)::TINYINT AS i8,
  CASE WHEN i % 4 = 0 THEN NULL ELSE hash(i, 3) % 2 = 0 END AS flag,
  CASE WHEN i % 5 = 0 THEN NULL ELSE ((hash(i, 4) % 100000)::DOUBLE) / 7 END AS dbl,
  ((hash(i, 5) % 100000)::FLOAT) / 3 AS flt,
  CASE WHEN i % 6 = 0 THEN NULL ELSE 'name_' || (hash(i, 6) % 1000)::VARCHAR || repeat('é', (i % 4)::INTEGER) END AS str,
  unhex(printf('%0' || (2 * (i % 5 + 1))::VARCHAR || 'X', hash(i, 7) % 1000)) AS bin,
  DATE '2000-01-01' + (hash(i, 8) % 10000)::INTEGER AS dt,
  make_timestamp(1700000000000000 + (hash(i, 9) % 100000000000)::BIGINT) AS ts,
  CAST(make_timestamp(1700000000000000 + (hash(i, 10) % 100000000000)::BIGINT) AS TIMESTAMP_MS) AS ts_ms,
  make_timestamp_ns(1700000000000000000 + (hash(i, 11) % 100000000000000)::BIGINT) AS ts_ns,
  hash(i, 12)::UBIGINT AS u64,
  NULL::BIGINT AS allnull
FROM range(300000) t(i)`;

const FILES = [
  ['zstd', 'V2', 100000], ['snappy', 'V1', 122880], ['uncompressed', 'V1', 50000],
].map(([c, v, rg]) => ({ c, v, rg, f: path.join(DIR, `scan_${c}_${v}.parquet`) }));

before(async () => {
  await exec(`CREATE OR REPLACE TEMP TABLE scan_src AS ${SQL}`);
  for (const { c, v, rg, f } of FILES) {
    await exec(`COPY scan_src TO ${sqlStr(f)} (FORMAT parquet, COMPRESSION ${c}, PARQUET_VERSION ${v}, ROW_GROUP_SIZE ${rg})`);
  }
});

for (const { c, v, f } of FILES) {
  test(`scan ${c} ${v}: rows, count and sum per column == DuckDB`, async () => {
    requireSluice();
    const cols = await parquetColumns(f);
    const exp = await expectedScan(f, cols);
    const got = parseJsonLossless(sluiceOk(['scan', f]).trim());
    assert.deepEqual(compareScan(`sluice scan ${path.basename(f)}`, got, exp), []);
  });
}

test('scan --columns projection', async () => {
  requireSluice();
  const f = FILES[0].f;
  const all = await parquetColumns(f);
  const cols = ['str', 'big', 'dbl'].map((n) => all.find((x) => x.name === n));
  const exp = await expectedScan(f, cols);
  const got = parseJsonLossless(sluiceOk(['scan', f, '--columns', 'str,big,dbl']).trim());
  assert.deepEqual(compareScan(`sluice scan ${path.basename(f)} --columns str,big,dbl`, got, exp), []);
});

// Real Redset sample (CSV) -> Parquet with Redset's physical types, ZSTD and SNAPPY;
// sluice cat and scan vs DuckDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  REDSET_CSV, closeDuck, compareCat, compareScan, ensureDataDir, exec, expectedScan, parquetColumns,
  parseJsonLossless, query, requireSluice, sluiceOk, sqlStr, REDSET_COLUMNS,
} from './lib.mjs';

after(closeDuck);

const have = fs.existsSync(REDSET_CSV);
const SKIP = have ? false : `Redset sample not found at ${REDSET_CSV} (set SLUICE_SHARED)`;

const DIR = have ? ensureDataDir('redset') : null;
const OUT = { zstd: DIR && path.join(DIR, 'redset_sample_zstd.parquet'), snappy: DIR && path.join(DIR, 'redset_sample_snappy.parquet') };

before(async () => {
  if (!have) return;
  const types = REDSET_COLUMNS.map(([n, t]) => `'${n}': '${t}'`).join(', ');
  await exec(`CREATE OR REPLACE TEMP TABLE redset AS SELECT * FROM read_csv(${sqlStr(REDSET_CSV)}, header=true, columns={${types}})`);
  for (const [codec, f] of Object.entries(OUT)) {
    await exec(`COPY redset TO ${sqlStr(f)} (FORMAT parquet, COMPRESSION ${codec})`);
  }
});

test('Redset CSV header matches the 24-column schema', { skip: SKIP }, async () => {
  const header = fs.readFileSync(REDSET_CSV, 'utf8').split('\n', 1)[0].trim().split(',');
  assert.deepEqual(header, REDSET_COLUMNS.map(([n]) => n));
  const [[n]] = await query(`SELECT count(*)::VARCHAR FROM redset`);
  assert.equal(n, '8244');
  const [[nn]] = await query(`SELECT count(read_table_ids)::VARCHAR FROM redset WHERE read_table_ids LIKE '%,%'`);
  assert.ok(Number(nn) > 0, 'read_table_ids should keep comma lists as strings');
});

for (const codec of ['zstd', 'snappy']) {
  test(`cat redset sample ${codec} == DuckDB`, { skip: SKIP }, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(OUT[codec]), []);
  });
  test(`cat --format csv redset sample ${codec} == DuckDB`, { skip: SKIP }, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(OUT[codec], { format: 'csv' }), []);
  });
  test(`scan redset sample ${codec}: count/sum per column == DuckDB`, { skip: SKIP }, async () => {
    requireSluice();
    const cols = await parquetColumns(OUT[codec]);
    const exp = await expectedScan(OUT[codec], cols);
    const got = parseJsonLossless(sluiceOk(['scan', OUT[codec]]).trim());
    assert.deepEqual(compareScan(`sluice scan ${path.basename(OUT[codec])}`, got, exp), []);
  });
}

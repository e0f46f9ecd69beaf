// Defects found by hostile input (issue 12): each test fails on the code before its fix.
//  - Parquet: an all-NULL column in data pages v2 (its values section is 0 bytes) for every codec,
//    written by sluice's writer, read back by sluice and by DuckDB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exec, query, closeDuck, ensureDataDir, runSluice, sluiceOk, requireSluice, sqlStr,
  parseJsonLines } from './lib.mjs';

const DIR = ensureDataDir('hostile');
after(() => closeDuck());

// ------------------------------------------------------------------ Parquet: empty v2 values section

test('all-NULL columns in data pages v2: every codec reads back in sluice and DuckDB', async (t) => {
  requireSluice(t);
  const src = path.join(DIR, 'allnull_src.parquet');
  fs.rmSync(src, { force: true });
  await exec(`COPY (SELECT i::INTEGER AS id, NULL::BIGINT AS n, NULL::VARCHAR AS s,
      CASE WHEN i % 3 = 0 THEN i::DOUBLE / 4 ELSE NULL END AS d
    FROM range(300) t(i)) TO ${sqlStr(src)} (FORMAT parquet)`);
  for (const codec of ['snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli', 'none']) {
    const out = path.join(DIR, `allnull_v2_${codec}.parquet`);
    fs.rmSync(out, { force: true });
    sluiceOk(['convert', src, out, '--codec', codec, '--page-version', '2', '--row-group-rows', '100']);
    const r = runSluice(['cat', out]);
    assert.equal(r.status, 0, `${codec}: sluice cat: ${r.stderr}`);
    const rows = parseJsonLines(r.stdout);
    assert.equal(rows.length, 300, codec);
    const dk = await query(`SELECT id, n, s, d FROM read_parquet(${sqlStr(out)}) ORDER BY id`);
    assert.equal(dk.length, 300, `${codec}: DuckDB rows`);
    for (let i = 0; i < 300; i++) {
      const o = Object.fromEntries(rows[i].pairs.map(([k, v]) => [k, v && v.num !== undefined ? Number(v.num) : v]));
      assert.equal(o.id, i, `${codec} row ${i}`);
      assert.equal(o.n, null, `${codec} row ${i} n`);
      assert.equal(o.s, null, `${codec} row ${i} s`);
      assert.equal(o.d, i % 3 === 0 ? i / 4 : null, `${codec} row ${i} d`);
      assert.equal(Number(dk[i][0]), i);
      assert.equal(dk[i][1], null, `${codec}: DuckDB row ${i} n`);
      assert.equal(dk[i][2], null, `${codec}: DuckDB row ${i} s`);
      assert.equal(dk[i][3], i % 3 === 0 ? i / 4 : null, `${codec}: DuckDB row ${i} d`);
    }
    // the all-NULL column chunks hold no value bytes beyond page headers and levels
    const [[nullBytes]] = await query(`SELECT max(total_compressed_size) FROM parquet_metadata(${sqlStr(out)}) WHERE path_in_schema = 'n'`);
    assert.ok(Number(nullBytes) < 60, `${codec}: all-NULL chunk is ${nullBytes} bytes`);
  }
});

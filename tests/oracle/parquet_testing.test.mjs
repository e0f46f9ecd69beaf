// sluice cat/inspect vs DuckDB on the apache/parquet-testing subset in $SLUICE_SHARED.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  PT_DIR, closeDuck, compareCat, compareInspect, parseCsv, parseJsonLines, Num, Obj,
  requireSluice, runSluice, sluiceOk, query, sqlStr,
} from './lib.mjs';

after(closeDuck);

const CORRUPT = 'datapage_v1-corrupt-checksum.parquet';
const have = fs.existsSync(PT_DIR);
const SKIP = have ? false : `parquet-testing data not found at ${PT_DIR} (set SLUICE_SHARED)`;
const files = have ? fs.readdirSync(PT_DIR).filter((f) => f.endsWith('.parquet') && f !== CORRUPT).sort() : [];

async function duckCanRead(file) {
  try { await query(`SELECT count(*) FROM read_parquet(${sqlStr(file)})`); return null; } catch (e) { return e.message; }
}

test('parquet-testing files are present', { skip: SKIP }, () => {
  assert.ok(files.length >= 10, `expected the parquet-testing subset, found ${files.length} files`);
  assert.ok(fs.existsSync(path.join(PT_DIR, CORRUPT)), `${CORRUPT} missing`);
});

for (const f of files) {
  const file = path.join(PT_DIR, f);
  test(`cat ${f} == DuckDB (all columns, all rows)`, { skip: SKIP }, async (t) => {
    requireSluice();
    const why = await duckCanRead(file);
    if (why) {
      if (fs.existsSync(file.replace(/\.parquet$/, '_expect.csv'))) { t.skip(`DuckDB cannot read it (${why}); _expect.csv comparison covers it`); return; }
      t.skip(`DuckDB cannot read it: ${why}`); return;
    }
    const p = await compareCat(file);
    assert.deepEqual(p, []);
  });

  const expectCsv = file.replace(/\.parquet$/, '_expect.csv');
  if (have && fs.existsSync(expectCsv)) {
    test(`cat ${f} == ${path.basename(expectCsv)}`, async () => {
      requireSluice();
      const recs = parseCsv(fs.readFileSync(expectCsv, 'utf8'));
      recs.shift(); // header names differ from the Parquet names (e.g. trailing ':'); compare by position
      const got = parseJsonLines(sluiceOk(['cat', file]));
      const problems = [];
      if (got.length !== recs.length) problems.push(`row count: expected ${recs.length}, got ${got.length}`);
      for (let r = 0; r < Math.min(got.length, recs.length) && problems.length < 25; r++) {
        const o = got[r];
        if (!(o instanceof Obj) || o.pairs.length !== recs[r].length) { problems.push(`row ${r}: expected ${recs[r].length} fields`); continue; }
        recs[r].forEach((cell, j) => {
          const [k, v] = o.pairs[j];
          const txt = v === null ? '' : v instanceof Num ? v.num : typeof v === 'string' ? v : String(v);
          if (txt !== cell.v) problems.push(`row ${r} column ${k}: expected ${JSON.stringify(cell.v)}, got ${JSON.stringify(txt)}`);
        });
      }
      assert.deepEqual(problems, []);
    });
  }

  test(`inspect --json ${f} == DuckDB parquet_metadata`, { skip: SKIP }, async (t) => {
    requireSluice();
    const why = await duckCanRead(file);
    if (why) { t.skip(`DuckDB cannot read it: ${why}`); return; }
    assert.deepEqual(await compareInspect(file), []);
  });
}

test(`cat ${CORRUPT} fails with a checksum error naming column and page`, { skip: SKIP }, () => {
  requireSluice();
  // parquet-testing README: column "a" page 0 and column "b" page 1 carry bad CRCs.
  const r = runSluice(['cat', path.join(PT_DIR, CORRUPT)]);
  assert.notEqual(r.status, 0, `expected non-zero exit, got ${r.status}; stderr=${r.stderr}`);
  assert.equal(r.signal, null, `crashed with ${r.signal}`);
  const msg = r.stderr;
  assert.match(msg, /checksum|crc/i, `stderr should mention the checksum/CRC: ${msg}`);
  assert.ok(msg.includes(CORRUPT), `stderr should name the file: ${msg}`);
  assert.match(msg, /row[ _-]?group/i, `stderr should name the row group: ${msg}`);
  const colA = /column\W{0,3}a\b/i.test(msg) && /page\W{0,3}0\b/i.test(msg);
  const colB = /column\W{0,3}b\b/i.test(msg) && /page\W{0,3}1\b/i.test(msg);
  assert.ok(colA || colB, `stderr should name the corrupt column and page (a/page 0 or b/page 1): ${msg}`);
});

test('cat --columns projection (reordered) and --limit', { skip: SKIP }, async () => {
  requireSluice();
  const file = path.join(PT_DIR, 'alltypes_tiny_pages_plain.parquet');
  assert.deepEqual(await compareCat(file, { columns: ['string_col', 'id', 'timestamp_col', 'double_col'], limit: 123 }), []);
  assert.deepEqual(await compareCat(file, { columns: ['float_col'], limit: 5000 }), []);
  // limit beyond the row count returns all rows
  assert.deepEqual(await compareCat(path.join(PT_DIR, 'alltypes_plain.parquet'), { limit: 1000 }), []);
  assert.deepEqual(await compareCat(path.join(PT_DIR, 'delta_binary_packed.parquet'), { columns: ['int_value', 'bitwidth64'], limit: 7 }), []);
});

for (const f of ['alltypes_plain.parquet', 'alltypes_tiny_pages_plain.parquet', 'delta_length_byte_array.parquet', 'lz4_raw_compressed.parquet', 'int32_with_null_pages.parquet']) {
  test(`cat --format csv ${f} == DuckDB`, { skip: SKIP }, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(path.join(PT_DIR, f), { format: 'csv' }), []);
  });
}

test('cat of a missing file fails with a message naming the file', { skip: false }, () => {
  requireSluice();
  const r = runSluice(['cat', '/nonexistent/dir/nope.parquet']);
  assert.notEqual(r.status, 0);
  assert.equal(r.signal, null);
  assert.match(r.stderr, /nope\.parquet/);
});

// Oracle tests for the Parquet writer: DuckDB writes varied source files, `sluice convert`
// rewrites them (each codec and page version, dictionary on/off, column projection), and DuckDB
// reads the sluice-written file back:
//  - every row equals the source (EXCEPT ALL both ways, plus row counts);
//  - parquet_metadata() statistics (min/max/null_count) equal DuckDB's own min()/max()/count of
//    NULLs per column per row group, and row groups hold the requested number of rows;
//  - codec, encodings, schema types and key/value metadata are as requested.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exec, query, queryObjects, closeDuck, ensureDataDir, runSluice, sluiceOk, requireSluice, sqlStr, ident,
  parseJsonLossless } from './lib.mjs';

const DIR = ensureDataDir('writer');
after(() => closeDuck());

const N = 5000;
const SRC_SQL = (n) => `
  SELECT
    i::INTEGER AS id,
    CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
    CASE WHEN i % 5 = 0 THEN NULL ELSE (hash(i) % 2001)::INTEGER - 1000 END AS i32,
    CASE WHEN i % 4 = 0 THEN NULL ELSE (hash(i, 1) % 100000)::BIGINT * 1000003 - 50000000000 END AS i64,
    CASE WHEN i % 6 = 0 THEN NULL ELSE ((hash(i, 2) % 1000)::FLOAT / 8 - 60) END AS f32,
    CASE WHEN i % 1700 = 0 OR i % 97 = 0 THEN 'nan'::DOUBLE WHEN i % 9 = 0 THEN NULL WHEN i % 89 = 0 THEN -0.0::DOUBLE
         ELSE (hash(i, 3) % 100000)::DOUBLE / 3 - 1000 END AS f64,
    CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN '' ELSE 'v' || (hash(i, 4) % 50)::VARCHAR || 'é' END AS s,
    TIMESTAMP '2024-03-01' + to_microseconds((hash(i, 5) % 10000000000)::BIGINT) AS ts,
    CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((hash(i, 6) % 100000000000)::BIGINT) END AS tstz,
    CASE WHEN i % 8 = 0 THEN NULL ELSE DATE '2000-01-01' + (hash(i, 7) % 10000)::INTEGER END AS dt,
    NULL::BIGINT AS all_null,
    md5(i::VARCHAR) AS uniq,
    CASE WHEN i % 50 = 0 THEN 'rare' ELSE NULL END AS mostly_null
  FROM range(${n}) t(i)`;

const COLS = ['id', 'b', 'i32', 'i64', 'f32', 'f64', 's', 'ts', 'tstz', 'dt', 'all_null', 'uniq', 'mostly_null'];
const FLOATS = new Set(['f32', 'f64']);

async function makeSource(name, n, rgSize) {
  const f = path.join(DIR, name.replace('.parquet', '_v2.parquet'));
  if (!fs.existsSync(f)) {
    await exec(`COPY (${SRC_SQL(n)}) TO ${sqlStr(f)} (FORMAT parquet, ROW_GROUP_SIZE ${rgSize})`);
  }
  return f;
}

function convert(src, out, args = []) {
  fs.rmSync(out, { force: true });
  const o = parseJsonLossless(sluiceOk(['convert', src, out, ...args]).trim());
  return Object.fromEntries(o.pairs.map(([k, v]) => [k, Number(v.num)]));
}

async function assertSameRows(src, out, cols = COLS) {
  const sel = cols.map(ident).join(', ');
  const [[a, b, ca, cb]] = await query(`SELECT
      (SELECT count(*) FROM (SELECT ${sel} FROM read_parquet(${sqlStr(src)}) EXCEPT ALL SELECT ${sel} FROM read_parquet(${sqlStr(out)}))),
      (SELECT count(*) FROM (SELECT ${sel} FROM read_parquet(${sqlStr(out)}) EXCEPT ALL SELECT ${sel} FROM read_parquet(${sqlStr(src)}))),
      (SELECT count(*) FROM read_parquet(${sqlStr(src)})), (SELECT count(*) FROM read_parquet(${sqlStr(out)}))`);
  assert.equal(ca, cb, `row count: source ${ca}, sluice ${cb}`);
  assert.equal(a, 0n, `${a} source rows missing from ${path.basename(out)}`);
  assert.equal(b, 0n, `${b} rows of ${path.basename(out)} not in the source`);
  // and in the same order (sluice streams rows in file order)
  const [[bad]] = await query(`SELECT count(*) FROM read_parquet(${sqlStr(src)}, file_row_number=true) x
      JOIN read_parquet(${sqlStr(out)}, file_row_number=true) y USING (file_row_number)
      WHERE x.id IS DISTINCT FROM y.id`);
  assert.equal(bad, 0n, 'row order differs');
}

/** Statistics of every column chunk vs DuckDB's aggregates over the same rows. */
async function assertStats(out, rgRows, cols = COLS) {
  const md = await queryObjects(`SELECT row_group_id, row_group_num_rows, path_in_schema, stats_min_value, stats_max_value,
      stats_null_count FROM parquet_metadata(${sqlStr(out)}) ORDER BY row_group_id, column_id`);
  const total = Number((await query(`SELECT count(*) FROM read_parquet(${sqlStr(out)})`))[0][0]);
  const nrg = total === 0 ? 0 : Math.ceil(total / rgRows);
  const rgs = [...new Set(md.map((m) => Number(m.row_group_id)))];
  assert.equal(rgs.length, nrg, `row groups: expected ${nrg}`);
  const aggs = cols.map((c) => {
    const x = ident(c);
    const v = FLOATS.has(c) ? `${x}) FILTER (WHERE NOT isnan(${x})` : x;
    return `CAST(min(${v}) AS VARCHAR), CAST(max(${v}) AS VARCHAR), count(*) - count(${x})`;
  }).join(', ');
  const exp = await query(`SELECT file_row_number // ${rgRows} AS g, count(*), ${aggs}
      FROM read_parquet(${sqlStr(out)}, file_row_number=true) GROUP BY g ORDER BY g`);
  const problems = [];
  for (const row of exp) {
    const g = Number(row[0]);
    const want = Math.min(rgRows, total - g * rgRows);
    cols.forEach((c, k) => {
      const m = md.find((r) => Number(r.row_group_id) === g && r.path_in_schema === c);
      if (!m) { problems.push(`rg ${g} ${c}: no metadata`); return; }
      if (Number(m.row_group_num_rows) !== want) problems.push(`rg ${g}: ${m.row_group_num_rows} rows, expected ${want}`);
      const [mn, mx, nulls] = [row[2 + 3 * k], row[3 + 3 * k], Number(row[4 + 3 * k])];
      if (Number(m.stats_null_count) !== nulls) problems.push(`rg ${g} ${c}: null_count ${m.stats_null_count}, expected ${nulls}`);
      const same = (got, exp2) => (FLOATS.has(c) && got !== null && exp2 !== null ? Number(got) === Number(exp2) : got === exp2);
      if (!same(m.stats_min_value, mn)) problems.push(`rg ${g} ${c}: min ${m.stats_min_value}, expected ${mn}`);
      if (!same(m.stats_max_value, mx)) problems.push(`rg ${g} ${c}: max ${m.stats_max_value}, expected ${mx}`);
    });
  }
  assert.deepEqual(problems, []);
}

test('convert: every codec and page version round-trips; stats match DuckDB', async () => {
  requireSluice();
  const src = await makeSource('src_5000.parquet', N, 1000);
  for (const [codec, name] of [['zstd', 'ZSTD'], ['snappy', 'SNAPPY'], ['none', 'UNCOMPRESSED']]) {
    for (const pv of ['1', '2']) {
      const out = path.join(DIR, `out_${codec}_v${pv}.parquet`);
      const r = convert(src, out, ['--codec', codec, '--page-version', pv, '--row-group-rows', '1700']);
      assert.equal(r.rows, N);
      assert.equal(r.row_groups, 3);
      assert.equal(r.bytes, fs.statSync(out).size);
      await assertSameRows(src, out);
      await assertStats(out, 1700);
      const md = await queryObjects(`SELECT DISTINCT compression FROM parquet_metadata(${sqlStr(out)})`);
      assert.deepEqual(md.map((m) => m.compression), [name]);
    }
  }
});

test('convert: schema types, encodings and key/value metadata', async () => {
  const src = await makeSource('src_5000.parquet', N, 1000);
  const out = path.join(DIR, 'out_schema.parquet');
  convert(src, out);
  const types = Object.fromEntries((await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlStr(out)}))`)));
  const srcTypes = Object.fromEntries((await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlStr(src)}))`)));
  assert.deepEqual(types, srcTypes);
  const sch = Object.fromEntries((await queryObjects(`SELECT name, type, converted_type, logical_type FROM parquet_schema(${sqlStr(out)})`)).map((r) => [r.name, r]));
  assert.equal(sch.s.type, 'BYTE_ARRAY');
  assert.equal(sch.s.converted_type, 'UTF8');
  assert.equal(sch.tstz.type, 'INT64');
  assert.equal(sch.tstz.converted_type, 'TIMESTAMP_MICROS');
  assert.match(sch.tstz.logical_type, /isAdjustedToUTC=1/);
  assert.equal(sch.dt.converted_type, 'DATE');
  const enc = Object.fromEntries((await queryObjects(`SELECT path_in_schema, encodings FROM parquet_metadata(${sqlStr(out)}) WHERE row_group_id = 0`)).map((r) => [r.path_in_schema, r.encodings]));
  assert.match(enc.s, /RLE_DICTIONARY/);          // 50 distinct values: dictionary
  assert.doesNotMatch(enc.uniq, /RLE_DICTIONARY/); // all distinct: the dictionary does not pay
  assert.doesNotMatch(enc.b, /DICTIONARY/);        // booleans are never dictionary-encoded
  const kv = Object.fromEntries(await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${sqlStr(out)})`));
  assert.equal(kv.writer, 'sluice 0.1.0');
  assert.equal(kv.source, path.basename(src));
  const [[createdBy]] = await query(`SELECT created_by FROM parquet_file_metadata(${sqlStr(out)})`);
  assert.equal(createdBy, 'sluice version 0.1.0');
});

test('convert: --no-dictionary and --columns', async () => {
  const src = await makeSource('src_5000.parquet', N, 1000);
  const out = path.join(DIR, 'out_nodict.parquet');
  convert(src, out, ['--no-dictionary', '--page-version', '2']);
  const encs = await query(`SELECT DISTINCT encodings FROM parquet_metadata(${sqlStr(out)})`);
  for (const [e] of encs) assert.doesNotMatch(e, /DICTIONARY/);
  await assertSameRows(src, out);
  await assertStats(out, 1048576);
  const out2 = path.join(DIR, 'out_cols.parquet');
  convert(src, out2, ['--columns', 's,id,f64']);
  const names = (await query(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${sqlStr(out2)}))`)).map((r) => r[0]);
  assert.deepEqual(names, ['s', 'id', 'f64']);
  await assertSameRows(src, out2, ['s', 'id', 'f64']);
});

test('convert: 0-row and 1-row files, many small row groups', async () => {
  for (const [n, rg] of [[0, 1000], [1, 1000], [2500, 100]]) {
    const src = await makeSource(`src_${n}_${rg}.parquet`, n, rg);
    for (const args of [['--codec', 'zstd'], ['--codec', 'snappy', '--page-version', '2', '--row-group-rows', '333']]) {
      const out = path.join(DIR, `out_${n}_${args.length}.parquet`);
      const r = convert(src, out, args);
      assert.equal(r.rows, n);
      await assertSameRows(src, out);
      await assertStats(out, args.includes('--row-group-rows') ? 333 : 1048576);
    }
  }
});

test('convert: errors and usage', async () => {
  const src = await makeSource('src_5000.parquet', N, 1000);
  let r = runSluice(['convert', src]);
  assert.equal(r.status, 1);
  r = runSluice(['convert', src, path.join(DIR, 'x.parquet'), '--codec', 'lzo']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--codec needs zstd, snappy, gzip, brotli, lz4_raw \(lz4\) or none \(uncompressed\), got 'lzo'/);
  r = runSluice(['convert', src, path.join(DIR, 'no', 'such', 'dir', 'x.parquet')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot create temporary file/);
  r = runSluice(['convert', path.join(DIR, 'missing.parquet'), path.join(DIR, 'x2.parquet')]);
  assert.equal(r.status, 2);
  assert.ok(!fs.existsSync(path.join(DIR, 'x2.parquet')));
  r = runSluice(['convert', src, path.join(DIR, 'x3.parquet'), '--columns', 'nope']);
  assert.equal(r.status, 1);
  assert.ok(!fs.existsSync(path.join(DIR, 'x3.parquet')));
  // no temporary files are left behind
  assert.deepEqual(fs.readdirSync(DIR).filter((f) => f.includes('.tmp-')), []);
});

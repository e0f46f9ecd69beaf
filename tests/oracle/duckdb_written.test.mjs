// Files written by DuckDB (every codec it writes x Parquet V1/V2): sluice cat/inspect vs DuckDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeDuck, compareCat, compareInspect, ensureDataDir, exec, query, requireSluice, sqlStr } from './lib.mjs';

after(closeDuck);

const DIR = ensureDataDir('duckdb_written');
const CODECS = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'lz4_raw', 'brotli'];
const VERSIONS = ['V1', 'V2'];
const N = 5000;

// Deterministic all-types table.  Row 0..15 hold edge values; NULLs at different rates.
const TYPES_SQL = `
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 3 THEN NULL ELSE hash(i, 1) % 2 = 0 END AS b,
  CASE i WHEN 0 THEN -128 WHEN 1 THEN 127 ELSE (hash(i, 2) % 256)::INTEGER - 128 END::TINYINT AS i8,
  CASE i WHEN 0 THEN -32768 WHEN 1 THEN 32767 ELSE (hash(i, 3) % 65536)::INTEGER - 32768 END::SMALLINT AS i16,
  CASE WHEN i % 11 = 5 THEN NULL WHEN i = 0 THEN -2147483648 WHEN i = 1 THEN 2147483647 ELSE (hash(i, 4) % 4294967296)::BIGINT - 2147483648 END::INTEGER AS i32,
  CASE i WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 WHEN 2 THEN 9007199254740993
         ELSE (hash(i, 5) >> 1)::BIGINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END::BIGINT AS i64,
  CASE i WHEN 0 THEN 0 WHEN 1 THEN 255 ELSE hash(i, 6) % 256 END::UTINYINT AS u8,
  CASE i WHEN 0 THEN 0 WHEN 1 THEN 65535 ELSE hash(i, 7) % 65536 END::USMALLINT AS u16,
  CASE i WHEN 0 THEN 0 WHEN 1 THEN 4294967295 ELSE hash(i, 8) % 4294967296 END::UINTEGER AS u32,
  CASE WHEN i % 13 = 6 THEN NULL WHEN i = 0 THEN 0 WHEN i = 1 THEN 18446744073709551615 ELSE hash(i, 9) END::UBIGINT AS u64,
  CASE i WHEN 2 THEN 'nan'::FLOAT WHEN 3 THEN 'inf'::FLOAT WHEN 4 THEN '-inf'::FLOAT WHEN 5 THEN 0.1::FLOAT
         WHEN 6 THEN 3.4028235e38::FLOAT WHEN 7 THEN 1.4e-45::FLOAT WHEN 8 THEN 1e20::FLOAT WHEN 9 THEN 16777217::FLOAT
         ELSE ((hash(i, 10) % 2000001)::FLOAT - 1000000) / 1024 END AS f,
  CASE WHEN i % 17 = 10 THEN NULL WHEN i = 2 THEN 'nan'::DOUBLE WHEN i = 3 THEN 'inf'::DOUBLE WHEN i = 4 THEN '-inf'::DOUBLE
       WHEN i = 5 THEN 0.1 WHEN i = 6 THEN 1.7976931348623157e308 WHEN i = 7 THEN 5e-324 WHEN i = 8 THEN 1e20
       WHEN i = 9 THEN 1e21 WHEN i = 11 THEN 123456789012345678 WHEN i = 12 THEN 1.5 WHEN i = 13 THEN -0.000001
       ELSE ((hash(i, 11) % 2000000000001)::DOUBLE - 1000000000000) / 7 END::DOUBLE AS d,
  CASE i WHEN 8 THEN -0.05 WHEN 9 THEN 1.50 ELSE ((hash(i, 12) % 19999)::BIGINT - 9999) * 0.01 END::DECIMAL(4,2) AS dec4,
  CASE WHEN i % 19 = 7 THEN NULL WHEN i = 8 THEN -0.05 WHEN i = 9 THEN 12
       ELSE ((hash(i, 13) % 999999999999999999)::BIGINT - 499999999999999999) * 0.001 END::DECIMAL(18,3) AS dec18,
  CAST(CASE WHEN i % 2 = 0 THEN '' ELSE '-' END
       || lpad((hash(i, 14)::HUGEINT * (hash(i, 15) % 1000000000000000000)::HUGEINT)::VARCHAR, 38, '0')[1:28] || '.'
       || lpad((hash(i, 14)::HUGEINT * (hash(i, 15) % 1000000000000000000)::HUGEINT)::VARCHAR, 38, '0')[29:38] AS DECIMAL(38,10)) AS dec38,
  CASE WHEN i % 10 = 1 THEN NULL
       WHEN i = 0 THEN '' WHEN i = 2 THEN 'a,b' WHEN i = 3 THEN 'say "hi"' WHEN i = 4 THEN 'back\\slash'
       WHEN i = 5 THEN 'line' || chr(10) || 'break' || chr(13) || chr(10) || 'crlf' WHEN i = 6 THEN 'tab' || chr(9) || 'bed'
       WHEN i = 7 THEN 'é✓😀 日本' WHEN i = 8 THEN 'ctl' || chr(1) || chr(31) || chr(127) WHEN i = 9 THEN ' leading and trailing '
       WHEN i = 10 THEN 'NaN' WHEN i = 11 THEN 'null'
       ELSE 'str_' || (hash(i, 16) % 500)::VARCHAR END AS s,
  CASE WHEN i % 10 = 2 THEN NULL WHEN i = 0 THEN ''::BLOB WHEN i = 1 THEN unhex('5C') WHEN i = 3 THEN unhex('00FF7F80225C27')
       WHEN i = 4 THEN 'plain text, with comma'::BLOB
       ELSE unhex(printf('%016X', hash(i, 17))) END AS bl,
  CASE WHEN i % 23 = 4 THEN NULL ELSE DATE '1970-01-01' + ((hash(i, 18) % 200000)::INTEGER - 100000) END AS dt,
  CASE WHEN i = 0 THEN TIME '00:00:00' WHEN i = 1 THEN TIME '23:59:59.999999'
       ELSE TIME '00:00:00' + to_microseconds((hash(i, 19) % 86400000000)::BIGINT) END AS t,
  CASE WHEN i % 29 = 8 THEN NULL ELSE make_timestamp((hash(i, 20) % 4000000000000000)::BIGINT - 2000000000000000) END AS ts,
  CAST(make_timestamp((hash(i, 21) % 4000000000000000)::BIGINT - 2000000000000000) AS TIMESTAMP_MS) AS ts_ms,
  CASE WHEN i % 31 = 9 THEN NULL ELSE make_timestamp_ns((hash(i, 22) % 4000000000000000000)::BIGINT - 2000000000000000000) END AS ts_ns,
  CAST(make_timestamp((hash(i, 23) % 4000000000000000)::BIGINT - 2000000000000000) AS TIMESTAMPTZ) AS tstz,
  CASE WHEN i % 37 = 10 THEN NULL ELSE md5(i::VARCHAR)::UUID END AS u,
  CASE WHEN hash(i, 24) % 10 < 9 THEN NULL ELSE (hash(i, 25) >> 1)::BIGINT END AS null90_i64,
  CASE WHEN hash(i, 26) % 10 < 9 THEN NULL ELSE 'v' || (hash(i, 27) % 100000)::VARCHAR END AS null90_s,
  CASE WHEN hash(i, 28) % 10 < 9 THEN NULL ELSE ((hash(i, 29) % 1000)::DOUBLE) / 8 END AS null90_d,
  NULL::INTEGER AS allnull_i,
  NULL::VARCHAR AS allnull_s,
  NULL::DOUBLE AS allnull_d
FROM range(${N}) t(i)`;

const files = [];
for (const codec of CODECS) for (const v of VERSIONS) files.push({ codec, v, file: path.join(DIR, `types_${codec}_${v}.parquet`) });
const DICT = path.join(DIR, 'dict_fallback_zstd_V2.parquet');
const DICT1 = path.join(DIR, 'dict_fallback_snappy_V1.parquet');
const LONG = path.join(DIR, 'long_strings_zstd_V1.parquet');
const LONG2 = path.join(DIR, 'long_strings_uncompressed_V2.parquet');

before(async () => {
  await exec(`CREATE OR REPLACE TEMP TABLE types AS ${TYPES_SQL}`);
  for (const { codec, v, file } of files) {
    await exec(`COPY types TO ${sqlStr(file)} (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${v}, ROW_GROUP_SIZE 2048,
                KV_METADATA {writer: 'sluice-oracle', codec: '${codec}'})`);
  }
  // Dictionary fallback: 200k distinct 40-char strings + distinct int64s, and a low-cardinality column.
  const dictSql = `SELECT md5(i::VARCHAR) || lpad(i::VARCHAR, 8, '0') AS s40, (hash(i) >> 1)::BIGINT AS hi,
                     'k' || (i % 50)::VARCHAR AS lo, i::BIGINT AS seq FROM range(200000) t(i)`;
  await exec(`COPY (${dictSql}) TO ${sqlStr(DICT)} (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2)`);
  await exec(`COPY (${dictSql}) TO ${sqlStr(DICT1)} (FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V1, ROW_GROUP_SIZE 100000)`);
  // Long strings (100 KB and more), with a couple of NULLs and short ones.
  const longSql = `SELECT i AS id, CASE WHEN i % 9 = 4 THEN NULL WHEN i % 9 = 5 THEN 'short'
                     ELSE repeat(chr(65 + (i % 26)::INTEGER), 100000 + i) || md5(i::VARCHAR) || '"' || chr(10) END AS big,
                     repeat('x', (i * 3000)::INTEGER)::BLOB AS bigblob FROM range(60) t(i)`;
  await exec(`COPY (${longSql}) TO ${sqlStr(LONG)} (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V1, ROW_GROUP_SIZE 2048)`);
  await exec(`COPY (${longSql}) TO ${sqlStr(LONG2)} (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION V2)`);
});

test('DuckDB-written files have the intended shape', async () => {
  for (const { codec, file } of files) {
    const rg = await query(`SELECT count(DISTINCT row_group_id), min(compression), max(compression) FROM parquet_metadata(${sqlStr(file)})`);
    assert.ok(Number(rg[0][0]) >= 2, `${file}: expected several row groups`);
    const want = { uncompressed: 'UNCOMPRESSED', lz4: 'LZ4_RAW' }[codec] || codec.toUpperCase();
    assert.equal(rg[0][1], want); assert.equal(rg[0][2], want);
  }
  const enc = await query(`SELECT path_in_schema, encodings FROM parquet_metadata(${sqlStr(DICT1)}) WHERE path_in_schema IN ('s40', 'lo')`);
  assert.ok(enc.length > 0);
});

for (const { codec, v, file } of files) {
  test(`cat types ${codec} ${v} == DuckDB`, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(file), []);
  });
  test(`inspect --json types ${codec} ${v} == DuckDB parquet_metadata`, async () => {
    requireSluice();
    assert.deepEqual(await compareInspect(file, { minmax: true }), []);
  });
}

test('cat --format csv types (zstd V2 and uncompressed V1) == DuckDB', async () => {
  requireSluice();
  assert.deepEqual(await compareCat(path.join(DIR, 'types_zstd_V2.parquet'), { format: 'csv' }), []);
  assert.deepEqual(await compareCat(path.join(DIR, 'types_uncompressed_V1.parquet'), { format: 'csv' }), []);
});

test('cat --columns/--limit on types spanning row groups', async () => {
  requireSluice();
  const f = path.join(DIR, 'types_snappy_V1.parquet');
  assert.deepEqual(await compareCat(f, { columns: ['tstz', 'i64', 's', 'dec38'], limit: 3000 }), []);
  assert.deepEqual(await compareCat(f, { columns: ['allnull_s', 'null90_d'], limit: 2049 }), []);
});

for (const f of [DICT, DICT1]) {
  test(`cat ${path.basename(f)} (dictionary fallback, 200k distinct strings) == DuckDB`, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(f), []);
  });
  test(`inspect --json ${path.basename(f)} == DuckDB parquet_metadata`, async () => {
    requireSluice();
    assert.deepEqual(await compareInspect(f, { minmax: true }), []);
  });
}

for (const f of [LONG, LONG2]) {
  test(`cat ${path.basename(f)} (100 KB strings) == DuckDB, jsonl and csv`, async () => {
    requireSluice();
    assert.deepEqual(await compareCat(f), []);
    assert.deepEqual(await compareCat(f, { format: 'csv' }), []);
  });
  test(`inspect --json ${path.basename(f)} == DuckDB parquet_metadata`, async () => {
    requireSluice();
    assert.deepEqual(await compareInspect(f, { minmax: true }), []);
  });
}

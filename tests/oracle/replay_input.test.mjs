// Replay inputs (src/replay/input*.c) vs DuckDB: `sluice replay FILE --speed max
// --format jsonl` must carry, for every row, the 24 Redset values DuckDB reads
// from the same CSV / JSON Lines / Parquet file (compared as sets of rows sorted
// by the replay key), and flag exactly the bad text rows the generator injected.
// Parquet with the accepted alternative types (INT64 instance_id, BOOLEAN/INT64
// flags, INT64 counts, TIMESTAMP_MS / TIMESTAMP_NS arrival) is written by DuckDB
// and must read as the canonical values.
// Requires the `sluice replay` command: a missing command is a failure, not a skip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  REDSET_COLUMNS, Num, Obj, closeDuck, ensureDataDir, exec, parseJsonLines, query, requireSluice, runSluice,
  sluiceOk, sqlStr, ident,
} from './lib.mjs';

after(closeDuck);

const DIR = ensureDataDir('replay_input');
const ROWS = 20000;
const f = (name) => path.join(DIR, name);

function requireReplay() {
  requireSluice();
  const r = runSluice(['replay', '--help']);
  const text = `${r.stdout}\n${r.stderr}`;
  if (!/usage: sluice replay/.test(text)) {
    throw new Error(`'sluice replay' is not available (sluice replay --help printed: ${text.slice(0, 300)}); ` +
      'this test needs the replay command');
  }
}

function gen(out, extra = []) {
  const sum = `${out}.summary.json`;
  if (!fs.existsSync(out) || !fs.existsSync(sum)) {
    sluiceOk(['gen', '--rows', String(ROWS), '--seed', '11', '--order', 'shuffled', '--out', out, '--summary', sum, '--quiet', ...extra]);
  }
  return JSON.parse(fs.readFileSync(sum, 'utf8'));
}

function replay(file) {
  const out = sluiceOk(['replay', file, '--speed', 'max', '--format', 'jsonl', '--memory', '1G', '--quiet'], { timeout: 300_000 });
  const rows = parseJsonLines(out);
  for (const [i, r] of rows.entries()) if (!(r instanceof Obj)) throw new Error(`output line ${i + 1} is not an object`);
  return rows;
}

const DOUBLE_COLS = new Set(REDSET_COLUMNS.filter(([, t]) => t === 'DOUBLE').map(([n]) => n));
const NAMES = REDSET_COLUMNS.map(([n]) => n);

// Normalized cell text: null, numbers by value, strings tagged.
function norm(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Num) return `n:${Number(v.num)}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `n:${Number(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  return `?:${JSON.stringify(v)}`;
}
function sortRows(rows) {
  // replay key (source is constant within one input), then the whole row
  const key = (r) => [r[5] === 'null' ? '' : r[5], r[0] === 'null' ? -Infinity : Number(r[0].slice(2)),
    r[4] === 'null' ? -Infinity : Number(r[4].slice(2)), r.join('\u0001')];
  const ks = rows.map((r) => ({ r, k: key(r) }));
  ks.sort((a, b) => {
    for (let i = 0; i < 4; i++) {
      if (a.k[i] < b.k[i]) return -1;
      if (a.k[i] > b.k[i]) return 1;
    }
    return 0;
  });
  return ks.map((x) => x.r);
}

// DuckDB relation -> normalized rows in the canonical columns.
async function duckRows(relSql) {
  const sel = REDSET_COLUMNS.map(([n, t]) => {
    const c = ident(n);
    if (t === 'TIMESTAMP') return `strftime(CAST(${c} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%fZ')`;
    if (t === 'DOUBLE') return `CAST(${c} AS DOUBLE)`;
    if (t === 'VARCHAR') return `CAST(${c} AS VARCHAR)`;
    return `CAST(CAST(${c} AS BIGINT) AS VARCHAR)`;
  }).join(', ');
  const rows = await query(`SELECT ${sel} FROM ${relSql}`);
  return rows.map((r) => r.map((v, j) => {
    const t = REDSET_COLUMNS[j][1];
    if (v === null) return 'null';
    if (t === 'DOUBLE') return norm(Number(v));
    if (t === 'VARCHAR' || t === 'TIMESTAMP') return `s:${v}`;
    return `n:${Number(v)}`;
  }));
}

function sluiceRows(rows) {
  // NaN / Infinity doubles are JSON strings in sluice's output
  return rows.map((o) => NAMES.map((n) => {
    const v = o.get(n);
    return DOUBLE_COLS.has(n) && typeof v === 'string' ? norm(Number(v)) : norm(v);
  }));
}

function compareSets(label, got, exp) {
  const P = [];
  if (got.length !== exp.length) P.push(`${label}: ${got.length} rows, DuckDB has ${exp.length}`);
  const g = sortRows(got); const e = sortRows(exp);
  for (let i = 0; i < Math.min(g.length, e.length) && P.length < 20; i++) {
    for (let j = 0; j < NAMES.length; j++) {
      if (g[i][j] !== e[i][j]) P.push(`${label}: sorted row ${i} column ${NAMES[j]}: sluice ${g[i][j]}, DuckDB ${e[i][j]}`);
    }
  }
  return P;
}

function checkSystem(label, rows, source) {
  const P = [];
  const seen = new Set();
  for (const o of rows) {
    if (o.get('source') !== source) { P.push(`${label}: source ${o.get('source')}, expected ${source}`); break; }
    const ri = o.get('_input');
    if (!(ri instanceof Num) || ri.num !== '0') { P.push(`${label}: _input ${ri}`); break; }
    seen.add(Number(o.get('_row').num));
  }
  if (seen.size !== rows.length) P.push(`${label}: _row values not unique (${seen.size} distinct for ${rows.length} rows)`);
  for (let i = 0; i < rows.length; i++) if (!seen.has(i)) { P.push(`${label}: _row ${i} missing`); break; }
  return P;
}

// JSON Lines are independent lines: keep those that parse as objects (DuckDB's
// ignore_errors would instead resynchronise by gluing a truncated line to the next).
function validJsonLines(file) {
  const out = `${file}.valid.jsonl`;
  const keep = fs.readFileSync(file, 'utf8').split('\n').filter((l) => {
    try { const v = JSON.parse(l); return v !== null && typeof v === 'object' && !Array.isArray(v); } catch { return false; }
  });
  fs.writeFileSync(out, keep.join('\n') + '\n');
  return out;
}

const CSV_TYPES = `{${REDSET_COLUMNS.map(([n, t]) => `${sqlStr(n)}: ${sqlStr(t)}`).join(', ')}}`;

before(async () => {
  requireSluice();
  gen(f('clean.csv'));
  gen(f('clean.jsonl'));
  gen(f('clean.parquet'), ['--row-group-rows', '3000']);
  gen(f('bad.csv'), ['--bad-rows', '0.08']);
  gen(f('bad.jsonl'), ['--bad-rows', '0.08']);
  const alt = f('alt.parquet');
  if (!fs.existsSync(alt)) {
    await exec(`COPY (SELECT instance_id::BIGINT AS instance_id, cluster_size, user_id::INTEGER AS user_id, database_id,
        query_id, arrival_timestamp::TIMESTAMP_MS AS arrival_timestamp, compile_duration_ms::BIGINT AS compile_duration_ms,
        queue_duration_ms::DOUBLE AS queue_duration_ms, execution_duration_ms, feature_fingerprint,
        was_aborted::BOOLEAN AS was_aborted, was_cached::BIGINT AS was_cached, cache_source_query_id::BIGINT AS cache_source_query_id,
        query_type, num_permanent_tables_accessed::BIGINT AS num_permanent_tables_accessed,
        num_external_tables_accessed::INTEGER AS num_external_tables_accessed, num_system_tables_accessed::BIGINT AS num_system_tables_accessed,
        read_table_ids, write_table_ids, mbytes_scanned::BIGINT AS mbytes_scanned, mbytes_spilled, num_joins::INTEGER AS num_joins,
        num_scans, num_aggregations, 'x' || query_id AS note, query_id % 3 = 0 AS odd_flag
      FROM read_parquet(${sqlStr(f('clean.parquet'))})) TO ${sqlStr(alt)} (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
  }
  const ns = f('ns.parquet');
  if (!fs.existsSync(ns)) {
    await exec(`COPY (SELECT * REPLACE (arrival_timestamp::TIMESTAMP_NS + INTERVAL 999 MICROSECOND AS arrival_timestamp)
      FROM read_parquet(${sqlStr(f('clean.parquet'))})) TO ${sqlStr(ns)} (FORMAT parquet)`);
  }
});

test('sluice replay command exists', () => {
  requireReplay();
});

test('CSV input == DuckDB read_csv', async () => {
  requireReplay();
  const rows = replay(f('clean.csv'));
  assert.deepEqual(checkSystem('clean.csv', rows, 'clean'), []);
  assert.equal(rows.filter((o) => o.get('_error') !== null).length, 0, 'no row of a clean CSV is flagged');
  const exp = await duckRows(`read_csv(${sqlStr(f('clean.csv'))}, header=true, columns=${CSV_TYPES})`);
  assert.deepEqual(compareSets('clean.csv', sluiceRows(rows), exp), []);
});

test('JSON Lines input == DuckDB read_json', async () => {
  requireReplay();
  const rows = replay(f('clean.jsonl'));
  assert.deepEqual(checkSystem('clean.jsonl', rows, 'clean'), []);
  assert.equal(rows.filter((o) => o.get('_error') !== null).length, 0, 'no row of a clean JSONL file is flagged');
  const exp = await duckRows(`read_json(${sqlStr(f('clean.jsonl'))}, format='newline_delimited', columns=${CSV_TYPES})`);
  assert.deepEqual(compareSets('clean.jsonl', sluiceRows(rows), exp), []);
});

test('Parquet input == DuckDB read_parquet', async () => {
  requireReplay();
  const rows = replay(f('clean.parquet'));
  assert.deepEqual(checkSystem('clean.parquet', rows, 'clean'), []);
  const exp = await duckRows(`read_parquet(${sqlStr(f('clean.parquet'))})`);
  assert.deepEqual(compareSets('clean.parquet', sluiceRows(rows), exp), []);
  assert.ok(rows.every((o) => o.get('_extra') === null && o.get('_error') === null));
});

test('Parquet with alternative types (INT64/BOOLEAN/TIMESTAMP_MS, extra columns) == DuckDB cast', async () => {
  requireReplay();
  const rows = replay(f('alt.parquet'));
  const exp = await duckRows(`read_parquet(${sqlStr(f('alt.parquet'))})`);
  assert.deepEqual(compareSets('alt.parquet', sluiceRows(rows), exp), []);
  // unknown columns land in _extra as a JSON object
  const bad = rows.filter((o) => {
    const x = o.get('_extra');
    if (typeof x !== 'string') return true;
    const q = o.get('query_id').num;
    return x !== `{"note":"x${q}","odd_flag":${BigInt(q) % 3n === 0n}}`;
  });
  assert.equal(bad.length, 0, `_extra wrong, e.g. ${bad[0] && bad[0].get('_extra')}`);
});

test('Parquet TIMESTAMP_NS floors to microseconds', async () => {
  requireReplay();
  const rows = replay(f('ns.parquet'));
  const exp = await duckRows(`(SELECT * REPLACE (date_trunc('microsecond', arrival_timestamp::TIMESTAMP_NS)::TIMESTAMP AS arrival_timestamp)
    FROM read_parquet(${sqlStr(f('ns.parquet'))}))`);
  assert.deepEqual(compareSets('ns.parquet', sluiceRows(rows), exp), []);
});

for (const ext of ['csv', 'jsonl']) {
  test(`bad rows in ${ext}: flagged rows == the generator's injected text faults`, async () => {
    requireReplay();
    const sum = gen(f(`bad.${ext}`), ['--bad-rows', '0.08']);
    const rows = replay(f(`bad.${ext}`));
    assert.equal(rows.length, sum.rows_out, 'every line is a row (nothing dropped)');
    assert.deepEqual(checkSystem(`bad.${ext}`, rows, 'bad'), []);
    const errs = rows.map((o) => o.get('_error')).filter((e) => e !== null);
    const mal = errs.filter((e) => e.startsWith('malformed: line '));
    const bts = errs.filter((e) => e.startsWith('bad_timestamp: line '));
    assert.equal(mal.length + bts.length, errs.length, `unexpected _error texts: ${errs.filter((e) => !/^(malformed|bad_timestamp): line /.test(e)).slice(0, 3)}`);
    assert.ok(sum.malformed_text > 0 && sum.bad_timestamp_text > 0, 'the generator injected text faults');
    assert.equal(mal.length, sum.malformed_text, 'malformed rows');
    assert.equal(bts.length, sum.bad_timestamp_text, 'bad_timestamp rows');
    for (const o of rows) {
      const e = o.get('_error');
      if (e === null) continue;
      if (e.startsWith('bad_timestamp')) {
        assert.equal(o.get('arrival_timestamp'), null, `bad timestamp kept a value: ${e}`);
        assert.match(e, /^bad_timestamp: line \d+: '.*' is not a timestamp$/);
      } else if (/expected \d+ fields|at column \d+$/.test(e)) {
        for (const n of NAMES) assert.equal(o.get(n), null, `unreadable record kept ${n}: ${e}`);
      } else {
        assert.match(e, /^malformed: line \d+: column 'num_joins': 'many' is not an integer$/);
        assert.equal(o.get('num_joins'), null);
        assert.notEqual(o.get('query_id'), null);
      }
    }
    // the clean rows equal DuckDB's typed read of the clean lines
    const clean = rows.filter((o) => o.get('_error') === null);
    const src = ext === 'csv'
      ? `read_csv(${sqlStr(f(`bad.${ext}`))}, header=true, all_varchar=true, null_padding=true, allow_quoted_nulls=false)`
      : `read_json(${sqlStr(validJsonLines(f(`bad.${ext}`)))}, format='newline_delimited', columns={${REDSET_COLUMNS.map(([n]) => `${sqlStr(n)}: 'VARCHAR'`).join(', ')}})`;
    const casts = REDSET_COLUMNS.map(([n, t]) => `TRY_CAST(${ident(n)} AS ${t}) AS ${ident(n)}`).join(', ');
    const conds = REDSET_COLUMNS.map(([n, t]) => `(${ident(n)} IS NULL OR TRY_CAST(${ident(n)} AS ${t}) IS NOT NULL)`).join(' AND ');
    // DuckDB's cast ignores an impossible zone offset ('...T12:00:00+99:99' -> 12:00:00) that
    // sluice rejects as bad_timestamp; the generator's clean timestamps never carry an offset.
    const noOffset = `NOT regexp_matches(coalesce(arrival_timestamp, ''), '[+-][0-9][0-9]:[0-9][0-9]$')`;
    const exp = await duckRows(`(SELECT ${casts} FROM ${src} WHERE ${conds} AND ${noOffset} AND ${ident('num_aggregations')} IS NOT NULL)`);
    assert.deepEqual(compareSets(`bad.${ext} clean rows`, sluiceRows(clean), exp), []);
  });
}

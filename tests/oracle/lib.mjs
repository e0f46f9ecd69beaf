// Shared helpers for the DuckDB oracle tests (and the read benchmark in bench/).
//
// The oracle: DuckDB (via @duckdb/node-api) reads the same Parquet file as
// sluice.  For every leaf column we derive, from the Parquet schema (DuckDB's
// parquet_schema()), the "kind" of value sluice must print and build, in SQL,
// the exact text sluice must print.  sluice's output is parsed with a lossless
// JSON-lines parser (number tokens kept as text) or an RFC 4180 CSV parser and
// compared cell by cell.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const SLUICE_BIN = process.env.SLUICE_BIN || path.join(REPO, 'build', 'release', 'sluice');
export const SLUICE_SHARED = process.env.SLUICE_SHARED || path.resolve(REPO, '..', 'shared');
export const DATA_DIR = path.join(REPO, 'build', 'oracle-data');
export const PT_DIR = path.join(SLUICE_SHARED, 'data', 'parquet-testing');
export const REDSET_CSV = path.join(SLUICE_SHARED, 'data', 'redset', 'serverless_sample_0.001.csv');

export function ensureDataDir(sub = '') {
  const d = path.join(DATA_DIR, sub);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export const sqlStr = (s) => `'${String(s).replace(/'/g, "''")}'`;
export const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

// The Redset schema (physical types of the published Parquet files).
export const REDSET_COLUMNS = [
  ['instance_id', 'INTEGER'], ['cluster_size', 'DOUBLE'], ['user_id', 'BIGINT'], ['database_id', 'BIGINT'],
  ['query_id', 'BIGINT'], ['arrival_timestamp', 'TIMESTAMP'], ['compile_duration_ms', 'DOUBLE'],
  ['queue_duration_ms', 'BIGINT'], ['execution_duration_ms', 'BIGINT'], ['feature_fingerprint', 'VARCHAR'],
  ['was_aborted', 'INTEGER'], ['was_cached', 'INTEGER'], ['cache_source_query_id', 'DOUBLE'], ['query_type', 'VARCHAR'],
  ['num_permanent_tables_accessed', 'DOUBLE'], ['num_external_tables_accessed', 'DOUBLE'],
  ['num_system_tables_accessed', 'DOUBLE'], ['read_table_ids', 'VARCHAR'], ['write_table_ids', 'VARCHAR'],
  ['mbytes_scanned', 'DOUBLE'], ['mbytes_spilled', 'DOUBLE'], ['num_joins', 'BIGINT'], ['num_scans', 'BIGINT'],
  ['num_aggregations', 'BIGINT'],
];

// ---------------------------------------------------------------- DuckDB
let _inst = null;
let _conn = null;
export async function duck() {
  if (_conn) return _conn;
  _inst = await DuckDBInstance.create(':memory:');
  _conn = await _inst.connect();
  // timestamptz is rendered in UTC; everything below is deterministic.
  await _conn.run(`SET TimeZone='UTC'`);
  return _conn;
}
export function closeDuck() {
  try { _conn && _conn.closeSync(); } catch { /* ignore */ }
  try { _inst && _inst.closeSync(); } catch { /* ignore */ }
  _conn = null; _inst = null;
}
/** Rows as arrays of JS values (VARCHAR -> string, BIGINT -> bigint, DOUBLE -> number). */
export async function query(sql) {
  const c = await duck();
  const r = await c.runAndReadAll(sql);
  return r.getRows();
}
export async function queryObjects(sql) {
  const c = await duck();
  const r = await c.runAndReadAll(sql);
  return r.getRowObjects();
}
export async function exec(sql) {
  const c = await duck();
  await c.run(sql);
}

// ---------------------------------------------------------------- sluice
export function sluiceExists() {
  try { fs.accessSync(SLUICE_BIN, fs.constants.X_OK); return true; } catch { return false; }
}
export function requireSluice(t) {
  if (!sluiceExists()) {
    throw new Error(`sluice binary not found or not executable at ${SLUICE_BIN} ` +
      `(build it with 'make' or set SLUICE_BIN)`);
  }
}
export function runSluice(args, opts = {}) {
  const r = spawnSync(SLUICE_BIN, args, {
    encoding: 'utf8', maxBuffer: 2 * 1024 * 1024 * 1024, timeout: opts.timeout ?? 120_000, env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  if (r.error) throw new Error(`spawning ${SLUICE_BIN} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
export function sluiceOk(args, opts) {
  const r = runSluice(args, opts);
  if (r.status !== 0) {
    throw new Error(`sluice ${args.join(' ')} exited ${r.status}${r.signal ? ' signal ' + r.signal : ''}: ` +
      `${(r.stderr || '').slice(0, 2000)}`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------- lossless JSON
// Values: null, true/false, JS string, {num: 'text'} for numbers,
// {obj: [[key, value], ...]} for objects (key order kept), arrays as JS arrays.
export class Num { constructor(text) { this.num = text; } toString() { return this.num; } }
export class Obj {
  constructor(pairs) { this.pairs = pairs; }
  get(k) { for (const [kk, v] of this.pairs) if (kk === k) return v; return undefined; }
  has(k) { return this.pairs.some(([kk]) => kk === k); }
  keys() { return this.pairs.map(([k]) => k); }
}
export function parseJsonLossless(text) {
  let i = 0;
  const n = text.length;
  const err = (m) => { throw new Error(`JSON parse error at offset ${i}: ${m}: ${JSON.stringify(text.slice(Math.max(0, i - 40), i + 40))}`); };
  const ws = () => { while (i < n) { const c = text.charCodeAt(i); if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break; } };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const pairs = []; ws();
      if (text[i] === '}') { i++; return new Obj(pairs); }
      for (;;) {
        ws(); if (text[i] !== '"') err('expected key');
        const k = str(); ws(); if (text[i] !== ':') err('expected :'); i++;
        pairs.push([k, value()]); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return new Obj(pairs); }
        err('expected , or }');
      }
    }
    if (c === '[') {
      i++; const arr = []; ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value()); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        err('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) err('unexpected token');
    i += m[0].length;
    return new Num(m[0]);
  };
  const str = () => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) err('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) err('raw control character in string');
      if (c === 92) {
        out += text.slice(start, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break; case '\\': out += '\\'; break; case '/': out += '/'; break;
          case 'b': out += '\b'; break; case 'f': out += '\f'; break; case 'n': out += '\n'; break;
          case 'r': out += '\r'; break; case 't': out += '\t'; break;
          case 'u': {
            const h = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) err('bad \\u escape');
            out += String.fromCharCode(parseInt(h, 16)); i += 4; break;
          }
          default: err('bad escape');
        }
        i += 2; start = i; continue;
      }
      i++;
    }
  };
  const v = value(); ws();
  if (i !== n) err('trailing characters');
  return v;
}
export function parseJsonLines(text) {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('jsonl output does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  return lines.map((l, idx) => {
    try { return parseJsonLossless(l); } catch (e) { throw new Error(`line ${idx + 1}: ${e.message}`); }
  });
}

// ---------------------------------------------------------------- CSV (RFC 4180)
// Returns records: arrays of {v: string, q: wasQuoted}.
export function parseCsv(text) {
  const recs = [];
  let rec = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return recs;
  for (;;) {
    let v = ''; let q = false;
    if (text[i] === '"') {
      q = true; i++;
      for (;;) {
        if (i >= n) throw new Error(`CSV: unterminated quoted field in record ${recs.length + 1}`);
        const j = text.indexOf('"', i);
        if (j < 0) throw new Error(`CSV: unterminated quoted field in record ${recs.length + 1}`);
        v += text.slice(i, j);
        if (text[j + 1] === '"') { v += '"'; i = j + 2; continue; }
        i = j + 1; break;
      }
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '"') throw new Error(`CSV: bare quote inside unquoted field in record ${recs.length + 1}`);
        i++;
      }
      v = text.slice(start, i);
    }
    rec.push({ v, q });
    if (i >= n) { recs.push(rec); break; }
    const c = text[i];
    if (c === ',') { i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') i += 2;
    else if (c === '\n') i += 1;
    else throw new Error(`CSV: unexpected character ${JSON.stringify(c)} after field in record ${recs.length + 1}`);
    recs.push(rec); rec = [];
    if (i >= n) break;
  }
  return recs;
}

// ---------------------------------------------------------------- schema -> kinds
function unitOf(col) {
  const lt = col.logical || '';
  if (/MILLIS=MilliSeconds/.test(lt)) return 'ms';
  if (/MICROS=MicroSeconds/.test(lt)) return 'us';
  if (/NANOS=NanoSeconds/.test(lt)) return 'ns';
  const ct = col.converted || '';
  if (/MILLIS/.test(ct)) return 'ms';
  if (/MICROS/.test(ct)) return 'us';
  return null;
}
const DIGITS = { ms: 3, us: 6, ns: 9 };
function checkUnit(col) { if (!DIGITS[col.unit]) throw new Error(`cannot determine time unit of column ${col.name}`); }

/** Leaf columns of a flat Parquet file with the value kind sluice must print. */
export async function parquetColumns(file) {
  const rows = await queryObjects(
    `SELECT name, type, type_length, repetition_type, num_children, converted_type, scale, precision, logical_type
       FROM parquet_schema(${sqlStr(file)})`);
  const leaves = rows.slice(1).filter((r) => r.num_children === null || Number(r.num_children) === 0);
  return leaves.map((r) => {
    const col = {
      name: r.name, physical: r.type, converted: r.converted_type, logical: r.logical_type,
      repetition: r.repetition_type,
      scale: r.scale === null ? null : Number(r.scale), precision: r.precision === null ? null : Number(r.precision),
      type_length: r.type_length === null ? null : Number(r.type_length),
    };
    const ct = col.converted || ''; const lt = col.logical || '';
    let kind;
    if (ct === 'DECIMAL' || /^DecimalType/.test(lt)) kind = 'decimal';
    else switch (col.physical) {
      case 'BOOLEAN': kind = 'bool'; break;
      case 'FLOAT': kind = 'float'; break;
      case 'DOUBLE': kind = 'double'; break;
      case 'INT96': kind = 'timestamp'; col.unit = 'ns'; break;
      case 'INT32': case 'INT64':
        if (ct === 'DATE' || /^DateType/.test(lt)) kind = 'date';
        else if (/^TIME_/.test(ct) || /^TimeType/.test(lt)) { kind = 'time'; col.unit = unitOf(col); }
        else if (/^TIMESTAMP_/.test(ct) || /^TimestampType/.test(lt)) { kind = 'timestamp'; col.unit = unitOf(col); }
        else kind = 'int';
        break;
      case 'BYTE_ARRAY':
        if (['UTF8', 'ENUM', 'JSON'].includes(ct) || /^(StringType|EnumType|JsonType)/.test(lt)) kind = 'string';
        else kind = 'blob';
        break;
      case 'FIXED_LEN_BYTE_ARRAY':
        if (/^UUIDType/.test(lt)) kind = 'uuid';
        else if (ct === 'INTERVAL' || /^Float16/.test(lt)) kind = 'unsupported';
        else kind = 'blob';
        break;
      default: kind = 'unsupported';
    }
    col.kind = kind;
    if (kind === 'time' || kind === 'timestamp') checkUnit(col);
    col.adjusted = /isAdjustedToUTC=1/.test(lt);
    return col;
  });
}

/** SQL expression producing the exact text sluice must print for this column (NULL stays NULL). */
export function expectedExpr(col) {
  const c = ident(col.name);
  switch (col.kind) {
    case 'timestamp': {
      if (col.unit === 'ns') {
        // NB: DuckDB 1.5.6 strftime('%n') followed by more text is broken (prints 6 digits then
        // garbage), and CAST(TIMESTAMP_NS AS TIMESTAMP) rounds; build the text from epoch_ns.
        const ns = `epoch_ns(CAST(${c} AS TIMESTAMP_NS))`;
        const frac = `(((${ns} % 1000000000) + 1000000000) % 1000000000)`;
        return `(strftime(make_timestamp((${ns} - ${frac}) // 1000), '%Y-%m-%dT%H:%M:%S.') || lpad(CAST(${frac} AS VARCHAR), 9, '0') || 'Z')`;
      }
      const f = col.unit === 'ms' ? '%g' : '%f';
      return `strftime(CAST(${c} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.${f}Z')`;
    }
    case 'date': return `strftime(${c}, '%Y-%m-%d')`;
    default: return `CAST(${c} AS VARCHAR)`; // time is padded in JS (see fixTime)
  }
}
function fixTime(s, unit) {
  if (s === null) return null;
  const [hms, frac = ''] = s.split('.');
  const d = DIGITS[unit];
  const f = (frac + '000000000').slice(0, 9);
  if (f.slice(d) !== '000000000'.slice(d)) throw new Error(`time ${s} has more precision than unit ${unit}`);
  return `${hms}.${f.slice(0, d)}`;
}

/** Expected cell texts: array of rows (arrays of string|null) in file order. */
export async function expectedRows(file, cols, { limit } = {}) {
  const sel = cols.map((col, k) => `${expectedExpr(col)} AS e${k}`).join(', ');
  const lim = limit !== undefined ? ` LIMIT ${limit}` : '';
  const rows = await query(`SELECT ${sel} FROM read_parquet(${sqlStr(file)}, file_row_number=true) ORDER BY file_row_number${lim}`);
  cols.forEach((col, k) => {
    if (col.kind === 'time') for (const r of rows) r[k] = fixTime(r[k], col.unit);
  });
  return rows;
}

// ---------------------------------------------------------------- cell comparison
const SPECIAL = { nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' };
const show = (v) => (v instanceof Num ? v.num : v === undefined ? '<missing>' : JSON.stringify(v));
const clip = (s) => (typeof s === 'string' && s.length > 200 ? s.slice(0, 200) + `...(${s.length} chars)` : s);

/** Compare one JSON cell; returns null if equal, else a description. */
export function compareJsonCell(kind, exp, got) {
  if (exp === null) return got === null ? null : `expected null, got ${clip(show(got))}`;
  if (got === null) return `expected ${clip(JSON.stringify(exp))}, got null`;
  switch (kind) {
    case 'int': case 'decimal':
      if (!(got instanceof Num)) return `expected JSON number ${exp}, got ${clip(show(got))}`;
      return got.num === exp ? null : `expected ${exp}, got ${got.num}`;
    case 'bool':
      if (typeof got !== 'boolean') return `expected JSON boolean ${exp}, got ${clip(show(got))}`;
      return String(got) === exp ? null : `expected ${exp}, got ${got}`;
    case 'float': case 'double': {
      if (SPECIAL[exp]) return got === SPECIAL[exp] ? null : `expected "${SPECIAL[exp]}", got ${show(got)}`;
      if (!(got instanceof Num)) return `expected JSON number ${exp}, got ${clip(show(got))}`;
      return floatEq(kind, exp, got.num) ? null : `expected ${exp}, got ${got.num}`;
    }
    default:
      if (typeof got !== 'string') return `expected JSON string ${clip(JSON.stringify(exp))}, got ${clip(show(got))}`;
      return got === exp ? null : `expected ${clip(JSON.stringify(exp))}, got ${clip(JSON.stringify(got))}`;
  }
}
function floatEq(kind, exp, gotText) {
  const a = Number(exp); const b = Number(gotText);
  if (kind === 'float') return Math.fround(a) === Math.fround(b);
  return a === b;
}
/** Compare one CSV cell ({v, q}). */
export function compareCsvCell(kind, exp, got) {
  if (got === undefined) return 'missing field';
  if (exp === null) return (got.v === '' && !got.q) ? null : `expected NULL (empty unquoted), got ${clip(JSON.stringify(got.v))}${got.q ? ' (quoted)' : ''}`;
  if (exp === '') return (got.v === '' && got.q) ? null : `expected empty string (""), got ${got.q ? 'quoted ' : ''}${JSON.stringify(got.v)}`;
  if (/[",\r\n]/.test(got.v) && !got.q) return `field containing special characters is not quoted`;
  if (kind === 'float' || kind === 'double') {
    if (SPECIAL[exp]) return got.v === SPECIAL[exp] ? null : `expected ${SPECIAL[exp]}, got ${got.v}`;
    if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(got.v)) return `expected number ${exp}, got ${JSON.stringify(got.v)}`;
    return floatEq(kind, exp, got.v) ? null : `expected ${exp}, got ${got.v}`;
  }
  return got.v === exp ? null : `expected ${clip(JSON.stringify(exp))}, got ${clip(JSON.stringify(got.v))}`;
}

const MAX_REPORT = 25;
function fmtMismatches(label, mm, total) {
  return `${label}: ${total} mismatching cell(s)/problem(s); first ${mm.length}:\n  ` + mm.join('\n  ');
}

/**
 * Run `sluice cat` and compare with DuckDB. Returns list of problems (empty = pass).
 * opts: columns (array of names, projection), limit, format ('jsonl'|'csv'), expected (override rows)
 */
export async function compareCat(file, opts = {}) {
  const allCols = await parquetColumns(file);
  let cols = allCols.filter((c) => c.kind !== 'unsupported');
  if (opts.columns) cols = opts.columns.map((n) => allCols.find((c) => c.name === n));
  const args = ['cat', file];
  if (opts.columns || cols.length !== allCols.length) args.push('--columns', cols.map((c) => c.name).join(','));
  if (opts.limit !== undefined) args.push('--limit', String(opts.limit));
  const format = opts.format || 'jsonl';
  if (opts.format) args.push('--format', format);
  const exp = opts.expected || await expectedRows(file, cols, { limit: opts.limit });
  const out = sluiceOk(args);
  const label = `sluice ${args.map((a) => path.basename(a)).join(' ')}`;
  const problems = [];
  let total = 0;
  const add = (m) => { total++; if (problems.length < MAX_REPORT) problems.push(m); };
  const names = cols.map((c) => c.name);
  if (format === 'jsonl') {
    const got = parseJsonLines(out);
    if (got.length !== exp.length) add(`row count: expected ${exp.length}, got ${got.length}`);
    const nr = Math.min(got.length, exp.length);
    for (let r = 0; r < nr; r++) {
      const o = got[r];
      if (!(o instanceof Obj)) { add(`row ${r}: not a JSON object`); continue; }
      const keys = o.keys();
      if (keys.length !== names.length || keys.some((k, j) => k !== names[j])) {
        add(`row ${r}: keys ${JSON.stringify(keys)} != expected ${JSON.stringify(names)}`); continue;
      }
      for (let j = 0; j < cols.length; j++) {
        const d = compareJsonCell(cols[j].kind, exp[r][j], o.pairs[j][1]);
        if (d) add(`row ${r} column ${names[j]} (${cols[j].physical}/${cols[j].kind}): ${d}`);
      }
    }
  } else {
    const recs = parseCsv(out);
    const header = (recs.shift() || []).map((f) => f.v);
    if (header.join('\u0000') !== names.join('\u0000')) add(`CSV header ${JSON.stringify(header)} != expected ${JSON.stringify(names)}`);
    if (recs.length !== exp.length) add(`row count: expected ${exp.length}, got ${recs.length}`);
    const nr = Math.min(recs.length, exp.length);
    for (let r = 0; r < nr; r++) {
      if (recs[r].length !== names.length) { add(`row ${r}: ${recs[r].length} fields, expected ${names.length}`); continue; }
      for (let j = 0; j < cols.length; j++) {
        const d = compareCsvCell(cols[j].kind, exp[r][j], recs[r][j]);
        if (d) add(`row ${r} column ${names[j]} (${cols[j].physical}/${cols[j].kind}): ${d}`);
      }
    }
  }
  return problems.length ? [fmtMismatches(`${label} vs DuckDB`, problems, total)] : [];
}

// ---------------------------------------------------------------- scan oracle
/**
 * DuckDB's per-column count/sum with sluice scan semantics, for the given columns.
 * Integers (incl. date/time/timestamp as their stored integer, booleans as 0/1): exact sum
 * wrapped to int64 (BigInt).  FLOAT/DOUBLE: returns {doubleSql} to be summed; strings/binary:
 * total byte length.  kinds 'decimal', 'uuid', 'unsupported' are not checked (returns null).
 */
export function scanExprs(col) {
  const c = ident(col.name);
  switch (col.kind) {
    case 'int': return { type: 'int', sum: `sum(${c})` };
    case 'bool': return { type: 'int', sum: `sum(CAST(${c} AS INTEGER))` };
    case 'date': return { type: 'int', sum: `sum(${c} - DATE '1970-01-01')` };
    case 'timestamp': {
      if (col.unit === 'ms') return { type: 'int', sum: `sum(epoch_ms(CAST(${c} AS TIMESTAMP)))` };
      if (col.unit === 'ns') return { type: 'int', sum: `sum(epoch_ns(CAST(${c} AS TIMESTAMP_NS)))` };
      return { type: 'int', sum: `sum(epoch_us(CAST(${c} AS TIMESTAMP)))` };
    }
    case 'time':
      if (col.unit === 'us') return { type: 'int', sum: `sum((hour(${c})*3600 + minute(${c})*60)::BIGINT*1000000 + microsecond(${c}))` };
      return null;
    case 'float': case 'double': return { type: 'double', sum: `sum(${c})` };
    case 'string': return { type: 'int', sum: `sum(strlen(${c}))` }; // strlen = bytes
    case 'blob': return { type: 'int', sum: `sum(octet_length(${c}))` };
    default: return null;
  }
}
export function wrapInt64(text) {
  return BigInt.asIntN(64, BigInt(text)).toString();
}
/**
 * Expected scan results: {rows, columns:[{name, kind, count, sum (string for ints, number for doubles), type}]}.
 * Double sums are computed in JS in file row order (exact IEEE addition, like sluice's contract).
 */
export async function expectedScan(file, cols) {
  const checked = cols.map((col) => ({ col, e: scanExprs(col) }));
  const parts = [];
  for (const { col, e } of checked) {
    parts.push(`count(${ident(col.name)})::VARCHAR`);
    parts.push(e && e.type === 'int' ? `CAST(${e.sum} AS VARCHAR)` : 'NULL');
  }
  const [row] = await query(`SELECT count(*)::VARCHAR, ${parts.join(', ')} FROM read_parquet(${sqlStr(file)})`);
  const res = { rows: row[0], columns: [] };
  for (let k = 0; k < checked.length; k++) {
    const { col, e } = checked[k];
    const entry = { name: col.name, kind: col.kind, count: row[1 + 2 * k], type: e ? e.type : null };
    if (e && e.type === 'int') entry.sum = row[2 + 2 * k] === null ? '0' : wrapInt64(row[2 + 2 * k]);
    res.columns.push(entry);
  }
  // doubles in row order, summed in JS
  const dcols = res.columns.filter((c) => c.type === 'double');
  if (dcols.length) {
    const c = await duck();
    const sel = dcols.map((d) => `CAST(${ident(d.name)} AS DOUBLE)`).join(', ');
    const sums = dcols.map(() => 0);
    const r = await c.stream(`SELECT ${sel} FROM read_parquet(${sqlStr(file)}, file_row_number=true) ORDER BY file_row_number`);
    for (;;) {
      const chunk = await r.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const colsData = chunk.getColumns();
      for (let j = 0; j < dcols.length; j++) {
        const v = colsData[j];
        let s = sums[j];
        for (let i = 0; i < v.length; i++) { const x = v[i]; if (x !== null) s += x; }
        sums[j] = s;
      }
    }
    dcols.forEach((d, j) => { d.sum = sums[j]; });
  }
  return res;
}

/** Compare parsed `sluice scan` output (Obj) with expectedScan(). Returns problems. */
export function compareScan(label, got, exp, { relTol = 0 } = {}) {
  const p = [];
  if (!(got instanceof Obj)) return [`${label}: scan output is not a JSON object`];
  const rows = got.get('rows');
  if (!(rows instanceof Num) || rows.num !== exp.rows) p.push(`${label}: rows expected ${exp.rows}, got ${show(rows)}`);
  for (const k of ['seconds', 'rows_per_s', 'peak_rss_bytes']) {
    if (!(got.get(k) instanceof Num)) p.push(`${label}: field ${k} missing or not a number (${show(got.get(k))})`);
  }
  const gcols = got.get('columns');
  if (!Array.isArray(gcols)) return [...p, `${label}: "columns" missing or not an array`];
  const gnames = gcols.map((c) => (c instanceof Obj ? c.get('name') : undefined));
  const enames = exp.columns.map((c) => c.name);
  if (gnames.join('\u0000') !== enames.join('\u0000')) p.push(`${label}: column names ${JSON.stringify(gnames)} != expected ${JSON.stringify(enames)}`);
  for (const e of exp.columns) {
    const g = gcols.find((c) => c instanceof Obj && c.get('name') === e.name);
    if (!g) continue;
    const cnt = g.get('count');
    if (!(cnt instanceof Num) || cnt.num !== e.count) p.push(`${label}: column ${e.name} (${e.kind}) count expected ${e.count}, got ${show(cnt)}`);
    if (!e.type) continue;
    const s = g.get('sum');
    if (e.type === 'int') {
      const ok = s instanceof Num ? s.num === e.sum : (s === null && e.count === '0');
      if (!ok) p.push(`${label}: column ${e.name} (${e.kind}) sum expected ${e.sum}, got ${show(s)}`);
    } else {
      let gv;
      if (s instanceof Num) gv = Number(s.num);
      else if (['NaN', 'Infinity', '-Infinity'].includes(s)) gv = Number(s);
      else if (s === null && e.count === '0') gv = 0;
      else { p.push(`${label}: column ${e.name} (${e.kind}) sum expected ${e.sum}, got ${show(s)}`); continue; }
      const ev = e.sum;
      const ok = Object.is(gv, ev) || gv === ev || (Number.isNaN(gv) && Number.isNaN(ev)) ||
        (relTol > 0 && Math.abs(gv - ev) <= relTol * Math.max(Math.abs(ev), 1e-300));
      if (!ok) p.push(`${label}: column ${e.name} (${e.kind}) sum expected ${ev} (row-order double sum), got ${show(s)} (rel diff ${Math.abs(gv - ev) / Math.abs(ev || 1)})`);
    }
  }
  return p;
}

// ---------------------------------------------------------------- inspect oracle
const numText = (v) => (v === null || v === undefined ? null : String(v));
function gotText(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Num) return v.num;
  return v;
}
/**
 * Compare `sluice inspect FILE --json` with DuckDB's parquet_file_metadata/parquet_schema/
 * parquet_metadata/parquet_kv_metadata.  opts.minmax: also compare stats min/max for
 * int and string columns.  Returns problems.
 */
export async function compareInspect(file, { minmax = false } = {}) {
  const P = [];
  const label = `sluice inspect ${path.basename(file)} --json`;
  const add = (m) => P.push(`${label}: ${m}`);
  const out = sluiceOk(['inspect', file, '--json']);
  let g;
  try { g = parseJsonLossless(out.trim()); } catch (e) { return [`${label}: output is not one JSON document: ${e.message}`]; }
  if (!(g instanceof Obj)) return [`${label}: not a JSON object`];
  const [fm] = await queryObjects(`SELECT * FROM parquet_file_metadata(${sqlStr(file)})`);
  const eq = (what, got, exp) => {
    const a = gotText(got); const b = numText(exp);
    if (a !== b) add(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
  };
  const f = g.get('file');
  if (typeof f !== 'string' || !f.endsWith(path.basename(file))) add(`file: expected path ending in ${path.basename(file)}, got ${show(f)}`);
  eq('size', g.get('size'), fs.statSync(file).size);
  eq('num_rows', g.get('num_rows'), fm.num_rows);
  eq('created_by', g.get('created_by'), fm.created_by);
  eq('version', g.get('version'), fm.format_version);
  // key/value metadata
  const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${sqlStr(file)})`);
  const gkv = g.get('key_value');
  if (!(gkv instanceof Obj)) add(`key_value: expected object, got ${show(gkv)}`);
  else {
    const want = kv.map(([k, v]) => `${k}=${v}`).sort().join('\n');
    const have = gkv.pairs.map(([k, v]) => `${k}=${v}`).sort().join('\n');
    if (want !== have) add(`key_value: expected ${JSON.stringify(Object.fromEntries(kv))}, got ${JSON.stringify(Object.fromEntries(gkv.pairs.map(([k, v]) => [k, gotText(v)])))}`);
  }
  // schema (leaf columns)
  const cols = await parquetColumns(file);
  const gs = g.get('schema');
  if (!Array.isArray(gs)) add(`schema: not an array`);
  else {
    if (gs.length !== cols.length) add(`schema: ${gs.length} leaf columns, expected ${cols.length}`);
    cols.forEach((c, k) => {
      const s = gs[k];
      if (!(s instanceof Obj)) return;
      eq(`schema[${k}].name`, s.get('name'), c.name);
      eq(`schema[${k}].physical`, s.get('physical'), c.physical);
      eq(`schema[${k}].repetition`, s.get('repetition'), c.repetition);
      eq(`schema[${k}].converted`, s.get('converted'), c.converted);
      eq(`schema[${k}].type_length`, s.get('type_length'), c.type_length);
      eq(`schema[${k}].precision`, s.get('precision'), c.precision);
      eq(`schema[${k}].scale`, s.get('scale'), c.scale);
      if (!s.has('logical')) add(`schema[${k}].logical: key missing`);
    });
  }
  // row groups
  const md = await queryObjects(`SELECT * FROM parquet_metadata(${sqlStr(file)}) ORDER BY row_group_id, column_id`);
  const nrg = Number(fm.num_row_groups);
  const grg = g.get('row_groups');
  if (!Array.isArray(grg)) { add('row_groups: not an array'); return P; }
  if (grg.length !== nrg) add(`row_groups: expected ${nrg}, got ${grg.length}`);
  const kindOf = new Map(cols.map((c) => [c.name, c.kind]));
  for (let r = 0; r < Math.min(nrg, grg.length); r++) {
    const rg = grg[r];
    const mrows = md.filter((m) => Number(m.row_group_id) === r);
    eq(`row_groups[${r}].num_rows`, rg.get('num_rows'), mrows[0]?.row_group_num_rows);
    eq(`row_groups[${r}].total_byte_size`, rg.get('total_byte_size'), mrows[0]?.row_group_bytes);
    const gc = rg.get('columns');
    if (!Array.isArray(gc) || gc.length !== mrows.length) { add(`row_groups[${r}].columns: expected ${mrows.length} entries`); continue; }
    mrows.forEach((m, k) => {
      const c = gc[k]; const w = `row_groups[${r}].columns[${k}] (${m.path_in_schema})`;
      eq(`${w}.path`, c.get('path'), m.path_in_schema);
      eq(`${w}.physical`, c.get('physical'), m.type);
      eq(`${w}.codec`, c.get('codec'), m.compression);
      const genc = c.get('encodings');
      const wantEnc = String(m.encodings).split(',').map((s) => s.trim()).filter(Boolean).sort();
      if (!Array.isArray(genc) || [...new Set(genc)].sort().join(',') !== [...new Set(wantEnc)].sort().join(',')) {
        add(`${w}.encodings: expected ${JSON.stringify(wantEnc)} (as a set), got ${show(genc)}`);
      }
      eq(`${w}.num_values`, c.get('num_values'), m.num_values);
      eq(`${w}.compressed_size`, c.get('compressed_size'), m.total_compressed_size);
      eq(`${w}.uncompressed_size`, c.get('uncompressed_size'), m.total_uncompressed_size);
      eq(`${w}.data_page_offset`, c.get('data_page_offset'), m.data_page_offset);
      eq(`${w}.dictionary_page_offset`, c.get('dictionary_page_offset'), m.dictionary_page_offset);
      const st = c.get('stats');
      if (st === null) {
        // No Statistics struct in the file: acceptable only if DuckDB sees none either.
        if (m.stats_null_count !== null || m.stats_min_value !== null || m.stats_max_value !== null || m.stats_min !== null || m.stats_max !== null) {
          add(`${w}.stats: null, but the file has statistics (null_count ${m.stats_null_count}, min ${m.stats_min_value ?? m.stats_min})`);
        }
        return;
      }
      if (!(st instanceof Obj)) { add(`${w}.stats: not an object (${show(st)})`); return; }
      eq(`${w}.stats.null_count`, st.get('null_count'), m.stats_null_count);
      const kind = kindOf.get(m.path_in_schema);
      if (minmax && (kind === 'int' || kind === 'string')) {
        for (const [k2, dk, dk2] of [['min', 'stats_min_value', 'stats_min'], ['max', 'stats_max_value', 'stats_max']]) {
          const want = m[dk] ?? m[dk2];
          const got = st.get(k2);
          if (kind === 'int' && want !== null && !(got instanceof Num)) add(`${w}.stats.${k2}: expected JSON number ${want}, got ${show(got)}`);
          else if (kind === 'string' && want !== null && typeof got !== 'string') add(`${w}.stats.${k2}: expected JSON string ${clip(JSON.stringify(want))}, got ${clip(show(got))}`);
          else eq(`${w}.stats.${k2}`, got, want);
        }
      }
    });
  }
  return P;
}

// ------------------------------------------------------------------ shared by the store tests

/** Rows of a query on a SQLite file as objects (the sqlite3 CLI, read-only, JSON). */
export function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', '-json', db, sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`sqlite3: ${r.error.message} (is the sqlite3 CLI installed?)`);
  if (r.status !== 0) throw new Error(`sqlite3 ${db} '${sql}': ${r.stderr}`);
  return r.stdout.trim() === '' ? [] : JSON.parse(r.stdout);
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1), the same for the same seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Redset metric tables (docs/metrics.md section 4) and their keys, in emission order. */
export const METRIC_TABLES = ['query_hourly', 'spill_hourly', 'cache_hourly', 'top_tables_hourly', 'compile_joins_hourly',
  'compile_corr_hourly', 'utilization_hourly'];
export const METRIC_KEYS = {
  query_hourly: ['hour', 'source', 'instance_id', 'query_type'],
  spill_hourly: ['hour', 'query_type'],
  cache_hourly: ['hour', 'source', 'instance_id'],
  top_tables_hourly: ['hour', 'source', 'instance_id', 'rank'],
  compile_joins_hourly: ['hour', 'joins_bucket'],
  compile_corr_hourly: ['hour'],
  utilization_hourly: ['hour', 'source', 'instance_id'],
};

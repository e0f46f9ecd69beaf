#!/usr/bin/env node
// Fidelity of `sluice gen` against the real Redset serverless sample.
//
//   node scripts/fidelity.mjs [GENERATED_FILE] [--real CSV] [--hourly PARQUET]
//                             [--rows N] [--seed S] [--json]
//
// Prints, side by side (real sample | generated | difference), statistics computed with
// DuckDB SQL over both inputs: query_type shares, NULL rate of all 24 columns, cached /
// spilled / aborted shares, quantiles and zero shares of the five measures, rows per
// instance-hour, number of instances, distinct-fingerprint share and the share of cached
// rows that name their cache source.  See docs/fidelity.md for what is compared and why.
//
// With no GENERATED_FILE it runs `sluice gen` (serverless, the real date range, a fixed
// seed, DEFAULT_GEN_ROWS rows) into build/fidelity/.  GENERATED_FILE may be .parquet,
// .csv or .jsonl.  --json prints one JSON object instead of the table.
//
// The module also exports the building blocks; tests/oracle/fidelity.test.mjs uses them.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  REPO, SLUICE_BIN, SLUICE_SHARED, REDSET_CSV, REDSET_COLUMNS, closeDuck, exec, ident, queryObjects,
  runSluice, sluiceExists, sqlStr,
} from '../tests/oracle/lib.mjs';

// ------------------------------------------------------------------ constants
/** Rows of the full serverless Redset file; the real sample is a 0.1% uniform sample of it. */
export const FULL_SERVERLESS_ROWS = 8_244_382;
export const REAL_SAMPLE_RATE = 0.001;
/** The real arrival range (docs/metrics.md 1.1), widened to whole hours: the hourly profile's
 *  first hour is 2024-02-29 23:00, its last 2024-05-30 23:00. */
export const REAL_START = '2024-02-29 23:00:00';
export const REAL_END = '2024-05-31 00:00:00';
/** The same range as `sluice gen --start/--end` arguments (no faults are requested: all fault
 *  rates default to 0). */
export const GEN_START = '2024-02-29T23';
export const GEN_END = '2024-05-31';
/** 25x the real sample: the generator's own sampling noise adds only 1/25 = 4% to the variance
 *  of a real-vs-generated difference, and generating + reading takes a few seconds. */
export const DEFAULT_GEN_ROWS = 206_100;
export const DEFAULT_SEED = 20240229;
export const HOURLY_SERVERLESS = path.join(SLUICE_SHARED, 'data', 'redset', 'hourly_by_instance_serverless.parquet');
export const FIDELITY_DIR = path.join(REPO, 'build', 'fidelity');

export const COLUMNS = REDSET_COLUMNS.map(([n]) => n);
export const QUERY_TYPES = ['select', 'insert', 'copy', 'delete', 'other', 'analyze', 'unload', 'ctas', 'update', 'vacuum'];
export const MEASURES = ['compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms', 'mbytes_scanned', 'mbytes_spilled'];
const QS = [0.5, 0.9, 0.99];
const QNAMES = ['p50', 'p90', 'p99'];

/** Share tolerance used by the test (and flagged by this script):
 *  |gen - real| <= z * sqrt(p (1 - p) (1/n_real + 1/n_gen)) + allowance,
 *  p = real share clamped to [1/n_real, 1 - 1/n_real].  See docs/fidelity.md. */
export const DEFAULT_TOLERANCE = { z: 3, allowance: 0.002 };
export function shareStdErr(pReal, nReal, nGen) {
  const lo = 1 / nReal;
  const p = Math.min(1 - lo, Math.max(lo, pReal));
  return Math.sqrt(p * (1 - p) * (1 / nReal + 1 / nGen));
}
export function shareTolerance(pReal, nReal, nGen, tol = DEFAULT_TOLERANCE) {
  return tol.z * shareStdErr(pReal, nReal, nGen) + tol.allowance;
}

// ------------------------------------------------------------------ loading
const typesStruct = () => `{${REDSET_COLUMNS.map(([n, t]) => `${sqlStr(n)}: ${sqlStr(t)}`).join(', ')}}`;

/** Source expression for a data file; CSV/JSONL are read with the Redset types forced
 *  (read_table_ids / write_table_ids stay VARCHAR). */
export function sourceSql(file) {
  const f = sqlStr(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet') return `read_parquet(${f})`;
  if (ext === '.csv') return `read_csv(${f}, header=true, columns=${typesStruct()})`;
  if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') {
    return `read_json(${f}, format='newline_delimited', columns=${typesStruct()})`;
  }
  throw new Error(`${file}: unknown format (expected .parquet, .csv or .jsonl)`);
}

/** CREATE TEMP TABLE `name` with exactly the 24 Redset columns cast to the Redset types. */
export async function loadTable(name, file) {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found`);
  const src = sourceSql(file);
  const have = new Set((await queryObjects(`DESCRIBE SELECT * FROM ${src}`)).map((r) => r.column_name));
  const missing = COLUMNS.filter((c) => !have.has(c));
  if (missing.length) throw new Error(`${file}: missing Redset column(s): ${missing.join(', ')}`);
  // arrival_timestamp may be written as TIMESTAMPTZ; the session TimeZone is UTC.
  const casts = REDSET_COLUMNS.map(([n, t]) => `CAST(${ident(n)} AS ${t}) AS ${ident(n)}`).join(', ');
  await exec(`CREATE OR REPLACE TEMP TABLE ${ident(name)} AS SELECT ${casts} FROM ${src}`);
}

/** Deterministic Bernoulli thinning (hash of the row's key), keeping about `keep` of the rows. */
export async function thinTable(src, dst, keep) {
  const k = Math.round(Math.min(1, keep) * 1e9);
  await exec(`CREATE OR REPLACE TEMP TABLE ${ident(dst)} AS SELECT * FROM ${ident(src)}
    WHERE hash(instance_id, query_id, arrival_timestamp, 'fidelity') % 1000000000 < ${k}`);
}

// ------------------------------------------------------------------ metrics
const num = (v) => (v === null || v === undefined ? null : Number(v));
const qlist = (col, where = '') => `quantile_cont(${col}, [${QS.join(', ')}])${where ? ` FILTER (WHERE ${where})` : ''}`;
const qobj = (arr) => Object.fromEntries(QNAMES.map((q, i) => [q, arr ? num(arr.items ? arr.items[i] : arr[i]) : null]));

/** Distribution-free band for each quantile q from order statistics: the values at ranks
 *  q -/+ QUANTILE_BAND_Z * sqrt(q (1 - q) / n), i.e. about 3 standard errors of the sample quantile. */
export const QUANTILE_BAND_Z = 3;
function bandSql(col, n, where = '') {
  const ps = [];
  for (const q of QS) {
    const h = n > 0 ? QUANTILE_BAND_Z * Math.sqrt(q * (1 - q) / n) : 0;
    ps.push(Math.max(0, q - h), Math.min(1, q + h));
  }
  return `quantile_disc(${col}, [${ps.join(', ')}])${where ? ` FILTER (WHERE ${where})` : ''}`;
}
function bandObj(arr) {
  const a = arr ? (arr.items ?? arr) : null;
  return Object.fromEntries(QNAMES.map((q, i) => [q, a ? [num(a[2 * i]), num(a[2 * i + 1])] : null]));
}

/** Statistics that do not depend on the row count (shares, NULL rates, quantiles). */
export async function rateMetrics(t) {
  const T = ident(t);
  const [base] = await queryObjects(`SELECT count(*)::BIGINT AS n,
      count(DISTINCT instance_id)::BIGINT AS instances,
      min(arrival_timestamp)::VARCHAR AS t_min, max(arrival_timestamp)::VARCHAR AS t_max,
      avg((was_cached = 1)::INT) AS cached, avg(coalesce(mbytes_spilled > 0, false)::INT) AS spilled,
      avg((was_aborted = 1)::INT) AS aborted,
      (count(cache_source_query_id) FILTER (WHERE was_cached = 1))::DOUBLE
        / nullif(count(*) FILTER (WHERE was_cached = 1), 0) AS cached_with_source
    FROM ${T}`);
  const n = Number(base.n);
  const qt = await queryObjects(`SELECT query_type, count(*)::DOUBLE / ${n} AS share FROM ${T} GROUP BY ALL`);
  const queryTypes = Object.fromEntries(qt.map((r) => [r.query_type === null ? '(NULL)' : r.query_type, num(r.share)]));
  const [nulls] = await queryObjects(`SELECT ${COLUMNS.map((c) => `avg((${ident(c)} IS NULL)::INT) AS ${ident(c)}`).join(', ')} FROM ${T}`);
  const nullRates = Object.fromEntries(COLUMNS.map((c) => [c, num(nulls[c])]));
  const measures = {};
  for (const m of MEASURES) {
    const M = ident(m);
    const [c] = await queryObjects(`SELECT count(${M})::BIGINT AS n, count(*) FILTER (WHERE ${M} > 0)::BIGINT AS npos FROM ${T}`);
    const [r] = await queryObjects(`SELECT ${qlist(M)} AS q, avg((${M} = 0)::INT) AS zero,
        ${qlist(M, `${M} > 0`)} AS qpos, ${bandSql(M, Number(c.n))} AS band, ${bandSql(M, Number(c.npos), `${M} > 0`)} AS bandpos
      FROM ${T}`);
    measures[m] = {
      n: Number(c.n), ...qobj(r.q), zeroShare: num(r.zero), band: bandObj(r.band),
      positive: { n: Number(c.npos), ...qobj(r.qpos), band: bandObj(r.bandpos) },
    };
  }
  return {
    rows: n, instances: Number(base.instances), timeMin: base.t_min, timeMax: base.t_max,
    queryTypes, nullRates,
    shares: { cached: num(base.cached), spilled: num(base.spilled), aborted: num(base.aborted) },
    measures, cachedWithSource: num(base.cached_with_source),
  };
}

const ihSql = (src) => `SELECT count(*)::BIGINT AS hours, avg(c) AS mean, ${qlist('c')} AS q, max(c)::BIGINT AS mx
  FROM (${src})`;

/** Statistics that depend on the sampling rate: compute them on rate-matched data. */
export async function sizeMetrics(t) {
  const T = ident(t);
  const [r] = await queryObjects(`SELECT count(*)::BIGINT AS n, count(DISTINCT instance_id)::BIGINT AS instances,
      count(DISTINCT feature_fingerprint)::DOUBLE / nullif(count(feature_fingerprint), 0) AS fp_distinct
    FROM ${T}`);
  const [h] = await queryObjects(ihSql(`SELECT instance_id, date_trunc('hour', arrival_timestamp), count(*) AS c
    FROM ${T} GROUP BY ALL`));
  return {
    rows: Number(r.n), instances: Number(r.instances), fingerprintDistinctShare: num(r.fp_distinct),
    instanceHours: { hours: Number(h.hours), mean: num(h.mean), ...qobj(h.q), max: Number(h.mx) },
  };
}

/** Reference from the full data's per instance-hour counts: the counts themselves, and the
 *  counts a `rate` Bernoulli sample of the full data would show (simulated, deterministic). */
export async function hourlyReference(file, rate) {
  const f = sqlStr(file);
  const [full] = await queryObjects(ihSql(`SELECT instance_id, timestamp, query_count AS c FROM read_parquet(${f})`));
  const [ni] = await queryObjects(`SELECT count(DISTINCT instance_id)::BIGINT AS i, sum(query_count)::BIGINT AS s FROM read_parquet(${f})`);
  const k = Math.round(rate * 1e9);
  const thinned = `SELECT instance_id, timestamp, count(*) AS c FROM (
      SELECT instance_id, timestamp, unnest(range(query_count)) AS i FROM read_parquet(${f}))
    WHERE hash(instance_id, timestamp, i, 'fidelity') % 1000000000 < ${k} GROUP BY ALL`;
  const [th] = await queryObjects(ihSql(thinned));
  const [thi] = await queryObjects(`SELECT count(DISTINCT instance_id)::BIGINT AS i, sum(c)::BIGINT AS s FROM (${thinned})`);
  const pack = (h, i, s) => ({ rows: Number(s), instances: Number(i), instanceHours: { hours: Number(h.hours), mean: num(h.mean), ...qobj(h.q), max: Number(h.mx) } });
  return { file, rate, full: pack(full, ni.i, ni.s), thinned: pack(th, thi.i, thi.s) };
}

// ------------------------------------------------------------------ generation
/** Run `sluice gen` (serverless, real date range); returns the output path. */
export function generate({ rows = DEFAULT_GEN_ROWS, seed = DEFAULT_SEED, out, format = 'parquet', extra = [] } = {}) {
  if (!sluiceExists()) throw new Error(`sluice binary not found at ${SLUICE_BIN} (run make)`);
  out = out || path.join(FIDELITY_DIR, `gen_serverless_${rows}_s${seed}.${format}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const args = ['gen', '--rows', String(rows), '--out', out, '--format', format, '--seed', String(seed),
    '--kind', 'serverless', '--start', GEN_START, '--end', GEN_END, '--quiet', ...extra];
  const r = runSluice(args, { timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(`sluice ${args.join(' ')} exited ${r.status}${r.signal ? ' signal ' + r.signal : ''}: ${(r.stderr || '').slice(0, 2000)}`);
  }
  return { out, args };
}

// ------------------------------------------------------------------ comparison
/** Everything, for a real file and a generated file. */
export async function compareFiles({ real = REDSET_CSV, generated, hourly = HOURLY_SERVERLESS, tolerance = DEFAULT_TOLERANCE } = {}) {
  await loadTable('fid_real', real);
  await loadTable('fid_gen', generated);
  const R = await rateMetrics('fid_real');
  const G = await rateMetrics('fid_gen');
  // Rate matching: both files cover the same fleet and the same three months, so equal row
  // counts mean equal sampling rates (the real one is 0.1%).
  const keep = Math.min(1, R.rows / G.rows);
  await thinTable('fid_gen', 'fid_gen_thin', keep);
  const RS = await sizeMetrics('fid_real');
  const GS = await sizeMetrics('fid_gen_thin');
  const GSall = await sizeMetrics('fid_gen');
  const ref = hourly && fs.existsSync(hourly) ? await hourlyReference(hourly, REAL_SAMPLE_RATE) : null;
  const warnings = [];
  if (G.rows < R.rows) warnings.push(`generated file has fewer rows (${G.rows}) than the real sample (${R.rows}): size-dependent metrics compare a lower sampling rate`);
  const day = 86400e3;
  const ts = (s) => Date.parse(s.replace(' ', 'T') + 'Z');
  if (G.rows && (Math.abs(ts(G.timeMin) - ts(R.timeMin)) > day || Math.abs(ts(G.timeMax) - ts(R.timeMax)) > day)) {
    warnings.push(`generated arrival range ${G.timeMin} .. ${G.timeMax} differs from the real ${R.timeMin} .. ${R.timeMax} by more than a day: rate matching by row count is then off`);
  }
  return {
    real: { file: real, ...R, sized: RS },
    generated: { file: generated, ...G, sized: GSall, rateMatched: { keep, ...GS } },
    hourlyReference: ref,
    rows: tableRows(R, G, RS, GS, ref, tolerance),
    tolerance, warnings,
  };
}

/** Flat side-by-side rows.  kind: 'share' (diff in percentage points, z in standard errors,
 *  tol when the test checks it) or 'value' (diff as ratio generated / real). */
function tableRows(R, G, RS, GS, ref, tolerance) {
  const rows = [];
  const nR = R.rows; const nG = G.rows;
  const share = (section, metric, r, g, opts = {}) => {
    const nr = opts.nr ?? nR; const ng = opts.ng ?? nG;
    const row = { section, metric, kind: 'share', real: r, generated: g };
    if (r !== null && g !== null) {
      row.diff = g - r;
      row.z = row.diff / shareStdErr(r, nr, ng);
      if (opts.checked) { row.tol = shareTolerance(r, nr, ng, tolerance); row.ok = Math.abs(row.diff) <= row.tol; }
    }
    rows.push(row);
  };
  const value = (section, metric, r, g, note, band) => {
    const row = { section, metric, kind: 'value', real: r, generated: g };
    if (r !== null && g !== null) row.ratio = r === 0 ? (g === 0 ? 1 : null) : g / r;
    if (note !== undefined) row.note = note;
    if (band) { row.realBand = band; if (g !== null) row.inBand = g >= band[0] && g <= band[1]; }
    rows.push(row);
  };
  const types = [...QUERY_TYPES, ...Object.keys(R.queryTypes), ...Object.keys(G.queryTypes)].filter((v, i, a) => a.indexOf(v) === i);
  for (const qt of types) share('query_type share', qt, R.queryTypes[qt] ?? 0, G.queryTypes[qt] ?? 0, { checked: true });
  for (const c of COLUMNS) share('NULL rate', c, R.nullRates[c], G.nullRates[c], { checked: true });
  for (const s of ['cached', 'spilled', 'aborted']) share('flags', s, R.shares[s], G.shares[s], { checked: true });
  const cachedR = Math.round(R.shares.cached * nR); const cachedG = Math.round(G.shares.cached * nG);
  share('flags', 'cached with cache_source_query_id', R.cachedWithSource, G.cachedWithSource, { nr: Math.max(1, cachedR), ng: Math.max(1, cachedG) });
  for (const m of MEASURES) {
    const a = R.measures[m]; const b = G.measures[m];
    for (const q of QNAMES) value('measure quantiles (non-NULL values)', `${m} ${q}`, a[q], b[q], undefined, a.band[q]);
  }
  for (const m of MEASURES) {
    const a = R.measures[m]; const b = G.measures[m];
    share('measure zero share (of non-NULL values)', m, a.zeroShare, b.zeroShare, { nr: a.n, ng: b.n });
  }
  for (const m of MEASURES) {
    const a = R.measures[m]; const b = G.measures[m];
    for (const q of QNAMES) value('measure quantiles of the values > 0', `${m} ${q}`, a.positive[q], b.positive[q], undefined, a.positive.band[q]);
  }
  const sec = 'rate-matched (generated thinned to the real row count)';
  value(sec, 'rows', RS.rows, GS.rows, ref ? ref.thinned.rows : undefined);
  value(sec, 'instances', RS.instances, GS.instances, ref ? ref.thinned.instances : undefined);
  value(sec, 'instance-hours with >= 1 row', RS.instanceHours.hours, GS.instanceHours.hours, ref ? ref.thinned.instanceHours.hours : undefined);
  for (const k of ['mean', 'p50', 'p90', 'p99', 'max']) {
    value(sec, `rows per instance-hour ${k}`, RS.instanceHours[k], GS.instanceHours[k], ref ? ref.thinned.instanceHours[k] : undefined);
  }
  value(sec, 'distinct fingerprints / non-NULL', RS.fingerprintDistinctShare, GS.fingerprintDistinctShare);
  return rows;
}

// ------------------------------------------------------------------ output
const pct = (v, d = 2) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(d)}%`);
function fmtVal(v) {
  if (v === null || v === undefined) return '-';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(3);
}
const pad = (s, n) => String(s).padStart(n);

export function renderText(res) {
  const out = [];
  const R = res.real; const G = res.generated;
  out.push('sluice gen fidelity: real Redset serverless sample vs generated data (DuckDB SQL over both files)');
  out.push(`  real:      ${path.relative(process.cwd(), R.file) || R.file}  ${R.rows.toLocaleString('en-US')} rows, ${R.instances} instances, ${R.timeMin} .. ${R.timeMax}`);
  out.push(`  generated: ${path.relative(process.cwd(), G.file) || G.file}  ${G.rows.toLocaleString('en-US')} rows, ${G.instances} instances, ${G.timeMin} .. ${G.timeMax}`);
  out.push(`  rate-matched generated subset: ${G.rateMatched.rows.toLocaleString('en-US')} rows (deterministic hash thinning, keep ${(G.rateMatched.keep * 100).toFixed(2)}%)`);
  out.push('');
  out.push('  Shares: diff in percentage points; z = diff / standard error of the difference at both sizes;');
  out.push(`  tol = ${res.tolerance.z} SE + ${(res.tolerance.allowance * 100).toFixed(1)} pp (the test's tolerance, only on the rows it checks); OUT = outside it.`);
  out.push('  Values: diff is the ratio generated / real.  Quantiles are quantile_cont (interpolated); the real');
  out.push(`  band is the order-statistic range q -/+ ${QUANTILE_BAND_Z} sqrt(q(1-q)/n) of the real values (OUT = generated outside).`);
  out.push('  Row counts, instance counts, rows per instance-hour and the distinct-fingerprint share depend on');
  out.push('  the sampling rate, so they are computed on the generated rows thinned to the real sample\'s size');
  out.push('  (same fleet, same three months => same 0.1% rate).  "full@0.1%" is the full data\'s per');
  out.push('  instance-hour counts (hourly_by_instance_serverless.parquet) thinned at 0.1% (simulated): what a');
  out.push('  fresh 0.1% sample of the real data would show.');
  for (const w of res.warnings) out.push(`  WARNING: ${w}`);
  let section = null;
  const W = 44;
  for (const r of res.rows) {
    if (r.section !== section) {
      section = r.section;
      out.push('');
      const extra = r.kind === 'share' ? `${pad('diff', 10)}${pad('z', 7)}${pad('tol', 9)}`
        : `${pad('gen/real', 10)}${r.realBand ? '  real 3-SE band' : r.section.startsWith('rate') && res.hourlyReference ? pad('full@0.1%', 12) : ''}`;
      out.push(`== ${section}`);
      out.push(`  ${'metric'.padEnd(W)}${pad('real', 12)}${pad('generated', 12)}${extra}`);
    }
    if (r.kind === 'share') {
      const d = r.diff === undefined ? '-' : `${r.diff >= 0 ? '+' : ''}${(r.diff * 100).toFixed(2)}pp`;
      const z = r.z === undefined ? '-' : r.z.toFixed(1);
      const tol = r.tol === undefined ? '' : `${(r.tol * 100).toFixed(2)}pp${r.ok ? '' : ' OUT'}`;
      out.push(`  ${r.metric.padEnd(W)}${pad(pct(r.real), 12)}${pad(pct(r.generated), 12)}${pad(d, 10)}${pad(z, 7)}${pad(tol, tol.endsWith('OUT') ? 13 : 9)}`);
    } else {
      const ratio = r.ratio === undefined || r.ratio === null ? '-' : `x${r.ratio.toFixed(2)}`;
      let note = r.note === undefined ? '' : pad(fmtVal(r.note), 12);
      if (r.realBand) note = `  [${fmtVal(r.realBand[0])} .. ${fmtVal(r.realBand[1])}]${r.inBand === false ? ' OUT' : ''}`;
      out.push(`  ${r.metric.padEnd(W)}${pad(fmtVal(r.real), 12)}${pad(fmtVal(r.generated), 12)}${pad(ratio, 10)}${note}`);
    }
  }
  if (res.hourlyReference) {
    const f = res.hourlyReference.full;
    out.push('');
    out.push(`  For reference, the full serverless data (hourly file): ${f.rows.toLocaleString('en-US')} rows, ${f.instances} instances, ` +
      `${f.instanceHours.hours.toLocaleString('en-US')} instance-hours, rows per instance-hour mean ${fmtVal(f.instanceHours.mean)}, ` +
      `p50 ${fmtVal(f.instanceHours.p50)}, p90 ${fmtVal(f.instanceHours.p90)}, p99 ${fmtVal(f.instanceHours.p99)}, max ${fmtVal(f.instanceHours.max)}.`);
  }
  const bad = res.rows.filter((r) => r.ok === false);
  out.push('');
  out.push(bad.length ? `${bad.length} checked share(s) outside tolerance: ${bad.map((r) => `${r.section}/${r.metric}`).join(', ')}`
    : 'all checked shares within tolerance');
  return out.join('\n');
}

// ------------------------------------------------------------------ CLI
function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node scripts/fidelity.mjs [GENERATED_FILE] [--real CSV] [--hourly PARQUET] [--rows N] [--seed S] [--json]\n' +
    `  With no GENERATED_FILE, runs sluice gen --kind serverless --rows ${DEFAULT_GEN_ROWS} --seed ${DEFAULT_SEED} into build/fidelity/.\n`);
  process.exit(code);
}

async function main(argv) {
  const opt = { real: REDSET_CSV, hourly: HOURLY_SERVERLESS, rows: DEFAULT_GEN_ROWS, seed: DEFAULT_SEED, json: false, file: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(2); return argv[++i]; };
    if (a === '--json') opt.json = true;
    else if (a === '--real') opt.real = val();
    else if (a === '--hourly') opt.hourly = val();
    else if (a === '--rows') opt.rows = Number(val());
    else if (a === '--seed') opt.seed = Number(val());
    else if (a === '-h' || a === '--help') usage(0);
    else if (a.startsWith('-')) usage(2);
    else if (opt.file) usage(2);
    else opt.file = a;
  }
  if (!fs.existsSync(opt.real)) throw new Error(`real sample not found: ${opt.real} (use --real or set SLUICE_SHARED)`);
  let gen = null;
  if (!opt.file) {
    gen = generate({ rows: opt.rows, seed: opt.seed });
    opt.file = gen.out;
    if (!opt.json) process.stderr.write(`generated: ${path.basename(SLUICE_BIN)} ${gen.args.join(' ')}\n`);
  }
  const res = await compareFiles({ real: opt.real, generated: opt.file, hourly: opt.hourly });
  if (gen) res.generatedBy = [SLUICE_BIN, ...gen.args];
  if (opt.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  else process.stdout.write(renderText(res) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(() => closeDuck(), (e) => { closeDuck(); console.error(`fidelity: ${e.message}`); process.exit(1); });
}

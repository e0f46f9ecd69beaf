// The cleaning oracle (docs/metrics.md section 2) written in DuckDB SQL, and the
// script that writes its results as the fixture tests/fixtures/clean/expected.json
// that tests/unit/test_clean.c compares sluice's cl_clean against.
//
//   node tests/oracle/make_clean_fixture.mjs      (from anywhere; needs build/release/sluice)
//
// regenerates tests/fixtures/clean/gen.csv (sluice gen, fixed seed, text faults),
// and writes expected.json with the oracle's results for gen.csv and, when present,
// the real sample $SLUICE_SHARED/data/redset/serverless_sample_0.001.csv.
// tests/oracle/clean.test.mjs checks that the committed fixture equals what this
// oracle computes now and that the oracle agrees with the generator's summary.
//
// The oracle reads the CSV as text (every column VARCHAR) and applies the rules
// itself: a record whose field count is not 24, or a value that is not a number of
// its column's type, or NaN/Infinity in a DOUBLE column, is malformed; then
// missing_* (arrival, instance, query id, query type NULL or blank after trimming
// spaces), bad_timestamp (unparseable, or outside [2000-01-01, 2100-01-01)), and
// negative_* in the column order.  Accepted rows are repaired (NULL -> 0, flags ->
// 0/1, durations clamped to the cap, query_type trimmed of spaces and ASCII
// lower-cased) and their table-id lists parsed (split on ',', spaces trimmed,
// digits only, <= int64 max, distinct).
//
// Values of accepted rows are compared through checksums: for a numeric column,
// sum over accepted rows of (row + 1) * value mod 2^64 (values are whole numbers;
// DOUBLEs truncated toward zero); for table ids, the number of ids and the sum
// over accepted rows and ids of (row + 1) * id mod 2^64; for query_type, per
// cleaned value the number of rows and the sum of (row + 1).  `status` has one
// character per row: '.' accepted, 'a' + (reason - 1) for a bad row (reason
// numbers of cl_reason in src/stream/clean.h).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDSET_COLUMNS, REPO, SLUICE_SHARED, closeDuck, exec, parseCsv, query, sluiceOk, sqlStr, ident } from './lib.mjs';

export const FIXTURE_DIR = path.join(REPO, 'tests', 'fixtures', 'clean');
export const GEN_CSV = path.join(FIXTURE_DIR, 'gen.csv');
export const EXPECTED = path.join(FIXTURE_DIR, 'expected.json');
export const SAMPLE_REL = 'data/redset/serverless_sample_0.001.csv';
export const GEN_ARGS = ['gen', '--rows', '4000', '--seed', '20240301', '--profile', 'none', '--order', 'shuffled',
  '--format', 'csv', '--bad-rows', '0.05', '--repairs', '0.2', '--quiet'];
export const CAP = 604800000;

export const REASONS = ['malformed', 'missing_arrival_timestamp', 'missing_instance_id', 'missing_query_id',
  'missing_query_type', 'bad_timestamp', 'negative_compile_duration_ms', 'negative_queue_duration_ms',
  'negative_execution_duration_ms', 'negative_num_permanent_tables_accessed', 'negative_num_external_tables_accessed',
  'negative_num_system_tables_accessed', 'negative_mbytes_scanned', 'negative_mbytes_spilled', 'negative_num_joins',
  'negative_num_scans', 'negative_num_aggregations'];
const NEG_COLS = REASONS.filter((r) => r.startsWith('negative_')).map((r) => r.slice('negative_'.length));
const TYPE = Object.fromEntries(REDSET_COLUMNS);
const ZERO_COLS = ['compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms', 'num_permanent_tables_accessed',
  'num_external_tables_accessed', 'num_system_tables_accessed', 'mbytes_scanned', 'mbytes_spilled', 'num_joins',
  'num_scans', 'num_aggregations'];
const DURATIONS = ['compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms'];
const FLAGS = ['was_aborted', 'was_cached'];
export const NUMERIC_CLEANED = [...ZERO_COLS.slice(0, 3), ...FLAGS, ...ZERO_COLS.slice(3)];
const M64 = '18446744073709551616::HUGEINT';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

const INT_RE = `'^[+-]?[0-9]+$'`;
const DBL_RE = `'^([+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|[+-]?Infinity|[+-]?inf)$'`;
const TS_RE = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?(Z|\\+00:00)?$'`;

const mod64 = (e) => `CAST(((${e}) % ${M64} + ${M64}) % ${M64} AS VARCHAR)`;

/** Run the oracle over one CSV file; returns the expected-results object. */
export async function cleanOracle(csvPath) {
  // field count and query_id text per record, from an RFC 4180 parse (the header is record 0)
  const recs = parseCsv(fs.readFileSync(csvPath, 'latin1'));
  const header = recs[0].map((f) => f.v);
  if (header.join(',') !== REDSET_COLUMNS.map(([n]) => n).join(',')) throw new Error(`${csvPath}: unexpected header`);
  const nf = recs.slice(1).map((r) => r.length);
  await exec(`SET threads=1`);
  await exec(`CREATE OR REPLACE TEMP TABLE nf AS SELECT unnest(range(${nf.length})) AS r, unnest([${nf.join(',')}]::INTEGER[]) AS nf`);
  const cols = `{${REDSET_COLUMNS.map(([n]) => `${sqlStr(n)}: 'VARCHAR'`).join(', ')}}`;
  await exec(`CREATE OR REPLACE TEMP TABLE raw AS SELECT (row_number() OVER () - 1)::BIGINT AS r, *
    FROM read_csv(${sqlStr(csvPath)}, header=true, columns=${cols}, delim=',', quote='"', escape='"',
                  auto_detect=false, null_padding=true, allow_quoted_nulls=false)`);
  const [[nraw]] = await query(`SELECT count(*) FROM raw`);
  if (Number(nraw) !== nf.length) throw new Error(`${csvPath}: DuckDB read ${nraw} records, the CSV parser ${nf.length}`);

  // typed values (NULL when empty or not a number of the type)
  const typed = REDSET_COLUMNS.map(([n, t]) => {
    const c = ident(n);
    if (t === 'VARCHAR') return `${c} AS ${ident(n)}`;
    if (t === 'TIMESTAMP') return `CASE WHEN regexp_matches(${c}, ${TS_RE}) THEN TRY_CAST(regexp_replace(${c}, '(Z|\\+00:00)$', '') AS TIMESTAMP) END AS ${ident(n)}`;
    const re = t === 'DOUBLE' ? DBL_RE : INT_RE;
    return `CASE WHEN regexp_matches(${c}, ${re}) THEN TRY_CAST(${c} AS ${t}) END AS ${ident(n)}`;
  }).join(',\n      ');
  const badText = REDSET_COLUMNS.filter(([n, t]) => t !== 'VARCHAR' && t !== 'TIMESTAMP').map(([n, t]) => {
    const c = ident(n);
    const re = t === 'DOUBLE' ? DBL_RE : INT_RE;
    return `(raw.${c} IS NOT NULL AND (NOT regexp_matches(raw.${c}, ${re}) OR TRY_CAST(raw.${c} AS ${t}) IS NULL))`;
  }).join(' OR ');
  const nonFinite = REDSET_COLUMNS.filter(([, t]) => t === 'DOUBLE')
    .map(([n]) => `(TRY_CAST(raw.${ident(n)} AS DOUBLE) IS NOT NULL AND NOT isfinite(TRY_CAST(raw.${ident(n)} AS DOUBLE)))`).join(' OR ');
  await exec(`CREATE OR REPLACE TEMP TABLE t AS SELECT raw.r, nf.nf,
      raw.arrival_timestamp AS ts_text, raw.query_type AS qt_text,
      (nf.nf <> 24 OR ${badText} OR ${nonFinite}) AS malformed,
      ${typed}
    FROM raw JOIN nf USING (r)`);
  const reasonCase = [
    'WHEN malformed THEN 1',
    'WHEN ts_text IS NULL THEN 2',
    'WHEN instance_id IS NULL THEN 3',
    'WHEN query_id IS NULL THEN 4',
    `WHEN query_type IS NULL OR trim(query_type, ' ') = '' THEN 5`,
    `WHEN arrival_timestamp IS NULL OR arrival_timestamp < TIMESTAMP '2000-01-01' OR arrival_timestamp >= TIMESTAMP '2100-01-01' THEN 6`,
    ...NEG_COLS.map((c, k) => `WHEN ${ident(c)} < 0 THEN ${7 + k}`),
  ].join('\n      ');
  await exec(`CREATE OR REPLACE TEMP TABLE s AS SELECT *, CASE ${reasonCase} ELSE 0 END AS code FROM t`);

  // cleaned values of accepted rows
  const cleaned = [
    ...DURATIONS.map((c) => `least(coalesce(${ident(c)}, 0), ${CAP}) AS ${ident(c)}`),
    ...FLAGS.map((c) => `CASE WHEN coalesce(${ident(c)}, 0) = 0 THEN 0 ELSE 1 END AS ${ident(c)}`),
    ...ZERO_COLS.slice(3).map((c) => `coalesce(${ident(c)}, 0) AS ${ident(c)}`),
    `translate(trim(query_type, ' '), '${UPPER}', '${LOWER}') AS query_type`,
  ].join(', ');
  const repairedExpr = [
    ...DURATIONS.map((c) => [c, `${ident(c)} IS NULL OR ${ident(c)} > ${CAP}`]),
    ...FLAGS.map((c) => [c, `${ident(c)} IS NULL OR ${ident(c)} NOT IN (0, 1)`]),
    ...ZERO_COLS.slice(3).map((c) => [c, `${ident(c)} IS NULL`]),
    ['query_type', `translate(trim(query_type, ' '), '${UPPER}', '${LOWER}') <> query_type`],
  ];
  await exec(`CREATE OR REPLACE TEMP TABLE acc AS SELECT r, ${cleaned},
      ${repairedExpr.map(([c, e]) => `(${e}) AS ${ident('rep_' + c)}`).join(', ')},
      read_table_ids, write_table_ids
    FROM s WHERE code = 0`);

  // table ids: tokens of accepted rows' non-blank fields
  const ids = {};
  for (const col of ['read_table_ids', 'write_table_ids']) {
    await exec(`CREATE OR REPLACE TEMP TABLE tok_${col} AS
      WITH f AS (SELECT r, ${ident(col)} AS f FROM acc WHERE ${ident(col)} IS NOT NULL AND trim(${ident(col)}, ' ') <> ''),
      u AS (SELECT r, unnest(string_split(f, ',')) AS t0 FROM f),
      k AS (SELECT r, trim(t0, ' ') AS tk FROM u)
      SELECT r, tk, (regexp_full_match(tk, '[0-9]+') AND (length(ltrim(tk, '0')) < 19 OR
              (length(ltrim(tk, '0')) = 19 AND ltrim(tk, '0') <= '9223372036854775807'))) AS ok
      FROM k`);
    const [[bad, n, wsum]] = await query(`SELECT
        (SELECT count(*) FROM tok_${col} WHERE NOT ok),
        count(*), ${mod64('coalesce(sum((r + 1)::HUGEINT * id::HUGEINT), 0)')}
      FROM (SELECT DISTINCT r, CAST(tk AS BIGINT) AS id FROM tok_${col} WHERE ok)`);
    const [[reprows]] = await query(`SELECT count(DISTINCT r) FROM tok_${col} WHERE NOT ok`);
    ids[col] = { bad: Number(bad), rows_with_bad: Number(reprows), n: Number(n), wsum };
  }

  const out = {};
  const [[rows]] = await query(`SELECT count(*) FROM s`);
  out.rows = Number(rows);
  const counts = await query(`SELECT code, count(*) FROM s GROUP BY code`);
  const byCode = new Map(counts.map(([c, n]) => [Number(c), Number(n)]));
  out.accepted = byCode.get(0) ?? 0;
  out.bad = Object.fromEntries(REASONS.map((r, k) => [r, byCode.get(k + 1) ?? 0]));
  const [repRow] = await query(`SELECT ${repairedExpr.map(([c]) => `count(*) FILTER (WHERE ${ident('rep_' + c)})`).join(', ')} FROM acc`);
  out.repaired = Object.fromEntries(repairedExpr.map(([c], k) => [c, Number(repRow[k])]));
  out.repaired.read_table_ids = ids.read_table_ids.rows_with_bad;
  out.repaired.write_table_ids = ids.write_table_ids.rows_with_bad;
  const anyRep = repairedExpr.map(([c]) => ident('rep_' + c)).join(' OR ');
  const [[repRows]] = await query(`SELECT count(*) FROM acc WHERE ${anyRep}
      OR r IN (SELECT r FROM tok_read_table_ids WHERE NOT ok) OR r IN (SELECT r FROM tok_write_table_ids WHERE NOT ok)`);
  out.repaired_rows = Number(repRows);
  out.bad_table_id = ids.read_table_ids.bad + ids.write_table_ids.bad;
  const [sums] = await query(`SELECT ${NUMERIC_CLEANED.map((c) => mod64(`coalesce(sum((r + 1)::HUGEINT * trunc(${ident(c)})::HUGEINT), 0)`)).join(', ')} FROM acc`);
  out.checksums = Object.fromEntries(NUMERIC_CLEANED.map((c, k) => [c, sums[k]]));
  const qts = await query(`SELECT query_type, count(*), sum(r + 1)::BIGINT FROM acc GROUP BY query_type ORDER BY query_type`);
  out.query_types = Object.fromEntries(qts.map(([q, n, s]) => [q, { n: Number(n), rsum: Number(s) }]));
  out.ids = Object.fromEntries(Object.entries(ids).map(([c, v]) => [c, { n: v.n, wsum: v.wsum }]));
  const [[status]] = await query(`SELECT string_agg(CASE WHEN code = 0 THEN '.' ELSE chr(96 + code) END, '' ORDER BY r) FROM s`);
  out.status = status;
  return out;
}

export async function buildFixture({ regenerateCsv = true } = {}) {
  fs.mkdirSync(FIXTURE_DIR, { recursive: true });
  const sumPath = path.join(os.tmpdir(), `sluice-clean-gen-${process.pid}.summary.json`);
  if (regenerateCsv) sluiceOk([...GEN_ARGS, '--out', GEN_CSV, '--summary', sumPath]);
  const generator = JSON.parse(fs.readFileSync(sumPath, 'utf8'));
  const fixture = {
    _doc: 'Generated by tests/oracle/make_clean_fixture.mjs (DuckDB oracle of docs/metrics.md section 2); do not edit by hand.',
    duration_cap_ms: CAP,
    datasets: {
      gen: { path: 'tests/fixtures/clean/gen.csv', gen_args: GEN_ARGS.join(' '), generator, ...(await cleanOracle(GEN_CSV)) },
    },
  };
  const sample = path.join(SLUICE_SHARED, SAMPLE_REL);
  if (fs.existsSync(sample)) fixture.datasets.sample = { shared_path: SAMPLE_REL, ...(await cleanOracle(sample)) };
  return fixture;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const fx = await buildFixture();
  fs.writeFileSync(EXPECTED, JSON.stringify(fx, null, 1) + '\n');
  closeDuck();
  console.log(`wrote ${EXPECTED} (${Object.keys(fx.datasets).join(', ')})`);
}

// Fidelity of `sluice gen` (serverless kind) against the real Redset serverless sample:
// query_type shares, the NULL rate of every column and the cached / spilled / aborted
// shares must be within statistically chosen tolerances of the real sample, and the
// structural facts of the real data must hold exactly.  Tolerances and their reasoning:
// docs/fidelity.md.  The side-by-side report: node scripts/fidelity.mjs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  REDSET_CSV, SLUICE_SHARED, closeDuck, ensureDataDir, ident, query, requireSluice,
} from './lib.mjs';
import {
  COLUMNS, DEFAULT_GEN_ROWS, DEFAULT_SEED, DEFAULT_TOLERANCE, QUERY_TYPES, REAL_END, REAL_START, generate, loadTable,
  rateMetrics, shareStdErr,
} from '../../scripts/fidelity.mjs';

after(closeDuck);

// ---------------------------------------------------------------- tolerances
// A share p measured on the real sample (n_real = 8,244 rows) has standard error
// sqrt(p(1-p)/n_real); the generated share adds sqrt(p(1-p)/GEN_ROWS).  A share passes when
//   |generated - real| <= Z_SE * sqrt(p(1-p) (1/n_real + 1/GEN_ROWS)) + MODEL_ALLOWANCE
// with p the real share clamped to [1/n_real, 1 - 1/n_real] (a share of 0 or 1 in 8,244 rows
// only says the true share is below about 1/n_real per standard error).
/** Standard errors allowed: |z| > 3 has probability 0.27% per share for an exact model. */
export const Z_SE = 3;
/** Absolute model allowance (0.2 percentage points): covers a generator that uses the
 *  published rounded shares (e.g. 5% cached vs 4.95%; rounding to 0.1% is <= 0.05 pp). */
export const MODEL_ALLOWANCE = 0.002;
/** Generated rows: 25x the real sample, so the generator's own noise adds only 4% to the
 *  variance of a difference; generating and reading it takes a few seconds. */
export const GEN_ROWS = DEFAULT_GEN_ROWS;
export const GEN_SEED = DEFAULT_SEED;

const tolerance = (p, nReal, nGen) => Z_SE * shareStdErr(p, nReal, nGen) + MODEL_ALLOWANCE;

// ---------------------------------------------------------------- setup
const DATA = path.join(SLUICE_SHARED, 'data');
const HAVE_DATA = fs.existsSync(DATA) && fs.existsSync(REDSET_CSV);
const NO_DATA = `real Redset sample not found (${REDSET_CSV}); ../shared/data is absent (set SLUICE_SHARED)`;

let ctxPromise = null;
/** Generate once (fixed seed), load it as table `gen` (and the real sample as `real`). */
function ctx() {
  if (!ctxPromise) {
    ctxPromise = (async () => {
      const out = path.join(ensureDataDir('fidelity'), `gen_serverless_${GEN_ROWS}_s${GEN_SEED}.parquet`);
      const t0 = Date.now();
      generate({ rows: GEN_ROWS, seed: GEN_SEED, out });
      const genSeconds = (Date.now() - t0) / 1000;
      await loadTable('gen', out);
      const G = await rateMetrics('gen');
      let R = null;
      if (HAVE_DATA) { await loadTable('real', REDSET_CSV); R = await rateMetrics('real'); }
      return { out, G, R, genSeconds };
    })();
  }
  return ctxPromise;
}

/** Compare shares; returns the out-of-tolerance ones as readable strings. */
function outOfTolerance(label, realShares, genShares, keys, nReal, nGen) {
  const bad = [];
  for (const k of keys) {
    const r = realShares[k] ?? 0;
    const g = genShares[k] ?? 0;
    const tol = tolerance(r, nReal, nGen);
    if (!(Math.abs(g - r) <= tol)) {
      bad.push(`${label} ${k}: real ${(100 * r).toFixed(2)}%, generated ${(100 * g).toFixed(2)}%, ` +
        `diff ${(100 * (g - r)).toFixed(2)} pp > tolerance ${(100 * tol).toFixed(2)} pp`);
    }
  }
  return bad;
}

const count = async (sql) => Number((await query(sql))[0][0]);

test('scripts/fidelity.mjs flags shares with the same tolerance as this test', () => {
  assert.deepEqual(DEFAULT_TOLERANCE, { z: Z_SE, allowance: MODEL_ALLOWANCE });
});

// ---------------------------------------------------------------- structure (exact)
test('sluice gen: row count, 24 Redset columns, arrivals in the real range', async () => {
  requireSluice();
  const { G } = await ctx();
  assert.equal(G.rows, GEN_ROWS);
  const cols = (await query(`DESCRIBE SELECT * FROM gen`)).map((r) => r[0]);
  assert.deepEqual(cols, COLUMNS);
  assert.ok(G.timeMin >= REAL_START && G.timeMax < REAL_END,
    `arrivals ${G.timeMin} .. ${G.timeMax} outside the real range ${REAL_START} .. ${REAL_END}`);
});

test('sluice gen: every cached row is query_type other with NULL fingerprint, compile, table counts, mbytes', async () => {
  requireSluice();
  await ctx();
  const cached = await count(`SELECT count(*) FROM gen WHERE was_cached = 1`);
  assert.ok(cached > 0, 'no cached rows generated');
  const nullCols = ['feature_fingerprint', 'compile_duration_ms', 'num_permanent_tables_accessed',
    'num_external_tables_accessed', 'num_system_tables_accessed', 'mbytes_scanned', 'mbytes_spilled'];
  const bad = await query(`SELECT
      count(*) FILTER (WHERE query_type IS DISTINCT FROM 'other'),
      ${nullCols.map((c) => `count(${ident(c)})`).join(', ')}
    FROM gen WHERE was_cached = 1`);
  const got = Object.fromEntries(['query_type <> other', ...nullCols.map((c) => `${c} not NULL`)].map((k, i) => [k, Number(bad[0][i])]));
  const want = Object.fromEntries(Object.keys(got).map((k) => [k, 0]));
  assert.deepEqual(got, want, `cached rows breaking the real data's cached-row shape (of ${cached} cached rows)`);
});

test('sluice gen: serverless structure (cluster_size NULL, cache source only on cached rows, required columns, keys)', async () => {
  requireSluice();
  await ctx();
  const [r] = await query(`SELECT
      count(cluster_size),
      count(cache_source_query_id) FILTER (WHERE was_cached IS DISTINCT FROM 1),
      count(*) FILTER (WHERE instance_id IS NULL OR query_id IS NULL OR arrival_timestamp IS NULL OR query_type IS NULL),
      count(*) FILTER (WHERE query_type NOT IN (${QUERY_TYPES.map((q) => `'${q}'`).join(', ')})),
      count(*) FILTER (WHERE was_cached NOT IN (0, 1) OR was_aborted NOT IN (0, 1)),
      count(*) - count(DISTINCT (instance_id, query_id))
    FROM gen`);
  assert.deepEqual(r.map(Number), [0, 0, 0, 0, 0, 0],
    '[cluster_size non-NULL, cache_source_query_id on non-cached rows, NULL required column, ' +
    'unknown query_type, flag not 0/1, duplicate (instance_id, query_id)]');
});

// ---------------------------------------------------------------- shares (tolerance)
test('sluice gen: query_type shares within tolerance of the real sample', async (t) => {
  if (!HAVE_DATA) return t.skip(NO_DATA);
  requireSluice();
  const { G, R } = await ctx();
  const keys = [...new Set([...QUERY_TYPES, ...Object.keys(R.queryTypes), ...Object.keys(G.queryTypes)])];
  assert.deepEqual(outOfTolerance('query_type', R.queryTypes, G.queryTypes, keys, R.rows, G.rows), []);
});

test('sluice gen: NULL rate of every column within tolerance of the real sample', async (t) => {
  if (!HAVE_DATA) return t.skip(NO_DATA);
  requireSluice();
  const { G, R } = await ctx();
  assert.deepEqual(outOfTolerance('NULL rate', R.nullRates, G.nullRates, COLUMNS, R.rows, G.rows), []);
});

test('sluice gen: cached / spilled / aborted shares within tolerance of the real sample', async (t) => {
  if (!HAVE_DATA) return t.skip(NO_DATA);
  requireSluice();
  const { G, R } = await ctx();
  assert.deepEqual(outOfTolerance('share', R.shares, G.shares, ['cached', 'spilled', 'aborted'], R.rows, G.rows), []);
});

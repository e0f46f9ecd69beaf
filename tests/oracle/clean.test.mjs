// Cleaning (docs/metrics.md section 2) vs an independent DuckDB oracle.
//
// The oracle (make_clean_fixture.mjs) writes the cleaning rules in DuckDB SQL
// over a CSV read as text.  sluice has no cleaning CLI yet, so the comparison
// with sluice's cl_clean runs in the unit test tests/unit/test_clean.c, which
// reads the committed fixture tests/fixtures/clean/expected.json and the same
// CSV files.  This test checks that:
//   1. the oracle, run on a freshly generated CSV with faults, finds exactly
//      the bad rows and repairs the generator says it injected;
//   2. the committed fixture equals what the oracle computes now for the
//      committed tests/fixtures/clean/gen.csv and (when present) the real
//      sample serverless_sample_0.001.csv -- so the fixture is neither stale
//      nor hand-edited (regenerate: node tests/oracle/make_clean_fixture.mjs);
//   3. the unit test binary (next to SLUICE_BIN: build/<mode>/tests/test_clean)
//      passes, i.e. sluice agrees with the fixture.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, SLUICE_BIN, SLUICE_SHARED, closeDuck, ensureDataDir, requireSluice, sluiceOk } from './lib.mjs';
import { EXPECTED, GEN_ARGS, GEN_CSV, REASONS, SAMPLE_REL, cleanOracle } from './make_clean_fixture.mjs';

after(closeDuck);

const DIR = ensureDataDir('clean');

test('oracle on a fresh generated CSV == the generator\'s injected counts', async () => {
  requireSluice();
  const csv = path.join(DIR, 'fresh.csv');
  const sumPath = `${csv}.summary.json`;
  // a different seed and size than the fixture's
  const args = GEN_ARGS.map((a, i) => (GEN_ARGS[i - 1] === '--seed' ? '7' : GEN_ARGS[i - 1] === '--rows' ? '20000' : a));
  sluiceOk([...args, '--out', csv, '--summary', sumPath]);
  const sum = JSON.parse(fs.readFileSync(sumPath, 'utf8'));
  const o = await cleanOracle(csv);
  assert.equal(o.rows, sum.rows_out);
  assert.ok(sum.malformed_text > 0 && sum.bad_timestamp_text > 0, 'text faults were injected');
  for (const r of REASONS) assert.equal(o.bad[r], sum.bad[r], `bad rows ${r}`);
  assert.equal(o.accepted, sum.rows_out - sum.bad_rows);
  assert.equal(o.bad_table_id, sum.bad_table_id_tokens, 'bad_table_id tokens');
  assert.equal(o.repaired.read_table_ids + o.repaired.write_table_ids, sum.repairs.bad_table_id_rows);
  assert.equal(o.repaired.was_aborted, sum.repairs.flag_was_aborted);
  assert.equal(o.repaired.was_cached, sum.repairs.flag_was_cached);
  assert.equal(o.repaired.query_type, sum.repairs.query_type_case_or_space);
  assert.equal(o.repaired.num_joins, sum.repairs.null_num_joins);
  assert.equal(o.repaired.queue_duration_ms + o.repaired.execution_duration_ms,
    sum.repairs.null_queue_duration_ms + sum.repairs.null_execution_duration_ms + sum.repairs.duration_over_cap);
  // NULL compile/mbytes: injected plus the model's (cached rows, natural NULLs)
  assert.ok(o.repaired.compile_duration_ms >= sum.repairs.null_compile_duration_ms + sum.model.null_compile_duration_ms);
  assert.equal(o.status.length, o.rows);
  assert.equal([...o.status].filter((c) => c === '.').length, o.accepted);
});

test('committed fixture == the oracle now (tests/fixtures/clean/expected.json)', async () => {
  assert.ok(fs.existsSync(EXPECTED), `${EXPECTED} missing: run node tests/oracle/make_clean_fixture.mjs`);
  assert.ok(fs.existsSync(GEN_CSV), `${GEN_CSV} missing: run node tests/oracle/make_clean_fixture.mjs`);
  const fx = JSON.parse(fs.readFileSync(EXPECTED, 'utf8'));
  const { path: p, gen_args: ga, generator, ...want } = fx.datasets.gen;
  assert.equal(p, 'tests/fixtures/clean/gen.csv');
  assert.equal(ga, GEN_ARGS.join(' '));
  assert.deepEqual(await cleanOracle(GEN_CSV), want, 'gen.csv: regenerate the fixture');
  for (const r of REASONS) assert.equal(want.bad[r], generator.bad[r], `gen.csv ${r}: oracle vs generator summary`);
  assert.equal(want.bad_table_id, generator.bad_table_id_tokens);
});

test('committed fixture == the oracle now, real sample', async (t) => {
  const sample = path.join(SLUICE_SHARED, SAMPLE_REL);
  if (!fs.existsSync(sample)) {
    t.skip(`${sample} not found (set SLUICE_SHARED)`);
    return;
  }
  const fx = JSON.parse(fs.readFileSync(EXPECTED, 'utf8'));
  assert.ok(fx.datasets.sample, 'the fixture has no sample dataset: regenerate it with the sample present');
  const { shared_path: sp, ...want } = fx.datasets.sample;
  assert.equal(sp, SAMPLE_REL);
  const got = await cleanOracle(sample);
  assert.deepEqual(got, want);
  // the real data: cached rows' NULL measures are repaired, nothing is bad
  assert.ok(got.repaired.compile_duration_ms > 0 && got.repaired.mbytes_scanned > 0);
});

test('sluice cl_clean == the fixture (unit test binary)', () => {
  const bin = path.join(path.dirname(SLUICE_BIN), 'tests', 'test_clean');
  assert.ok(fs.existsSync(bin), `${bin} not built (make unit)`);
  const r = spawnSync(bin, [], { cwd: REPO, encoding: 'utf8', timeout: 300_000, env: { ...process.env, SLUICE_SHARED } });
  assert.equal(r.status, 0, `${bin} failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /ok {3}test_fixture_gen/);
  assert.match(r.stdout, /ok {3}test_fixture_sample/);
});

// kill -9 and resume (docs/compose.md, docs/pipeline.md): a run killed at
// three moments -- while it sorts (spilling runs to its temporary
// directory), replays, or flushes the stores -- each time started again with
// the same command, which resumes the last checkpoint (committed with the
// rows, once a second), ends with exactly the tables of an uninterrupted
// run: the same hot-store rows, the same cold-store files byte for byte, and
// nothing left behind (no spill directory, no temporary file, no checkpoint).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { SLUICE_BIN, ensureDataDir, requireSluice, runSluice, sluiceOk } from './lib.mjs';

const DATA = ensureDataDir('kill');
const ROOT = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : DATA, 'sluice-kill-'));
const TABLES = ['query_hourly', 'spill_hourly', 'cache_hourly', 'top_tables_hourly', 'compile_joins_hourly',
  'compile_corr_hourly', 'utilization_hourly'];

test.after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', '-json', db, sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`sqlite3 ${db} '${sql}': ${r.stderr}`);
  return r.stdout.trim() === '' ? [] : JSON.parse(r.stdout);
}

function files(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

const args = (input, hot, cold) => ['run', input, '--speed', 'max', '--hot', hot, '--cold', cold, '--memory', '16MB',
  '--cold-url', 's3://bucket/sluice/', '--quiet', '--summary', `${hot}.summary.json`];

// Start a run and kill -9 it after ms; resolves with whether it was still running.
function killAfter(argv, env, ms) {
  return new Promise((resolve) => {
    const child = spawn(SLUICE_BIN, argv, { env, stdio: 'ignore' });
    let done = false;
    child.on('exit', () => { done = true; });
    setTimeout(() => {
      const alive = !done;
      if (alive) child.kill('SIGKILL');
      child.on('close', () => resolve(alive));
      if (done) resolve(false);
    }, ms);
  });
}

test('kill -9 at random moments, then the same command: the uninterrupted tables, cold files byte-identical, no leftovers', async (t) => {
  requireSluice(t);
  const input = path.join(DATA, 'shuffled.parquet');
  if (!fs.existsSync(input))
    sluiceOk(['gen', '--rows', '400000', '--start', '2024-03-01', '--end', '2024-03-08', '--order', 'shuffled',
      '--quiet', '--out', input]);
  const tmp = path.join(ROOT, 'tmp');
  fs.mkdirSync(tmp);
  const env = { ...process.env, TMPDIR: tmp };

  // the uninterrupted run, timed
  const W = path.join(ROOT, 'whole.db'), WC = path.join(ROOT, 'whole-cold');
  const t0 = Date.now();
  const r = runSluice(args(input, W, WC), { env, timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const full = Date.now() - t0;
  const sum = JSON.parse(fs.readFileSync(`${W}.summary.json`, 'utf8'));
  assert.ok(sum.strategy === 'external_sort' || sum.strategy === 'external-sort' || /sort/.test(sum.strategy),
    `the run sorts externally (strategy ${sum.strategy}), so a kill can leave spilled runs`);

  // kills at 10%..90% of its duration (seeded spread), each followed by the next kill or the final run
  const S = path.join(ROOT, 'killed.db'), SC = path.join(ROOT, 'killed-cold');
  const moments = [0.2, 0.55, 0.9].map((f) => Math.max(50, Math.round(f * full)));
  let killed = 0;
  for (const ms of moments) if (await killAfter(args(input, S, SC), env, ms)) killed++;
  assert.ok(killed >= 2, `${killed} of ${moments.length} runs were killed before they ended (full run ${full} ms)`);
  const ck = () => { const r = sqlite(S, 'SELECT rows FROM checkpoints'); return r.length ? r[0].rows : 0; };
  // the last kill must come after the sort, once rows were committed (a slower machine: kill later)
  for (let f = 0.93; ck() === 0 && f < 1.2; f += 0.03) await killAfter(args(input, S, SC), env, Math.round(f * full));
  const committed = ck();
  assert.ok(committed > 0, 'no killed run committed a checkpoint');

  const again = runSluice(args(input, S, SC), { env, timeout: 300_000 });
  assert.equal(again.status, 0, again.stderr);
  const s2 = JSON.parse(fs.readFileSync(`${S}.summary.json`, 'utf8'));
  assert.equal(s2.accepted, sum.accepted);
  assert.equal(s2.rows_read, sum.rows_read);
  // it resumed the last killed run's checkpoint (the rows before it were not processed again)
  assert.equal(s2.resumed_rows, committed, 'the run resumed the checkpoint the killed run committed');
  assert.equal(sqlite(S, 'SELECT count(*) AS n FROM checkpoints')[0].n, 0, 'the finished run removed its checkpoint');

  for (const tb of TABLES) {
    const q = `SELECT * FROM ${tb} ORDER BY 1, 2, 3, 4`;
    assert.deepEqual(sqlite(S, q), sqlite(W, q), `${tb}: hot store after kills + run again vs uninterrupted`);
  }
  const a = files(WC), b = files(SC);
  assert.deepEqual(b, a, 'the cold file sets differ');
  for (const f of a)
    assert.ok(fs.readFileSync(path.join(SC, f)).equals(fs.readFileSync(path.join(WC, f))), `${f} differs`);
  assert.deepEqual(fs.readdirSync(tmp), [], 'spill directories left in TMPDIR');
  assert.deepEqual(b.filter((f) => /\.tmp-/.test(f)), [], 'temporary files left in the cold store');
});

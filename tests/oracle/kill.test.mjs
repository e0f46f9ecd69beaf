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
import { ensureDataDir, METRIC_TABLES, requireSluice, runSluice, SLUICE_BIN, sluiceOk, sqlite } from './lib.mjs';

const DATA = ensureDataDir('kill');
const ROOT = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : DATA, 'sluice-kill-'));
const TABLES = METRIC_TABLES;

test.after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

function files(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

// commits (and checkpoints) five times a second: a run of a few seconds has several
const args = (input, hot, cold) => ['run', input, '--speed', 'max', '--hot', hot, '--cold', cold, '--memory', '16MB',
  '--cold-url', 's3://bucket/sluice/', '--commit-interval', '200ms', '--quiet', '--summary', `${hot}.summary.json`];

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

// Start a run and kill -9 it as soon as cond() holds (polled every 20 ms);
// resolves with whether it was killed before it ended.
function killWhen(argv, env, cond) {
  return new Promise((resolve) => {
    const child = spawn(SLUICE_BIN, argv, { env, stdio: 'ignore' });
    let done = false;
    child.on('exit', () => { done = true; });
    const poll = setInterval(() => {
      if (done) {
        clearInterval(poll);
        resolve(false);
      } else if (cond()) {
        clearInterval(poll);
        child.kill('SIGKILL');
        child.on('close', () => resolve(true));
      }
    }, 20);
  });
}

test('kill -9 at ten moments, then the same command resumes: the uninterrupted tables, cold files byte-identical, no leftovers', async (t) => {
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
  // ten moments spread over the run (seeded), sorted: sorting, replay, flushes
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const moments = Array.from({ length: 10 }, (_, i) => Math.max(50, Math.round(((i + rnd()) / 10) * 0.95 * full)));
  let killed = 0;
  for (const ms of moments) if (await killAfter(args(input, S, SC), env, ms)) killed++;
  assert.ok(killed >= 6, `${killed} of ${moments.length} runs were killed before they ended (full run ${full} ms)`);
  const ck = () => {
    if (!fs.existsSync(S)) return 0;
    try { const r = sqlite(S, 'SELECT rows FROM checkpoints'); return r.length ? r[0].rows : 0; } catch { return 0; }
  };
  // and once right after a checkpoint with rows was committed (the replay had begun)
  if (!(await killWhen(args(input, S, SC), env, () => ck() > 0))) {
    // that run ended before: the last kill must come after a commit; try again
    assert.ok(await killWhen(args(input, S, SC), env, () => ck() > 0), 'no run could be killed after a checkpoint');
  }
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

// Disk full: the cold store's file system fills up during a run (a tmpfs of a
// few MB); the run fails naming the file, the hot store shows no hour final
// whose files are missing; with more space the same command resumes its
// checkpoint and ends with the uninterrupted run's tables and files.  Needs
// to mount a tmpfs (root): skipped, saying so, where that is not allowed.
test('disk full during a run, then more space: the same command resumes to the uninterrupted result', async (t) => {
  requireSluice(t);
  const input = path.join(DATA, 'shuffled.parquet');
  assert.ok(fs.existsSync(input), 'the first test made the input');
  const mnt = path.join(ROOT, 'small');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${(m.stderr || m.error?.message || '').trim()})`);
    return;
  }
  try {
    const env = { ...process.env, TMPDIR: path.join(ROOT, 'tmp') };
    const W = path.join(ROOT, 'whole.db'), WC = path.join(ROOT, 'whole-cold'); // from the first test
    assert.ok(fs.existsSync(W));
    const H = path.join(ROOT, 'full.db'), C = path.join(mnt, 'cold');
    const r1 = runSluice(args(input, H, C), { env, timeout: 300_000 });
    assert.equal(r1.status, 2, `the run on a full disk: exit ${r1.status}: ${r1.stderr}`);
    assert.match(r1.stderr, /No space left on device/);
    assert.match(r1.stderr, /cold store: .*(\.parquet|\.manifest)/, 'the message names the file');
    const health = Object.fromEntries(sqlite(H, 'SELECT name, value FROM pipeline_health').map((x) => [x.name, x.value]));
    assert.equal(health.sluice_running, 0);
    assert.equal(health['sluice_sink_errors_total{store="cold"}'], 1);
    // no hour final in the hot store without its manifests in the cold store
    const finals = sqlite(H, 'SELECT DISTINCT hour FROM query_hourly WHERE final = 1').map((x) => x.hour);
    for (const h of finals) {
      const [d, hh] = [h.slice(0, 10), h.slice(11, 13)];
      assert.ok(fs.existsSync(path.join(C, '_manifests', 'query_hourly', `date=${d}`, `hr=${hh}.manifest`)),
        `hour ${h} is final in the hot store without its cold manifest`);
    }
    const sum1 = JSON.parse(fs.readFileSync(`${H}.summary.json`, 'utf8'));
    assert.equal(sum1.cold_hours_published, fs.readdirSync(path.join(C, '_manifests', 'query_hourly'), { recursive: true })
      .filter((f) => f.endsWith('.manifest')).length, 'the summary counts the hours whose manifests are in place');
    // the checkpoint left is the last one committed with the hours in place
    const ckr = sqlite(H, 'SELECT rows FROM checkpoints');
    assert.equal(ckr.length, 1, 'the failed run keeps its last checkpoint');
    // more space, the same command
    assert.equal(spawnSync('mount', ['-o', 'remount,size=400m', mnt]).status, 0);
    const r2 = runSluice(args(input, H, C), { env, timeout: 300_000 });
    assert.equal(r2.status, 0, r2.stderr);
    const s2 = JSON.parse(fs.readFileSync(`${H}.summary.json`, 'utf8'));
    assert.equal(s2.resumed_rows, ckr[0].rows, 'the run resumed the committed checkpoint');
    assert.equal(sqlite(H, 'SELECT count(*) AS n FROM checkpoints')[0].n, 0);
    for (const tb of TABLES) {
      const q = `SELECT * FROM ${tb} ORDER BY 1, 2, 3, 4`;
      assert.deepEqual(sqlite(H, q), sqlite(W, q), `${tb}: after disk full + resume vs uninterrupted`);
    }
    const a = files(WC), b = files(C);
    assert.deepEqual(b, a, 'the cold file sets differ');
    for (const f of a) assert.ok(fs.readFileSync(path.join(C, f)).equals(fs.readFileSync(path.join(WC, f))), `${f} differs`);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

// An input whose order is planned (per-instance sorted runs: the segments are
// merged, each seekable): the resumed run seeks every segment to the first
// hour still open at the checkpoint, so the rows before it are not read
// again -- and still ends with the uninterrupted run's tables and files.
// the ordered input's runs: memory enough to merge its sorted segments
// and paced (a week of events in about four seconds), so that checkpoints are
// taken before it ends
const oargs = (input, hot, cold) => args(input, hot, cold).map((a) => (a === '16MB' ? '1GB' : a === 'max' ? '150000' : a));

test('kill -9 of a run over ordered input, then the same command: it does not read the committed rows again', async (t) => {
  requireSluice(t);
  const input = path.join(DATA, 'runs.parquet');
  if (!fs.existsSync(input))
    sluiceOk(['gen', '--rows', '400000', '--start', '2024-03-01', '--end', '2024-03-08', '--order', 'runs',
      '--row-group-rows', '16384', '--instances', '10', '--quiet', '--out', input]);
  const env = { ...process.env, TMPDIR: path.join(ROOT, 'tmp') };
  fs.mkdirSync(env.TMPDIR, { recursive: true });
  const W = path.join(ROOT, 'runs-whole.db'), WC = path.join(ROOT, 'runs-whole-cold');
  const r = runSluice(oargs(input, W, WC), { env, timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const sum = JSON.parse(fs.readFileSync(`${W}.summary.json`, 'utf8'));
  assert.notEqual(sum.strategy, 'external_sort', `the input's order is planned, not sorted (${sum.strategy})`);

  const S = path.join(ROOT, 'runs-killed.db'), SC = path.join(ROOT, 'runs-killed-cold');
  const ck = () => {
    if (!fs.existsSync(S)) return 0;
    try { const x = sqlite(S, 'SELECT rows FROM checkpoints'); return x.length ? x[0].rows : 0; } catch { return 0; }
  };
  // killed once a checkpoint covers a third of the rows (so whole hours are final before it)
  let killedRun = await killWhen(oargs(input, S, SC), env, () => ck() >= sum.rows_read / 3);
  if (!killedRun) killedRun = await killWhen(oargs(input, S, SC), env, () => ck() > 0);
  assert.ok(killedRun, 'the paced run ended before it committed a checkpoint');
  const committed = ck();
  const again = runSluice([...oargs(input, S, SC).filter((a) => a !== '--quiet')], { env, timeout: 300_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /resuming this run's checkpoint: its first \d+ rows are committed; the replay starts again at/);
  const s2 = JSON.parse(fs.readFileSync(`${S}.summary.json`, 'utf8'));
  assert.equal(s2.resumed_rows, committed);
  assert.equal(s2.rows_read, sum.rows_read);
  assert.equal(s2.accepted, sum.accepted);
  assert.ok(s2.resume_unread_rows > 0 && s2.resume_unread_rows <= committed,
    `rows not read again: ${s2.resume_unread_rows} of ${committed} committed`);
  for (const tb of TABLES) {
    const q = `SELECT * FROM ${tb} ORDER BY 1, 2, 3, 4`;
    assert.deepEqual(sqlite(S, q), sqlite(W, q), `${tb}: resumed vs uninterrupted`);
  }
  const a = files(WC), b = files(SC);
  assert.deepEqual(b, a, 'the cold file sets differ');
  for (const f of a)
    assert.ok(fs.readFileSync(path.join(SC, f)).equals(fs.readFileSync(path.join(WC, f))), `${f} differs`);
});

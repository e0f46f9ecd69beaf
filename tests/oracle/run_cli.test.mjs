// `sluice run`'s command-line conventions (issue 12): the default speed,
// progress lines when stderr is not a terminal, the readable summary,
// --quiet, and --log-format json.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDataDir, requireSluice, runSluice, sluiceOk } from './lib.mjs';

const DIR = ensureDataDir('run_cli');
const INPUT = path.join(DIR, 'two_days.csv');

function input() {
  if (!fs.existsSync(INPUT))
    sluiceOk(['gen', '--rows', '3000', '--start', '2024-03-01', '--end', '2024-03-03', '--seed', '7', '--quiet', '--out', INPUT]);
  return INPUT;
}

function fresh(name) {
  const p = path.join(DIR, name);
  for (const f of [p, `${p}-wal`, `${p}-shm`, `${p}.checkpoint`]) fs.rmSync(f, { force: true });
  return p;
}

test('run is unpaced by default (speed max); replay keeps its paced default of 60', (t) => {
  requireSluice(t);
  const t0 = Date.now();
  const r = runSluice(['run', input(), '--hot', fresh('speed.db'), '--json', '--quiet'], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.speed, 'max');
  assert.equal(s.rows_read, 3000);
  // two event days at 60x would take 48 wall minutes
  assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
  assert.match(runSluice(['help', 'run']).stdout, /--speed N\|max[^]*?\(default max\)/);
  assert.match(runSluice(['help', 'replay']).stdout, /--speed N\|max[^]*?\(default 60\)/);
  // a pipeline file without replay.speed: max too (config --print shows every default)
  const yaml = path.join(DIR, 'p.yaml');
  fs.writeFileSync(yaml, `inputs: [{path: ${input()}}]\noutputs: [{type: sqlite, path: ${path.join(DIR, 'p.db')}}]\n`);
  assert.match(sluiceOk(['config', '--print', yaml]), /^ {2}speed: max$/m);
  // an explicit --speed still paces
  const p = runSluice(['run', input(), '--hot', fresh('speed2.db'), '--json', '--quiet', '--speed', '720000'], { timeout: 60_000 });
  assert.equal(JSON.parse(p.stdout).speed, 720000);
});

test('stderr not a terminal: progress lines every --progress-every (no carriage returns), a readable summary; --quiet silences both', (t) => {
  requireSluice(t);
  const args = ['run', input(), '--speed', '100000', '--progress-every', '300ms'];
  const r = runSluice([...args, '--hot', fresh('prog.db')], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stderr.includes('\r'), 'no carriage returns in a log');
  const prog = r.stderr.split('\n').filter((l) => l.startsWith('sluice run: progress: '));
  assert.ok(prog.length >= 2, `progress lines: ${r.stderr}`);
  assert.match(prog[0], /^sluice run: progress: \d+\.\d% done, ETA (\?|\d\S*), \d+ events, \d+ ev\/s, at \S+Z, watermark \S+, lag [\d.]+ s/);
  assert.match(r.stderr, /^sluice run: done\n {2}rows read {4}3000: 3000 accepted \(\d+ repaired\), 0 bad, 0 duplicates, 0 late\n {2}windows {6}48 final, 0 open\n {2}watermark {4}2024-03-02T\S+Z\n {2}time {9}[\d.]+ s .*\n {2}peak RSS {5}[\d.]+ MB\n {2}outputs {6}hot \S+prog\.db\n$/m);
  const q = runSluice([...args, '--hot', fresh('prog_q.db'), '--quiet'], { timeout: 60_000 });
  assert.equal(q.status, 0);
  assert.equal(q.stderr, '');
});

// The % of the progress lines: rows processed over the rows the replay
// gives (counted when the order is planned), floored to a tenth.
function pctOf(line) {
  const m = line.match(/progress: (\d+\.\d)% done, ETA (\S+?),/);
  assert.ok(m, `no % done and ETA in: ${line}`);
  return { pct: Number(m[1]), eta: m[2] };
}

test('stderr not a terminal: the progress lines carry a % done that grows and ends at 100.0, and an ETA', (t) => {
  requireSluice(t);
  // two event days at 50000x: about 3.5 s, a line every 400 ms
  const r = runSluice(['run', input(), '--speed', '50000', '--progress-every', '400ms', '--hot', fresh('pct.db')],
    { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const prog = r.stderr.split('\n').filter((l) => l.startsWith('sluice run: progress: ')).map(pctOf);
  assert.ok(prog.length >= 4, `progress lines: ${r.stderr}`);
  for (let i = 1; i < prog.length; i++) assert.ok(prog[i].pct >= prog[i - 1].pct, `% goes back: ${r.stderr}`);
  assert.ok(prog[0].pct < 100 && prog.some((p) => p.pct > prog[0].pct), `% grows: ${r.stderr}`);
  assert.ok(prog.slice(0, -1).every((p) => p.pct < 100), `100.0 only at the end: ${r.stderr}`);
  assert.deepEqual(prog.at(-1), { pct: 100, eta: '0s' });
  // once a second of rate is known, the ETA is a duration (1m23s, 4s)
  const etas = prog.slice(0, -1).map((p) => p.eta).filter((e) => e !== '?');
  assert.ok(etas.length >= 1, `an ETA: ${r.stderr}`);
  for (const e of etas) assert.match(e, /^(\d+s|\d+m\d\ds|\d+h\d\dm|\d+d\d\dh)$/);
  // the last progress line comes before the summary
  assert.ok(r.stderr.indexOf('progress: 100.0% done') < r.stderr.indexOf('sluice run: done'));
});

test('--log-format json: progress objects carry pct and eta_s; rows_total is the rows in --from/--to', (t) => {
  requireSluice(t);
  const run = (extra, name) => {
    const r = runSluice(['run', input(), '--speed', '50000', '--progress-every', '300ms', '--hot', fresh(name),
      '--log-format', 'json', ...extra], { timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  };
  const all = run([], 'pj.db');
  const prog = all.filter((o) => o.phase === 'progress');
  assert.ok(prog.length >= 3, 'progress objects');
  for (const o of prog) {
    assert.equal(o.rows_total, 3000);
    assert.ok(typeof o.pct === 'number' && o.pct >= 0 && o.pct <= 100);
    assert.ok(o.eta_s === null || (Number.isInteger(o.eta_s) && o.eta_s >= 0));
    assert.equal(o.pct, Math.floor((o.rows_done / 3000) * 1000) / 10);
  }
  assert.ok(prog.some((o) => Number.isInteger(o.eta_s) && o.eta_s > 0), 'an ETA while running');
  assert.equal(prog.at(-1).pct, 100);
  assert.equal(prog.at(-1).eta_s, 0);
  assert.equal(prog.at(-1).rows_done, 3000);
  // a range: the total is the rows in [from, to), which the summary reads
  const part = run(['--from', '2024-03-01T12', '--to', '2024-03-02T06'], 'pj_range.db');
  const sum = part.at(-1);
  assert.equal(sum.phase, 'summary');
  assert.ok(sum.rows_read > 0 && sum.rows_read < 3000, `${sum.rows_read}`);
  const pr = part.filter((o) => o.phase === 'progress');
  assert.ok(pr.length >= 1);
  for (const o of pr) assert.equal(o.rows_total, sum.rows_read);
  assert.equal(pr.at(-1).pct, 100);
  assert.equal(pr.at(-1).rows_done, sum.rows_read);
});

test('--log-format json: a fatal error is one JSON line (level error), not "sluice: ..." text', (t) => {
  requireSluice(t);
  const missing = path.join(DIR, 'no_such_input.csv');
  for (const [args, status, msg] of [
    [['run', missing, '--hot', fresh('err.db'), '--log-format', 'json'], 2, /no_such_input\.csv: No such file/],
    [['run', '--bogus', input(), '--log-format=json'], 1, /unknown option '--bogus'/],
    [['run', '--log-format', 'json'], 1, /no INPUT given/],
  ]) {
    const r = runSluice(args, { timeout: 60_000 });
    assert.equal(r.status, status, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    const o = JSON.parse(lines[0]);
    assert.equal(o.level, 'error');
    assert.equal(o.phase, 'error');
    assert.equal(o.exit, status);
    assert.match(o.msg, msg);
    assert.doesNotMatch(o.msg, /^sluice:/);
  }
  // text logs keep the text error
  const r = runSluice(['run', missing, '--hot', fresh('err2.db')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^sluice: run: \S*no_such_input\.csv: No such file/m);
});

test('--log-format json: every stderr line one JSON object {ts, level, msg, ...fields}', (t) => {
  requireSluice(t);
  const r = runSluice(['run', input(), '--speed', '100000', '--progress-every', '300ms', '--hot', fresh('json.db'),
    '--log-format', 'json'], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  for (const o of lines) {
    assert.match(o.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    assert.ok(['info', 'warning', 'error'].includes(o.level), o.level);
    assert.equal(typeof o.msg, 'string');
  }
  const prog = lines.filter((o) => o.phase === 'progress');
  assert.ok(prog.length >= 2, 'progress objects');
  assert.ok(prog.every((o) => Number.isInteger(o.events) && o.events <= 3000 && typeof o.watermark === 'string'));
  const sum = lines.at(-1);
  assert.equal(sum.phase, 'summary');
  assert.equal(sum.rows_read, 3000);
  assert.equal(sum.accepted, 3000);
  assert.equal(sum.windows_final, 48);
  assert.equal(sum.identity_ok, true);
  const bad = runSluice(['run', input(), '--log-format', 'xml']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--log-format needs text or json, got 'xml'/);
});

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
  assert.match(prog[0], /^sluice run: progress: \d+ events, \d+ ev\/s, at \S+Z, watermark \S+, lag [\d.]+ s/);
  assert.match(r.stderr, /^sluice run: done\n {2}rows read {4}3000: 3000 accepted \(\d+ repaired\), 0 bad, 0 duplicates, 0 late\n {2}windows {6}48 final, 0 open\n {2}watermark {4}2024-03-02T\S+Z\n {2}time {9}[\d.]+ s .*\n {2}peak RSS {5}[\d.]+ MB\n {2}outputs {6}hot \S+prog\.db\n$/m);
  const q = runSluice([...args, '--hot', fresh('prog_q.db'), '--quiet'], { timeout: 60_000 });
  assert.equal(q.status, 0);
  assert.equal(q.stderr, '');
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

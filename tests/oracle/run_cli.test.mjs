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

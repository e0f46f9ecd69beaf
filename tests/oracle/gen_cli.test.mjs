// sluice gen through the CLI: deterministic files, the same rows in every
// output format (read back by DuckDB), key-value metadata, fault counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, ensureDataDir, query, queryObjects, runSluice, requireSluice, sqlStr, REDSET_COLUMNS } from './lib.mjs';

const DIR = ensureDataDir('gen_cli');
const GEN = ['gen', '--rows', '20000', '--seed', '7', '--start', '2024-03-01', '--end', '2024-03-08', '--quiet'];

function gen(out, extra = []) {
  const r = runSluice([...GEN, '--out', out, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return r;
}

test('gen: same seed gives byte-identical files, another seed does not', (t) => {
  requireSluice(t);
  const a = path.join(DIR, 'a.parquet'), b = path.join(DIR, 'b.parquet'), c = path.join(DIR, 'c.parquet');
  gen(a);
  gen(b);
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), 'same seed, different bytes');
  const r = runSluice(['gen', '--rows', '20000', '--seed', '8', '--start', '2024-03-01', '--end', '2024-03-08', '--quiet', '--out', c]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!fs.readFileSync(a).equals(fs.readFileSync(c)), 'different seeds, same bytes');
});

test('gen: Parquet, CSV and JSON Lines hold the same rows (DuckDB reads all three)', async (t) => {
  requireSluice(t);
  const pq = path.join(DIR, 'same.parquet'), csv = path.join(DIR, 'same.csv'), jl = path.join(DIR, 'same.jsonl');
  gen(pq);
  gen(csv);
  gen(jl);
  const types = REDSET_COLUMNS.map(([n, ty]) => `'${n}': '${ty}'`).join(', ');
  const cols = REDSET_COLUMNS.map(([n]) => n).join(', ');
  const sources = {
    parquet: `SELECT ${cols} FROM read_parquet(${sqlStr(pq)})`,
    csv: `SELECT ${cols} FROM read_csv(${sqlStr(csv)}, header=true, columns={${types}})`,
    jsonl: `SELECT ${cols} FROM read_json(${sqlStr(jl)}, format='newline_delimited', columns={${types}})`,
  };
  const [[n]] = await query(`SELECT count(*) FROM (${sources.parquet})`);
  assert.equal(Number(n), 20000);
  for (const other of ['csv', 'jsonl']) {
    for (const [x, y] of [['parquet', other], [other, 'parquet']]) {
      const [[d]] = await query(`SELECT count(*) FROM ((${sources[x]}) EXCEPT ALL (${sources[y]}))`);
      assert.equal(Number(d), 0, `${x} has ${d} rows that ${y} lacks`);
    }
  }
});

test('gen: key-value metadata names the writer and the source', (t) => {
  requireSluice(t);
  const f = path.join(DIR, 'kv.parquet');
  gen(f);
  const meta = JSON.parse(runSluice(['inspect', f, '--json']).stdout);
  assert.equal(meta.key_value.writer, 'sluice 0.1.0');
  assert.equal(meta.key_value.source, 'sluice gen');
  assert.match(meta.key_value['sluice.gen.args'], /--seed 7/);
  assert.doesNotMatch(meta.key_value['sluice.gen.args'], /kv\.parquet/, 'output name must not be recorded');
  assert.equal(meta.created_by, 'sluice version 0.1.0');
});

test('gen: injected faults are counted exactly in the summary', async (t) => {
  requireSluice(t);
  const f = path.join(DIR, 'faults.parquet');
  const sum = path.join(DIR, 'faults.json');
  gen(f, ['--duplicates', '0.01', '--summary', sum]);
  const s = JSON.parse(fs.readFileSync(sum, 'utf8'));
  const dups = s.duplicates ?? s.counts?.duplicates;
  assert.ok(Number.isInteger(dups) && dups > 100 && dups < 300, `duplicates in summary: ${JSON.stringify(s).slice(0, 300)}`);
  // every duplicate is an exact copy of an earlier row: rows - distinct rows = duplicates
  const [[rows, distinct]] = await query(`SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM read_parquet(${sqlStr(f)}))) FROM read_parquet(${sqlStr(f)})`);
  assert.equal(Number(rows), 20000 + dups);
  assert.equal(Number(rows) - Number(distinct), dups);
});

test('gen --instances N: exactly N distinct instance_id, with the real profile or the built-in one', async (t) => {
  requireSluice(t);
  for (const [n, extra] of [[150, []], [200, []], [37, ['--profile', 'none']], [500, ['--kind', 'provisioned']]]) {
    const out = path.join(DIR, `inst_${n}.parquet`);
    gen(out, ['--instances', String(n), ...extra]);
    const [[d]] = await query(`SELECT count(DISTINCT instance_id) FROM read_parquet(${sqlStr(out)})`);
    assert.equal(Number(d), n, `--instances ${n} ${extra.join(' ')}`);
    const [[rows]] = await query(`SELECT count(*) FROM read_parquet(${sqlStr(out)})`);
    assert.equal(Number(rows), 20000, 'the row count stays exact');
  }
});

test('gen finds the real profile from any directory and says which it used; --profiles DIR', (t) => {
  requireSluice(t);
  const shared = process.env.SLUICE_SHARED || path.resolve(REPO, '..', 'shared');
  const real = path.join(shared, 'data', 'redset', 'hourly_by_instance_serverless.parquet');
  if (!fs.existsSync(real)) return t.skip(`no ${real}`);
  const env = { ...process.env };
  delete env.SLUICE_SHARED;
  const line = (r) => r.stderr.match(/profile: (.*)$/m)?.[1] ?? '';
  // from / (no ../shared there): beside the binary's checkout
  const r = runSluice(['gen', '--rows', '100', '--out', path.join(DIR, 'p.csv')], { env, cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(line(r), /hourly_by_instance_serverless\.parquet \(200 instances, \d+ hours\)/);
  assert.equal(fs.realpathSync(line(r).replace(/ \(.*$/, '')), fs.realpathSync(real));
  // --profiles DIR
  const p = runSluice(['gen', '--rows', '100', '--kind', 'provisioned', '--profiles', path.dirname(real), '--out', path.join(DIR, 'p.csv')]);
  assert.equal(p.status, 0, p.stderr);
  assert.ok(line(p).startsWith(path.join(path.dirname(real), 'hourly_by_instance_provisioned.parquet')), line(p));
  const m = runSluice(['gen', '--rows', '100', '--profiles', DIR, '--out', path.join(DIR, 'p.csv')]);
  assert.equal(m.status, 2);
  assert.match(m.stderr, /hourly_by_instance_serverless\.parquet: cannot open/);
  // none: built-in, said so
  assert.match(line(runSluice(['gen', '--rows', '100', '--profile', 'none', '--out', path.join(DIR, 'p.csv')])), /^built-in serverless approximation/);
});

test('gen --displaced (was --late): the old name is an error naming the new one', (t) => {
  requireSluice(t);
  for (const kind of [[], ['--kind', 'product-events']]) {
    const r = runSluice(['gen', ...kind, '--rows', '100', '--late', '0.1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^sluice: --late: renamed: use --displaced 0\.1 /m);
    assert.equal(r.stdout, '');
  }
  const s = JSON.parse(runSluice([...GEN, '--displaced', '0.05', '--out', path.join(DIR, 'd.csv'), '--summary', '-']).stdout);
  assert.ok(s.late_held >= 900 && s.late_held <= 1100, `late_held ${s.late_held}`);
  assert.match(runSluice(['help', 'gen']).stdout, /--displaced F/);
});

// --overload F: a fraction of each instance's 4-hour episodes is overloaded (every uncached
// query of the episode runs 10-40 min after waiting 3-8 times that, and spills). The summary
// counts its rows; DuckDB finds exactly those rows by their shape, grouped in 4-hour
// episodes; without the option no row has that shape, and the rest of the file is unchanged.
test('gen --overload: overloaded episodes counted exactly, nothing else changed', async (t) => {
  requireSluice(t);
  const a = path.join(DIR, 'over.parquet'), b = path.join(DIR, 'plain.parquet');
  const sa = path.join(DIR, 'over.json');
  gen(a, ['--overload', '0.05', '--summary', sa]);
  gen(b);
  const n = JSON.parse(fs.readFileSync(sa, 'utf8')).overloaded_rows;
  assert.ok(n > 100, `${n} overloaded rows`);
  const shape = `execution_duration_ms >= 600000 AND queue_duration_ms >= 3 * execution_duration_ms`;
  const [x] = await queryObjects(`SELECT
      (SELECT count(*) FROM read_parquet(${sqlStr(a)}) WHERE ${shape}) AS shaped,
      (SELECT count(*) FROM read_parquet(${sqlStr(b)}) WHERE ${shape}) AS plain,
      (SELECT count(*) FROM (SELECT instance_id, query_id, arrival_timestamp, query_type FROM read_parquet(${sqlStr(a)})
        WHERE NOT (${shape}) EXCEPT ALL SELECT instance_id, query_id, arrival_timestamp, query_type FROM read_parquet(${sqlStr(b)})
        WHERE NOT (${shape}))) AS changed,
      (SELECT count(DISTINCT (instance_id, epoch(date_trunc('hour', arrival_timestamp)) // 14400))
        FROM read_parquet(${sqlStr(a)}) WHERE ${shape}) AS episodes`);
  assert.equal(Number(x.plain), 0, 'no such row without --overload');
  assert.equal(Number(x.changed), 0, 'the other rows are the same');
  assert.equal(Number(x.shaped), n, 'the rows of the shape are the counted ones');
  assert.ok(Number(x.episodes) > 5, `${x.episodes} episodes`);
});

// Progress (issue 12): stderr not a terminal gives a line every
// --progress-every with % done (rows over --rows: known up front) and an ETA,
// ending at 100.0; --quiet silences them.
function progressLines(stderr) {
  return stderr.split('\n').filter((l) => l.startsWith('sluice gen: progress: ')).map((l) => {
    const m = l.match(/^sluice gen: progress: (\d+\.\d)% done, ETA (\S+?), (\d+) of (\d+) rows, \d+ rows\/s$/);
    assert.ok(m, `progress line: ${l}`);
    return { pct: Number(m[1]), eta: m[2], rows: Number(m[3]), total: Number(m[4]) };
  });
}

test('gen: stderr not a terminal: progress lines with a % that grows and ends at 100.0, and an ETA', (t) => {
  requireSluice(t);
  const out = path.join(DIR, 'progress.parquet');
  const r = runSluice(['gen', '--rows', '600000', '--seed', '7', '--duplicates', '0.01', '--batch-rows', '8192',
    '--progress-every', '200ms', '--out', out], { timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stderr.includes('\r'), 'no carriage returns in a log');
  const prog = progressLines(r.stderr);
  assert.ok(prog.length >= 4, r.stderr);
  for (let i = 1; i < prog.length; i++) assert.ok(prog[i].rows >= prog[i - 1].rows && prog[i].pct >= prog[i - 1].pct, r.stderr);
  // base rows over --rows (the duplicates come on top)
  assert.ok(prog.every((p) => p.total === 600000 && p.pct === Math.floor((p.rows / 600000) * 1000) / 10), r.stderr);
  assert.ok(prog.slice(0, -1).every((p) => p.pct < 100), r.stderr);
  assert.deepEqual(prog.at(-1), { pct: 100, eta: '0s', rows: 600000, total: 600000 });
  assert.ok(prog.slice(0, -1).some((p) => /^(\d+s|\d+m\d\ds)$/.test(p.eta)), `an ETA: ${r.stderr}`);
  assert.match(r.stderr, /^sluice gen: 6\d{5} rows \(600000 base \+ \d+ duplicates\)/m);
  assert.ok(r.stderr.indexOf('progress: 100.0% done') < r.stderr.indexOf('sluice gen: 6'));
  const q = runSluice(['gen', '--rows', '20000', '--quiet', '--progress-every', '1ms', '--out', path.join(DIR, 'q.parquet')]);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr, '');
  // product events: lines with their duplicates (known up front too)
  const p = runSluice(['gen', '--kind', 'product-events', '--rows', '200000', '--duplicates', '0.02', '--batch-rows', '4096',
    '--progress-every', '100ms', '--out', path.join(DIR, 'progress_pe.jsonl')], { timeout: 120_000 });
  assert.equal(p.status, 0, p.stderr);
  const pp = progressLines(p.stderr);
  assert.ok(pp.length >= 2, p.stderr);
  const total = 200000 + Math.round(0.02 * 200000);
  assert.ok(pp.every((x) => x.total === total), p.stderr);
  assert.deepEqual(pp.at(-1), { pct: 100, eta: '0s', rows: total, total });
});

test('convert: stderr not a terminal: progress lines, rows over the footer\'s row count, ending at 100.0; --quiet silences them', (t) => {
  requireSluice(t);
  const src = path.join(DIR, 'progress.parquet');
  if (!fs.existsSync(src)) {
    const g = runSluice(['gen', '--rows', '600000', '--seed', '7', '--duplicates', '0.01', '--quiet', '--out', src], { timeout: 120_000 });
    assert.equal(g.status, 0, g.stderr);
  }
  const out = path.join(DIR, 'progress_conv.parquet');
  const r = runSluice(['convert', src, out, '--codec', 'gzip', '--row-group-rows', '65536', '--progress-every', '100ms'],
    { timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout).rows;
  assert.ok(rows > 600000, r.stdout);
  const prog = r.stderr.split('\n').filter((l) => l.startsWith('sluice convert: progress: ')).map((l) => {
    const m = l.match(/^sluice convert: progress: (\d+\.\d)% done, ETA (\S+?), (\d+) of (\d+) rows, \d+ rows\/s$/);
    assert.ok(m, `progress line: ${l}`);
    return { pct: Number(m[1]), eta: m[2], rows: Number(m[3]), total: Number(m[4]) };
  });
  assert.ok(prog.length >= 2, r.stderr);
  for (let i = 1; i < prog.length; i++) assert.ok(prog[i].rows > prog[i - 1].rows, r.stderr);
  assert.ok(prog.every((p) => p.total === rows && p.pct === Math.floor((p.rows / rows) * 1000) / 10), r.stderr);
  assert.deepEqual(prog.at(-1), { pct: 100, eta: '0s', rows, total: rows });
  const q = runSluice(['convert', src, path.join(DIR, 'progress_conv_q.parquet'), '--quiet', '--progress-every', '1ms'],
    { timeout: 120_000 });
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr, '');
});

// Pipeline files (docs/pipeline-file.md): `sluice run --config FILE` gives the
// same tables as the flags it stands for; flags override the file; a bad file
// is refused naming the key and the line; `sluice config` prints the examples,
// checks and prints files, and generates the options reference that
// docs/pipeline-file.md carries; the text output writes the same final rows
// as the cold store (DuckDB reads both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDataDir, query, REPO, runSluice, SLUICE_BIN, sluiceExists, sqlite, sqlStr } from './lib.mjs';

const DIR = ensureDataDir('pipeline_file');
const SKIP = sluiceExists() ? (runSluice(['config', '--help']).status === 0 ? false : 'no sluice config') :
  `sluice binary not found at ${SLUICE_BIN}`;
const num = (x) => Number(x);

const TABLES = ['query_hourly', 'spill_hourly', 'cache_hourly', 'top_tables_hourly', 'compile_joins_hourly',
  'compile_corr_hourly', 'utilization_hourly', 'bad_rows', 'late_events'];
function dump(db) {
  const out = {};
  for (const t of TABLES) out[t] = sqlite(db, `SELECT * FROM ${t} ORDER BY 1, 2, 3, 4`);
  out.events = sqlite(db, `SELECT count(*) AS n, sum(query_id) AS q FROM events`);
  return out;
}

let INPUT = null;
function input() {
  if (INPUT) return INPUT;
  INPUT = path.join(DIR, 'in.parquet');
  const r = runSluice(['gen', '--rows', '30000', '--seed', '21', '--start', '2024-03-01', '--end', '2024-03-03',
    '--bad-rows', '0.01', '--duplicates', '0.01', '--repairs', '0.02', '--order', 'runs', '--out', INPUT, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return INPUT;
}

function fresh(name) {
  const p = path.join(DIR, name);
  fs.rmSync(p, { recursive: true, force: true });
  for (const x of ['-wal', '-shm']) fs.rmSync(p + x, { force: true });
  return p;
}

test('run --config == the same run with flags; flags override the file', { skip: SKIP }, () => {
  const inp = input();
  const a = fresh('a.db'), b = fresh('b.db'), c = fresh('c.db'), cold = fresh('a_cold');
  let r = runSluice(['run', inp, '--source', 'gen', '--speed', 'max', '--hot', a, '--cold', cold, '--k', '3',
    '--lateness', '30m', '--quiet']);
  /* --source must precede its INPUT: the run above labels nothing and ends with an error */
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--source 'gen' is not followed by an INPUT/);
  r = runSluice(['run', '--source', 'gen', inp, '--speed', 'max', '--hot', a, '--k', '3', '--lateness', '30m', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const yaml = path.join(DIR, 'b.yaml');
  fs.writeFileSync(yaml, [
    '# the same pipeline as a file',
    'schema: redset',
    'inputs:',
    `  - path: ${inp}`,
    '    source: gen',
    'replay:',
    '  speed: max',
    'engine:',
    '  lateness: 30m',
    'transforms:',
    '  - type: redset_metrics',
    '    k: 3',
    'outputs:',
    '  - type: sqlite',
    `    path: ${b}`,
    ''].join('\n'));
  r = runSluice(['run', '--config', yaml, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(dump(b), dump(a), 'the file and the flags give the same tables');
  // a flag overrides one key of the file and keeps the others: --hot moves the store, k stays 3
  r = runSluice(['run', '--config', yaml, '--hot', c, '--quiet', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).hot, c);
  assert.deepEqual(dump(c), dump(a));
  assert.equal(num(sqlite(c, `SELECT max(rank) AS k FROM top_tables_hourly`)[0].k), 3);
  // a JSON pipeline file is a pipeline file too
  const json = path.join(DIR, 'b.json');
  const d = fresh('d.db');
  fs.writeFileSync(json, JSON.stringify({ inputs: [{ path: inp, source: 'gen' }], replay: { speed: 'max' },
    engine: { lateness: '30m' }, transforms: [{ type: 'redset_metrics', k: 3 }], outputs: [{ type: 'sqlite', path: d }] }));
  r = runSluice(['run', '--config', json, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(dump(d), dump(a));
});

test('a bad pipeline file is refused naming the key and the line', { skip: SKIP }, () => {
  const inp = input();
  const cases = [
    [`inputs: [${inp}]\nengine:\n  lateness: soon\n`, 1, /bad\.yaml:3: engine\.lateness: needs a duration like 10m, 90s or 1h30m, got 'soon'/],
    [`inputs: [${inp}]\ntransforms:\n  - type: redset_metrics\n    kk: 3\n`, 1, /bad\.yaml:4: transforms\[0\]\.kk: unknown key 'kk' \(did you mean 'k'\?; known: .*\bk\b/],
    [`inputs: [${inp}]\noutputs:\n  - type: postgres\n`, 1, /bad\.yaml:3: outputs\[0\]\.type: no output named 'postgres' \(the outputs: sqlite, parquet(, text)?/],
    [`inputs: [${inp}]\noutputs:\n  - type: parquet\n`, 1, /bad\.yaml:3: outputs\[0\]: needs dir/],
    [`inputs: [${inp}]\nreplay:\n  speed: 0\n`, 1, /bad\.yaml:3: replay\.speed: needs a positive number/],
    [`inputs: [${inp}]\nreplay:\n  memory: 10K\n`, 1, /bad\.yaml:3: replay\.memory: needs a size of at least 1M, got '10K'/],
    [`inputs: [${inp}]\nschema: nope\n`, 1, /bad\.yaml:2: schema: no schema named 'nope' \(the schemas: redset/],
    [`inputs:\n  - path: ${DIR}/nothing-*.parquet\n`, 2, /bad\.yaml:2: inputs\[0\]\.path: no file matches/],
    [`inputs: [${inp}]\nengine:\n  lateness: 1m\n lateness: 2m\n`, 1, /bad\.yaml:4:\d+: /],
    [`inputs: [${inp}]\nengine:\n  lateness: 1m\n  lateness: 2m\n`, 1, /bad\.yaml:4/],
    [`inputs: [${inp}]\nengien:\n  lateness: 1m\n`, 1, /bad\.yaml:2: engien: unknown section 'engien'/],
  ];
  const bad = path.join(DIR, 'bad.yaml');
  for (const [text, code, re] of cases) {
    fs.writeFileSync(bad, text);
    const r = runSluice(['run', '--config', bad, '--hot', path.join(DIR, 'never.db'), '--quiet']);
    assert.equal(r.status, code, `${text}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, re, text);
    const c = runSluice(['config', '--check', bad]);
    assert.equal(c.status, code, `config --check: ${c.stderr}`);
    assert.match(c.stderr, re);
  }
  assert.ok(!fs.existsSync(path.join(DIR, 'never.db')), 'a bad file ran nothing');
  // a flag with a bad value is named by its flag
  const r = runSluice(['run', input(), '--k', '0', '--quiet']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^sluice: run: --k needs an integer in 1\.\.1000000, got '0'$/m);
});

test('sluice config: examples, --check, --print and the options reference in the docs', { skip: SKIP }, () => {
  for (const name of ['redset', 'product_events']) {
    const r = runSluice(['config', '--example', name]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, fs.readFileSync(path.join(REPO, 'examples', `${name}.yaml`), 'utf8'),
      `config --example ${name} == examples/${name}.yaml`);
  }
  const r = runSluice(['config', '--example', 'nope']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no example named 'nope' \(the examples: redset(, | or )product_events\)/);
  // the redset example, pointed at this test's files, checks and prints with every default
  const ex = fs.readFileSync(path.join(REPO, 'examples', 'redset.yaml'), 'utf8')
    .replaceAll('build/demo/redset_sample.parquet', input())
    .replaceAll('build/demo/', DIR + '/ex_');
  const f = path.join(DIR, 'ex.yaml');
  fs.writeFileSync(f, ex);
  const c = runSluice(['config', '--check', f]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, /is a valid pipeline file \(1 input files, 1 transforms, 2 outputs\)/);
  const p = runSluice(['config', '--print', f]);
  assert.equal(p.status, 0, p.stderr);
  for (const want of ['schema: redset', 'lateness: 10m', 'duration_cap: 7d', 'k: 10', 'weights: 1,1,1,1',
    'threshold: 0.5', 'type: sqlite', 'name: hot', 'retention_hours: 24', 'events_buffer: 256M', 'type: parquet',
    'name: cold'])
    assert.ok(p.stdout.includes(want), `--print lacks ${want}:\n${p.stdout}`);
  // docs/pipeline-file.md carries exactly what `sluice config --doc` generates
  const doc = runSluice(['config', '--doc']).stdout;
  const md = fs.readFileSync(path.join(REPO, 'docs', 'pipeline-file.md'), 'utf8');
  const m = md.match(/<!-- BEGIN sluice config --doc -->\n([\s\S]*?)<!-- END sluice config --doc -->/);
  assert.ok(m, 'docs/pipeline-file.md has the generated section');
  assert.equal(m[1], doc, 'docs/pipeline-file.md is out of date: regenerate it with sluice config --doc');
  const health = runSluice(['config', '--health-doc']).stdout;
  const pmd = fs.readFileSync(path.join(REPO, 'docs', 'pipeline.md'), 'utf8');
  const h = pmd.match(/<!-- BEGIN sluice config --health-doc -->\n([\s\S]*?)<!-- END sluice config --health-doc -->/);
  assert.ok(h, 'docs/pipeline.md has the generated health section');
  assert.equal(h[1], health, 'docs/pipeline.md is out of date: regenerate it with sluice config --health-doc');
});

test('the text output writes the final rows the cold store has', { skip: SKIP }, async () => {
  const inp = input();
  const hot = fresh('t.db'), cold = fresh('t_cold'), text = fresh('t_text');
  const f = path.join(DIR, 't.yaml');
  fs.writeFileSync(f, [
    `inputs: [${inp}]`,
    'replay: {speed: max}',
    'outputs:',
    `  - {type: sqlite, path: ${hot}}`,
    `  - {type: parquet, dir: ${cold}}`,
    `  - {type: text, dir: ${text}, tables: "query_hourly, utilization_hourly, bad_rows"}`,
    `  - {type: text, name: csv, dir: ${text}/csv, format: csv, tables: cache_hourly}`,
    ''].join('\n'));
  const r = runSluice(['run', '--config', f, '--quiet', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.outputs.map((o) => `${o.name}:${o.type}`), ['hot:sqlite', 'cold:parquet', 'text:text', 'csv:text']);
  assert.deepEqual(fs.readdirSync(text).sort(), ['bad_rows.jsonl', 'csv', 'query_hourly.jsonl', 'utilization_hourly.jsonl']);
  for (const t of ['query_hourly', 'utilization_hourly']) {
    const coldGlob = sqlStr(path.join(cold, t, '*', '*', '*.parquet'));
    const [[a, b, n]] = await query(`WITH tx AS (SELECT * EXCLUDE (hour), hour::TIMESTAMP AS hour
                                                 FROM read_json(${sqlStr(path.join(text, t + '.jsonl'))})),
        cd AS (SELECT * EXCLUDE (hour, date, hr), hour::TIMESTAMP AS hour FROM read_parquet(${coldGlob}, hive_partitioning = true))
      SELECT (SELECT count(*) FROM (SELECT * FROM tx EXCEPT ALL SELECT * FROM cd)),
             (SELECT count(*) FROM (SELECT * FROM cd EXCEPT ALL SELECT * FROM tx)), (SELECT count(*) FROM tx)`);
    assert.ok(num(n) > 100, `${t}: ${n} rows`);
    assert.equal(num(a) + num(b), 0, `${t}: the text and the cold store differ`);
  }
  const [[csvRows]] = await query(`SELECT count(*) FROM read_csv(${sqlStr(path.join(text, 'csv', 'cache_hourly.csv'))})`);
  assert.equal(num(csvRows), num(sqlite(hot, `SELECT count(*) AS n FROM cache_hourly WHERE final = 1`)[0].n));
  const [[badRows]] = await query(`SELECT count(*) FROM read_json(${sqlStr(path.join(text, 'bad_rows.jsonl'))})`);
  assert.equal(num(badRows), s.bad_total);
  // an unknown table is refused before the run
  const g = path.join(DIR, 'u.yaml');
  fs.writeFileSync(g, `inputs: [${inp}]\noutputs:\n  - {type: text, dir: ${text}/x, tables: query_hourlyy}\n`);
  const x = runSluice(['run', '--config', g, '--quiet']);
  assert.equal(x.status, 1);
  assert.match(x.stderr, /text output: tables: no table 'query_hourlyy' \(the tables: query_hourly, /);
});

// sluice replay through the CLI: pacing on the wall clock, --from/--to, output
// content and order against DuckDB, the --summary JSON, clean interruption
// (exit 130, temporary files removed), EPIPE, and error messages.
//
// The wall-time assertions are sanity bounds for the pacing schedule (one
// event hour at --speed 3600 takes about one wall second), not benchmarks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ensureDataDir, query, runSluice, requireSluice, sqlStr, parquetColumns, expectedExpr,
  parseJsonLines, parseCsv, compareJsonCell, compareCsvCell, Num, Obj, SLUICE_BIN, closeDuck,
} from './lib.mjs';

after(closeDuck);

const DIR = ensureDataDir('replay_cli');
const HOUR = path.join(DIR, 'hour.parquet');       // exactly one event hour, 20000 rows
const SMALL = path.join(DIR, 'small.parquet');     // 3000 shuffled rows over two days
const BAD_CSV = path.join(DIR, 'bad.csv');         // CSV with bad rows (flagged, never dropped)
const BIG = path.join(DIR, 'big_shuffled.parquet'); // large enough to spill and run for seconds

const CANONICAL = [
  'instance_id', 'cluster_size', 'user_id', 'database_id', 'query_id', 'arrival_timestamp',
  'compile_duration_ms', 'queue_duration_ms', 'execution_duration_ms', 'feature_fingerprint',
  'was_aborted', 'was_cached', 'cache_source_query_id', 'query_type', 'num_permanent_tables_accessed',
  'num_external_tables_accessed', 'num_system_tables_accessed', 'read_table_ids', 'write_table_ids',
  'mbytes_scanned', 'mbytes_spilled', 'num_joins', 'num_scans', 'num_aggregations',
  'source', '_input', '_row', '_error', '_extra',
];
const STRATEGIES = ['stream', 'merge_segments', 'external_sort'];

function gen(out, args) {
  if (fs.existsSync(out)) return;
  const tmp = out + '.tmp' + path.extname(out);
  const r = runSluice(['gen', '--quiet', '--out', tmp, ...args], { timeout: 600_000 });
  assert.equal(r.status, 0, `sluice gen failed: ${r.stderr}`);
  fs.renameSync(tmp, out);
}

// Fails (does not skip) when the binary or the replay command is missing.
function requireReplay(t) {
  requireSluice(t);
  const r = runSluice(['replay', '--help']);
  assert.equal(r.status, 0, `'sluice replay --help' exited ${r.status}: the replay command is missing or broken\n${r.stderr}`);
  assert.match(r.stdout, /usage: sluice replay/);
}

function replay(args, opts) {
  const t0 = process.hrtime.bigint();
  const r = runSluice(['replay', ...args], opts);
  r.wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return r;
}
function replayOk(args, opts) {
  const r = replay(args, opts);
  assert.equal(r.status, 0, `sluice replay ${args.join(' ')} exited ${r.status}${r.signal ? ' (' + r.signal + ')' : ''}: ${r.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error|LeakSanitizer/, r.stderr.slice(0, 3000));
  return r;
}
function readSummary(file) {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'summary must end with a newline');
  return JSON.parse(text);
}

test('replay: setup (generated inputs)', (t) => {
  requireReplay(t);
  gen(HOUR, ['--rows', '20000', '--seed', '11', '--start', '2024-03-01T00', '--end', '2024-03-01T01']);
  gen(SMALL, ['--rows', '3000', '--seed', '12', '--start', '2024-03-01', '--end', '2024-03-03', '--order', 'shuffled', '--repairs', '0.05']);
  gen(BAD_CSV, ['--rows', '2000', '--seed', '13', '--start', '2024-03-01', '--end', '2024-03-02', '--bad-rows', '0.05']);
  gen(BIG, ['--rows', '3000000', '--seed', '14', '--start', '2024-03-01', '--end', '2024-03-15', '--order', 'shuffled']);
});

test('replay: pacing follows the wall clock (one event hour at --speed 3600 ~ 1 s, 1800 ~ 2 s)', (t) => {
  requireReplay(t);
  for (const [speed, lo, hi] of [[3600, 0.8, 2.5], [1800, 1.6, 3.5]]) {
    const sum = path.join(DIR, `pace-${speed}.json`);
    const r = replayOk([HOUR, '--speed', String(speed), '--out', '/dev/null', '--summary', sum, '--quiet']);
    const s = readSummary(sum);
    t.diagnostic(`--speed ${speed}: wall ${r.wall.toFixed(3)} s (process), summary seconds ${s.seconds}, max lag ${s.max_lag_s}`);
    assert.equal(s.rows, 20000);
    assert.ok(r.wall >= lo && r.wall <= hi, `--speed ${speed}: wall time ${r.wall.toFixed(3)} s outside the sanity bound [${lo}, ${hi}] s`);
    assert.ok(s.seconds >= lo * 0.95 && s.seconds <= hi, `--speed ${speed}: summary seconds ${s.seconds} outside [${lo}, ${hi}]`);
    assert.ok(s.max_lag_s < 0.5, `--speed ${speed}: max lag ${s.max_lag_s} s with a consumer that keeps up`);
  }
  // --speed max is not paced at all
  const r = replayOk([HOUR, '--speed', 'max', '--out', '/dev/null', '--quiet']);
  assert.ok(r.wall < 0.8, `--speed max took ${r.wall.toFixed(3)} s for 20000 rows`);
});

// Rows whose arrival is outside [2000, 2100) (bad_timestamp for cleaning) are
// replayed (first resp. last, by their time) but do not set the pace: a 1970
// row must not make the next real row wait 54 years, nor a 2127 row move the
// position reached.
test('replay: implausible timestamps do not stall pacing or move the position', (t) => {
  requireReplay(t);
  const csv = path.join(DIR, 'implausible.csv');
  const src = path.join(DIR, 'implausible-src.csv');
  gen(src, ['--rows', '2000', '--seed', '15', '--start', '2024-03-01T00', '--end', '2024-03-01T01', '--format', 'csv']);
  const lines = fs.readFileSync(src, 'utf8').trimEnd().split('\n');
  const col = lines[0].split(',').indexOf('arrival_timestamp');
  const set = (l, ts) => { const f = l.split(','); f[col] = ts; return f.join(','); };
  lines[1] = set(lines[1], '1970-01-01 00:00:01.000000');
  lines[2] = set(lines[2], '2127-03-29 00:00:00.000000');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  const sum = path.join(DIR, 'implausible.json');
  const r = replayOk([csv, '--speed', '3600', '--out', '/dev/null', '--summary', sum, '--quiet']);
  const s = readSummary(sum);
  assert.equal(s.rows, 2000);
  assert.ok(r.wall < 5, `--speed 3600 over one event hour took ${r.wall.toFixed(3)} s`);
  assert.ok(s.position.startsWith('2024-03-01T00:'), `position reached ${s.position}`);
});

test('replay: --from/--to select exactly the rows DuckDB selects', async (t) => {
  requireReplay(t);
  const cases = [
    ['2024-03-01T00:10:00Z', '2024-03-01T00:20:00Z'],
    ['2024-03-01 00:59:30', '2024-03-02'],
    ['2024-03-01T00:00:00.5Z', '2024-03-01T00:00:07.25Z'],
  ];
  for (const [from, to] of cases) {
    const sum = path.join(DIR, 'range.json');
    const r = replayOk([HOUR, '--speed', 'max', '--from', from, '--to', to, '--summary', sum, '--quiet']);
    const got = parseJsonLines(r.stdout).map((o) => `${o.get('arrival_timestamp')}|${o.get('instance_id')}|${o.get('query_id')}`);
    const lo = from.replace('Z', ''), hi = to.replace('Z', '');
    const exp = (await query(
      `SELECT strftime(arrival_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') || '|' || instance_id || '|' || query_id
         FROM read_parquet(${sqlStr(HOUR)})
        WHERE arrival_timestamp >= TIMESTAMP ${sqlStr(lo)} AND arrival_timestamp < TIMESTAMP ${sqlStr(hi)}
        ORDER BY arrival_timestamp, instance_id, query_id`)).map((row) => row[0]);
    assert.ok(exp.length > 0 || from.startsWith('2024-03-01 00:59'), `test range ${from}..${to} selects nothing`);
    assert.equal(got.length, exp.length, `--from ${from} --to ${to}: ${got.length} rows, DuckDB selects ${exp.length}`);
    assert.deepEqual(got, exp, `--from ${from} --to ${to}: rows differ from DuckDB's`);
    assert.equal(readSummary(sum).rows, exp.length);
    // the total counted when the order was planned (progress: % done) is the rows in range
    assert.equal(readSummary(sum).rows_total, exp.length);
  }
});

// The % of replay's progress lines: rows released over the rows the order
// gives (rows_total), in every strategy, with and without --from/--to.
test('replay: stderr not a terminal: progress lines with a % that grows and ends at 100.0, and an ETA', async (t) => {
  requireReplay(t);
  // two event days at 50000x: about 3.5 s, a line every 400 ms
  const r = replayOk([SMALL, '--speed', '50000', '--discard', '--progress-every', '400ms']);
  assert.ok(!r.stderr.includes('\r'), 'no carriage returns in a log');
  const prog = r.stderr.split('\n').filter((l) => l.startsWith('sluice replay: progress: ')).map((l) => {
    const m = l.match(/^sluice replay: progress: (\d+\.\d)% done, ETA (\S+?), (\d+) of (\d+) rows, \d+ rows\/s, at \S+, speed 50000x/);
    assert.ok(m, `progress line: ${l}`);
    return { pct: Number(m[1]), eta: m[2], rows: Number(m[3]), total: Number(m[4]) };
  });
  assert.ok(prog.length >= 4, r.stderr);
  for (let i = 1; i < prog.length; i++) assert.ok(prog[i].pct >= prog[i - 1].pct && prog[i].rows >= prog[i - 1].rows, r.stderr);
  assert.ok(prog.every((p) => p.total === 3000 && p.pct === Math.floor((p.rows / 3000) * 1000) / 10), r.stderr);
  assert.ok(prog[0].pct < 100 && prog.slice(0, -1).every((p) => p.pct < 100), r.stderr);
  assert.deepEqual(prog.at(-1), { pct: 100, eta: '0s', rows: 3000, total: 3000 });
  assert.ok(prog.slice(0, -1).some((p) => /^(\d+s|\d+m\d\ds)$/.test(p.eta)), `an ETA: ${r.stderr}`);
  assert.ok(r.stderr.indexOf('progress: 100.0% done') < r.stderr.indexOf('sluice replay: 3000 rows'));
  // --quiet silences them
  assert.equal(replayOk([SMALL, '--speed', 'max', '--discard', '--quiet']).stderr, '');
  // rows_total in each strategy, whole and in a range, against DuckDB's count
  const [[inRange]] = await query(`SELECT count(*)::INTEGER FROM read_parquet(${sqlStr(SMALL)})
     WHERE arrival_timestamp IS NULL OR (arrival_timestamp >= TIMESTAMP '2024-03-01 12:00:00' AND arrival_timestamp < TIMESTAMP '2024-03-02 06:00:00')`);
  const sorted = path.join(DIR, 'small_sorted.parquet'), runs = path.join(DIR, 'small_runs.parquet');
  gen(sorted, ['--rows', '3000', '--seed', '12', '--start', '2024-03-01', '--end', '2024-03-03', '--order', 'sorted']);
  gen(runs, ['--rows', '3000', '--seed', '12', '--start', '2024-03-01', '--end', '2024-03-03', '--order', 'runs']);
  const seen = new Set();
  for (const [input, extra] of [[sorted, []], [runs, ['--memory', '4G']], [SMALL, []], [SMALL, ['--memory', '1M', '--force-sort']]]) {
    for (const range of [[], ['--from', '2024-03-01T12', '--to', '2024-03-02T06']]) {
      const sum = path.join(DIR, 'progress_total.json');
      replayOk([input, '--speed', 'max', '--discard', '--quiet', '--summary', sum, ...extra, ...range]);
      const s = readSummary(sum);
      seen.add(s.strategy);
      assert.equal(s.rows_total, s.rows, `${s.strategy} ${range.join(' ')}`);
      if (input === SMALL) assert.equal(s.rows, range.length ? inRange : 3000);
    }
  }
  assert.deepEqual([...seen].sort(), [...STRATEGIES].sort());
});

// Expected output rows of SMALL in replay order, as texts (lib.mjs's expectedExpr) plus system columns.
async function expectedSmall(csv) {
  const cols = await parquetColumns(SMALL);
  assert.deepEqual(cols.map((c) => c.name), CANONICAL.slice(0, 24), 'generated file does not have the Redset columns');
  const sel = cols.map((c, k) => `${expectedExpr(c)} AS e${k}`).join(', ');
  const rows = await query(
    `SELECT ${sel}, CAST(file_row_number AS VARCHAR) FROM read_parquet(${sqlStr(SMALL)}, file_row_number=true)
      ORDER BY arrival_timestamp NULLS FIRST, instance_id, query_id, file_row_number`);
  const kinds = [...cols.map((c) => c.kind), 'string', 'int', 'int', 'string', 'string'];
  const exp = rows.map((r) => {
    const vals = r.slice(0, 24);
    if (csv) vals[5] = vals[5] === null ? null : vals[5].replace('T', ' ').replace('Z', '');
    return [...vals, 'small', '0', r[24], null, null];
  });
  return { kinds, exp };
}

test('replay: output equals the input in replay order (JSON Lines and CSV, vs DuckDB)', async (t) => {
  requireReplay(t);
  for (const format of ['jsonl', 'csv']) {
    const { kinds, exp } = await expectedSmall(format === 'csv');
    const r = replayOk([SMALL, '--speed', 'max', '--format', format, '--quiet', '--batch-rows', '700']);
    const problems = [];
    const add = (m) => { if (problems.length < 20) problems.push(m); };
    if (format === 'jsonl') {
      const got = parseJsonLines(r.stdout);
      assert.equal(got.length, exp.length, 'row count');
      got.forEach((o, i) => {
        assert.ok(o instanceof Obj, `row ${i} is not an object`);
        assert.deepEqual(o.keys(), CANONICAL, `row ${i} keys`);
        CANONICAL.forEach((name, j) => {
          const d = compareJsonCell(kinds[j], exp[i][j], o.pairs[j][1]);
          if (d) add(`row ${i} ${name}: ${d}`);
        });
      });
    } else {
      const recs = parseCsv(r.stdout);
      const header = recs.shift().map((f) => f.v);
      assert.deepEqual(header, CANONICAL, 'CSV header');
      assert.equal(recs.length, exp.length, 'row count');
      recs.forEach((rec, i) => {
        assert.equal(rec.length, CANONICAL.length, `row ${i} field count`);
        CANONICAL.forEach((name, j) => {
          const d = compareCsvCell(kinds[j], exp[i][j], rec[j]);
          if (d) add(`row ${i} ${name}: ${d}`);
        });
      });
    }
    assert.deepEqual(problems, [], `${format} output differs from DuckDB`);
  }
});

test('replay: --out FILE and stdout agree; the CSV output replays to the same rows', (t) => {
  requireReplay(t);
  const out = path.join(DIR, 'small-out.jsonl');
  const a = replayOk([SMALL, '--speed', 'max', '--quiet']).stdout;
  replayOk([SMALL, '--speed', 'max', '--quiet', '--out', out]);
  assert.equal(fs.readFileSync(out, 'utf8'), a);
  const csv = path.join(DIR, 'small-out.csv');
  replayOk([SMALL, '--speed', 'max', '--quiet', '--format', 'csv', '--out', csv]);
  const again = replayOk(['--source', 'small', csv, '--speed', 'max', '--quiet']).stdout;
  // the round trip keeps every Redset column (the system columns come back as _extra)
  const strip = (text) => parseJsonLines(text).map((o) => o.pairs.slice(0, 24).map(([k, v]) => `${k}=${v instanceof Num ? Number(v.num) : v}`).join(','));
  assert.deepEqual(strip(again), strip(a));
});

test('replay: --summary JSON fields are present and consistent', async (t) => {
  requireReplay(t);
  const sum = path.join(DIR, 'summary.json');
  const r = replayOk([SMALL, '--speed', 'max', '--out', '/dev/null', '--summary', sum]);
  const s = readSummary(sum);
  for (const k of ['rows', 'flagged', 'strategy', 'segments', 'runs_spilled', 'spill_bytes', 'seconds', 'rows_per_s', 'peak_rss_bytes', 'max_lag_s', 'position']) {
    assert.ok(k in s, `summary key ${k} missing: ${JSON.stringify(s)}`);
  }
  const [[n, maxTs]] = await query(`SELECT count(*)::INTEGER, strftime(max(arrival_timestamp), '%Y-%m-%dT%H:%M:%S.%fZ') FROM read_parquet(${sqlStr(SMALL)})`);
  assert.equal(s.rows, n);
  assert.equal(s.flagged, 0);
  assert.ok(STRATEGIES.includes(s.strategy), `strategy ${s.strategy}`);
  assert.ok(Number.isInteger(s.segments) && s.segments >= 1, `segments ${s.segments}`);
  assert.ok(s.seconds > 0 && s.peak_rss_bytes > 1e6, JSON.stringify(s));
  assert.ok(Math.abs(s.rows_per_s - s.rows / s.seconds) <= 0.01 * s.rows_per_s + 1, `rows_per_s ${s.rows_per_s} vs rows/seconds`);
  assert.equal(s.position, maxTs, 'position = the last event time reached');
  assert.equal(s.max_lag_s, 0, 'no lag at --speed max');
  assert.match(r.stderr, new RegExp(`^sluice replay: ${n} rows \\(0 flagged\\)`, 'm'), 'one-line summary on stderr');
  // --quiet: nothing on stderr; --summary -: the JSON on stdout (with --discard, the only output)
  const q = replayOk([SMALL, '--speed', 'max', '--discard', '--summary', '-', '--quiet']);
  assert.equal(q.stderr, '');
  assert.equal(JSON.parse(q.stdout).rows, n);
});

test('replay: bad rows are flagged and passed on, NULL timestamps first', (t) => {
  requireReplay(t);
  const sum = path.join(DIR, 'bad.json');
  const r = replayOk([BAD_CSV, '--speed', 'max', '--summary', sum, '--quiet']);
  const rows = parseJsonLines(r.stdout);
  const s = readSummary(sum);
  assert.equal(s.rows, rows.length);
  const flagged = rows.filter((o) => o.get('_error') !== null).length;
  assert.ok(flagged > 0, 'the generated CSV has bad rows');
  assert.equal(s.flagged, flagged, 'summary flagged = rows with _error');
  const ts = rows.map((o) => o.get('arrival_timestamp'));
  const firstTimed = ts.findIndex((v) => v !== null);
  assert.ok(ts.slice(firstTimed).every((v) => v !== null), 'rows without a timestamp come first');
  for (let i = firstTimed + 1; i < ts.length; i++) assert.ok(ts[i - 1] <= ts[i], `row ${i}: ${ts[i - 1]} > ${ts[i]}`);
});

test('replay: globs, --source labels and _input', async (t) => {
  requireReplay(t);
  const parts = path.join(DIR, 'parts');
  fs.mkdirSync(parts, { recursive: true });
  const base = path.join(parts, 'fleet.parquet');
  if (!fs.existsSync(path.join(parts, 'fleet-00002.parquet'))) {
    const r = runSluice(['gen', '--quiet', '--rows', '3000', '--seed', '15', '--start', '2024-03-01', '--end', '2024-03-02', '--files', '3', '--out', base]);
    assert.equal(r.status, 0, r.stderr);
  }
  const sum = path.join(DIR, 'glob.json');
  const r = replayOk([path.join(parts, 'fleet-*.parquet'), '--source', 'other', SMALL, '--speed', 'max', '--summary', sum, '--quiet']);
  const rows = parseJsonLines(r.stdout);
  assert.equal(rows.length, 6000);
  const by = new Map();
  for (const o of rows) {
    const k = `${o.get('source')}#${o.get('_input')}`;
    by.set(k, (by.get(k) || 0) + 1);
  }
  assert.deepEqual([...by.keys()].sort(), ['fleet#0', 'fleet#1', 'fleet#2', 'other#3'], 'part files share the label "fleet"; --source labels the next input');
  assert.equal(by.get('other#3'), 3000);
  const keys = rows.map((o) => [o.get('arrival_timestamp'), o.get('source'), Number(o.get('instance_id')), Number(o.get('query_id'))]);
  for (let i = 1; i < keys.length; i++) {
    const [a, b] = [keys[i - 1], keys[i]];
    const cmp = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2] || a[3] - b[3];
    assert.ok(cmp <= 0, `rows ${i - 1} and ${i} out of replay order: ${JSON.stringify(a)} > ${JSON.stringify(b)}`);
  }
});

test('replay: a closed pipe (| head) ends the replay normally', async (t) => {
  requireReplay(t);
  const child = spawn(SLUICE_BIN, ['replay', SMALL, '--speed', 'max', '--batch-rows', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.once('data', () => child.stdout.destroy());
  const [code, signal] = await new Promise((res) => child.on('exit', (c, s) => res([c, s])));
  assert.equal(signal, null, `killed by ${signal}: ${stderr}`);
  assert.equal(code, 0, `exit ${code}: ${stderr}`);
  assert.doesNotMatch(stderr, /write failed|Broken pipe/i, stderr);
});

async function interrupt(sig, expectCode) {
  const tmp = path.join(DIR, `tmp-${sig}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const sum = path.join(DIR, `interrupt-${sig}.json`);
  fs.rmSync(sum, { force: true });
  const args = ['replay', BIG, '--speed', 'max', '--out', '/dev/null', '--memory', '16M', '--tmpdir', tmp, '--summary', sum, '--quiet'];
  const child = spawn(SLUICE_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let exited = null;
  const done = new Promise((res) => child.on('exit', (c, s) => { exited = [c, s]; res(exited); }));
  // wait until it has spilled something (a file under tmp), then a little longer
  const t0 = Date.now();
  const spilled = () => fs.readdirSync(tmp, { recursive: true }).some((f) => fs.statSync(path.join(tmp, f)).isFile());
  while (!exited && !spilled() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!exited, `the replay ended (${JSON.stringify(exited)}) before it could be interrupted; make ${BIG} bigger. stderr: ${stderr}`);
  assert.ok(spilled(), `nothing spilled into ${tmp} within 60 s`);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!exited, `the replay ended before the signal; make ${BIG} bigger`);
  child.kill(sig);
  let timer;
  const [code, signal] = await Promise.race([done, new Promise((r) => { timer = setTimeout(() => r(['timeout', null]), 30_000); })]);
  clearTimeout(timer);
  if (code === 'timeout') child.kill('SIGKILL');
  assert.equal(signal, null, `killed by ${signal} instead of exiting cleanly; stderr: ${stderr}`);
  assert.equal(code, expectCode, `exit status after ${sig}: ${code}; stderr: ${stderr}`);
  const left = fs.readdirSync(tmp, { recursive: true });
  assert.deepEqual(left, [], `temporary files left in --tmpdir after ${sig}: ${left.join(', ')}`);
  const s = readSummary(sum);
  assert.equal(s.interrupted, true);
  fs.rmSync(tmp, { recursive: true, force: true });
}

test('replay: SIGINT while spilling exits 130 and removes every temporary file', async (t) => {
  requireReplay(t);
  await interrupt('SIGINT', 130);
});

test('replay: SIGTERM exits 143 and removes every temporary file', async (t) => {
  requireReplay(t);
  await interrupt('SIGTERM', 143);
});

test('replay: SIGINT during a paced replay flushes whole lines, reports and cleans up', async (t) => {
  requireReplay(t);
  const tmp = path.join(DIR, 'tmp-paced');
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const sum = path.join(DIR, 'interrupt-paced.json');
  fs.rmSync(sum, { force: true });
  // --force-sort with 1M of memory: spilled runs stay open while the paced replay runs (~60 s)
  const child = spawn(SLUICE_BIN, ['replay', HOUR, '--force-sort', '--memory', '1M', '--tmpdir', tmp, '--speed', '60', '--summary', sum],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', stderr = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((res) => child.on('close', (c, s) => res([c, s])));
  // wait for the first rows (planning done, pacing under way), then a little longer
  const t0 = Date.now();
  while (out === '' && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const [code, signal] = await done;
  assert.equal(signal, null, stderr);
  assert.equal(code, 130, `exit ${code}: ${stderr}`);
  const rows = parseJsonLines(out); // throws on a partial last line
  const s = readSummary(sum);
  assert.equal(s.interrupted, true);
  assert.equal(s.rows, rows.length, 'summary rows = lines written');
  assert.ok(rows.length > 0 && rows.length < 20000, `${rows.length} rows before the interruption`);
  assert.equal(s.position, rows[rows.length - 1].get('arrival_timestamp'), 'position = last row written');
  assert.match(stderr, /^sluice replay: interrupted: \d+ rows/m);
  assert.deepEqual(fs.readdirSync(tmp, { recursive: true }), [], 'temporary files left behind');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('replay: errors exit 1 or 2 with clear messages', (t) => {
  requireReplay(t);
  const cases = [
    [[path.join(DIR, 'missing.parquet')], 2, /sluice: .*missing\.parquet: No such file/],
    [[path.join(DIR, 'nothing-*.parquet')], 2, /sluice: replay: no file matches '.*nothing-\*\.parquet'/],
    [[SMALL, '--speed', 'fast'], 1, /sluice: --speed needs a positive number .* got 'fast'/],
    [[SMALL, '--speed', '0'], 1, /sluice: --speed needs a positive number/],
    [[SMALL, '--speed', '-5'], 1, /sluice: --speed needs a positive number/],
    [[SMALL, '--memory', 'lots'], 1, /sluice: --memory needs a size like 512M or 2G, got 'lots'/],
    [[SMALL, '--memory', '12X'], 1, /sluice: --memory needs a size/],
    [[SMALL, '--memory', '100K'], 1, /sluice: --memory needs a size of at least 1M, got '100K'/],
    [[SMALL, '--from', 'yesterday'], 1, /sluice: --from needs a UTC time/],
    [[SMALL, '--from', '2024-03-02', '--to', '2024-03-01'], 1, /--to must be after --from/],
    [[SMALL, '--format', 'xml'], 1, /--format needs jsonl or csv, got 'xml'/],
    [[SMALL, '--bogus'], 1, /unknown option '--bogus'/],
    [[SMALL, '--source'], 1, /option --source needs a value/],
    [[SMALL, '--source', 'x'], 1, /--source 'x' is not followed by an INPUT/],
    [[], 1, /no INPUT given/],
    [[DIR], 2, /is a directory/],
    [[SMALL, '--tmpdir', path.join(DIR, 'no-such-dir')], 2, /--tmpdir .*no-such-dir: No such file/],
    [[SMALL, '--out', path.join(DIR, 'no-such-dir', 'x.jsonl')], 2, /no-such-dir\/x\.jsonl: No such file/],
  ];
  for (const [args, code, re] of cases) {
    const r = replay(args);
    assert.equal(r.signal, null);
    assert.equal(r.status, code, `replay ${args.join(' ')}: exit ${r.status}, expected ${code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, re, `replay ${args.join(' ')}`);
    assert.equal(r.stdout, '', `replay ${args.join(' ')}: output on error`);
  }
});

// Defects found by hostile input (issue 12): each test fails on the code before its fix.
//  - Parquet: an all-NULL column in data pages v2 (its values section is 0 bytes) for every codec,
//    written by sluice's writer, read back by sluice and by DuckDB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { exec, query, closeDuck, ensureDataDir, runSluice, sluiceOk, requireSluice, sqlStr, SLUICE_BIN,
  parseJsonLines } from './lib.mjs';

const DIR = ensureDataDir('hostile');
after(() => closeDuck());

// ------------------------------------------------------------------ Parquet: empty v2 values section

test('all-NULL columns in data pages v2: every codec reads back in sluice and DuckDB', async (t) => {
  requireSluice(t);
  const src = path.join(DIR, 'allnull_src.parquet');
  fs.rmSync(src, { force: true });
  await exec(`COPY (SELECT i::INTEGER AS id, NULL::BIGINT AS n, NULL::VARCHAR AS s,
      CASE WHEN i % 3 = 0 THEN i::DOUBLE / 4 ELSE NULL END AS d
    FROM range(300) t(i)) TO ${sqlStr(src)} (FORMAT parquet)`);
  for (const codec of ['snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli', 'none']) {
    const out = path.join(DIR, `allnull_v2_${codec}.parquet`);
    fs.rmSync(out, { force: true });
    sluiceOk(['convert', src, out, '--codec', codec, '--page-version', '2', '--row-group-rows', '100']);
    const r = runSluice(['cat', out]);
    assert.equal(r.status, 0, `${codec}: sluice cat: ${r.stderr}`);
    const rows = parseJsonLines(r.stdout);
    assert.equal(rows.length, 300, codec);
    const dk = await query(`SELECT id, n, s, d FROM read_parquet(${sqlStr(out)}) ORDER BY id`);
    assert.equal(dk.length, 300, `${codec}: DuckDB rows`);
    for (let i = 0; i < 300; i++) {
      const o = Object.fromEntries(rows[i].pairs.map(([k, v]) => [k, v && v.num !== undefined ? Number(v.num) : v]));
      assert.equal(o.id, i, `${codec} row ${i}`);
      assert.equal(o.n, null, `${codec} row ${i} n`);
      assert.equal(o.s, null, `${codec} row ${i} s`);
      assert.equal(o.d, i % 3 === 0 ? i / 4 : null, `${codec} row ${i} d`);
      assert.equal(Number(dk[i][0]), i);
      assert.equal(dk[i][1], null, `${codec}: DuckDB row ${i} n`);
      assert.equal(dk[i][2], null, `${codec}: DuckDB row ${i} s`);
      assert.equal(dk[i][3], i % 3 === 0 ? i / 4 : null, `${codec}: DuckDB row ${i} d`);
    }
    // the all-NULL column chunks hold no value bytes beyond page headers and levels
    const [[nullBytes]] = await query(`SELECT max(total_compressed_size) FROM parquet_metadata(${sqlStr(out)}) WHERE path_in_schema = 'n'`);
    assert.ok(Number(nullBytes) < 60, `${codec}: all-NULL chunk is ${nullBytes} bytes`);
  }
});

// ------------------------------------------------------------------ empty inputs

// Empty inputs of every format: a 0-row Parquet file (written by DuckDB and by sluice), a CSV with
// only its header, an empty JSON Lines file.
async function emptyInputs() {
  const gen = path.join(DIR, 'five.parquet');
  if (!fs.existsSync(gen)) sluiceOk(['gen', '--rows', '5', '--out', gen]);
  const duck0 = path.join(DIR, 'empty_duckdb.parquet');
  fs.rmSync(duck0, { force: true });
  await exec(`COPY (SELECT * FROM read_parquet(${sqlStr(gen)}) WHERE false) TO ${sqlStr(duck0)} (FORMAT parquet)`);
  const sl0 = path.join(DIR, 'empty_sluice.parquet');
  fs.rmSync(sl0, { force: true });
  sluiceOk(['convert', duck0, sl0]);
  const csv = path.join(DIR, 'five.csv');
  if (!fs.existsSync(csv)) sluiceOk(['gen', '--rows', '5', '--out', csv]);
  const csv0 = path.join(DIR, 'empty_header.csv');
  fs.writeFileSync(csv0, fs.readFileSync(csv, 'utf8').split('\n')[0] + '\n');
  const jsonl0 = path.join(DIR, 'empty.jsonl');
  fs.writeFileSync(jsonl0, '');
  return { gen, duck0, sl0, csv0, jsonl0 };
}

test('empty inputs: replay exits 0 with zero rows; run creates consistent, empty stores', async (t) => {
  requireSluice(t);
  const f = await emptyInputs();
  for (const input of [f.duck0, f.sl0, f.csv0, f.jsonl0]) {
    const name = path.basename(input);
    const r = runSluice(['replay', input, '--speed', 'max', '--summary', '-', '-q']);
    assert.equal(r.status, 0, `replay ${name}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).rows, 0, `replay ${name}: rows`);
    const hot = path.join(DIR, `empty_${name}.db`);
    const cold = path.join(DIR, `empty_${name}_cold`);
    for (const x of [hot, hot + '-wal', hot + '-shm']) fs.rmSync(x, { force: true });
    fs.rmSync(cold, { recursive: true, force: true });
    const run = runSluice(['run', input, '--speed', 'max', '--hot', hot, '--cold', cold, '--json', '--quiet']);
    assert.equal(run.status, 0, `run ${name}: ${run.stderr}`);
    assert.ok(fs.statSync(cold).isDirectory(), `run ${name}: cold store directory`);
    const rows = (sql) => runSluiceSqlite(hot, sql);
    assert.equal(rows("SELECT value FROM store_meta WHERE key = 'schema'"), 'redset', `run ${name}: store_meta`);
    for (const tbl of ['events', 'bad_rows', 'query_hourly', 'late_events']) {
      assert.equal(rows(`SELECT count(*) FROM ${tbl}`), '0', `run ${name}: ${tbl}`);
    }
  }
  // an empty input next to a non-empty one changes nothing
  const r = runSluice(['replay', f.duck0, f.gen, '--speed', 'max', '--summary', '-', '-q', '--out', '/dev/null']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).rows, 5);
});

function runSluiceSqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', db, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 ${db} ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

// ------------------------------------------------------------------ inputs that are not Redset-shaped

test('inputs that are not Redset-shaped: exit 2, the file and the missing columns named, raw bytes escaped', async (t) => {
  requireSluice(t);
  const { gen } = await emptyInputs();
  const csv = path.join(DIR, 'five.csv');
  const bin = path.join(DIR, 'binary.dat');
  fs.writeFileSync(bin, Buffer.from([0x01, 0x02, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0d, 0x7f, 0xff, 0xfe, 0x00, 0x0a, 0x41, 0x42]));
  const foreignCsv = path.join(DIR, 'foreign.csv');
  fs.writeFileSync(foreignCsv, 'a\x01b,c\n1,2\n');
  const foreignPq = path.join(DIR, 'allnull_src.parquet'); // written by the Parquet test above, else:
  if (!fs.existsSync(foreignPq)) await exec(`COPY (SELECT 1 AS id, 'x' AS s) TO ${sqlStr(foreignPq)} (FORMAT parquet)`);
  // a Redset CSV without its query_id column
  const lines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n').map((l) => l.split(','));
  const qi = lines[0].indexOf('query_id');
  assert.ok(qi >= 0);
  const noQid = path.join(DIR, 'no_query_id.csv');
  fs.writeFileSync(noQid, lines.map((f) => f.filter((_, k) => k !== qi).join(',')).join('\n') + '\n');
  // a Redset Parquet file without query_id and query_type
  const noQidPq = path.join(DIR, 'no_query_id.parquet');
  fs.rmSync(noQidPq, { force: true });
  await exec(`COPY (SELECT * EXCLUDE (query_id, query_type) FROM read_parquet(${sqlStr(gen)})) TO ${sqlStr(noQidPq)} (FORMAT parquet)`);

  const cases = [
    [bin, /binary\.dat: the CSV header has no instance_id, query_id, arrival_timestamp, query_type columns \(required by schema 'redset'\)/],
    [foreignCsv, /foreign\.csv: the CSV header has no instance_id, query_id, arrival_timestamp, query_type columns .*\(header: a\\x01b,c\)/],
    [foreignPq, /allnull_src\.parquet: no instance_id, query_id, arrival_timestamp, query_type columns \(required by schema 'redset'\)/],
    [noQid, /no_query_id\.csv: the CSV header has no query_id column \(required by schema 'redset'\)/],
    [noQidPq, /no_query_id\.parquet: no query_id, query_type columns \(required by schema 'redset'\)/],
  ];
  for (const [file, re] of cases) {
    const hot = path.join(DIR, 'refused.db');
    for (const cmd of [['replay', file, '--speed', 'max', '--out', '/dev/null'], ['run', file, '--speed', 'max', '--hot', hot, '--quiet']]) {
      const r = runSluice(cmd);
      assert.equal(r.status, 2, `${cmd.join(' ')}: exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, re, cmd.join(' '));
      // no raw control character (other than the final newline) reaches the terminal
      assert.doesNotMatch(r.stderr.replace(/\n$/, ''), /[\x00-\x1f\x7f]/, `${cmd.join(' ')}: raw control bytes in ${JSON.stringify(r.stderr)}`);
    }
  }
});

// ------------------------------------------------------------------ replay --out on a full disk

test('replay --out: a failed write leaves the old file untouched and no temporary file', async (t) => {
  requireSluice(t);
  const big = path.join(DIR, 'big.parquet');
  if (!fs.existsSync(big)) sluiceOk(['gen', '--rows', '3000', '--out', big]);
  const outDir = path.join(DIR, 'outdir');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir);
  const out = path.join(outDir, 'events.jsonl');
  fs.writeFileSync(out, 'old\n');
  // a file size limit stands in for a full disk: write(2) fails (EFBIG; SIGXFSZ ignored)
  const r = spawnSync('sh', ['-c', `trap '' XFSZ; ulimit -f 16; exec "$0" "$@"`, SLUICE_BIN, 'replay', big, '--speed', 'max', '--out', out],
    { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /events\.jsonl: write failed: File too large/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'old\n', 'the old file is untouched');
  assert.deepEqual(fs.readdirSync(outDir), ['events.jsonl'], 'no temporary file left');
  // success: the whole output under the name, nothing else in the directory
  const ok = runSluice(['replay', big, '--speed', 'max', '--out', out, '-q']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(parseJsonLines(fs.readFileSync(out, 'utf8')).length, 3000);
  assert.deepEqual(fs.readdirSync(outDir), ['events.jsonl']);
});

// ------------------------------------------------------------------ run: address and hot store checks

test('run: a refused --listen creates nothing; a foreign SQLite database is refused untouched', async (t) => {
  requireSluice(t);
  const { gen } = await emptyInputs();
  const fresh = path.join(DIR, 'never_created.db');
  for (const x of [fresh, fresh + '-wal', fresh + '-shm']) fs.rmSync(x, { force: true });
  const r = runSluice(['run', gen, '--speed', 'max', '--hot', fresh, '--listen', '0.0.0.0:0', '--quiet']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /listen address 0\.0\.0\.0:0 is not a loopback address.*--listen-any/);
  assert.equal(fs.existsSync(fresh), false, 'the hot store file was created before the address was refused');

  const app = path.join(DIR, 'app.db');
  for (const x of [app, app + '-wal', app + '-shm']) fs.rmSync(x, { force: true });
  const mk = spawnSync('sqlite3', [app, "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'ann');"], { encoding: 'utf8' });
  assert.equal(mk.status, 0, mk.stderr);
  const before = fs.readFileSync(app);
  const f = runSluice(['run', gen, '--speed', 'max', '--hot', app, '--quiet']);
  assert.equal(f.status, 2, f.stderr);
  assert.match(f.stderr, /hot store .*app\.db is not a sluice store: it holds other tables \(users\) and no schema_version/);
  assert.equal(runSluiceSqlite(app, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"), 'users');
  assert.ok(fs.readFileSync(app).equals(before), 'the foreign database is byte-identical');
  // sluice's own store opens again (a second run over it)
  const own = path.join(DIR, 'own.db');
  for (const x of [own, own + '-wal', own + '-shm']) fs.rmSync(x, { force: true });
  for (let i = 0; i < 2; i++) {
    const o = runSluice(['run', gen, '--speed', 'max', '--hot', own, '--quiet']);
    assert.equal(o.status, 0, `run ${i}: ${o.stderr}`);
  }
});

test('serve and run --serve: IPv4-mapped IPv6 loopback and [::1] are accepted', async (t) => {
  requireSluice(t);
  const { gen } = await emptyInputs();
  const hot = path.join(DIR, 'listen.db');
  for (const x of [hot, hot + '-wal', hot + '-shm']) fs.rmSync(x, { force: true });
  sluiceOk(['run', gen, '--speed', 'max', '--hot', hot, '--quiet']);
  for (const addr of ['[::ffff:127.0.0.1]:0', '[::1]:0']) {
    const s = await startServe(['--hot', hot, '--listen', addr]);
    try {
      const r = await fetch(`${s.url}/api/v1/status`);
      assert.equal(r.status, 200, `${addr}: ${await r.text()}`);
    } finally {
      await s.stop();
    }
  }
});

// ------------------------------------------------------------------ serve helpers

function startServe(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(SLUICE_BIN, ['serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`serve ${args.join(' ')}: no URL; ${errText}`)); }, 10_000);
    const exited = new Promise((res) => proc.on('exit', res));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/(\S+?)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: `http://${m[1]}`, stderr: () => errText,
          stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); return exited; } });
      }
    });
    proc.stderr.on('data', (d) => { errText += d; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve ${args.join(' ')} exited ${code}: ${errText}`)); });
  });
}

// ------------------------------------------------------------------ HTTP server

/** A raw HTTP/1.1 request (any bytes in the target); resolves with the status and the body. */
function rawGet(port, target) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let d = '';
    const timer = setTimeout(() => { s.destroy(); resolve({ status: 0, body: '', text: d }); }, 10_000);
    s.on('data', (x) => { d += x; });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d+)/.exec(d);
      const body = d.slice(d.indexOf('\r\n\r\n') + 4);
      resolve({ status: m ? Number(m[1]) : 0, body, text: d });
    });
    s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

async function serveFixture() {
  const { gen } = await emptyInputs();
  const hot = path.join(DIR, 'serve.db');
  if (!fs.existsSync(hot)) sluiceOk(['run', gen, '--speed', 'max', '--hot', hot, '--quiet']);
  return startServe(['--hot', hot, '--listen', '127.0.0.1:0']);
}

test('serve: too many parameters, a too long URI and NUL bytes get a JSON error, never silence', async (t) => {
  requireSluice(t);
  const s = await serveFixture();
  const port = Number(new URL(s.url).port);
  try {
    const many = Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&'); // ~4 KB
    let r = await rawGet(port, `/api/v1/status?${many}`);
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.match(JSON.parse(r.body).error, /too many query parameters \(at most 64\)/);
    for (const target of [`/api/v1/status?${'&'.repeat(20000)}`, `/api/v1/status?${many}&${many}&${many}`, `/${'a'.repeat(9000)}`]) {
      r = await rawGet(port, target);
      assert.equal(r.status, 414, `${target.length}-byte target: ${r.text.slice(0, 300)}`);
      assert.match(JSON.parse(r.body).error, /^URI too long \(\d+ bytes, at most 8192\)$/);
    }
    // far beyond the connection's memory: libmicrohttpd's own 414, still an answer
    r = await rawGet(port, `/api/v1/status?${'&'.repeat(1_000_000)}`);
    assert.equal(r.status, 414, r.text.slice(0, 300));
    for (const target of ['/api/v1/table/query_hourly%00junk', '/api/v1/table/query_hourly?limit=1%00', '/api/v1/table/query_hourly?li%00mit=1',
      '/metrics%00', '/index.html%00.js']) {
      r = await rawGet(port, target);
      assert.equal(r.status, 400, `${target}: ${r.text.slice(0, 300)}`);
      assert.equal(JSON.parse(r.body).error, 'NUL byte (%00) in the path or a parameter', target);
    }
    // the same requests without the NUL byte still work
    r = await rawGet(port, '/api/v1/table/query_hourly?limit=1');
    assert.equal(r.status, 200, r.text.slice(0, 300));
  } finally {
    await s.stop();
  }
});

test('serve: idle connections time out within seconds; refused connections are logged at a limited rate', async (t) => {
  requireSluice(t);
  const s = await serveFixture();
  const port = Number(new URL(s.url).port);
  const idle = [];
  try {
    for (let i = 0; i < 520; i++) { const c = net.connect(port, '127.0.0.1'); c.on('error', () => {}); idle.push(c); }
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 300; i++) { const c = net.connect(port, '127.0.0.1'); c.on('error', () => {}); idle.push(c); }
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 15_000) {
      try {
        const r = await fetch(`${s.url}/api/v1/status`, { signal: AbortSignal.timeout(1000) });
        status = r.status;
        break;
      } catch { /* refused or closed: still locked out */ }
    }
    assert.equal(status, 200, `no answer within 15 s of ${idle.length} idle connections`);
    assert.ok(Date.now() - t0 < 10_000, `answered only after ${Date.now() - t0} ms`);
  } finally {
    for (const c of idle) c.destroy();
  }
  await s.stop();
  const lines = s.stderr().split('\n').filter((l) => l.includes('libmicrohttpd'));
  assert.ok(lines.length <= 5, `${lines.length} log lines:\n${lines.slice(0, 10).join('\n')}`);
  assert.match(s.stderr(), /more messages suppressed/);
});

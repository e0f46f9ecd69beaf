// sluice gen --kind product-events through the CLI, read back by DuckDB:
// byte-identical output per seed, every count of the summary (lines, bad rows
// by kind, messages by type, duplicates, distinct users and anonymous ids,
// event names, the top events) recomputed with read_json / read_json_objects,
// and the receivedAt order and event-time disorder recomputed from the lines.
// Skips (with the reason) when the sluice binary is missing or predates
// --kind product-events, e.g. while the tree does not build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDataDir, exec, query, runSluice, sluiceExists, sqlStr, SLUICE_BIN } from './lib.mjs';

const DIR = ensureDataDir('gen_product');

function probe() {
  if (!sluiceExists()) return `sluice binary not found at ${SLUICE_BIN} (build it with 'make' or set SLUICE_BIN)`;
  const r = runSluice(['gen', '--kind', 'product-events', '--rows', '1', '--quiet']);
  if (r.status !== 0 || !r.stdout.startsWith('{"messageId":')) {
    return `${SLUICE_BIN} cannot run 'gen --kind product-events' (a stale binary? rebuild with 'make'): ` +
      `${(r.stderr || '').trim().slice(0, 200)}`;
  }
  return false;
}
const SKIP = probe();
if (SKIP) console.log(`# gen_product: skipping: ${SKIP}`);

const BASE = ['gen', '--kind', 'product-events', '--start', '2024-03-01', '--end', '2024-03-15'];

function gen(args) {
  const r = runSluice([...BASE, ...args], { timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

const num = (x) => Number(x);
const list = (files) => `[${files.map(sqlStr).join(', ')}]`;

// The kind of each line, as sluice's product-events pipeline must classify it.
const KIND_SQL = `
  CASE
    WHEN j IS NULL THEN 'invalid_json'
    WHEN json_type(j) <> 'OBJECT' THEN 'not_object'
    WHEN json_type(j, '$.messageId') IS NULL THEN 'missing_message_id'
    WHEN json_type(j, '$.messageId') <> 'VARCHAR' OR (j->>'$.messageId') = '' THEN 'empty_message_id'
    WHEN json_type(j, '$.type') IS NULL THEN 'missing_type'
    WHEN json_type(j, '$.timestamp') IS NULL THEN 'missing_timestamp'
    WHEN json_type(j, '$.timestamp') <> 'VARCHAR' THEN 'timestamp_wrong_type'
    WHEN try_cast(j->>'$.timestamp' AS TIMESTAMPTZ) IS NULL THEN 'unparseable_timestamp'
    WHEN try_cast(j->>'$.timestamp' AS TIMESTAMPTZ) < TIMESTAMPTZ '2000-01-01 00:00:00+00'
      OR try_cast(j->>'$.timestamp' AS TIMESTAMPTZ) >= TIMESTAMPTZ '2100-01-01 00:00:00+00' THEN 'timestamp_out_of_range'
    ELSE 'good'
  END`;

// Zipf(1.1) over n ranks: the expected share of the top k (the generator's model).
function zipfTop(n, k, s = 1.1) {
  let all = 0, top = 0;
  for (let r = 1; r <= n; r++) { const w = r ** -s; all += w; if (r <= k) top += w; }
  return top / all;
}

// Lines of the files in order; the event-time disorder and receivedAt order over good lines.
function fileOrder(files) {
  let maxTs = null, ooo = 0, maxLag = 0, prevRcv = null, rcvBackwards = 0, lines = 0;
  const seen = new Set();
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      let m;
      try { m = JSON.parse(line); } catch { continue; }
      if (!m || typeof m !== 'object' || Array.isArray(m)) continue;
      const id = m.messageId, ts = m.timestamp;
      if (typeof id !== 'string' || id === '' || m.type === undefined || typeof ts !== 'string') continue;
      const t = Date.parse(ts);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ts) || Number.isNaN(t)) continue;
      if (t < Date.UTC(2000, 0, 1) || t >= Date.UTC(2100, 0, 1)) continue;
      if (maxTs !== null && t < maxTs) { ooo++; maxLag = Math.max(maxLag, maxTs - t); }
      if (maxTs === null || t > maxTs) maxTs = t;
      // receivedAt order, first copies only (a duplicate is re-sent a few lines later)
      if (seen.has(id)) continue;
      seen.add(id);
      const rcv = Date.parse(m.receivedAt);
      if (prevRcv !== null && rcv < prevRcv) rcvBackwards++;
      prevRcv = rcv;
    }
  }
  return { lines, ooo, maxLag, rcvBackwards };
}

test('product-events: same seed gives byte-identical output, another seed does not', { skip: SKIP }, () => {
  const a = path.join(DIR, 'a.jsonl'), b = path.join(DIR, 'b.jsonl'), c = path.join(DIR, 'c.jsonl');
  const f = ['--rows', '20000', '--bad-rows', '0.01', '--duplicates', '0.01', '--displaced', '0.01', '--quiet'];
  gen([...f, '--seed', '3', '--out', a]);
  gen([...f, '--seed', '3', '--out', b, '--batch-rows', '7']);
  gen([...f, '--seed', '4', '--out', c]);
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), 'same seed, different bytes');
  assert.ok(!fs.readFileSync(a).equals(fs.readFileSync(c)), 'different seeds, same bytes');
  // stdout and a file hold the same bytes
  const r = runSluice([...BASE, ...f, '--seed', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, fs.readFileSync(a, 'utf8'));
});

test('product-events: DuckDB read_json counts match the summary (faults, types, users, duplicates, top events)',
  { skip: SKIP }, async () => {
    const out = path.join(DIR, 'f.jsonl'), sum = path.join(DIR, 'f.json');
    const rows = 90000;
    gen(['--rows', String(rows), '--seed', '7', '--bad-rows', '0.018', '--duplicates', '0.02', '--displaced', '0.02',
      '--max-displacement', '1h', '--files', '3', '--out', out, '--summary', sum, '--quiet']);
    const s = JSON.parse(fs.readFileSync(sum, 'utf8'));
    const files = [0, 1, 2].map((k) => path.join(DIR, `f-0000${k}.jsonl`));
    for (const f of files) assert.ok(fs.existsSync(f), `${f} missing`);

    // exact fault counts, as requested
    assert.equal(s.base_rows, rows);
    assert.equal(s.duplicates, Math.round(0.02 * rows));
    assert.equal(s.rows_out, rows + s.duplicates);
    assert.equal(s.late_held, Math.round(0.02 * rows));
    assert.equal(s.bad_rows, Math.round(0.018 * rows));
    for (const [k, v] of Object.entries(s.bad)) assert.equal(v, Math.round(0.018 * rows) / 9, `bad.${k}`);

    await exec(`CREATE OR REPLACE TABLE raw AS SELECT json AS j FROM read_json_objects(${list(files)},
                 format='newline_delimited', ignore_errors=true)`);
    await exec(`CREATE OR REPLACE TABLE cls AS SELECT j, ${KIND_SQL} AS kind FROM raw`);
    const [[lines]] = await query(`SELECT count(*) FROM raw`);
    assert.equal(num(lines), s.rows_out);

    // bad rows by kind
    const kinds = Object.fromEntries((await query(`SELECT kind, count(*) FROM cls GROUP BY kind`)).map(([k, n]) => [k, num(n)]));
    for (const [k, v] of Object.entries(s.bad)) assert.equal(kinds[k] ?? 0, v, `DuckDB: ${k}`);
    assert.equal(kinds.good, s.rows_out - s.bad_rows);

    // the same good rows through read_json with typed columns (what a pipeline maps)
    const cols = `{messageId: 'VARCHAR', type: 'VARCHAR', event: 'VARCHAR', userId: 'VARCHAR', anonymousId: 'VARCHAR',
                   timestamp: 'TIMESTAMPTZ', receivedAt: 'TIMESTAMPTZ', sentAt: 'TIMESTAMPTZ', context: 'JSON', properties: 'JSON'}`;
    const [[typedGood]] = await query(`SELECT count(*) FROM read_json(${list(files)}, format='newline_delimited',
        ignore_errors=true, columns=${cols})
      WHERE messageId <> '' AND type IS NOT NULL
        AND timestamp >= TIMESTAMPTZ '2000-01-01 00:00:00+00' AND timestamp < TIMESTAMPTZ '2100-01-01 00:00:00+00'`);
    // (a numeric timestamp reads as NULL there, like an unparseable one)
    assert.equal(num(typedGood), kinds.good);

    // messages by type (distinct messageIds: duplicates are the same message)
    await exec(`CREATE OR REPLACE TABLE good AS SELECT j, j->>'$.messageId' AS mid, j->>'$.type' AS type,
                 j->>'$.event' AS event, j->>'$.userId' AS uid, j->>'$.anonymousId' AS aid FROM cls WHERE kind = 'good'`);
    const types = Object.fromEntries((await query(`SELECT type, count(DISTINCT mid) FROM good GROUP BY type`)).map(([t, n]) => [t, num(n)]));
    assert.deepEqual(types, s.types);

    // duplicates: the same messageId again, with the same content
    const [[n, ids, contents]] = await query(`SELECT count(*), count(DISTINCT mid), count(DISTINCT j) FROM good`);
    assert.equal(num(n) - num(ids), s.duplicates);
    assert.equal(num(contents), num(ids), 'a duplicate differs from its original');
    const [[maxCopies]] = await query(`SELECT max(c) FROM (SELECT count(*) AS c FROM good GROUP BY mid)`);
    assert.equal(num(maxCopies), 2);

    // users, anonymous ids, event names
    const [[users, anon, evs, anonOnly, noAid]] = await query(`SELECT count(DISTINCT uid), count(DISTINCT aid),
        count(DISTINCT event) FILTER (WHERE type = 'track'),
        count(DISTINCT mid) FILTER (WHERE uid IS NULL), count(DISTINCT mid) FILTER (WHERE aid IS NULL) FROM good`);
    assert.equal(num(users), s.users);
    assert.equal(num(anon), s.anonymous_ids);
    assert.equal(num(evs), s.event_names_used);
    assert.equal(num(anonOnly), s.anonymous_only);
    assert.equal(num(noAid), s.no_anonymous_id);
    assert.ok(Math.abs(s.users / (rows / 25) - 1) < 0.1, `users ${s.users} vs rows/25`);
    const good = rows - s.bad_rows;
    assert.ok(Math.abs(s.types.track / good - 0.80) < 0.01, `track share ${s.types.track / good}`);
    assert.ok(Math.abs(s.types.page / good - 0.15) < 0.01);
    assert.ok(Math.abs(s.types.identify / good - 0.05) < 0.005);
    assert.ok(Math.abs(s.anonymous_only / good - 0.30) < 0.01);

    // the top events: the same names and counts as the summary, and Zipf's share
    const top = (await query(`SELECT event, count(DISTINCT mid) AS n FROM good WHERE type = 'track'
                              GROUP BY event ORDER BY n DESC, event LIMIT 10`)).map(([e, c]) => [e, num(c)]);
    const key = (a) => a.map(([e, c]) => `${c}:${e}`).sort().join('|');
    assert.equal(key(top), key(s.top_events));
    assert.equal(top[0][0], 'Product Viewed');
    const share10 = top.reduce((a, [, c]) => a + c, 0) / s.types.track;
    assert.ok(Math.abs(share10 - zipfTop(300, 10)) < 0.02, `top-10 share ${share10} vs ${zipfTop(300, 10)}`);

    // extra keys the pipeline does not map, on a small share
    const [[xctx, xtop, camp]] = await query(`SELECT count(DISTINCT mid) FILTER (WHERE json_exists(j, '$.context.os')),
        count(DISTINCT mid) FILTER (WHERE json_exists(j, '$.integrations')),
        count(DISTINCT mid) FILTER (WHERE json_exists(j, '$.context.campaign')) FROM good`);
    assert.equal(num(xctx), s.extra_context_key);
    assert.equal(num(xtop), s.extra_top_level_key);
    assert.equal(num(camp), s.with_campaign);

    // file order: receivedAt order (duplicates aside), event-time disorder as counted
    const fo = fileOrder(files);
    assert.equal(fo.lines, s.rows_out);
    assert.equal(fo.rcvBackwards, 0, 'receivedAt goes backwards');
    assert.equal(fo.ooo, s.ts_out_of_order);
    assert.equal(fo.maxLag, s.max_ts_lag_ms);
    assert.ok(s.max_ts_lag_ms > 30 * 60_000 && s.max_ts_lag_ms <= 65 * 60_000, `max lag ${s.max_ts_lag_ms}`);
  });

test('product-events: a clean run reads as typed columns with read_json auto-detection', { skip: SKIP }, async () => {
  const f = path.join(DIR, 'clean.jsonl'), sum = path.join(DIR, 'clean.json');
  gen(['--rows', '30000', '--seed', '2', '--out', f, '--summary', sum, '--quiet']);
  const s = JSON.parse(fs.readFileSync(sum, 'utf8'));
  const src = `read_json(${sqlStr(f)}, format='newline_delimited', ignore_errors=true)`;
  const desc = Object.fromEntries((await query(`DESCRIBE SELECT * FROM ${src}`)).map(([c, t]) => [c, t]));
  for (const c of ['messageId', 'type', 'event', 'name', 'userId']) assert.equal(desc[c], 'VARCHAR', c);
  assert.equal(desc.anonymousId, 'UUID'); // DuckDB recognises the v4 UUIDs
  for (const c of ['timestamp', 'receivedAt', 'sentAt']) assert.match(desc[c], /^TIMESTAMP/, c);
  assert.match(desc.context, /^STRUCT\(ip VARCHAR, locale VARCHAR, userAgent VARCHAR, library STRUCT\(/);
  const byType = Object.fromEntries((await query(`SELECT type, count(*) FROM ${src} GROUP BY type`)).map(([t, n]) => [t, num(n)]));
  assert.deepEqual(byType, s.types);
  const [[n, ordered, lagged]] = await query(`SELECT count(*), count(*) FILTER (WHERE "timestamp" <= sentAt AND sentAt <= receivedAt),
      count(*) FILTER (WHERE receivedAt - "timestamp" > INTERVAL 5 MINUTE) FROM ${src}`);
  assert.equal(num(n), 30000);
  assert.equal(num(ordered), 30000, 'timestamp <= sentAt <= receivedAt');
  assert.equal(num(lagged), 0, 'without --late, receivedAt is within 5 minutes of the timestamp');
  const [[libs]] = await query(`SELECT count(DISTINCT context.library.name) FROM ${src}`);
  assert.equal(num(libs), 4);
});

test('product-events: Redset-only options and non-JSON formats are refused', { skip: SKIP }, () => {
  for (const [args, re] of [
    [['--order', 'runs'], /--order applies to the Redset kinds/],
    [['--profile', 'none'], /--profile applies to the Redset kinds/],
    [['--codec', 'zstd'], /--codec applies to the Redset kinds/],
    [['--format', 'parquet', '--out', path.join(DIR, 'x.parquet')], /JSON Lines only/],
    [['--out', path.join(DIR, 'x.csv')], /JSON Lines only/],
    [['--bad-rows', '0.7', '--duplicates', '0.7'], /at most 1/],
    [['--event-types', '0'], /--event-types needs an integer in 1\.\.2000, got '0'/],
  ]) {
    const r = runSluice([...BASE, '--rows', '10', ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const h = runSluice(['gen', '--kind', 'product-events', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--event-types N/);
});

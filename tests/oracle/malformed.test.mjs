// Malformed and unsupported input: every bad file gives a clear error that
// names the file (and, for data errors, row group, column and page); never a
// crash, a hang or a sanitizer report.  Run against the ASan build too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDataDir, exec, runSluice, requireSluice, sqlStr, closeDuck, rng } from './lib.mjs';

const DIR = ensureDataDir('malformed');
const GOOD = path.join(DIR, 'good.parquet');
const NESTED = path.join(DIR, 'nested.parquet');

async function makeFiles() {
  if (!fs.existsSync(GOOD)) {
    await exec(`COPY (SELECT i::BIGINT AS id, (i % 7)::INTEGER AS small, 'name-' || (i % 13) AS name,
                 CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.5 END AS half,
                 TIMESTAMP '2024-03-01 00:00:00' + INTERVAL (i) SECOND AS ts
               FROM range(5000) t(i))
               TO ${sqlStr(GOOD)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2000)`);
  }
  if (!fs.existsSync(NESTED)) {
    await exec(`COPY (SELECT i AS id, [i, i + 1] AS list_col, {'a': i, 'b': 'x'} AS struct_col, 'v' || i AS tail
               FROM range(100) t(i)) TO ${sqlStr(NESTED)} (FORMAT parquet)`);
  }
}

function assertCleanError(r, label, { code = 2, re } = {}) {
  assert.equal(r.signal, null, `${label}: killed by ${r.signal}; stderr: ${r.stderr.slice(0, 500)}`);
  assert.doesNotMatch(r.stderr, /AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|LeakSanitizer/, `${label}: sanitizer report:\n${r.stderr.slice(0, 3000)}`);
  assert.equal(r.status, code, `${label}: exit ${r.status}, stderr: ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, /^sluice: /m, `${label}: error message should start with 'sluice: '`);
  if (re) assert.match(r.stderr, re, `${label}: stderr was: ${r.stderr.slice(0, 500)}`);
}

test('malformed input', async (t) => {
  requireSluice(t);
  await makeFiles();
  closeDuck();
  const good = fs.readFileSync(GOOD);

  await t.test('missing file', () => {
    const r = runSluice(['cat', path.join(DIR, 'does-not-exist.parquet')]);
    assertCleanError(r, 'missing', { re: /does-not-exist\.parquet: cannot open: No such file/ });
  });

  await t.test('directory', () => {
    assertCleanError(runSluice(['inspect', DIR]), 'dir', { re: /is a directory/ });
  });

  await t.test('empty and tiny files', () => {
    for (const n of [0, 3, 11]) {
      const f = path.join(DIR, `tiny${n}.parquet`);
      fs.writeFileSync(f, good.subarray(0, n));
      assertCleanError(runSluice(['inspect', f]), `tiny${n}`, { re: new RegExp(`tiny${n}\\.parquet: not a Parquet file: only ${n} bytes`) });
    }
  });

  await t.test('bad magic', () => {
    const f = path.join(DIR, 'badmagic.parquet');
    const b = Buffer.from(good);
    b.write('PAR2', b.length - 4, 'latin1');
    fs.writeFileSync(f, b);
    assertCleanError(runSluice(['cat', f]), 'bad magic', { re: /badmagic\.parquet: not a Parquet file: bad magic at the end/ });
    const g = path.join(DIR, 'badhead.parquet');
    const c = Buffer.from(good);
    c.write('XXXX', 0, 'latin1');
    fs.writeFileSync(g, c);
    assertCleanError(runSluice(['cat', g]), 'bad head', { re: /bad magic at the start/ });
  });

  await t.test('footer length out of bounds', () => {
    const f = path.join(DIR, 'badlen.parquet');
    const b = Buffer.from(good);
    b.writeUInt32LE(b.length, b.length - 8);
    fs.writeFileSync(f, b);
    assertCleanError(runSluice(['cat', f]), 'footer length', { re: /footer length \d+ is larger than the file allows/ });
  });

  await t.test('corrupt thrift footer', () => {
    const f = path.join(DIR, 'badfooter.parquet');
    const b = Buffer.from(good);
    const flen = b.readUInt32LE(b.length - 8);
    const start = b.length - 8 - flen;
    b.fill(0xff, start, start + Math.min(40, flen));
    fs.writeFileSync(f, b);
    assertCleanError(runSluice(['inspect', f]), 'thrift', { re: /badfooter\.parquet: footer: / });
  });

  await t.test('truncated at many points', () => {
    const f = path.join(DIR, 'trunc.parquet');
    let n = 0;
    for (let cut = 12; cut < good.length; cut += Math.max(1, Math.floor(good.length / 40))) {
      const b = Buffer.concat([good.subarray(0, cut), Buffer.from('PAR1')]);
      fs.writeFileSync(f, b);
      const r = runSluice(['cat', f], { timeout: 30_000 });
      assertCleanError(r, `cut at ${cut}`, { re: /trunc\.parquet/ });
      n++;
    }
    assert.ok(n >= 30);
  });

  await t.test('corrupt page data names row group, column and page', () => {
    const f = path.join(DIR, 'badpage.parquet');
    const meta = JSON.parse(runSluice(['inspect', GOOD, '--json']).stdout);
    const col = meta.row_groups[1].columns.find((c) => c.path === 'name');
    const off = col.dictionary_page_offset ?? col.data_page_offset;
    const b = Buffer.from(good);
    // overwrite the middle of the chunk (page header + compressed bytes)
    b.fill(0x5a, off + 2, off + Math.min(col.compressed_size, 64));
    fs.writeFileSync(f, b);
    const r = runSluice(['cat', f]);
    assertCleanError(r, 'bad page', { re: /badpage\.parquet: row group 1, column 'name', page \d+: / });
  });

  await t.test('random byte flips never crash', () => {
    const rand = rng(42);
    const f = path.join(DIR, 'flip.parquet');
    const flen = good.readUInt32LE(good.length - 8);
    let errors = 0, oks = 0;
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(good);
      const flips = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < flips; k++) {
        // half the time hit the footer, else the data pages
        const pos = rand() < 0.5 ? b.length - 8 - flen + Math.floor(rand() * flen) : 4 + Math.floor(rand() * (b.length - 12 - flen));
        b[pos] ^= 1 << Math.floor(rand() * 8);
      }
      fs.writeFileSync(f, b);
      const r = runSluice(['cat', f], { timeout: 30_000 });
      assert.equal(r.signal, null, `flip ${i}: killed by ${r.signal}`);
      assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/, `flip ${i}: ${r.stderr.slice(0, 2000)}`);
      if (r.status === 0) oks++;
      else {
        assert.equal(r.status, 2, `flip ${i}: exit ${r.status}: ${r.stderr}`);
        assert.match(r.stderr, /^sluice: .*flip\.parquet/m);
        errors++;
      }
    }
    assert.ok(errors > 10, `expected most flips to be detected, got ${errors} errors / ${oks} ok`);
  });

  await t.test('nested columns: clear error, other columns still read', () => {
    const r = runSluice(['cat', NESTED, '--limit', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: .*column 'list_col.*' skipped: nested column \(repeated\) is not supported/);
    assert.match(r.stderr, /warning: .*column 'struct_col\.a' skipped: nested column \(inside a group\) is not supported/);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines, ['{"id":0,"tail":"v0"}', '{"id":1,"tail":"v1"}']);
    const e = runSluice(['cat', NESTED, '--columns', 'id,struct_col.b']);
    assertCleanError(e, 'nested requested', { re: /column 'struct_col\.b': nested column \(inside a group\) is not supported/ });
    const insp = runSluice(['inspect', NESTED]);
    assert.equal(insp.status, 0);
    assert.match(insp.stdout, /struct_col\.a .*not supported/);
  });

  await t.test('bad arguments', () => {
    assertCleanError(runSluice(['cat', GOOD, '--columns', 'nosuch']), 'no column', { code: 1, re: /no column named 'nosuch'/ });
    assertCleanError(runSluice(['cat', GOOD, '--format', 'xml']), 'format', { code: 1, re: /--format needs jsonl or csv, got 'xml'/ });
    assertCleanError(runSluice(['cat', GOOD, '--limit', '-3']), 'limit', { code: 1, re: /--limit needs a non-negative integer/ });
    assertCleanError(runSluice(['frobnicate']), 'cmd', { code: 1, re: /unknown command 'frobnicate'/ });
  });
});

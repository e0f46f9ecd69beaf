// The command reference and the option tables behind it: docs/cli.md carries
// exactly what `sluice help --md` prints; every command's --help exits 0 and
// lists each of its options; and what changed when cat, scan, inspect,
// convert and gen moved to option tables (src/util/opt.h) behaves as
// documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, ensureDataDir, requireSluice, runSluice, sluiceOk } from './lib.mjs';

const DIR = ensureDataDir('cli_help');
const BEGIN = '<!-- BEGIN sluice help --md -->\n';
const END = '<!-- END sluice help --md -->';

function reference() {
  const r = runSluice(['help', '--md']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// The reference's pages: [{ words: ['gen', '--kind', 'product-events'], body, flags: ['--out', '-o', ...] }]
function pages(md) {
  const parts = md.split(/^## `sluice (.+)`$/m);
  const out = [];
  for (let i = 1; i < parts.length; i += 2) {
    const flags = [];
    for (const m of parts[i + 1].matchAll(/^\| `(--[a-z0-9-]+)[^`]*`(?: \(`(-[a-z])`\))? \|/gm)) {
      flags.push(m[1]);
      if (m[2]) flags.push(m[2]);
    }
    out.push({ words: parts[i].split(' '), body: parts[i + 1], flags });
  }
  return out;
}

test('docs/cli.md is what `sluice help --md` prints', (t) => {
  requireSluice(t);
  const md = fs.readFileSync(path.join(REPO, 'docs', 'cli.md'), 'utf8');
  const b = md.indexOf(BEGIN), e = md.indexOf(END);
  assert.ok(b >= 0 && e > b, 'docs/cli.md has the generated section');
  assert.equal(md.slice(b + BEGIN.length, e), reference(),
    'docs/cli.md is out of date: regenerate it with scripts/gen-docs.sh (sluice help --md)');
});

test('every command has a page, and its --help exits 0 and lists each of its options', (t) => {
  requireSluice(t);
  const all = pages(reference());
  const listed = [...runSluice(['help']).stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  assert.ok(listed.length >= 11, `sluice help lists the commands: ${listed}`);
  for (const name of listed) assert.ok(all.some((p) => p.words.join(' ') === name), `no page for ${name}`);
  const options = all.reduce((n, p) => n + p.flags.length, 0);
  assert.ok(options > 100, `the reference lists the options (${options})`);
  for (const p of all) {
    const r = runSluice([...p.words, '--help']);
    const what = `sluice ${p.words.join(' ')} --help`;
    assert.equal(r.status, 0, `${what}: exit ${r.status}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${what} writes to stdout`);
    if (p.words[0] === 'version') continue;
    const usage = p.body.match(/```\n(.*)\n/)[1];
    assert.ok(r.stdout.includes(usage), `${what} shows the usage line '${usage}'`);
    for (const f of p.flags) {
      assert.match(r.stdout, new RegExp(`(^|[ ,])${f.replace(/[-]/g, '\\-')}([ ,\\n]|$)`, 'm'), `${what} lists ${f}`);
    }
    if (p.words.length === 1) assert.equal(runSluice(['help', p.words[0]]).stdout, r.stdout, `sluice help ${p.words[0]}`);
  }
  assert.equal(runSluice(['help', 'frobnicate']).status, 1);
  assert.equal(runSluice(['--help']).status, 0);
});

test('option tables: spellings, values and messages of cat, scan, inspect, convert and gen', (t) => {
  requireSluice(t);
  const pq = path.join(DIR, 'g.parquet'), jl = path.join(DIR, 'g.jsonl');
  // -o and -q are accepted by gen (before: only by --kind product-events); --name=value everywhere
  sluiceOk(['gen', '--rows=200', '--seed', '18446744073709551615', '--start', '2024-03-01', '--end=2024-03-02', '-q', '-o', pq]);
  const meta = JSON.parse(sluiceOk(['inspect', pq, '--json']));
  assert.equal(meta.num_rows, 200);
  assert.equal(meta.key_value['sluice.gen.args'], '--rows 200 --seed 18446744073709551615 --start 2024-03-01 --end 2024-03-02 --quiet');
  // a later flag overrides an earlier one (before: two --rows were "give only one of --rows, --scale and --rate")
  sluiceOk(['gen', '--rows', '5', '--rows', '7', '--quiet', '--out', jl, '--start', '2024-03-01', '--end', '2024-03-02']);
  assert.equal(fs.readFileSync(jl, 'utf8').trim().split('\n').length, 7);
  // cat: --limit=N, --format=csv; scan --batch-rows=N
  assert.equal(sluiceOk(['cat', pq, '--limit=3', '--format=csv', '--columns', 'query_id']).trim().split('\n').length, 4);
  assert.equal(JSON.parse(sluiceOk(['scan', pq, '--batch-rows=7', '--columns=query_id'])).rows, 200);
  // convert writes every codec gen writes
  const gz = path.join(DIR, 'gz.parquet');
  sluiceOk(['convert', pq, gz, '--codec', 'gzip', '--page-version=2', '--no-dictionary']);
  assert.equal(JSON.parse(sluiceOk(['inspect', gz, '--json'])).row_groups[0].columns[0].codec, 'GZIP');
  for (const [args, re] of [
    [['scan', pq, '--batch-rows', '12abc'], /^sluice: --batch-rows needs an integer in 1\.\.16777216, got '12abc'$/m],
    [['scan', pq, '--batch-rows', '0'], /--batch-rows needs an integer in 1\.\.16777216, got '0'/],
    [['cat', pq, '--limit', '1.5'], /--limit needs a non-negative integer, got '1\.5'/],
    [['cat', pq, pq], /cat: only one FILE is accepted/],
    [['inspect', pq, '--jsn'], /unknown option '--jsn' \(did you mean --json\?\)/],
    [['convert', pq, gz, '--page-version', '3'], /--page-version needs 1 or 2, got '3'/],
    [['convert', pq, gz, '--row-group-rows', '0'], /--row-group-rows needs a positive integer, got '0'/],
    [['convert', pq, gz, 'extra'], /convert: expected IN and OUT, got an extra argument 'extra'/],
    [['gen', '--seed', '-1'], /--seed needs an integer >= 0, got '-1'/],
    [['gen', '--rows', '0'], /--rows needs an integer >= 1, got '0'/],
    [['gen', '--start', '2024-03-01T00:00:00+02:00'], /--start needs a UTC time/],
    [['gen', '--rows', '5', '--rate', '9'], /gen: give only one of --rows, --scale and --rate/],
    [['gen', '--bad-rows', '0.6', '--repairs', '0.6'], /--bad-rows \+ --repairs must be at most 1/],
    [['gen', '--ts-format', 'x'], /--ts-format needs space or iso, got 'x'/],
    [['gen', '--event-types', '5'], /unknown option '--event-types'/],
    [['gen', '--kind', 'product-events', '--ts-format=iso'], /gen: --ts-format applies to the Redset kinds/],
    [['gen', '--kind', 'product-events', '--users', '0'], /--users needs an integer >= 1, got '0'/],
  ]) {
    const r = runSluice(args);
    assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
  // a missing FILE prints the command's help on stderr, exit 1
  for (const args of [['cat'], ['scan'], ['inspect'], ['convert', pq]]) {
    const r = runSluice(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, new RegExp(`^usage: sluice ${args[0]} `), args.join(' '));
  }
});

test('help CMD and CMD --help: the same text on stdout, exit 0, options in a column, wrapped at 100', (t) => {
  requireSluice(t);
  const listed = [...runSluice(['help']).stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  assert.ok(listed.includes('inspect') && listed.includes('run') && listed.includes('gen'), `listed: ${listed}`);
  for (const name of listed) {
    const a = runSluice(['help', name]), b = runSluice([name, '--help']);
    for (const [r, what] of [[a, `sluice help ${name}`], [b, `sluice ${name} --help`]]) {
      assert.equal(r.status, 0, `${what}: exit ${r.status}`);
      assert.equal(r.stderr, '', `${what}: nothing on stderr`);
      assert.match(r.stdout, /^usage: sluice /, what);
    }
    assert.equal(a.stdout, b.stdout, `help ${name} = ${name} --help`);
    const lines = a.stdout.split('\n');
    lines.forEach((l, i) => {
      assert.ok(l.length <= 100, `${name} --help line ${i + 1} is ${l.length} columns: ${l}`);
      // an option's line: its text starts at column 24, or on the next line at column 24
      const m = l.match(/^ {2}(--[a-z0-9-]+(?:, -[a-z])?(?: \S+)?)( {2,})\S/);
      if (m) assert.equal(2 + m[1].length + m[2].length, 24, `${name}: '${l}' is aligned`);
      else if (/^ {2}--\S+( \S+)?$/.test(l)) assert.match(lines[i + 1], /^ {24}\S/, `${name}: the text after '${l}'`);
    });
  }
  // a long help text is wrapped onto lines indented to the column, not cut
  const run = runSluice(['help', 'run']).stdout;
  assert.match(run, /^ {2}--commit-interval DURATION\n {24}how often the outputs commit.*\n {24}\S/m);
});

test('gen and convert take the same codecs; a glob matching nothing: one message everywhere', async (t) => {
  requireSluice(t);
  const codecOf = (file) => JSON.parse(sluiceOk(['inspect', file, '--json'])).row_groups[0].columns[0].codec;
  const help = (cmd) => runSluice(['help', cmd]).stdout.match(/^ {2}--codec C +(.*(?:\n {24}.*)*)/m)[1].replace(/\s+/g, ' ');
  assert.equal(help('gen'), help('convert'), 'the same --codec help');
  const src = path.join(DIR, 'codec_src.parquet');
  sluiceOk(['gen', '--rows', '300', '--quiet', '--out', src, '--start', '2024-03-01', '--end', '2024-03-02']);
  const expect = { zstd: 'ZSTD', snappy: 'SNAPPY', gzip: 'GZIP', brotli: 'BROTLI', lz4_raw: 'LZ4_RAW', lz4: 'LZ4_RAW', none: 'UNCOMPRESSED', uncompressed: 'UNCOMPRESSED' };
  for (const [name, codec] of Object.entries(expect)) {
    const g = path.join(DIR, `codec_gen_${name}.parquet`), c = path.join(DIR, `codec_conv_${name}.parquet`);
    sluiceOk(['gen', '--rows', '300', '--quiet', '--codec', name, '--out', g, '--start', '2024-03-01', '--end', '2024-03-02']);
    sluiceOk(['convert', src, c, '--codec', name]);
    assert.equal(codecOf(g), codec, `gen --codec ${name}`);
    assert.equal(codecOf(c), codec, `convert --codec ${name}`);
  }
  for (const cmd of ['gen', 'convert']) {
    const r = runSluice(cmd === 'gen' ? ['gen', '--codec', 'lzo'] : ['convert', src, path.join(DIR, 'x.parquet'), '--codec', 'lzo']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^sluice: --codec needs zstd, snappy, gzip, brotli, lz4_raw \(lz4\) or none \(uncompressed\), got 'lzo'$/m, cmd);
  }
  const glob = path.join(DIR, 'nothing-here-*.parquet');
  for (const args of [['run', glob, '--hot', path.join(DIR, 'g.db')], ['replay', glob], ['scan', glob], ['cat', glob],
    ['inspect', glob], ['convert', glob, path.join(DIR, 'x.parquet')]]) {
    const r = runSluice(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, `sluice: ${args[0]}: no file matches '${glob}'\n`, args.join(' '));
  }
  // a single-file command takes a glob that matches one file, and refuses one that matches several
  assert.equal(JSON.parse(sluiceOk(['scan', path.join(DIR, 'codec_src.parq*')])).rows, 300);
  const many = runSluice(['cat', path.join(DIR, 'codec_gen_*.parquet')]);
  assert.equal(many.status, 1);
  assert.match(many.stderr, /cat: '.*codec_gen_\*\.parquet' matches 8 files; cat reads one/);
});

#!/usr/bin/env node
// Build the dashboard (docs/dashboard.md) and embed it into sluice as C.
//
//   node web/build.mjs OUT.c [--out-dir DIR]
//
// Reads web/src/* and the chart library from web/node_modules (installed from
// web/package-lock.json by scripts/setup.sh --deps); uses no network.  Writes
// OUT.c defining the symbols of src/serve/assets.h (sv_assets, sv_assets_count)
// with every asset as a byte array (C11 only guarantees string literals of 4095
// characters).  --out-dir also writes the assets as plain files (debugging).
// The output depends on the input bytes only (no time, no path), so a rebuild
// of the same sources gives the same file; it is written to a temporary name
// and renamed, so make never sees half a file.
//
// The build also checks what makes the page work offline: our own sources
// reference no http(s):// URL, and every /assets/... path in index.html and
// every relative import in our modules is an asset of the build.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(WEB, 'src');
const NM = path.join(WEB, 'node_modules');

function die(msg) {
  process.stderr.write(`web/build.mjs: ${msg}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
let out = null;
let outDir = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out-dir') outDir = args[++i];
  else if (args[i].startsWith('-')) die(`unknown option ${args[i]}`);
  else if (out === null) out = args[i];
  else die(`unexpected argument ${args[i]}`);
}
if (!out || (outDir === undefined)) die('usage: node web/build.mjs OUT.c [--out-dir DIR]');

// ------------------------------------------------------------------ inputs
const uplotPkg = path.join(NM, 'uplot', 'package.json');
if (!fs.existsSync(uplotPkg)) {
  die(`${path.relative(process.cwd(), NM) || NM}/uplot is missing: run scripts/setup.sh --deps ` +
    '(or: cd web && npm install --no-save --no-audit --no-fund)');
}
const uplotVersion = JSON.parse(fs.readFileSync(uplotPkg, 'utf8')).version;
const lockVersion = JSON.parse(fs.readFileSync(path.join(WEB, 'package-lock.json'), 'utf8'))
  .packages?.['node_modules/uplot']?.version;
if (lockVersion !== uplotVersion) {
  die(`web/node_modules has uplot ${uplotVersion} but package-lock.json wants ${lockVersion}: ` +
    'run scripts/setup.sh --deps');
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

// [URL path, file]; "/" is the page.  Our modules keep their names under /assets/.
const assets = [
  ['/', path.join(SRC, 'index.html')],
  ['/favicon.svg', path.join(SRC, 'favicon.svg')],
  ['/assets/style.css', path.join(SRC, 'style.css')],
];
const ownJs = fs.readdirSync(SRC).filter((f) => f.endsWith('.js')).sort();
for (const f of ownJs) assets.push([`/assets/${f}`, path.join(SRC, f)]);
assets.push(
  ['/assets/uplot.min.js', path.join(NM, 'uplot', 'dist', 'uPlot.iife.min.js')],
  ['/assets/uplot.min.css', path.join(NM, 'uplot', 'dist', 'uPlot.min.css')],
);

const files = assets.map(([url, file]) => {
  let data;
  try { data = fs.readFileSync(file); } catch (e) { die(`${file}: ${e.message}`); }
  if (data.length === 0) die(`${file} is empty`);
  const type = TYPES[path.extname(file)];
  if (!type) die(`${file}: no content type for ${path.extname(file)}`);
  return { url, file, data, type, own: file.startsWith(SRC + path.sep) };
});

// Third-party notices, served as /assets/licenses.txt (uPlot is MIT).
const notices = `The sluice dashboard includes uPlot ${uplotVersion} (https://github.com/leeoniya/uPlot):\n\n` +
  fs.readFileSync(path.join(NM, 'uplot', 'LICENSE'), 'utf8');
files.push({ url: '/assets/licenses.txt', file: 'licenses.txt', data: Buffer.from(notices), type: TYPES['.txt'], own: false });

// ------------------------------------------------------------------ offline checks
const urls = new Set(files.map((f) => f.url));
for (const f of files.filter((x) => x.own)) {
  const text = f.data.toString('utf8');
  // http(s) URLs and protocol-relative ones; the SVG namespace is a name, not a request.
  for (const m of text.matchAll(/https?:\/\/[^\s"'`<>)]+|["'`(=]\s*\/\/[a-z0-9-]+\.[a-z0-9.-]+/gi)) {
    if (!/^http:\/\/www\.w3\.org\/2000\/svg$/.test(m[0])) die(`${f.file} references an external URL (${m[0]}): the page must work offline`);
  }
  if (f.url === '/') {
    for (const m of text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const ref = m[1];
      if (ref.startsWith('#') || ref === '/metrics') continue; // a view; the server's own page
      if (!urls.has(ref)) die(`index.html references ${ref}, which is not an asset of the build`);
    }
  }
  if (f.url.endsWith('.js')) {
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const target = path.posix.join(path.posix.dirname(f.url), m[1]);
      if (!m[1].startsWith('./') || !urls.has(target)) die(`${f.file} imports ${m[1]}, which is not an asset of the build`);
    }
  }
}

// ------------------------------------------------------------------ C output
const cStr = (s) => `"${s.replace(/[\\"]/g, '\\$&')}"`;
let c = '';
c += `/* Generated by web/build.mjs from web/src and uplot ${uplotVersion}: the dashboard's\n`;
c += ' * files, served from memory by sluice serve (docs/dashboard.md).  Do not edit. */\n';
c += '#include "serve/assets.h"\n\n';
files.forEach((f, k) => {
  c += `/* ${f.url} (${f.data.length} bytes) */\n`;
  c += `static const unsigned char sv_asset_${k}[${f.data.length}] = {\n`;
  const d = f.data;
  for (let i = 0; i < d.length; i += 24) {
    const line = [];
    for (let j = i; j < Math.min(i + 24, d.length); j++) line.push(d[j]);
    c += line.join(',') + ',\n';
  }
  c += '};\n\n';
});
c += 'const sv_asset sv_assets[] = {\n';
files.forEach((f, k) => {
  c += `    {.path = ${cStr(f.url)}, .content_type = ${cStr(f.type)}, .data = sv_asset_${k}, .len = sizeof sv_asset_${k}},\n`;
});
c += '};\n';
c += 'const size_t sv_assets_count = sizeof sv_assets / sizeof sv_assets[0];\n';

function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
writeAtomic(out, c);
if (outDir) {
  for (const f of files) writeAtomic(path.join(outDir, f.url === '/' ? 'index.html' : f.url.slice(1)), f.data);
}
const total = files.reduce((s, f) => s + f.data.length, 0);
if (process.env.SLUICE_WEB_VERBOSE) process.stderr.write(`web/build.mjs: ${files.length} assets, ${total} bytes -> ${out}\n`);

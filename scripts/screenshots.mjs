// The screenshots of docs/getting-started.md: the dashboard's three views over the demo's
// hot store (scripts/demo.sh writes build/demo/sluice.db), taken with Debian's chromium
// driven by playwright-core (as the browser tests do), written to docs/img/.
//
//   node scripts/screenshots.mjs [HOT_DB]      (default build/demo/sluice.db)
//
// It starts `sluice serve` on a free loopback port, opens each view, waits until it is
// drawn, saves a PNG and stops the server (also on failure).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(REPO, 'tests', 'oracle', 'package.json'));
const { chromium } = require('playwright-core');
const HOT = process.argv[2] || path.join(REPO, 'build', 'demo', 'sluice.db');
const BIN = process.env.SLUICE_BIN || path.join(REPO, 'build', 'release', 'sluice');
const OUT = path.join(REPO, 'docs', 'img');
const CHROMIUM = process.env.SLUICE_CHROMIUM || '/usr/bin/chromium';

if (!fs.existsSync(HOT)) {
  console.error(`screenshots: ${HOT} does not exist (run scripts/demo.sh first)`);
  process.exit(1);
}
fs.mkdirSync(OUT, { recursive: true });

// sluice serve on port 0 prints its URL; wait for it
const serve = spawn(BIN, ['serve', '--hot', HOT, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
const url = await new Promise((resolve, reject) => {
  let text = '';
  const onData = (d) => {
    text += d;
    const m = text.match(/http:\/\/127\.0\.0\.1:\d+/);
    if (m) resolve(m[0]);
  };
  serve.stdout.on('data', onData);
  serve.stderr.on('data', onData);
  serve.on('exit', (code) => reject(new Error(`sluice serve exited ${code}: ${text}`)));
  setTimeout(() => reject(new Error(`no URL from sluice serve in 10 s: ${text}`)), 10000);
});

let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = async (name, hash, ready, full = false) => {
    await page.goto(`${url}/${hash}`);
    await page.waitForSelector(ready, { timeout: 30000 });
    await page.waitForTimeout(500); // the charts' last paint
    const file = path.join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: full });
    console.log(`screenshots: ${file}`);
  };
  await shot('live', '#/live', '[data-testid="view-live"][data-state="ready"], #view-live[data-state="ready"]');
  await shot('history', '#/history', '#view-history[data-state="ready"]', true);
  await shot('health', '#/health', '[data-testid="view-health"][data-state="ready"]');
} finally {
  if (browser) await browser.close();
  serve.kill('SIGTERM');
}

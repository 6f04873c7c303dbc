#!/usr/bin/env node
// Remakes the README's images from the commands themselves (npm run docs:images, after a build):
// trains the lecture's LSTM (specs/lstm.rnn) on the embedded demo corpus, runs `rnnc report` on
// it, and screenshots the page in Debian's headless chromium (puppeteer-core; nothing is
// downloaded) into docs/images/report.png. RNNC_CHROMIUM names another browser binary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const chromium = process.env.RNNC_CHROMIUM ?? '/usr/bin/chromium';
const out = join(root, 'docs/images/report.png');

/** Runs the built rnnc; rejects with its output when it fails. */
function rnnc(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/rnnc.js'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`rnnc ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

if (!existsSync(chromium)) {
  console.error(`docs-images: ${chromium} is missing (apt-get install chromium, or set RNNC_CHROMIUM)`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist/cli-bundle/main.js'))) {
  console.error('docs-images: build rnnc first (npm run build)');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'rnnc-docs-images-'));
try {
  const model = join(work, 'lstm');
  const page = join(work, 'report.html');
  console.log('training specs/lstm.rnn on the demo corpus…');
  await rnnc(['train', 'specs/lstm.rnn', '-o', model, '--quiet']);
  await rnnc(['report', model, '-o', page]);

  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1100, height: 900, deviceScaleFactor: 1 });
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    // From the top to the end of the mistakes table: curves, metrics, heat map and examples.
    const bottom = await tab.evaluate(() => {
      const s = globalThis.document.querySelector('#mistakes');
      const r = s.getBoundingClientRect();
      return Math.ceil(r.bottom + globalThis.scrollY + 8);
    });
    mkdirSync(join(root, 'docs/images'), { recursive: true });
    await tab.screenshot({ path: out, clip: { x: 0, y: 0, width: 1100, height: bottom }, captureBeyondViewport: true });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// The package in a browser: headless Chromium (Debian's, driven by playwright-core) loads index.js from a
// local HTTP server, creates sessions from a URL and from an ArrayBuffer, runs them on the page and in a
// module Web Worker. Skipped with the reason when Chromium or playwright-core is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NODE_ROOT } from './support/backend_data.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGE = path.resolve(HERE, '..');
const CHROMIUM = process.env.CORT_CHROMIUM || '/usr/bin/chromium';

// playwright-core from js/node_modules, or the copy `make test-web` installs into tests/web/node_modules
function findPlaywright() {
  for (const base of [path.join(PACKAGE, 'package.json'), path.join(PACKAGE, '../tests/web/package.json')]) {
    try {
      return createRequire(base)('playwright-core');
    } catch { /* try the next */ }
  }
  return null;
}

const playwright = findPlaywright();
const skip = !fs.existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !playwright ? 'playwright-core is not installed (npm install playwright-core in js/ or make test-web)'
    : !fs.existsSync(NODE_ROOT) ? `no backend test data at ${NODE_ROOT}` : false;

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// /pkg/ serves the package, /data/ the backend node tests, /page.html the test page
function serve() {
  const mounts = { '/pkg/': PACKAGE, '/data/': NODE_ROOT };
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split('?')[0]);
    if (url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>cort</title>');
      return;
    }
    const prefix = Object.keys(mounts).find((p) => url.startsWith(p));
    const root = prefix && mounts[prefix];
    const file = root && path.resolve(root, '.' + path.posix.normalize('/' + url.slice(prefix.length)));
    if (!file || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Runs on the page and in the worker: test_add from its URL, test_top_k from an ArrayBuffer, an error.
const SCENARIO = `
  async function scenario(base) {
    const { InferenceSession, Tensor } = await import(base + '/pkg/index.js');
    const add = await InferenceSession.create(base + '/data/test_add/model.onnx');
    const x = new Tensor('float32', Float32Array.from({ length: 60 }, (_, i) => i), [3, 4, 5]);
    const { sum } = await add.run({ x, y: x });
    const bytes = await (await fetch(base + '/data/test_top_k/model.onnx')).arrayBuffer();
    const topk = await InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const r = await topk.run({ x: new Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i), [3, 4]),
      k: new Tensor('int64', [2n], [1]) });
    let error = null;
    try { await add.run({ x }); } catch (e) { error = e.message; }
    await add.release();
    await topk.release();
    return { names: add.inputNames, sum: Array.from(sum.data.slice(0, 4)), dims: sum.dims,
      values: Array.from(r.values.data), indices: r.indices.data.join(','), error };
  }`;

const EXPECTED = {
  names: ['x', 'y'], sum: [0, 2, 4, 6], dims: [3, 4, 5], values: [3, 2, 7, 6, 11, 10], indices: '3,2,3,2,3,2',
  error: "input 'y' is required but was not given",
};

test('in headless Chromium: on the page and in a module worker', { skip, timeout: 120000 }, async () => {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${base}/page.html`);
    const onPage = await page.evaluate(`(${SCENARIO.trim().replace(/^async function scenario/, 'async function')})(${JSON.stringify(base)})`);
    assert.deepEqual(onPage, EXPECTED, logs.join('\n'));
    const inWorker = await page.evaluate(`new Promise((resolve, reject) => {
      const source = ${JSON.stringify(SCENARIO)} + 'scenario(' + ${JSON.stringify(JSON.stringify(base))} +
        ').then((r) => postMessage(r), (e) => postMessage({ failed: String(e && e.stack || e) }));';
      const w = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(e.message));
    })`);
    assert.deepEqual(inWorker, EXPECTED, logs.join('\n'));
  } finally {
    await browser.close();
    server.close();
  }
});

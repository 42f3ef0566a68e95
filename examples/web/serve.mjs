#!/usr/bin/env node
// A small static server for the web examples: the repository at /, the face models at /models/ and,
// when asked, onnxruntime-web's dist/ at /ort/ (to compare runtimes). Listens on 127.0.0.1 only.
//
//   node examples/web/serve.mjs [--port 8080] [--models ../shared/models] [--ort DIR]
//   then open http://127.0.0.1:8080/examples/web/face/
//
// The cross-origin isolation headers let a runtime use threads (SharedArrayBuffer) if it has them.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.onnx': 'application/octet-stream', '.md': 'text/plain; charset=utf-8',
};

// The file a URL path names under one of the mounts (longest prefix first), or null.
function resolve(mounts, urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  for (const [prefix, dir] of Object.entries(mounts).sort((a, b) => b[0].length - a[0].length)) {
    if (!p.startsWith(prefix)) continue;
    const file = path.resolve(dir, '.' + path.posix.normalize('/' + p.slice(prefix.length)));
    if (file !== path.resolve(dir) && !file.startsWith(path.resolve(dir) + path.sep)) return null;
    return file;
  }
  return null;
}

/** Serves `mounts` ({ '/': dir, '/models/': dir, ... }); resolves to { server, url }. */
export function startServer({ mounts, port = 0, host = '127.0.0.1', log = null }) {
  const server = http.createServer((req, res) => {
    let file = req.method === 'GET' || req.method === 'HEAD' ? resolve(mounts, req.url) : null;
    if (file && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    const ok = file && fs.existsSync(file) && fs.statSync(file).isFile();
    if (log) log(`${req.method} ${req.url} ${ok ? 200 : 404}`);
    if (!ok) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${req.url}\n`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream',
      'Content-Length': fs.statSync(file).size,
      'Cache-Control': 'no-cache',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}` }));
  });
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const a = { port: 8080, models: process.env.CORT_FACE_MODELS || path.join(REPO, '..', 'shared', 'models'), ort: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--port') a.port = Number(v);
    else if (k === '--models') a.models = v;
    else if (k === '--ort') a.ort = v;
    else throw new Error(`unknown option ${k} (--port N, --models DIR, --ort DIR)`);
  }
  return a;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = parseArgs(process.argv.slice(2));
  const mounts = { '/': REPO, '/models/': path.resolve(a.models) };
  if (a.ort) mounts['/ort/'] = path.resolve(a.ort);
  const { url } = await startServer({ mounts, port: a.port });
  console.log(`serving ${REPO} (models: ${mounts['/models/']}${a.ort ? `, ort: ${mounts['/ort/']}` : ''})`);
  console.log(`open ${url}/examples/web/face/`);
}

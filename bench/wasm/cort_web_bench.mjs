#!/usr/bin/env node
// One model on cort's JavaScript package (js/, onnxruntime-web's API) in Node.js, timed exactly as
// ort_web_bench.js times onnxruntime-web: the wall time of one session.run() on the same inputs, after
// untimed warmup runs. PKG is a copy of js/ whose dist/ holds the cort.mjs + cort.wasm to measure
// (compare.js stages it from a build directory).
//   node cort_web_bench.mjs PKG MODEL.onnx INPUT.pb... [--runs R] [--warmup W]
// Prints one JSON line: {"load_ms":...,"min_ms":...,"median_ms":...,"max_abs_err":...}, the last against the
// output_N.pb files next to the inputs (the zoo's expected outputs, from ONNX Runtime natively).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { timeSession } = require('./session_timing.js');

const argv = process.argv.slice(2);
const o = { runs: 10, warmup: 2, pkg: null, model: null, inputs: [] };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--runs') o.runs = Number(argv[++i]);
  else if (a === '--warmup') o.warmup = Number(argv[++i]);
  else if (a === '--threads') ++i; // one thread: the package's default build has no threads
  else if (!o.pkg) o.pkg = a;
  else if (!o.model) o.model = a;
  else o.inputs.push(a);
}
if (!o.model) {
  console.error('usage: node cort_web_bench.mjs PKG MODEL.onnx INPUT.pb... [--runs R] [--warmup W]');
  process.exit(2);
}

try {
  const cort = await import(pathToFileURL(path.join(o.pkg, 'index.js')).href);
  cort.env.logLevel = 'error';
  const bytes = fs.readFileSync(o.model);
  const t0 = performance.now();
  const session = await cort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const loadMs = performance.now() - t0;
  const timing = await timeSession(cort.Tensor, session, o.inputs, o.runs, o.warmup);
  console.log(JSON.stringify({ load_ms: loadMs, ...timing }));
  await session.release();
} catch (e) {
  console.error(`${path.basename(o.model)}: ${e.message || e}`);
  process.exit(1);
}

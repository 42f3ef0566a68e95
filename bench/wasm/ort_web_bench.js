#!/usr/bin/env node
'use strict';
// One model on onnxruntime-web's WebAssembly backend in Node.js (SIMD, 1 thread), timed as `cort bench`
// times cort: the wall time of one session.run() on the same inputs, after untimed warmup runs.
//   node ort_web_bench.js MODEL.onnx INPUT.pb... [--runs R] [--warmup W] [--threads N]
// Prints one JSON line: {"load_ms":...,"min_ms":...,"median_ms":...,"max_abs_err":...}, the last against the
// output_N.pb files next to the inputs (the zoo's expected outputs, from ONNX Runtime natively).
const path = require('path');
const fs = require('fs');
const { performance } = require('perf_hooks');
const { timeSession } = require('./session_timing.js');

const argv = process.argv.slice(2);
const o = { runs: 10, warmup: 2, threads: 1, model: null, inputs: [] };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--runs') o.runs = Number(argv[++i]);
  else if (a === '--warmup') o.warmup = Number(argv[++i]);
  else if (a === '--threads') o.threads = Number(argv[++i]);
  else if (!o.model) o.model = a;
  else o.inputs.push(a);
}
if (!o.model) {
  console.error('usage: node ort_web_bench.js MODEL.onnx INPUT.pb... [--runs R] [--warmup W] [--threads N]');
  process.exit(2);
}

(async () => {
  const ort = require('onnxruntime-web');
  ort.env.wasm.numThreads = o.threads;
  ort.env.wasm.simd = true; // ignored by releases that ship only the SIMD build, which is SIMD anyway
  ort.env.logLevel = 'error';
  const bytes = fs.readFileSync(o.model);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3,
  });
  const loadMs = performance.now() - t0;
  const timing = await timeSession(ort.Tensor, session, o.inputs, o.runs, o.warmup);
  console.log(JSON.stringify({ load_ms: loadMs, ...timing }));
  await session.release();
})().catch((e) => { console.error(`${path.basename(o.model)}: ${e.message || e}`); process.exit(1); });

#!/usr/bin/env node
'use strict';
// Long-lived ONNX Runtime side of bench/compare (onnxruntime-node, CPU EP, all graph optimizations).
// Same protocol as cort_worker.c:
//   node ort_worker.js MODEL THREADS WARMUP [INPUT_K.pb ...]     (ORT_DIR: where node_modules lives)
//   startup -> "ready {json}" | "error MSG";  "run N" -> "times T1 .. TN";  "quit" -> "done {json}"
// The RSS before any session exists (node + onnxruntime-node + protobufjs loaded) is the baseline.
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const ortDir = process.env.ORT_DIR;
if (!ortDir) { console.log('error ORT_DIR is not set'); process.exit(1); }
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
const pb = require(path.join(ortDir, 'onnxpb.js'));

function statusKb(field) {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s*(\\d+)`, 'm'));
  return m ? Number(m[1]) : -1;
}
function fail(what, e) {
  console.log(`error ${what}: ${String(e && e.message ? e.message : e).replace(/\s+/g, ' ')}`);
  process.exit(1);
}

(async () => {
  const [model, threadsArg, warmupArg, ...files] = process.argv.slice(2);
  if (!model) fail('usage', 'ort_worker.js MODEL THREADS WARMUP [INPUT_K.pb ...]');
  const baseKb = statusKb('VmRSS');
  ort.env.logLevel = 'error';
  const so = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3,
    intraOpNumThreads: Number(threadsArg), interOpNumThreads: 1 };
  let sess;
  const t0 = process.hrtime.bigint();
  try { sess = await ort.InferenceSession.create(model, so); } catch (e) { fail('session create', e); }
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = {};
  try {
    files.forEach((f, k) => {
      const t = pb.decodeTensor(pb.TensorProto.decode(fs.readFileSync(f)));
      feeds[sess.inputNames[k]] = new ort.Tensor(t.type, t.data, t.dims);
    });
  } catch (e) { fail('inputs', e); }
  const once = async () => {
    const s = process.hrtime.bigint();
    await sess.run(feeds);
    return Number(process.hrtime.bigint() - s) / 1e6;
  };
  let firstMs;
  try {
    firstMs = await once();
    for (let i = 0; i < Number(warmupArg); i++) await once();
  } catch (e) { fail('run', e); }
  console.log(`ready ${JSON.stringify({ create_ms: createMs, first_run_ms: firstMs, base_rss_kb: baseKb })}`);
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.startsWith('quit')) break;
    const m = line.match(/^run (\d+)/);
    if (!m) { console.log('error bad command'); continue; }
    const times = [];
    try { for (let i = 0; i < Number(m[1]); i++) times.push((await once()).toFixed(4)); } catch (e) { fail('run', e); }
    console.log(`times ${times.join(' ')}`);
  }
  await sess.release();
  console.log(`done ${JSON.stringify({ peak_rss_kb: statusKb('VmHWM'), base_rss_kb: baseKb })}`);
  process.exit(0);
})().catch((e) => fail('worker', e));

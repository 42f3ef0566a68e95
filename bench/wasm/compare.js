#!/usr/bin/env node
'use strict';
// cort (WebAssembly: its JavaScript package, js/, with the cort.mjs + cort.wasm of BUILD/js) vs
// onnxruntime-web (wasm backend) in Node.js, side by side on the model zoo, through the same API calls:
// per model, ROUNDS rounds, each running both in fresh processes in alternating order (cort first in
// even rounds, ORT first in odd ones); each process loads the model, runs WARMUP untimed runs, then RUNS
// timed session.run() calls on the zoo's test input and reports their median and its largest output
// error. The table shows the median over rounds of those medians, and the ratio cort/ORT.
//   node bench/wasm/compare.js [--build build-wasm] [--zoo tools/zoo/out] [--models a,b,c]
//                              [--rounds 3] [--runs 10] [--warmup 2] [--out FILE.md]
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const here = __dirname;
const root = path.resolve(here, '..', '..');
const argv = process.argv.slice(2);
const o = {
  build: path.join(root, 'build-wasm'), zoo: path.join(root, 'tools', 'zoo', 'out'),
  models: ['mobilenet_v2', 'resnet50', 'bert_base'], rounds: 3, runs: 10, warmup: 2, out: null,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i], v = () => argv[++i];
  if (a === '--build') o.build = path.resolve(v());
  else if (a === '--zoo') o.zoo = path.resolve(v());
  else if (a === '--models') o.models = v().split(',');
  else if (a === '--rounds') o.rounds = Number(v());
  else if (a === '--runs') o.runs = Number(v());
  else if (a === '--warmup') o.warmup = Number(v());
  else if (a === '--out') o.out = path.resolve(v());
  else { console.error(`unknown argument ${a}; see the header of ${__filename}`); process.exit(2); }
}

const node = process.execPath;
const cortMjs = path.join(o.build, 'js', 'cort.mjs');
const cortWasm = path.join(o.build, 'js', 'cort.wasm');
for (const f of [cortMjs, cortWasm]) {
  if (!fs.existsSync(f)) { console.error(`${f} is missing: build the target cort_js in ${o.build}`); process.exit(2); }
}

// A private copy of the package (js/) with this build's module in dist/, so js/dist stays untouched.
function stagePackage() {
  const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'cort-wasm-bench-'));
  for (const f of ['package.json', 'index.js']) fs.copyFileSync(path.join(root, 'js', f), path.join(pkg, f));
  fs.cpSync(path.join(root, 'js', 'lib'), path.join(pkg, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'dist'));
  fs.copyFileSync(cortMjs, path.join(pkg, 'dist', 'cort.mjs'));
  fs.copyFileSync(cortWasm, path.join(pkg, 'dist', 'cort.wasm'));
  return pkg;
}
const pkg = stagePackage();
process.on('exit', () => fs.rmSync(pkg, { recursive: true, force: true }));
// the package's "exports" hide package.json: find it from the resolved entry point (dist/...)
let ortEntry;
try {
  ortEntry = require.resolve('onnxruntime-web');
} catch (e) {
  console.error(`onnxruntime-web is not installed: (cd ${here} && npm install --ignore-scripts)`);
  process.exit(2);
}
const ortDist = path.dirname(ortEntry);
const ortVersion = JSON.parse(fs.readFileSync(path.join(ortDist, '..', 'package.json'), 'utf8')).version;

function median(v) {
  const s = [...v].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function lastJson(out) {
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return JSON.parse(line);
}

function runCort(model, inputs) {
  const args = [path.join(here, 'cort_web_bench.mjs'), pkg, model, ...inputs, '--warmup', String(o.warmup),
    '--runs', String(o.runs)];
  return lastJson(execFileSync(node, args, { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

function runOrt(model, inputs) {
  const args = [path.join(here, 'ort_web_bench.js'), model, ...inputs, '--threads', '1', '--warmup',
    String(o.warmup), '--runs', String(o.runs)];
  return lastJson(execFileSync(node, args, { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

const rows = [];
for (const m of o.models) {
  const model = path.join(o.zoo, 'models', `${m}.onnx`);
  const dir = path.join(o.zoo, 'tests', m, 'test_data_set_0');
  const inputs = fs.readdirSync(dir).filter((f) => /^input_\d+\.pb$/.test(f)).sort()
    .map((f) => path.join(dir, f));
  const cort = [], ort = [], err = { cort: 0, ort: 0 };
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 ? ['ort', 'cort'] : ['cort', 'ort'];
    for (const who of order) {
      const res = who === 'cort' ? runCort(model, inputs) : runOrt(model, inputs);
      (who === 'cort' ? cort : ort).push(res.median_ms);
      err[who] = Math.max(err[who], res.max_abs_err);
      console.error(`${m} round ${r + 1}: ${who} median ${res.median_ms.toFixed(1)} ms`);
    }
  }
  rows.push({ model: m, cort: median(cort), ort: median(ort), cortAll: cort, ortAll: ort, err });
}

const kb = (f) => `${(fs.statSync(f).size / 1024).toFixed(0)} KB`;
const lines = [];
lines.push(`| model | cort-wasm median (ms) | onnxruntime-web median (ms) | cort / ORT | max abs error cort / ORT |`);
lines.push('|---|---:|---:|---:|---|');
const sci = (v) => (Number.isNaN(v) ? 'n/a' : v.toExponential(1));
for (const r of rows) {
  lines.push(`| ${r.model} | ${r.cort.toFixed(1)} | ${r.ort.toFixed(1)} | ${(r.cort / r.ort).toFixed(2)} | ` +
    `${sci(r.err.cort)} / ${sci(r.err.ort)} |`);
}
lines.push('');
lines.push(`Binary size: cort.wasm ${kb(cortWasm)} + cort.mjs ${kb(cortMjs)}; onnxruntime-web ${ortVersion} ` +
  `ort-wasm-simd-threaded.wasm ${kb(path.join(ortDist, 'ort-wasm-simd-threaded.wasm'))} + ` +
  `ort-wasm-simd-threaded.mjs ${kb(path.join(ortDist, 'ort-wasm-simd-threaded.mjs'))}.`);
lines.push('');
lines.push(`Per-round medians (ms): ` + rows.map((r) =>
  `${r.model} cort [${r.cortAll.map((v) => v.toFixed(1)).join(', ')}] ORT [${r.ortAll.map((v) => v.toFixed(1)).join(', ')}]`)
  .join('; ') + '.');
lines.push('');
lines.push('Max abs error: the largest difference of each side\'s outputs from the zoo\'s expected outputs ' +
  '(output_N.pb, recorded with ONNX Runtime natively), over its rounds.');
lines.push('');
lines.push(`Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} CPUs; ${o.rounds} rounds x ` +
  `${o.runs} runs after ${o.warmup} warmup runs, 1 thread, SIMD on both.`);
const text = lines.join('\n') + '\n';
process.stdout.write(text);
if (o.out) fs.writeFileSync(o.out, text);

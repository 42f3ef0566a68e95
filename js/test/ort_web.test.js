// The same code on onnxruntime-web and on this package must behave alike: Tensor construction (values
// and thrown errors), session names and input metadata, and run results on backend tests. Needs
// onnxruntime-web (js/node_modules, bench/wasm/node_modules as the WebAssembly benchmark installs it, or
// the folder in CORT_ORT_WEB); skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as cort from '../index.js';
import { NODE_ROOT, dataSets } from './support/backend_data.js';
import { readTensorProto } from './support/onnx_pb.js';
import { tensorDifference } from './support/compare.js';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findOrtWeb() {
  const bases = [process.env.CORT_ORT_WEB && path.join(process.env.CORT_ORT_WEB, 'package.json'),
    path.join(PACKAGE, 'package.json'), path.join(PACKAGE, '../bench/wasm/package.json')].filter(Boolean);
  for (const base of bases) {
    try {
      return createRequire(base).resolve('onnxruntime-web');
    } catch { /* try the next */ }
  }
  return null;
}

const ortPath = findOrtWeb();
const ort = ortPath ? await import(pathToFileURL(ortPath).href) : null;
if (ort) {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
}
const skip = !ort ? 'onnxruntime-web is not installed (npm install onnxruntime-web in js/, or CORT_ORT_WEB=DIR)' : false;
const skipData = skip || (fs.existsSync(NODE_ROOT) ? false : `no backend test data at ${NODE_ROOT}`);

// What a constructor call gives: the tensor's visible state, or the error it throws.
function outcome(lib, args) {
  try {
    const t = new lib.Tensor(...args);
    return { type: t.type, dims: Array.from(t.dims), size: t.size, location: t.location,
      ctor: t.data.constructor.name, data: Array.from(t.data, String) };
  } catch (e) {
    // onnxruntime-web prints a constructor as its source ("function BigInt64Array() { [native code] }")
    return { error: e.constructor.name, message: e.message.replace(/function (\w+)\(\) \{ \[native code\] \}/, '$1') };
  }
}

const CONSTRUCTIONS = [
  ['float32', new Float32Array([1, 2, 3, 4]), [2, 2]], ['float32', [1, 2.5]], ['int64', [1, 2]],
  ['int64', [1n, -2n], [2]], ['uint64', [3]], ['bool', [true, false]], ['bool', new Uint8Array([1, 0])],
  ['string', ['a', 'bc'], [1, 2]], ['uint8', new Uint8ClampedArray([1, 2])], ['float16', new Uint16Array([0x3c00])],
  ['int8', new Int8Array(0), [0, 3]], ['float64', new Float64Array(1), []],
  [new Float32Array(3)], [new BigUint64Array(2), [1, 2]], [['x', 'y']], [[false]], [new Uint8ClampedArray(1)],
  // errors
  ['float32', new Float32Array(5), [2, 3]], ['int64', new Int32Array(2)], ['complex64', new Float32Array(2)],
  ['float32', new Float32Array(2), [-1, -2]], ['float32', new Float32Array(2), [1.5]], ['string', 'ab'],
  [[1, 2]], [[]], ['float16', [1, 2]], ['int8', new Uint8ClampedArray(1)], ['float32', new Float32Array(2), 2],
];

test('Tensor: the same constructor calls give the same tensors and the same errors', { skip }, () => {
  for (const args of CONSTRUCTIONS) {
    assert.deepEqual(outcome(cort, args), outcome(ort, args), `new Tensor(${args.map(String).join(', ')})`);
  }
});

const CASES = ['test_add', 'test_conv_with_strides_padding', 'test_top_k', 'test_argmax_default_axis_example',
  'test_and2d', 'test_add_uint8', 'test_cast_FLOAT_to_FLOAT16', 'test_mod_mixed_sign_int64', 'test_nonzero_example',
  'test_unique_sorted_with_axis', 'test_strnormalizer_nostopwords_nochangecase', 'test_gather_0', 'test_where_example'];

// Both libraries on one backend test, each with its own Tensors built from the same decoded data.
async function runBoth(name) {
  const dir = path.join(NODE_ROOT, name);
  const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx')));
  const [mine, theirs] = [await cort.InferenceSession.create(bytes), await ort.InferenceSession.create(bytes)];
  try {
    assert.deepEqual(mine.inputNames, theirs.inputNames);
    assert.deepEqual(mine.outputNames, theirs.outputNames);
    assert.deepEqual(mine.inputMetadata, theirs.inputMetadata.map((m) => ({ ...m })));
    const set = dataSets(dir)[0];
    const decoded = set.inputs.map((b, i) => [mine.inputNames[i], readTensorProto(b).tensor]);
    const feeds = (lib) => Object.fromEntries(decoded.map(([n, t]) => [n, new lib.Tensor(t.type, t.data, t.dims)]));
    const [a, b] = [await mine.run(feeds(cort)), await theirs.run(feeds(ort))];
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const k of Object.keys(b)) {
      assert.equal(a[k].data.constructor.name, b[k].data.constructor.name, `${name} ${k}`);
      assert.equal(tensorDifference(a[k], b[k], { rtol: 1e-4, atol: 1e-5 }), null, `${name} ${k}`);
    }
  } finally {
    await mine.release();
    await theirs.release();
  }
}

for (const name of CASES) {
  test(`same names, input metadata and results as onnxruntime-web: ${name}`, { skip: skipData }, () => runBoth(name));
}

test('both reject bad model bytes and wrong inputs', { skip: skipData }, async () => {
  for (const lib of [cort, ort]) {
    await assert.rejects(lib.InferenceSession.create(new Uint8Array([0x08, 0x07, 0xff, 0xff])));
    const s = await lib.InferenceSession.create(path.join(NODE_ROOT, 'test_add', 'model.onnx'));
    const x = new lib.Tensor('float32', new Float32Array(60), [3, 4, 5]);
    await assert.rejects(s.run({ x }));
    await assert.rejects(s.run({ x, y: new lib.Tensor('float32', new Float32Array(20), [4, 5]) }));
    await assert.rejects(s.run({ x, y: x }, ['nope']));
    await s.release();
  }
});

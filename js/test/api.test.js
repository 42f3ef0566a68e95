// The package's API as onnxruntime-web defines it: Tensor construction, InferenceSession.create's
// overloads and options, run's feeds/fetches, release, and errors as rejected promises with cort's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { InferenceSession, Tensor, env } from '../index.js';
import { makeModel } from './support/onnx_pb.js';
import { NODE_ROOT } from './support/backend_data.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FLOAT = 1;
const INT64 = 7;
const STRING = 8;
const BOOL = 9;
const skipData = fs.existsSync(NODE_ROOT) ? false : `no backend test data at ${NODE_ROOT}`;
const ADD = path.join(NODE_ROOT, 'test_add', 'model.onnx');

// Relu over a [batch, 3] input: the first dimension is symbolic
const dynamicRelu = () => makeModel('Relu', [{ name: 'x', type: FLOAT, dims: ['batch', 3] }],
  [{ name: 'y', type: FLOAT, dims: ['batch', 3] }]);

const ramp = (n, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);

test('Tensor: type, data, dims and size as onnxruntime-web', () => {
  const t = new Tensor('float32', ramp(6), [2, 3]);
  assert.equal(t.type, 'float32');
  assert.deepEqual(t.dims, [2, 3]);
  assert.equal(t.size, 6);
  assert.equal(t.location, 'cpu');
  assert.ok(t.data instanceof Float32Array);
  assert.deepEqual(new Tensor(new Int32Array([1, 2, 3])).dims, [3]);
  assert.equal(new Tensor(new Int32Array(2)).type, 'int32');
  assert.equal(new Tensor(new BigInt64Array(2)).type, 'int64');
  assert.equal(new Tensor(new Uint8ClampedArray(2)).type, 'uint8');
  assert.equal(new Tensor(['a', 'b']).type, 'string');
  assert.equal(new Tensor([true, false]).type, 'bool');
  assert.deepEqual(new Tensor('float32', [1.5, 2]).data, Float32Array.from([1.5, 2]));
  assert.deepEqual(new Tensor('int64', [1, 2], [2]).data, BigInt64Array.from([1n, 2n]));
  assert.deepEqual(new Tensor('bool', [true, false, true]).data, Uint8Array.from([1, 0, 1]));
  assert.deepEqual(new Tensor('uint8', new Uint8ClampedArray([1, 255])).data, Uint8Array.from([1, 255]));
  assert.deepEqual(new Tensor('float16', new Uint16Array([0x3c00]), []).dims, []);
  assert.deepEqual(t.reshape([3, 2]).dims, [3, 2]);
});

test('Tensor: invalid arguments throw as in onnxruntime-web', () => {
  assert.throws(() => new Tensor('float32', ramp(5), [2, 3]), /Tensor's size\(6\) does not match data length\(5\)/);
  assert.throws(() => new Tensor('int64', new Int32Array(2), [2]), /A int64 tensor's data must be type of BigInt64Array/);
  assert.throws(() => new Tensor('complex64', new Float32Array(2), [1]), /Unsupported tensor type: complex64/);
  assert.throws(() => new Tensor('float32', ramp(2), [-1, -2]), /dims\[0\] must be a non-negative integer/);
  assert.throws(() => new Tensor('float32', ramp(2), [1.5]), /dims\[0\] must be an integer/);
  assert.throws(() => new Tensor('string', 'ab', [2]), /must be a string array/);
  assert.throws(() => new Tensor([1.5, 2]), /Invalid element type of data array: number/);
  assert.throws(() => new Tensor([]), /cannot be inferred from an empty array/);
  assert.throws(() => new Tensor('float16', [1, 2]), /float16 tensor from number array is not supported/);
  const d = new Tensor('float32', ramp(2));
  d.dispose();
  assert.throws(() => d.data, /disposed/);
});

test('create from a path, a file URL, bytes, an ArrayBuffer and a slice of one', { skip: skipData }, async () => {
  const bytes = fs.readFileSync(ADD);
  const padded = new Uint8Array(bytes.length + 10);
  padded.set(bytes, 7);
  const sessions = [
    await InferenceSession.create(ADD),
    await InferenceSession.create(pathToFileURL(ADD).href),
    await InferenceSession.create(new Uint8Array(bytes)),
    await InferenceSession.create(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
    await InferenceSession.create(padded.buffer, 7, bytes.length),
    await InferenceSession.create(padded.subarray(7, 7 + bytes.length), { graphOptimizationLevel: 'disabled' }),
  ];
  for (const s of sessions) {
    assert.deepEqual(s.inputNames, ['x', 'y']);
    assert.deepEqual(s.outputNames, ['sum']);
    const x = new Tensor('float32', ramp(60), [3, 4, 5]);
    const y = new Tensor('float32', ramp(60, 100), [3, 4, 5]);
    const { sum } = await s.run({ x, y });
    assert.deepEqual(sum.dims, [3, 4, 5]);
    for (let i = 0; i < 60; i++) assert.equal(sum.data[i], 100 + 2 * i);
    await s.release();
  }
});

test('options: every optimization level, threads and providers are accepted', { skip: skipData }, async () => {
  for (const graphOptimizationLevel of ['disabled', 'basic', 'extended', 'layout', 'all']) {
    const s = await InferenceSession.create(ADD, {
      graphOptimizationLevel, intraOpNumThreads: 1, executionProviders: ['wasm'], logSeverityLevel: 3,
    });
    await s.release();
  }
  const s = await InferenceSession.create(ADD, { executionProviders: ['webgpu', { name: 'cpu' }] });
  await s.release();
  await assert.rejects(InferenceSession.create(ADD, { graphOptimizationLevel: 'most' }),
    /unsupported graph optimization level: most/);
  await assert.rejects(InferenceSession.create(ADD, { executionProviders: ['webgl'] }), /no available backend/);
  await assert.rejects(InferenceSession.create(ADD, { intraOpNumThreads: -1 }), /intraOpNumThreads/);
});

test('metadata: names, types and shapes, symbolic dimensions by name', async () => {
  const s = await InferenceSession.create(dynamicRelu());
  assert.deepEqual(s.inputMetadata, [{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3] }]);
  assert.deepEqual(s.outputMetadata, [{ name: 'y', isTensor: true, type: 'float32', shape: ['batch', 3] }]);
  await s.release();
});

test('dynamic shapes: one session runs inputs of several batch sizes', async () => {
  const s = await InferenceSession.create(dynamicRelu());
  for (const batch of [1, 4, 2, 0]) {
    const x = new Tensor('float32', ramp(batch * 3, -5), [batch, 3]);
    const { y } = await s.run({ x });
    assert.deepEqual(y.dims, [batch, 3]);
    assert.deepEqual(Array.from(y.data), Array.from(x.data, (v) => Math.max(v, 0)));
  }
  await assert.rejects(s.run({ x: new Tensor('float32', ramp(8), [2, 4]) }), /input 'x'.*3/);
  await s.release();
});

test('strings in and out', async () => {
  const model = makeModel('Identity', [{ name: 's', type: STRING, dims: [2, 'n'] }],
    [{ name: 't', type: STRING, dims: [2, 'n'] }]);
  const s = await InferenceSession.create(model);
  const words = ['héllo', '', 'wörld ✓', 'a'.repeat(1000)];
  const { t } = await s.run({ s: new Tensor('string', words, [2, 2]) });
  assert.equal(t.type, 'string');
  assert.deepEqual(t.dims, [2, 2]);
  assert.deepEqual(t.data, words);
  await s.release();
});

test('fetches: a list of names or a map with pre-allocated outputs', { skip: skipData }, async () => {
  const dir = path.join(NODE_ROOT, 'test_top_k');
  const s = await InferenceSession.create(path.join(dir, 'model.onnx'));
  assert.deepEqual(s.outputNames, ['values', 'indices']);
  const feeds = {
    x: new Tensor('float32', ramp(12), [3, 4]),
    k: new Tensor('int64', new BigInt64Array([2n]), [1]),
  };
  const all = await s.run(feeds);
  assert.deepEqual(Object.keys(all).sort(), ['indices', 'values']);
  assert.deepEqual(Array.from(all.values.data), [3, 2, 7, 6, 11, 10]);
  assert.deepEqual(Array.from(all.indices.data), [3n, 2n, 3n, 2n, 3n, 2n]);
  const onlyIndices = await s.run(feeds, ['indices']);
  assert.deepEqual(Object.keys(onlyIndices), ['indices']);
  const preset = new Tensor('float32', new Float32Array(6), [3, 2]);
  const into = await s.run(feeds, { values: preset, indices: null });
  assert.equal(into.values, preset);
  assert.deepEqual(Array.from(preset.data), [3, 2, 7, 6, 11, 10]);
  await assert.rejects(s.run(feeds, ['nope']), /'nope' is not a valid output name/);
  await assert.rejects(s.run(feeds, { values: new Tensor('float32', new Float32Array(4), [4]) }),
    /pre-allocated tensor is float32 \[4\]/);
  await s.release();
});

test('bool and int64 inputs', async () => {
  const model = makeModel('Not', [{ name: 'a', type: BOOL, dims: [3] }], [{ name: 'b', type: BOOL, dims: [3] }]);
  const s = await InferenceSession.create(model);
  const { b } = await s.run({ a: new Tensor('bool', [true, false, true]) });
  assert.equal(b.type, 'bool');
  assert.deepEqual(Array.from(b.data), [0, 1, 0]);
  await s.release();
  const neg = makeModel('Neg', [{ name: 'a', type: INT64, dims: [2] }], [{ name: 'b', type: INT64, dims: [2] }]);
  const s2 = await InferenceSession.create(neg);
  const r = await s2.run({ a: new Tensor('int64', [2n ** 62n, -7n]) });
  assert.deepEqual(Array.from(r.b.data), [-(2n ** 62n), 7n]);
  await s2.release();
});

test('errors: bad model bytes and paths reject with cort\'s message', async () => {
  await assert.rejects(InferenceSession.create(new Uint8Array([0x08, 0x07, 0xff, 0xff])), (e) => {
    assert.match(e.message, /malformed ModelProto/);
    assert.equal(e.code, 7); // CORT_INVALID_PROTOBUF
    return true;
  });
  await assert.rejects(InferenceSession.create(new Uint8Array(0)), /the model has no graph/);
  await assert.rejects(InferenceSession.create('/nonexistent/model.onnx'), /ENOENT|no such file/);
  await assert.rejects(InferenceSession.create(42), /expects a model path or URL/);
});

test('errors: wrong input name, type, shape and missing inputs reject with cort\'s message',
  { skip: skipData }, async () => {
    const s = await InferenceSession.create(ADD);
    const x = new Tensor('float32', ramp(60), [3, 4, 5]);
    await assert.rejects(s.run({ x, z: x }), /no input named 'z'/);
    await assert.rejects(s.run({ x, y: new Tensor('int32', new Int32Array(60), [3, 4, 5]) }),
      /input 'y' has element type int32, expected float/);
    await assert.rejects(s.run({ x, y: new Tensor('float32', ramp(20), [4, 5]) }), /input 'y' has rank 2, expected 3/);
    await assert.rejects(s.run({ x, y: new Tensor('float32', ramp(60), [3, 5, 4]) }),
      /input 'y' has dimension 1 of size 5, expected 4/);
    await assert.rejects(s.run({ x }), /input 'y' is required but was not given/);
    await assert.rejects(s.run({ x, y: { foo: 1 } }), /feeds\['y'\] must be a Tensor/);
    await assert.rejects(s.run(x), /'feeds' must be an object/);
    // the session still works after failed runs
    assert.equal((await s.run({ x, y: x })).sum.data[59], 118);
    await s.release();
    await assert.rejects(s.run({ x, y: x }), /released/);
    await s.release(); // twice is harmless
  });

// env.wasm is read when the module is first loaded: each case runs in a fresh node process.
function runScript(source) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', cwd: HERE });
  return { status: r.status, output: r.stdout + r.stderr };
}

const TINY_RUN = `
  const s = await InferenceSession.create(new Uint8Array(${JSON.stringify(Array.from(dynamicRelu()))}));
  const { y } = await s.run({ x: new Tensor('float32', [-1, 0, 2], [1, 3]) });
  console.log(Array.from(y.data).join(','));`;

test('env.wasm.wasmBinary and env.wasm.wasmPaths say where cort.wasm comes from', () => {
  const index = JSON.stringify(pathToFileURL(path.join(HERE, '..', 'index.js')).href);
  const dist = pathToFileURL(path.join(HERE, '..', 'dist')).href;
  const binary = runScript(`import fs from 'node:fs'; import { InferenceSession, Tensor, env } from ${index};
    env.wasm.wasmBinary = fs.readFileSync(new URL('${dist}/cort.wasm')); ${TINY_RUN}`);
  assert.deepEqual(binary, { status: 0, output: '0,0,2\n' });
  const paths = runScript(`import { InferenceSession, Tensor, env } from ${index};
    env.wasm.wasmPaths = '${dist}/'; ${TINY_RUN}`);
  assert.deepEqual(paths, { status: 0, output: '0,0,2\n' });
  const missing = runScript(`import { InferenceSession, Tensor, env } from ${index};
    env.wasm.wasmPaths = '/nonexistent/';
    try { ${TINY_RUN} } catch (e) { console.log('rejected: ' + e.message); }`);
  assert.equal(missing.status, 0);
  assert.match(missing.output, /^rejected: .*nonexistent\/cort\.wasm/);
});

test('memory is returned: sessions, runs and failed runs leave the heap where it was', async () => {
  const model = dynamicRelu();
  const x = new Tensor('float32', ramp(3 * 400000), [400000, 3]); // 4.8 MB in, 4.8 MB out
  const cycle = async () => {
    const s = await InferenceSession.create(model);
    await s.run({ x });
    await assert.rejects(s.run({ x: new Tensor('float32', ramp(8), [2, 4]) }));
    await s.release();
  };
  for (let i = 0; i < 3; i++) await cycle();
  const { getModule } = await import('../lib/backend.js');
  const mod = await getModule();
  const settled = mod.HEAPU8.length;
  for (let i = 0; i < 40; i++) await cycle(); // a leak of either buffer would need 190 MB more
  assert.equal(mod.HEAPU8.length, settled);
});

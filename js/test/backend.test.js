// ONNX backend tests (Debian's libonnx-testdata) run through the JavaScript API: the model from its bytes,
// the inputs decoded from input_*.pb into Tensors, the results compared with output_*.pb.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '../index.js';
import { NODE_ROOT, checkDataSets } from './support/backend_data.js';

const haveData = fs.existsSync(NODE_ROOT);
const skip = haveData ? false : `no backend test data at ${NODE_ROOT} (apt-get install libonnx-testdata)`;

// Each test exercises an element type, strings, several outputs or a data-dependent output shape.
const CASES = {
  float32: ['test_add', 'test_conv_with_strides_padding', 'test_matmul_2d', 'test_softmax_axis_1'],
  float64: ['test_cast_FLOAT_to_DOUBLE', 'test_mod_mixed_sign_float64'],
  float16: ['test_cast_FLOAT_to_FLOAT16', 'test_cast_FLOAT16_to_FLOAT', 'test_mod_mixed_sign_float16'],
  int8: ['test_mod_mixed_sign_int8'],
  int16: ['test_mod_mixed_sign_int16'],
  int32: ['test_mod_mixed_sign_int32', 'test_hannwindow'],
  int64: ['test_mod_mixed_sign_int64', 'test_argmax_default_axis_example'],
  uint8: ['test_add_uint8', 'test_bitshift_right_uint8'],
  uint16: ['test_mod_uint16'],
  uint32: ['test_mod_uint32'],
  uint64: ['test_mod_uint64', 'test_bitshift_left_uint64'],
  bool: ['test_and2d', 'test_equal', 'test_not_2d'],
  string: ['test_strnormalizer_nostopwords_nochangecase', 'test_strnormalizer_export_monday_casesensintive_upper',
    'test_strnormalizer_export_monday_empty_output', 'test_cast_FLOAT_to_STRING', 'test_cast_STRING_to_FLOAT'],
  'several outputs': ['test_top_k', 'test_unique_sorted_with_axis', 'test_split_variable_parts_2d'],
  'data-dependent shapes': ['test_nonzero_example', 'test_constantofshape_int_zeros', 'test_expand_dim_changed'],
  'sequence outputs': ['test_if_seq', 'test_if_opt'],
};

for (const [what, names] of Object.entries(CASES)) {
  for (const name of names) {
    test(`${what}: ${name}`, { skip }, async () => {
      const dir = path.join(NODE_ROOT, name);
      const session = await InferenceSession.create(fs.readFileSync(path.join(dir, 'model.onnx')));
      try {
        assert.deepEqual(await checkDataSets(session, dir), []);
      } finally {
        await session.release();
      }
    });
  }
}

// Every node test whose inputs and outputs JavaScript can express runs through the package, and fails
// only where the native build does (tests/conformance/known_failures.txt).
const KNOWN_FAILURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../tests/conformance/known_failures.txt');

function knownFailures() {
  return new Set(fs.readFileSync(KNOWN_FAILURES, 'utf8').split('\n')
    .filter((l) => l.startsWith('node/')).map((l) => l.split(/\s+/)[0].slice('node/'.length)));
}

test('the whole node suite through the JavaScript API', { skip, timeout: 300000 }, async () => {
  const known = knownFailures();
  let passed = 0;
  let unsupported = 0;
  const unexpected = [];
  for (const name of fs.readdirSync(NODE_ROOT).sort()) {
    const dir = path.join(NODE_ROOT, name);
    let session;
    try {
      session = await InferenceSession.create(path.join(dir, 'model.onnx'));
    } catch (e) {
      if (!known.has(name)) unexpected.push(`${name}: create: ${e.message}`);
      continue;
    }
    try {
      // feeds are Tensors (as in onnxruntime-web): sequence and optional inputs cannot be given, nor
      // bfloat16 tensors (no JavaScript type)
      if (session.inputMetadata.some((m) => !m.isTensor || m.type === undefined)) {
        unsupported++;
        continue;
      }
      const problems = await checkDataSets(session, dir);
      if (problems.length === 0) passed++;
      else if (!known.has(name)) unexpected.push(`${name}: ${problems[0]}`);
    } catch (e) {
      if (/no JavaScript tensor type/.test(e.message)) unsupported++;
      else if (!known.has(name)) unexpected.push(`${name}: ${e.message}`);
    } finally {
      await session.release();
    }
  }
  console.log(`node suite through js: ${passed} passed, ${unsupported} not expressible in JavaScript`);
  assert.deepEqual(unexpected, []);
  assert.ok(passed > 800, `only ${passed} passed`);
});

// A real model through the package: mobilenet_v2 from the model zoo (tools/zoo/make_tests.sh exports it
// and records ONNX Runtime's outputs), compared within the zoo's tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '../index.js';
import { checkDataSets } from './support/backend_data.js';

const ZOO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/zoo/out');

for (const name of ['mobilenet_v2']) {
  const model = path.join(ZOO, 'models', `${name}.onnx`);
  const data = path.join(ZOO, 'tests', name);
  const skip = fs.existsSync(model) && fs.existsSync(data) ? false
    : `${model} or ${data} is missing (make test-zoo exports them)`;
  test(`zoo: ${name} matches ONNX Runtime's outputs`, { skip, timeout: 120000 }, async () => {
    const session = await InferenceSession.create(model);
    try {
      assert.deepEqual(await checkDataSets(session, data, { rtol: 1e-4, atol: 1e-4 }), []);
    } finally {
      await session.release();
    }
  });
}

// Loading an ONNX backend test folder (model.onnx + test_data_set_N/{input,output}_K.pb) through the package.
import fs from 'node:fs';
import path from 'node:path';
import { Tensor } from '../../index.js';
import { readTensorProto, readSequenceProto } from './onnx_pb.js';
import { tensorDifference } from './compare.js';

export const NODE_ROOT = process.env.CORT_NODE_TEST_ROOT || '/usr/share/libonnx-testdata/data/node';

const numbered = (dir, prefix) => fs.readdirSync(dir)
  .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
  .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
  .map((f) => path.join(dir, f));

/** The data sets of a backend test folder: [{dir, inputs: [pb bytes], outputs: [pb bytes]}]. */
export function dataSets(testDir) {
  return fs.readdirSync(testDir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => {
    const dir = path.join(testDir, d);
    return {
      dir,
      inputs: numbered(dir, 'input_').map((f) => fs.readFileSync(f)),
      outputs: numbered(dir, 'output_').map((f) => fs.readFileSync(f)),
    };
  });
}

/** The feeds of a data set: pb names when they name inputs, else inputs in the model's order. */
export function feedsOf(session, set) {
  const feeds = {};
  set.inputs.forEach((bytes, i) => {
    const { name, tensor } = readTensorProto(bytes);
    feeds[session.inputNames.includes(name) ? name : session.inputNames[i]] = tensor;
  });
  return feeds;
}

/** Runs every data set of `testDir` on `session`; returns a list of differences ([] when all match). */
export async function checkDataSets(session, testDir, tolerance) {
  const problems = [];
  for (const set of dataSets(testDir)) {
    const result = await session.run(feedsOf(session, set));
    set.outputs.forEach((bytes, i) => {
      const meta = session.outputMetadata[i];
      const got = result[meta.name];
      if (meta.isTensor) {
        const diff = tensorDifference(got, readTensorProto(bytes).tensor, tolerance);
        if (diff) problems.push(`${path.basename(set.dir)} ${meta.name}: ${diff}`);
      } else {
        const want = readSequenceProto(bytes).tensors;
        if (got === null && want.length === 0) return; // an empty optional
        if (got instanceof Tensor && want.length === 1) {
          const diff = tensorDifference(got, want[0], tolerance);
          if (diff) problems.push(`${path.basename(set.dir)} ${meta.name}: ${diff}`);
          return;
        }
        if (!Array.isArray(got) || got.length !== want.length) {
          problems.push(`${path.basename(set.dir)} ${meta.name}: sequence of ${got?.length}, expected ${want.length}`);
          return;
        }
        want.forEach((w, k) => {
          const diff = tensorDifference(got[k], w, tolerance);
          if (diff) problems.push(`${path.basename(set.dir)} ${meta.name}[${k}]: ${diff}`);
        });
      }
    });
  }
  return problems;
}

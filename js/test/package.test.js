// The npm layout: `npm pack` of js/ installs into a fresh project (offline, no dependencies) where
// `import ... from 'cort-web'` resolves through package.json's "exports" and runs a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeModel } from './support/onnx_pb.js';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const hasNpm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

function npm(args, cwd) {
  const r = spawnSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('npm pack, install and import by name', { skip: hasNpm ? false : 'npm is not installed', timeout: 120000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cort-js-pack-'));
  try {
    const tarball = npm(['pack', PACKAGE, '--pack-destination', tmp], tmp).trim().split('\n').pop();
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(['install', path.join(tmp, tarball)], app);
    const model = makeModel('Abs', [{ name: 'x', type: 1, dims: [3] }], [{ name: 'y', type: 1, dims: [3] }]);
    fs.writeFileSync(path.join(app, 'model.onnx'), model);
    fs.writeFileSync(path.join(app, 'main.js'), `
      import { InferenceSession, Tensor } from 'cort-web';
      const s = await InferenceSession.create('model.onnx');
      const { y } = await s.run({ x: new Tensor('float32', [-1, 2, -3]) });
      console.log(Array.from(y.data).join(','));`);
    const r = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '1,2,3\n');
    const installed = fs.readdirSync(path.join(app, 'node_modules', 'cort-web')).sort();
    assert.deepEqual(installed, ['README.md', 'dist', 'index.d.ts', 'index.js', 'lib', 'package.json']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

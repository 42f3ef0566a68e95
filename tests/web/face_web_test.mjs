#!/usr/bin/env node
// End-to-end test of examples/web/face in headless Chromium: a fake camera plays a clip made from
// skimage's astronaut.png, the page must find and draw her face where the C app (cort-face) finds
// it on the same image, name her once she is enrolled by clicking her face, and do the same on
// picked images. Saves a screenshot and the page's state into --out.
//
//   node tests/web/face_web_test.mjs --out DIR [--face-cli BUILD/cort-face] [--runtime cort|ort]
//        [--ort DIR] [--chromium /usr/bin/chromium]
//
// Models: $CORT_FACE_MODELS or ../shared/models next to the repository. Exits 0 on success, 1 on
// failure, 77 when something it needs is absent (models, images, Chromium, playwright-core).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { startServer } from '../../examples/web/serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const MODEL_FILES = ['ultraface_rfb320.onnx', 'yunet_2023mar_640.onnx', 'mobilefacenet.onnx'];
// Measured by eye on astronaut.png (x1, y1, x2, y2: hairline to chin, cheek to cheek), as
// tests/apps/face_cli_test.py: the reference when no C app is given.
const ASTRONAUT_BY_EYE = [175, 70, 272, 180];
const NAME = 'Eileen Collins';
const WAIT_MS = 240_000; // model loading and the first frames of wasm on a busy two-core machine

const KNOWN = [40, 220, 40], UNKNOWN = [240, 60, 40]; // box colours of app.js (and the C app)

function parseArgs(argv) {
  const a = { out: null, faceCli: null, runtime: 'cort', ort: null, chromium: '/usr/bin/chromium' };
  const keys = { '--out': 'out', '--face-cli': 'faceCli', '--runtime': 'runtime', '--ort': 'ort', '--chromium': 'chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    if (!keys[argv[i]] || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]} (see the header of ${path.basename(process.argv[1])})`);
    a[keys[argv[i]]] = argv[i + 1];
  }
  if (!a.out) throw new Error('--out DIR is required');
  return a;
}

function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(77);
}

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
  return ok;
}

function iou(a, b) {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

function findModels() {
  const dir = process.env.CORT_FACE_MODELS || path.join(REPO, '..', 'shared', 'models');
  if (!MODEL_FILES.every((f) => fs.existsSync(path.join(dir, f))))
    skip(`the face models (${MODEL_FILES.join(', ')}) are not in ${dir} (set CORT_FACE_MODELS)`);
  return dir;
}

function loadPlaywright() {
  try {
    return createRequire(path.join(HERE, 'package.json'))('playwright-core');
  } catch {
    skip('playwright-core is not installed (make test-web installs it into tests/web/node_modules)');
  }
}

// The C app's faces on an image: the reference the page must reproduce.
function referenceFaces(faceCli, models, image, detector) {
  const out = execFileSync(faceCli, ['detect', image, '--json', '--detector', detector, '--models', models], { encoding: 'utf8' });
  return JSON.parse(out).faces;
}

function makeClip(outDir) {
  const y4m = path.join(outDir, 'astronaut.y4m');
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'; // Debian's, which has PIL
  execFileSync(py, [path.join(HERE, 'make_y4m.py'), path.join(SKIMAGE, 'astronaut.png'), y4m, '3']);
  return y4m;
}

const demoState = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.faceDemo)));

async function waitFor(page, what, fn, arg) {
  const t0 = Date.now();
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 250 });
  } catch (e) {
    const s = await demoState(page).catch(() => null);
    throw new Error(`timed out waiting for ${what}; page state: ${JSON.stringify(s)}`);
  }
  return Date.now() - t0;
}

// The colour of a canvas pixel (in canvas pixels), read in the page.
const pixel = (page, sel, x, y) => page.evaluate(([sel, x, y]) =>
  Array.from(document.querySelector(sel).getContext('2d').getImageData(x, y, 1, 1).data), [sel, x, y]);

const near = (px, rgb) => px[3] === 255 && rgb.every((c, i) => Math.abs(px[i] - c) <= 8);

// A box drawn along the face's left and right edges, halfway down, in the expected colour.
async function checkDrawn(page, sel, box, colour, what) {
  const y = Math.round((box[1] + box[3]) / 2);
  const left = await pixel(page, sel, Math.floor(box[0]) + 1, y), right = await pixel(page, sel, Math.ceil(box[2]) - 2, y);
  check(near(left, colour) && near(right, colour), `${what}: box edges drawn in rgb(${colour}) (left ${left}, right ${right})`);
}

function checkBox(faces, ref, minIou, what) {
  if (!check(faces.length === 1, `${what}: one face (got ${JSON.stringify(faces)})`)) return;
  const v = iou(faces[0].box, ref);
  check(v >= minIou, `${what}: box ${JSON.stringify(faces[0].box)} vs reference ${JSON.stringify(ref.map((x) => Math.round(x * 10) / 10))}: IoU ${v.toFixed(3)} >= ${minIou}`);
}

// Milliseconds per call of each stage, from the page's totals.
function perCall(t) {
  const per = (ms, n) => (n ? (ms / n).toFixed(1) : '-');
  return `pre ${per(t.pre, t.detections)} + detect ${per(t.detect, t.detections)} ms a frame (${t.detections} frames), ` +
    `align ${per(t.align, t.embeddings)} + embed ${per(t.embed, t.embeddings)} ms a face (${t.embeddings} faces)`;
}

// Page coordinates of an image point on a canvas that CSS may have scaled.
async function pagePoint(page, sel, x, y) {
  const r = await page.evaluate((sel) => {
    const c = document.querySelector(sel), b = c.getBoundingClientRect();
    return { left: b.left, top: b.top, sx: b.width / c.width, sy: b.height / c.height };
  }, sel);
  return { x: r.left + x * r.sx, y: r.top + y * r.sy };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const models = findModels();
  const astronaut = path.join(SKIMAGE, 'astronaut.png'), cameraman = path.join(SKIMAGE, 'camera.png');
  if (!fs.existsSync(astronaut) || !fs.existsSync(cameraman)) skip(`skimage's images are not in ${SKIMAGE} (apt-get install python3-skimage)`);
  if (!fs.existsSync(a.chromium)) skip(`no Chromium at ${a.chromium} (apt-get install chromium)`);
  if (a.runtime === 'cort' && !fs.existsSync(path.join(REPO, 'js', 'dist', 'cort.wasm')))
    throw new Error('js/dist/cort.wasm is missing: build the JS package first (make test-js)');
  const { chromium } = loadPlaywright();
  fs.mkdirSync(a.out, { recursive: true });

  // The reference boxes: the C app on the same images, or the by-eye box with a looser bound.
  const ref = {};
  for (const det of ['yunet', 'ultraface']) {
    if (a.faceCli) {
      const faces = referenceFaces(a.faceCli, models, astronaut, det);
      if (faces.length !== 1) throw new Error(`${a.faceCli} finds ${faces.length} faces on astronaut.png with ${det}`);
      ref[det] = { box: faces[0].box, same: 0.95, camera: 0.75, source: 'cort-face' };
    } else {
      ref[det] = { box: ASTRONAUT_BY_EYE, same: 0.6, camera: 0.6, source: 'by eye' };
    }
    console.log(`reference (${ref[det].source}, ${det}): ${JSON.stringify(ref[det].box)}`);
  }

  const clip = makeClip(a.out);
  const mounts = { '/': REPO, '/models/': models };
  if (a.ort) mounts['/ort/'] = path.resolve(a.ort);
  const { server, url } = await startServer({ mounts });
  const args = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`,
    '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox'); // Chromium refuses root otherwise
  const browser = await chromium.launch({ executablePath: a.chromium, headless: true, args });
  const t0 = Date.now();
  try {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    await context.grantPermissions(['camera'], { origin: url });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log(`[page console] ${m.text()}`); });
    page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
    await page.goto(`${url}/examples/web/face/index.html?runtime=${a.runtime}`);

    let ms = await waitFor(page, 'the models to load', () => window.faceDemo && (window.faceDemo.ready || window.faceDemo.errors.length));
    check((await demoState(page)).errors.length === 0, `page ready in ${ms} ms without errors`);

    // The camera: her face found and drawn where the C app finds it.
    await page.click('#camera-start');
    ms = await waitFor(page, 'two camera frames', () => window.faceDemo.camera.frames >= 2 || window.faceDemo.errors.length);
    let s = await demoState(page);
    console.log(`camera: ${s.camera.width}x${s.camera.height}, ${s.camera.frames} frames in ${ms} ms, ${s.camera.msPerFrame} ms a frame`);
    check(s.camera.width === 512 && s.camera.height === 512, `camera plays the clip at 512x512 (${s.camera.width}x${s.camera.height})`);
    checkBox(s.camera.faces, ref.yunet.box, ref.yunet.camera, 'camera, YuNet');
    if (s.camera.faces.length) await checkDrawn(page, '#overlay', s.camera.faces[0].box, UNKNOWN, 'camera overlay, unknown face');

    // Enrolment: click her face, type a name; later frames name her.
    if (s.camera.faces.length) {
      const b = s.camera.faces[0].box, p = await pagePoint(page, '#overlay', (b[0] + b[2]) / 2, (b[1] + b[3]) / 2);
      await page.mouse.click(p.x, p.y);
      await page.fill('#enrol-name', NAME);
      await page.click('#enrol-button');
      await waitFor(page, 'the enrolment', () => window.faceDemo.gallery.length >= 1 || window.faceDemo.errors.length);
      // The frame in flight may have started before the gallery changed; the one after it has not.
      const after = (await demoState(page)).camera.frames + 2;
      await waitFor(page, 'a camera frame after the enrolment', (n) => window.faceDemo.camera.frames >= n || window.faceDemo.errors.length, after);
      s = await demoState(page);
      const f = s.camera.faces[0];
      check(s.gallery.length === 1 && s.gallery[0] === NAME, `gallery holds ${JSON.stringify(s.gallery)}`);
      check(f && f.name === NAME && f.sim >= 0.4, `camera face named after enrolment: ${JSON.stringify(f)}`);
      if (f) await checkDrawn(page, '#overlay', f.box, KNOWN, 'camera overlay, known face');
    }
    console.log(`camera stages, ${a.runtime}: ${perCall(s.timing)}`);
    await page.screenshot({ path: path.join(a.out, 'face_web_camera.png'), fullPage: true });
    await page.click('#camera-stop');

    // A picked image: the same pixels as the C app's, so the same box; the enrolled name carries over.
    await page.setInputFiles('#file', astronaut);
    await waitFor(page, 'the picked astronaut.png', () => window.faceDemo.image.analysed >= 1 || window.faceDemo.errors.length);
    s = await demoState(page);
    checkBox(s.image.faces, ref.yunet.box, ref.yunet.same, 'picked astronaut.png, YuNet');
    if (s.image.faces.length) {
      check(s.image.faces[0].name === NAME, `picked astronaut.png named ${JSON.stringify(s.image.faces[0].name)} (similarity ${s.image.faces[0].sim})`);
      await checkDrawn(page, '#picked', s.image.faces[0].box, KNOWN, 'picked image');
    }
    await page.screenshot({ path: path.join(a.out, 'face_web_image.png'), fullPage: true });
    fs.writeFileSync(path.join(a.out, 'face_web_astronaut.json'), JSON.stringify(s, null, 2));

    // UltraFace on the same picked image (the page re-runs it when the detector changes).
    await page.selectOption('#detector', 'ultraface');
    await waitFor(page, 'UltraFace on the picked image', () => window.faceDemo.image.analysed >= 2 || window.faceDemo.errors.length);
    s = await demoState(page);
    checkBox(s.image.faces, ref.ultraface.box, ref.ultraface.same, 'picked astronaut.png, UltraFace');

    // Another person is found but not named after her.
    await page.selectOption('#detector', 'yunet');
    await waitFor(page, 'YuNet again', () => window.faceDemo.image.analysed >= 3 || window.faceDemo.errors.length);
    await page.setInputFiles('#file', cameraman);
    await waitFor(page, 'the picked camera.png', () => window.faceDemo.image.name === 'camera.png' || window.faceDemo.errors.length);
    s = await demoState(page);
    if (a.faceCli) {
      const cref = referenceFaces(a.faceCli, models, cameraman, 'yunet');
      if (check(s.image.faces.length === cref.length, `picked camera.png: ${s.image.faces.length} faces, cort-face finds ${cref.length}`) && cref.length)
        check(iou(s.image.faces[0].box, cref[0].box) >= 0.95, `picked camera.png: box ${JSON.stringify(s.image.faces[0].box)} vs cort-face ${JSON.stringify(cref[0].box)}`);
    }
    check(s.image.faces.every((f) => f.name === null), `nobody on camera.png is named ${NAME}: ${JSON.stringify(s.image.faces)}`);
    await page.screenshot({ path: path.join(a.out, 'face_web_cameraman.png'), fullPage: true });

    s = await demoState(page);
    check(s.errors.length === 0, `no page errors ${JSON.stringify(s.errors)}`);
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`screenshots: ${['camera', 'image', 'cameraman'].map((n) => path.join(a.out, `face_web_${n}.png`)).join(', ')}`);
  console.log(`${failures ? 'FAILED' : 'PASSED'}: ${failures} failed checks, browser part ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAILED: ${e.stack || e}`);
  process.exit(1);
});

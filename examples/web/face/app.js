// The page: camera and picked-image sources, drawing, the gallery, and window.faceDemo (the state a
// test or the console can read). The face pipeline itself is pipeline.js.
import { FaceEngine, rgbFromRgba } from './pipeline.js';
import { loadRuntime } from './runtime.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const GALLERY_KEY = 'cort-face-gallery-v1';
const KNOWN = 'rgb(40, 220, 40)', UNKNOWN = 'rgb(240, 60, 40)';

/** What the page is doing, for tests and the console. Boxes are in source-image pixels. */
const demo = {
  runtime: params.get('runtime') || 'cort',
  models: params.get('models') || '/models/',
  detector: params.get('detector') || 'yunet',
  ready: false,
  status: 'loading',
  errors: [],
  camera: { running: false, frames: 0, width: 0, height: 0, faces: [], msPerFrame: null },
  image: { name: null, width: 0, height: 0, faces: [], analysed: 0 },
  gallery: [],
  timing: null,
};
window.faceDemo = demo;

let rt = null, engine = null, gallery = loadGallery(), selected = null;
let stream = null, lastCamera = null, lastImage = null;

// One model run at a time: the camera loop and a picked image share the sessions.
let queue = Promise.resolve();
function exclusive(fn) {
  const next = queue.then(fn, fn);
  queue = next.catch(() => {});
  return next;
}

function report(err) {
  const msg = err && err.message ? err.message : String(err);
  demo.errors.push(msg);
  console.error(err);
  setStatus('error: ' + msg);
}

function setStatus(text) {
  demo.status = text;
  $('status').textContent = text;
}

const round1 = (v) => Math.round(v * 10) / 10;
const exported = (faces) => faces.map((f) => ({
  box: f.box.map(round1), score: round1(f.score * 1000) / 1000, name: f.name,
  sim: f.sim === undefined ? null : Math.round(f.sim * 1000) / 1000,
}));

// ------------------------------------------------------------------------------------ gallery

function loadGallery() {
  try {
    const saved = JSON.parse(localStorage.getItem(GALLERY_KEY) || '[]');
    return saved.map((g) => ({ name: g.name, emb: Float32Array.from(g.emb) }));
  } catch {
    return [];
  }
}

function saveGallery() {
  try {
    localStorage.setItem(GALLERY_KEY, JSON.stringify(gallery.map((g) => ({ name: g.name, emb: Array.from(g.emb) }))));
  } catch { /* storage may be off (private mode): the gallery then lives as long as the page */ }
  demo.gallery = gallery.map((g) => g.name);
  const list = $('gallery');
  list.replaceChildren(...gallery.map((g, i) => {
    const li = document.createElement('li'), del = document.createElement('button');
    li.textContent = g.name + ' ';
    del.textContent = 'remove';
    del.onclick = () => {
      gallery.splice(i, 1);
      saveGallery();
      reanalyseImage();
    };
    li.append(del);
    return li;
  }));
}

async function enrol(name) {
  if (!selected || !name) return;
  const { im, face } = selected;
  const emb = face.emb || (await exclusive(() => engine.embed(im, face)));
  gallery.push({ name, emb });
  saveGallery();
  selected = null;
  $('enrol').hidden = true;
  setStatus(`enrolled ${name} (${gallery.length} in the gallery)`);
  reanalyseImage();
}

// A click on a face (on the camera overlay or the picked image) selects it for enrolment.
function onCanvasClick(ev, source) {
  const canvas = ev.currentTarget, r = canvas.getBoundingClientRect();
  const x = ((ev.clientX - r.left) * canvas.width) / r.width, y = ((ev.clientY - r.top) * canvas.height) / r.height;
  const frame = source === 'camera' ? lastCamera : lastImage;
  const face = frame && frame.faces.find((f) => x >= f.box[0] && x <= f.box[2] && y >= f.box[1] && y <= f.box[3]);
  if (!face) return;
  selected = { im: frame.im, face };
  $('enrol').hidden = false;
  $('enrol-name').value = face.name || '';
  $('enrol-name').focus();
  setStatus(`selected a face on the ${source}: type a name and press Enrol`);
}

// ------------------------------------------------------------------------------------ drawing

function drawFaces(ctx, faces, w) {
  const lw = Math.max(2, Math.round(w / 200)), font = Math.max(12, Math.round(w / 40));
  ctx.lineWidth = lw;
  ctx.font = `${font}px sans-serif`;
  ctx.textBaseline = 'top';
  for (const f of faces) {
    const [x1, y1, x2, y2] = f.box, colour = f.name ? KNOWN : UNKNOWN;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1 + lw / 2, y1 + lw / 2, x2 - x1 - lw, y2 - y1 - lw); // inside the box, as the C app draws
    const label = f.name ? `${f.name} ${f.sim.toFixed(2)}` : f.score.toFixed(2);
    const tw = ctx.measureText(label).width + 6, ty = y1 - font - 4 >= 0 ? y1 - font - 4 : y2;
    ctx.fillStyle = colour;
    ctx.fillRect(x1, ty, tw, font + 4);
    ctx.fillStyle = 'black';
    ctx.fillText(label, x1 + 3, ty + 2);
  }
}

// --------------------------------------------------------------------------------- the camera

function nextVideoFrame(video) {
  return new Promise((resolve) => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
}

function grab(source, w, h) {
  const c = grab.canvas || (grab.canvas = document.createElement('canvas'));
  if (c.width !== w || c.height !== h) c.width = w, c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  return rgbFromRgba(ctx.getImageData(0, 0, w, h));
}

async function cameraLoop(video, overlay) {
  const ctx = overlay.getContext('2d');
  let recent = [];
  while (stream) {
    await nextVideoFrame(video);
    const w = video.videoWidth, h = video.videoHeight;
    if (!stream || video.readyState < 2 || !w || !h) continue;
    if (overlay.width !== w || overlay.height !== h) overlay.width = w, overlay.height = h;
    const t0 = performance.now(), im = grab(video, w, h);
    let faces;
    try {
      faces = await exclusive(() => engine.analyse(im, gallery));
    } catch (e) {
      report(e);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (!stream) break; // stopped while the models ran: leave the overlay cleared
    lastCamera = { im, faces };
    ctx.clearRect(0, 0, w, h);
    drawFaces(ctx, faces, w);
    recent = [...recent.slice(-9), performance.now() - t0];
    Object.assign(demo.camera, {
      frames: demo.camera.frames + 1, width: w, height: h, faces: exported(faces),
      msPerFrame: Math.round(recent.reduce((a, b) => a + b, 0) / recent.length),
    });
    demo.timing = { ...engine.timing };
    setStatus(`camera ${w}x${h}: ${faces.length} face${faces.length === 1 ? '' : 's'}, ` +
      `${demo.camera.msPerFrame} ms a frame (${demo.runtime}, ${engine.detector})`);
  }
}

async function startCamera() {
  if (stream) return;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (e) {
    report(new Error(`no camera: ${e.message}`));
    return;
  }
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  demo.camera.running = true;
  $('camera-start').hidden = true;
  $('camera-stop').hidden = false;
  cameraLoop(video, $('overlay')).catch(report);
}

function stopCamera() {
  if (!stream) return;
  for (const t of stream.getTracks()) t.stop();
  stream = null;
  demo.camera.running = false;
  $('video').srcObject = null;
  lastCamera = null;
  const overlay = $('overlay');
  overlay.getContext('2d').clearRect(0, 0, overlay.width, overlay.height);
  $('camera-start').hidden = false;
  $('camera-stop').hidden = true;
}

// ----------------------------------------------------------------------------- a picked image

async function analyseImage(bitmap, name) {
  const canvas = $('picked'), w = bitmap.width, h = bitmap.height;
  canvas.width = w, canvas.height = h;
  const im = grab(bitmap, w, h);
  const faces = await exclusive(() => engine.analyse(im, gallery));
  lastImage = { im, faces, bitmap };
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  drawFaces(ctx, faces, w);
  Object.assign(demo.image, { name, width: w, height: h, faces: exported(faces), analysed: demo.image.analysed + 1 });
  demo.timing = { ...engine.timing };
  setStatus(`${name}: ${w}x${h}, ${faces.length} face${faces.length === 1 ? '' : 's'}`);
}

function reanalyseImage() {
  if (lastImage) analyseImage(lastImage.bitmap, demo.image.name).catch(report);
}

async function onFilePicked(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  try {
    // Raw pixels, as the C app reads them: no colour-profile conversion.
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    await analyseImage(bitmap, file.name);
  } catch (e) {
    report(e);
  }
}

// ----------------------------------------------------------------------------------- start-up

async function useDetector(name) {
  setStatus(`loading ${name} and MobileFaceNet on ${demo.runtime}…`);
  const next = await FaceEngine.create(rt, demo.models, name);
  await exclusive(() => { engine = next; });
  demo.detector = name;
  setStatus(`ready (${demo.runtime}, ${name})`);
  reanalyseImage();
}

async function main() {
  $('detector').value = demo.detector;
  $('camera-start').onclick = startCamera;
  $('camera-stop').onclick = stopCamera;
  $('file').onchange = onFilePicked;
  $('overlay').onclick = (ev) => onCanvasClick(ev, 'camera');
  $('picked').onclick = (ev) => onCanvasClick(ev, 'image');
  $('enrol').onsubmit = (ev) => {
    ev.preventDefault();
    enrol($('enrol-name').value.trim()).catch(report);
  };
  $('detector').onchange = (ev) => useDetector(ev.target.value).catch(report);
  saveGallery();
  rt = await loadRuntime(demo.runtime);
  await useDetector(demo.detector);
  demo.ready = true;
  if (params.has('camera')) startCamera();
}

main().catch(report);

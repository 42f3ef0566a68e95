// The face pipeline of apps/face (cort-face) over the onnxruntime-web-style JS API: the same
// pre-processing, decoding, NMS, alignment, embedding and matching, step for step, so the page finds
// the boxes the C app finds on the same pixels. Nothing here touches the DOM: images are
// { width, height, rgb } with rgb a Uint8Array of width * height * 3 bytes.

export const MODEL_FILES = {
  ultraface: 'ultraface_rfb320.onnx',
  yunet: 'yunet_2023mar_640.onnx',
  embed: 'mobilefacenet.onnx',
};

export const DEFAULTS = {
  scoreThresh: 0.7, // UltraFace's upstream default; YuNet's below OpenCV's 0.9, as the C app
  nmsIou: 0.3,
  matchThresh: 0.4, // cosine of MobileFaceNet embeddings needed to name a face
};

// Errors only: onnxruntime-web warns about every initializer that these graphs list among their inputs.
const SESSION_OPTIONS = { logSeverityLevel: 3 };

const UF_W = 320, UF_H = 240, UF_PRIORS = 4420, YN_SIDE = 640, ALIGNED = 112, EMBED_DIM = 128;

// insightface's ArcFace crop template (eyes, nose, mouth corners; image-left first).
const ARCFACE_TEMPLATE = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041];
// Where YuNet's landmarks fall inside UltraFace's box of a frontal face (apps/face/face_align.c).
const BOX_LANDMARKS = [0.255, 0.37, 0.745, 0.37, 0.5, 0.575, 0.28, 0.74, 0.72, 0.74];

/** An RGB image from RGBA pixels (ImageData or anything with width, height and data). */
export function rgbFromRgba({ width, height, data }) {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { width, height, rgb };
}

const toU8 = (v) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5));

// Source indices and weights of a bilinear resize along one axis, pixel centres aligned as OpenCV.
function linearTaps(srcN, dstN) {
  const idx = new Int32Array(2 * dstN), wgt = new Float32Array(2 * dstN), ratio = srcN / dstN;
  for (let d = 0; d < dstN; d++) {
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0; // OpenCV clamps bilinear positions at the edge
    const fl = Math.floor(s), f = s - fl;
    idx[2 * d] = Math.min(Math.max(fl, 0), srcN - 1);
    idx[2 * d + 1] = Math.min(Math.max(fl + 1, 0), srcN - 1);
    wgt[2 * d] = 1 - f;
    wgt[2 * d + 1] = f;
  }
  return { idx, wgt };
}

/** Bilinear resize as apps/common img_resize (IMG_LINEAR). */
export function resize(im, w, h) {
  const tx = linearTaps(im.width, w), ty = linearTaps(im.height, h), out = new Uint8Array(w * h * 3);
  const sw = im.width, src = im.rgb;
  for (let y = 0; y < h; y++) {
    const r0 = ty.idx[2 * y] * sw, r1 = ty.idx[2 * y + 1] * sw, wy0 = ty.wgt[2 * y], wy1 = ty.wgt[2 * y + 1];
    for (let x = 0; x < w; x++) {
      const x0 = tx.idx[2 * x], x1 = tx.idx[2 * x + 1], wx0 = tx.wgt[2 * x], wx1 = tx.wgt[2 * x + 1];
      const a = 3 * (r0 + x0), b = 3 * (r0 + x1), c = 3 * (r1 + x0), d = 3 * (r1 + x1);
      const o = 3 * (y * w + x);
      for (let k = 0; k < 3; k++)
        out[o + k] = toU8(Math.fround(wy0 * wx0) * src[a + k] + Math.fround(wy0 * wx1) * src[b + k] +
          Math.fround(wy1 * wx0) * src[c + k] + Math.fround(wy1 * wx1) * src[d + k]);
    }
  }
  return { width: w, height: h, rgb: out };
}

/** Float CHW planes of outW x outH, the image at the top left and 0 elsewhere: (v - mean) * scale. */
export function toChw(im, mean, scale, bgr, outW, outH) {
  const plane = outW * outH, out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const srcC = bgr ? 2 - c : c;
    for (let y = 0; y < im.height; y++) {
      const row = y * im.width * 3, drow = c * plane + y * outW;
      for (let x = 0; x < im.width; x++) out[drow + x] = (im.rgb[row + 3 * x + srcC] - mean) * scale;
    }
  }
  return out;
}

// The image scaled by s (clamped to the model's input) for a top-left placement in it.
function resizeToFit(im, s, maxW, maxH) {
  const w = Math.min(Math.max(Math.round(im.width * s), 1), maxW);
  const h = Math.min(Math.max(Math.round(im.height * s), 1), maxH);
  return resize(im, w, h);
}

/** Intersection over union of two [x1, y1, x2, y2] boxes. */
export function iou(a, b) {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih, uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

/** Best score first; drops a face that a better one overlaps by more than `thresh` IoU. */
export function nms(faces, thresh) {
  const sorted = [...faces].sort((a, b) => b.score - a.score), kept = [];
  for (const f of sorted) if (!kept.some((k) => iou(k.box, f.box) > thresh)) kept.push(f);
  return kept;
}

function clipFaces(faces, w, h) {
  for (const f of faces) {
    const b = f.box;
    b[0] = Math.max(b[0], 0), b[1] = Math.max(b[1], 0), b[2] = Math.min(b[2], w), b[3] = Math.min(b[3], h);
  }
  return faces.filter((f) => f.box[2] > f.box[0] && f.box[3] > f.box[1]);
}

/** Landmarks placed from the box with the average layout of a frontal face (UltraFace has none). */
export function boxLandmarks(box) {
  const w = box[2] - box[0], h = box[3] - box[1], lm = new Array(10);
  for (let j = 0; j < 5; j++) {
    lm[2 * j] = box[0] + BOX_LANDMARKS[2 * j] * w;
    lm[2 * j + 1] = box[1] + BOX_LANDMARKS[2 * j + 1] * h;
  }
  return lm;
}

function floatOutput(outputs, name, count) {
  const t = outputs[name];
  if (!t || !(t.data instanceof Float32Array) || t.data.length < count)
    throw new Error(`model output ${name} is not a float tensor of at least ${count} elements`);
  return t.data;
}

// --------------------------------------------------------------------------------- UltraFace

function ultrafaceDecode(outputs, thresh, sx, sy) {
  const scores = floatOutput(outputs, 'scores', 2 * UF_PRIORS), boxes = floatOutput(outputs, 'boxes', 4 * UF_PRIORS);
  const faces = [];
  for (let i = 0; i < UF_PRIORS; i++) {
    const score = scores[2 * i + 1];
    if (!(score > thresh)) continue;
    const b = boxes.subarray(4 * i, 4 * i + 4);
    faces.push({ box: [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy], score });
  }
  return faces;
}

// ----------------------------------------------------------------------------------- YuNet

const clamp01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);

// FaceDetectorYN's decoding: score = sqrt(cls * obj), centres are offsets from the cell's corner in
// strides, sizes exp() strides, landmarks offsets from the corner.
function yunetDecode(outputs, thresh, k) {
  const faces = [];
  for (const stride of [8, 16, 32]) {
    const n = YN_SIDE / stride, cells = n * n;
    const cls = floatOutput(outputs, `cls_${stride}`, cells), obj = floatOutput(outputs, `obj_${stride}`, cells);
    const bbox = floatOutput(outputs, `bbox_${stride}`, 4 * cells), kps = floatOutput(outputs, `kps_${stride}`, 10 * cells);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) {
        const i = r * n + c, score = Math.sqrt(clamp01(cls[i]) * clamp01(obj[i]));
        if (!(score > thresh)) continue;
        const cx = (c + bbox[4 * i]) * stride, cy = (r + bbox[4 * i + 1]) * stride;
        const bw = Math.exp(bbox[4 * i + 2]) * stride, bh = Math.exp(bbox[4 * i + 3]) * stride;
        const lm = [];
        for (let j = 0; j < 5; j++)
          lm.push((c + kps[10 * i + 2 * j]) * stride * k, (r + kps[10 * i + 2 * j + 1]) * stride * k);
        faces.push({ box: [(cx - bw / 2) * k, (cy - bh / 2) * k, (cx + bw / 2) * k, (cy + bh / 2) * k], score, lm });
      }
  }
  return faces;
}

// ------------------------------------------------------------------------------- alignment

/** Least-squares similarity (rotation, uniform scale, shift) taking src points onto dst: [a, -b, tx, b, a, ty]. */
export function similarityFromPoints(src, dst) {
  const n = src.length / 2;
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) sx += src[2 * i], sy += src[2 * i + 1], dx += dst[2 * i], dy += dst[2 * i + 1];
  sx /= n, sy /= n, dx /= n, dy /= n;
  let numA = 0, numB = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const px = src[2 * i] - sx, py = src[2 * i + 1] - sy, qx = dst[2 * i] - dx, qy = dst[2 * i + 1] - dy;
    numA += px * qx + py * qy;
    numB += px * qy - py * qx;
    den += px * px + py * py;
  }
  if (den < 1e-12) return null;
  const a = numA / den, b = numB / den;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/** Affine warp (m maps source to destination), bilinear, black outside the source, as cv2.warpAffine. */
export function warpAffine(im, m, w, h) {
  const det = m[0] * m[4] - m[1] * m[3];
  if (Math.abs(det) < 1e-12) return null;
  const i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
  const i2 = -(i0 * m[2] + i1 * m[5]), i5 = -(i3 * m[2] + i4 * m[5]);
  const out = new Uint8Array(w * h * 3), W = im.width, H = im.height, src = im.rgb;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sx = i0 * x + i1 * y + i2, sy = i3 * x + i4 * y + i5, o = 3 * (y * w + x);
      if (sx <= -2 || sy <= -2 || sx >= W + 1 || sy >= H + 1) continue;
      const fx = Math.floor(sx), fy = Math.floor(sy), ax = sx - fx, ay = sy - fy;
      const acc = [0, 0, 0];
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < 2; i++) {
          const px = fx + i, py = fy + j;
          if (px < 0 || py < 0 || px >= W || py >= H) continue;
          const wgt = (i ? ax : 1 - ax) * (j ? ay : 1 - ay), p = 3 * (py * W + px);
          for (let c = 0; c < 3; c++) acc[c] += wgt * src[p + c];
        }
      for (let c = 0; c < 3; c++) out[o + c] = toU8(acc[c]);
    }
  return { width: w, height: h, rgb: out };
}

/** The face warped onto the 112x112 ArcFace template by its 5 landmarks. */
export function alignFace(im, face) {
  const m = similarityFromPoints(face.lm, ARCFACE_TEMPLATE);
  return m && warpAffine(im, m, ALIGNED, ALIGNED);
}

// ------------------------------------------------------------------------------------ gallery

export function cosine(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The most similar gallery entry ({ name, emb }) and its cosine; index -1 when the gallery is empty. */
export function bestMatch(gallery, emb) {
  let index = -1, sim = -Infinity;
  gallery.forEach((g, i) => {
    const s = cosine(g.emb, emb);
    if (s > sim) index = i, sim = s;
  });
  return { index, sim };
}

// ------------------------------------------------------------------------------------- engine

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (the face models are served from the models folder)`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Detector and embedder sessions on a runtime with onnxruntime-web's API (InferenceSession, Tensor). */
export class FaceEngine {
  static async create(rt, modelsUrl, detector = 'yunet', opts = {}, sessionOptions = SESSION_OPTIONS) {
    if (!MODEL_FILES[detector] || detector === 'embed') throw new Error(`unknown detector ${detector}`);
    const base = modelsUrl.endsWith('/') ? modelsUrl : modelsUrl + '/';
    const open = (file) => fetchBytes(base + file).then((b) => rt.InferenceSession.create(b, sessionOptions));
    const [det, emb] = await Promise.all([open(MODEL_FILES[detector]), open(MODEL_FILES.embed)]);
    return new FaceEngine(rt, detector, det, emb, { ...DEFAULTS, ...opts });
  }

  constructor(rt, detector, det, emb, opts) {
    Object.assign(this, { rt, detector, det, emb, opts });
    this.timing = { pre: 0, detect: 0, align: 0, embed: 0, detections: 0, embeddings: 0 }; // ms totals, call counts
  }

  async runModel(session, data, h, w) {
    const feeds = { [session.inputNames[0]]: new this.rt.Tensor('float32', data, [1, 3, h, w]) };
    return session.run(feeds);
  }

  /** Faces in image pixels, best first: { box: [x1, y1, x2, y2], score, lm: [10 numbers] }. */
  async detect(im) {
    if (!im || im.width < 1 || im.height < 1) throw new Error('empty image');
    const t0 = performance.now();
    const yunet = this.detector === 'yunet', W = yunet ? YN_SIDE : UF_W, H = yunet ? YN_SIDE : UF_H;
    const s = Math.min(W / im.width, H / im.height), small = resizeToFit(im, s, W, H);
    const input = yunet ? toChw(small, 0, 1, true, W, H) : toChw(small, 127, 1 / 128, false, W, H);
    const t1 = performance.now();
    const out = await this.runModel(this.det, input, H, W);
    let faces = yunet ? yunetDecode(out, this.opts.scoreThresh, 1 / s)
      : ultrafaceDecode(out, this.opts.scoreThresh, W / s, H / s);
    faces = clipFaces(nms(faces, this.opts.nmsIou), im.width, im.height);
    for (const f of faces) if (!f.lm) f.lm = boxLandmarks(f.box), f.lmFromBox = true;
    this.timing.pre += t1 - t0;
    this.timing.detect += performance.now() - t1;
    this.timing.detections++;
    return faces;
  }

  /** The L2-normalised 128-d MobileFaceNet embedding of a detected face. */
  async embed(im, face) {
    const t0 = performance.now();
    const aligned = alignFace(im, face);
    if (!aligned) throw new Error('the face landmarks are degenerate');
    const t1 = performance.now();
    const out = await this.runModel(this.emb, toChw(aligned, 127.5, 1 / 128, false, ALIGNED, ALIGNED), ALIGNED, ALIGNED);
    const o = floatOutput(out, this.emb.outputNames[0], EMBED_DIM);
    let ss = 0;
    for (let i = 0; i < EMBED_DIM; i++) ss += o[i] * o[i];
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0, emb = new Float32Array(EMBED_DIM);
    for (let i = 0; i < EMBED_DIM; i++) emb[i] = o[i] * inv;
    this.timing.align += t1 - t0;
    this.timing.embed += performance.now() - t1;
    this.timing.embeddings++;
    return emb;
  }

  /** Detects, and when the gallery has entries embeds and names every face (name null if unknown). */
  async analyse(im, gallery) {
    const faces = await this.detect(im);
    for (const f of faces) {
      f.name = null;
      if (!gallery.length) continue;
      f.emb = await this.embed(im, f);
      const { index, sim } = bestMatch(gallery, f.emb);
      f.sim = sim;
      if (index >= 0 && sim >= this.opts.matchThresh) f.name = gallery[index].name;
    }
    return faces;
  }
}

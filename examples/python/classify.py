"""Classifies an image with cort's Python package (ONNX Runtime's API) and prints the top-5 and timings.

    python classify.py MODEL.onnx IMAGE [--labels LABELS.txt] [--runs N] [--ort]

IMAGE: a .npy (float32 shaped like the model's input, or uint8 HxWxC pixels) or an 8-bit PNG (decoded
below with zlib; no imaging library needed). Pixels are resized (nearest) to the model's input, scaled to
[0,1] and, for 3-channel models, ImageNet-normalised. --ort runs the same code with onnxruntime instead.
"""
import argparse
import struct
import time
import zlib

import numpy as np


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def load_png(path):
    """8-bit grey/RGB/RGBA, non-interlaced PNG -> uint8 HxWxC."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError("only 8-bit non-interlaced grey/RGB/RGBA PNGs are supported")
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        if ftype in (0, 2):
            cur = (line + (prev if ftype == 2 else 0)) & 0xFF
        else:  # Sub, Average, Paeth depend on the pixel to the left: decode byte by byte
            for i in range(stride):
                left = cur[i - channels] if i >= channels else 0
                up_left = prev[i - channels] if i >= channels else 0
                pred = {1: left, 3: (left + prev[i]) // 2, 4: paeth(left, prev[i], up_left)}[ftype]
                cur[i] = (line[i] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)[:, :, :3]


def preprocess(img, shape):
    if img.dtype == np.float32:
        return img.reshape(shape)
    if img.ndim == 2:
        img = img[:, :, None]
    _, c, h, w = shape
    ys = np.arange(h) * img.shape[0] // h
    xs = np.arange(w) * img.shape[1] // w
    x = img[ys][:, xs].astype(np.float32) / 255.0
    x = x[:, :, :c] if img.shape[2] >= c else np.repeat(x[:, :, :1], c, axis=2)
    if c == 3:
        x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def probabilities(scores):
    s = scores.astype(np.float64).ravel()
    if s.min() >= 0 and s.max() <= 1 and abs(s.sum() - 1) < 1e-3:
        return s
    e = np.exp(s - s.max())
    return e / e.sum()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("image")
    ap.add_argument("--labels")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--ort", action="store_true", help="use onnxruntime instead of cort")
    args = ap.parse_args()
    if args.ort:
        import onnxruntime as ort
    else:
        import cort as ort

    img = np.load(args.image) if args.image.endswith(".npy") else load_png(args.image)
    t0 = time.perf_counter()
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3
    inp = sess.get_inputs()[0]
    channels = img.shape[2] if img.ndim == 3 and img.dtype == np.uint8 else 1
    fallback = [1, channels, 224, 224]
    shape = [d if isinstance(d, int) else fallback[i] for i, d in enumerate(inp.shape)]
    x = preprocess(img, shape)

    times = []
    for _ in range(args.runs + 1):  # the first run plans memory; it is reported separately
        t = time.perf_counter()
        (scores,) = sess.run([sess.get_outputs()[0].name], {inp.name: x})
        times.append((time.perf_counter() - t) * 1e3)
    p = probabilities(scores)
    labels = open(args.labels).read().split() if args.labels else []
    print("%s on %s (%s %s): top-5" % (args.model, args.image, ort.__name__, ort.__version__))
    for rank, k in enumerate(np.argsort(-p)[:5], 1):
        print("  %d. %-24s p=%.4f" % (rank, labels[k] if k < len(labels) else "class %d" % k, p[k]))
    print("load %.2f ms, first run %.2f ms, median of %d runs %.3f ms"
          % (load_ms, times[0], args.runs, float(np.median(times[1:]))))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Makes the demo model: a tiny CNN that tells four shapes apart (circle, square, triangle, cross) in
16x16 grey images, trained for some seconds (8 epochs) on synthetic drawings with random position, size,
stroke, brightness and noise.

Writes (next to this script): shapes_cnn.onnx (opset 13: Conv, Relu, MaxPool, Flatten, Gemm, Softmax;
input "input" float32 [1,1,16,16] in [0,1], output "probabilities" float32 [1,4]), labels.txt (one
label per line, in output order) and samples/<label>.npy (one unseen drawing of each shape).
Run with Debian's interpreter: /usr/bin/python3 demo/make_demo.py (python3-torch, python3-onnx).
"""
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["circle", "square", "triangle", "cross"]
SIZE = 16


def draw(label, rng):
    """One SIZE x SIZE float32 image of `label`: filled or outlined, anywhere, on a noisy background."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5
    r = rng.uniform(3.0, 6.5)
    cx, cy = rng.uniform(r, SIZE - r, size=2)
    dx, dy = xx - cx, yy - cy
    stroke = rng.uniform(1.0, 2.0)
    filled = rng.random() < 0.5
    if label == "circle":
        d = np.hypot(dx, dy) - r
        inside = d <= 0 if filled else np.abs(d) <= stroke / 2
    elif label == "square":
        d = np.maximum(np.abs(dx), np.abs(dy)) - r * 0.85
        inside = d <= 0 if filled else np.abs(d) <= stroke / 2
    elif label == "triangle":
        # upward triangle: apex at top, base at the bottom of the bounding box
        top, bottom = cy - r, cy + r * 0.8
        half = (yy - top) / (bottom - top) * r
        edge = np.minimum(bottom - yy, half - np.abs(dx))
        inside = (yy >= top) & (edge >= 0) if filled else (yy >= top) & (edge >= 0) & (edge <= stroke)
    else:  # cross: two bars through the centre
        w = stroke / 2 + (0.5 if filled else 0.0)
        inside = ((np.abs(dx) <= w) & (np.abs(dy) <= r)) | ((np.abs(dy) <= w) & (np.abs(dx) <= r))
    fg, bg = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.3)
    img = np.where(inside, fg, bg) + rng.normal(0.0, 0.06, size=(SIZE, SIZE))
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def dataset(n, rng):
    labels = rng.integers(0, len(LABELS), size=n)
    images = np.stack([draw(LABELS[k], rng) for k in labels])[:, None]
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


class ShapesCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, len(LABELS)))

    def forward(self, x):
        return self.features(x)


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def train(net, rng, epochs):
    x, y = dataset(6000, rng)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()


def main():
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(0)
    net = ShapesCnn()
    epochs = int(os.environ.get("DEMO_EPOCHS", "8"))  # a fixed count, not a time, keeps the result reproducible
    start = time.time()
    train(net, rng, epochs)
    net.eval()
    tx, ty = dataset(2000, np.random.default_rng(1))
    with torch.no_grad():
        acc = (net(tx).argmax(1) == ty).float().mean().item()
    print(f"trained {epochs} epochs in {time.time() - start:.0f} s; held-out accuracy {acc:.3f}")

    model = WithSoftmax(net).eval()
    path = os.path.join(HERE, "shapes_cnn.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, SIZE, SIZE), path, opset_version=13,
                      input_names=["input"], output_names=["probabilities"], do_constant_folding=True)
    with open(os.path.join(HERE, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    os.makedirs(os.path.join(HERE, "samples"), exist_ok=True)
    srng = np.random.default_rng(7)
    for label in LABELS:
        # pick a drawing the model classifies confidently, so the demo shows the typical case
        for _ in range(50):
            img = draw(label, srng)[None, None]
            with torch.no_grad():
                p = model(torch.from_numpy(img))[0]
            if LABELS[int(p.argmax())] == label and float(p.max()) > 0.9:
                break
        np.save(os.path.join(HERE, "samples", label + ".npy"), img)
        print(f"samples/{label}.npy: torch says {LABELS[int(p.argmax())]} (p={float(p.max()):.3f})")
    print(f"{path}: {os.path.getsize(path)} bytes")
    return 0 if acc > 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())

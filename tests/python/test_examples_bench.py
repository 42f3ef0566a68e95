"""The Python example classifies the demo drawings; the overhead benchmark runs and cort's Python run of a
one-Add model costs no more than onnxruntime's."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "examples", "python", "classify.py")


@pytest.mark.parametrize("shape", ["circle", "cross", "square", "triangle"])
def test_classify_example(shape):
    done = subprocess.run([sys.executable, EXAMPLE, os.path.join(ROOT, "demo", "shapes_cnn.onnx"),
                           os.path.join(ROOT, "demo", "samples", shape + ".npy"), "--labels",
                           os.path.join(ROOT, "demo", "labels.txt"), "--runs", "3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = [line for line in done.stdout.splitlines() if line.strip().startswith("1.")][0]
    assert first.split()[1] == shape
    assert "median of 3 runs" in done.stdout


def test_png_loader(tmp_path):
    import struct
    import zlib

    import numpy as np
    sys.path.insert(0, os.path.dirname(EXAMPLE))
    import classify
    img = (np.random.default_rng(3).random((5, 7, 3)) * 255).astype(np.uint8)
    rows = []
    for k, row in enumerate(img.reshape(5, -1).astype(np.int32)):
        ftype = k % 5  # every PNG filter, against a hand-written encoder
        prev = img.reshape(5, -1)[k - 1].astype(np.int32) if k else np.zeros_like(row)
        left = np.concatenate([np.zeros(3, np.int32), row[:-3]])
        up_left = np.concatenate([np.zeros(3, np.int32), prev[:-3]])
        pred = [0 * row, left, prev, (left + prev) // 2,
                np.array([classify.paeth(a, b, c) for a, b, c in zip(left, prev, up_left)])][ftype]
        rows.append(bytes([ftype]) + ((row - pred) & 0xFF).astype(np.uint8).tobytes())

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 5, 8, 2, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
    np.testing.assert_array_equal(classify.load_png(str(png)), img)


def test_overhead_not_above_onnxruntime():
    pytest.importorskip("onnxruntime")
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_overhead", os.path.join(ROOT, "python", "bench_overhead.py"))
    bench_overhead = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_overhead)
    result = bench_overhead.measure(repeats=300, rounds=3)
    print(result)
    assert result["cort_c_call"] < result["cort_python_run"]
    assert result["cort_python_run"] <= result["onnxruntime_python_run"], result

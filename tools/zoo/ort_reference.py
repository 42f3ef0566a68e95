#!/usr/bin/env python3
"""Makes an ONNX-backend-style test folder with ONNX Runtime (Python package) as the oracle:
OUTDIR/model.onnx, OUTDIR/test_data_set_0/input_K.pb and output_K.pb.

make_tests.sh uses this when the Node.js tools (../shared/tools/ort/maketest.js) are not around, e.g.
in CI; it runs in a virtual environment with `pip install onnxruntime==1.30.0` over Debian's numpy and onnx.

    ort_reference.py MODEL.onnx OUTDIR [--int-range NAME=LO:HI]... [--seed S] [--opt disabled|basic|extended|all]

Inputs are seeded random data: floats uniform in [-1, 1), integers in [0, 2) unless --int-range says
otherwise (as maketest.js does, though not the same numbers), dynamic dimensions 1.
"""
import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort

ORT_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(int8)": np.int8,
    "tensor(uint64)": np.uint64, "tensor(uint32)": np.uint32, "tensor(uint16)": np.uint16,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}

OPT_LEVELS = {
    "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def random_input(meta, rng, ranges):
    if meta.type not in ORT_TYPES:
        sys.exit(f"input {meta.name}: cannot make random {meta.type}")
    dtype = ORT_TYPES[meta.type]
    dims = [d if isinstance(d, int) and d >= 0 else 1 for d in meta.shape]
    if np.issubdtype(dtype, np.floating):
        return (rng.random(dims) * 2 - 1).astype(dtype)
    if dtype is np.bool_:
        return rng.random(dims) < 0.5
    lo, hi = ranges.get(meta.name, (0, 2))
    return rng.integers(lo, hi, size=dims).astype(dtype)


def write_tensor(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("outdir")
    ap.add_argument("--int-range", action="append", default=[], metavar="NAME=LO:HI")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--opt", choices=sorted(OPT_LEVELS), default="all", help="ONNX Runtime's graph optimisations")
    a = ap.parse_args()
    ranges = {}
    for spec in a.int_range:
        name, _, span = spec.partition("=")
        lo, _, hi = span.partition(":")
        ranges[name] = (int(lo), int(hi))

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = OPT_LEVELS[a.opt]
    sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    ds = os.path.join(a.outdir, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    shutil.copyfile(a.model, os.path.join(a.outdir, "model.onnx"))
    rng = np.random.default_rng(a.seed)
    feeds = {}
    for k, meta in enumerate(sess.get_inputs()):
        feeds[meta.name] = random_input(meta, rng, ranges)
        write_tensor(os.path.join(ds, f"input_{k}.pb"), feeds[meta.name], meta.name)
    outputs = sess.run(None, feeds)
    for k, (meta, value) in enumerate(zip(sess.get_outputs(), outputs)):
        write_tensor(os.path.join(ds, f"output_{k}.pb"), np.asarray(value), meta.name)
        print(f"output_{k} {meta.name} {value.dtype} {list(value.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

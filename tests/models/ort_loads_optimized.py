#!/usr/bin/env python3
"""`cort optimize --level 1` keeps to standard operators, so ONNX Runtime loads the saved model: this
optimizes a zoo model at level 1, runs the result in ONNX Runtime on the test folder's inputs and
compares with the folder's reference outputs (ONNX Runtime's own, on the original model) at 1e-4.

    ort_loads_optimized.py CORT TESTDIR

Exit status 77 (ctest's skip code here) when TESTDIR is missing or onnxruntime cannot be imported.
"""
import glob
import os
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    cort, test_dir = sys.argv[1], sys.argv[2]
    model = os.path.join(test_dir, "model.onnx")
    data = os.path.join(test_dir, "test_data_set_0")
    if not os.path.isfile(model) or not os.path.isfile(os.path.join(data, "output_0.pb")):
        print(f"SKIP: {test_dir} not generated; run 'make test-zoo'")
        return SKIP
    try:
        import numpy as np
        import onnx
        from onnx import numpy_helper
        import onnxruntime as ort
    except ImportError as e:
        print(f"SKIP: {e}")
        return SKIP

    def read(path):
        t = onnx.TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        return numpy_helper.to_array(t)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "level1.onnx")
        cmd = [cort, "optimize", model, "-o", out, "--level", "1"]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        domains = {n.domain for n in onnx.load(out, load_external_data=False).graph.node}
        if domains - {"", "ai.onnx"}:
            print(f"FAIL: level 1 left operators of domains {sorted(domains)}")
            return 1
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(out, opts, providers=["CPUExecutionProvider"])
        inputs = sorted(glob.glob(os.path.join(data, "input_*.pb")), key=lambda p: int(p[p.rindex("_") + 1:-3]))
        feed = {i.name: read(p) for i, p in zip(sess.get_inputs(), inputs)}
        got = sess.run(None, feed)
        for k, y in enumerate(got):
            want = read(os.path.join(data, f"output_{k}.pb"))
            if y.shape != want.shape or not np.allclose(y, want, rtol=1e-4, atol=1e-4):
                diff = np.max(np.abs(y.astype(np.float64) - want)) if y.shape == want.shape else "shape"
                print(f"FAIL: output {k} differs from the reference (max |diff| {diff})")
                return 1
        print(f"PASS: ONNX Runtime {ort.__version__} runs the level-1 model; {len(got)} output(s) within 1e-4")
    return 0


if __name__ == "__main__":
    sys.exit(main())

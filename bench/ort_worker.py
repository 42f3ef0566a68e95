#!/usr/bin/env python3
"""ONNX Runtime side of bench/compare with PyPI's onnxruntime (used where Node.js is absent).

Same protocol as cort_worker.c and ort_worker.js:
    python ort_worker.py MODEL THREADS WARMUP [INPUT_K.pb ...]
    startup -> "ready {json}" | "error MSG";  "run N" -> "times T1 .. TN";  "quit" -> "done {json}"
The RSS before any session exists (interpreter + onnxruntime + onnx + numpy imported) is the baseline.
"""
import json
import re
import sys
import time


def status_kb(field):
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s*(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else -1


def fail(what, e):
    print(f"error {what}: {' '.join(str(e).split())}", flush=True)
    sys.exit(1)


def main():
    try:
        import onnxruntime as ort
        from onnx import TensorProto, numpy_helper
    except ImportError as e:
        fail("import", e)
    if len(sys.argv) < 4:
        fail("usage", "ort_worker.py MODEL THREADS WARMUP [INPUT_K.pb ...]")
    model, threads, warmup, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    base_kb = status_kb("VmRSS")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    t0 = time.perf_counter()
    try:
        sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises several exception types; all mean "cannot load"
        fail("session create", e)
    create_ms = (time.perf_counter() - t0) * 1e3
    try:
        names = [i.name for i in sess.get_inputs()]
        feeds = {}
        for k, path in enumerate(files):
            t = TensorProto()
            with open(path, "rb") as f:
                t.ParseFromString(f.read())
            feeds[names[k]] = numpy_helper.to_array(t)
    except Exception as e:
        fail("inputs", e)

    def once():
        s = time.perf_counter()
        sess.run(None, feeds)
        return (time.perf_counter() - s) * 1e3
    try:
        first_ms = once()
        for _ in range(warmup):
            once()
    except Exception as e:
        fail("run", e)
    print("ready " + json.dumps({"create_ms": create_ms, "first_run_ms": first_ms, "base_rss_kb": base_kb}),
          flush=True)
    for line in sys.stdin:
        if line.startswith("quit"):
            break
        m = re.match(r"run (\d+)", line)
        if not m:
            print("error bad command", flush=True)
            continue
        try:
            times = [once() for _ in range(int(m.group(1)))]
        except Exception as e:
            fail("run", e)
        print("times " + " ".join(f"{t:.4f}" for t in times), flush=True)
    print("done " + json.dumps({"peak_rss_kb": status_kb("VmHWM"), "base_rss_kb": base_kb}), flush=True)


if __name__ == "__main__":
    main()

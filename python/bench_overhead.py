"""Calling overhead: one Add on 16 floats, run from Python with cort and with onnxruntime, and cort's bare C
call (cort_session_run timed inside the extension, inputs converted once), all in one process.

    python python/bench_overhead.py [--repeats N] [--rounds R]

Prints the median microseconds per call of each; the rounds interleave the three so that load changes on
the machine hit them alike.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

# this script sits next to the package's sources: import the installed cort, not python/cort
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]


def add_model_bytes(n=16):
    from onnx import TensorProto, helper
    vi = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [n]) for name in ("x", "y", "z")]
    graph = helper.make_graph([helper.make_node("Add", ["x", "y"], ["z"])], "add16", vi[:2], vi[2:])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def time_python_runs(sess, feed, repeats):
    run = sess.run
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        run(None, feed)
        times.append(time.perf_counter_ns() - t0)
    return times


def single_thread_options(module):
    so = module.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return so


def measure(repeats=2000, rounds=5):
    import cort
    import onnxruntime
    model = add_model_bytes()
    feed = {"x": np.arange(16, dtype=np.float32), "y": np.ones(16, dtype=np.float32)}
    c_sess = cort.InferenceSession(model, single_thread_options(cort))
    o_sess = onnxruntime.InferenceSession(model, single_thread_options(onnxruntime),
                                          providers=["CPUExecutionProvider"])
    assert np.array_equal(c_sess.run(None, feed)[0], o_sess.run(None, feed)[0])
    samples = {"cort_python_run": [], "onnxruntime_python_run": [], "cort_c_call": []}
    for _ in range(rounds):
        samples["cort_python_run"] += time_python_runs(c_sess, feed, repeats)
        samples["onnxruntime_python_run"] += time_python_runs(o_sess, feed, repeats)
        samples["cort_c_call"] += c_sess._sess.time_c_run(None, feed, repeats)
    return {k: statistics.median(v) / 1e3 for k, v in samples.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    result = measure(args.repeats, args.rounds)
    for name, us in result.items():
        print("%-24s median %8.2f us" % (name, us))
    ratio = result["cort_python_run"] / result["onnxruntime_python_run"]
    print("cort / onnxruntime Python run: %.2fx" % ratio)


if __name__ == "__main__":
    main()

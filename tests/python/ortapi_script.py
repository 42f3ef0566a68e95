"""A script written against ONNX Runtime's Python API, run unchanged against any module offering it.

    python ortapi_script.py onnxruntime MODEL.onnx
    python ortapi_script.py cort MODEL.onnx

exercise(ort, model_path) is what the tests call, once with `onnxruntime` and once with `cort`; it returns
a record of everything observable: metadata, input/output descriptions, outputs of several runs, and for
each call that should fail, the name of the exception class raised (None when nothing was raised).
"""
import importlib
import json
import os
import sys
import tempfile

import numpy as np

NUMPY_OF_TYPE = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
                 "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
                 "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_, "tensor(string)": np.object_}
SYMBOLIC_DIM = 3  # the size given to every dimension the model leaves open


def concrete_shape(shape):
    return [d if isinstance(d, int) and d >= 0 else (1 if i == 0 else SYMBOLIC_DIM) for i, d in enumerate(shape)]


def random_input(node_arg, rng):
    """Reproducible data for one input: the same for every module, since it depends only on the NodeArg."""
    shape = concrete_shape(node_arg.shape)
    dtype = NUMPY_OF_TYPE.get(node_arg.type)
    if dtype is None:
        raise ValueError("no generator for input %s of type %s" % (node_arg.name, node_arg.type))
    if dtype in (np.float32, np.float64, np.float16):
        return rng.standard_normal(shape).astype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if dtype == np.object_:
        return np.array(["w%d" % v for v in rng.integers(0, 5, int(np.prod(shape)))], dtype=object).reshape(shape)
    if "mask" in node_arg.name:
        return np.ones(shape, dtype=dtype)
    return rng.integers(0, 10, shape).astype(dtype)


def make_feeds(sess, seed=0):
    rng = np.random.default_rng(seed)
    return {i.name: random_input(i, rng) for i in sess.get_inputs()}


def describe(node_args):
    return [(a.name, a.type, list(a.shape)) for a in node_args]


def attempt(calls, label, fn):
    """Runs fn, recording the class name of what it raised (None if nothing); returns its result or None."""
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - which class is raised is what the record compares
        calls[label] = type(e).__name__
        return None
    calls[label] = None
    return result


def wrong_dtype(x):
    if x.dtype == np.float32:
        return x.astype(np.float64)
    if x.dtype == np.object_:
        return np.zeros(x.shape, dtype=np.float32)
    return x.astype(np.float32)


def session_options(ort, level):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.graph_optimization_level = level
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    so.enable_mem_pattern = True
    so.enable_cpu_mem_arena = True
    return so


def error_calls(ort, sess, model_bytes, feeds, calls):
    first = sess.get_inputs()[0]
    x = feeds[first.name]
    attempt(calls, "run_extra_unknown_name", lambda: sess.run(None, dict(feeds, not_an_input=x)))
    renamed = {("renamed_" + k if k == first.name else k): v for k, v in feeds.items()}
    attempt(calls, "run_renamed_input", lambda: sess.run(None, renamed))
    attempt(calls, "run_wrong_dtype", lambda: sess.run(None, dict(feeds, **{first.name: wrong_dtype(x)})))
    if len(first.shape) > 0:
        attempt(calls, "run_wrong_rank", lambda: sess.run(None, dict(feeds, **{first.name: x[np.newaxis]})))
    attempt(calls, "run_missing_input", lambda: sess.run(None, {}))
    attempt(calls, "run_unknown_output", lambda: sess.run(["not_an_output"], feeds))
    attempt(calls, "load_missing_file", lambda: ort.InferenceSession(os.path.join(tempfile.gettempdir(),
                                                                                    "no_such_model_4f1c.onnx")))
    attempt(calls, "load_garbage_bytes", lambda: ort.InferenceSession(b"\x08\x07garbage, not a model\xff\xff"))
    attempt(calls, "load_truncated_bytes", lambda: ort.InferenceSession(model_bytes[:len(model_bytes) // 2]))


def exercise(ort, model_path, feeds=None, check_errors=True):
    """Runs the ONNX Runtime API surface over one model with module `ort`; returns the record."""
    calls = {}
    rec = {"calls": calls}
    rec["available_providers"] = list(ort.get_available_providers())
    rec["device"] = ort.get_device()
    rec["has_version"] = isinstance(ort.__version__, str)

    sess = ort.InferenceSession(model_path, session_options(ort, ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                                providers=["CPUExecutionProvider"])
    with open(model_path, "rb") as f:
        model_bytes = f.read()
    sess_bytes = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    sess_plain = ort.InferenceSession(model_path,
                                      session_options(ort, ort.GraphOptimizationLevel.ORT_DISABLE_ALL))
    rec["providers"] = sess.get_providers()
    meta = sess.get_modelmeta()
    rec["meta"] = {k: getattr(meta, k) for k in ("producer_name", "graph_name", "domain", "description", "version",
                                                "custom_metadata_map")}
    rec["inputs"] = describe(sess.get_inputs())
    rec["outputs"] = describe(sess.get_outputs())
    rec["bytes_inputs"] = describe(sess_bytes.get_inputs())

    feeds = feeds if feeds is not None else make_feeds(sess)
    out_names = [o.name for o in sess.get_outputs()]
    rec["run_all"] = sess.run(None, feeds)
    rec["run_all_from_bytes"] = sess_bytes.run(None, feeds)
    rec["run_all_unoptimized"] = sess_plain.run(None, feeds, ort.RunOptions())
    rec["run_last_output"] = sess.run(out_names[-1:], feeds)
    rec["run_first_output_twice"] = sess.run([out_names[0], out_names[0]], feeds)
    if check_errors:
        error_calls(ort, sess, model_bytes, feeds, calls)
    return rec


def exercise_profiling(ort, model_path, workdir):
    """Profiling and the optimized-model file: the trace is JSON, the saved model loads and runs alike."""
    so = ort.SessionOptions()
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(workdir, "prof")
    so.optimized_model_filepath = os.path.join(workdir, "optimized.onnx")
    sess = ort.InferenceSession(model_path, so)
    feeds = make_feeds(sess)
    first = sess.run(None, feeds)
    trace = sess.end_profiling()
    with open(trace) as f:
        events = json.load(f)
    again = ort.InferenceSession(so.optimized_model_filepath).run(None, feeds)
    return {"trace_events": len(events) > 0, "outputs": first, "reloaded_outputs": again}


def main(argv):
    ort = importlib.import_module(argv[1])
    rec = exercise(ort, argv[2])
    for key, value in rec.items():
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            value = [(a.dtype.name, a.shape) for a in value]
        print("%s: %s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

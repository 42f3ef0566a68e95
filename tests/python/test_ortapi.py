"""The ORT-API script side by side: onnxruntime and cort must agree on metadata, outputs (within 1e-4)
and on which calls raise, with exception classes of the same name."""
import glob
import os
import sys

import numpy as np
import pytest

from conftest import DEMO_MODEL, NODE_TESTS, ZOO
import ortapi_script

# the default set stays quick on 2 cores; CORT_SDK_ALL_ZOO=1 takes every model tools/zoo generated
ZOO_MODELS = ["mobilenet_v2", "resnet18", "lstm", "bert_base", "gru", "squeezenet1_1", "mobilenet_v3_small",
              "shufflenet_v2_x1_0", "efficientnet_b0"]
if os.environ.get("CORT_SDK_ALL_ZOO"):
    ZOO_MODELS = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ZOO, "*.onnx")))
NODE_MODELS = ["test_add_bcast", "test_conv_with_strides_padding", "test_gemm_all_attributes", "test_lstm_defaults",
               "test_cast_FLOAT_to_FLOAT16", "test_argmax_default_axis_example", "test_less_bcast",
               "test_gather_0", "test_softmax_axis_1", "test_transpose_default"]
INT64_MAX = 2**63 - 1


def zoo_model(name):
    path = os.path.join(ZOO, name + ".onnx")
    if not os.path.exists(path):
        pytest.skip("zoo model %s not generated (tools/zoo)" % name)
    return path


def node_feeds(test_dir):
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper
    import onnx.onnx_ml_pb2  # noqa: F401 - TensorProto
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    initializers = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initializers]
    feeds = {}
    for k, name in enumerate(names):
        t = onnx.TensorProto()
        with open(os.path.join(test_dir, "test_data_set_0", "input_%d.pb" % k), "rb") as f:
            t.ParseFromString(f.read())
        feeds[name] = numpy_helper.to_array(t)
    return feeds


def normalised_meta(meta):
    meta = dict(meta)
    if meta["version"] == INT64_MAX:  # ONNX Runtime's "no model_version"; cort reports 0
        meta["version"] = 0
    return meta


def assert_outputs_close(ours, theirs, label):
    assert len(ours) == len(theirs), label
    for k, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, "%s output %d shape %s vs %s" % (label, k, a.shape, b.shape)
        assert a.dtype == b.dtype, "%s output %d dtype %s vs %s" % (label, k, a.dtype, b.dtype)
        if a.dtype == object or a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer):
            np.testing.assert_array_equal(a, b, err_msg="%s output %d" % (label, k))
        else:
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-4, atol=1e-4,
                                       err_msg="%s output %d" % (label, k))


def compare_records(ours, theirs):
    assert "CPUExecutionProvider" in ours["available_providers"]
    assert ours["device"] == theirs["device"] == "CPU"
    assert ours["has_version"]
    assert ours["providers"] == theirs["providers"]
    assert normalised_meta(ours["meta"]) == normalised_meta(theirs["meta"])
    assert ours["inputs"] == theirs["inputs"]
    assert ours["outputs"] == theirs["outputs"]
    assert ours["bytes_inputs"] == theirs["bytes_inputs"]
    for key in ("run_all", "run_all_from_bytes", "run_all_unoptimized", "run_last_output", "run_first_output_twice"):
        assert_outputs_close(ours[key], theirs[key], key)
    assert ours["calls"] == theirs["calls"]


def side_by_side(cort_module, ort_module, path, feeds=None, check_errors=True):
    theirs = ortapi_script.exercise(ort_module, path, feeds, check_errors)
    ours = ortapi_script.exercise(cort_module, path, feeds, check_errors)
    compare_records(ours, theirs)


def test_demo_model(cort_module, ort_module):
    side_by_side(cort_module, ort_module, DEMO_MODEL)


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_zoo_model(cort_module, ort_module, name):
    side_by_side(cort_module, ort_module, zoo_model(name))


@pytest.mark.parametrize("name", NODE_MODELS)
def test_node_model(cort_module, ort_module, name):
    test_dir = os.path.join(NODE_TESTS, name)
    if not os.path.isdir(test_dir):
        pytest.skip("ONNX backend test data not installed")
    side_by_side(cort_module, ort_module, os.path.join(test_dir, "model.onnx"), node_feeds(test_dir))


def test_profiling_and_optimized_model(cort_module, ort_module, tmp_path):
    records = {}
    for label, module in (("ort", ort_module), ("cort", cort_module)):
        workdir = tmp_path / label
        workdir.mkdir()
        records[label] = ortapi_script.exercise_profiling(module, DEMO_MODEL, str(workdir))
    assert records["cort"]["trace_events"]
    assert_outputs_close(records["cort"]["outputs"], records["ort"]["outputs"], "profiled run")
    assert_outputs_close(records["cort"]["reloaded_outputs"], records["ort"]["outputs"], "optimized model")


def test_script_runs_as_a_program():
    import subprocess
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ortapi_script.py")
    done = subprocess.run([sys.executable, script, "cort", DEMO_MODEL], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "run_all" in done.stdout

"""cort's Python package beyond the side-by-side script: threads, dtype round trips, zero-copy paths,
IOBinding, RunOptions.terminate, errors that must raise and never crash."""
import os
import threading
import time

import numpy as np
import pytest

from conftest import DEMO_MODEL, ZOO

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

ELEM_OF_DTYPE = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.float64: TensorProto.DOUBLE,
                 np.bool_: TensorProto.BOOL, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32,
                 np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.uint16: TensorProto.UINT16,
                 np.uint64: TensorProto.UINT64, np.object_: TensorProto.STRING}


def model_bytes(nodes, inputs, outputs, opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="sdk-tests")
    model.ir_version = 8
    return model.SerializeToString()


def identity_model(dtype, shape):
    elem = ELEM_OF_DTYPE[dtype]
    return model_bytes([helper.make_node("Identity", ["x"], ["y"])], [helper.make_tensor_value_info("x", elem, shape)],
                       [helper.make_tensor_value_info("y", elem, shape)])


def add_model(n=16):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [n])
    return model_bytes([helper.make_node("Add", ["x", "y"], ["z"])], [x, y], [z])


ROUND_TRIPS = [
    (np.float16, np.array([[0.5, -2.0, 65504.0], [1e-3, 0.0, -0.0]], dtype=np.float16)),
    (np.bool_, np.array([True, False, True, True])),
    (np.int64, np.array([[-(2**62), 2**62 + 7], [0, -1]], dtype=np.int64)),
    (np.float64, np.array([1.0 / 3.0, -1e300], dtype=np.float64)),
    (np.int8, np.array([-128, 127, 0], dtype=np.int8)),
    (np.uint64, np.array([2**64 - 1, 0], dtype=np.uint64)),
    (np.object_, np.array([["ab", ""], ["ünïcode ✓", "x" * 100]], dtype=object)),
]


@pytest.mark.parametrize("dtype,value", ROUND_TRIPS, ids=[d.__name__ for d, _ in ROUND_TRIPS])
def test_round_trip(cort_module, dtype, value):
    sess = cort_module.InferenceSession(identity_model(dtype, list(value.shape)))
    (out,) = sess.run(None, {"x": value})
    assert out.dtype == value.dtype
    assert out.shape == value.shape
    np.testing.assert_array_equal(out, value)


def test_unicode_and_bytes_string_inputs(cort_module):
    sess = cort_module.InferenceSession(identity_model(np.object_, [3]))
    (u,) = sess.run(None, {"x": np.array(["a", "bé", "c"])})
    (b,) = sess.run(None, {"x": np.array([b"a", b"b", b"cd"])})
    assert list(u) == ["a", "bé", "c"] and u.dtype == object
    assert list(b) == ["a", "b", "cd"]


def test_rank0_and_empty_tensors(cort_module):
    sess = cort_module.InferenceSession(identity_model(np.float32, []))
    (out,) = sess.run(None, {"x": np.array(2.5, dtype=np.float32)})
    assert out.shape == () and out == np.float32(2.5)
    sess = cort_module.InferenceSession(identity_model(np.float32, [0, 4]))
    (out,) = sess.run(None, {"x": np.zeros((0, 4), dtype=np.float32)})
    assert out.shape == (0, 4)


def test_outputs_are_not_copied(cort_module):
    sess = cort_module.InferenceSession(add_model())
    x = np.arange(16, dtype=np.float32)
    (z,) = sess.run(None, {"x": x, "y": x})
    assert z.base is not None and type(z.base).__name__ == "PyCapsule"  # cort's buffer, owned by the capsule
    z2 = z.copy()
    del sess
    np.testing.assert_array_equal(z, z2)  # the output outlives its session


def test_non_contiguous_and_byteswapped_inputs(cort_module):
    sess = cort_module.InferenceSession(add_model())
    base = np.arange(32, dtype=np.float32)
    swapped = np.arange(16, dtype=">f4")
    (z,) = sess.run(None, {"x": base[::2], "y": swapped})
    np.testing.assert_array_equal(z, base[::2] + np.arange(16, dtype=np.float32))


def test_python_lists_are_converted(cort_module):
    sess = cort_module.InferenceSession(identity_model(np.int64, [3]))
    (out,) = sess.run(None, {"x": [1, 2, 3]})
    np.testing.assert_array_equal(out, [1, 2, 3])


def test_bad_calls_raise(cort_module):
    sess = cort_module.InferenceSession(add_model())
    x = np.zeros(16, dtype=np.float32)
    with pytest.raises(cort_module.InvalidArgument, match="dimension"):
        sess.run(None, {"x": x, "y": np.zeros(15, dtype=np.float32)})
    with pytest.raises(cort_module.InvalidArgument):
        sess.run(None, {"x": x, "y": np.zeros(16, dtype=np.complex64)})
    with pytest.raises(cort_module.InvalidArgument):
        sess.run(None, {"x": x, "y": np.zeros(16, dtype="datetime64[s]")})
    with pytest.raises(TypeError):
        sess.run(None, [("x", x)])
    with pytest.raises(TypeError):
        sess.run("z", {"x": x, "y": x})
    with pytest.raises(TypeError):
        sess.run(None, {1: x, "x": x, "y": x})
    with pytest.raises(TypeError):
        cort_module.InferenceSession(12)
    with pytest.raises(cort_module.InvalidProtobuf):
        cort_module.InferenceSession(b"")


def test_exception_classes_mirror_onnxruntime(cort_module):
    from cort.capi import onnxruntime_pybind11_state as state
    for name in ("Fail", "InvalidArgument", "NoSuchFile", "InvalidGraph", "NotImplemented", "RuntimeException",
                 "InvalidProtobuf", "NoModel", "EngineError", "ModelLoaded", "EPFail"):
        cls = getattr(state, name)
        assert cls is getattr(cort_module, name)
        assert issubclass(cls, Exception) and cls.__name__ == name
    try:
        cort_module.InferenceSession("/nonexistent/model.onnx")
    except state.NoSuchFile as e:
        assert "NO_SUCHFILE" in str(e) and "/nonexistent/model.onnx" in str(e)
    else:
        pytest.fail("no exception")


def test_iobinding_writes_bound_outputs_in_place(cort_module):
    sess = cort_module.InferenceSession(add_model())
    x = np.arange(16, dtype=np.float32)
    out = np.empty(16, dtype=np.float32)
    binding = sess.io_binding()
    binding.bind_cpu_input("x", x)
    binding.bind_cpu_input("y", x)
    binding.bind_output("z", "cpu", 0, np.float32, [16], out.ctypes.data)
    sess.run_with_iobinding(binding)
    np.testing.assert_array_equal(out, 2 * x)
    (res,) = binding.copy_outputs_to_cpu()
    np.testing.assert_array_equal(res, 2 * x)
    binding.bind_ortvalue_output("z", cort_module.OrtValue.ortvalue_from_numpy(out))
    binding.bind_cpu_input("y", np.ones(16, dtype=np.float32))
    sess.run_with_iobinding(binding)
    np.testing.assert_array_equal(out, x + 1)
    with pytest.raises(cort_module.InvalidArgument):
        binding.bind_ortvalue_output("z", cort_module.OrtValue.ortvalue_from_numpy(np.empty(15, dtype=np.float32)))
        sess.run_with_iobinding(binding)
    unbound = sess.io_binding()
    unbound.bind_cpu_input("x", x)
    unbound.bind_cpu_input("y", x)
    unbound.bind_output("z")
    sess.run_with_iobinding(unbound)
    np.testing.assert_array_equal(unbound.get_outputs()[0].numpy(), 2 * x)


def test_run_options_terminate(cort_module):
    sess = cort_module.InferenceSession(add_model())
    x = np.zeros(16, dtype=np.float32)
    ro = cort_module.RunOptions()
    ro.run_tag = "tagged"
    sess.run(None, {"x": x, "y": x}, ro)
    ro.terminate = True
    with pytest.raises(cort_module.Fail):
        sess.run(None, {"x": x, "y": x}, ro)
    ro.terminate = False
    sess.run(None, {"x": x, "y": x}, ro)


def test_options_and_module_functions(cort_module):
    so = cort_module.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = cort_module.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.execution_mode = cort_module.ExecutionMode.ORT_PARALLEL
    so.add_session_config_entry("session.key", "v")
    assert so.get_session_config_entry("session.key") == "v"
    sess = cort_module.InferenceSession(DEMO_MODEL, sess_options=so, providers=["CPUExecutionProvider"],
                                        provider_options=[{}])
    assert sess.get_session_options() is so
    assert sess.get_providers() == ["CPUExecutionProvider"]
    assert cort_module.get_available_providers() == ["CPUExecutionProvider"]
    assert cort_module.get_device() == "CPU"
    assert cort_module.__version__.count(".") == 2
    assert sess.end_profiling() == ""
    with pytest.warns(UserWarning):
        cort_module.InferenceSession(DEMO_MODEL, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])


def concurrent_model():
    path = os.path.join(ZOO, "mobilenet_v2.onnx")
    return path if os.path.exists(path) else DEMO_MODEL


def test_threads_share_one_session(cort_module):
    """4 Python threads running one session at once give exactly the sequential outputs."""
    sess = cort_module.InferenceSession(concurrent_model())
    arg = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in arg.shape]
    rng = np.random.default_rng(7)
    runs_per_thread = 3
    inputs = [rng.standard_normal(shape).astype(np.float32) for _ in range(4 * runs_per_thread)]
    expected = [sess.run(None, {arg.name: x})[0] for x in inputs]
    got = [None] * len(inputs)
    errors = []
    start = threading.Barrier(4)

    def worker(t):
        try:
            start.wait()
            for k in range(t, len(inputs), 4):
                got[k] = sess.run(None, {arg.name: inputs[k]})[0]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_array_equal(a, b, err_msg="run %d" % k)


def test_run_releases_the_gil(cort_module):
    """While one thread is inside run, another Python thread executes (it could not if run held the GIL)."""
    path = os.path.join(ZOO, "mobilenet_v2.onnx")
    if not os.path.exists(path):
        pytest.skip("needs a model whose run lasts milliseconds")
    sess = cort_module.InferenceSession(path)
    arg = sess.get_inputs()[0]
    x = np.zeros([d if isinstance(d, int) else 1 for d in arg.shape], dtype=np.float32)
    sess.run(None, {arg.name: x})
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    t.start()
    windows = []
    for _ in range(3):
        t0 = time.perf_counter()
        sess.run(None, {arg.name: x})
        windows.append((t0, time.perf_counter()))
    done.set()
    t.join()
    inside = [s for s in ticks if any(a < s < b for a, b in windows)]
    assert inside, "no Python code ran while run() was executing"


def test_sequence_output_matches_onnxruntime(cort_module, ort_module):
    """A sequence output comes back as a list of arrays, like ORT's."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 2])
    seq = helper.make_tensor_sequence_value_info("parts", TensorProto.FLOAT, None)
    split = helper.make_tensor("split", TensorProto.INT64, [3], [1, 2, 3])
    graph = helper.make_graph([helper.make_node("SplitToSequence", ["x", "split"], ["parts"], axis=0)], "g", [x],
                              [seq], initializer=[split])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    data = model.SerializeToString()
    feed = {"x": np.arange(12, dtype=np.float32).reshape(6, 2)}
    ours = cort_module.InferenceSession(data)
    theirs = ort_module.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert ours.get_outputs()[0].type == theirs.get_outputs()[0].type == "seq(tensor(float))"
    (got,), (want,) = ours.run(None, feed), theirs.run(None, feed)
    assert isinstance(got, list) and len(got) == len(want) == 3
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(cort_module.InvalidArgument):  # a list of arrays is stacked: rank 3, not 2
        ours.run(None, {"x": [feed["x"], feed["x"]]})


def test_sequence_inputs_are_refused(cort_module):
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    n = helper.make_tensor_value_info("n", TensorProto.INT64, [])
    graph = helper.make_graph([helper.make_node("SequenceLength", ["s"], ["n"])], "g", [seq], [n])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    sess = cort_module.InferenceSession(model.SerializeToString())
    assert sess.get_inputs()[0].type == "seq(tensor(float))"
    with pytest.raises(cort_module.NotImplemented, match="sequence"):
        sess.run(None, {"s": [np.zeros(2, dtype=np.float32)]})


def test_run_takes_ortvalues_in_the_feed(cort_module):
    sess = cort_module.InferenceSession(add_model())
    x = np.arange(16, dtype=np.float32)
    v = cort_module.OrtValue.ortvalue_from_numpy(x)
    assert v.shape() == [16] and v.data_type() == "tensor(float)" and v.device_name() == "cpu"
    (z,) = sess.run(None, {"x": v, "y": x})
    np.testing.assert_array_equal(z, 2 * x)
    (zv,) = sess.run_with_ort_values(["z"], {"x": v, "y": v})
    np.testing.assert_array_equal(zv.numpy(), 2 * x)

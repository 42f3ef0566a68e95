"""cort: an ONNX inference runtime in C, with ONNX Runtime's Python API.

Scripts written for onnxruntime switch with one line::

    import cort as ort

Everything runs on the CPU; numpy arrays go in and come out without copies where their layout allows.
"""
import ctypes as _ctypes
import enum as _enum
import os as _os
import time as _time
import warnings as _warnings

import numpy as _np

from cort import _cort
from cort._cort import (EngineError, EPFail, Fail, InvalidArgument, InvalidGraph, InvalidProtobuf,  # noqa: F401
                        ModelLoaded, NoModel, NoSuchFile, NotFound, NotImplemented, RuntimeException)

__version__ = _cort.version()

_CPU = "CPUExecutionProvider"
_ELEM_NAMES = ("undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool",
               "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16")
_NUMPY_OF_ELEM = {"float": _np.float32, "uint8": _np.uint8, "int8": _np.int8, "uint16": _np.uint16,
                  "int16": _np.int16, "int32": _np.int32, "int64": _np.int64, "string": _np.object_,
                  "bool": _np.bool_, "float16": _np.float16, "double": _np.float64, "uint32": _np.uint32,
                  "uint64": _np.uint64, "complex64": _np.complex64, "complex128": _np.complex128}


class GraphOptimizationLevel(_enum.IntEnum):
    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_LAYOUT = 3
    ORT_ENABLE_ALL = 99


class ExecutionMode(_enum.IntEnum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1


class ExecutionOrder(_enum.IntEnum):
    DEFAULT = 0
    PRIORITY_BASED = 1
    MEMORY_EFFICIENT = 2


def get_available_providers():
    return [_CPU]


def get_all_providers():
    return [_CPU]


def get_device():
    return "CPU"


def get_build_info():
    return "cort " + __version__


def set_default_logger_severity(level):
    """Accepted for compatibility; sessions log according to their SessionOptions.log_severity_level."""
    if not 0 <= int(level) <= 4:
        raise ValueError("log severity must be between 0 and 4")


def set_seed(seed):
    """Accepted for compatibility: cort has no random operators that read a global seed."""


class SessionOptions:
    """ONNX Runtime's SessionOptions. Settings cort has no use for (execution mode, arena, memory pattern)
    are kept and ignored; the ones that matter go to the C session options."""

    def __init__(self):
        self.intra_op_num_threads = 0
        self.inter_op_num_threads = 0
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.execution_mode = ExecutionMode.ORT_SEQUENTIAL
        self.execution_order = ExecutionOrder.DEFAULT
        self.enable_profiling = False
        self.profile_file_prefix = "onnxruntime_profile_"
        self.optimized_model_filepath = ""
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self.enable_mem_pattern = True
        self.enable_mem_reuse = True
        self.enable_cpu_mem_arena = True
        self.use_deterministic_compute = False
        self._config = {}

    def add_session_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key):
        if key not in self._config:
            raise RuntimeException("SessionOptions does not have configuration with key: " + str(key))
        return self._config[key]

    def add_free_dimension_override_by_name(self, name, value):
        """Accepted; cort plans memory per input shape, so fixing symbolic dimensions is not needed."""
        self._config["free_dim." + name] = str(value)

    def add_free_dimension_override_by_denotation(self, denotation, value):
        self._config["free_dim_denotation." + denotation] = str(value)

    def register_custom_ops_library(self, path):
        raise NotImplemented("[cort] : 9 : NOT_IMPLEMENTED : custom operator libraries are not supported")

    def add_initializer(self, name, value):
        raise NotImplemented("[cort] : 9 : NOT_IMPLEMENTED : SessionOptions.add_initializer is not supported")


class RunOptions(_cort.RunOptions):
    """ONNX Runtime's RunOptions; `terminate = True` stops runs using it at the next node boundary."""

    def __init__(self):
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self.run_tag = ""
        self.only_execute_path_to_fetches = False
        self._config = {}

    def add_run_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_run_config_entry(self, key):
        return self._config[key]


class NodeArg:
    """A graph input or output: name, type string ('tensor(float)') and shape (ints, symbol strings, None)."""
    __slots__ = ("name", "type", "shape")

    def __init__(self, name, type, shape):
        self.name = name
        self.type = type
        self.shape = shape

    def __repr__(self):
        return "NodeArg(name=%r, type=%r, shape=%r)" % (self.name, self.type, self.shape)


def _type_string(kind, elem_type):
    elem = _ELEM_NAMES[elem_type] if 0 <= elem_type < len(_ELEM_NAMES) else "undefined"
    tensor = "tensor(%s)" % elem
    return {1: tensor, 2: "seq(%s)" % tensor, 3: "optional(%s)" % tensor}.get(kind, "unknown")


def _node_arg(info):
    name, kind, elem_type, shape, _ = info
    return NodeArg(name, _type_string(kind, elem_type), shape if shape is not None else [])


class ModelMetadata:
    """Model metadata: producer_name, graph_name, domain, description, graph_description, version,
    custom_metadata_map."""

    def __init__(self, meta):
        self.producer_name = meta["producer_name"]
        self.producer_version = meta["producer_version"]
        self.graph_name = meta["graph_name"]
        self.domain = meta["domain"]
        self.description = meta["description"]
        self.graph_description = ""  # not exposed by the C API
        self.version = meta["version"]
        self.custom_metadata_map = meta["custom_metadata_map"]


class OrtValue:
    """A CPU tensor held as a numpy array (cort has no device memory)."""

    def __init__(self, array):
        self._array = array

    @staticmethod
    def ortvalue_from_numpy(numpy_obj, device_type="cpu", device_id=0):
        _check_cpu(device_type)
        return OrtValue(_np.asarray(numpy_obj))

    @staticmethod
    def ortvalue_from_shape_and_type(shape, element_type, device_type="cpu", device_id=0):
        _check_cpu(device_type)
        return OrtValue(_np.empty(shape, dtype=element_type))

    def numpy(self):
        return self._array

    def __array__(self, dtype=None, copy=None):
        """Lets `run` take OrtValues in its feed (as ORT's does) without copying."""
        return self._array if dtype is None else self._array.astype(dtype)

    def shape(self):
        return list(self._array.shape)

    def data_type(self):
        return "tensor(%s)" % _elem_name_of_dtype(self._array.dtype)

    def element_type(self):
        return self._array.dtype.type

    def device_name(self):
        return "cpu"

    def data_ptr(self):
        return self._array.ctypes.data

    def is_tensor(self):
        return isinstance(self._array, _np.ndarray)

    def has_value(self):
        return self._array is not None

    def update_inplace(self, np_arr):
        _np.copyto(self._array, np_arr)


def _elem_name_of_dtype(dtype):
    if dtype.kind in "OUS":
        return "string"
    for name, t in _NUMPY_OF_ELEM.items():
        if _np.dtype(t) == dtype:
            return name
    return "undefined"


def _check_cpu(device_type):
    if str(device_type).lower() != "cpu":
        raise InvalidArgument("[cort] : 2 : INVALID_ARGUMENT : cort runs on the CPU only, not on '%s'" % device_type)


def _array_at(buffer_ptr, element_type, shape):
    """A numpy array over caller memory at address `buffer_ptr` (IOBinding's raw-pointer binding)."""
    dtype = _np.dtype(element_type)
    count = int(_np.prod(shape, dtype=_np.int64)) if len(shape) else 1
    raw = (_ctypes.c_byte * (count * dtype.itemsize)).from_address(int(buffer_ptr))
    return _np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)


class IOBinding:
    """ONNX Runtime's IOBinding on the CPU: inputs are read in place, outputs bound to an array (or a raw
    buffer) are written in place, the others are created by the run."""

    def __init__(self, session):
        self._session = session
        self._inputs = {}
        self._output_names = []
        self._output_arrays = []
        self._results = None

    def bind_cpu_input(self, name, arr_on_cpu):
        self._inputs[name] = arr_on_cpu

    def bind_input(self, name, device_type, device_id, element_type, shape, buffer_ptr):
        _check_cpu(device_type)
        self._inputs[name] = _array_at(buffer_ptr, element_type, shape)

    def bind_ortvalue_input(self, name, ortvalue):
        self._inputs[name] = ortvalue.numpy()

    def _bind(self, name, array):
        if name in self._output_names:
            self._output_arrays[self._output_names.index(name)] = array
        else:
            self._output_names.append(name)
            self._output_arrays.append(array)

    def bind_output(self, name, device_type="cpu", device_id=0, element_type=None, shape=None, buffer_ptr=None):
        _check_cpu(device_type)
        array = None
        if buffer_ptr is not None:
            if element_type is None or shape is None:
                raise ValueError("binding an output to a buffer needs element_type and shape")
            array = _array_at(buffer_ptr, element_type, shape)
        self._bind(name, array)

    def bind_ortvalue_output(self, name, ortvalue):
        self._bind(name, ortvalue.numpy())

    def clear_binding_inputs(self):
        self._inputs = {}

    def clear_binding_outputs(self):
        self._output_names = []
        self._output_arrays = []
        self._results = None

    def synchronize_inputs(self):
        pass

    def synchronize_outputs(self):
        pass

    def _run(self, run_options):
        self._results = self._session._sess.run(self._output_names or None, self._inputs, run_options,
                                                self._output_arrays if self._output_names else None)

    def get_outputs(self):
        return [OrtValue(a) for a in (self._results or [])]

    def copy_outputs_to_cpu(self):
        return list(self._results or [])


def _provider_names(providers):
    names = []
    for p in providers or []:
        name = p[0] if isinstance(p, (tuple, list)) else p
        if not isinstance(name, str):
            raise ValueError("providers must be names or (name, options) pairs, got %r" % (p,))
        if name != _CPU:
            _warnings.warn("Specified provider '%s' is not in available provider names. Available providers: '%s'"
                           % (name, _CPU))
        names.append(name)
    return names


class InferenceSession:
    """ONNX Runtime's InferenceSession: loads a model from a path or from bytes and runs it."""

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None, **kwargs):
        _provider_names(providers)
        if isinstance(path_or_bytes, (str, _os.PathLike)):
            self._model_path, self._model_bytes = _os.fspath(path_or_bytes), None
        elif isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            self._model_path, self._model_bytes = None, path_or_bytes
        else:
            raise TypeError("Unable to load from type '%s'" % type(path_or_bytes))
        self._sess_options = sess_options if sess_options is not None else SessionOptions()
        o = self._sess_options
        level = int(o.graph_optimization_level)
        profile = (o.profile_file_prefix or "onnxruntime_profile_") if o.enable_profiling else None
        self._profiling_start_ns = _time.time_ns()
        self._sess = _cort.Session(path_or_bytes, threads=int(o.intra_op_num_threads),
                                   opt_level=level if level <= 2 else 99,
                                   log_level=min(max(int(o.log_severity_level), 0), 4), profile_prefix=profile,
                                   optimized_path=o.optimized_model_filepath or None)
        self._profiling = profile is not None
        inputs = self._sess.inputs()
        self._inputs_meta = [_node_arg(i) for i in inputs if not i[4]]
        self._overridable_initializers = [_node_arg(i) for i in inputs if i[4]]
        self._outputs_meta = [_node_arg(i) for i in self._sess.outputs()]
        self._model_meta = ModelMetadata(self._sess.meta())

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model; returns the outputs named (all when output_names is None) as numpy arrays."""
        return self._sess.run(output_names, input_feed, run_options)

    def run_with_ort_values(self, output_names, input_dict_ort_values, run_options=None):
        feed = {k: (v.numpy() if isinstance(v, OrtValue) else v) for k, v in input_dict_ort_values.items()}
        return [OrtValue(a) for a in self._sess.run(output_names, feed, run_options)]

    def io_binding(self):
        return IOBinding(self)

    def run_with_iobinding(self, iobinding, run_options=None):
        iobinding._run(run_options)

    def get_inputs(self):
        return list(self._inputs_meta)

    def get_outputs(self):
        return list(self._outputs_meta)

    def get_overridable_initializers(self):
        return list(self._overridable_initializers)

    def get_modelmeta(self):
        return self._model_meta

    def get_providers(self):
        return [_CPU]

    def get_provider_options(self):
        return {_CPU: {}}

    def set_providers(self, providers=None, provider_options=None):
        _provider_names(providers)

    def disable_fallback(self):
        pass

    def enable_fallback(self):
        pass

    def get_session_options(self):
        return self._sess_options

    def get_profiling_start_time_ns(self):
        return self._profiling_start_ns

    def end_profiling(self):
        """Writes the profile (a Chrome trace) and returns its file name; '' when profiling is off."""
        if not self._profiling:
            return ""
        self._profiling = False
        return self._sess.end_profiling()

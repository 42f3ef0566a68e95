"""Mirror of onnxruntime.capi, so `from cort.capi.onnxruntime_pybind11_state import Fail` works."""

"""Mirror of onnxruntime.capi.onnxruntime_inference_collection."""
from cort import InferenceSession, IOBinding, OrtValue  # noqa: F401

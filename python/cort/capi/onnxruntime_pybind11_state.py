"""Where ONNX Runtime scripts import the exception classes (and a few types) from."""
from cort._cort import (EngineError, EPFail, Fail, InvalidArgument, InvalidGraph, InvalidProtobuf,  # noqa: F401
                        ModelLoaded, NoModel, NoSuchFile, NotFound, NotImplemented, RuntimeException)
from cort import (ExecutionMode, GraphOptimizationLevel, InferenceSession, NodeArg, RunOptions,  # noqa: F401
                  SessionOptions)

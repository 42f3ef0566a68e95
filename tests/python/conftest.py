"""Shared fixtures: the repository's paths and the two modules the tests compare."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ZOO = os.path.join(ROOT, "tools", "zoo", "out", "models")
DEMO_MODEL = os.path.join(ROOT, "demo", "shapes_cnn.onnx")
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"

sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def cort_module():
    import cort
    return cort


@pytest.fixture(scope="session")
def ort_module():
    return pytest.importorskip("onnxruntime")
